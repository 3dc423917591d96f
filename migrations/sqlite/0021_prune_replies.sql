-- The retention job deletes the bot's delivered replies once they are older
-- than PUNCHBOT_RETENTION_DAYS (they repeat the punch's distance and
-- accuracy, and nothing reads them after delivery). This index holds only
-- those replies, oldest first, so each daily batch reads what it deletes and
-- not the approval cards and reminder deliveries that stay.
CREATE INDEX outbox_done_replies_idx ON outbox (created_at) WHERE kind = 'reply' AND status <> 'pending';
