-- Make-up approval cards (issue 6). A card's platform reference (Slack
-- channel and ts, Feishu message_id, WeCom task_id and the one-time
-- response_code) is only known once the platform has accepted the card, so
-- it is stored here, one row per request and recipient, and later changes
-- edit the card in place. ref is the platform's JSON as the bot wrote it.
CREATE TABLE makeup_cards (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES makeup_requests (id) ON DELETE CASCADE,
    platform   TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    ref        TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (request_id, platform, recipient)
) STRICT;
