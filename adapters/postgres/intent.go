package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/punchbot/punchbot/core"
)

// selectIntent reads the employee's waiting text punch, expired or not:
// the caller compares it with its own clock.
const selectIntent = `SELECT employee_id, platform, tenant, user_id, kind, armed_at, expires_at FROM punch_intents WHERE employee_id = $1`

func collectIntents(out *[]core.PunchIntent) func(pgx.Rows) error {
	return func(rows pgx.Rows) (err error) {
		*out, err = pgx.AppendRows(*out, rows, func(row pgx.CollectableRow) (core.PunchIntent, error) {
			var in core.PunchIntent
			err := row.Scan(&in.EmployeeID, &in.Actor.Platform, &in.Actor.Tenant, &in.Actor.UserID, &in.Kind, &in.ArmedAt, &in.ExpiresAt)
			in.ArmedAt, in.ExpiresAt = fromTS(in.ArmedAt), fromTS(in.ExpiresAt)
			return in, err
		})
		return err
	}
}

// PunchIntent returns the employee's waiting text punch if it expires after
// now: from the employee's locked read when it was sent, as that read when
// the employee's lock is pending (its punches from two days before now's UTC
// date on, which covers the day before today in every zone, for the rules'
// reads that follow), else in one statement.
func (t *pgTx) PunchIntent(ctx context.Context, employeeID string, now time.Time) (core.PunchIntent, error) {
	if t.err != nil {
		return core.PunchIntent{}, t.err
	}
	ra := t.ahead[employeeID]
	if ra == nil && t.lockPending(employeeID) {
		if err := t.readAhead(ctx, employeeID, now.UTC().AddDate(0, 0, -2)); err != nil {
			return core.PunchIntent{}, err
		}
		ra = t.ahead[employeeID]
	}
	if ra != nil {
		return liveIntent(ra.intent, employeeID, now)
	}
	var rows []core.PunchIntent
	err := t.send(ctx, "waiting text punch", func(b *pgx.Batch) { b.Queue(selectIntent, employeeID).Query(collectIntents(&rows)) })
	if err != nil {
		return core.PunchIntent{}, err
	}
	return liveIntent(firstIntent(rows), employeeID, now)
}

// liveIntent is the waiting text punch read, unless there was none or it
// expired by now.
func liveIntent(in *core.PunchIntent, employeeID string, now time.Time) (core.PunchIntent, error) {
	if in == nil || !in.ExpiresAt.After(now) {
		return core.PunchIntent{}, core.Errorf(core.ENOTFOUND, "no waiting text punch of %s", employeeID)
	}
	return *in, nil
}

// firstIntent is the first of rows, or nil.
func firstIntent(rows []core.PunchIntent) *core.PunchIntent {
	if len(rows) == 0 {
		return nil
	}
	return &rows[0]
}

// ArmIntent stores the employee's waiting text punch, replacing theirs,
// with the transaction's next statement or its COMMIT.
func (t *pgTx) ArmIntent(ctx context.Context, in core.PunchIntent) error {
	in.ArmedAt, in.ExpiresAt = fromTS(ts(in.ArmedAt)), fromTS(ts(in.ExpiresAt))
	if ra := t.ahead[in.EmployeeID]; ra != nil {
		ra.intent = &in
	}
	return t.write("store waiting text punch", `INSERT INTO punch_intents (employee_id, platform, tenant, user_id, kind, armed_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (employee_id) DO UPDATE SET platform = excluded.platform, tenant = excluded.tenant, user_id = excluded.user_id,
			kind = excluded.kind, armed_at = excluded.armed_at, expires_at = excluded.expires_at`,
		in.EmployeeID, string(in.Actor.Platform), in.Actor.Tenant, in.Actor.UserID, string(in.Kind), in.ArmedAt, in.ExpiresAt)
}

// ClearIntent deletes the waiting text punch read, unless a newer one
// replaced it, with the transaction's next statement or its COMMIT.
func (t *pgTx) ClearIntent(ctx context.Context, in core.PunchIntent) error {
	if ra := t.ahead[in.EmployeeID]; ra != nil && ra.intent != nil && ra.intent.ArmedAt.Equal(in.ArmedAt) {
		ra.intent = nil
	}
	return t.write("use up waiting text punch", `DELETE FROM punch_intents WHERE employee_id = $1 AND armed_at = $2`, in.EmployeeID, ts(in.ArmedAt))
}

// WaitingIntent reads the employee's waiting text punch, if it expires
// after now, in one statement outside any transaction.
func (s *Store) WaitingIntent(ctx context.Context, employeeID string, now time.Time) (core.PunchIntent, error) {
	rows, err := s.pool.Query(ctx, selectIntent, employeeID)
	if err != nil {
		return core.PunchIntent{}, translate(err, "read waiting text punch")
	}
	var found []core.PunchIntent
	if err := collectIntents(&found)(rows); err != nil {
		return core.PunchIntent{}, translate(err, "read waiting text punch")
	}
	return liveIntent(firstIntent(found), employeeID, now)
}
