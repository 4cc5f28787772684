-- Setup edits made at any station travel to every copy of the event as
-- facts do: one append-only row per edit, naming the race or entrant by
-- its uid (the same in every copy) and holding only the fields the edit
-- set. Every copy applies them field by field, the latest edit of a field
-- winning (by captured_ms, then id), so copies that hold the same rows
-- agree whatever order the rows came in. The audit trail names the
-- station each change was made at.
CREATE TABLE setup_change (
    id          TEXT PRIMARY KEY,       -- UUID v7
    entity      TEXT NOT NULL CHECK (entity IN ('event', 'race', 'entrant')),
    target      TEXT NOT NULL,          -- uid (hex) of the race or entrant; the event's uid
    action      TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete')),
    fields      TEXT NOT NULL CHECK (json_valid(fields) AND json_type(fields) = 'object'),
    station     TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    operator    TEXT NOT NULL,
    captured_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX setup_change_target ON setup_change (target, captured_ms, id);
CREATE INDEX setup_change_station ON setup_change (station, seq);
CREATE TRIGGER setup_change_no_update BEFORE UPDATE ON setup_change
BEGIN SELECT RAISE(ABORT, 'setup changes are append-only: record a new change instead'); END;
CREATE TRIGGER setup_change_no_delete BEFORE DELETE ON setup_change
BEGIN SELECT RAISE(ABORT, 'setup changes are append-only: record a new change instead'); END;

ALTER TABLE audit ADD COLUMN station TEXT;
