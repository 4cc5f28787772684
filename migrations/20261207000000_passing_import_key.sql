-- A tap or a typed bib has no import key, yet every one of them was
-- written into the import key's unique index as a NULL: a page more in each
-- capture's commit. The key is now unique only where there is one (a
-- partial index), so a capture writes one index fewer. The table is rebuilt
-- (a UNIQUE column constraint cannot be dropped); rowids are kept.

CREATE TABLE passing_new (
    id          TEXT PRIMARY KEY,
    point       TEXT NOT NULL,
    at_ms       INTEGER NOT NULL,
    bib         TEXT,
    chip        TEXT,
    source      TEXT NOT NULL CHECK (source IN ('tap', 'bib', 'chip', 'import', 'manual')),
    -- For reads imported from a file: what makes the row the same read
    -- when the file is imported again.
    import_key  TEXT,
    station     TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    operator    TEXT NOT NULL,
    captured_ms INTEGER NOT NULL
) STRICT;
INSERT INTO passing_new (rowid, id, point, at_ms, bib, chip, source, import_key, station, seq,
    operator, captured_ms)
SELECT rowid, id, point, at_ms, bib, chip, source, import_key, station, seq, operator, captured_ms
FROM passing ORDER BY rowid;
DROP TABLE passing;
ALTER TABLE passing_new RENAME TO passing;

CREATE UNIQUE INDEX passing_import_key ON passing (import_key) WHERE import_key IS NOT NULL;
CREATE INDEX passing_point ON passing (point, at_ms);
CREATE INDEX passing_station ON passing (station, seq);
CREATE TRIGGER passing_no_update BEFORE UPDATE ON passing
BEGIN SELECT RAISE(ABORT, 'captures are append-only: record a correction instead'); END;
CREATE TRIGGER passing_no_delete BEFORE DELETE ON passing
BEGIN SELECT RAISE(ABORT, 'captures are append-only: record a correction instead'); END;
