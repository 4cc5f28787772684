-- Finish-line timing: race starts, passings at timing points, corrections
-- and runner statuses. All are captured facts: append-only rows with a
-- UUID v7 id, the station and its own sequence number, the operator and
-- the wall-clock time of capture. The current state is derived by queries.

-- A race's (or a wave's) start: the gun pressed on screen, or a gun time
-- entered afterwards; a later row for the same race and wave replaces it.
CREATE TABLE race_start (
    id          TEXT PRIMARY KEY,
    race_id     INTEGER NOT NULL REFERENCES race (id),
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
CREATE INDEX race_start_race ON race_start (race_id, wave, id);

-- A runner (or an unknown one) passing a timing point: 'start', 'finish'
-- or a checkpoint's name. A tap has no bib; a chip read has a chip.
CREATE TABLE passing (
    id          TEXT PRIMARY KEY,
    point       TEXT NOT NULL,
    at_ms       INTEGER NOT NULL,
    bib         TEXT,
    chip        TEXT,
    source      TEXT NOT NULL CHECK (source IN ('tap', 'bib', 'chip', 'import', 'manual')),
    -- For reads imported from a file: what makes the row the same read
    -- when the file is imported again.
    import_key  TEXT UNIQUE,
    station     TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    operator    TEXT NOT NULL,
    captured_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX passing_point ON passing (point, at_ms);
CREATE INDEX passing_station ON passing (station, seq);

-- A correction of a passing: give or change its bib, change its time, or
-- void it. The latest correction of each kind wins.
CREATE TABLE correction (
    id          TEXT PRIMARY KEY,
    passing     TEXT NOT NULL REFERENCES passing (id),
    kind        TEXT NOT NULL CHECK (kind IN ('bib', 'time', 'void')),
    bib         TEXT,
    at_ms       INTEGER,
    reason      TEXT,
    station     TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    operator    TEXT NOT NULL,
    captured_ms INTEGER NOT NULL,
    CHECK (kind <> 'bib' OR bib IS NOT NULL),
    CHECK (kind <> 'time' OR at_ms IS NOT NULL)
) STRICT;
CREATE INDEX correction_passing ON correction (passing, kind, id);

-- DNS, DNF or DQ for a runner (by bib), with the reason; 'ok' takes the
-- last one back.
CREATE TABLE runner_status (
    id          TEXT PRIMARY KEY,
    bib         TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('DNS', 'DNF', 'DQ', 'ok')),
    reason      TEXT,
    station     TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    operator    TEXT NOT NULL,
    captured_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX runner_status_bib ON runner_status (bib, id);

CREATE TRIGGER race_start_no_update BEFORE UPDATE ON race_start
BEGIN SELECT RAISE(ABORT, 'starts are append-only: record a new start instead'); END;
CREATE TRIGGER race_start_no_delete BEFORE DELETE ON race_start
BEGIN SELECT RAISE(ABORT, 'starts are append-only: record a new start instead'); END;
CREATE TRIGGER passing_no_update BEFORE UPDATE ON passing
BEGIN SELECT RAISE(ABORT, 'captures are append-only: record a correction instead'); END;
CREATE TRIGGER passing_no_delete BEFORE DELETE ON passing
BEGIN SELECT RAISE(ABORT, 'captures are append-only: record a correction instead'); END;
CREATE TRIGGER correction_no_update BEFORE UPDATE ON correction
BEGIN SELECT RAISE(ABORT, 'corrections are append-only: record another correction'); END;
CREATE TRIGGER correction_no_delete BEFORE DELETE ON correction
BEGIN SELECT RAISE(ABORT, 'corrections are append-only: record another correction'); END;
CREATE TRIGGER runner_status_no_update BEFORE UPDATE ON runner_status
BEGIN SELECT RAISE(ABORT, 'statuses are append-only: record a new status'); END;
CREATE TRIGGER runner_status_no_delete BEFORE DELETE ON runner_status
BEGIN SELECT RAISE(ABORT, 'statuses are append-only: record a new status'); END;
