package sqlite

import (
	"context"
	"database/sql"
	"slices"

	"github.com/punchbot/punchbot/core"
)

var (
	_ core.MakeupTx       = (*sqliteTx)(nil)
	_ core.LeaveTypeStore = (*Store)(nil)
)

// PutCardRef creates or replaces the reference of one approval card, keyed
// by (request, platform, recipient); a replaced row keeps its id, so the
// listing order stays the order cards were first sent. An unknown request
// is ENOTFOUND.
func (t *sqliteTx) PutCardRef(ctx context.Context, ref core.CardRef) error {
	res, err := t.tx.ExecContext(ctx, `INSERT INTO makeup_cards (request_id, platform, recipient, ref, updated_at, requester)
		SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM makeup_requests WHERE id = ?)
		ON CONFLICT (request_id, platform, recipient) DO UPDATE SET ref = excluded.ref, updated_at = excluded.updated_at, requester = excluded.requester`,
		ref.RequestID, string(ref.Platform), ref.Recipient, ref.Ref, micros(ref.UpdatedAt), ref.Requester, ref.RequestID)
	if err != nil {
		return translate(err, "record card reference")
	}
	if n, err := res.RowsAffected(); err != nil {
		return translate(err, "record card reference")
	} else if n == 0 {
		return core.Errorf(core.ENOTFOUND, "no request %d", ref.RequestID)
	}
	return nil
}

// CardRefs returns a request's card references in the order they were
// first recorded.
func (t *sqliteTx) CardRefs(ctx context.Context, requestID int64) ([]core.CardRef, error) {
	return queryAll(ctx, t.tx, "list card references",
		`SELECT request_id, platform, recipient, ref, updated_at, requester FROM makeup_cards WHERE request_id = ? ORDER BY id`, []any{requestID},
		func(sc scanner) (core.CardRef, error) {
			var r core.CardRef
			var platform string
			var updated int64
			err := sc.Scan(&r.RequestID, &platform, &r.Recipient, &r.Ref, &updated, &r.Requester)
			r.Platform, r.UpdatedAt = core.Platform(platform), fromMicros(updated)
			return r, err
		})
}

// Approval requests (make-ups, field punches, leave, trips, outings) share
// makeup_requests; type, field_punch_id, leave_type, start_at, end_at and
// place came with migration 0010.

const makeupCols = `id, employee_id, shift_date, kind, at, reason, evidence, status, approver_id, decided_by, decided_at, note, punch_id, platform, created_at,
	type, field_punch_id, leave_type, start_at, end_at, place`

func scanMakeup(sc scanner) (core.MakeupRequest, error) {
	var m core.MakeupRequest
	var kind, evidence, status, platform, typ string
	var at, created int64
	var decided, start, end sql.NullInt64
	if err := sc.Scan(&m.ID, &m.EmployeeID, &m.ShiftDate, &kind, &at, &m.Reason, &evidence, &status, &m.ApproverID, &m.DecidedBy, &decided,
		&m.Note, &m.PunchID, &platform, &created, &typ, &m.FieldPunchID, &m.LeaveType, &start, &end, &m.Place); err != nil {
		return m, err
	}
	m.Kind, m.Status, m.Platform, m.Type = core.PunchKind(kind), core.MakeupStatus(status), core.Platform(platform), core.RequestType(typ)
	m.At, m.DecidedAt, m.CreatedAt = fromMicros(at), fromNullMicros(decided), fromMicros(created)
	m.Start, m.End = fromNullMicros(start), fromNullMicros(end)
	var err error
	m.Evidence, err = parseList[string](evidence, "make-up evidence")
	return m, err
}

// makeupArgs are the values of makeupCols after id.
func makeupArgs(m *core.MakeupRequest) []any {
	return []any{m.EmployeeID, m.ShiftDate, string(m.Kind), micros(m.At), m.Reason, jsonList(m.Evidence), string(m.Status), m.ApproverID,
		m.DecidedBy, nullMicros(m.DecidedAt), m.Note, m.PunchID, string(m.Platform), micros(m.CreatedAt),
		string(m.Type), m.FieldPunchID, m.LeaveType, nullMicros(m.Start), nullMicros(m.End), m.Place}
}

// InsertMakeup stores m and sets m.ID.
func (t *sqliteTx) InsertMakeup(ctx context.Context, m *core.MakeupRequest) error {
	res, err := t.tx.ExecContext(ctx, `INSERT INTO makeup_requests (employee_id, shift_date, kind, at, reason, evidence, status, approver_id,
		decided_by, decided_at, note, punch_id, platform, created_at, type, field_punch_id, leave_type, start_at, end_at, place)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, makeupArgs(m)...)
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

// UpdateMakeup writes back a request.
func (t *sqliteTx) UpdateMakeup(ctx context.Context, m core.MakeupRequest) error {
	res, err := t.tx.ExecContext(ctx, `UPDATE makeup_requests SET employee_id = ?, shift_date = ?, kind = ?, at = ?, reason = ?, evidence = ?,
		status = ?, approver_id = ?, decided_by = ?, decided_at = ?, note = ?, punch_id = ?, platform = ?, created_at = ?,
		type = ?, field_punch_id = ?, leave_type = ?, start_at = ?, end_at = ?, place = ? WHERE id = ?`, append(makeupArgs(&m), m.ID)...)
	if err != nil {
		return translate(err, "update make-up request")
	}
	if n, err := res.RowsAffected(); err != nil {
		return translate(err, "update make-up request")
	} else if n == 0 {
		return core.Errorf(core.ENOTFOUND, "no request %d", m.ID)
	}
	return nil
}

// makeupQuery is the SELECT of the requests matching f, ordered by
// creation; it follows core.MakeupFilter.Matches.
func makeupQuery(f core.MakeupFilter) (string, []any) {
	var c conditions
	if f.EmployeeID != "" {
		c.add("employee_id = ?", f.EmployeeID)
	}
	if f.ShiftDate != "" {
		c.add("shift_date = ?", f.ShiftDate)
	}
	if f.ApproverID != "" {
		c.add("approver_id = ?", f.ApproverID)
	}
	if len(f.Statuses) > 0 {
		var vals []string
		for _, st := range f.Statuses {
			vals = append(vals, string(st))
		}
		c.in("status", vals)
	}
	if len(f.Types) > 0 {
		var vals []string
		for _, t := range f.Types {
			vals = append(vals, string(t))
		}
		if slices.Contains(f.Types, core.RequestMakeup) {
			vals = append(vals, "") // written before types, or with none
		}
		c.in("type", vals)
	}
	if !f.From.IsZero() {
		c.add("created_at >= ?", micros(f.From))
	}
	if !f.To.IsZero() {
		c.add("created_at < ?", micros(f.To))
	}
	if !f.CoverFrom.IsZero() && !f.CoverTo.IsZero() {
		c.add("start_at IS NOT NULL AND start_at < ? AND end_at >= ?", micros(f.CoverTo), micros(f.CoverFrom))
	}
	return c.query(`SELECT `+makeupCols+` FROM makeup_requests`, `created_at, id`, 0)
}

// ListMakeups returns matching requests ordered by creation.
func (t *sqliteTx) ListMakeups(ctx context.Context, f core.MakeupFilter) ([]core.MakeupRequest, error) {
	q, args := makeupQuery(f)
	return queryAll(ctx, t.tx, "list make-up requests", q, args, scanMakeup)
}

// ListRequests returns the requests matching f, from the read pool: the
// approvals of a report's range, everyone's in one query.
func (s *Store) ListRequests(ctx context.Context, f core.MakeupFilter) ([]core.MakeupRequest, error) {
	q, args := makeupQuery(f)
	return queryAll(ctx, s.r, "list requests", q, args, scanMakeup)
}

// LeaveTypes returns the leave types of the last applied organisation, in
// file order.
func (s *Store) LeaveTypes(ctx context.Context) ([]core.LeaveType, error) {
	return queryAll(ctx, s.r, "list leave types", `SELECT id, name, annual_quota_days, paid, from_overtime, expire_days FROM leave_types ORDER BY position`, nil,
		func(sc scanner) (core.LeaveType, error) {
			var t core.LeaveType
			var kinds string
			err := sc.Scan(&t.ID, &t.Name, &t.AnnualQuotaDays, &t.Paid, &kinds, &t.ExpireDays)
			t.FromOvertime = core.SplitOvertimeKinds(kinds)
			return t, err
		})
}
