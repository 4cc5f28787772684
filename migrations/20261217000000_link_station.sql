-- The station id this copy joined its hub as. Whoever writes in the copy
-- (the app, the CLI) writes as that station, so the hub knows its rows
-- and its credential; none for a copy joined before this was kept.
ALTER TABLE sync_link ADD COLUMN station TEXT;
