package core

import (
	"context"
	"sync"
	"time"
)

// OutboxLane splits a platform's queue so that replies to people waiting in
// a chat are never stuck behind a broadcast of a hundred thousand messages.
type OutboxLane string

// Outbox lanes: replies and cards (FiringID 0), and reminder deliveries.
const (
	LaneReplies    OutboxLane = "replies"
	LaneDeliveries OutboxLane = "deliveries"
)

// OutboxLaneStore is an OutboxStore that can claim one lane at a time and
// record many results in one transaction. The worker uses it when the store
// implements it; a plain OutboxStore works the same, without priorities.
type OutboxLaneStore interface {
	// ClaimOutboxLane is ClaimOutbox restricted to one lane.
	ClaimOutboxLane(ctx context.Context, platform Platform, lane OutboxLane, limit int, now time.Time, lease time.Duration) ([]OutboxMessage, error)
	// FinishOutboxBatch is FinishOutbox for many messages at once.
	FinishOutboxBatch(ctx context.Context, msgs []OutboxMessage) error
}

// BatchSender is a Sender that can deliver several outbox messages with one
// platform call (WeCom's touser list, Feishu's batch send). The worker
// claims up to MaxBatch messages, lets Group split them into calls, and
// spends one rate-limit token per SendGroup of reminder deliveries. Group
// must not mix replies (FiringID 0) with deliveries in one group.
type BatchSender interface {
	Sender
	// MaxBatch is how many due messages are worth claiming at once.
	MaxBatch() int
	// Group splits messages into calls; every message is in exactly one
	// group.
	Group(msgs []OutboxMessage) [][]OutboxMessage
	// SendGroup makes one platform call for group and returns one error per
	// message, in order (nil: sent). A rate-limit answer is an ERATELIMIT
	// error, with the platform's wait in RetryAfter.
	SendGroup(ctx context.Context, group []OutboxMessage) []error
}

// BudgetGrouper is a BatchSender whose grouping depends on how many calls
// the platform lets go right now: Feishu answers confirmations one by one
// while its bucket can pay for each of them at once, and lets twins share
// batch_send calls once it cannot, rather than keep people waiting behind
// the bucket (bots/feishu/rush.go).
type BudgetGrouper interface {
	// GroupWithin is Group for a round in which calls calls may go without
	// waiting; calls is negative when the platform is not paced in process.
	GroupWithin(msgs []OutboxMessage, calls int) [][]OutboxMessage
}

// groupRound splits a round's messages into calls, telling a BudgetGrouper
// what the platform's bucket holds now.
func groupRound(bs BatchSender, msgs []OutboxMessage, limiter *TokenBucket) [][]OutboxMessage {
	bg, ok := bs.(BudgetGrouper)
	if !ok {
		return bs.Group(msgs)
	}
	calls := -1
	if limiter != nil {
		calls = limiter.Available()
	}
	return bg.GroupWithin(msgs, calls)
}

// maxClaim bounds the messages claimed at once for a fast platform.
const maxClaim = 5000

// groupResult is the outcome of one call: the settled messages.
type groupResult struct{ msgs []OutboxMessage }

// runPlatform claims one round of due messages of a platform (replies
// first), sends them in calls paced by the platform's bucket, up to
// Concurrency at a time, and records every result. Messages it could not
// try before their lease ran short, or because the platform asked to wait,
// are given back untouched (no attempt counted).
func (w *OutboxWorker) runPlatform(ctx context.Context, platform Platform, sender Sender) (sent, claimed int, err error) {
	msgs, at, err := w.claim(ctx, platform, sender)
	if len(msgs) == 0 {
		return 0, 0, err
	}
	return w.dispatch(ctx, platform, sender, msgs, at)(), len(msgs), err
}

// claim leases the platform's due messages: replies first, then reminder
// deliveries, about a second's worth at the platform's rate so that the
// claim's round trip is small next to the sending.
func (w *OutboxWorker) claim(ctx context.Context, platform Platform, sender Sender) ([]OutboxMessage, time.Time, error) {
	limiter := w.Limits[platform]
	now := w.Now()
	// While the platform asked for a pause, only replies are claimed.
	paused := limiter != nil && limiter.PausedFor() > 0
	limit := w.Batch
	perCall := 1.0
	if bs, ok := sender.(BatchSender); ok {
		limit = max(limit, bs.MaxBatch())
		// Until a round has shown how the messages group, assume full calls.
		perCall = float64(bs.MaxBatch())
	}
	if limiter != nil {
		if v, ok := w.perCall.Load(platform); ok {
			perCall = v.(float64)
		}
		limit = max(limit, min(int(limiter.Rate()*perCall), maxClaim))
	}
	ls, ok := w.Store.(OutboxLaneStore)
	if !ok {
		if paused {
			return nil, now, nil
		}
		msgs, err := w.Store.ClaimOutbox(ctx, platform, w.Batch, now, w.Lease)
		return msgs, now, err
	}
	// A BatchSender may put waiting replies into one call (Feishu's
	// confirmations during a rush), so its replies are claimed like its
	// deliveries: about a second's worth of calls. Replies stay first.
	replies := w.Batch
	if _, ok := sender.(BatchSender); ok {
		replies = limit
	}
	msgs, err := ls.ClaimOutboxLane(ctx, platform, LaneReplies, replies, now, w.Lease)
	if err == nil && len(msgs) < replies && !paused {
		var more []OutboxMessage
		more, err = ls.ClaimOutboxLane(ctx, platform, LaneDeliveries, limit, now, w.Lease)
		msgs = append(msgs, more...)
	}
	return msgs, now, err
}

// dispatch starts sending claimed messages and returns once every call has
// been started (or the rest given back); the returned function waits for
// the calls in flight, records their results and reports how many
// messages were sent. Between the two the worker can claim its next round.
func (w *OutboxWorker) dispatch(ctx context.Context, platform Platform, sender Sender, msgs []OutboxMessage, claimedAt time.Time) (finish func() int) {
	limiter := w.Limits[platform]
	bs, batching := sender.(BatchSender)
	var groups [][]OutboxMessage
	if batching {
		groups = groupRound(bs, msgs, limiter)
	} else {
		for _, m := range msgs {
			groups = append(groups, []OutboxMessage{m})
		}
	}
	w.perCall.Store(platform, float64(len(msgs))/float64(max(len(groups), 1)))
	byPriority(groups)
	// Work is handed back well before the lease runs out, so another
	// worker never claims a message this one is still sending.
	deadline := claimedAt.Add(w.Lease - w.Lease/5)

	results := make(chan groupResult, len(groups)+1)
	flushed := make(chan int, 1)
	go func() { flushed <- w.flush(ctx, results) }()

	var wg sync.WaitGroup
	sem := make(chan struct{}, w.Concurrency)
	next := 0
	for ; next < len(groups); next++ {
		// A free slot first, then a token: a call's answer (a rate limit,
		// or the end of the run) is known before the next call is paid for.
		sem <- struct{}{}
		// Every call to the platform's API is paced, replies first (the
		// groups are in priority order), so a rush of replies stays
		// inside the platform's limits instead of running into them.
		paced := metered(sender, groups[next][0])
		if ctx.Err() != nil || !w.Now().Before(deadline) ||
			(paced && limiter != nil && limiter.WaitBefore(ctx, deadline) != nil) ||
			(paced && w.waitShared(ctx, platform, deadline) != nil) {
			<-sem
			break
		}
		wg.Add(1)
		go func(group []OutboxMessage) {
			defer func() { <-sem; wg.Done() }()
			results <- groupResult{msgs: w.sendGroup(ctx, sender, bs, batching, group, limiter)}
		}(groups[next])
	}
	// Untried messages go back as they were; while the platform asked for a
	// pause they are not due again before it ends.
	var back []OutboxMessage
	for _, g := range groups[next:] {
		back = append(back, g...)
	}
	return func() int {
		wg.Wait()
		if len(back) > 0 {
			w.giveBack(platform, back, results)
		}
		close(results)
		return <-flushed
	}
}

// giveBack queues untried messages for recording unchanged, not due
// before a pause the platform asked for ends.
func (w *OutboxWorker) giveBack(platform Platform, msgs []OutboxMessage, results chan<- groupResult) {
	if l := w.Limits[platform]; l != nil {
		if d := l.PausedFor(); d > 0 {
			until := w.Now().Add(d)
			for i := range msgs {
				if msgs[i].NextAttempt.Before(until) {
					msgs[i].NextAttempt = until
				}
			}
		}
	}
	results <- groupResult{msgs: msgs}
}

// sendGroup makes one call and settles its messages. The call runs on a
// context that outlives a shutdown by DrainTimeout: abandoning a request
// the platform may already have accepted would send it twice.
func (w *OutboxWorker) sendGroup(ctx context.Context, sender Sender, bs BatchSender, batching bool, group []OutboxMessage, limiter *TokenBucket) []OutboxMessage {
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.DrainTimeout)
	defer cancel()
	var errs []error
	if batching {
		errs = bs.SendGroup(sendCtx, group)
		if len(errs) != len(group) {
			err := Errorf(EINTERNAL, "%s sender returned %d results for %d messages", group[0].Platform, len(errs), len(group))
			errs = make([]error, len(group))
			for i := range errs {
				errs[i] = err
			}
		}
	} else {
		errs = []error{sender.Send(sendCtx, group[0])}
	}
	out := make([]OutboxMessage, len(group))
	for i, m := range group {
		if ErrorCode(errs[i]) == ERATELIMIT && limiter != nil {
			limiter.Throttle(RetryAfter(errs[i]))
		}
		out[i] = w.settle(m, errs[i])
	}
	return out
}

// flush records results as they arrive, in batches when the store can, and
// returns how many messages were sent. Results are written even after ctx
// ends: they describe calls that happened.
func (w *OutboxWorker) flush(ctx context.Context, results <-chan groupResult) int {
	ctx = context.WithoutCancel(ctx)
	sent := 0
	var pending []OutboxMessage
	write := func() {
		if len(pending) == 0 {
			return
		}
		w.finishMany(ctx, pending)
		pending = pending[:0]
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case r, ok := <-results:
			if !ok {
				write()
				return sent
			}
			for _, m := range r.msgs {
				if m.Status == OutboxSent {
					sent++
				}
			}
			pending = append(pending, r.msgs...)
			if len(pending) >= 256 {
				write()
			}
		case <-tick.C:
			write()
		}
	}
}

// finishMany records results, retrying a failed write a few times: a
// result that is never written lets the lease run out and the message be
// sent again.
func (w *OutboxWorker) finishMany(ctx context.Context, msgs []OutboxMessage) {
	ls, batch := w.Store.(OutboxLaneStore)
	for try := 0; ; try++ {
		var err error
		if batch {
			err = ls.FinishOutboxBatch(ctx, msgs)
		} else {
			for _, m := range msgs {
				if ferr := w.Store.FinishOutbox(ctx, m); ferr != nil {
					w.Log.Error("outbox finish failed", "id", m.ID, "err", ferr)
				}
			}
		}
		if err == nil {
			return
		}
		if try == 2 {
			w.Log.Error("outbox finish failed", "messages", len(msgs), "err", err)
			return
		}
		time.Sleep(time.Duration(100<<try) * time.Millisecond)
	}
}

// claimed is the result of a claim; rung is the bell's channel as it was
// just before the claim, so that a ring after the claim is not missed.
type claimed struct {
	msgs []OutboxMessage
	at   time.Time
	err  error
	rung <-chan struct{}
}

// runLoop drains one platform until ctx ends: straight on while there is
// work, otherwise every interval or when the bell rings (or when the
// platform's pause ends, which the bell does not cut short). The
// next round is claimed while the current one is sent, and started while
// the current one's last calls finish and their results are recorded, so
// the platform's rate is used without gaps; at most two rounds are
// outstanding.
func (w *OutboxWorker) runLoop(ctx context.Context, platform Platform, sender Sender, interval time.Duration) {
	var prev chan struct{} // the previous round, finishing
	wait := func() {
		if prev != nil {
			<-prev
			prev = nil
		}
	}
	defer wait()
	prefetch := func() chan claimed {
		ch := make(chan claimed, 1)
		go func() {
			rung := w.Bell.rung(platform)
			msgs, at, err := w.claim(ctx, platform, sender)
			ch <- claimed{msgs, at, err, rung}
		}()
		return ch
	}
	cur := <-prefetch()
	for ctx.Err() == nil {
		if cur.err != nil {
			w.Log.Error("outbox claim failed", "platform", platform, "err", cur.err)
		}
		if len(cur.msgs) == 0 {
			wait()
			pause, rung := interval, cur.rung
			if l := w.Limits[platform]; l != nil {
				if d := l.PausedFor(); d > 0 {
					// The platform asked us to wait: a new message does
					// not change that.
					pause, rung = min(d, 10*interval), nil
				}
			}
			if idle(ctx, pause, rung) != nil {
				return
			}
			cur = <-prefetch()
			continue
		}
		next := prefetch()
		finish := w.dispatch(ctx, platform, sender, cur.msgs, cur.at)
		done := make(chan struct{})
		go func() {
			defer close(done)
			finish()
		}()
		wait()
		prev = done
		cur = <-next
	}
	if len(cur.msgs) > 0 {
		// Claimed just as the worker stopped: give them back at once rather
		// than leave them leased.
		w.finishMany(context.WithoutCancel(ctx), cur.msgs)
	}
}
