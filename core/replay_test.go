package core_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// lookupCounter counts EventReply calls, the round trip a punch saves by
// letting its transaction detect a retry.
type lookupCounter struct {
	*coretest.MemStore
	lookups atomic.Int64
}

func (c *lookupCounter) EventReply(ctx context.Context, source, eventID string) (core.EventRecord, error) {
	c.lookups.Add(1)
	return c.MemStore.EventReply(ctx, source, eventID)
}

// newCountingHarness is newHarness with the store wrapped in a lookupCounter.
func newCountingHarness(tb testing.TB, mutate func(*core.Config)) (*harness, *lookupCounter) {
	tb.Helper()
	h := newHarness(tb, mutate)
	counter := &lookupCounter{MemStore: h.store}
	cfg := core.DefaultConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	h.svc = core.NewService(counter, h.kv, h.kv, cfg, h.clock.Now)
	return h, counter
}

// intentOf is the kind of the employee's waiting text punch, if any.
func intentOf(tb testing.TB, h *harness, employeeID string) (string, bool) {
	tb.Helper()
	in, ok := h.store.Intent(employeeID)
	return string(in.Kind), ok
}

func TestFirstDeliveryOfAPunchLooksNothingUp(t *testing.T) {
	h, counter := newCountingHarness(t, nil)
	at := sh(t, "2026-11-26 08:50:00")
	first := h.punch(t, "zhangsan", core.KindIn, at, north(office, 10), "msg-1")
	if first.Outcome != core.OutcomeAccepted || first.Replayed {
		t.Fatalf("first delivery = %+v, want accepted", first)
	}
	if n := counter.lookups.Load(); n != 0 {
		t.Errorf("EventReply calls for a first delivery = %d, want 0", n)
	}
	// The retry is caught by the transaction, which then reads the reply.
	again := h.punch(t, "zhangsan", core.KindIn, at.Add(time.Second), north(office, 10), "msg-1")
	if !again.Replayed || again.PunchID != first.PunchID {
		t.Errorf("retry = %+v, want punch %d replayed", again, first.PunchID)
	}
}

func TestRetriesOfAPunchNeverChangeAnything(t *testing.T) {
	at := sh(t, "2026-11-26 17:30:00")
	tests := []struct {
		name      string
		rateLimit int // commands per minute; 0 keeps the default
		run       func(t *testing.T, h *harness)
	}{
		{"a retry refused by the rate limit gets the first reply", 1, func(t *testing.T, h *harness) {
			first := h.punch(t, "zhangsan", core.KindOut, at, north(office, 10), "msg-1")
			for i := range 3 {
				again := h.punch(t, "zhangsan", core.KindOut, at.Add(time.Duration(i+1)*time.Second), north(office, 10), "msg-1")
				if !again.Replayed || again.Outcome != first.Outcome || again.PunchID != first.PunchID {
					t.Errorf("retry %d = %s replayed %v punch %d, want the first reply (punch %d) replayed",
						i, again.Outcome, again.Replayed, again.PunchID, first.PunchID)
				}
			}
			// A new command is still refused.
			if next := h.punch(t, "zhangsan", core.KindOut, at.Add(5*time.Second), north(office, 10), "msg-2"); next.Outcome != core.OutcomeRateLimited {
				t.Errorf("new command = %s, want rate_limited", next.Outcome)
			}
		}},
		{"a retried text punch does not arm its intent again", 0, func(t *testing.T, h *harness) {
			first := h.punch(t, "zhangsan", core.KindOut, at, nil, "text-1")
			if first.Outcome != core.OutcomeNeedLocation {
				t.Fatalf("text punch = %s, want need_location", first.Outcome)
			}
			h.punch(t, "zhangsan", core.KindAuto, at.Add(time.Minute), north(office, 10), "loc-1")
			if intent, ok := intentOf(t, h, "E1"); ok {
				t.Fatalf("intent after the location = %q, want used up", intent)
			}
			again := h.punch(t, "zhangsan", core.KindOut, at.Add(2*time.Minute), nil, "text-1")
			if !again.Replayed || again.Outcome != core.OutcomeNeedLocation {
				t.Errorf("retry = %s replayed %v, want need_location replayed", again.Outcome, again.Replayed)
			}
			if intent, ok := intentOf(t, h, "E1"); ok {
				t.Errorf("intent after the retry = %q, want none", intent)
			}
		}},
		{"a retried location leaves a newer intent alone", 0, func(t *testing.T, h *harness) {
			h.punch(t, "zhangsan", core.KindOut, at, nil, "text-1")
			first := h.punch(t, "zhangsan", core.KindAuto, at.Add(time.Minute), north(office, 10), "loc-1")
			h.punch(t, "zhangsan", core.KindIn, at.Add(2*time.Minute), nil, "text-2")
			again := h.punch(t, "zhangsan", core.KindAuto, at.Add(3*time.Minute), north(office, 10), "loc-1")
			if !again.Replayed || again.PunchID != first.PunchID || again.Kind != core.KindOut {
				t.Errorf("retry = %+v, want the first out punch %d replayed", again, first.PunchID)
			}
			if intent, ok := intentOf(t, h, "E1"); !ok || intent != string(core.KindIn) {
				t.Errorf("intent after the retry = %q, %v, want the newer in", intent, ok)
			}
		}},
		{"a retry that could now be punched gets the first answer", 0, func(t *testing.T, h *harness) {
			first := h.punch(t, "zhangsan", core.KindOut, at, nil, "text-1")
			// A reported position arrives: the same text would now punch.
			h.clock.Set(at.Add(10 * time.Second))
			if _, err := h.svc.Handle(context.Background(), core.Command{Actor: core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"},
				Kind: core.CmdReportLocation, At: at.Add(10 * time.Second), Location: north(office, 10)}); err != nil {
				t.Fatal(err)
			}
			again := h.punch(t, "zhangsan", core.KindOut, at.Add(20*time.Second), nil, "text-1")
			if !again.Replayed || again.Outcome != first.Outcome {
				t.Errorf("retry = %s replayed %v, want %s replayed", again.Outcome, again.Replayed, first.Outcome)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(c *core.Config) {
				if tc.rateLimit > 0 {
					c.RateLimit = tc.rateLimit
				}
			})
			tc.run(t, h)
			// Whatever happened, one reply per event and at most one punch.
			events := map[string]int{}
			for _, m := range h.store.Outbox() {
				events[m.DedupeKey]++
			}
			for key, n := range events {
				if n != 1 {
					t.Errorf("replies queued for %s = %d, want 1", key, n)
				}
			}
			seen := map[string]bool{}
			for _, p := range h.punches(t, "E1") {
				if seen[p.EventID] {
					t.Errorf("second punch for event %s: %+v", p.EventID, p)
				}
				seen[p.EventID] = true
			}
		})
	}
}
