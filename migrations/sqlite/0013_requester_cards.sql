-- The requester's own "submitted" card (the answer with the 撤回 button)
-- is recorded next to the approval cards, so every change of the request
-- edits it in place too; requester = 1 marks it, and the bots render it
-- as the requester's copy rather than as an approval card. Cards recorded
-- before are approval cards.
ALTER TABLE makeup_cards ADD COLUMN requester INTEGER NOT NULL DEFAULT 0 CHECK (requester IN (0, 1));
