package core_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// TestLocatedPunchRateIsCountedByTheStore: a located punch's rate limit is
// the employee's punches received within the window, counted in the
// punch's transaction, so replicas with limiters of their own (or Redis
// down, each on its in-process one) still refuse the punch over the limit,
// and its limiter is never asked. A text punch still counts in the limiter.
func TestLocatedPunchRateIsCountedByTheStore(t *testing.T) {
	h := newHarness(t, func(c *core.Config) { c.RateLimit = 3 })
	cfg := core.DefaultConfig()
	cfg.RateLimit = 3
	replicas := make([]*core.Service, 3)
	limiters := make([]*countingKV, 3)
	for i := range replicas {
		limiters[i] = &countingKV{MemKV: coretest.NewMemKV(h.clock.Now)}
		replicas[i] = core.NewService(h.store, limiters[i], limiters[i], cfg, h.clock.Now)
	}
	at := sh(t, "2026-11-26 08:50:00")
	punchOn := func(i int, event string, when time.Time, loc *core.Location) core.Reply {
		t.Helper()
		h.svc = replicas[i]
		return h.punch(t, "zhangsan", core.KindIn, when, loc, event)
	}
	for i := range 3 {
		if got := punchOn(i, fmt.Sprint("e", i), at.Add(time.Duration(i)*time.Second), north(office, 10)); got.Outcome == core.OutcomeRateLimited {
			t.Fatalf("punch %d on replica %d was rate limited", i+1, i)
		}
	}
	got := punchOn(0, "e4", at.Add(10*time.Second), north(office, 10))
	if got.Outcome != core.OutcomeRateLimited {
		t.Fatalf("4th located punch = %s, want rate_limited", got.Outcome)
	}
	// The first punch was received at :00, so a slot frees 50 s after :10.
	if want := 50 * time.Second; got.RetryAfter != want {
		t.Errorf("retry after = %s, want %s", got.RetryAfter, want)
	}
	if n := len(h.punches(t, "E1")); n != 3 {
		t.Errorf("stored %d punches, want 3", n)
	}
	for i, l := range limiters {
		if calls := l.take(); len(calls) != 0 {
			t.Errorf("replica %d asked its limiter %v for located punches, want nothing", i, calls)
		}
	}
	if later := punchOn(1, "e5", at.Add(time.Minute+time.Second), north(office, 10)); later.Outcome == core.OutcomeRateLimited {
		t.Errorf("a minute after the first punch: still rate limited")
	}
	// A text punch (no location) counts in the limiter, as other commands do.
	punchOn(2, "t1", at.Add(time.Minute+2*time.Second), nil)
	if calls := limiters[2].take(); len(calls) != 1 {
		t.Errorf("a text punch asked its limiter %v, want one call", calls)
	}
}

// TestRetryAfterTheRateLimitIsAnswered: a delivery refused by the rate
// limit records nothing, so the platform's retry after the wait is
// handled (a located punch is stored, a text punch asks for its location),
// and its reply is queued next to the refusal's, not dropped as its
// duplicate. A second refusal of the same event is queued once.
func TestRetryAfterTheRateLimitIsAnswered(t *testing.T) {
	for _, located := range []bool{true, false} {
		t.Run(fmt.Sprint("located ", located), func(t *testing.T) {
			h := newHarness(t, func(c *core.Config) { c.RateLimit = 1 })
			at := sh(t, "2026-11-26 08:50:00")
			loc := north(office, 10)
			if !located {
				loc = nil // a text punch: counted by the limiter
			}
			h.punch(t, "zhangsan", core.KindIn, at, loc, "first")
			for i := range 2 {
				if got := h.punch(t, "zhangsan", core.KindOut, at.Add(time.Duration(i+1)*time.Second), loc, "late"); got.Outcome != core.OutcomeRateLimited {
					t.Fatalf("delivery %d of the second punch = %s, want rate_limited", i+1, got.Outcome)
				}
			}
			retry := h.punch(t, "zhangsan", core.KindOut, at.Add(2*time.Minute), loc, "late")
			if retry.Outcome == core.OutcomeRateLimited || (located && retry.PunchID == 0) {
				t.Fatalf("retry after the wait = %s (punch %d), want it handled", retry.Outcome, retry.PunchID)
			}
			var outcomes []core.Outcome
			for _, m := range h.store.Outbox() {
				var r core.Reply
				if err := json.Unmarshal(m.Payload, &r); err != nil {
					t.Fatal(err)
				}
				if strings.Contains(m.DedupeKey, ":late") {
					outcomes = append(outcomes, r.Outcome)
				}
			}
			if want := []core.Outcome{core.OutcomeRateLimited, retry.Outcome}; !slices.Equal(outcomes, want) {
				t.Errorf("replies queued for the event = %v, want %v", outcomes, want)
			}
		})
	}
}

// TestEarlyClockOutQuestionsAreRateLimited: a located clock-out that only
// asks for a confirmation stores no punch, so the store's count cannot
// see it; it counts in the limiter instead, and the 11th question within
// a minute is refused like any 11th command.
func TestEarlyClockOutQuestionsAreRateLimited(t *testing.T) {
	h := newModeHarness(t, core.PunchStandard)
	limit := core.DefaultConfig().RateLimit
	for i := range limit + 1 {
		want := core.OutcomeConfirm
		if i == limit {
			want = core.OutcomeRateLimited
		}
		got := h.do(t, step{at: fmt.Sprintf("2026-11-26 08:55:%02d", i), kind: core.KindOut, located: true, event: fmt.Sprint("out-", i)})
		if got.Outcome != want {
			t.Fatalf("early clock-out %d = %s, want %s", i+1, got.Outcome, want)
		}
	}
}
