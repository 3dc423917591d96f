package core

import (
	"context"
	"log/slog"
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
		msgs, err := w.Store.ClaimOutbox(ctx, platform, w.Batch, w.Now(), w.Lease)
		if err != nil {
			return sent, err
		}
		for _, m := range msgs {
			if w.deliver(ctx, sender, m) {
				sent++
			}
		}
	}
	return sent, nil
}

func (w *OutboxWorker) deliver(ctx context.Context, sender Sender, m OutboxMessage) bool {
	err := sender.Send(ctx, m)
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
	if ferr := w.Store.FinishOutbox(ctx, m); ferr != nil {
		w.Log.Error("outbox finish failed", "id", m.ID, "err", ferr)
	}
	return err == nil
}

// Run drains the outbox every interval until ctx ends.
func (w *OutboxWorker) Run(ctx context.Context, interval time.Duration) {
	w.defaults()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			n, err := w.RunOnce(ctx)
			if err != nil && ctx.Err() == nil {
				w.Log.Error("outbox run failed", "err", err)
			}
			if n == 0 || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
