-- Walk-up bibs per desk: the director gives each station a block of a
-- race's free bibs, so two desks registering walk-ups offline never hand
-- out the same bib. A JSON object of station id -> bib ranges (canonical
-- BibRanges text); it travels with the race as a setup edit.
ALTER TABLE race ADD COLUMN blocks TEXT NOT NULL DEFAULT '{}'
    CHECK (json_valid(blocks) AND json_type(blocks) = 'object');
