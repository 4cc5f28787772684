-- A runner registered at another station (a walk-up) whose bib or chip a
-- different runner holds here: the same bib typed at two offline desks.
-- Kept whole, never dropped, until the director gives the runner another
-- bib (resolved_ms) and the runner is added.
CREATE TABLE entrant_conflict (
    uid         BLOB PRIMARY KEY,
    bib         TEXT NOT NULL,
    row         TEXT NOT NULL,        -- the entrant as it travelled (sync::facts)
    found_ms    INTEGER NOT NULL,
    resolved_ms INTEGER
) STRICT;
