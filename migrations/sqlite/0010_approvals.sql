-- One approval engine (issue 15): make-up, field-punch, leave, business
-- trip and outing requests share makeup_requests. type says which; a field
-- request names its pending punch; leave, trips and outings cover the
-- period [start_at, end_at) (a field request's period is its punch time).
ALTER TABLE makeup_requests ADD COLUMN type TEXT NOT NULL DEFAULT 'makeup';
ALTER TABLE makeup_requests ADD COLUMN field_punch_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE makeup_requests ADD COLUMN leave_type TEXT NOT NULL DEFAULT '';
ALTER TABLE makeup_requests ADD COLUMN start_at INTEGER;
ALTER TABLE makeup_requests ADD COLUMN end_at INTEGER;
ALTER TABLE makeup_requests ADD COLUMN place TEXT NOT NULL DEFAULT '';
-- Reports and overlap checks read the periods touching a range.
CREATE INDEX makeup_requests_period_idx ON makeup_requests (start_at) WHERE start_at IS NOT NULL;
CREATE INDEX makeup_requests_employee_period_idx ON makeup_requests (employee_id, start_at) WHERE start_at IS NOT NULL;

-- The leave types of the organisation file, in file order.
CREATE TABLE leave_types (
    id                TEXT PRIMARY KEY,
    position          INTEGER NOT NULL,
    name              TEXT NOT NULL,
    annual_quota_days REAL NOT NULL DEFAULT 0,
    paid              INTEGER NOT NULL DEFAULT 0
) STRICT;
