package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/punchbot/punchbot/core"
)

var (
	_ core.MakeupTx       = (*pgTx)(nil)
	_ core.LeaveTypeStore = (*Store)(nil)
)

// PutCardRef creates or replaces the reference of one approval card, keyed
// by (request, platform, recipient); a replaced row keeps its id, so the
// listing order stays the order cards were first sent. An unknown request
// is ENOTFOUND.
func (t *pgTx) PutCardRef(ctx context.Context, ref core.CardRef) error {
	ct, err := t.exec(ctx, fmt.Sprintf("record card reference of make-up request %d", ref.RequestID), `INSERT INTO makeup_cards (request_id, platform, recipient, ref, updated_at, requester)
		SELECT $1::bigint, $2::text, $3::text, $4::text, $5::timestamptz, $6::boolean WHERE EXISTS (SELECT 1 FROM makeup_requests WHERE id = $1::bigint)
		ON CONFLICT (request_id, platform, recipient) DO UPDATE SET ref = excluded.ref, updated_at = excluded.updated_at, requester = excluded.requester`,
		ref.RequestID, string(ref.Platform), ref.Recipient, ref.Ref, ts(ref.UpdatedAt), ref.Requester)
	if err == nil && ct.RowsAffected() == 0 {
		return core.Errorf(core.ENOTFOUND, "no request %d", ref.RequestID)
	}
	return err
}

// CardRefs returns a request's card references in the order they were
// first recorded.
func (t *pgTx) CardRefs(ctx context.Context, requestID int64) ([]core.CardRef, error) {
	var out []core.CardRef
	err := t.send(ctx, "list card references", func(b *pgx.Batch) {
		b.Queue(`SELECT request_id, platform, recipient, ref, updated_at, requester FROM makeup_cards WHERE request_id = $1 ORDER BY id`, requestID).
			Query(func(rows pgx.Rows) (err error) {
				out, err = pgx.AppendRows(out, rows, func(row pgx.CollectableRow) (core.CardRef, error) {
					var r core.CardRef
					var platform string
					var updated time.Time
					err := row.Scan(&r.RequestID, &platform, &r.Recipient, &r.Ref, &updated, &r.Requester)
					r.Platform, r.UpdatedAt = core.Platform(platform), fromTS(updated)
					return r, err
				})
				return err
			})
	})
	return out, err
}

// Approval requests (make-ups, field punches, leave, trips, outings) share
// makeup_requests; type, field_punch_id, leave_type, start_at, end_at and
// place came with migration 0010.

const makeupCols = `id, employee_id, shift_date, kind, at, reason, evidence, status, approver_id, decided_by, decided_at, note, punch_id, platform, created_at,
	type, field_punch_id, leave_type, start_at, end_at, place`

func scanMakeup(row pgx.Row) (core.MakeupRequest, error) {
	var m core.MakeupRequest
	var decided, start, end *time.Time
	err := row.Scan(&m.ID, &m.EmployeeID, &m.ShiftDate, &m.Kind, &m.At, &m.Reason, &m.Evidence, &m.Status, &m.ApproverID, &m.DecidedBy, &decided,
		&m.Note, &m.PunchID, &m.Platform, &m.CreatedAt, &m.Type, &m.FieldPunchID, &m.LeaveType, &start, &end, &m.Place)
	m.At, m.DecidedAt, m.CreatedAt = fromTS(m.At), fromNullTS(decided), fromTS(m.CreatedAt)
	m.Start, m.End = fromNullTS(start), fromNullTS(end)
	m.Evidence = nilIfEmpty(m.Evidence)
	return m, err
}

// makeupArgs are the values of every make-up column but id, in makeupCols
// order.
func makeupArgs(m *core.MakeupRequest) []any {
	return []any{m.EmployeeID, m.ShiftDate, string(m.Kind), ts(m.At), m.Reason, jsonList(m.Evidence), string(m.Status), m.ApproverID,
		m.DecidedBy, nullTS(m.DecidedAt), m.Note, m.PunchID, string(m.Platform), ts(m.CreatedAt),
		string(m.Type), m.FieldPunchID, m.LeaveType, nullTS(m.Start), nullTS(m.End), m.Place}
}

// InsertMakeup stores m and sets m.ID.
func (t *pgTx) InsertMakeup(ctx context.Context, m *core.MakeupRequest) error {
	var id int64
	err := t.send(ctx, "insert make-up request", func(b *pgx.Batch) {
		b.Queue(`INSERT INTO makeup_requests (employee_id, shift_date, kind, at, reason, evidence, status,
		approver_id, decided_by, decided_at, note, punch_id, platform, created_at, type, field_punch_id, leave_type, start_at, end_at, place)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) RETURNING id`, makeupArgs(m)...).
			QueryRow(func(row pgx.Row) error { return row.Scan(&id) })
	})
	if err != nil {
		return err
	}
	m.ID = id
	return nil
}

// UpdateMakeup writes back a request; an unknown id is ENOTFOUND.
func (t *pgTx) UpdateMakeup(ctx context.Context, m core.MakeupRequest) error {
	ct, err := t.exec(ctx, "update make-up request", `UPDATE makeup_requests SET employee_id = $1, shift_date = $2, kind = $3, at = $4, reason = $5,
		evidence = $6, status = $7, approver_id = $8, decided_by = $9, decided_at = $10, note = $11, punch_id = $12, platform = $13,
		created_at = $14, type = $15, field_punch_id = $16, leave_type = $17, start_at = $18, end_at = $19, place = $20
		WHERE id = $21`, append(makeupArgs(&m), m.ID)...)
	if err == nil && ct.RowsAffected() == 0 {
		return core.Errorf(core.ENOTFOUND, "no request %d", m.ID)
	}
	return err
}

// makeupQuery is the SELECT of the requests matching f, ordered by
// creation; it follows core.MakeupFilter.Matches.
func makeupQuery(f core.MakeupFilter) (string, []any) {
	var c conditions
	if f.EmployeeID != "" {
		c.add("employee_id = $%d", f.EmployeeID)
	}
	if f.ShiftDate != "" {
		c.add("shift_date = $%d", f.ShiftDate)
	}
	if f.ApproverID != "" {
		c.add("approver_id = $%d", f.ApproverID)
	}
	if len(f.Statuses) > 0 {
		sts := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			sts[i] = string(st)
		}
		c.add("status = ANY($%d)", sts)
	}
	if len(f.Types) > 0 {
		types := make([]string, len(f.Types))
		for i, t := range f.Types {
			types[i] = string(t)
		}
		if slices.Contains(f.Types, core.RequestMakeup) {
			types = append(types, "") // written with no type
		}
		c.add("type = ANY($%d)", types)
	}
	if !f.From.IsZero() {
		c.add("created_at >= $%d", ts(f.From))
	}
	if !f.To.IsZero() {
		c.add("created_at < $%d", ts(f.To))
	}
	if !f.CoverFrom.IsZero() && !f.CoverTo.IsZero() {
		c.add("start_at < $%d", ts(f.CoverTo))
		c.add("end_at >= $%d", ts(f.CoverFrom))
	}
	return c.query(`SELECT `+makeupCols+` FROM makeup_requests`, `created_at, id`, 0)
}

// ListMakeups returns matching requests ordered by creation.
func (t *pgTx) ListMakeups(ctx context.Context, f core.MakeupFilter) ([]core.MakeupRequest, error) {
	q, args := makeupQuery(f)
	return t.queryMakeups(ctx, "list make-up requests", q, args...)
}

// ListRequests returns the requests matching f outside any transaction:
// the approvals of a report's range, everyone's in one query.
func (s *Store) ListRequests(ctx context.Context, f core.MakeupFilter) ([]core.MakeupRequest, error) {
	q, args := makeupQuery(f)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, translate(err, "list requests")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (core.MakeupRequest, error) { return scanMakeup(row) })
	return out, translate(err, "list requests")
}

// LeaveTypes returns the leave types of the last applied organisation, in
// file order.
func (s *Store) LeaveTypes(ctx context.Context) ([]core.LeaveType, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name, annual_quota_days, paid, from_overtime, expire_days FROM leave_types ORDER BY position`)
	if err != nil {
		return nil, translate(err, "list leave types")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (core.LeaveType, error) {
		var t core.LeaveType
		var kinds string
		err := row.Scan(&t.ID, &t.Name, &t.AnnualQuotaDays, &t.Paid, &kinds, &t.ExpireDays)
		t.FromOvertime = core.SplitOvertimeKinds(kinds)
		return t, err
	})
	return out, translate(err, "list leave types")
}

// queueLeaveTypes replaces the leave types with the organisation's.
func queueLeaveTypes(b *pgx.Batch, org core.Org) {
	b.Queue(`DELETE FROM leave_types`)
	for i, lt := range org.LeaveTypes {
		b.Queue(`INSERT INTO leave_types (id, position, name, annual_quota_days, paid, from_overtime, expire_days) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			lt.ID, int32(i), lt.Name, lt.AnnualQuotaDays, lt.Paid, core.JoinOvertimeKinds(lt.FromOvertime), int32(lt.ExpireDays))
	}
}
