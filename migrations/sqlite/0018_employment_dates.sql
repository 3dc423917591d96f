-- Employment dates (入职, 离职): the first and the last working day of an
-- employee, YYYY-MM-DD in the employee's zone, both inclusive; '' leaves
-- that side open. Kept as the text the organisation file wrote, like shift
-- dates, so a date compares as text and never moves with a zone. Every
-- employee stored before has neither. (SQLite cannot add a table
-- constraint to an existing table; core's Prepare checks the order.)
ALTER TABLE employees ADD COLUMN joined_on TEXT NOT NULL DEFAULT '' CHECK (joined_on = '' OR joined_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]');
ALTER TABLE employees ADD COLUMN left_on TEXT NOT NULL DEFAULT '' CHECK (left_on = '' OR left_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]');
