-- Employment dates (入职, 离职): the first and the last working day of an
-- employee, YYYY-MM-DD in the employee's zone, both inclusive; '' leaves
-- that side open. Kept as the text the organisation file wrote, like shift
-- dates, so a date compares as text and never moves with a zone. Every
-- employee stored before has neither.
ALTER TABLE employees
    ADD COLUMN joined_on text NOT NULL DEFAULT '' CHECK (joined_on = '' OR joined_on ~ '^\d{4}-\d{2}-\d{2}$'),
    ADD COLUMN left_on text NOT NULL DEFAULT '' CHECK (left_on = '' OR left_on ~ '^\d{4}-\d{2}-\d{2}$'),
    ADD CONSTRAINT employees_employment_check CHECK (joined_on = '' OR left_on = '' OR left_on >= joined_on);
