package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/punchbot/punchbot/core"
)

// employeeLockClass is the first key of the two-key advisory locks that
// serialise one employee's commands; two-key locks never collide with the
// one-key migration and apply locks.
const employeeLockClass = 0x70756e63 // "punc"

// LockEmployee takes a transaction-scoped advisory lock on the employee,
// sent with the next statement (always before any read that follows it).
func (t *pgTx) LockEmployee(ctx context.Context, employeeID string) error {
	if t.err != nil {
		return t.err
	}
	if t.locked == nil {
		t.locked = map[string]bool{}
	}
	if t.locked[employeeID] {
		return nil
	}
	t.locked[employeeID] = true
	t.exec(lockWhat(employeeID), `SELECT pg_advisory_xact_lock($1, hashtext($2))`, []any{int32(employeeLockClass), employeeID}, nil)
	return nil
}

func lockWhat(employeeID string) string { return "lock employee " + employeeID }

// InsertEvent records the reply to an event, sent with the next statement;
// a duplicate (source, event id) fails the transaction then, with
// ECONFLICT.
func (t *pgTx) InsertEvent(ctx context.Context, e core.EventRecord) error {
	if t.err != nil {
		return t.err
	}
	reply, err := e.EncodedReply()
	if err != nil {
		return err
	}
	t.insert("record event "+e.Source+"/"+e.EventID, "events",
		`INSERT INTO events (source, event_id, employee_id, reply, created_at) VALUES ($1, $2, $3, $4, $5)`,
		[]any{e.Source, e.EventID, e.EmployeeID, reply, ts(e.CreatedAt)})
	return nil
}

const selectShiftPunches = `SELECT ` + punchCols + ` FROM punches WHERE employee_id = $1 AND shift_date = $2 ORDER BY at, id`

const selectLastLocated = `SELECT ` + punchCols + ` FROM punches
	WHERE employee_id = $1 AND has_location AND at <= $2 ORDER BY at DESC, id DESC LIMIT 1`

// collectPunches returns a rows callback appending to *out.
func collectPunches(out *[]core.Punch) func(pgx.Rows) error {
	return func(rows pgx.Rows) (err error) {
		*out, err = pgx.AppendRows(*out, rows, func(row pgx.CollectableRow) (core.Punch, error) { return scanPunch(row) })
		return err
	}
}

// selectViewPunches reads an employee's punches of shift dates from $2 on
// (k = 0) and their latest located punch (k = 1) in one statement: a
// punchView.
const selectViewPunches = `SELECT ` + punchCols + `, k FROM (
	(SELECT *, 0 AS k FROM punches WHERE employee_id = $1 AND shift_date >= $2)
	UNION ALL
	(SELECT *, 1 AS k FROM punches WHERE employee_id = $1 AND has_location ORDER BY at DESC, id DESC LIMIT 1)
) AS u ORDER BY k, at, id`

// txView is a punchView used by one transaction: base is the punch_seq it
// was read at, inserted counts the punches the transaction added to it
// since, and guarded tells that it came from the cache and is checked by
// punchbot_lock_and_expect_punch_seq.
type txView struct {
	v        *punchView
	base     int64
	inserted int64
	guarded  bool
	cache    bool   // the employee exists: the view may be kept
	maxDate  string // latest shift date asked for, to prune the view by
}

// ShiftPunches returns the employee's punches of one shift date by time.
// For a locked employee it reads their punch sequence, their punches from
// the day before on and their latest located punch in one round trip, and
// answers later reads of the transaction from that; a Retryable
// transaction answers from the store's view when it has one (see
// punchView).
func (t *pgTx) ShiftPunches(ctx context.Context, employeeID, shiftDate string) ([]core.Punch, error) {
	if t.err != nil {
		return nil, t.err
	}
	if tv, err := t.view(ctx, employeeID, shiftDate); err != nil || tv != nil {
		if err != nil {
			return nil, err
		}
		tv.maxDate = max(tv.maxDate, shiftDate)
		return tv.v.shift(shiftDate), nil
	}
	var out []core.Punch
	t.query("shift punches", selectShiftPunches, []any{employeeID, shiftDate}, collectPunches(&out))
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// view returns a view of a locked employee covering date, from the
// transaction, the store's cache or a read; nil when the employee is not
// locked or the transaction's view does not reach back to date.
func (t *pgTx) view(ctx context.Context, employeeID, date string) (*txView, error) {
	if !t.locked[employeeID] {
		return nil, nil
	}
	if tv := t.views[employeeID]; tv != nil {
		if tv.v.covers(date) {
			return tv, nil
		}
		return nil, nil
	}
	if t.speculate && !t.started && !t.inserted[employeeID] {
		if v := t.s.views.get(employeeID); v != nil && v.covers(date) {
			// The employee's lock, still waiting to be sent, becomes the
			// lock and the check that v is current, before any write.
			for i, st := range t.pending {
				if st.what == lockWhat(employeeID) {
					t.pending[i] = stmt{what: "lock and check punches of " + employeeID, sql: lockAndCheckSQL,
						args: []any{int32(employeeLockClass), employeeID, v.seq}}
					tv := &txView{v: v.clone(), base: v.seq, guarded: true, cache: true}
					t.setView(employeeID, tv)
					return tv, nil
				}
			}
		}
	}
	day, err := time.Parse(core.DateLayout, date)
	if err != nil {
		return nil, nil
	}
	from := day.AddDate(0, 0, -1).Format(core.DateLayout)
	var seq *int64
	t.query("punch sequence", `SELECT punch_seq FROM employees WHERE id = $1`, []any{employeeID}, func(rows pgx.Rows) error {
		for rows.Next() {
			if err := rows.Scan(&seq); err != nil {
				return err
			}
		}
		return nil
	})
	v := &punchView{from: from}
	t.query("shift punches", selectViewPunches, []any{employeeID, from}, func(rows pgx.Rows) error {
		for rows.Next() {
			var p core.Punch
			var k int32
			if err := scanPunchAnd(rows, &p, &k); err != nil {
				return err
			}
			if k == 0 {
				v.punches = append(v.punches, &p)
			} else {
				v.latest = &p
			}
		}
		return nil
	})
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	tv := &txView{v: v}
	if seq != nil {
		v.seq, tv.base, tv.cache = *seq, *seq, true
	}
	t.setView(employeeID, tv)
	return tv, nil
}

func (t *pgTx) setView(employeeID string, tv *txView) {
	if t.views == nil {
		t.views = map[string]*txView{}
	}
	t.views[employeeID] = tv
}

// LastLocatedPunch returns the latest located punch at or before before,
// from the transaction's view of a locked employee when it can tell.
func (t *pgTx) LastLocatedPunch(ctx context.Context, employeeID string, before time.Time) (core.Punch, error) {
	if t.err != nil {
		return core.Punch{}, t.err
	}
	if tv := t.views[employeeID]; tv != nil {
		if p, ok := tv.v.lastLocated(ts(before)); ok {
			if p == nil {
				return core.Punch{}, core.Errorf(core.ENOTFOUND, "no located punch of %s", employeeID)
			}
			return *p, nil
		}
	}
	var found []core.Punch
	t.query("last located punch", selectLastLocated, []any{employeeID, ts(before)}, collectPunches(&found))
	if err := t.flush(ctx); err != nil {
		return core.Punch{}, err
	}
	if len(found) == 0 {
		return core.Punch{}, core.Errorf(core.ENOTFOUND, "no located punch of %s", employeeID)
	}
	return found[0], nil
}

const insertPunch = `INSERT INTO punches (id, employee_id, kind, at, received_at, shift_date, source, event_id, has_location,
	lat, lng, accuracy_m, label, site_id, distance_m, client_ip, outcome, time_result, late_min, early_min, reasons, flags, makeup_id)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)`

// InsertPunch stores p and sets p.ID. The id comes from a block reserved in
// advance, so the insert itself waits for the next round trip (usually
// COMMIT); a duplicate event fails the transaction then, with ECONFLICT.
func (t *pgTx) InsertPunch(ctx context.Context, p *core.Punch) error {
	if t.err != nil {
		return t.err
	}
	id, err := t.punchID(ctx)
	if err != nil {
		return err
	}
	t.insert("insert punch for "+p.Source+"/"+p.EventID, "punches", insertPunch, append([]any{id}, punchArgs(p)...))
	p.ID = id
	if tv := t.views[p.EmployeeID]; tv != nil {
		stored := clonePunch(*p)
		stored.At, stored.ReceivedAt = ts(p.At), ts(p.ReceivedAt)
		stored.Reasons, stored.Flags = nilIfEmpty(stored.Reasons), nilIfEmpty(stored.Flags)
		tv.v.add(&stored)
		tv.inserted++
	} else {
		if t.inserted == nil {
			t.inserted = map[string]bool{}
		}
		t.inserted[p.EmployeeID] = true
	}
	return nil
}

const insertAudit = `INSERT INTO audit (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)`

func auditArgs(a core.AuditEntry) []any {
	return []any{ts(a.At), a.Actor, a.Action, a.Subject, a.Detail}
}

// InsertAudit appends an audit entry, sent with the next statement.
func (t *pgTx) InsertAudit(ctx context.Context, a core.AuditEntry) error {
	if t.err != nil {
		return t.err
	}
	t.insert("insert audit", "audit", insertAudit, auditArgs(a))
	return nil
}

const insertOutbox = `INSERT INTO outbox (platform, route, kind, payload, dedupe_key, attempts, next_attempt, status, last_error, created_at, sent_at, firing_id)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
	ON CONFLICT (dedupe_key) WHERE dedupe_key <> '' DO NOTHING`

// EnqueueOutbox queues a message, sent with the next statement; a duplicate
// non-empty dedupe key is skipped.
func (t *pgTx) EnqueueOutbox(ctx context.Context, m core.OutboxMessage) error {
	if t.err != nil {
		return t.err
	}
	status := m.Status
	if status == "" {
		status = core.OutboxPending
	}
	var payload []byte // nil is NULL
	if len(m.Payload) > 0 {
		payload = m.Payload
	}
	t.insert("enqueue outbox message", "outbox", insertOutbox, []any{string(m.Platform), m.Route, m.Kind, payload, m.DedupeKey, int32(m.Attempts),
		nullTS(m.NextAttempt), status, m.LastError, ts(m.CreatedAt), nullTS(m.SentAt), m.FiringID})
	return nil
}

// InsertMakeup stores m and sets m.ID.
func (t *pgTx) InsertMakeup(ctx context.Context, m *core.MakeupRequest) error {
	if t.err != nil {
		return t.err
	}
	var id int64
	t.query("insert make-up request", `INSERT INTO makeup_requests (employee_id, shift_date, kind, at, reason, evidence, status,
		approver_id, decided_by, decided_at, note, punch_id, platform, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`, makeupArgs(m), func(rows pgx.Rows) error {
		for rows.Next() {
			if err := rows.Scan(&id); err != nil {
				return err
			}
		}
		return nil
	})
	if err := t.flush(ctx); err != nil {
		return err
	}
	m.ID = id
	return nil
}

// GetMakeupForUpdate loads a request and row-locks it until commit.
func (t *pgTx) GetMakeupForUpdate(ctx context.Context, id int64) (core.MakeupRequest, error) {
	if t.err != nil {
		return core.MakeupRequest{}, t.err
	}
	var found *core.MakeupRequest
	t.query("load make-up request", `SELECT `+makeupCols+` FROM makeup_requests WHERE id = $1 FOR UPDATE`, []any{id}, func(rows pgx.Rows) error {
		for rows.Next() {
			m, err := scanMakeup(rows)
			if err != nil {
				return err
			}
			found = &m
		}
		return nil
	})
	if err := t.flush(ctx); err != nil {
		return core.MakeupRequest{}, err
	}
	if found == nil {
		return core.MakeupRequest{}, core.Errorf(core.ENOTFOUND, "no make-up request %d", id)
	}
	return *found, nil
}

// UpdateMakeup writes back a request; an unknown id is ENOTFOUND. It is
// sent at once: its row count is checked by the client, which must happen
// before COMMIT is on its way.
func (t *pgTx) UpdateMakeup(ctx context.Context, m core.MakeupRequest) error {
	if t.err != nil {
		return t.err
	}
	args := append(makeupArgs(&m), m.ID)
	t.exec("update make-up request", `UPDATE makeup_requests SET employee_id = $1, shift_date = $2, kind = $3, at = $4, reason = $5,
		evidence = $6, status = $7, approver_id = $8, decided_by = $9, decided_at = $10, note = $11, punch_id = $12, platform = $13,
		created_at = $14 WHERE id = $15`, args, func(ct pgconn.CommandTag) error {
		if ct.RowsAffected() == 0 {
			return core.Errorf(core.ENOTFOUND, "no make-up request %d", m.ID)
		}
		return nil
	})
	return t.flush(ctx)
}

// ListMakeups returns matching requests ordered by creation.
func (t *pgTx) ListMakeups(ctx context.Context, f core.MakeupFilter) ([]core.MakeupRequest, error) {
	if t.err != nil {
		return nil, t.err
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.EmployeeID != "" {
		add("employee_id = $%d", f.EmployeeID)
	}
	if f.ShiftDate != "" {
		add("shift_date = $%d", f.ShiftDate)
	}
	if len(f.Statuses) > 0 {
		sts := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			sts[i] = string(st)
		}
		add("status = ANY($%d)", sts)
	}
	if !f.From.IsZero() {
		add("created_at >= $%d", ts(f.From))
	}
	if !f.To.IsZero() {
		add("created_at < $%d", ts(f.To))
	}
	q := `SELECT ` + makeupCols + ` FROM makeup_requests`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	var out []core.MakeupRequest
	t.query("list make-up requests", q+` ORDER BY created_at, id`, args, func(rows pgx.Rows) (err error) {
		out, err = pgx.AppendRows(out, rows, func(row pgx.CollectableRow) (core.MakeupRequest, error) { return scanMakeup(row) })
		return err
	})
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return out, nil
}
