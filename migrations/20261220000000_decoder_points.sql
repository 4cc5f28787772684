-- Which read of a chip in a point's re-read window counts: the first (a
-- finish mat: the runner crossed when first read) or, with last_read, the
-- last (a start mat some timers score on the runner leaving it).
ALTER TABLE decoder ADD COLUMN last_read INTEGER NOT NULL DEFAULT 0;
-- Antennas or locations of the decoder at other points than its own, as
-- the timer wrote them: "1=start, 2=finish" (one decoder with a mat at the
-- start and one at the finish of a stadium race).
ALTER TABLE decoder ADD COLUMN points TEXT;
-- The location a read names (ChronoTrack's), beside its antenna.
ALTER TABLE chip_read ADD COLUMN location TEXT;
