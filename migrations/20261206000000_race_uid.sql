-- Rows ready to travel between copies of an event: a race gets a uid that
-- means the same race in every copy (its code can change, its integer id
-- is this file's), and a start names its race by that uid.
--
-- Both tables are rebuilt (SQLite cannot add a column with an expression
-- default, nor drop one a foreign key uses). racedesk runs migrations with
-- foreign keys off, as SQLite's own procedure for this says, and checks
-- every foreign key afterwards; rowids are kept, so the file's marks and
-- the order of rows do not move.

CREATE TABLE race_new (
    id          INTEGER PRIMARY KEY,
    uid         BLOB NOT NULL UNIQUE DEFAULT (randomblob(16)),  -- 16 bytes, the same in every copy
    code        TEXT NOT NULL UNIQUE,   -- RaceCode: MAR, HALF, 10K
    name        TEXT NOT NULL CHECK (name <> ''),
    distance_m  INTEGER NOT NULL CHECK (distance_m > 0),
    age_groups  TEXT NOT NULL,          -- AgeGroups in its canonical text form
    bibs        TEXT,                   -- BibRanges in canonical form, or NULL for any bib
    net_time    INTEGER NOT NULL DEFAULT 0 CHECK (net_time IN (0, 1)),
    cutoff_ms   INTEGER CHECK (cutoff_ms > 0)
) STRICT;
INSERT INTO race_new (id, code, name, distance_m, age_groups, bibs, net_time, cutoff_ms)
SELECT id, code, name, distance_m, age_groups, bibs, net_time, cutoff_ms FROM race;
DROP TABLE race;
ALTER TABLE race_new RENAME TO race;

CREATE TABLE race_start_new (
    id          TEXT PRIMARY KEY,
    race_uid    BLOB NOT NULL REFERENCES race (uid),
    wave        TEXT NOT NULL DEFAULT '',   -- '' for the whole race
    at_ms       INTEGER NOT NULL,           -- the gun, Unix epoch ms
    source      TEXT NOT NULL CHECK (source IN ('gun', 'entered')),
    replaces    TEXT REFERENCES race_start (id),
    reason      TEXT,
    station     TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    operator    TEXT NOT NULL,
    captured_ms INTEGER NOT NULL
) STRICT;
INSERT INTO race_start_new (rowid, id, race_uid, wave, at_ms, source, replaces, reason, station,
    seq, operator, captured_ms)
SELECT s.rowid, s.id, r.uid, s.wave, s.at_ms, s.source, s.replaces, s.reason, s.station,
    s.seq, s.operator, s.captured_ms
FROM race_start s JOIN race r ON r.id = s.race_id
ORDER BY s.rowid;
DROP TABLE race_start;
ALTER TABLE race_start_new RENAME TO race_start;

CREATE INDEX race_start_race ON race_start (race_uid, wave, id);
CREATE INDEX race_start_station ON race_start (station, seq);
CREATE TRIGGER race_start_no_update BEFORE UPDATE ON race_start
BEGIN SELECT RAISE(ABORT, 'starts are append-only: record a new start instead'); END;
CREATE TRIGGER race_start_no_delete BEFORE DELETE ON race_start
BEGIN SELECT RAISE(ABORT, 'starts are append-only: record a new start instead'); END;
