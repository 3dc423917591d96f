-- Reports, the console and privacy controls (issue 8).

-- The last applied organisation file's own settings: its name, the language
-- of report headers and the default zone. Exactly one row.
CREATE TABLE org_info (
    id        integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    name      text NOT NULL DEFAULT '',
    lang      text NOT NULL DEFAULT '',
    time_zone text NOT NULL DEFAULT ''
);

-- One row per day the retention job started: claiming the day is what makes
-- the daily job run once, whichever replica gets there first.
CREATE TABLE retention_runs (
    day        text PRIMARY KEY,
    claimed_at timestamptz NOT NULL
);

-- Reports read a range of shift dates for everyone at once, grouped by
-- employee (byte order, so that every store streams in the same order).
CREATE INDEX punches_shift_date_idx ON punches (shift_date, employee_id COLLATE "C");

-- Punches that still carry a precise position, label or client address, by
-- time: the retention job reads this index, and a reduced punch leaves it.
CREATE INDEX punches_precise_idx ON punches (at) WHERE has_location OR label <> '' OR client_ip <> '';

-- The console's audit log filtered by who acted.
CREATE INDEX audit_actor_idx ON audit (actor, id);
