-- Reminder firings and delivery counts (issue 7). A firing is one occurrence
-- of a reminder: (reminder_id, fire_at) is unique, so however many replicas
-- or restarts fire a minute, it is recorded once. Its deliveries are outbox
-- rows with firing_id set (the column is in 0001) and a dedupe key unique
-- per (reminder, fire time, recipient).
CREATE TABLE reminder_firings (
    id          INTEGER PRIMARY KEY,
    reminder_id TEXT NOT NULL,
    kind        TEXT NOT NULL DEFAULT '',
    fire_at     INTEGER NOT NULL,
    status      TEXT NOT NULL,          -- queuing, queued, skipped
    late        INTEGER NOT NULL DEFAULT 0,
    manual      INTEGER NOT NULL DEFAULT 0,
    recipients  INTEGER NOT NULL DEFAULT 0,
    note        TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (reminder_id, fire_at)
) STRICT;
CREATE INDEX reminder_firings_fire_idx ON reminder_firings (fire_at);
-- The leader looks for half-queued firings every tick.
CREATE INDEX reminder_firings_queuing_idx ON reminder_firings (created_at) WHERE status = 'queuing';

-- The last minute each scheduler finished; it only moves forward.
CREATE TABLE scheduler_checkpoints (
    name TEXT PRIMARY KEY,
    at   INTEGER NOT NULL
) STRICT;

-- Counts per firing, and one claim index per lane so that replies are
-- found at once behind a broadcast of a hundred thousand deliveries.
CREATE INDEX outbox_firing_idx ON outbox (firing_id, status) WHERE firing_id <> 0;
CREATE INDEX outbox_claim_replies_idx ON outbox (platform, id) WHERE status = 'pending' AND firing_id = 0;
CREATE INDEX outbox_claim_deliveries_idx ON outbox (platform, id) WHERE status = 'pending' AND firing_id <> 0;
