package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
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

// InsertMakeup stores m and sets m.ID.
func (t *sqliteTx) InsertMakeup(ctx context.Context, m *core.MakeupRequest) error {
	res, err := t.tx.ExecContext(ctx, `INSERT INTO makeup_requests (employee_id, shift_date, kind, at, reason, evidence, status, approver_id,
		decided_by, decided_at, note, punch_id, platform, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.EmployeeID, m.ShiftDate, string(m.Kind), micros(m.At), m.Reason, jsonList(m.Evidence), string(m.Status), m.ApproverID,
		m.DecidedBy, nullMicros(m.DecidedAt), m.Note, m.PunchID, string(m.Platform), micros(m.CreatedAt))
	if err != nil {
		return translate(err, "insert make-up request")
	}
	id, err := res.LastInsertId()
	if err != nil {
		return translate(err, "insert make-up request")
	}
	m.ID = id
	return nil
}

// GetMakeupForUpdate loads a request; the write lock is already held.
func (t *sqliteTx) GetMakeupForUpdate(ctx context.Context, id int64) (core.MakeupRequest, error) {
	m, err := scanMakeup(t.tx.QueryRowContext(ctx, `SELECT `+makeupCols+` FROM makeup_requests WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, core.Errorf(core.ENOTFOUND, "no make-up request %d", id)
	}
	return m, translate(err, "load make-up request")
}

// UpdateMakeup writes back a request.
func (t *sqliteTx) UpdateMakeup(ctx context.Context, m core.MakeupRequest) error {
	res, err := t.tx.ExecContext(ctx, `UPDATE makeup_requests SET employee_id = ?, shift_date = ?, kind = ?, at = ?, reason = ?, evidence = ?,
		status = ?, approver_id = ?, decided_by = ?, decided_at = ?, note = ?, punch_id = ?, platform = ?, created_at = ? WHERE id = ?`,
		m.EmployeeID, m.ShiftDate, string(m.Kind), micros(m.At), m.Reason, jsonList(m.Evidence), string(m.Status), m.ApproverID,
		m.DecidedBy, nullMicros(m.DecidedAt), m.Note, m.PunchID, string(m.Platform), micros(m.CreatedAt), m.ID)
	if err != nil {
		return translate(err, "update make-up request")
	}
	if n, err := res.RowsAffected(); err != nil {
		return translate(err, "update make-up request")
	} else if n == 0 {
		return core.Errorf(core.ENOTFOUND, "no make-up request %d", m.ID)
	}
	return nil
}

// ListMakeups returns matching requests ordered by creation.
func (t *sqliteTx) ListMakeups(ctx context.Context, f core.MakeupFilter) ([]core.MakeupRequest, error) {
	var where []string
	var args []any
	if f.EmployeeID != "" {
		where, args = append(where, "employee_id = ?"), append(args, f.EmployeeID)
	}
	if f.ShiftDate != "" {
		where, args = append(where, "shift_date = ?"), append(args, f.ShiftDate)
	}
	if len(f.Statuses) > 0 {
		where = append(where, "status IN (?"+strings.Repeat(", ?", len(f.Statuses)-1)+")")
		for _, st := range f.Statuses {
			args = append(args, string(st))
		}
	}
	if !f.From.IsZero() {
		where, args = append(where, "created_at >= ?"), append(args, micros(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, "created_at < ?"), append(args, micros(f.To))
	}
	q := `SELECT ` + makeupCols + ` FROM makeup_requests`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	return queryAll(ctx, t.tx, "list make-up requests", q+` ORDER BY created_at, id`, args, scanMakeup)
}
