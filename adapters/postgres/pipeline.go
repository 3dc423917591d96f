package postgres

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/punchbot/punchbot/core"
)

// rollbackTimeout bounds the ROLLBACK sent after a failure, even when the
// caller's context is already done.
const rollbackTimeout = 5 * time.Second

// stmt is one statement waiting for the next round trip.
type stmt struct {
	what  string
	whats []string // of the statements merged into this one, if any
	sql   string
	args  []any
	check func(pgconn.CommandTag) error // for statements without rows
	rows  func(pgx.Rows) error          // for statements with rows
	// table is set on plain INSERTs that return nothing: a run of them
	// into different tables is sent as one statement (see combine).
	table string
	// pooledArgs marks args taken from argsPool (merged statements),
	// returned by putArgs once the statement is sent.
	pooledArgs bool
}

// argsPool keeps the argument lists of merged statements, which hold the
// arguments of every member of a group: hundreds of values per commit.
var argsPool = sync.Pool{New: func() any { return new([]any) }}

func getArgs(n int) []any {
	args := *argsPool.Get().(*[]any)
	return slices.Grow(args[:0], n)
}

// putArgs returns the pooled argument lists of stmts, which must not be
// used afterwards. Whoever consumes a statement with pooled arguments
// returns them: sendAll and flush once sent, combine once copied.
func putArgs(stmts []stmt) {
	for _, st := range stmts {
		if st.pooledArgs {
			args := st.args[:0]
			clear(args[:cap(args)])
			argsPool.Put(&args)
		}
	}
}

// describe says what the statement does, for errors; merged statements
// join their parts only then.
func (st stmt) describe() string {
	if st.whats != nil {
		return strings.Join(st.whats, ", ")
	}
	return st.what
}

// pgTx is one pipelined transaction on a borrowed connection. Statements
// whose results the caller does not need wait in pending and travel with the
// next statement that has to answer (a read, an insert returning an id, or
// COMMIT). BEGIN goes with the first round trip; a transaction that never
// needed an answer goes in one round trip without BEGIN or COMMIT, as the
// implicit transaction of a pipeline.
type pgTx struct {
	s       *Store
	conn    *pgxpool.Conn
	pending []stmt
	started bool  // BEGIN has been sent
	err     error // the first failure; the transaction is lost
	locked  map[string]bool
	// views holds, per locked employee, their punches as this transaction
	// knows them, with its own inserts added: read under the lock, or
	// taken from the store's cache when speculate is set and then checked
	// at commit (see punchView).
	views map[string]*txView
	// inserted marks employees this transaction added punches for without
	// a view: their cached views go stale.
	inserted  map[string]bool
	speculate bool // fn may run again: reads may come from the cache
}

// txPool keeps finished transactions, so that a punch does not allocate
// its statement list and bookkeeping maps afresh.
var txPool = sync.Pool{New: func() any { return new(pgTx) }}

func newTx(s *Store, conn *pgxpool.Conn, speculate bool) *pgTx {
	t := txPool.Get().(*pgTx)
	t.s, t.conn, t.speculate = s, conn, speculate
	return t
}

// release returns t to txPool; nothing may use it afterwards (core.Tx
// values do not outlive InTx's fn).
func (t *pgTx) release() {
	pending := t.pending[:0]
	clear(pending[:cap(pending)])
	clear(t.locked)
	clear(t.views)
	clear(t.inserted)
	*t = pgTx{pending: pending, locked: t.locked, views: t.views, inserted: t.inserted}
	txPool.Put(t)
}

// errStalePunches is what a transaction that judged from cached punches
// fails with when they were not current; InTx then runs fn again.
var errStalePunches = core.Errorf(core.EUNAVAILABLE, "punches changed while a punch was judged; try again")

// pgStalePunches is the SQLSTATE punchbot_lock_and_expect_punch_seq raises.
const pgStalePunches = "PB001"

// InTx runs fn in one transaction. An error from fn (or from a pipelined
// statement) rolls back and is returned. With a context marked
// core.Retryable, fn may first run on cached punches (see punchView) and,
// when those turn out stale at commit, run again on punches read inside
// the transaction.
func (s *Store) InTx(ctx context.Context, fn func(core.Tx) error) error {
	speculate := core.IsRetryable(ctx) && s.spec.allowed(time.Now())
	err := s.runTx(ctx, fn, speculate)
	if speculate && errors.Is(err, errStalePunches) {
		err = s.runTx(ctx, fn, false)
	}
	return err
}

func (s *Store) runTx(ctx context.Context, fn func(core.Tx) error, speculate bool) (err error) {
	conn, err := s.acquire(ctx)
	if err != nil {
		return err
	}
	t := newTx(s, conn, speculate)
	defer t.release()
	defer func() {
		if t.guarded() {
			s.spec.record(errors.Is(err, errStalePunches), time.Now())
		}
	}()
	defer func() {
		if p := recover(); p != nil {
			t.rollback(ctx)
			conn.Release()
			panic(p)
		}
	}()
	if err := fn(t); err != nil {
		t.fail(ctx, err)
		conn.Release()
		return err
	}
	if err := t.commit(ctx); err != nil {
		t.fail(ctx, err)
		conn.Release()
		return err
	}
	conn.Release()
	t.keepViews()
	return nil
}

// fail rolls back, and forgets cached views that proved stale.
func (t *pgTx) fail(ctx context.Context, err error) {
	t.rollback(ctx)
	if errors.Is(err, errStalePunches) {
		for id, tv := range t.views {
			if tv.guarded {
				t.s.views.drop(id)
			}
		}
	}
}

// keepViews updates the store's cache after a commit: each employee's view
// now stands at the sequence their punches reached with this transaction's
// inserts (one trigger bump per punch).
func (t *pgTx) keepViews() {
	for id := range t.inserted {
		if t.views[id] == nil {
			t.s.views.drop(id)
		}
	}
	for id, tv := range t.views {
		if !tv.cache {
			continue
		}
		v := tv.v
		v.seq = tv.base + tv.inserted
		if day, err := time.Parse(core.DateLayout, tv.maxDate); err == nil {
			v.prune(day.AddDate(0, 0, -1).Format(core.DateLayout))
		}
		t.s.views.put(id, v)
	}
}

// exec queues a statement without rows; check, when set, inspects its
// command tag (for example to turn "UPDATE 0" into ENOTFOUND). The check
// runs on the client, after the server has executed everything sent with
// the statement, so a statement with a check must be flushed before COMMIT
// is queued (UpdateMakeup does; COMMIT's own check comes last).
func (t *pgTx) exec(what, sql string, args []any, check func(pgconn.CommandTag) error) {
	t.pending = append(t.pending, stmt{what: what, sql: sql, args: args, check: check})
}

// insert queues a plain INSERT into table whose result nobody reads.
func (t *pgTx) insert(what, table, sql string, args []any) {
	t.pending = append(t.pending, stmt{what: what, sql: sql, args: args, table: table})
}

// query queues a statement whose rows fn reads when the round trip returns.
func (t *pgTx) query(what, sql string, args []any, fn func(pgx.Rows) error) {
	t.pending = append(t.pending, stmt{what: what, sql: sql, args: args, rows: fn})
}

// flush sends everything pending in one round trip, opening the
// transaction first if needed.
func (t *pgTx) flush(ctx context.Context) error {
	if t.err != nil {
		return t.err
	}
	if len(t.pending) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	if !t.started {
		b.Queue("begin")
		t.started = true
	}
	sent := t.s.batch(b, t.pending)
	t.pending = t.pending[:0]
	err := t.conn.SendBatch(ctx, b).Close()
	putArgs(sent)
	if err != nil {
		t.err = translate(err, "transaction")
		return t.err
	}
	return nil
}

func (t *pgTx) commit(ctx context.Context) error {
	if t.err != nil {
		return t.err
	}
	if len(t.pending) == 0 && !t.started {
		return nil // fn did nothing
	}
	if !t.started {
		// Nothing was needed before the end: the pipeline's implicit
		// transaction commits everything at its Sync, in one round trip,
		// shared with concurrent callers when it is a punch judged from
		// cached punches.
		t.countPunches()
		if id, ok := t.groupable(); ok {
			if err := t.s.group.commit(ctx, t.s, t.conn, id, t.pending); !errors.Is(err, errGroupFailed) {
				t.pending = t.pending[:0]
				return err
			}
		}
		err := t.s.sendAll(ctx, t.conn, t.pending)
		t.pending = t.pending[:0]
		if err != nil {
			t.err = err
			return t.err
		}
		return nil
	}
	t.exec("commit", "commit", nil, func(ct pgconn.CommandTag) error {
		// COMMIT of a failed transaction answers ROLLBACK without an error.
		if ct.String() != "COMMIT" {
			return core.Errorf(core.EINTERNAL, "transaction was rolled back by the server (%s)", ct)
		}
		return nil
	})
	if err := t.flush(ctx); err != nil {
		return err
	}
	t.started = false
	return nil
}

// countPunches turns each pending lock and check into a lock, check and
// count, now that every punch the transaction inserts is pending after it.
func (t *pgTx) countPunches() {
	for i, st := range t.pending {
		if st.sql != lockAndCheckSQL {
			continue
		}
		emp, _ := st.args[1].(string)
		seq, _ := st.args[2].(int64)
		var n int64
		if tv := t.views[emp]; tv != nil {
			n = tv.inserted
		}
		t.pending[i] = stmt{what: st.what, sql: lockCheckAndCountSQL, args: []any{st.args[0], []string{emp}, []int64{seq}, []int64{n}}}
	}
}

// guarded reports whether the transaction judged from cached punches.
func (t *pgTx) guarded() bool {
	for _, tv := range t.views {
		if tv.guarded {
			return true
		}
	}
	return false
}

// groupable reports whether the transaction, not yet started, can commit
// in a group: it locked one employee, judged from their cached punches
// (so its statements begin with the lock and the check of the punch
// sequence) and has no statement whose result the client must inspect.
func (t *pgTx) groupable() (employeeID string, ok bool) {
	if len(t.locked) != 1 || len(t.pending) == 0 {
		return "", false
	}
	for id := range t.locked {
		employeeID = id
	}
	if tv := t.views[employeeID]; tv == nil || !tv.guarded {
		return "", false
	}
	for _, st := range t.pending {
		if st.check != nil || st.rows != nil {
			return "", false
		}
	}
	return employeeID, true
}

// rollback ends a transaction that failed or whose fn failed. If the
// ROLLBACK itself fails the pool sees a connection that is not idle and
// discards it, so a broken transaction never returns to the pool.
func (t *pgTx) rollback(ctx context.Context) {
	if !t.started {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	t.conn.Exec(rctx, "rollback")
	t.started = false
}

// batch queues stmts on b, merging each run of plain INSERTs into distinct
// tables into one statement. Inserts into different tables that read
// nothing do not depend on each other, so running them as the parts of one
// statement is the same as running them in turn, and the server parses,
// plans and executes one statement instead of four.
// It returns the statements queued, for putArgs once b is sent.
func (s *Store) batch(b *pgx.Batch, stmts []stmt) []stmt {
	merged := s.mergeInserts(stmts)
	for _, st := range merged {
		queueStmt(b, st)
	}
	return merged
}

// mergeInserts returns stmts with each run of plain INSERTs into distinct
// tables merged into one statement (see batch).
func (s *Store) mergeInserts(stmts []stmt) []stmt {
	out := make([]stmt, 0, len(stmts))
	for i := 0; i < len(stmts); {
		j := i + 1
		if stmts[i].table != "" {
			for j < len(stmts) && j-i < maxCombined && stmts[j].table != "" && !slices.ContainsFunc(stmts[i:j], func(st stmt) bool { return st.table == stmts[j].table }) {
				j++
			}
		}
		if j-i == 1 {
			out = append(out, stmts[i])
		} else {
			out = append(out, s.combine(stmts[i:j]))
		}
		i = j
	}
	return out
}

// sendAll sends stmts on conn in one round trip, as the pipeline's
// implicit transaction: through sendPlain when they only write, else
// through a pgx batch.
func (s *Store) sendAll(ctx context.Context, conn *pgxpool.Conn, stmts []stmt) error {
	stmts = s.mergeInserts(stmts)
	defer putArgs(stmts)
	if err := s.sendPlain(ctx, conn, stmts); !errors.Is(err, errNotPlain) {
		return err
	}
	b := &pgx.Batch{}
	for _, st := range stmts {
		queueStmt(b, st)
	}
	return translate(conn.SendBatch(ctx, b).Close(), "transaction")
}

func queueStmt(b *pgx.Batch, st stmt) {
	qq := b.Queue(st.sql, st.args...)
	if st.rows != nil {
		qq.Fn = func(br pgx.BatchResults) error {
			rows, err := br.Query()
			if err != nil {
				return translate(err, st.describe())
			}
			defer rows.Close()
			if err := st.rows(rows); err != nil {
				return translate(err, st.describe())
			}
			rows.Close()
			return translate(rows.Err(), st.describe())
		}
		return
	}
	qq.Fn = func(br pgx.BatchResults) error {
		ct, err := br.Exec()
		if err != nil {
			return translate(err, st.describe())
		}
		if st.check != nil {
			return st.check(ct)
		}
		return nil
	}
}

// combinedSQL caches the text of merged statements; there are only a few
// shapes (punch + audit + event + outbox, and their subsets).
type combinedSQL struct {
	mu   sync.Mutex
	m    map[combineKey]string
	rows map[multiRowKey]string // multi-row INSERTs of groups, see multiRow
}

// combineKey is the statements a combined one is made of; comparing it
// compares their text without building a key string.
type combineKey [maxCombined]string

// maxCombined bounds the statements combine merges: one per table a
// transaction inserts into.
const maxCombined = 8

type multiRowKey struct {
	sql  string
	rows int
}

var placeholder = regexp.MustCompile(`\$(\d+)`)

// combine merges plain INSERTs (at most maxCombined, see batch) into one
// statement of data-modifying CTEs, renumbering their parameters.
func (s *Store) combine(stmts []stmt) stmt {
	var key combineKey
	n := 0
	for i, st := range stmts {
		key[i] = st.sql
		n += len(st.args)
	}
	args := getArgs(n)
	whats := make([]string, len(stmts))
	for i, st := range stmts {
		args = append(args, st.args...)
		whats[i] = st.describe()
	}
	putArgs(stmts) // copied: the parts' pooled lists are free
	s.combined.mu.Lock()
	sql, ok := s.combined.m[key]
	if !ok {
		var q strings.Builder
		offset := 0
		for i, st := range stmts {
			shifted := placeholder.ReplaceAllStringFunc(st.sql, func(p string) string {
				n, _ := strconv.Atoi(p[1:])
				return "$" + strconv.Itoa(n+offset)
			})
			offset += len(st.args)
			if i < len(stmts)-1 {
				if i == 0 {
					q.WriteString("WITH ")
				} else {
					q.WriteString(", ")
				}
				fmt.Fprintf(&q, "w%d AS (%s)", i, shifted)
			} else {
				q.WriteString(" ")
				q.WriteString(shifted)
			}
		}
		sql = q.String()
		if s.combined.m == nil {
			s.combined.m = map[combineKey]string{}
		}
		s.combined.m[key] = sql
	}
	s.combined.mu.Unlock()
	return stmt{whats: whats, sql: sql, args: args, pooledArgs: true}
}

// punchIDBlock is how many punch ids one nextval reserves: the punches
// identity column increments by it (migration 0001), so InsertPunch draws
// ids from memory and needs a round trip only once per refill.
const punchIDBlock = 64

// punchIDRefill is how many blocks one refill reserves.
const punchIDRefill = 4

// idBlock hands out the ids of reserved blocks.
type idBlock struct {
	mu        sync.Mutex
	next, end int64
	spare     []int64 // first ids of further reserved blocks
	// refilling lets one caller at a time reserve blocks: the others wait
	// for its ids instead of each reserving blocks of their own.
	refilling sync.Mutex
}

func (b *idBlock) take() (int64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.next >= b.end {
		if len(b.spare) == 0 {
			return 0, false
		}
		b.next, b.end = b.spare[0], b.spare[0]+punchIDBlock
		b.spare = b.spare[1:]
	}
	b.next++
	return b.next - 1, true
}

// add makes the blocks starting at firsts available.
func (b *idBlock) add(firsts ...int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.spare = append(b.spare, firsts...)
}

// punchID returns an id for a new punch. When the reserved blocks are used
// up it reserves more through the transaction's connection in a statement
// of its own: nextval is not transactional, so that round trip neither
// opens the transaction nor waits for it, and the punch can still commit in
// one round trip (and in a group).
func (t *pgTx) punchID(ctx context.Context) (int64, error) {
	ids := &t.s.punchIDs
	if id, ok := ids.take(); ok {
		return id, nil
	}
	ids.refilling.Lock()
	defer ids.refilling.Unlock()
	for {
		if id, ok := ids.take(); ok {
			return id, nil
		}
		rows, _ := t.conn.Query(ctx, `SELECT nextval('punches_id_seq') FROM generate_series(1, $1)`, punchIDRefill)
		firsts, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return 0, translate(err, "reserve punch ids")
		}
		ids.add(firsts...)
	}
}
