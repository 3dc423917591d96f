package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/punchbot/punchbot/core"
)

// PunchIntent returns the employee's waiting text punch if it expires
// after now.
func (t *sqliteTx) PunchIntent(ctx context.Context, employeeID string, now time.Time) (core.PunchIntent, error) {
	return readIntent(ctx, t.tx, employeeID, now)
}

// WaitingIntent is PunchIntent outside a transaction.
func (s *Store) WaitingIntent(ctx context.Context, employeeID string, now time.Time) (core.PunchIntent, error) {
	return readIntent(ctx, poolConn{s.rs}, employeeID, now)
}

func readIntent(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, employeeID string, now time.Time) (core.PunchIntent, error) {
	in := core.PunchIntent{EmployeeID: employeeID}
	var platform, kind string
	var armed, expires int64
	err := q.QueryRowContext(ctx, `SELECT platform, tenant, user_id, kind, armed_at, expires_at FROM punch_intents
		WHERE employee_id = ? AND expires_at > ?`, employeeID, micros(now)).Scan(&platform, &in.Actor.Tenant, &in.Actor.UserID, &kind, &armed, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return core.PunchIntent{}, core.Errorf(core.ENOTFOUND, "no waiting text punch of %s", employeeID)
	}
	if err != nil {
		return core.PunchIntent{}, translate(err, "read waiting text punch")
	}
	in.Actor.Platform, in.Kind = core.Platform(platform), core.PunchKind(kind)
	in.ArmedAt, in.ExpiresAt = fromMicros(armed), fromMicros(expires)
	return in, nil
}

// ArmIntent stores the employee's waiting text punch, replacing theirs.
func (t *sqliteTx) ArmIntent(ctx context.Context, in core.PunchIntent) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO punch_intents (employee_id, platform, tenant, user_id, kind, armed_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (employee_id) DO UPDATE SET platform = excluded.platform, tenant = excluded.tenant, user_id = excluded.user_id,
			kind = excluded.kind, armed_at = excluded.armed_at, expires_at = excluded.expires_at`,
		in.EmployeeID, string(in.Actor.Platform), in.Actor.Tenant, in.Actor.UserID, string(in.Kind), micros(in.ArmedAt), micros(in.ExpiresAt))
	return translate(err, "store waiting text punch")
}

// ClearIntent deletes the waiting text punch read, unless a newer one
// replaced it.
func (t *sqliteTx) ClearIntent(ctx context.Context, in core.PunchIntent) error {
	_, err := t.tx.ExecContext(ctx, `DELETE FROM punch_intents WHERE employee_id = ? AND armed_at = ?`, in.EmployeeID, micros(in.ArmedAt))
	return translate(err, "use up waiting text punch")
}
