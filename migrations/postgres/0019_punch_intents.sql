-- A text punch waiting for its location (上班 typed without one): the next
-- location its sender shares or their platform reports completes it. Kept
-- here rather than in Redis so that the location's punch reads it under the
-- employee's lock in the round trip it already makes, and deletes it in the
-- same commit as the punch it becomes. One row per employee; a row past
-- expires_at is ignored and replaced by the next one.
CREATE TABLE punch_intents (
    employee_id text PRIMARY KEY,
    platform    text NOT NULL,
    tenant      text NOT NULL,
    user_id     text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('', 'in', 'out')), -- '': 打卡, decided by context
    armed_at    timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);
