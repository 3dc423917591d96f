package coretest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// KV is the short-lived state a deployment needs besides its database:
// sessions, dedupe claims, rate limits and leases. adapters/memory,
// adapters/redis and MemKV implement all four.
type KV interface {
	core.SessionStore
	core.Deduper
	core.RateLimiter
	core.Locker
	core.SessionReadingLimiter
}

// Timing of the suite. Every case only depends on durations relative to
// kvTTL, so an implementation driven by a fake clock runs instantly, while
// one that can only be advanced by sleeping (Redis expires keys on its own
// clock) finishes in a few seconds. kvTTL must be long enough that two
// back-to-back calls on a loaded CI machine always land inside it (300 ms did
// not: a Renew under -race beside other test binaries came after it); kvSlack is
// added when a case waits for something to expire, to absorb the
// millisecond rounding of Redis TTLs.
const (
	kvTTL   = time.Second
	kvSlack = 50 * time.Millisecond
)

// RunKVSuite is the conformance suite for KV implementations. open returns a
// fresh, empty KV for one subtest (a Redis implementation uses a unique key
// prefix and registers its own cleanup on t). advance moves the clock the KV
// reads by d: a fake clock's Advance for in-process implementations, or
// time.Sleep for ones whose expiry runs on a server clock. Subtests run one
// after another because they share advance.
func RunKVSuite(t *testing.T, open func(t *testing.T) KV, advance func(d time.Duration)) {
	t.Helper()
	cases := []struct {
		name string
		run  func(t *testing.T, kv KV, advance func(time.Duration))
	}{
		{"SessionRoundTrip", kvSessionRoundTrip},
		{"SessionExpiry", kvSessionExpiry},
		{"PutIfAbsent", kvPutIfAbsent},
		{"ClaimOnce", kvClaimOnce},
		{"ClaimConcurrent", kvClaimConcurrent},
		{"RateLimit", kvRateLimit},
		{"RateLimitSlides", kvRateLimitSlides},
		{"RateLimitPerKey", kvRateLimitPerKey},
		{"AllowRead", kvAllowRead},
		{"NamespacesApart", kvNamespacesApart},
		{"LockExclusive", kvLockExclusive},
		{"LockConcurrent", kvLockConcurrent},
		{"LockRenewExtends", kvLockRenewExtends},
		{"LockLostLease", kvLockLostLease},
		{"LockExpiredNotRetaken", kvLockExpiredNotRetaken},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, open(t), advance) })
	}
}

func kvSessionRoundTrip(t *testing.T, kv KV, _ func(time.Duration)) {
	ctx := t.Context()
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	for _, tc := range []struct {
		name  string
		value []byte
	}{
		{"text", []byte("in")},
		{"empty", []byte{}},
		{"binary", binary},
		{"large", bytes.Repeat([]byte("打卡"), 16<<10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := "s:" + tc.name
			in := bytes.Clone(tc.value)
			kvMustPut(t, kv, key, in, kvTTL)
			if len(in) > 0 {
				in[0] ^= 0xff // the store must have kept its own copy
			}
			got := kvMustGet(t, kv, key)
			if !bytes.Equal(got, tc.value) {
				t.Fatalf("Get(%q) = %d bytes %.20q, want %d bytes %.20q", key, len(got), got, len(tc.value), tc.value)
			}
			if len(got) > 0 {
				got[0] ^= 0xff // nor may a caller change it through a returned slice
				if again := kvMustGet(t, kv, key); !bytes.Equal(again, tc.value) {
					t.Fatalf("Get(%q) after changing the returned slice = %.20q, want %.20q", key, again, tc.value)
				}
			}
		})
	}

	kvMustPut(t, kv, "s:k", []byte("first"), kvTTL)
	kvMustPut(t, kv, "s:k", []byte("second"), kvTTL)
	if got := kvMustGet(t, kv, "s:k"); string(got) != "second" {
		t.Errorf("Get after overwrite = %q, want %q", got, "second")
	}
	if err := kv.Delete(ctx, "s:k"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	kvWantNotFound(t, kv, "s:k")
	if err := kv.Delete(ctx, "s:k"); err != nil {
		t.Errorf("Delete of a missing key = %v, want nil", err)
	}
	kvWantNotFound(t, kv, "s:never-written")
}

func kvSessionExpiry(t *testing.T, kv KV, advance func(time.Duration)) {
	kvMustPut(t, kv, "s:short", []byte("v"), kvTTL)
	kvMustPut(t, kv, "s:refreshed", []byte("v1"), kvTTL)
	advance(kvTTL * 3 / 5)
	if got := kvMustGet(t, kv, "s:short"); string(got) != "v" {
		t.Fatalf("Get before expiry = %q, want %q", got, "v")
	}
	// Overwriting restarts the TTL.
	kvMustPut(t, kv, "s:refreshed", []byte("v2"), kvTTL)
	advance(kvTTL*2/5 + kvSlack)
	kvWantNotFound(t, kv, "s:short")
	if got := kvMustGet(t, kv, "s:refreshed"); string(got) != "v2" {
		t.Fatalf("Get of a value rewritten %s before = %q, want %q", kvTTL*2/5+kvSlack, got, "v2")
	}
	advance(kvTTL*3/5 + kvSlack)
	kvWantNotFound(t, kv, "s:refreshed")
}

// kvPutIfAbsent: the first write wins until it expires; later ones get its
// value back and change nothing.
func kvPutIfAbsent(t *testing.T, kv KV, advance func(time.Duration)) {
	ctx := t.Context()
	steps := []struct {
		wait       time.Duration
		value      string
		wantStored bool
		wantOld    string
	}{
		{0, "first", true, ""},
		{0, "second", false, "first"},
		{kvTTL / 2, "third", false, "first"}, // the TTL is the first write's
		{kvTTL/2 + kvSlack, "fourth", true, ""},
		{0, "fifth", false, "fourth"},
	}
	for i, s := range steps {
		advance(s.wait)
		old, stored, err := kv.PutIfAbsent(ctx, "pia:k", []byte(s.value), kvTTL)
		if err != nil {
			t.Fatalf("step %d: PutIfAbsent(%q): %v", i+1, s.value, err)
		}
		if stored != s.wantStored || string(old) != s.wantOld {
			t.Errorf("step %d: PutIfAbsent(%q) = (%q, %v), want (%q, %v)", i+1, s.value, old, stored, s.wantOld, s.wantStored)
		}
	}
	if got := kvMustGet(t, kv, "pia:k"); string(got) != "fourth" {
		t.Errorf("Get after the steps = %q, want %q", got, "fourth")
	}
}

func kvClaimOnce(t *testing.T, kv KV, advance func(time.Duration)) {
	steps := []struct {
		wait time.Duration
		key  string
		want bool
	}{
		{0, "d:a", true},
		{0, "d:a", false},
		{0, "d:b", true},
		{kvTTL / 2, "d:a", false},
		{kvTTL/2 + kvSlack, "d:a", true}, // the first claim expired
		{0, "d:a", false},
	}
	for i, s := range steps {
		if s.wait > 0 {
			advance(s.wait)
		}
		if got := kvMustClaim(t, kv, s.key, kvTTL); got != s.want {
			t.Errorf("step %d: Claim(%q) = %v, want %v", i, s.key, got, s.want)
		}
	}
}

func kvClaimConcurrent(t *testing.T, kv KV, _ func(time.Duration)) {
	const n = 20
	results := make([]bool, n)
	errs := make([]error, n)
	kvRace(n, func(i int) {
		results[i], errs[i] = kv.Claim(context.Background(), "d:race", kvTTL*10)
	})
	won := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("goroutine %d: Claim: %v", i, errs[i])
		}
		if results[i] {
			won++
		}
	}
	if won != 1 {
		t.Errorf("%d concurrent claims of one key: got %d true, want exactly 1", n, won)
	}
}

func kvRateLimit(t *testing.T, kv KV, advance func(time.Duration)) {
	const limit = 3
	window := kvTTL
	for round := range 2 {
		for i := range limit {
			if ok, after := kvMustAllow(t, kv, "r:k", limit, window); !ok || after != 0 {
				t.Fatalf("round %d: Allow #%d = (%v, %s), want (true, 0)", round, i+1, ok, after)
			}
		}
		for i := range 2 {
			ok, after := kvMustAllow(t, kv, "r:k", limit, window)
			if ok || after <= 0 || after > window {
				t.Fatalf("round %d: Allow #%d over the limit = (%v, %s), want (false, 0 < retryAfter <= %s)", round, limit+i+1, ok, after, window)
			}
		}
		if round == 0 {
			// A full window later everything has recovered.
			advance(window + kvSlack)
		}
	}
}

// kvAllowRead: AllowRead counts against the same window as Allow and reads
// the session value whether or not the event is admitted.
func kvAllowRead(t *testing.T, kv KV, _ func(time.Duration)) {
	ctx := t.Context()
	const limit = 2
	window := 4 * kvTTL
	if err := kv.Put(ctx, "ar:held", []byte("in"), window); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if err := kv.Put(ctx, "ar:empty", nil, window); err != nil {
		t.Fatalf("Put empty: %v", err)
	}
	if ok, _ := kvMustAllow(t, kv, "ar:rate", limit, window); !ok {
		t.Fatal("Allow refused the first event")
	}
	cases := []struct {
		session   string
		wantOK    bool
		wantFound bool
		wantValue string
	}{
		{"ar:held", true, true, "in"},    // the second event of two
		{"ar:missing", false, false, ""}, // over the limit: still read
		{"ar:empty", false, true, ""},    // an empty value is a value
	}
	for i, c := range cases {
		a, err := kv.AllowRead(ctx, "ar:rate", limit, window, c.session)
		if err != nil {
			t.Fatalf("AllowRead #%d (%s): %v", i+1, c.session, err)
		}
		if a.OK != c.wantOK || a.Found != c.wantFound || string(a.Value) != c.wantValue {
			t.Errorf("AllowRead #%d (%s) = ok %v found %v value %q, want ok %v found %v value %q", i+1, c.session, a.OK, a.Found, a.Value, c.wantOK, c.wantFound, c.wantValue)
		}
		if c.wantFound && a.Value == nil {
			t.Errorf("AllowRead #%d (%s): found with a nil value, want a non-nil empty slice", i+1, c.session)
		}
		if !a.OK && (a.RetryAfter <= 0 || a.RetryAfter > window) {
			t.Errorf("AllowRead #%d refused with retryAfter %s, want 0 < retryAfter <= %s", i+1, a.RetryAfter, window)
		}
	}
	// The refused reads were not counted: Allow is refused too, no more.
	if ok, _ := kvMustAllow(t, kv, "ar:rate", limit, window); ok {
		t.Error("Allow after AllowRead filled the window was admitted")
	}
}

func kvRateLimitSlides(t *testing.T, kv KV, advance func(time.Duration)) {
	const limit = 2
	window := 2 * kvTTL
	if ok, _ := kvMustAllow(t, kv, "r:slide", limit, window); !ok {
		t.Fatal("first Allow refused")
	}
	advance(window / 2)
	if ok, _ := kvMustAllow(t, kv, "r:slide", limit, window); !ok {
		t.Fatal("second Allow half a window later refused")
	}
	ok, after := kvMustAllow(t, kv, "r:slide", limit, window)
	if ok || after <= 0 || after > window/2 {
		t.Fatalf("third Allow = (%v, %s), want (false, 0 < retryAfter <= %s): only the first event leaves the window before then", ok, after, window/2)
	}
	// Waiting retryAfter frees exactly one slot: the first event left the
	// window, the second is still in it. A fixed window would free both.
	advance(after + kvSlack)
	if ok, after := kvMustAllow(t, kv, "r:slide", limit, window); !ok {
		t.Fatalf("Allow after waiting retryAfter = (false, %s), want true", after)
	}
	if ok, after := kvMustAllow(t, kv, "r:slide", limit, window); ok || after <= 0 {
		t.Fatalf("Allow with the second event still in the window = (%v, %s), want (false, >0)", ok, after)
	}
}

func kvRateLimitPerKey(t *testing.T, kv KV, _ func(time.Duration)) {
	window := 10 * kvTTL
	if ok, _ := kvMustAllow(t, kv, "r:a", 1, window); !ok {
		t.Fatal("Allow(r:a) refused")
	}
	if ok, _ := kvMustAllow(t, kv, "r:a", 1, window); ok {
		t.Fatal("second Allow(r:a) admitted over a limit of 1")
	}
	if ok, after := kvMustAllow(t, kv, "r:b", 1, window); !ok {
		t.Fatalf("Allow(r:b) = (false, %s) after r:a was exhausted, want true: keys must not share a window", after)
	}
}

// kvNamespacesApart uses one key with every kind of state: a claim, a rate
// limit or a lock must never read or overwrite a session value of the same
// name, or each other.
func kvNamespacesApart(t *testing.T, kv KV, _ func(time.Duration)) {
	const key = "same"
	kvMustPut(t, kv, key, []byte("session"), kvTTL)
	if !kvMustClaim(t, kv, key, kvTTL) {
		t.Error("Claim of a key that only holds a session value = false, want true")
	}
	if ok, _ := kvMustAllow(t, kv, key, 1, kvTTL); !ok {
		t.Error("Allow of a key that only holds other state refused")
	}
	lease := kvMustLock(t, kv, key, kvTTL)
	if got := kvMustGet(t, kv, key); string(got) != "session" {
		t.Errorf("Get after Claim, Allow and TryLock of the same key = %q, want %q", got, "session")
	}
	if err := kv.Delete(t.Context(), key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if kvMustClaim(t, kv, key, kvTTL) {
		t.Error("Claim after deleting the session value of the same key = true, want false")
	}
	if err := lease.Release(t.Context()); err != nil {
		t.Errorf("Release after Delete of the same key = %v, want nil", err)
	}
}

func kvLockExclusive(t *testing.T, kv KV, _ func(time.Duration)) {
	ctx := t.Context()
	a := kvMustLock(t, kv, "l:k", kvTTL*10)
	kvWantConflict(t, "second TryLock of a held key", kvTryLockErr(t, kv, "l:k"))
	other := kvMustLock(t, kv, "l:other", kvTTL*10)
	if err := a.Release(ctx); err != nil {
		t.Fatalf("Release: %v", err)
	}
	kvWantConflict(t, "second Release", a.Release(ctx))
	kvWantConflict(t, "Renew after Release", a.Renew(ctx, kvTTL))
	b := kvMustLock(t, kv, "l:k", kvTTL*10)
	if err := b.Release(ctx); err != nil {
		t.Errorf("Release of the new lease: %v", err)
	}
	if err := other.Release(ctx); err != nil {
		t.Errorf("Release of another key's lease: %v", err)
	}
}

func kvLockConcurrent(t *testing.T, kv KV, _ func(time.Duration)) {
	const n = 20
	leases := make([]core.Lease, n)
	errs := make([]error, n)
	kvRace(n, func(i int) {
		leases[i], errs[i] = kv.TryLock(context.Background(), "l:race", kvTTL*10)
	})
	won := 0
	for i := range n {
		switch {
		case errs[i] == nil && leases[i] != nil:
			won++
		case core.ErrorCode(errs[i]) != core.ECONFLICT:
			t.Errorf("goroutine %d: TryLock = %v, want a lease or %s", i, errs[i], core.ECONFLICT)
		}
	}
	if won != 1 {
		t.Errorf("%d concurrent TryLock of one key: got %d leases, want exactly 1", n, won)
	}
}

func kvLockRenewExtends(t *testing.T, kv KV, advance func(time.Duration)) {
	ctx := t.Context()
	a := kvMustLock(t, kv, "l:renew", kvTTL)
	advance(kvTTL * 3 / 5)
	if err := a.Renew(ctx, kvTTL); err != nil {
		t.Fatalf("Renew of a live lease: %v", err)
	}
	advance(kvTTL * 3 / 5) // past the original TTL, inside the renewed one
	kvWantConflict(t, "TryLock of a renewed lease past its first TTL", kvTryLockErr(t, kv, "l:renew"))
	advance(kvTTL*2/5 + kvSlack)
	b := kvMustLock(t, kv, "l:renew", kvTTL)
	kvWantConflict(t, "Renew after the renewed lease expired and was taken", a.Renew(ctx, kvTTL))
	if err := b.Release(ctx); err != nil {
		t.Errorf("Release of the new lease: %v", err)
	}
}

func kvLockLostLease(t *testing.T, kv KV, advance func(time.Duration)) {
	ctx := t.Context()
	old := kvMustLock(t, kv, "l:lost", kvTTL)
	advance(kvTTL + kvSlack)
	cur := kvMustLock(t, kv, "l:lost", kvTTL*10)
	kvWantConflict(t, "Renew by the holder who lost the lease", old.Renew(ctx, kvTTL*100))
	kvWantConflict(t, "Release by the holder who lost the lease", old.Release(ctx))
	// Neither call may have touched the new holder's lease.
	kvWantConflict(t, "TryLock while the new holder has the key", kvTryLockErr(t, kv, "l:lost"))
	if err := cur.Renew(ctx, kvTTL*10); err != nil {
		t.Errorf("Renew by the new holder: %v", err)
	}
	if err := cur.Release(ctx); err != nil {
		t.Errorf("Release by the new holder: %v", err)
	}
	next := kvMustLock(t, kv, "l:lost", kvTTL)
	if err := next.Release(ctx); err != nil {
		t.Errorf("Release: %v", err)
	}
}

func kvLockExpiredNotRetaken(t *testing.T, kv KV, advance func(time.Duration)) {
	ctx := t.Context()
	a := kvMustLock(t, kv, "l:expired", kvTTL)
	advance(kvTTL + kvSlack)
	// Nobody took the key, but the holder cannot know that: its lease is lost.
	kvWantConflict(t, "Renew of an expired lease", a.Renew(ctx, kvTTL))
	kvWantConflict(t, "Release of an expired lease", a.Release(ctx))
	b := kvMustLock(t, kv, "l:expired", kvTTL)
	if err := b.Release(ctx); err != nil {
		t.Errorf("Release: %v", err)
	}
}

// kvRace runs fn(0..n-1) on n goroutines released at the same moment.
func kvRace(n int, fn func(i int)) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			fn(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
}

func kvMustPut(tb testing.TB, kv KV, key string, value []byte, ttl time.Duration) {
	tb.Helper()
	if err := kv.Put(context.Background(), key, value, ttl); err != nil {
		tb.Fatalf("Put(%q): %v", key, err)
	}
}

func kvMustGet(tb testing.TB, kv KV, key string) []byte {
	tb.Helper()
	v, err := kv.Get(context.Background(), key)
	if err != nil {
		tb.Fatalf("Get(%q): %v", key, err)
	}
	return v
}

func kvWantNotFound(tb testing.TB, kv KV, key string) {
	tb.Helper()
	v, err := kv.Get(context.Background(), key)
	if code := core.ErrorCode(err); code != core.ENOTFOUND {
		tb.Fatalf("Get(%q) = (%q, %v), want error code %s", key, v, err, core.ENOTFOUND)
	}
}

func kvMustClaim(tb testing.TB, kv KV, key string, ttl time.Duration) bool {
	tb.Helper()
	ok, err := kv.Claim(context.Background(), key, ttl)
	if err != nil {
		tb.Fatalf("Claim(%q): %v", key, err)
	}
	return ok
}

func kvMustAllow(tb testing.TB, kv KV, key string, limit int, window time.Duration) (bool, time.Duration) {
	tb.Helper()
	ok, after, err := kv.Allow(context.Background(), key, limit, window)
	if err != nil {
		tb.Fatalf("Allow(%q, %d, %s): %v", key, limit, window, err)
	}
	return ok, after
}

func kvMustLock(tb testing.TB, kv KV, key string, ttl time.Duration) core.Lease {
	tb.Helper()
	l, err := kv.TryLock(context.Background(), key, ttl)
	if err != nil {
		tb.Fatalf("TryLock(%q): %v", key, err)
	}
	if l == nil {
		tb.Fatalf("TryLock(%q) returned neither a lease nor an error", key)
	}
	return l
}

// kvTryLockErr tries to take key and returns the error, failing the test if
// the lock was granted.
func kvTryLockErr(tb testing.TB, kv KV, key string) error {
	tb.Helper()
	l, err := kv.TryLock(context.Background(), key, kvTTL)
	if err == nil {
		_ = l.Release(context.Background())
		return fmt.Errorf("TryLock(%q) granted a lease", key)
	}
	return err
}

func kvWantConflict(tb testing.TB, what string, err error) {
	tb.Helper()
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Code != core.ECONFLICT {
		tb.Errorf("%s: got %v, want a *core.Error with code %s", what, err, core.ECONFLICT)
	}
}
