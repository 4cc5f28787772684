-- A decoder's clock minus this laptop's when it was last read (RACE RESULT,
-- Ultra, LLRP), and when: `decoder list` shows it after the connection is
-- gone. Settings, not captured facts: overwritten at each reading.
ALTER TABLE decoder ADD COLUMN clock_offset_ms INTEGER;
ALTER TABLE decoder ADD COLUMN clock_read_ms INTEGER;
