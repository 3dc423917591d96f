package core_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// countingKV records the calls the service makes on its short-lived state,
// each of which is a round trip to Redis in production.
type countingKV struct {
	*coretest.MemKV
	mu    sync.Mutex
	calls []string
}

func (k *countingKV) record(op string) { k.mu.Lock(); k.calls = append(k.calls, op); k.mu.Unlock() }

func (k *countingKV) take() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	c := k.calls
	k.calls = nil
	return c
}

func (k *countingKV) Get(ctx context.Context, key string) ([]byte, error) {
	k.record("Get")
	return k.MemKV.Get(ctx, key)
}

func (k *countingKV) Put(ctx context.Context, key string, v []byte, ttl time.Duration) error {
	k.record("Put")
	return k.MemKV.Put(ctx, key, v, ttl)
}

func (k *countingKV) Delete(ctx context.Context, key string) error {
	k.record("Delete")
	return k.MemKV.Delete(ctx, key)
}

func (k *countingKV) Allow(ctx context.Context, key string, limit int, w time.Duration) (bool, time.Duration, error) {
	k.record("Allow")
	return k.MemKV.Allow(ctx, key, limit, w)
}

func (k *countingKV) AllowRead(ctx context.Context, rk string, limit int, w time.Duration, sk string) (core.Admission, error) {
	k.record("AllowRead")
	return k.MemKV.AllowRead(ctx, rk, limit, w, sk)
}

// plainLimiter is a rate limiter that is not the session store.
type plainLimiter struct{ *countingKV }

func (l plainLimiter) AllowRead() {} // hides the promoted method: not a SessionReadingLimiter

// TestPunchRoundTrips: a shared location costs no round trip to the
// short-lived state: its rate limit is counted and the intent it may
// complete is read in its transaction (punch_rate.go, intent.go). A text
// punch reads the reported position with its rate limit in one call, and
// arms its intent in the database. Asking for a location leaves any wait
// for a confirmation alone: no Delete.
func TestPunchRoundTrips(t *testing.T) {
	at := sh(t, "2026-11-26 17:30:00")
	type step struct {
		kind      core.PunchKind
		loc       *core.Location
		event     string
		wantCalls []string
		wantOut   core.Outcome
		wantKind  core.PunchKind
	}
	cases := []struct {
		name     string
		separate bool // the limiter is not the session store
		steps    []step
	}{
		{"a shared location", false, []step{
			{core.KindAuto, north(office, 10), "l1", nil, core.OutcomeAccepted, core.KindOut},
		}},
		{"a text punch, then its location", false, []step{
			{core.KindOut, nil, "t1", []string{"AllowRead"}, core.OutcomeNeedLocation, core.KindOut},
			{core.KindAuto, north(office, 10), "l1", nil, core.OutcomeAccepted, core.KindOut},
		}},
		{"a limiter apart from the sessions", true, []step{
			{core.KindOut, nil, "t1", []string{"Allow", "Get"}, core.OutcomeNeedLocation, core.KindOut},
			{core.KindAuto, north(office, 10), "l1", nil, core.OutcomeAccepted, core.KindOut},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, nil)
			kv := &countingKV{MemKV: h.kv}
			var limiter core.RateLimiter = kv
			if c.separate {
				limiter = plainLimiter{kv}
			}
			h.svc = core.NewService(h.store, kv, limiter, core.DefaultConfig(), h.clock.Now)
			for i, s := range c.steps {
				r := h.punch(t, "zhangsan", s.kind, at.Add(time.Duration(i)*time.Minute), s.loc, s.event)
				if got := kv.take(); !slices.Equal(got, s.wantCalls) {
					t.Errorf("step %d (%s): calls = %v, want %v", i+1, s.event, got, s.wantCalls)
				}
				if r.Outcome != s.wantOut || r.Kind != s.wantKind {
					t.Errorf("step %d (%s): reply = %s/%s, want %s/%s", i+1, s.event, r.Outcome, r.Kind, s.wantOut, s.wantKind)
				}
			}
		})
	}
}
