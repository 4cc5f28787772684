-- How a race is scored: by gun time (the default) or by each runner's net
-- time, and an optional cutoff past which a finish is not ranked.
ALTER TABLE race ADD COLUMN net_time INTEGER NOT NULL DEFAULT 0 CHECK (net_time IN (0, 1));
ALTER TABLE race ADD COLUMN cutoff_ms INTEGER CHECK (cutoff_ms > 0);
