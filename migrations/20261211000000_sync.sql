-- Sharing the event on the venue's network (src/sync).

-- A hub's own identity: its certificate and key (made once, so stations
-- trust it again after a restart), its epoch (a new hub is a new epoch:
-- stations bring it everything), and the secret of the join code shown
-- now (new each time sharing is turned on, so an old code is refused).
-- Never copied to a station: the copy a station joins with leaves it out.
CREATE TABLE hub_identity (
    one         INTEGER PRIMARY KEY CHECK (one = 1),
    cert        BLOB NOT NULL,
    key         BLOB NOT NULL,
    epoch       TEXT NOT NULL,
    secret      BLOB NOT NULL,
    created_ms  INTEGER NOT NULL
) STRICT;

-- The stations that joined this hub, and what the hub last heard of each.
CREATE TABLE sync_station (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    credential   BLOB NOT NULL,        -- SHA-256 of the station's credential
    version      TEXT NOT NULL,
    joined_ms    INTEGER NOT NULL,
    removed_ms   INTEGER,              -- the director removed it: refused since
    last_seen_ms INTEGER,
    offset_ms    INTEGER,              -- the station's clock minus the hub's
    waiting      INTEGER NOT NULL DEFAULT 0,
    address      TEXT
) STRICT;

-- A station's link to its hub: where it is, how to prove who we are, how
-- far we pulled its facts and how far it confirmed ours (cursors: a JSON
-- array of the last rowid per fact table, then entrants).
CREATE TABLE sync_link (
    one          INTEGER PRIMARY KEY CHECK (one = 1),
    address      TEXT NOT NULL,
    code         TEXT NOT NULL,
    credential   TEXT NOT NULL,
    epoch        TEXT NOT NULL,
    pulled       TEXT NOT NULL DEFAULT '[]',
    confirmed    TEXT NOT NULL DEFAULT '[]',
    last_heard_ms INTEGER,
    offset_ms    INTEGER,
    error        TEXT
) STRICT;
