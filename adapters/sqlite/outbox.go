package sqlite

import (
	"context"
	"sort"
	"time"

	"github.com/punchbot/punchbot/core"
)

// ClaimOutbox leases up to limit due messages of one platform until
// now+lease. The select and the lease are one statement under the write
// lock, so two workers never claim the same message.
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
	var out []core.OutboxMessage
	err := s.writeTx(ctx, func(tx txConn) error {
		var err error
		out, err = queryAll(ctx, tx, "claim outbox", `UPDATE outbox SET lease_until = ?
			WHERE id IN (SELECT id FROM outbox
				WHERE platform = ? AND status = 'pending'`+cond+`
				  AND (next_attempt IS NULL OR next_attempt <= ?)
				  AND (lease_until IS NULL OR lease_until <= ?)
				ORDER BY id LIMIT ?)
			RETURNING `+outboxCols,
			[]any{micros(now.Add(lease)), string(platform), micros(now), micros(now), limit}, scanOutbox)
		return err
	})
	if err != nil {
		return nil, err
	}
	// RETURNING does not promise an order; the oldest go first.
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// FinishOutbox records a delivery attempt and releases the lease.
func (s *Store) FinishOutbox(ctx context.Context, m core.OutboxMessage) error {
	return s.writeTx(ctx, func(tx txConn) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET attempts = ?, next_attempt = ?, status = ?, last_error = ?, sent_at = ?, lease_until = NULL
			WHERE id = ?`, m.Attempts, nullMicros(m.NextAttempt), m.Status, m.LastError, nullMicros(m.SentAt), m.ID)
		if err != nil {
			return translate(err, "finish outbox message")
		}
		if n, err := res.RowsAffected(); err != nil {
			return translate(err, "finish outbox message")
		} else if n == 0 {
			return core.Errorf(core.ENOTFOUND, "no outbox message %d", m.ID)
		}
		return nil
	})
}

// OutboxDepth counts pending messages.
func (s *Store) OutboxDepth(ctx context.Context) (int, error) {
	var n int
	err := poolConn{s.rs}.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE status = 'pending'`).Scan(&n)
	return n, translate(err, "outbox depth")
}
