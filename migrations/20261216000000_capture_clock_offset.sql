-- A capture keeps the station's own clock reading (at_ms, as always) and
-- the offset of that clock to the hub's known when it was made (the
-- station's clock minus the hub's; NULL when not joined to a hub, or at
-- the hub itself). Splits from a checkpoint laptop whose clock was off can
-- then be corrected by the timer; no time is ever moved by itself.
ALTER TABLE passing ADD COLUMN clock_offset_ms INTEGER;
