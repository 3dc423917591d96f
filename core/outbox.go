package core

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Sender delivers one outbox message to its platform. A bot implements it
// by rendering the payload and calling the platform's send API.
type Sender interface {
	Send(ctx context.Context, m OutboxMessage) error
}

// OutboxWorker drains the outbox: it leases due messages, sends them, and
// retries failures with exponential backoff (or the wait the platform asked
// for) until MaxAttempts, after which the message is marked failed with the
// error kept.
type OutboxWorker struct {
	Store       OutboxStore
	Senders     map[Platform]Sender
	Now         func() time.Time
	Log         *slog.Logger
	Batch       int
	Lease       time.Duration
	MaxAttempts int
	MaxBackoff  time.Duration
	// OnResult, when set, observes every attempt (metrics).
	OnResult func(platform Platform, status string)
	// Limits paces each platform's reminder deliveries (replies are sent
	// at once, ahead of them); a rate-limit answer to any call pauses the
	// platform's deliveries. A platform without one is not paced. See
	// TokenBucket.
	Limits map[Platform]*TokenBucket
	// Concurrency is how many calls per platform may be in flight at once
	// (default 1): platform round trips, not the limit, bound a single
	// caller's rate.
	Concurrency int
	// DrainTimeout bounds how long sends already in flight may take after
	// the worker is asked to stop (default 30 s).
	DrainTimeout time.Duration

	perCall sync.Map // Platform → messages per call in the last round, see outbox_batch.go
}

func (w *OutboxWorker) defaults() {
	if w.Now == nil {
		w.Now = time.Now
	}
	if w.Log == nil {
		w.Log = slog.Default()
	}
	if w.Batch == 0 {
		w.Batch = 50
	}
	if w.Lease == 0 {
		w.Lease = time.Minute
	}
	if w.MaxAttempts == 0 {
		w.MaxAttempts = 8
	}
	if w.MaxBackoff == 0 {
		w.MaxBackoff = 10 * time.Minute
	}
	if w.Concurrency <= 0 {
		w.Concurrency = 1
	}
	if w.DrainTimeout == 0 {
		w.DrainTimeout = 30 * time.Second
	}
}

// Backoff returns the wait after the n-th failed attempt: 1 s, 2 s, 4 s, …
// capped at max.
func Backoff(n int, max time.Duration) time.Duration {
	d := time.Second << min(n, 30)
	if d > max || d <= 0 {
		return max
	}
	return d
}

// RunOnce sends every due message of every platform once and reports how
// many were sent.
func (w *OutboxWorker) RunOnce(ctx context.Context) (sent int, err error) {
	w.defaults()
	for platform, sender := range w.Senders {
		n, _, err := w.runPlatform(ctx, platform, sender)
		sent += n
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

func (w *OutboxWorker) deliver(ctx context.Context, sender Sender, m OutboxMessage) bool {
	err := sender.Send(ctx, m)
	m = w.settle(m, err)
	if ferr := w.Store.FinishOutbox(ctx, m); ferr != nil {
		w.Log.Error("outbox finish failed", "id", m.ID, "err", ferr)
	}
	return err == nil
}

// settle records the result of one attempt on m: sent, failed for good, or
// pending with the next attempt after a backoff or the platform's wait.
func (w *OutboxWorker) settle(m OutboxMessage, err error) OutboxMessage {
	m.Attempts++
	now := w.Now()
	switch {
	case err == nil:
		m.Status, m.SentAt, m.LastError = OutboxSent, now, ""
	case ErrorCode(err) == EINVALID || m.Attempts >= w.MaxAttempts:
		// A message the platform refuses as malformed will never succeed.
		m.Status, m.LastError = OutboxFailed, err.Error()
	default:
		wait := RetryAfter(err)
		if wait == 0 {
			wait = Backoff(m.Attempts-1, w.MaxBackoff)
		}
		m.Status, m.LastError, m.NextAttempt = OutboxPending, err.Error(), now.Add(wait)
	}
	if err != nil {
		w.Log.Warn("outbox send failed", "id", m.ID, "platform", m.Platform, "attempt", m.Attempts, "status", m.Status, "err", err)
	}
	if w.OnResult != nil {
		w.OnResult(m.Platform, m.Status)
	}
	return m
}

// Run drains the outbox every interval until ctx ends. Each platform has
// its own loop, so a slow or rate-limited platform never holds up another.
// Sends in flight when ctx ends are allowed DrainTimeout to finish and be
// recorded, so a message the platform accepted is not sent again.
func (w *OutboxWorker) Run(ctx context.Context, interval time.Duration) {
	w.defaults()
	var wg sync.WaitGroup
	for platform, sender := range w.Senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.runLoop(ctx, platform, sender, interval)
		}()
	}
	wg.Wait()
}
