-- Whether the app was reading the decoder when it last ran: a laptop that
-- restarts (a flat battery, an update) reads it again by itself.
ALTER TABLE decoder ADD COLUMN reading INTEGER NOT NULL DEFAULT 0;
