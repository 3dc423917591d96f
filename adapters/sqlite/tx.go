package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/punchbot/punchbot/core"
)

// sqliteTx is the core.Tx of one write transaction.
type sqliteTx struct {
	tx txConn
}

// LockEmployee does nothing: every write transaction already holds the
// database's single write lock (BEGIN IMMEDIATE) until it commits.
func (t *sqliteTx) LockEmployee(ctx context.Context, employeeID string) error { return nil }

// InsertEvent records the reply to an event; a second one is ECONFLICT.
func (t *sqliteTx) InsertEvent(ctx context.Context, e core.EventRecord) error {
	reply, err := e.EncodedReply()
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(ctx, `INSERT INTO events (source, event_id, employee_id, reply, created_at) VALUES (?, ?, ?, ?, ?)`,
		e.Source, e.EventID, e.EmployeeID, string(reply), micros(e.CreatedAt))
	if core.ErrorCode(translate(err, "")) == core.ECONFLICT {
		return core.WrapError(core.ECONFLICT, err, "event %s/%s already recorded", e.Source, e.EventID)
	}
	return translate(err, "insert event")
}

// ShiftPunches returns the employee's punches of one shift date by time.
func (t *sqliteTx) ShiftPunches(ctx context.Context, employeeID, shiftDate string) ([]core.Punch, error) {
	return punches(ctx, t.tx, `SELECT `+punchCols+` FROM punches WHERE employee_id = ? AND shift_date = ? ORDER BY at, id`, employeeID, shiftDate)
}

// ShiftPunchesBetween returns the employee's punches of shift dates from
// to to by time.
func (t *sqliteTx) ShiftPunchesBetween(ctx context.Context, employeeID, from, to string) ([]core.Punch, error) {
	return punches(ctx, t.tx, `SELECT `+punchCols+` FROM punches WHERE employee_id = ? AND shift_date BETWEEN ? AND ? ORDER BY at, id`, employeeID, from, to)
}

// LastLocatedPunch returns the latest located punch at or before before.
func (t *sqliteTx) LastLocatedPunch(ctx context.Context, employeeID string, before time.Time) (core.Punch, error) {
	p, err := scanPunch(t.tx.QueryRowContext(ctx, `SELECT `+punchCols+` FROM punches
		WHERE employee_id = ? AND has_location = 1 AND at <= ? ORDER BY at DESC, id DESC LIMIT 1`, employeeID, micros(before)))
	if errors.Is(err, sql.ErrNoRows) {
		return p, core.Errorf(core.ENOTFOUND, "no located punch of %s", employeeID)
	}
	return p, translate(err, "last located punch")
}

// InsertPunch stores p and sets p.ID.
func (t *sqliteTx) InsertPunch(ctx context.Context, p *core.Punch) error {
	res, err := t.tx.ExecContext(ctx, `INSERT INTO punches (employee_id, kind, at, received_at, shift_date, source, event_id, has_location,
		lat, lng, accuracy_m, label, site_id, distance_m, client_ip, outcome, time_result, late_min, early_min, reasons, flags, makeup_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.EmployeeID, string(p.Kind), micros(p.At), micros(p.ReceivedAt), p.ShiftDate, p.Source, p.EventID, boolInt(p.HasLocation),
		p.Lat, p.Lng, p.AccuracyM, p.Label, p.SiteID, p.DistanceM, p.ClientIP, string(p.Outcome), string(p.TimeResult), p.LateMin, p.EarlyMin,
		jsonList(p.Reasons), jsonList(p.Flags), p.MakeupID)
	if err != nil {
		if core.ErrorCode(translate(err, "")) == core.ECONFLICT {
			return core.WrapError(core.ECONFLICT, err, "punch for event %s/%s exists", p.Source, p.EventID)
		}
		return translate(err, "insert punch")
	}
	id, err := res.LastInsertId()
	if err != nil {
		return translate(err, "insert punch")
	}
	p.ID = id
	return nil
}

// InsertAudit appends an audit entry.
func (t *sqliteTx) InsertAudit(ctx context.Context, a core.AuditEntry) error {
	return insertAudit(ctx, t.tx, a)
}

func insertAudit(ctx context.Context, tx txConn, a core.AuditEntry) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)`,
		micros(a.At), a.Actor, a.Action, a.Subject, a.Detail)
	return translate(err, "insert audit")
}

// EnqueueOutbox queues a message; a duplicate non-empty dedupe key is
// skipped.
func (t *sqliteTx) EnqueueOutbox(ctx context.Context, m core.OutboxMessage) error {
	status := m.Status
	if status == "" {
		status = core.OutboxPending
	}
	var payload any
	if len(m.Payload) > 0 {
		payload = []byte(m.Payload)
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO outbox (platform, route, kind, payload, dedupe_key, attempts, next_attempt, status, last_error, created_at, sent_at, firing_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (dedupe_key) WHERE dedupe_key <> '' DO NOTHING`,
		string(m.Platform), m.Route, m.Kind, payload, m.DedupeKey, m.Attempts, nullMicros(m.NextAttempt), status, m.LastError,
		micros(m.CreatedAt), nullMicros(m.SentAt), m.FiringID)
	return translate(err, "enqueue outbox message")
}

// GetMakeupForUpdate loads a request; the write lock is already held.
func (t *sqliteTx) GetMakeupForUpdate(ctx context.Context, id int64) (core.MakeupRequest, error) {
	m, err := scanMakeup(t.tx.QueryRowContext(ctx, `SELECT `+makeupCols+` FROM makeup_requests WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, core.Errorf(core.ENOTFOUND, "no request %d", id)
	}
	return m, translate(err, "load make-up request")
}
