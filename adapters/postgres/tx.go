package postgres

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
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

// lockEmployeeWithin is lockEmployee after setting the transaction's
// lock_timeout to $3.
const lockEmployeeWithin = `SELECT set_config('lock_timeout', $3, true), pg_advisory_xact_lock($1, hashtext($2))`

// drawPunchID, added to an employee's lock statement, draws a punch id ahead
// of the insert, so that the insert can wait for COMMIT's round trip while
// the caller already knows the id.
const drawPunchID = `, nextval('punches_id_seq')`

// pgTx is one transaction of InTx, on a connection of its own: BEGIN goes
// out with the first statement that needs an answer, the employee locks
// with the statement after them, and writes whose answer the caller does
// not need wait for the next statement that does, or for COMMIT.
type pgTx struct {
	conn *pgxpool.Conn
	// begun is set once BEGIN was sent; from then on the connection is in
	// a transaction until COMMIT or ROLLBACK.
	begun bool
	// err is the first failure the server reported: it has aborted the
	// transaction, so every later call fails with it and InTx rolls back.
	err   error
	locks []string // employees to lock before the next statement
	// lockDeadline is set once lock_timeout was derived from the caller's
	// deadline: a lock timeout is then that deadline, reached on the
	// server a moment before the context's timer fires.
	lockDeadline bool
	writes       []*pgx.QueuedQuery // writes to send before the next statement
	ahead        map[string]*readAhead
	// idFor, when set, is the employee whose pending lock statement also
	// draws a punch id, into *idInto (see ShiftPunches).
	idFor  string
	idInto *int64
}

// readAhead is what the read sent with an employee's lock fetched, so that
// the rules' further reads in the transaction need no round trip: the
// employee's punches of shift dates from on, ordered by (at, id), their
// latest located punch (nil: none) and their waiting text punch (nil:
// none). It is read under the lock and forgotten when the transaction
// inserts a punch of the employee. punchID is an id drawn in the same
// round trip for that punch.
type readAhead struct {
	from    string
	punches []core.Punch
	latest  *core.Punch
	intent  *core.PunchIntent
	punchID int64
}

// InTx runs fn in one transaction on a connection of the pool. The first
// statement fn sends that needs an answer travels with BEGIN (and, for a
// punch, the employee's lock and the reads the rules need: see
// ShiftPunches); the writes after it travel with COMMIT. A conflict or
// other failure of such a write is therefore reported by a later call or
// by InTx, as core.Tx allows, and nothing is committed. An error from fn or
// from a statement rolls back and is returned. When ctx is done before
// COMMIT is sent, InTx rolls back and returns EUNAVAILABLE wrapping ctx's
// error: a caller that gave up (and will answer its client with an error)
// never commits afterwards.
func (s *Store) InTx(ctx context.Context, fn func(core.Tx) error) error {
	conn, err := s.acquire(ctx)
	if err != nil {
		return gaveUp(ctx, err, "begin transaction")
	}
	t := &pgTx{conn: conn}
	defer func() {
		if p := recover(); p != nil {
			t.rollback(ctx)
			conn.Release()
			panic(p)
		}
	}()
	err = t.run(ctx, fn)
	conn.Release()
	return err
}

// run is InTx on the connection it acquired; the connection goes back to
// the pool afterwards outside a transaction, or is closed by the pool.
func (t *pgTx) run(ctx context.Context, fn func(core.Tx) error) error {
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
	if !t.begun && len(t.writes) == 0 && len(t.locks) == 0 {
		return nil // nothing was sent and nothing is to be written
	}
	err := t.send(ctx, "commit", func(b *pgx.Batch) {
		b.Queue(`COMMIT`).Exec(func(ct pgconn.CommandTag) error {
			// COMMIT of an aborted transaction rolls back and says so
			// only in its tag.
			if ct.String() != "COMMIT" {
				return pgx.ErrTxCommitRollback
			}
			return nil
		})
	})
	if err != nil {
		t.rollback(ctx)
	}
	return err
}

// rollback ends a transaction that failed. It runs even when ctx is done;
// if it fails, the connection is left in its transaction and the pool
// closes it on release, so a broken transaction never returns to the pool.
func (t *pgTx) rollback(ctx context.Context) {
	t.writes = nil
	pc := t.conn.Conn().PgConn()
	if pc.IsClosed() || pc.TxStatus() == 'I' {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	t.conn.Exec(rctx, `ROLLBACK`)
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

// check returns nil for a nil err. Otherwise the server has aborted the
// transaction: the error, translated, sticks, so that every later call and
// InTx fail with it. A write sent ahead of the statement names itself (see
// failedWrite).
func (t *pgTx) check(ctx context.Context, err error, what string) error {
	if err == nil {
		return nil
	}
	if fw, ok := errors.AsType[*failedWrite](err); ok {
		err, what = fw.err, fw.what
	}
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok && pe.Code == pgLockNotAvailable && t.lockDeadline {
		err = errors.Join(context.DeadlineExceeded, err)
		t.err = core.WrapError(core.EUNAVAILABLE, err, "%s: the caller gave up", what)
		return t.err
	}
	t.err = gaveUp(ctx, translate(err, what), what)
	return t.err
}

// failedWrite is the failure of a write that waited for a later statement,
// named by what the write was.
type failedWrite struct {
	what string
	err  error
}

func (e *failedWrite) Error() string { return e.what + ": " + e.err.Error() }
func (e *failedWrite) Unwrap() error { return e.err }

// write queues a statement whose answer the caller does not need: it goes
// to the server with the transaction's next statement, or with COMMIT.
func (t *pgTx) write(what, sql string, args ...any) error {
	if t.err != nil {
		return t.err
	}
	q := &pgx.QueuedQuery{SQL: sql, Arguments: args}
	q.Fn = func(br pgx.BatchResults) error {
		if _, err := br.Exec(); err != nil {
			return &failedWrite{what: what, err: err}
		}
		return nil
	}
	t.writes = append(t.writes, q)
	return nil
}

// send runs the statements queue adds to a batch in one round trip, after
// BEGIN if the transaction has not begun, the pending employee locks and
// the pending writes, in that order. Results are read by the callbacks
// queue sets. An error the server reported aborts the transaction and
// sticks (see check).
func (t *pgTx) send(ctx context.Context, what string, queue func(b *pgx.Batch)) error {
	if t.err != nil {
		return t.err
	}
	b := &pgx.Batch{}
	if !t.begun {
		b.Queue(`BEGIN`)
		t.begun = true
	}
	for i, id := range t.locks {
		// skip holds a scan target for each column before a drawn id.
		sql, args, skip := lockEmployee, []any{int32(employeeLockClass), id}, []any{nil}
		if dl, ok := ctx.Deadline(); ok && i == 0 {
			// The server stops waiting for a lock when the caller does: a
			// backend left waiting would otherwise hold a connection slot
			// until the lock is free, long after the client left. The
			// setting is made in the first lock's statement, before its
			// lock (PostgreSQL evaluates a select list in order), and lasts
			// the transaction.
			sql, args, skip = lockEmployeeWithin, append(args, lockTimeout(time.Until(dl))), []any{nil, nil}
			t.lockDeadline = true
		}
		if id != t.idFor {
			b.Queue(sql, args...)
			continue
		}
		dest := append(skip, t.idInto)
		b.Queue(sql+drawPunchID, args...).QueryRow(func(row pgx.Row) error { return row.Scan(dest...) })
		t.idFor, t.idInto = "", nil
	}
	t.locks = t.locks[:0]
	b.QueuedQueries = append(b.QueuedQueries, t.writes...)
	t.writes = t.writes[:0]
	queue(b)
	return t.check(ctx, t.conn.SendBatch(ctx, b).Close(), what)
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
	return slices.Contains(t.locks, employeeID)
}

const selectShiftPunches = `SELECT ` + punchCols + ` FROM punches WHERE employee_id = $1 AND shift_date = $2 ORDER BY at, id`

const selectPunchesBetween = `SELECT ` + punchCols + ` FROM punches WHERE employee_id = $1 AND shift_date BETWEEN $2 AND $3 ORDER BY at, id`

// selectReadAhead is what the employee's locked read fetches: their punches
// of shift dates from $2 on, and their latest located punch, which is one of
// those rows again unless it is older. One statement rather than two: the
// server parses, plans and answers each statement of a batch on its own.
const selectReadAhead = `SELECT ` + punchCols + ` FROM punches WHERE employee_id = $1 AND shift_date >= $2
	UNION ALL
	(SELECT ` + punchCols + ` FROM punches WHERE employee_id = $1 AND has_location ORDER BY at DESC, id DESC LIMIT 1)
	ORDER BY at, id`

const selectLastLocated = `SELECT ` + punchCols + ` FROM punches
	WHERE employee_id = $1 AND has_location AND at <= $2 ORDER BY at DESC, id DESC LIMIT 1`

// queryPunches runs a query of punches.
func (t *pgTx) queryPunches(ctx context.Context, what, sql string, args ...any) ([]core.Punch, error) {
	var out []core.Punch
	err := t.send(ctx, what, func(b *pgx.Batch) { b.Queue(sql, args...).Query(collectPunches(&out)) })
	return out, err
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
// The lock's own statement draws the id of the punch the rules usually
// decide to insert next, so that InsertPunch needs no round trip of its
// own; an id drawn and not used is a gap, as a rolled-back insert leaves.
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
	if err := t.readAhead(ctx, employeeID, day.AddDate(0, 0, -1)); err != nil {
		return nil, err
	}
	return t.ShiftPunches(ctx, employeeID, shiftDate)
}

// readAhead sends the employee's pending lock with the read of their
// punches of shift dates from on, their latest located punch and their
// waiting text punch, and keeps the answers for the transaction.
func (t *pgTx) readAhead(ctx context.Context, employeeID string, from time.Time) error {
	ra := &readAhead{from: from.Format(core.DateLayout)}
	var rows []core.Punch
	var intents []core.PunchIntent
	t.idFor, t.idInto = employeeID, &ra.punchID
	err := t.send(ctx, "shift punches", func(b *pgx.Batch) {
		b.Queue(selectReadAhead, employeeID, ra.from).Query(collectPunches(&rows))
		b.Queue(selectIntent, employeeID).Query(collectIntents(&intents))
	})
	if err != nil {
		return err
	}
	ra.take(rows)
	ra.intent = firstIntent(intents)
	if t.ahead == nil {
		t.ahead = map[string]*readAhead{}
	}
	t.ahead[employeeID] = ra
	return nil
}

// take splits the rows of selectReadAhead, ordered by (at, id): those of
// shift dates from ra.from on, each once, and the latest located of all of
// them, which is the employee's latest located punch.
func (ra *readAhead) take(rows []core.Punch) {
	for i := range rows {
		p := &rows[i]
		if p.HasLocation {
			ra.latest = p // the last located row is the latest
		}
		if p.ShiftDate < ra.from || (len(ra.punches) > 0 && ra.punches[len(ra.punches)-1].ID == p.ID) {
			continue // the latest located punch, older than the window or read twice
		}
		ra.punches = append(ra.punches, *p)
	}
}

// ShiftPunchesBetween returns the employee's punches of shift dates from
// to to by time: from what the employee's locked read fetched when it
// covers them, as the first read under a pending lock by fetching that
// (from the day before from on, as ShiftPunches does), else in one
// statement.
func (t *pgTx) ShiftPunchesBetween(ctx context.Context, employeeID, from, to string) ([]core.Punch, error) {
	if t.err != nil {
		return nil, t.err
	}
	if ra := t.ahead[employeeID]; ra != nil && from >= ra.from {
		var out []core.Punch
		for _, p := range ra.punches {
			if p.ShiftDate >= from && p.ShiftDate <= to {
				out = append(out, clonePunch(p))
			}
		}
		return out, nil
	}
	if day, err := time.Parse(core.DateLayout, from); err == nil && t.lockPending(employeeID) {
		if err := t.readAhead(ctx, employeeID, day.AddDate(0, 0, -1)); err != nil {
			return nil, err
		}
		return t.ShiftPunchesBetween(ctx, employeeID, from, to)
	}
	return t.queryPunches(ctx, "shift punches", selectPunchesBetween, employeeID, from, to)
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

const insertPunchWithID = `INSERT INTO punches (employee_id, kind, at, received_at, shift_date, source, event_id, has_location,
	lat, lng, accuracy_m, label, site_id, distance_m, client_ip, outcome, time_result, late_min, early_min, reasons, flags, makeup_id, id)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)`

// InsertPunch stores p and sets p.ID; a second punch for one event is
// ECONFLICT. With an id drawn by the employee's locked read (see
// ShiftPunches) the insert waits for the next statement or COMMIT, and so
// does its conflict; otherwise it is sent at once, to learn the id.
func (t *pgTx) InsertPunch(ctx context.Context, p *core.Punch) error {
	if t.err != nil {
		return t.err
	}
	what := "insert punch for " + p.Source + "/" + p.EventID
	if ra := t.ahead[p.EmployeeID]; ra != nil && ra.punchID != 0 {
		delete(t.ahead, p.EmployeeID)
		if err := t.write(what, insertPunchWithID, append(punchArgs(p), ra.punchID)...); err != nil {
			return err
		}
		p.ID = ra.punchID
		return nil
	}
	var id int64
	err := t.send(ctx, what, func(b *pgx.Batch) {
		b.Queue(insertPunch, punchArgs(p)...).QueryRow(func(row pgx.Row) error { return row.Scan(&id) })
	})
	if err != nil {
		return err
	}
	p.ID = id
	delete(t.ahead, p.EmployeeID)
	return nil
}

// exec runs a statement without rows at once and returns its command tag.
func (t *pgTx) exec(ctx context.Context, what, sql string, args ...any) (pgconn.CommandTag, error) {
	var ct pgconn.CommandTag
	err := t.send(ctx, what, func(b *pgx.Batch) {
		b.Queue(sql, args...).Exec(func(c pgconn.CommandTag) error { ct = c; return nil })
	})
	return ct, err
}

// InsertEvent records the reply to an event; a duplicate (source, event
// id) is ECONFLICT, from the transaction's next statement or from InTx.
func (t *pgTx) InsertEvent(ctx context.Context, e core.EventRecord) error {
	reply, err := e.EncodedReply()
	if err != nil {
		return err
	}
	return t.write("record event "+e.Source+"/"+e.EventID,
		`INSERT INTO events (source, event_id, employee_id, reply, created_at) VALUES ($1, $2, $3, $4, $5)`,
		e.Source, e.EventID, e.EmployeeID, reply, ts(e.CreatedAt))
}

const insertAudit = `INSERT INTO audit (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)`

func auditArgs(a core.AuditEntry) []any {
	return []any{ts(a.At), a.Actor, a.Action, a.Subject, a.Detail}
}

// InsertAudit appends an audit entry, with the transaction's next
// statement or its COMMIT.
func (t *pgTx) InsertAudit(ctx context.Context, a core.AuditEntry) error {
	return t.write("insert audit", insertAudit, auditArgs(a)...)
}

const insertOutbox = `INSERT INTO outbox (platform, route, kind, payload, dedupe_key, attempts, next_attempt, status, last_error, created_at, sent_at, firing_id)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
	ON CONFLICT (dedupe_key) WHERE dedupe_key <> '' DO NOTHING`

// EnqueueOutbox queues a message, with the transaction's next statement or
// its COMMIT; a duplicate non-empty dedupe key is skipped.
func (t *pgTx) EnqueueOutbox(ctx context.Context, m core.OutboxMessage) error {
	status := m.Status
	if status == "" {
		status = core.OutboxPending
	}
	var payload []byte // nil is NULL
	if len(m.Payload) > 0 {
		payload = m.Payload
	}
	return t.write("enqueue outbox message", insertOutbox, string(m.Platform), m.Route, m.Kind, payload, m.DedupeKey, int32(m.Attempts),
		nullTS(m.NextAttempt), status, m.LastError, ts(m.CreatedAt), nullTS(m.SentAt), m.FiringID)
}

// GetMakeupForUpdate loads a request and row-locks it until commit.
func (t *pgTx) GetMakeupForUpdate(ctx context.Context, id int64) (core.MakeupRequest, error) {
	found, err := t.queryMakeups(ctx, "load make-up request", `SELECT `+makeupCols+` FROM makeup_requests WHERE id = $1 FOR UPDATE`, id)
	if err != nil {
		return core.MakeupRequest{}, err
	}
	if len(found) == 0 {
		return core.MakeupRequest{}, core.Errorf(core.ENOTFOUND, "no request %d", id)
	}
	return found[0], nil
}

// queryMakeups runs a query of make-up requests.
func (t *pgTx) queryMakeups(ctx context.Context, what, sql string, args ...any) ([]core.MakeupRequest, error) {
	var out []core.MakeupRequest
	err := t.send(ctx, what, func(b *pgx.Batch) {
		b.Queue(sql, args...).Query(func(rows pgx.Rows) (err error) {
			out, err = pgx.AppendRows(out, rows, func(row pgx.CollectableRow) (core.MakeupRequest, error) { return scanMakeup(row) })
			return err
		})
	})
	return out, err
}
