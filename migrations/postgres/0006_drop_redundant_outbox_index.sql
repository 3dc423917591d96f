-- The two lane indexes of 0003 (replies, deliveries) cover every claim the
-- outbox workers make; the older all-lanes index only cost one more index
-- entry on every queued message.
DROP INDEX IF EXISTS outbox_claim_idx;
