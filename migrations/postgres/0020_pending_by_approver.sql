-- A manager's 待审批 listing (全部同意, the batch decision) reads the
-- requests waiting for them by approver and status rather than every
-- pending request of the organisation. Not a partial index: the statuses
-- are a parameter, which a cached generic plan cannot match to a partial
-- index's predicate.
CREATE INDEX makeup_requests_approver_idx ON makeup_requests (approver_id, status, created_at);
