-- Punch modes and clock-out confirmation per schedule (issue 15).
-- punch_mode: standard (the first clock-in and the last clock-out count) or
-- strict (one clock-in, then one clock-out). confirm_within_min: a clock-out
-- this soon after the clock-in, or an early leave beyond grace, waits for
-- the user's confirmation; 0 is off. Schedules stored before keep their
-- behaviour (standard, no confirmation) until the org file is applied
-- again, where a missing confirm_within_min means 10.
ALTER TABLE schedules
    ADD COLUMN punch_mode text NOT NULL DEFAULT 'standard' CHECK (punch_mode IN ('standard', 'strict')),
    ADD COLUMN confirm_within_min integer NOT NULL DEFAULT 0 CHECK (confirm_within_min BETWEEN 0 AND 1440);
