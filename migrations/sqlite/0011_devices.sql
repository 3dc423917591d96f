-- Passkeys bound to employees, the device-binding policy, and the people
-- each access to data included (issue 18).

-- The org file's device_binding: scope '' is the organisation's, any other
-- scope a schedule id. Replaced on every apply.
CREATE TABLE device_policy (
    scope   TEXT PRIMARY KEY,
    binding TEXT NOT NULL
) STRICT;

-- One WebAuthn credential per row. credential is the bot's encoding of the
-- credential record (public key, sign counter, flags); revoked devices stay,
-- so the person and HR see what was bound and who revoked it.
CREATE TABLE devices (
    id           TEXT PRIMARY KEY,
    employee_id  TEXT NOT NULL,
    name         TEXT NOT NULL,
    credential   BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER,
    revoked_by   TEXT NOT NULL DEFAULT '',
    enroll_nonce TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX devices_employee_idx ON devices (employee_id, created_at);
-- An enrollment link binds one device.
CREATE UNIQUE INDEX devices_enroll_nonce_idx ON devices (enroll_nonce) WHERE enroll_nonce <> '';

-- Who an audited access (a list, plot, report or export) included, so each
-- of them can see it on their own data page. The entry itself says who
-- looked, when and at what; no copy of the data is kept.
CREATE TABLE audit_subjects (
    employee_id TEXT NOT NULL,
    audit_id    INTEGER NOT NULL REFERENCES audit (id),
    PRIMARY KEY (employee_id, audit_id)
) STRICT, WITHOUT ROWID;
