// Package memory keeps punchbot's short-lived state — dedupe claims, rate
// limit windows, leases and conversational sessions — in process memory. It is
// the single-instance equivalent of adapters/redis and is what the embedded
// deployment (SQLite, one process) uses; both pass coretest.RunKVSuite.
//
// Nothing here survives a restart, which is acceptable because every value is
// a shortcut: the database enforces idempotency, a lost session only makes the
// user share their location again, and a lost lease is taken again after the
// restart.
package memory

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/punchbot/punchbot/core"
)

// Sweep policy. A full sweep costs one pass over every entry, so it runs at
// most once per sweepInterval of clock time or once the number of writes since
// the last sweep reaches the number of entries that survived it (but at least
// minSweepWrites). That keeps the amortised cost per write constant while the
// map never holds more than about twice its live entries plus minSweepWrites,
// however fast keys are created.
const (
	sweepInterval  = time.Minute
	minSweepWrites = 1024
)

// KV is an in-process core.SessionStore, core.Deduper, core.RateLimiter and
// core.Locker. It is safe for concurrent use. Every expiry is judged by the
// injected clock, so tests move time instead of sleeping.
type KV struct {
	now func() time.Time

	mu       sync.Mutex
	sessions map[string]session
	claims   map[string]time.Time // key → expiry
	windows  map[string]*window
	leases   map[string]leaseState
	token    uint64 // last lease token handed out

	writes     int // writes since the last sweep
	lastLive   int // entries left by the last sweep
	lastSweep  time.Time
	sweepCount int // number of full sweeps, for tests
}

type session struct {
	value []byte
	exp   time.Time
}

// window is the sliding-window log of one rate-limit key: the times of the
// admitted events still inside the window, oldest first. It holds at most
// limit entries because refused events are not recorded.
type window struct {
	hits []time.Time
	span time.Duration
}

func (w *window) expires() time.Time { return w.hits[len(w.hits)-1].Add(w.span) }

type leaseState struct {
	token uint64
	exp   time.Time
}

var (
	_ core.SessionStore = (*KV)(nil)
	_ core.Deduper      = (*KV)(nil)
	_ core.RateLimiter  = (*KV)(nil)
	_ core.Locker       = (*KV)(nil)

	_ core.SessionReadingLimiter = (*KV)(nil)
)

// New returns an empty KV that reads time from now (time.Now when nil).
func New(now func() time.Time) *KV {
	if now == nil {
		now = time.Now
	}
	return &KV{
		now:       now,
		sessions:  map[string]session{},
		claims:    map[string]time.Time{},
		windows:   map[string]*window{},
		leases:    map[string]leaseState{},
		lastSweep: now(),
	}
}

// Put stores a copy of value under key for ttl, replacing any previous value
// and its expiry.
func (k *KV) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := checkTTL("session", ttl); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	k.sessions[key] = session{value: slices.Clone(value), exp: now.Add(ttl)}
	k.wrote(now)
	return nil
}

// PutIfAbsent stores a copy of value under key for ttl unless key holds a
// live value, which it returns (a copy) instead.
func (k *KV) PutIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) ([]byte, bool, error) {
	if err := checkTTL("session", ttl); err != nil {
		return nil, false, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if s, ok := k.sessions[key]; ok && now.Before(s.exp) {
		return append([]byte{}, s.value...), false, nil
	}
	k.sessions[key] = session{value: slices.Clone(value), exp: now.Add(ttl)}
	k.wrote(now)
	return nil, true, nil
}

// Get returns a copy of the live value of key, or ENOTFOUND when it is
// missing or expired.
func (k *KV) Get(ctx context.Context, key string) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	s, ok := k.sessions[key]
	if ok && !k.now().Before(s.exp) {
		delete(k.sessions, key)
		ok = false
	}
	if !ok {
		return nil, core.Errorf(core.ENOTFOUND, "no session value %q", key)
	}
	if s.value == nil {
		// An empty value is still a value: keep it distinguishable from "missing".
		return []byte{}, nil
	}
	return slices.Clone(s.value), nil
}

// Delete removes key; deleting a missing key is not an error.
func (k *KV) Delete(ctx context.Context, key string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.sessions, key)
	return nil
}

// Claim returns true for the first claim of key within ttl and false for
// every further claim until the first one expires.
func (k *KV) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := checkTTL("dedupe", ttl); err != nil {
		return false, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if exp, ok := k.claims[key]; ok && now.Before(exp) {
		return false, nil
	}
	k.claims[key] = now.Add(ttl)
	k.wrote(now)
	return true, nil
}

// Allow admits at most limit events per sliding window for key. A sliding
// log is exact — no burst of 2×limit across a fixed-window boundary — and its
// memory is bounded by limit because only admitted events are recorded, which
// also means a client that keeps retrying while refused does not push its own
// recovery further away. When refused, retryAfter is the time until the
// oldest event that must leave the window does so.
func (k *KV) Allow(ctx context.Context, key string, limit int, span time.Duration) (bool, time.Duration, error) {
	if limit <= 0 {
		return false, 0, core.Errorf(core.EINVALID, "rate limit must be positive, got %d", limit)
	}
	if span <= 0 {
		return false, 0, core.Errorf(core.EINVALID, "rate limit window must be positive, got %s", span)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	w := k.windows[key]
	if w == nil {
		w = &window{}
		k.windows[key] = w
	}
	// Events at or before now-span have left the window.
	cut := now.Add(-span)
	gone, _ := slices.BinarySearchFunc(w.hits, cut, func(hit, cut time.Time) int {
		if hit.After(cut) {
			return 1
		}
		return -1
	})
	w.hits = slices.Delete(w.hits, 0, gone)
	if len(w.hits) >= limit {
		// Admitting one more needs len-limit+1 events gone; the last of
		// those is hits[len-limit].
		wait := w.hits[len(w.hits)-limit].Add(span).Sub(now)
		return false, max(wait, time.Nanosecond), nil
	}
	at, _ := slices.BinarySearchFunc(w.hits, now, time.Time.Compare)
	w.hits = slices.Insert(w.hits, at, now)
	w.span = max(w.span, span)
	k.wrote(now)
	return true, 0, nil
}

// TryLock returns a lease on key for ttl, or ECONFLICT while another live
// lease holds it.
func (k *KV) TryLock(ctx context.Context, key string, ttl time.Duration) (core.Lease, error) {
	if err := checkTTL("lock", ttl); err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if l, ok := k.leases[key]; ok && now.Before(l.exp) {
		return nil, core.Errorf(core.ECONFLICT, "lock %q is held by another holder", key)
	}
	k.token++
	k.leases[key] = leaseState{token: k.token, exp: now.Add(ttl)}
	k.wrote(now)
	return &lease{kv: k, key: key, token: k.token}, nil
}

// lease is one holder's claim on a lock key. The token tells this holder's
// lease apart from a later holder's after expiry.
type lease struct {
	kv    *KV
	key   string
	token uint64
}

// Renew extends the lease to ttl from now. It fails with ECONFLICT once the
// lease has expired, even if nobody took the key since: the holder cannot know
// that, so it must treat the lock as lost (the Redis adapter behaves the same).
func (l *lease) Renew(ctx context.Context, ttl time.Duration) error {
	if err := checkTTL("lock", ttl); err != nil {
		return err
	}
	k := l.kv
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if err := l.held(now); err != nil {
		return err
	}
	k.leases[l.key] = leaseState{token: l.token, exp: now.Add(ttl)}
	return nil
}

// Release frees the lock so another holder can take it at once. It fails
// with ECONFLICT, leaving the key alone, when this lease is no longer the
// live one.
func (l *lease) Release(ctx context.Context) error {
	k := l.kv
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := l.held(k.now()); err != nil {
		return err
	}
	delete(k.leases, l.key)
	return nil
}

// held reports ECONFLICT unless l is the live lease on its key. It drops an
// expired entry of this holder on the way, since nobody can use it any more.
func (l *lease) held(now time.Time) error {
	cur, ok := l.kv.leases[l.key]
	if ok && cur.token == l.token && now.Before(cur.exp) {
		return nil
	}
	if ok && cur.token == l.token {
		delete(l.kv.leases, l.key)
	}
	return core.Errorf(core.ECONFLICT, "lease on %q was lost", l.key)
}

// wrote counts a write and sweeps expired entries when the policy says so.
// The caller holds k.mu.
func (k *KV) wrote(now time.Time) {
	k.writes++
	if k.writes < max(k.lastLive, minSweepWrites) && now.Sub(k.lastSweep) < sweepInterval {
		return
	}
	k.sweep(now)
}

// sweep drops every expired entry. The caller holds k.mu.
func (k *KV) sweep(now time.Time) {
	for key, s := range k.sessions {
		if !now.Before(s.exp) {
			delete(k.sessions, key)
		}
	}
	for key, exp := range k.claims {
		if !now.Before(exp) {
			delete(k.claims, key)
		}
	}
	for key, w := range k.windows {
		if len(w.hits) == 0 || !now.Before(w.expires()) {
			delete(k.windows, key)
		}
	}
	for key, l := range k.leases {
		if !now.Before(l.exp) {
			delete(k.leases, key)
		}
	}
	k.writes = 0
	k.lastLive = k.entries()
	k.lastSweep = now
	k.sweepCount++
}

// entries counts stored entries, live or not. The caller holds k.mu.
func (k *KV) entries() int {
	return len(k.sessions) + len(k.claims) + len(k.windows) + len(k.leases)
}

func checkTTL(what string, ttl time.Duration) error {
	if ttl <= 0 {
		return core.Errorf(core.EINVALID, "%s TTL must be positive, got %s", what, ttl)
	}
	return nil
}

// AllowRead is Allow and Get; in process they cost no round trip.
func (k *KV) AllowRead(ctx context.Context, rateKey string, limit int, window time.Duration, sessionKey string) (core.Admission, error) {
	return core.AllowThenRead(ctx, k, rateKey, limit, window, sessionKey)
}
