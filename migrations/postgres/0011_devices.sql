-- Passkeys bound to employees, the device-binding policy, and the people
-- each access to data included (issue 18).

-- The org file's device_binding: scope '' is the organisation's, any other
-- scope a schedule id. Replaced on every apply.
CREATE TABLE device_policy (
    scope   text PRIMARY KEY,
    binding text NOT NULL
);

-- One WebAuthn credential per row. credential is the bot's encoding of the
-- credential record (public key, sign counter, flags); revoked devices stay,
-- so the person and HR see what was bound and who revoked it.
CREATE TABLE devices (
    id           text PRIMARY KEY,
    employee_id  text NOT NULL,
    name         text NOT NULL,
    credential   bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    revoked_by   text NOT NULL DEFAULT '',
    enroll_nonce text NOT NULL DEFAULT ''
);
CREATE INDEX devices_employee_idx ON devices (employee_id, created_at);
-- An enrollment link binds one device.
CREATE UNIQUE INDEX devices_enroll_nonce_idx ON devices (enroll_nonce) WHERE enroll_nonce <> '';

-- Who an audited access (a list, plot, report or export) included, so each
-- of them can see it on their own data page. The entry itself says who
-- looked, when and at what; no copy of the data is kept.
CREATE TABLE audit_subjects (
    employee_id text NOT NULL,
    audit_id    bigint NOT NULL REFERENCES audit (id),
    PRIMARY KEY (employee_id, audit_id)
);
