-- The course records the announcer calls out when a finisher beats one:
-- `2:05:30` for everyone, or per gender, `M=2:05:30, F=2:23:00`; NULL
-- for none.
ALTER TABLE race ADD COLUMN records TEXT;
