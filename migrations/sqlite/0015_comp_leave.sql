-- Time off in lieu of overtime (调休假, core/comptime.go): a leave type
-- whose from_overtime lists overtime kinds ("rest_day,holiday", comma
-- separated; '' for an ordinary type) keeps no yearly quota; its balance is
-- the overtime of those kinds earned in the last expire_days days (0:
-- never lapses). Types stored before are ordinary.
ALTER TABLE leave_types ADD COLUMN from_overtime TEXT NOT NULL DEFAULT '';
ALTER TABLE leave_types ADD COLUMN expire_days INTEGER NOT NULL DEFAULT 0 CHECK (expire_days >= 0);
