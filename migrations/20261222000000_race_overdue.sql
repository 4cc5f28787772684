-- How late at their next point (against their own pace) a runner of the
-- race is marked overdue on the still-on-the-course list; NULL: 15 min.
ALTER TABLE race ADD COLUMN overdue_ms INTEGER CHECK (overdue_ms > 0);
