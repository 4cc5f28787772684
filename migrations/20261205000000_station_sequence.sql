-- One sequence per station over every fact it captured: check-ins and
-- their undos, starts and start undos, passings, corrections, statuses,
-- crossings. (station, seq) is then one cursor over what a station
-- captured, which is what sharing an event between stations pages by.
-- The next number is the largest over all those tables, so each table is
-- indexed by (station, seq); these four were not.
CREATE INDEX correction_station ON correction (station, seq);
CREATE INDEX race_start_station ON race_start (station, seq);
CREATE INDEX runner_status_station ON runner_status (station, seq);
CREATE INDEX start_undo_station ON start_undo (station, seq);
