package scheduler_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/scheduler"
)

// TestRetryFailedDeliveries: after a broadcast, HR sees who it failed to
// reach and why, and sends it again to those only.
func TestRetryFailedDeliveries(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, schedOrg(), scheduler.Config{})
	e.clock.Set(at(t, "Asia/Shanghai", "2026-11-30 10:00:00"))
	rep, _, err := e.sched.Fire(ctx, "weekly")
	if err != nil {
		t.Fatal(err)
	}
	// The outbox tried everyone: li's Feishu account is gone, zhang's WeCom
	// call was rate limited and waits, the Slack channel got it.
	var claimed []core.OutboxMessage
	for _, p := range []core.Platform{core.PlatformWeCom, core.PlatformFeishu, core.PlatformSlack} {
		ms, err := e.store.ClaimOutboxLane(ctx, p, core.LaneDeliveries, 10, e.clock.Now(), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		claimed = append(claimed, ms...)
	}
	for i := range claimed {
		m := &claimed[i]
		m.Attempts = 1
		switch m.Platform {
		case core.PlatformFeishu:
			m.Status, m.Attempts, m.LastError = core.OutboxFailed, 5, "feishu: 230013 user not in app visibility"
		case core.PlatformWeCom:
			m.LastError, m.NextAttempt = "wecom: 45009 rate limited", e.clock.Now().Add(time.Minute)
		default:
			m.Status, m.SentAt = core.OutboxSent, e.clock.Now()
		}
	}
	if err := e.store.FinishOutboxBatch(ctx, claimed); err != nil {
		t.Fatal(err)
	}
	describe := func(ps []core.DeliveryProblem) []string {
		var out []string
		for _, p := range ps {
			out = append(out, fmt.Sprintf("%s %s %s: %s", p.Recipient.Platform, p.Recipient.EmployeeID, p.Status, p.LastError))
		}
		return out
	}
	f, ps, err := e.sched.DeliveryProblems(ctx, "weekly", rep.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"feishu li failed: feishu: 230013 user not in app visibility", "wecom zhang pending: wecom: 45009 rate limited"}
	if got := describe(ps); !slices.Equal(got, want) {
		t.Errorf("problems = %q, want %q", got, want)
	}
	if f.Counts != (core.DeliveryCounts{Queued: 3, Pending: 1, Sent: 1, Failed: 1, Retrying: 1}) {
		t.Errorf("counts = %+v, want 3 queued, 1 each pending (retrying), sent and failed", f.Counts)
	}

	f, n, err := e.sched.RetryFailed(ctx, "weekly", rep.ID)
	if err != nil || n != 1 {
		t.Fatalf("RetryFailed = %d, %v; want li's one", n, err)
	}
	if f.Counts != (core.DeliveryCounts{Queued: 3, Pending: 2, Sent: 1, Retrying: 2}) {
		t.Errorf("counts after the retry = %+v, want 2 pending, 1 sent, none failed", f.Counts)
	}
	again, err := e.store.ClaimOutboxLane(ctx, core.PlatformFeishu, core.LaneDeliveries, 10, e.clock.Now(), time.Minute)
	if err != nil || len(again) != 1 {
		t.Fatalf("claim after the retry = %v, %v; want li's delivery", again, err)
	}
	var to core.Recipient
	_ = json.Unmarshal([]byte(again[0].Route), &to)
	if to.EmployeeID != "li" || again[0].Attempts != 0 {
		t.Errorf("requeued delivery = %+v to %+v, want li's with no attempts counted", again[0], to)
	}

	for _, tc := range []struct {
		name   string
		id     string
		firing int64
	}{{"an unknown firing", "weekly", rep.ID + 100}, {"another reminder's firing", "digest", rep.ID}} {
		if _, _, err := e.sched.RetryFailed(ctx, tc.id, tc.firing); core.ErrorCode(err) != core.ENOTFOUND {
			t.Errorf("RetryFailed of %s: %v, want ENOTFOUND", tc.name, err)
		}
		if _, _, err := e.sched.DeliveryProblems(ctx, tc.id, tc.firing, 0); core.ErrorCode(err) != core.ENOTFOUND {
			t.Errorf("DeliveryProblems of %s: %v, want ENOTFOUND", tc.name, err)
		}
	}
}

// TestRetryRefusesStalePunchReminders: a failed punch-in reminder can be
// resent within the late window, not hours after the shift started; a
// broadcast can be resent any time.
func TestRetryRefusesStalePunchReminders(t *testing.T) {
	tests := []struct {
		name     string
		reminder string
		after    time.Duration // from the firing to the retry
		stale    bool
	}{
		{"a punch-in reminder 10 minutes on", "in10", 10 * time.Minute, false},
		{"a punch-in reminder 3 hours on", "in10", 3 * time.Hour, true},
		{"a broadcast 3 hours on", "weekly", 3 * time.Hour, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, schedOrg(), scheduler.Config{})
			e.clock.Set(at(t, "Asia/Shanghai", "2026-11-30 08:50:00"))
			rep, _, err := e.sched.Fire(ctx, tc.reminder)
			if err != nil || rep.Recipients == 0 {
				t.Fatalf("Fire(%s) = %+v, %v; want deliveries", tc.reminder, rep, err)
			}
			var claimed []core.OutboxMessage
			for _, p := range []core.Platform{core.PlatformWeCom, core.PlatformFeishu, core.PlatformSlack} {
				ms, err := e.store.ClaimOutboxLane(ctx, p, core.LaneDeliveries, 10, e.clock.Now(), time.Minute)
				if err != nil {
					t.Fatal(err)
				}
				claimed = append(claimed, ms...)
			}
			for i := range claimed {
				claimed[i].Attempts, claimed[i].Status, claimed[i].LastError = 8, core.OutboxFailed, "platform down"
			}
			if err := e.store.FinishOutboxBatch(ctx, claimed); err != nil {
				t.Fatal(err)
			}
			e.clock.Set(e.clock.Now().Add(tc.after))
			_, n, err := e.sched.RetryFailed(ctx, tc.reminder, rep.ID)
			if got := errors.Is(err, core.ErrStaleReminder); got != tc.stale {
				t.Fatalf("RetryFailed = %d, %v; stale refusal %v, want %v", n, err, got, tc.stale)
			}
			if tc.stale {
				if core.ErrorCode(err) != core.EINVALID || n != 0 {
					t.Errorf("stale retry = %d, %v; want EINVALID and nothing requeued", n, err)
				}
				return
			}
			if n != len(claimed) {
				t.Errorf("requeued %d, want %d", n, len(claimed))
			}
		})
	}
}
