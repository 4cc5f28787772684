-- Chip decoders this station reads, and every read as it came, before
-- anything is made of it. A read is kept once (read_key: the decoder, the
-- chip and the instant), however often it arrives: a MYLAPS message sent
-- again, an Ultra rewind, a RACE RESULT gap fetched again, the decoder's
-- file imported after its live reads. The first read of a chip at a point
-- within the point's re-read window makes a passing (its id in `passing`);
-- the others are kept and make none.
CREATE TABLE decoder (
    name        TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    -- host:port we connect to; NULL when the decoder connects to us.
    address     TEXT,
    -- The port we listen on when it connects to us.
    port        INTEGER,
    point       TEXT NOT NULL,
    window_ms   INTEGER NOT NULL DEFAULT 3000 CHECK (window_ms >= 0),
    -- The tag is the bib's number (no chip column in the roster).
    bib_as_chip INTEGER NOT NULL DEFAULT 0,
    added_ms    INTEGER NOT NULL
) STRICT;

CREATE TABLE chip_read (
    id          TEXT PRIMARY KEY,
    decoder     TEXT NOT NULL,
    read_key    TEXT NOT NULL UNIQUE,
    -- The decoder's own number for the read, where its protocol has one.
    seq         INTEGER,
    chip        TEXT NOT NULL,
    -- The time as the decoder said it.
    reader_time TEXT NOT NULL,
    at_ms       INTEGER NOT NULL,
    -- This laptop's clock when the read arrived.
    arrived_ms  INTEGER NOT NULL,
    antenna     TEXT,
    rssi        TEXT,
    point       TEXT NOT NULL,
    passing     TEXT
) STRICT;
CREATE INDEX chip_read_chip ON chip_read (chip, point, at_ms);
CREATE INDEX chip_read_decoder ON chip_read (decoder, arrived_ms);
