package memory

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 2, 28, 23, 59, 0, 0, time.FixedZone("CST", 8*3600))}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestConformance(t *testing.T) {
	clock := newFakeClock()
	coretest.RunKVSuite(t, func(t *testing.T) coretest.KV { return New(clock.Now) }, clock.Advance)
}

func TestRejectsBadInput(t *testing.T) {
	kv := New(newFakeClock().Now)
	ctx := context.Background()
	cases := []struct {
		name string
		call func() error
	}{
		{"Put zero TTL", func() error { return kv.Put(ctx, "k", []byte("v"), 0) }},
		{"Put negative TTL", func() error { return kv.Put(ctx, "k", []byte("v"), -time.Second) }},
		{"Claim zero TTL", func() error { _, err := kv.Claim(ctx, "k", 0); return err }},
		{"Allow zero limit", func() error { _, _, err := kv.Allow(ctx, "k", 0, time.Minute); return err }},
		{"Allow negative limit", func() error { _, _, err := kv.Allow(ctx, "k", -1, time.Minute); return err }},
		{"Allow zero window", func() error { _, _, err := kv.Allow(ctx, "k", 1, 0); return err }},
		{"TryLock zero TTL", func() error { _, err := kv.TryLock(ctx, "k", 0); return err }},
		{"Renew zero TTL", func() error {
			l, err := kv.TryLock(ctx, "renew", time.Minute)
			if err != nil {
				return err
			}
			return l.Renew(ctx, 0)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := core.ErrorCode(tc.call()); got != core.EINVALID {
				t.Errorf("got code %q, want %q", got, core.EINVALID)
			}
		})
	}
	// Nothing was stored by the rejected calls.
	kv.mu.Lock()
	defer kv.mu.Unlock()
	if got := kv.entries(); got != 1 { // the lease taken to test Renew
		t.Errorf("entries after rejected calls = %d, want 1", got)
	}
}

// TestRetryAfterExact pins the sliding-window arithmetic that the shared
// suite can only bound, because Redis runs on a real clock.
func TestRetryAfterExact(t *testing.T) {
	clock := newFakeClock()
	kv := New(clock.Now)
	ctx := context.Background()
	steps := []struct {
		wait      time.Duration
		limit     int
		wantOK    bool
		wantAfter time.Duration
	}{
		{0, 3, true, 0},                               // t=0
		{10 * time.Second, 3, true, 0},                // t=10s
		{15 * time.Second, 3, true, 0},                // t=25s
		{5 * time.Second, 3, false, 30 * time.Second}, // t=30s: the t=0 event leaves at 60s
		{29 * time.Second, 3, false, time.Second},     // t=59s
		{time.Second, 3, true, 0},                     // t=60s: the t=0 event is gone exactly now
		{0, 3, false, 10 * time.Second},               // t=60s: next to leave is t=10s
		{0, 1, false, 60 * time.Second},               // a lower limit waits for all three events to leave
		{25 * time.Second, 2, true, 0},                // t=85s: only the t=60s event is left
	}
	for i, s := range steps {
		clock.Advance(s.wait)
		ok, after, err := kv.Allow(ctx, "emp-1", s.limit, time.Minute)
		if err != nil {
			t.Fatalf("step %d: Allow: %v", i, err)
		}
		if ok != s.wantOK || after != s.wantAfter {
			t.Errorf("step %d: Allow(limit %d) = (%v, %s), want (%v, %s)", i, s.limit, ok, after, s.wantOK, s.wantAfter)
		}
	}
}

// TestSweepKeepsMemoryBounded writes a stream of short-lived keys for a long
// time and checks the maps never hold much more than the live ones, and that
// idle keys are gone once the clock passes them.
func TestSweepKeepsMemoryBounded(t *testing.T) {
	clock := newFakeClock()
	kv := New(clock.Now)
	ctx := context.Background()
	const (
		ttl  = 10 * time.Second
		step = 10 * time.Millisecond // 1000 live keys of each kind at any time
		n    = 100_000
	)
	peak := 0
	for i := range n {
		key := fmt.Sprintf("k%d", i)
		if err := kv.Put(ctx, key, []byte("intent"), ttl); err != nil {
			t.Fatal(err)
		}
		if _, err := kv.Claim(ctx, key, ttl); err != nil {
			t.Fatal(err)
		}
		if _, _, err := kv.Allow(ctx, key, 5, ttl); err != nil {
			t.Fatal(err)
		}
		if _, err := kv.TryLock(ctx, key, ttl); err != nil {
			t.Fatal(err)
		}
		clock.Advance(step)
		kv.mu.Lock()
		peak = max(peak, kv.entries())
		kv.mu.Unlock()
	}
	live := 4 * int(ttl/step)
	if limit := 2*live + minSweepWrites + 4; peak > limit {
		t.Errorf("peak entries = %d with %d live, want <= %d", peak, live, limit)
	}
	// With no further writes, reads drop what they touch and the next write
	// after sweepInterval clears the rest.
	clock.Advance(sweepInterval)
	if _, err := kv.Get(ctx, "k99999"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("Get of an expired key = %v, want %s", err, core.ENOTFOUND)
	}
	if _, err := kv.Claim(ctx, "fresh", ttl); err != nil {
		t.Fatal(err)
	}
	kv.mu.Lock()
	defer kv.mu.Unlock()
	if got := kv.entries(); got != 1 {
		t.Errorf("entries after everything expired and one new claim = %d, want 1", got)
	}
	if kv.sweepCount > 2*n/minSweepWrites+2 {
		t.Errorf("%d full sweeps for %d writes, want amortised O(1) per write", kv.sweepCount, 4*n)
	}
}

// TestLeaseTokensAreNotReused checks that a lease obtained after an expiry
// never shares identity with the earlier one, even on the same KV and key.
func TestLeaseTokensAreNotReused(t *testing.T) {
	clock := newFakeClock()
	kv := New(clock.Now)
	ctx := context.Background()
	first, err := kv.TryLock(ctx, "leader", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	second, err := kv.TryLock(ctx, "leader", time.Second)
	if err != nil {
		t.Fatalf("TryLock after expiry: %v", err)
	}
	if first.(*lease).token == second.(*lease).token {
		t.Fatalf("both leases got token %d", first.(*lease).token)
	}
	if err := first.Release(ctx); core.ErrorCode(err) != core.ECONFLICT {
		t.Errorf("Release of the expired lease = %v, want %s", err, core.ECONFLICT)
	}
	if err := second.Renew(ctx, time.Minute); err != nil {
		t.Errorf("Renew of the live lease: %v", err)
	}
}

func BenchmarkAllow(b *testing.B) {
	clock := newFakeClock()
	kv := New(clock.Now)
	ctx := context.Background()
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("punch:emp-%d", i)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		clock.Advance(time.Millisecond)
		if _, _, err := kv.Allow(ctx, keys[i%len(keys)], 10, time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClaimParallel(b *testing.B) {
	kv := New(nil)
	ctx := context.Background()
	var mu sync.Mutex
	next := 0
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		mu.Lock()
		base := next
		next += 1 << 30
		mu.Unlock()
		for i := base; pb.Next(); i++ {
			if _, err := kv.Claim(ctx, fmt.Sprintf("event:%d", i), time.Minute); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
