-- Checkpoints on a race's route, each with its distance from the start, so
-- splits and paces can be computed. Setup data, audited with the race.
CREATE TABLE checkpoint (
    race_id     INTEGER NOT NULL REFERENCES race (id) ON DELETE CASCADE,
    point       TEXT NOT NULL CHECK (point <> ''),   -- the timing point's name, lower case
    distance_m  INTEGER NOT NULL CHECK (distance_m > 0),
    PRIMARY KEY (race_id, point)
) STRICT;

-- Two operators at a timing point: one taps times, the other types the bibs
-- in crossing order. Each row here is one bib in that order ('bib'; a NULL
-- bib is a runner whose bib nobody caught), or takes one out ('drop').
-- `ord` places a row: appended rows count up, a row inserted between two
-- takes the midpoint. The n-th bib is matched with the n-th time, by query.
CREATE TABLE crossing (
    id          TEXT PRIMARY KEY,
    point       TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('bib', 'drop')),
    ord         REAL,
    bib         TEXT,
    drops       TEXT REFERENCES crossing (id),
    reason      TEXT,
    station     TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    operator    TEXT NOT NULL,
    captured_ms INTEGER NOT NULL,
    CHECK (kind <> 'bib' OR ord IS NOT NULL),
    CHECK (kind <> 'drop' OR (drops IS NOT NULL AND reason IS NOT NULL))
) STRICT;
CREATE INDEX crossing_point ON crossing (point, ord);
CREATE INDEX crossing_station ON crossing (station, seq);
CREATE INDEX crossing_drops ON crossing (drops);

CREATE TRIGGER crossing_no_update BEFORE UPDATE ON crossing
BEGIN SELECT RAISE(ABORT, 'the crossing order is append-only: drop or insert instead'); END;
CREATE TRIGGER crossing_no_delete BEFORE DELETE ON crossing
BEGIN SELECT RAISE(ABORT, 'the crossing order is append-only: drop or insert instead'); END;
