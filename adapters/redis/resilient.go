package redis

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/punchbot/punchbot/core"
)

// Fallback is the in-process state a Resilient answers from while Redis
// cannot serve; *memory.KV is the one punchbot uses. It has no Locker on
// purpose: a lock held in one process is not exclusive across replicas, so
// the leader lock never falls back (see Resilient.TryLock).
type Fallback interface {
	core.SessionStore
	core.Deduper
	core.RateLimiter
}

// Resilient makes Redis an accelerator rather than a dependency. Sessions,
// dedupe claims and rate limits go to Redis while it is up; a call that finds
// it unreachable is answered by the in-process fallback and marks Redis down,
// and while it is down every call goes straight to the fallback, so an outage
// costs no timeout per request. A background probe marks Redis up again, so
// recovery needs no restart, and notices an outage between requests.
//
// What an outage changes, by design:
//   - Rate limits are per replica: each replica admits up to the limit on its
//     own, and events Redis admitted before the cut are not counted. The
//     limiter is abuse protection, not a correctness rule, so this is the
//     right trade against refusing every punch.
//   - Dedupe claims are per replica. They are a shortcut only; the database
//     is the judge of "already handled".
//   - Sessions written during the outage live in this process. After
//     recovery a Get that misses in Redis still looks in the fallback, so a
//     user who was asked for a location during the outage can finish the
//     punch on this replica; writes go to Redis and drop the in-process copy,
//     so the fallback never shadows a newer value.
//   - The leader lock does not fall back: TryLock, Renew and Release fail with
//     EUNAVAILABLE while Redis is down, so no replica can take the lead and the
//     current leader resigns before its lease could expire (the scheduler
//     stops firing until Redis returns; never two leaders).
type Resilient struct {
	kv       *KV
	fallback Fallback
	interval time.Duration
	timeout  time.Duration
	onChange func(up bool, cause error)

	up atomic.Bool
	mu sync.Mutex // serialises transitions, so onChange sees them in order

	stop context.CancelFunc
	done chan struct{}
}

var (
	_ core.SessionStore = (*Resilient)(nil)
	_ core.Deduper      = (*Resilient)(nil)
	_ core.RateLimiter  = (*Resilient)(nil)
	_ core.Locker       = (*Resilient)(nil)

	_ core.SessionReadingLimiter = (*Resilient)(nil)
)

// ResilientOption configures a Resilient.
type ResilientOption func(*Resilient)

// WithProbe sets how often Redis is probed and how long a probe may take
// (default every 500 ms, 250 ms). The interval bounds how long Redis stays
// marked down after it is back, and how long an outage can go unnoticed
// when no request touches Redis.
func WithProbe(interval, timeout time.Duration) ResilientOption {
	return func(r *Resilient) {
		if interval > 0 {
			r.interval = interval
		}
		if timeout > 0 {
			r.timeout = timeout
		}
	}
}

// OnChange registers fn to be called once per transition: up false when an
// outage starts (cause says why), up true when it ends. It runs synchronously
// on the goroutine that noticed the change, possibly a request, so it must be
// quick (log, set a gauge) and must not call back into the Resilient.
func OnChange(fn func(up bool, cause error)) ResilientOption {
	return func(r *Resilient) { r.onChange = fn }
}

// NewResilient wraps kv with fallback and starts the probe. It probes kv once
// before returning, so a Redis that is down at startup is known to be down
// (and reported through OnChange) before the first request. The Resilient
// owns kv: Close stops the probe and closes it.
func NewResilient(kv *KV, fallback Fallback, opts ...ResilientOption) *Resilient {
	r := &Resilient{kv: kv, fallback: fallback, interval: 500 * time.Millisecond, timeout: 250 * time.Millisecond, done: make(chan struct{})}
	for _, o := range opts {
		o(r)
	}
	r.up.Store(true)
	r.check(context.Background())
	ctx, stop := context.WithCancel(context.Background())
	r.stop = stop
	go r.watch(ctx)
	return r
}

// Up reports whether Redis is serving, as last observed.
func (r *Resilient) Up() bool { return r.up.Load() }

// Ping pings Redis itself, whatever the recorded state.
func (r *Resilient) Ping(ctx context.Context) error { return r.kv.Ping(ctx) }

// Close stops the probe and closes the Redis client.
func (r *Resilient) Close() error {
	r.stop()
	<-r.done
	return r.kv.Close()
}

func (r *Resilient) watch(ctx context.Context) {
	defer close(r.done)
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r.check(ctx)
	}
}

// check probes Redis and records the result. Any failed probe marks it
// down, not only EUNAVAILABLE: a server that answers with an error (a
// password changed under us, say) cannot serve requests either.
func (r *Resilient) check(ctx context.Context) {
	pctx, cancel := context.WithTimeout(ctx, r.timeout)
	var err error
	if !r.Up() {
		err = r.kv.reachable(pctx)
	}
	if err == nil {
		err = r.kv.probe(pctx)
	}
	cancel()
	switch {
	case ctx.Err() != nil:
		// Closing: the failure is ours, not Redis's.
	case err == nil:
		r.set(true, nil)
	default:
		r.set(false, err)
	}
}

func (r *Resilient) set(up bool, cause error) {
	if r.up.Load() == up {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.up.Load() == up {
		return
	}
	r.up.Store(up)
	if r.onChange != nil {
		r.onChange(up, cause)
	}
}

// outage reports whether err says Redis cannot serve, and marks it down if
// so. An error while the caller's own context is done is the caller giving
// up, not an outage; other errors (a wrong key type, a bug) are reported as
// they are rather than hidden behind the fallback.
func (r *Resilient) outage(ctx context.Context, err error) bool {
	if err == nil || core.ErrorCode(err) != core.EUNAVAILABLE || ctx.Err() != nil {
		return false
	}
	r.set(false, err)
	return true
}

// Put stores value in Redis, or in process while Redis is down. A value
// written to Redis drops any in-process copy of the key from an earlier
// outage, which could otherwise reappear once the Redis value expires.
func (r *Resilient) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if r.Up() {
		err := r.kv.Put(ctx, key, value, ttl)
		if err == nil {
			return r.fallback.Delete(ctx, key)
		}
		if !r.outage(ctx, err) {
			return err
		}
	}
	return r.fallback.Put(ctx, key, value, ttl)
}

// PutIfAbsent writes to Redis, or in process while Redis is down. Like Put,
// a value stored in Redis drops an in-process copy from an earlier outage.
func (r *Resilient) PutIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) ([]byte, bool, error) {
	if r.Up() {
		existing, stored, err := r.kv.PutIfAbsent(ctx, key, value, ttl)
		if err == nil && stored {
			return nil, true, r.fallback.Delete(ctx, key)
		}
		if !r.outage(ctx, err) {
			return existing, stored, err
		}
	}
	return r.fallback.PutIfAbsent(ctx, key, value, ttl)
}

// Get reads key from Redis and, when Redis misses or is down, from the
// fallback, where an outage may have left it.
func (r *Resilient) Get(ctx context.Context, key string) ([]byte, error) {
	if r.Up() {
		v, err := r.kv.Get(ctx, key)
		if err == nil {
			return v, nil
		}
		if core.ErrorCode(err) != core.ENOTFOUND && !r.outage(ctx, err) {
			return nil, err
		}
	}
	return r.fallback.Get(ctx, key)
}

// Delete removes key from both places, so that a value written during an
// outage cannot outlive its deletion.
func (r *Resilient) Delete(ctx context.Context, key string) error {
	if r.Up() {
		if err := r.kv.Delete(ctx, key); err != nil && !r.outage(ctx, err) {
			return err
		}
	}
	return r.fallback.Delete(ctx, key)
}

// Claim claims key in Redis, or in process while Redis is down (a per-replica
// claim: good enough for a shortcut the database backs up).
func (r *Resilient) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if r.Up() {
		ok, err := r.kv.Claim(ctx, key, ttl)
		if !r.outage(ctx, err) {
			return ok, err
		}
	}
	return r.fallback.Claim(ctx, key, ttl)
}

// Allow counts the event in Redis, shared by every replica, or in process
// while Redis is down, where the limit then applies per replica.
func (r *Resilient) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, time.Duration, error) {
	if r.Up() {
		ok, after, err := r.kv.Allow(ctx, key, limit, window)
		if !r.outage(ctx, err) {
			return ok, after, err
		}
	}
	return r.fallback.Allow(ctx, key, limit, window)
}

// AllowRead is Allow and Get in one round trip to Redis while it is up,
// with Get's look into the fallback when Redis misses (see Get), and the
// fallback's Allow and Get while it is down.
func (r *Resilient) AllowRead(ctx context.Context, rateKey string, limit int, window time.Duration, sessionKey string) (core.Admission, error) {
	if r.Up() {
		a, err := r.kv.AllowRead(ctx, rateKey, limit, window, sessionKey)
		if err == nil && !a.Found {
			err = a.SetSession(r.fallback.Get(ctx, sessionKey))
		}
		if !r.outage(ctx, err) {
			return a, err
		}
	}
	return core.AllowThenRead(ctx, r.fallback, rateKey, limit, window, sessionKey)
}

// errDown is what lock operations return while Redis is down.
func errDown(op, key string) error {
	return core.Errorf(core.EUNAVAILABLE, "redis is unreachable: cannot %s lock %q (locks never fall back to one process)", op, key)
}

// TryLock takes the lock in Redis. While Redis is down it fails with
// EUNAVAILABLE without trying: an in-process lock would let every replica
// lead at once.
func (r *Resilient) TryLock(ctx context.Context, key string, ttl time.Duration) (core.Lease, error) {
	if !r.Up() {
		return nil, errDown("take", key)
	}
	l, err := r.kv.TryLock(ctx, key, ttl)
	if err != nil {
		r.outage(ctx, err)
		return nil, err
	}
	return &resilientLease{r: r, key: key, inner: l}, nil
}

// resilientLease fails fast while Redis is down, so a leader learns at once
// that it cannot renew and resigns on its own schedule.
type resilientLease struct {
	r     *Resilient
	key   string
	inner core.Lease
}

func (l *resilientLease) Renew(ctx context.Context, ttl time.Duration) error {
	if !l.r.Up() {
		return errDown("renew", l.key)
	}
	err := l.inner.Renew(ctx, ttl)
	l.r.outage(ctx, err)
	return err
}

func (l *resilientLease) Release(ctx context.Context) error {
	if !l.r.Up() {
		return errDown("release", l.key)
	}
	err := l.inner.Release(ctx)
	l.r.outage(ctx, err)
	return err
}
