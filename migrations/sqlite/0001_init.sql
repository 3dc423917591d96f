-- punchbot schema, SQLite. Instants are INTEGER microseconds since the Unix
-- epoch in UTC (the precision PostgreSQL keeps, so both stores round-trip
-- the same values); NULL is the zero time. Lists are JSON text. Local dates
-- such as shift dates are 'YYYY-MM-DD' text.

CREATE TABLE employees (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    lang        TEXT NOT NULL DEFAULT '',
    time_zone   TEXT NOT NULL DEFAULT '',
    manager_id  TEXT NOT NULL DEFAULT '',
    department  TEXT NOT NULL DEFAULT '',
    role        TEXT NOT NULL DEFAULT 'employee',
    active      INTEGER NOT NULL DEFAULT 1,
    schedule_id TEXT NOT NULL DEFAULT '',
    site_ids    TEXT NOT NULL DEFAULT '[]',
    updated_at  INTEGER NOT NULL DEFAULT 0,
    -- Kept in step with PostgreSQL, where a trigger counts changes to the
    -- employee's punches for the store's punch cache. The embedded store is
    -- one process that reads punches inside its transactions: it stays 0.
    punch_seq   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX employees_manager_idx ON employees (manager_id) WHERE manager_id <> '';

-- An identity with tenant '' matches any tenant of its platform.
CREATE TABLE identities (
    platform    TEXT NOT NULL,
    tenant      TEXT NOT NULL DEFAULT '',
    user_id     TEXT NOT NULL,
    employee_id TEXT NOT NULL REFERENCES employees (id) ON DELETE CASCADE,
    UNIQUE (platform, tenant, user_id)
) STRICT;
CREATE INDEX identities_lookup_idx ON identities (platform, user_id);
CREATE INDEX identities_employee_idx ON identities (employee_id);

CREATE TABLE sites (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    lat       REAL NOT NULL,
    lng       REAL NOT NULL,
    radius_m  REAL NOT NULL,
    ip_ranges TEXT NOT NULL DEFAULT '[]'
) STRICT;

CREATE TABLE calendars (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE calendar_days (
    calendar_id TEXT NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
    day         TEXT NOT NULL,
    workday     INTEGER NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (calendar_id, day)
) STRICT;

CREATE TABLE schedules (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL DEFAULT '',
    work_days             TEXT NOT NULL DEFAULT '[]',
    start_min             INTEGER NOT NULL,
    end_min               INTEGER NOT NULL,
    check_in_opens_min    INTEGER NOT NULL DEFAULT 0,
    check_out_closes_min  INTEGER NOT NULL DEFAULT 0,
    flexible_min          INTEGER NOT NULL DEFAULT 0,
    late_grace_min        INTEGER NOT NULL DEFAULT 0,
    serious_late_min      INTEGER NOT NULL DEFAULT 0,
    absent_late_min       INTEGER NOT NULL DEFAULT 0,
    early_leave_grace_min INTEGER NOT NULL DEFAULT 0,
    out_of_range          TEXT NOT NULL DEFAULT 'reject',
    calendar_id           TEXT NOT NULL DEFAULT ''
) STRICT;

-- The organisation's make-up policy: exactly one row.
CREATE TABLE makeup_policy (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    monthly_quota      INTEGER NOT NULL DEFAULT 0,
    deadline_days      INTEGER NOT NULL DEFAULT 0,
    expire_after_hours INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Reminders are interpreted by the scheduler; the store keeps them as declared.
CREATE TABLE reminders (
    id   TEXT PRIMARY KEY,
    spec TEXT NOT NULL
) STRICT;

-- One row per handled platform event: the primary key is what makes every
-- callback idempotent, whatever the in-process deduper says.
CREATE TABLE events (
    source      TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    employee_id TEXT NOT NULL DEFAULT '',
    reply       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (source, event_id)
) STRICT;

CREATE TABLE punches (
    id           INTEGER PRIMARY KEY,
    employee_id  TEXT NOT NULL,
    kind         TEXT NOT NULL,
    at           INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,
    shift_date   TEXT NOT NULL,
    source       TEXT NOT NULL,
    event_id     TEXT NOT NULL DEFAULT '',
    has_location INTEGER NOT NULL DEFAULT 0,
    lat          REAL NOT NULL DEFAULT 0,
    lng          REAL NOT NULL DEFAULT 0,
    accuracy_m   REAL NOT NULL DEFAULT 0,
    label        TEXT NOT NULL DEFAULT '',
    site_id      TEXT NOT NULL DEFAULT '',
    distance_m   REAL NOT NULL DEFAULT 0,
    client_ip    TEXT NOT NULL DEFAULT '',
    outcome      TEXT NOT NULL,
    time_result  TEXT NOT NULL DEFAULT '',
    late_min     INTEGER NOT NULL DEFAULT 0,
    early_min    INTEGER NOT NULL DEFAULT 0,
    reasons      TEXT NOT NULL DEFAULT '[]',
    flags        TEXT NOT NULL DEFAULT '[]',
    makeup_id    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE UNIQUE INDEX punches_event_key ON punches (source, event_id) WHERE event_id <> '';
-- Both indexes end in the order the store reads them (at, id), so a shift's
-- punches and the latest located punch come straight off the index.
CREATE INDEX punches_employee_shift_idx ON punches (employee_id, shift_date, at, id);
CREATE INDEX punches_employee_at_idx ON punches (employee_id, at, id);
CREATE INDEX punches_at_idx ON punches (at);

CREATE TABLE audit (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    detail  TEXT NOT NULL DEFAULT ''
) STRICT;
-- Listed newest first by id; looked up by subject for one person's log.
CREATE INDEX audit_subject_idx ON audit (subject, at);

-- Messages waiting for delivery, written in the transaction of the change
-- they report. Workers lease rows (lease_until) so two never send one twice.
CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
    platform     TEXT NOT NULL,
    route        TEXT NOT NULL DEFAULT '',
    kind         TEXT NOT NULL DEFAULT '',
    payload      BLOB,
    dedupe_key   TEXT NOT NULL DEFAULT '',
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER,
    lease_until  INTEGER,
    status       TEXT NOT NULL DEFAULT 'pending',
    last_error   TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    sent_at      INTEGER,
    firing_id    INTEGER NOT NULL DEFAULT 0 -- the reminder firing of a delivery, 0 for replies
) STRICT;
CREATE UNIQUE INDEX outbox_dedupe_key ON outbox (dedupe_key) WHERE dedupe_key <> '';
CREATE INDEX outbox_claim_idx ON outbox (platform, id) WHERE status = 'pending';

CREATE TABLE makeup_requests (
    id          INTEGER PRIMARY KEY,
    employee_id TEXT NOT NULL,
    shift_date  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    at          INTEGER NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    evidence    TEXT NOT NULL DEFAULT '[]',
    status      TEXT NOT NULL,
    approver_id TEXT NOT NULL DEFAULT '',
    decided_by  TEXT NOT NULL DEFAULT '',
    decided_at  INTEGER,
    note        TEXT NOT NULL DEFAULT '',
    punch_id    INTEGER NOT NULL DEFAULT 0,
    platform    TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX makeup_requests_employee_idx ON makeup_requests (employee_id, created_at);
CREATE INDEX makeup_requests_slot_idx ON makeup_requests (employee_id, shift_date);
CREATE INDEX makeup_requests_pending_idx ON makeup_requests (created_at) WHERE status = 'pending';
