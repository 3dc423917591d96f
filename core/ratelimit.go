package core

import (
	"context"
	"sync"
	"time"
)

// TokenBucket paces calls to one platform API: Rate calls per second on
// average with bursts of up to Burst. When the platform still answers "too
// many requests" (its limits are shared with other apps of the tenant, or
// are stricter than documented), Throttle pauses every caller for the wait
// the platform asked for and halves the rate, which then recovers linearly
// to the configured rate over RecoverAfter. It is safe for concurrent use.
type TokenBucket struct {
	rate    float64
	burst   float64
	recover time.Duration
	now     func() time.Time
	sleep   func(ctx context.Context, d time.Duration) error

	mu          sync.Mutex
	cur         float64 // current rate, below rate after a throttle
	tokens      float64
	last        time.Time
	pausedUntil time.Time
	throttles   int
}

// DefaultRecoverAfter is how long a throttled bucket takes to climb from
// half its rate back to the configured rate.
const DefaultRecoverAfter = 30 * time.Second

// NewTokenBucket returns a full bucket of burst tokens refilled at rate per
// second. now and sleep default to the wall clock; tests pass fakes that
// advance together.
func NewTokenBucket(rate float64, burst int, now func() time.Time, sleep func(ctx context.Context, d time.Duration) error) *TokenBucket {
	if rate <= 0 {
		rate = 1
	}
	if burst < 1 {
		burst = 1
	}
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = SleepContext
	}
	return &TokenBucket{rate: rate, burst: float64(burst), recover: DefaultRecoverAfter, now: now, sleep: sleep,
		cur: rate, tokens: float64(burst), last: now()}
}

// SleepContext waits for d or until ctx ends.
func SleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	return idle(ctx, d, nil) // outbox_bell.go; a nil channel never fires
}

// Rate returns the configured rate per second.
func (b *TokenBucket) Rate() float64 { return b.rate }

// Throttles counts how often the platform asked the bucket to slow down.
func (b *TokenBucket) Throttles() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.throttles
}

// refill adds the tokens earned since the last call and lets a throttled
// rate recover. The caller holds mu.
func (b *TokenBucket) refill(now time.Time) {
	if now.Before(b.last) {
		b.last = now
		return
	}
	from := b.last
	b.last = now
	if now.Before(b.pausedUntil) {
		return
	}
	// Time spent paused earns nothing.
	if from.Before(b.pausedUntil) {
		from = b.pausedUntil
	}
	dt := now.Sub(from).Seconds()
	b.tokens = min(b.burst, b.tokens+dt*b.cur)
	if b.cur < b.rate {
		b.cur = min(b.rate, b.cur+b.rate*dt/b.recover.Seconds())
	}
}

// ErrWouldExceedDeadline is returned by Wait when the next token comes
// after the context's deadline, so a caller can give the work back instead
// of holding it past its lease.
var ErrWouldExceedDeadline = Errorf(ERATELIMIT, "the rate limit allows no call before the deadline")

// Wait blocks until a call may go, or fails when ctx ends.
func (b *TokenBucket) Wait(ctx context.Context) error { return b.WaitBefore(ctx, time.Time{}) }

// WaitBefore is Wait that gives up at once with ErrWouldExceedDeadline when
// the next call could only go after deadline (on the bucket's clock); a
// zero deadline means none.
func (b *TokenBucket) WaitBefore(ctx context.Context, deadline time.Time) error {
	for {
		b.mu.Lock()
		now := b.now()
		b.refill(now)
		var d time.Duration
		switch {
		case now.Before(b.pausedUntil):
			d = b.pausedUntil.Sub(now)
		case b.tokens >= 1:
			b.tokens--
			b.mu.Unlock()
			return nil
		default:
			d = time.Duration((1 - b.tokens) / b.cur * float64(time.Second))
			d = max(d, time.Millisecond)
		}
		b.mu.Unlock()
		if !deadline.IsZero() && now.Add(d).After(deadline) {
			return ErrWouldExceedDeadline
		}
		if err := b.sleep(ctx, d); err != nil {
			return err
		}
	}
}

// Available returns how many calls could go at once now without waiting:
// the whole tokens in the bucket, none while it is paused.
func (b *TokenBucket) Available() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.refill(now)
	if now.Before(b.pausedUntil) {
		return 0
	}
	return int(b.tokens)
}

// PausedFor returns how long the bucket stays paused after a throttle.
func (b *TokenBucket) PausedFor() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return max(0, b.pausedUntil.Sub(b.now()))
}

// Throttle records a rate-limit answer: no call goes for wait (a second when
// the platform did not say), the burst is spent and the rate is halved, down
// to a tenth of the configured rate at most.
func (b *TokenBucket) Throttle(wait time.Duration) {
	if wait <= 0 {
		wait = time.Second
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.refill(now)
	// Calls already in flight when the first answer came back report the
	// same limit; one episode halves the rate once.
	if !now.Before(b.pausedUntil) {
		b.cur = max(b.cur/2, b.rate/10)
		b.throttles++
	}
	if until := now.Add(wait); until.After(b.pausedUntil) {
		b.pausedUntil = until
	}
	b.tokens = 0
}
