-- Identities keep the order the org file lists them in: the first chat
-- account is where cards and reminders reach the person.
ALTER TABLE identities ADD COLUMN position integer NOT NULL DEFAULT 0;
