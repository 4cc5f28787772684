-- Start waves: a race may start in several waves (elite, A, B, ...), each
-- with its own gun time once timing starts. Setup data, audited with the race.
CREATE TABLE wave (
    id          INTEGER PRIMARY KEY,
    race_id     INTEGER NOT NULL REFERENCES race (id) ON DELETE CASCADE,
    name        TEXT NOT NULL CHECK (name <> ''),
    position    INTEGER NOT NULL,
    UNIQUE (race_id, name)
) STRICT;
