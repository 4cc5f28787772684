-- A start taken back at the start line (a gun pressed by mistake, on the
-- wrong race): the race or wave has no start again until the next one,
-- which replaces it without a reason. Append-only like every captured fact;
-- the start it takes back stays on file.
CREATE TABLE start_undo (
    id          TEXT PRIMARY KEY,
    start       TEXT NOT NULL UNIQUE REFERENCES race_start (id),
    reason      TEXT NOT NULL,
    station     TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    operator    TEXT NOT NULL,
    captured_ms INTEGER NOT NULL
) STRICT;

CREATE TRIGGER start_undo_no_update BEFORE UPDATE ON start_undo
BEGIN SELECT RAISE(ABORT, 'undos are append-only: record a new start instead'); END;
CREATE TRIGGER start_undo_no_delete BEFORE DELETE ON start_undo
BEGIN SELECT RAISE(ABORT, 'undos are append-only: record a new start instead'); END;
