-- One approval engine (issue 15): make-up, field-punch, leave, business
-- trip and outing requests share makeup_requests. type says which; a field
-- request names its pending punch; leave, trips and outings cover the
-- period [start_at, end_at) (a field request's period is its punch time).
ALTER TABLE makeup_requests
    ADD COLUMN type text NOT NULL DEFAULT 'makeup',
    ADD COLUMN field_punch_id bigint NOT NULL DEFAULT 0,
    ADD COLUMN leave_type text NOT NULL DEFAULT '',
    ADD COLUMN start_at timestamptz,
    ADD COLUMN end_at timestamptz,
    ADD COLUMN place text NOT NULL DEFAULT '';
-- Reports and overlap checks read the periods touching a range.
CREATE INDEX makeup_requests_period_idx ON makeup_requests (start_at) WHERE start_at IS NOT NULL;
CREATE INDEX makeup_requests_employee_period_idx ON makeup_requests (employee_id, start_at) WHERE start_at IS NOT NULL;

-- The leave types of the organisation file, in file order.
CREATE TABLE leave_types (
    id                text PRIMARY KEY,
    position          integer NOT NULL,
    name              text NOT NULL,
    annual_quota_days double precision NOT NULL DEFAULT 0,
    paid              boolean NOT NULL DEFAULT false
);
