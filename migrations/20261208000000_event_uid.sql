-- An event's identity, the same in every copy of it: stations that share
-- an event (a joined copy, a merge from a stick) refuse rows of another.
-- A new event gets 16 random bytes; a file made before this has none
-- (NULL), and is then known by its name, race day and time zone, which
-- every copy made before the upgrade shares.
ALTER TABLE event ADD COLUMN uid BLOB CHECK (uid IS NULL OR length(uid) = 16);
