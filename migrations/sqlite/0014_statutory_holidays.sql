-- A calendar holiday can be a statutory holiday (法定节假日, 《全国年节及
-- 纪念日放假办法》 第二条), whose overtime 劳动法 第四十四条 pays at 300%;
-- the other days off of a holiday block are weekends moved by 调休 (200%).
-- Only a holiday (workday = 0) can be statutory. Days stored before are
-- not statutory, and a calendar year that marks no day statutory counts
-- every holiday at 300% as before (core.OvertimeKind).
ALTER TABLE calendar_days ADD COLUMN statutory INTEGER NOT NULL DEFAULT 0 CHECK (statutory IN (0, 1) AND NOT (statutory = 1 AND workday = 1));
