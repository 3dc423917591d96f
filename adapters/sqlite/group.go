package sqlite

import (
	"context"
	"sync"
	"sync/atomic"
)

// Group commit. With synchronous=FULL every commit waits for an fsync, and
// with one writer those waits add up: concurrent punches would each wait
// for the fsyncs of all those before them. So writes queue here, and the
// caller at the head of the queue (the leader) runs the InTx calls waiting
// behind it in one SQLite transaction, each in a savepoint of its own, and
// commits them with one fsync. A call whose fn fails is rolled back to its
// savepoint and gets its own error, exactly as alone; the others are not
// affected. Every caller returns only after the shared COMMIT: if that
// fails, all of them fail and nothing of theirs is kept. Other writes
// (deliveries, the organisation, retention) run in transactions of their
// own, in queue order.

// writeGroupMax bounds the calls of one shared transaction.
const writeGroupMax = 64

// writeGroup queues writes for the single writer connection.
type writeGroup struct {
	mu      sync.Mutex
	queue   []*writeReq
	leading bool         // a leader is running batches
	commits atomic.Int64 // transactions committed; tests count them
}

// writeReq is one write waiting for the writer.
type writeReq struct {
	ctx       context.Context
	fn        func(txConn) error
	groupable bool // an InTx call, which may share a transaction
	done      chan writeResult
	promote   chan struct{} // told to lead the next batch
	promoted  bool          // guarded by writeGroup.mu
}

// writeResult is what happened to a write; a panic in fn is carried back to
// the caller's goroutine.
type writeResult struct {
	err      error
	panicked bool
	panicVal any
}

// do queues fn and waits for its result, leading batches when its turn
// comes.
func (g *writeGroup) do(ctx context.Context, s *Store, fn func(txConn) error, groupable bool) error {
	r := &writeReq{ctx: ctx, fn: fn, groupable: groupable, done: make(chan writeResult, 1), promote: make(chan struct{}, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, r)
	lead := !g.leading
	g.leading = true
	g.mu.Unlock()
	if lead {
		g.lead(s)
	}
	for {
		select {
		case res := <-r.done:
			// Promoted while queued, then taken into the batch of the
			// leader before: the lead was sent before the result.
			select {
			case <-r.promote:
				g.lead(s)
			default:
			}
			if res.panicked {
				panic(res.panicVal)
			}
			return res.err
		case <-r.promote:
			g.lead(s)
		}
	}
}

// lead runs one batch from the head of the queue, then passes the lead to
// the first caller still queued, or stops leading.
func (g *writeGroup) lead(s *Store) {
	g.mu.Lock()
	batch := g.take()
	g.mu.Unlock()
	if len(batch) > 0 {
		s.runWrites(batch)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, r := range g.queue {
		if !r.promoted {
			r.promoted = true
			r.promote <- struct{}{} // buffered, and sent once per request
			return
		}
	}
	g.leading = false
}

// take removes the next batch from the head of the queue: a write that
// may not share its transaction alone, else the InTx calls that follow it
// up to the next such write.
func (g *writeGroup) take() []*writeReq {
	n := 0
	for n < len(g.queue) && n < writeGroupMax {
		if !g.queue[n].groupable {
			if n == 0 {
				n = 1
			}
			break
		}
		n++
	}
	batch := append([]*writeReq(nil), g.queue[:n]...)
	rest := g.queue[:copy(g.queue, g.queue[n:])]
	clear(g.queue[len(rest):])
	g.queue = rest
	return batch
}

// runWrites runs a batch and hands each request its result.
func (s *Store) runWrites(batch []*writeReq) {
	if len(batch) == 1 {
		batch[0].done <- s.runAlone(batch[0])
		return
	}
	// The transaction carries every member's work: no member's context
	// may cancel it (SQLite rolls back a transaction when a statement in
	// it is interrupted).
	shared := context.Background()
	results := make([]writeResult, len(batch))
	fail := func(from int, err error) {
		for i := from; i < len(batch); i++ {
			if results[i].err == nil && !results[i].panicked {
				results[i].err = err
			}
		}
	}
	var missed []string
	tx, err := s.w.BeginTx(shared, nil)
	if err != nil {
		fail(0, translate(err, "begin"))
	} else {
		c := txConn{tx: tx, c: s.ws, missed: &missed, shared: shared}
		var broken error
		for i, r := range batch {
			if err := r.ctx.Err(); err != nil {
				results[i].err = translate(err, "transaction")
				continue
			}
			if _, err := tx.ExecContext(shared, "SAVEPOINT member"); err != nil {
				broken = translate(err, "savepoint")
				fail(i, broken)
				break
			}
			results[i] = runMember(r.fn, c)
			if results[i].err != nil || results[i].panicked {
				if _, err := tx.ExecContext(shared, "ROLLBACK TO member"); err != nil {
					broken = translate(err, "roll back to savepoint")
					fail(0, broken)
					break
				}
			}
			if _, err := tx.ExecContext(shared, "RELEASE member"); err != nil {
				broken = translate(err, "release savepoint")
				fail(0, broken)
				break
			}
		}
		if broken != nil {
			tx.Rollback()
		} else if err := tx.Commit(); err != nil {
			fail(0, translate(err, "commit"))
		} else {
			s.writes.commits.Add(1)
		}
	}
	// The writer is free again: prepare what ran unprepared.
	s.ws.prepare(shared, missed)
	for i, r := range batch {
		r.done <- results[i]
	}
}

// runAlone runs one write in a transaction of its own, with the caller's
// context, as a write always ran before group commit.
func (s *Store) runAlone(r *writeReq) (res writeResult) {
	tx, err := s.w.BeginTx(r.ctx, nil)
	if err != nil {
		return writeResult{err: translate(err, "begin")}
	}
	var missed []string
	res = runMember(r.fn, txConn{tx: tx, c: s.ws, missed: &missed})
	if res.err == nil && !res.panicked {
		res.err = translate(tx.Commit(), "commit")
		if res.err == nil {
			s.writes.commits.Add(1)
		}
	} else {
		// A failure or a panic in fn must not leave the only writer
		// inside a transaction.
		tx.Rollback()
	}
	s.ws.prepare(r.ctx, missed)
	return res
}

// runMember calls fn, turning a panic into a result for the caller.
func runMember(fn func(txConn) error, c txConn) (res writeResult) {
	defer func() {
		if p := recover(); p != nil {
			res = writeResult{panicked: true, panicVal: p}
		}
	}()
	return writeResult{err: fn(c)}
}
