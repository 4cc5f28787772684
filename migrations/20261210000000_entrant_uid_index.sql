-- An entrant is the same runner in every copy of the event by their uid:
-- merging another station's entrants (a walk-up registered there) looks
-- them up by it, and no two entrants may share one.
CREATE UNIQUE INDEX entrant_uid ON entrant (uid);
