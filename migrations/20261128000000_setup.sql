-- Setup data: the event, its races and its entrants. Edited in place; every
-- change writes a row to `audit` in the same transaction.

-- The one event this file holds.
CREATE TABLE event (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    name        TEXT NOT NULL CHECK (name <> ''),
    date        TEXT NOT NULL,          -- race day, YYYY-MM-DD, in time_zone
    time_zone   TEXT NOT NULL,          -- IANA name, such as Asia/Pyongyang
    place       TEXT
) STRICT;

CREATE TABLE race (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,   -- RaceCode: MAR, HALF, 10K
    name        TEXT NOT NULL CHECK (name <> ''),
    distance_m  INTEGER NOT NULL CHECK (distance_m > 0),
    age_groups  TEXT NOT NULL,          -- AgeGroups in its canonical text form
    bibs        TEXT                    -- BibRanges in canonical form, or NULL for any bib
) STRICT;

CREATE TABLE entrant (
    id                INTEGER PRIMARY KEY,
    bib               TEXT NOT NULL UNIQUE,   -- Bib, canonical (no leading zeros)
    race_id           INTEGER NOT NULL REFERENCES race (id),
    given_name        TEXT NOT NULL,
    family_name       TEXT NOT NULL,
    native_name       TEXT,                   -- the name in its own script (Hangul, Hanzi, ...)
    gender            TEXT NOT NULL CHECK (gender IN ('F', 'M', 'X')),
    birth_date        TEXT,                   -- YYYY-MM-DD
    age               INTEGER,                -- age on race day when no birth date is known
    nationality       TEXT,                   -- ISO 3166-1 alpha-3
    city              TEXT,
    team              TEXT,                   -- tour group, club or team
    chip              TEXT UNIQUE,
    phone             TEXT,
    emergency_contact TEXT,
    medical_note      TEXT,
    extra             TEXT NOT NULL DEFAULT '{}',  -- JSON object of free fields
    CHECK (given_name <> '' OR family_name <> '' OR native_name <> '')
) STRICT;

CREATE INDEX entrant_race ON entrant (race_id);
CREATE INDEX entrant_team ON entrant (team);

-- One row per change to setup data: what, old, new, when, who.
CREATE TABLE audit (
    id          INTEGER PRIMARY KEY,
    at_ms       INTEGER NOT NULL,       -- Unix epoch milliseconds, UTC
    operator    TEXT NOT NULL,
    entity      TEXT NOT NULL,          -- event, race, entrant
    entity_key  TEXT NOT NULL,          -- race code, bib
    action      TEXT NOT NULL,          -- create, update, delete
    old         TEXT,                   -- JSON, NULL on create
    new         TEXT                    -- JSON, NULL on delete
) STRICT;
