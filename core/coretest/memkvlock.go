package coretest

import (
	"context"
	"crypto/rand"
	"time"

	"github.com/punchbot/punchbot/core"
)

var _ core.Locker = (*MemKV)(nil)

// TryLock returns a lease on key for ttl, or ECONFLICT while another live
// lease holds it. Leases live next to the other values under a "lock:" prefix,
// as claims do under "claim:", each tagged with a random token so a holder
// whose lease expired can never renew or release its successor's.
func (k *MemKV) TryLock(ctx context.Context, key string, ttl time.Duration) (core.Lease, error) {
	if ttl <= 0 {
		return nil, core.Errorf(core.EINVALID, "lock TTL must be positive, got %s", ttl)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	key = "lock:" + key
	now := k.now()
	if v, ok := k.vals[key]; ok && now.Before(v.exp) {
		return nil, core.Errorf(core.ECONFLICT, "lock %q is held by another holder", key)
	}
	token := []byte(rand.Text())
	k.vals[key] = memVal{v: token, exp: now.Add(ttl)}
	return &memKVLease{kv: k, key: key, token: string(token)}, nil
}

// memKVLease is one holder's lease on a MemKV lock key.
type memKVLease struct {
	kv    *MemKV
	key   string
	token string
}

// Renew extends the lease to ttl from now, or fails with ECONFLICT once it
// has expired (whether or not someone else took the key since).
func (l *memKVLease) Renew(ctx context.Context, ttl time.Duration) error {
	if ttl <= 0 {
		return core.Errorf(core.EINVALID, "lock TTL must be positive, got %s", ttl)
	}
	l.kv.mu.Lock()
	defer l.kv.mu.Unlock()
	now := l.kv.now()
	if !l.heldAt(now) {
		return core.Errorf(core.ECONFLICT, "lease on %q was lost", l.key)
	}
	l.kv.vals[l.key] = memVal{v: []byte(l.token), exp: now.Add(ttl)}
	return nil
}

// Release frees the lock, or fails with ECONFLICT and leaves the key alone
// when this lease is no longer the live one.
func (l *memKVLease) Release(ctx context.Context) error {
	l.kv.mu.Lock()
	defer l.kv.mu.Unlock()
	if !l.heldAt(l.kv.now()) {
		return core.Errorf(core.ECONFLICT, "lease on %q was lost", l.key)
	}
	delete(l.kv.vals, l.key)
	return nil
}

// heldAt reports whether l is the live lease at now. The caller holds kv.mu.
func (l *memKVLease) heldAt(now time.Time) bool {
	v, ok := l.kv.vals[l.key]
	return ok && string(v.v) == l.token && now.Before(v.exp)
}
