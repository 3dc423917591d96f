package postgres

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Group commit. A punch judged from cached punches (see punchView) is, at
// commit, a self-contained list of statements that nothing has been sent
// of: the employee's lock, the check of their punch sequence and the
// writes. Such lists from concurrent callers are sent together, in one round
// trip, as one implicit transaction (one COMMIT, one WAL flush) instead of
// one each, and where they have the same shape as a few multi-row
// statements (mergeGroup). Members have distinct employees and lock them in
// ascending order, so two groups never wait for each other in a cycle
// (ApplyOrg writes employee rows in the same order). If anything in a group
// fails, nothing of it is kept and every member commits again on its own,
// getting exactly the result it would have had alone: a conflict or a stale
// check fails only the member it belongs to.

// groupMax bounds the members of one group.
const groupMax = 32

// groupLeaders is how many groups may be on their way at once, per 8
// connections of the pool (at least 2). With fewer leaders than callers,
// callers that get ready while a group is on its way queue up and go
// together in the next one; each group runs on one server process, so two
// let a small server use two cores.
func groupLeaders(maxConns int32) int { return max(2, int(maxConns)/8) }

// groupWait is how long a leader waits for company before it sends when
// it is alone in the queue, or when fewer than groupMin callers are queued
// while another group is on its way (the server is busy with that one
// anyway). It adds that much latency to a punch when the store is idle,
// and under load turns many small commits into fewer larger ones; what a
// server spends per punch falls steeply with the size of its group.
const groupWait = 100 * time.Microsecond

// groupMin is the queue length below which a leader waits for company
// while another group is on its way.
const groupMin = 5

// errGroupFailed tells a member to commit on its own.
var errGroupFailed = errors.New("group commit failed")

// member is one transaction waiting to be committed with others.
type member struct {
	employeeID string
	stmts      []stmt
	conn       *pgxpool.Conn // the member's connection, used when it leads
	done       chan error    // its result
	promote    chan struct{} // told to lead the next group
	promoted   bool          // promote was sent; guarded by groupCommitter.mu
}

// groupCommitter queues members and elects leaders: a leader takes a group
// from the head of the queue, sends it on its own connection and hands the
// results out.
type groupCommitter struct {
	mu         sync.Mutex
	queue      []*member
	leaders    int
	sending    int // groups on their way to the server
	maxLeaders int // groupLeaders of the pool; set by OpenWithSchema
}

// commit sends stmts (of a transaction that locked only employeeID and sent
// nothing yet) with those of concurrent callers. errGroupFailed means the
// caller must commit them alone.
func (g *groupCommitter) commit(ctx context.Context, s *Store, conn *pgxpool.Conn, employeeID string, stmts []stmt) error {
	m := &member{employeeID: employeeID, stmts: stmts, conn: conn, done: make(chan error, 1), promote: make(chan struct{}, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, m)
	lead := g.leaders < max(g.maxLeaders, 1)
	if lead {
		g.leaders++
	}
	g.mu.Unlock()
	if lead {
		g.lead(ctx, s, m)
	}
	for {
		select {
		case err := <-m.done:
			// Promoted while queued, then taken by another leader: the
			// lead was sent before the result, so it is waiting here.
			select {
			case <-m.promote:
				g.lead(ctx, s, m)
			default:
			}
			return err
		case <-m.promote:
			g.lead(ctx, s, m)
		}
	}
}

// lead runs one group on the leader's connection, then passes the lead to
// the first member still queued, or steps down.
func (g *groupCommitter) lead(ctx context.Context, s *Store, leader *member) {
	g.mu.Lock()
	queued, busy := len(g.queue), g.sending > 0
	g.mu.Unlock()
	if queued < 2 || busy && queued < groupMin {
		time.Sleep(groupWait)
	}
	g.mu.Lock()
	group := g.take()
	g.sending++
	g.mu.Unlock()
	if len(group) > 0 {
		// The group carries other callers' punches: the leader's own
		// cancellation must not fail them.
		g.run(context.WithoutCancel(ctx), s, leader.conn, group)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sending--
	for _, m := range g.queue {
		if !m.promoted {
			m.promoted = true
			m.promote <- struct{}{} // buffered, and sent once per member
			return
		}
	}
	// Nobody left to hand over to (or already handed over).
	g.leaders--
}

// take removes up to groupMax members with distinct employees from the
// head of the queue; a second command of one employee waits for the next
// group, since its check must see the first one's punch.
func (g *groupCommitter) take() []*member {
	var group []*member
	seen := map[string]bool{}
	rest := g.queue[:0]
	for _, m := range g.queue {
		if len(group) < groupMax && !seen[m.employeeID] {
			seen[m.employeeID] = true
			group = append(group, m)
		} else {
			rest = append(rest, m)
		}
	}
	clear(g.queue[len(rest):])
	g.queue = rest
	return group
}

// run sends a group as one implicit transaction and tells each member how
// it went.
func (g *groupCommitter) run(ctx context.Context, s *Store, conn *pgxpool.Conn, group []*member) {
	if len(group) == 1 {
		// A group of one commits on its own connection, as without groups.
		group[0].done <- errGroupFailed
		return
	}
	slices.SortFunc(group, func(a, b *member) int { return strings.Compare(a.employeeID, b.employeeID) })
	merged, ok := s.mergeGroup(group)
	if !ok {
		merged = nil
		for _, m := range group {
			merged = append(merged, m.stmts...)
		}
	}
	err := s.sendAll(ctx, conn, merged) // returns merged's pooled args
	for _, m := range group {
		if err != nil {
			m.done <- errGroupFailed
		} else {
			m.done <- nil
		}
	}
}

// lockAndCheckSQL is the first statement of a punch judged from a view,
// while the transaction may still send statements before its end: the
// insert trigger counts the punches that follow.
const lockAndCheckSQL = `SELECT punchbot_lock_and_expect_punch_seq($1, $2, $3)`

// lockCheckAndCountSQL replaces lockAndCheckSQL when everything the
// transaction does is sent at its end, so the number of punches it inserts
// is known: the call raises punch_seq by that number itself and the trigger
// skips those inserts (migration 0007). It takes arrays, so a group locks,
// checks and counts all its members in one call.
const lockCheckAndCountSQL = `SELECT punchbot_lock_check_and_count($1, $2::text[], $3::bigint[], $4::bigint[])`

// mergeGroup turns the members' statements into fewer, larger ones when
// every member sent the same statements (a punch's lock, check and count,
// then its inserts): one call locking, checking and counting every employee
// in turn, in the group's order, and one multi-row INSERT per table. The members are
// independent (distinct employees, nothing read), so running their inserts
// table by table does what running them member by member does; the server
// parses, plans and executes a handful of statements instead of a few per
// member.
func (s *Store) mergeGroup(group []*member) ([]stmt, bool) {
	shape := group[0].stmts
	for _, m := range group[1:] {
		if len(m.stmts) != len(shape) {
			return nil, false
		}
		for i, st := range m.stmts {
			if st.sql != shape[i].sql {
				return nil, false
			}
		}
	}
	out := make([]stmt, 0, len(shape))
	for i, first := range shape {
		switch {
		case first.sql == lockCheckAndCountSQL:
			var emps []string
			var seqs, counts []int64
			for _, m := range group {
				args := m.stmts[i].args
				emps = append(emps, args[1].([]string)...)
				seqs = append(seqs, args[2].([]int64)...)
				counts = append(counts, args[3].([]int64)...)
			}
			out = append(out, stmt{what: "lock, check and count punches", sql: lockCheckAndCountSQL, args: []any{first.args[0], emps, seqs, counts}})
		case first.table != "":
			sql, ok := s.multiRow(first.sql, len(group))
			if !ok {
				return nil, false
			}
			args := getArgs(len(first.args) * len(group))
			whats := make([]string, len(group))
			for j, m := range group {
				args = append(args, m.stmts[i].args...)
				whats[j] = m.stmts[i].describe()
			}
			out = append(out, stmt{whats: whats, sql: sql, args: args, table: first.table, pooledArgs: true})
		default:
			return nil, false
		}
	}
	return out, true
}

// multiRow rewrites `INSERT ... VALUES ($1, ..., $n) [rest]` to insert rows
// rows, numbering each row's parameters after the previous row's.
func (s *Store) multiRow(sql string, rows int) (string, bool) {
	key := multiRowKey{sql: sql, rows: rows}
	s.combined.mu.Lock()
	defer s.combined.mu.Unlock()
	if out, ok := s.combined.rows[key]; ok {
		return out, true
	}
	open := strings.Index(sql, "VALUES (")
	if open < 0 {
		return "", false
	}
	open += len("VALUES ")
	end := strings.IndexByte(sql[open:], ')')
	if end < 0 {
		return "", false
	}
	end += open + 1
	tuple := sql[open:end]
	params := len(placeholder.FindAllString(tuple, -1))
	var b strings.Builder
	b.WriteString(sql[:open])
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteString(placeholder.ReplaceAllStringFunc(tuple, func(p string) string {
			n, _ := strconv.Atoi(p[1:])
			return "$" + strconv.Itoa(n+r*params)
		}))
	}
	b.WriteString(sql[end:])
	if s.combined.rows == nil {
		s.combined.rows = map[multiRowKey]string{}
	}
	s.combined.rows[key] = b.String()
	return b.String(), true
}
