-- Reports, the console and privacy controls (issue 8).

-- The last applied organisation file's own settings: its name, the language
-- of report headers and the default zone. Exactly one row.
CREATE TABLE org_info (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    name      TEXT NOT NULL DEFAULT '',
    lang      TEXT NOT NULL DEFAULT '',
    time_zone TEXT NOT NULL DEFAULT ''
) STRICT;

-- One row per day the retention job started: claiming the day is what makes
-- the daily job run once, whichever process gets there first.
CREATE TABLE retention_runs (
    day        TEXT PRIMARY KEY,
    claimed_at INTEGER NOT NULL
) STRICT;

-- Reports read a range of shift dates for everyone at once.
CREATE INDEX punches_shift_date_idx ON punches (shift_date, employee_id);

-- Punches that still carry a precise position, label or client address, by
-- time: the retention job reads this index, and a reduced punch leaves it.
CREATE INDEX punches_precise_idx ON punches (at) WHERE has_location = 1 OR label <> '' OR client_ip <> '';

-- The console's audit log filtered by who acted.
CREATE INDEX audit_actor_idx ON audit (actor, id);
