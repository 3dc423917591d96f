-- Overtime before the shift (上班前加班): on a working day the time punched
-- (or approved) earlier than the start less overtime_before_start_min
-- counts as overtime too, added to the day's total before the minimum and
-- the rounding. 0, the default, is off, so schedules stored before count
-- what they counted.
ALTER TABLE schedules
    ADD COLUMN overtime_before_start_min integer NOT NULL DEFAULT 0 CHECK (overtime_before_start_min BETWEEN 0 AND 1440);
