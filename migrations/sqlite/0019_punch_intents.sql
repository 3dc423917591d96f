-- A text punch waiting for its location (上班 typed without one): the next
-- location its sender shares or their platform reports completes it. Kept
-- here rather than in process so that the location's punch reads it in its
-- transaction and deletes it in the same commit as the punch it becomes.
-- One row per employee; a row past expires_at (microseconds since the
-- epoch) is ignored and replaced by the next one.
CREATE TABLE punch_intents (
    employee_id TEXT PRIMARY KEY,
    platform    TEXT NOT NULL,
    tenant      TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('', 'in', 'out')), -- '': 打卡, decided by context
    armed_at    INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) STRICT;
