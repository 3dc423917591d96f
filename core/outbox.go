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
	// Limits paces every call to each platform's API, replies first and
	// broadcasts after them (see priority); a rate-limit answer to any
	// call pauses the platform. A platform without one is not paced in
	// process. Messages a MeteredSender says are not metered (Slack's
	// response_url) are not paced. See TokenBucket.
	Limits map[Platform]*TokenBucket
	// Shared, with Windows, paces the platform's calls across replicas:
	// every metered call takes one slot of each of its platform's windows
	// (keyed by Apps, the platform's app id) in Shared, the Redis limiter
	// when there is one (it falls back to process memory while Redis is
	// down) or the in-process one. Nil: Limits alone.
	Shared  RateLimiter
	Windows map[Platform][]SendWindow
	Apps    map[Platform]string
	// Sleep waits for the shared limiter; defaults to SleepContext.
	Sleep func(ctx context.Context, d time.Duration) error
	// Concurrency is how many calls per platform may be in flight at once
	// (default 1): platform round trips, not the limit, bound a single
	// caller's rate.
	Concurrency int
	// DrainTimeout bounds how long sends already in flight may take after
	// the worker is asked to stop (default 30 s).
	DrainTimeout time.Duration
	// ConfigRetry is how long a message refused with ECONFIG (a missing
	// scope, a wrong secret) waits before it is tried again (default
	// DefaultConfigRetry). Such a message is never failed for it: it is
	// delivered once an operator fixes the set-up.
	ConfigRetry time.Duration
	// Config, when set, records the ECONFIG errors, which the log, metrics,
	// console and /readyz report once per platform and reason.
	Config *ConfigErrors
	// Bell, when set, ends an idle loop's wait as soon as it rings (see
	// OutboxBell): the service rings it for the platforms a commit queued
	// messages for.
	Bell *OutboxBell

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
	if w.Sleep == nil {
		w.Sleep = SleepContext
	}
	if w.ConfigRetry == 0 {
		w.ConfigRetry = DefaultConfigRetry
	}
	if w.Config == nil {
		// Still one WARN per kind of set-up problem, not one per message.
		w.Config = NewConfigErrors(w.Now, w.Log)
	}
}

// DefaultConfigRetry is how often a message held by a configuration error
// is tried again: slow enough not to hammer a platform that will refuse it,
// soon enough that a fix shows within a minute.
const DefaultConfigRetry = time.Minute

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

// settle records the result of one attempt on m: sent, failed for good, or
// pending with the next attempt after a backoff or the platform's wait.
func (w *OutboxWorker) settle(m OutboxMessage, err error) OutboxMessage {
	now := w.Now()
	if ErrorCode(err) == ECONFIG {
		// The set-up is at fault, not the message: keep it, without
		// spending one of its attempts, and say so once per kind of problem
		// (ConfigErrors) rather than once per message.
		w.Config.Record(m.Platform, err)
		m.Status, m.LastError, m.NextAttempt = OutboxPending, err.Error(), now.Add(w.ConfigRetry)
		w.Log.Debug("outbox send held by a configuration error", "id", m.ID, "platform", m.Platform, "err", err)
		if w.OnResult != nil {
			w.OnResult(m.Platform, "config_error")
		}
		return m
	}
	m.Attempts++
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
