-- Several desks share an event: a runner checked in at two desks has two
-- check-ins, and an undo takes back the one it names, not the runner's
-- latest row. Who is checked in is then "has a check-in no undo names",
-- which needs undos found by the check-in they name.
CREATE INDEX checkin_undoes ON checkin (undoes) WHERE undoes IS NOT NULL;
