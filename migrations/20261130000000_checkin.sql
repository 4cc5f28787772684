-- Check-in desk.
--
-- Entrants get a stable key, `uid`, that survives a bib change and that
-- stations sharing an event will use to merge their rows. SQLite cannot
-- add a column with an expression default, so the table is rebuilt
-- (nothing references it yet). The key is 16 bytes (a UUID v7 from
-- racedesk, random otherwise), so it is unique without an index: nothing
-- looks an entrant up by it yet, and an index (or the key as 32 hex
-- characters) costs a 100,000-row import a tenth of its time.
CREATE TABLE entrant_new (
    id                INTEGER PRIMARY KEY,
    uid               BLOB NOT NULL DEFAULT (randomblob(16)),
    bib               TEXT NOT NULL UNIQUE,
    race_id           INTEGER NOT NULL REFERENCES race (id),
    given_name        TEXT NOT NULL,
    family_name       TEXT NOT NULL,
    native_name       TEXT,
    gender            TEXT NOT NULL CHECK (gender IN ('F', 'M', 'X')),
    birth_date        TEXT,
    age               INTEGER,
    nationality       TEXT,
    city              TEXT,
    team              TEXT,
    chip              TEXT UNIQUE,
    phone             TEXT,
    emergency_contact TEXT,
    medical_note      TEXT,
    extra             TEXT NOT NULL DEFAULT '{}',
    CHECK (given_name <> '' OR family_name <> '' OR native_name <> '')
) STRICT;

INSERT INTO entrant_new (id, bib, race_id, given_name, family_name, native_name, gender,
    birth_date, age, nationality, city, team, chip, phone, emergency_contact, medical_note, extra)
SELECT id, bib, race_id, given_name, family_name, native_name, gender,
    birth_date, age, nationality, city, team, chip, phone, emergency_contact, medical_note, extra
FROM entrant;

DROP TABLE entrant;
ALTER TABLE entrant_new RENAME TO entrant;
CREATE INDEX entrant_race ON entrant (race_id);
CREATE INDEX entrant_team ON entrant (team);

-- Why a change was made, where the person said (a runner moved to
-- another race at the desk).
ALTER TABLE audit ADD COLUMN reason TEXT;

-- Check-ins and their undos: captured facts, append-only. Who is checked
-- in is the latest row of each entrant (by id: UUID v7 orders by time).
CREATE TABLE checkin (
    id          TEXT PRIMARY KEY,       -- UUID v7
    entrant_uid BLOB NOT NULL,          -- entrant.uid
    action      TEXT NOT NULL CHECK (action IN ('in', 'undo')),
    undoes      TEXT REFERENCES checkin (id),  -- for an undo: the check-in it takes back
    station     TEXT NOT NULL,          -- the running copy of racedesk that captured it
    seq         INTEGER NOT NULL,       -- that station's own sequence number
    desk        TEXT NOT NULL,          -- the desk's name, as volunteers call it
    operator    TEXT NOT NULL,
    at_ms       INTEGER NOT NULL,       -- Unix epoch milliseconds, UTC
    note        TEXT,
    CHECK ((action = 'undo') = (undoes IS NOT NULL))
) STRICT;

CREATE INDEX checkin_entrant ON checkin (entrant_uid, id);
CREATE INDEX checkin_station ON checkin (station, seq);

-- Captured facts are never changed or removed.
CREATE TRIGGER checkin_no_update BEFORE UPDATE ON checkin
BEGIN SELECT RAISE(ABORT, 'check-ins are append-only: record an undo instead'); END;
CREATE TRIGGER checkin_no_delete BEFORE DELETE ON checkin
BEGIN SELECT RAISE(ABORT, 'check-ins are append-only: record an undo instead'); END;
