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
// spends one rate-limit token per SendGroup.
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
	limiter := w.Limits[platform]
	if limiter != nil && limiter.PausedFor() > 0 {
		return 0, 0, nil
	}
	now := w.Now()
	bs, batching := sender.(BatchSender)
	limit := w.Batch
	if batching {
		limit = max(limit, bs.MaxBatch())
	}
	if limiter != nil {
		// About a second of work per claim at the platform's rate, so the
		// claim's round trip is small next to the sending.
		limit = max(limit, min(int(limiter.Rate()), maxClaim))
	}
	var msgs []OutboxMessage
	if ls, ok := w.Store.(OutboxLaneStore); ok {
		msgs, err = ls.ClaimOutboxLane(ctx, platform, LaneReplies, w.Batch, now, w.Lease)
		if err == nil && len(msgs) < w.Batch {
			var more []OutboxMessage
			more, err = ls.ClaimOutboxLane(ctx, platform, LaneDeliveries, limit, now, w.Lease)
			msgs = append(msgs, more...)
		}
	} else {
		msgs, err = w.Store.ClaimOutbox(ctx, platform, w.Batch, now, w.Lease)
	}
	if len(msgs) == 0 {
		return 0, 0, err
	}
	var groups [][]OutboxMessage
	if batching {
		groups = bs.Group(msgs)
	} else {
		for _, m := range msgs {
			groups = append(groups, []OutboxMessage{m})
		}
	}
	// Work is handed back well before the lease runs out, so another
	// worker never claims a message this one is still sending.
	deadline := now.Add(w.Lease - w.Lease/5)

	results := make(chan groupResult, len(groups))
	flushed := make(chan int)
	go func() { flushed <- w.flush(ctx, results) }()

	var wg sync.WaitGroup
	sem := make(chan struct{}, w.Concurrency)
	next := 0
	for ; next < len(groups); next++ {
		// A free slot first, then a token: a call's answer (a rate limit,
		// or the end of the run) is known before the next call is paid for.
		sem <- struct{}{}
		if ctx.Err() != nil || !w.Now().Before(deadline) || (limiter != nil && limiter.WaitBefore(ctx, deadline) != nil) {
			<-sem
			break
		}
		wg.Add(1)
		go func(group []OutboxMessage) {
			defer func() { <-sem; wg.Done() }()
			results <- groupResult{msgs: w.sendGroup(ctx, sender, bs, batching, group, limiter)}
		}(groups[next])
	}
	wg.Wait()
	// Untried messages go back as they were; while the platform asked for a
	// pause they are not due again before it ends.
	var back []OutboxMessage
	for _, g := range groups[next:] {
		for _, m := range g {
			if limiter != nil {
				if d := limiter.PausedFor(); d > 0 && m.NextAttempt.Before(w.Now().Add(d)) {
					m.NextAttempt = w.Now().Add(d)
				}
			}
			back = append(back, m)
		}
	}
	if len(back) > 0 {
		results <- groupResult{msgs: back}
	}
	close(results)
	sent = <-flushed
	return sent, len(msgs), err
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

// runLoop drains one platform until ctx ends: straight on while there is
// work, otherwise every interval (or when the platform's pause ends).
func (w *OutboxWorker) runLoop(ctx context.Context, platform Platform, sender Sender, interval time.Duration) {
	for ctx.Err() == nil {
		_, claimed, err := w.runPlatform(ctx, platform, sender)
		if err != nil && ctx.Err() == nil {
			w.Log.Error("outbox run failed", "platform", platform, "err", err)
		}
		if claimed > 0 && err == nil {
			continue
		}
		wait := interval
		if l := w.Limits[platform]; l != nil {
			if d := l.PausedFor(); d > 0 {
				wait = min(d, 10*interval)
			}
		}
		if SleepContext(ctx, wait) != nil {
			return
		}
	}
}
