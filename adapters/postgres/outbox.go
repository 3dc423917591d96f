package postgres

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/punchbot/punchbot/core"
)

// ClaimOutbox leases up to limit due messages of one platform until
// now+lease. FOR UPDATE SKIP LOCKED lets concurrent workers on any replica
// pick disjoint rows without waiting for each other, and the lease keeps a
// claimed row from being claimed again until it runs out.
func (s *Store) ClaimOutbox(ctx context.Context, platform core.Platform, limit int, now time.Time, lease time.Duration) ([]core.OutboxMessage, error) {
	return s.claimOutbox(ctx, platform, "", limit, now, lease)
}

// claimOutbox is the one claim statement behind ClaimOutbox and
// ClaimOutboxLane, so the two cannot drift apart; cond is "" or " AND "
// and a further condition on the outbox (a lane's, spelled out so the
// planner can use the lane's partial index).
func (s *Store) claimOutbox(ctx context.Context, platform core.Platform, cond string, limit int, now time.Time, lease time.Duration) ([]core.OutboxMessage, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `WITH due AS (
			SELECT id FROM outbox
			WHERE platform = $1 AND status = 'pending'`+cond+`
			  AND (next_attempt IS NULL OR next_attempt <= $2)
			  AND (lease_until IS NULL OR lease_until <= $2)
			ORDER BY id LIMIT $3
			FOR UPDATE SKIP LOCKED)
		UPDATE outbox o SET lease_until = $4 FROM due WHERE o.id = due.id
		RETURNING o.id, o.platform, o.route, o.kind, o.payload, o.dedupe_key, o.attempts, o.next_attempt, o.status, o.last_error, o.created_at, o.sent_at, o.firing_id`,
		string(platform), ts(now), limit, ts(now.Add(lease)))
	if err != nil {
		return nil, translate(err, "claim outbox")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (core.OutboxMessage, error) { return scanOutbox(row) })
	if err != nil {
		return nil, translate(err, "claim outbox")
	}
	// RETURNING does not promise an order; the oldest go first.
	slices.SortFunc(out, func(a, b core.OutboxMessage) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// FinishOutbox records a delivery attempt and releases the lease.
func (s *Store) FinishOutbox(ctx context.Context, m core.OutboxMessage) error {
	ct, err := s.pool.Exec(ctx, `UPDATE outbox SET attempts = $1, next_attempt = $2, status = $3, last_error = $4, sent_at = $5, lease_until = NULL
		WHERE id = $6`, int32(m.Attempts), nullTS(m.NextAttempt), m.Status, m.LastError, nullTS(m.SentAt), m.ID)
	if err != nil {
		return translate(err, "finish outbox message")
	}
	if ct.RowsAffected() == 0 {
		return core.Errorf(core.ENOTFOUND, "no outbox message %d", m.ID)
	}
	return nil
}

// OutboxDepth counts pending messages.
func (s *Store) OutboxDepth(ctx context.Context) (int, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE status = 'pending'`).Scan(&n)
	return int(n), translate(err, "outbox depth")
}
