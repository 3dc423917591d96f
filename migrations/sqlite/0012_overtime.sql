-- Overtime (加班) rule per schedule. overtime_mode: off (default), punch
-- (the punched span counts), approval (the approved overtime requests) or
-- both (their intersection); on a working day only the part after the
-- shift's end plus overtime_starts_after_min counts, on a rest day or
-- holiday all of it. A day's overtime below overtime_min_min is 0; the rest
-- is rounded down to whole overtime_unit_min. Schedules stored before have
-- overtime off with the org file's defaults (30, 30, 30).
ALTER TABLE schedules ADD COLUMN overtime_mode TEXT NOT NULL DEFAULT 'off';
ALTER TABLE schedules ADD COLUMN overtime_starts_after_min INTEGER NOT NULL DEFAULT 30;
ALTER TABLE schedules ADD COLUMN overtime_min_min INTEGER NOT NULL DEFAULT 30;
ALTER TABLE schedules ADD COLUMN overtime_unit_min INTEGER NOT NULL DEFAULT 30;
