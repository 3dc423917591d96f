package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/punchbot/punchbot/core"
)

// rollbackTimeout bounds the ROLLBACK sent after a failure, even when the
// caller's context is already done.
const rollbackTimeout = 5 * time.Second

// employeeLockClass is the first key of the two-key advisory locks that
// serialise one employee's commands; two-key locks never collide with the
// one-key migration and apply locks.
const employeeLockClass = 0x70756e63 // "punc"

const lockEmployee = `SELECT pg_advisory_xact_lock($1, hashtext($2))`

// pgTx is one transaction of InTx: a pgx.Tx, the employee locks that go
// with its next statement, and the punches its first read under a lock
// brought along.
type pgTx struct {
	tx pgx.Tx
	// err is the first failure the server reported: it has aborted the
	// transaction, so every later call fails with it and InTx rolls back.
	err   error
	locks []string // employees to lock before the next statement
	ahead map[string]*readAhead
}

// readAhead is what the read sent with an employee's lock fetched, so that
// the rules' further reads in the transaction need no round trip: the
// employee's punches of shift dates from on, ordered by (at, id), and their
// latest located punch (nil: none). It is read under the lock and forgotten
// when the transaction inserts a punch of the employee.
type readAhead struct {
	from    string
	punches []core.Punch
	latest  *core.Punch
}

// InTx runs fn in one transaction: BEGIN, fn's statements, COMMIT. An error
// from fn or from a statement rolls back and is returned. When ctx is done
// before COMMIT, InTx rolls back and returns EUNAVAILABLE wrapping ctx's
// error: a caller that gave up (and will answer its client with an error)
// never commits afterwards.
func (s *Store) InTx(ctx context.Context, fn func(core.Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return gaveUp(ctx, translate(err, "begin transaction"), "begin transaction")
	}
	t := &pgTx{tx: tx}
	defer func() {
		if p := recover(); p != nil {
			t.rollback(ctx)
			panic(p)
		}
	}()
	if err := fn(t); err != nil {
		t.rollback(ctx)
		return err
	}
	if t.err != nil {
		t.rollback(ctx)
		return t.err
	}
	if err := ctx.Err(); err != nil {
		t.rollback(ctx)
		return core.WrapError(core.EUNAVAILABLE, err, "transaction not committed: the caller gave up")
	}
	if err := tx.Commit(ctx); err != nil {
		return gaveUp(ctx, translate(err, "commit"), "commit")
	}
	return nil
}

// rollback ends a transaction that failed. It runs even when ctx is done;
// if it fails, pgx closes the connection, so a broken transaction never
// returns to the pool.
func (t *pgTx) rollback(ctx context.Context) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	t.tx.Rollback(rctx)
}

// gaveUp returns err, or when ctx is done an EUNAVAILABLE error wrapping
// both ctx's error and err: the caller's deadline, not the database, is
// why it failed.
func gaveUp(ctx context.Context, err error, what string) error {
	if ctx.Err() == nil || err == nil {
		return err
	}
	return core.WrapError(core.EUNAVAILABLE, errors.Join(ctx.Err(), err), "%s: the caller gave up", what)
}

// ready returns the transaction's failure, if any, or sends the pending
// employee locks (usually they go with a read: see ShiftPunches).
func (t *pgTx) ready(ctx context.Context) error {
	if t.err != nil || len(t.locks) == 0 {
		return t.err
	}
	return t.send(ctx, "lock employee", func(*pgx.Batch) {})
}

// check returns nil for a nil err. Otherwise the server has aborted the
// transaction: the error, translated, sticks, so that every later call and
// InTx fail with it.
func (t *pgTx) check(ctx context.Context, err error, what string) error {
	if err == nil {
		return nil
	}
	t.err = gaveUp(ctx, translate(err, what), what)
	return t.err
}

// send runs the statements queue adds to a batch, after the pending
// employee locks, in one round trip. Results are read by the callbacks
// queue sets. An error the server reported aborts the transaction and
// sticks (see check).
func (t *pgTx) send(ctx context.Context, what string, queue func(b *pgx.Batch)) error {
	if t.err != nil {
		return t.err
	}
	b := &pgx.Batch{}
	if len(t.locks) > 0 {
		if dl, ok := ctx.Deadline(); ok {
			// The server stops waiting for a lock when the caller does:
			// a backend left waiting would otherwise hold a connection
			// slot until the lock is free, long after the client left.
			b.Queue(`SELECT set_config('lock_timeout', $1, true)`, lockTimeout(time.Until(dl)))
		}
		for _, id := range t.locks {
			b.Queue(lockEmployee, int32(employeeLockClass), id)
		}
		t.locks = t.locks[:0]
	}
	queue(b)
	return t.check(ctx, t.tx.SendBatch(ctx, b).Close(), what)
}

// lockTimeout is a lock_timeout setting for d, at least 1 ms (0 would mean
// no timeout).
func lockTimeout(d time.Duration) string {
	return strconv.FormatInt(max(d.Milliseconds(), 1), 10) + "ms"
}

// LockEmployee takes a transaction-scoped advisory lock on the employee. The
// lock goes to the server with the transaction's next statement, ahead of
// it, so nothing the transaction reads or writes precedes the lock; a
// caller's deadline bounds the wait (see send).
func (t *pgTx) LockEmployee(ctx context.Context, employeeID string) error {
	if t.err != nil {
		return t.err
	}
	t.locks = append(t.locks, employeeID)
	return nil
}

// lockPending reports whether the employee's lock waits for the next
// statement.
func (t *pgTx) lockPending(employeeID string) bool {
	for _, id := range t.locks {
		if id == employeeID {
			return true
		}
	}
	return false
}

const selectShiftPunches = `SELECT ` + punchCols + ` FROM punches WHERE employee_id = $1 AND shift_date = $2 ORDER BY at, id`

const selectPunchesFrom = `SELECT ` + punchCols + ` FROM punches WHERE employee_id = $1 AND shift_date >= $2 ORDER BY at, id`

const selectLatestLocated = `SELECT ` + punchCols + ` FROM punches WHERE employee_id = $1 AND has_location ORDER BY at DESC, id DESC LIMIT 1`

const selectLastLocated = `SELECT ` + punchCols + ` FROM punches
	WHERE employee_id = $1 AND has_location AND at <= $2 ORDER BY at DESC, id DESC LIMIT 1`

// queryPunches runs a query of punches.
func (t *pgTx) queryPunches(ctx context.Context, what, sql string, args ...any) ([]core.Punch, error) {
	if err := t.ready(ctx); err != nil {
		return nil, err
	}
	rows, _ := t.tx.Query(ctx, sql, args...)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (core.Punch, error) { return scanPunch(row) })
	return out, t.check(ctx, err, what)
}

// collectPunches returns a rows callback appending to *out.
func collectPunches(out *[]core.Punch) func(pgx.Rows) error {
	return func(rows pgx.Rows) (err error) {
		*out, err = pgx.AppendRows(*out, rows, func(row pgx.CollectableRow) (core.Punch, error) { return scanPunch(row) })
		return err
	}
}

// ShiftPunches returns the employee's punches of one shift date by time.
// The first read with the employee's lock pending also fetches their
// punches from the day before on and their latest located punch, in the
// lock's round trip: the rules' other reads (the previous shift of an
// overnight schedule, the last located punch) are then answered from that.
func (t *pgTx) ShiftPunches(ctx context.Context, employeeID, shiftDate string) ([]core.Punch, error) {
	if t.err != nil {
		return nil, t.err
	}
	if ra := t.ahead[employeeID]; ra != nil && shiftDate >= ra.from {
		var out []core.Punch
		for _, p := range ra.punches {
			if p.ShiftDate == shiftDate {
				out = append(out, clonePunch(p))
			}
		}
		return out, nil
	}
	day, err := time.Parse(core.DateLayout, shiftDate)
	if err != nil || !t.lockPending(employeeID) {
		return t.queryPunches(ctx, "shift punches", selectShiftPunches, employeeID, shiftDate)
	}
	ra := &readAhead{from: day.AddDate(0, 0, -1).Format(core.DateLayout)}
	var latest []core.Punch
	err = t.send(ctx, "shift punches", func(b *pgx.Batch) {
		b.Queue(selectPunchesFrom, employeeID, ra.from).Query(collectPunches(&ra.punches))
		b.Queue(selectLatestLocated, employeeID).Query(collectPunches(&latest))
	})
	if err != nil {
		return nil, err
	}
	if len(latest) > 0 {
		ra.latest = &latest[0]
	}
	if t.ahead == nil {
		t.ahead = map[string]*readAhead{}
	}
	t.ahead[employeeID] = ra
	return t.ShiftPunches(ctx, employeeID, shiftDate)
}

// clonePunch copies the lists a caller could change in place.
func clonePunch(p core.Punch) core.Punch {
	p.Reasons, p.Flags = slices.Clone(p.Reasons), slices.Clone(p.Flags)
	return p
}

// LastLocatedPunch returns the latest located punch at or before before,
// from what ShiftPunches read along when it can tell.
func (t *pgTx) LastLocatedPunch(ctx context.Context, employeeID string, before time.Time) (core.Punch, error) {
	if t.err != nil {
		return core.Punch{}, t.err
	}
	if ra := t.ahead[employeeID]; ra != nil && (ra.latest == nil || !ra.latest.At.After(before)) {
		if ra.latest == nil {
			return core.Punch{}, core.Errorf(core.ENOTFOUND, "no located punch of %s", employeeID)
		}
		return clonePunch(*ra.latest), nil
	}
	found, err := t.queryPunches(ctx, "last located punch", selectLastLocated, employeeID, ts(before))
	if err != nil {
		return core.Punch{}, err
	}
	if len(found) == 0 {
		return core.Punch{}, core.Errorf(core.ENOTFOUND, "no located punch of %s", employeeID)
	}
	return found[0], nil
}

const insertPunch = `INSERT INTO punches (employee_id, kind, at, received_at, shift_date, source, event_id, has_location,
	lat, lng, accuracy_m, label, site_id, distance_m, client_ip, outcome, time_result, late_min, early_min, reasons, flags, makeup_id)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22) RETURNING id`

// InsertPunch stores p and sets p.ID; a second punch for one event is
// ECONFLICT.
func (t *pgTx) InsertPunch(ctx context.Context, p *core.Punch) error {
	if err := t.ready(ctx); err != nil {
		return err
	}
	var id int64
	if err := t.tx.QueryRow(ctx, insertPunch, punchArgs(p)...).Scan(&id); err != nil {
		return t.check(ctx, err, "insert punch for "+p.Source+"/"+p.EventID)
	}
	p.ID = id
	delete(t.ahead, p.EmployeeID)
	return nil
}

// exec runs a statement without rows and returns its command tag.
func (t *pgTx) exec(ctx context.Context, what, sql string, args ...any) (pgconn.CommandTag, error) {
	if err := t.ready(ctx); err != nil {
		return pgconn.CommandTag{}, err
	}
	ct, err := t.tx.Exec(ctx, sql, args...)
	return ct, t.check(ctx, err, what)
}

// InsertEvent records the reply to an event; a duplicate (source, event
// id) is ECONFLICT.
func (t *pgTx) InsertEvent(ctx context.Context, e core.EventRecord) error {
	reply, err := e.EncodedReply()
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, "record event "+e.Source+"/"+e.EventID,
		`INSERT INTO events (source, event_id, employee_id, reply, created_at) VALUES ($1, $2, $3, $4, $5)`,
		e.Source, e.EventID, e.EmployeeID, reply, ts(e.CreatedAt))
	return err
}

const insertAudit = `INSERT INTO audit (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)`

func auditArgs(a core.AuditEntry) []any {
	return []any{ts(a.At), a.Actor, a.Action, a.Subject, a.Detail}
}

// InsertAudit appends an audit entry.
func (t *pgTx) InsertAudit(ctx context.Context, a core.AuditEntry) error {
	_, err := t.exec(ctx, "insert audit", insertAudit, auditArgs(a)...)
	return err
}

const insertOutbox = `INSERT INTO outbox (platform, route, kind, payload, dedupe_key, attempts, next_attempt, status, last_error, created_at, sent_at, firing_id)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
	ON CONFLICT (dedupe_key) WHERE dedupe_key <> '' DO NOTHING`

// EnqueueOutbox queues a message; a duplicate non-empty dedupe key is
// skipped.
func (t *pgTx) EnqueueOutbox(ctx context.Context, m core.OutboxMessage) error {
	status := m.Status
	if status == "" {
		status = core.OutboxPending
	}
	var payload []byte // nil is NULL
	if len(m.Payload) > 0 {
		payload = m.Payload
	}
	_, err := t.exec(ctx, "enqueue outbox message", insertOutbox, string(m.Platform), m.Route, m.Kind, payload, m.DedupeKey, int32(m.Attempts),
		nullTS(m.NextAttempt), status, m.LastError, ts(m.CreatedAt), nullTS(m.SentAt), m.FiringID)
	return err
}

// InsertMakeup stores m and sets m.ID.
func (t *pgTx) InsertMakeup(ctx context.Context, m *core.MakeupRequest) error {
	if err := t.ready(ctx); err != nil {
		return err
	}
	var id int64
	err := t.tx.QueryRow(ctx, `INSERT INTO makeup_requests (employee_id, shift_date, kind, at, reason, evidence, status,
		approver_id, decided_by, decided_at, note, punch_id, platform, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`, makeupArgs(m)...).Scan(&id)
	if err != nil {
		return t.check(ctx, err, "insert make-up request")
	}
	m.ID = id
	return nil
}

// GetMakeupForUpdate loads a request and row-locks it until commit.
func (t *pgTx) GetMakeupForUpdate(ctx context.Context, id int64) (core.MakeupRequest, error) {
	found, err := t.queryMakeups(ctx, "load make-up request", `SELECT `+makeupCols+` FROM makeup_requests WHERE id = $1 FOR UPDATE`, id)
	if err != nil {
		return core.MakeupRequest{}, err
	}
	if len(found) == 0 {
		return core.MakeupRequest{}, core.Errorf(core.ENOTFOUND, "no make-up request %d", id)
	}
	return found[0], nil
}

// queryMakeups runs a query of make-up requests.
func (t *pgTx) queryMakeups(ctx context.Context, what, sql string, args ...any) ([]core.MakeupRequest, error) {
	if err := t.ready(ctx); err != nil {
		return nil, err
	}
	rows, _ := t.tx.Query(ctx, sql, args...)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (core.MakeupRequest, error) { return scanMakeup(row) })
	return out, t.check(ctx, err, what)
}

// UpdateMakeup writes back a request; an unknown id is ENOTFOUND.
func (t *pgTx) UpdateMakeup(ctx context.Context, m core.MakeupRequest) error {
	ct, err := t.exec(ctx, "update make-up request", `UPDATE makeup_requests SET employee_id = $1, shift_date = $2, kind = $3, at = $4, reason = $5,
		evidence = $6, status = $7, approver_id = $8, decided_by = $9, decided_at = $10, note = $11, punch_id = $12, platform = $13,
		created_at = $14 WHERE id = $15`, append(makeupArgs(&m), m.ID)...)
	if err == nil && ct.RowsAffected() == 0 {
		return core.Errorf(core.ENOTFOUND, "no make-up request %d", m.ID)
	}
	return err
}

// ListMakeups returns matching requests ordered by creation.
func (t *pgTx) ListMakeups(ctx context.Context, f core.MakeupFilter) ([]core.MakeupRequest, error) {
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
	return t.queryMakeups(ctx, "list make-up requests", q+` ORDER BY created_at, id`, args...)
}
