package core_test

import (
	"context"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// TestIntentIsSharedThroughTheStore: a text 下班 handled by one replica
// waits in the database, so the location shared next completes it on
// another replica whose short-lived state is its own (or with Redis down),
// and is used up by that punch's commit.
func TestIntentIsSharedThroughTheStore(t *testing.T) {
	h := newHarness(t, nil)
	replica := func() *core.Service {
		kv := coretest.NewMemKV(h.clock.Now)
		return core.NewService(h.store, kv, kv, core.DefaultConfig(), h.clock.Now)
	}
	a, b := replica(), replica()
	at := sh(t, "2026-11-26 17:30:00")

	h.svc = a
	if got := h.punch(t, "zhangsan", core.KindOut, at, nil, "text-1"); got.Outcome != core.OutcomeNeedLocation {
		t.Fatalf("text 下班 = %s, want need_location", got.Outcome)
	}
	in, ok := h.store.Intent("E1")
	if !ok || in.Kind != core.KindOut || in.Actor.UserID != "zhangsan" || !in.ExpiresAt.Equal(at.Add(core.DefaultConfig().IntentTTL)) {
		t.Fatalf("waiting text punch = %+v, %t; want zhangsan's out for the intent TTL", in, ok)
	}

	h.svc = b
	got := h.punch(t, "zhangsan", core.KindAuto, at.Add(2*time.Minute), north(office, 10), "loc-1")
	if got.Outcome != core.OutcomeAccepted || got.Kind != core.KindOut {
		t.Errorf("location on the other replica = %s/%s, want an accepted out", got.Outcome, got.Kind)
	}
	if in, ok := h.store.Intent("E1"); ok {
		t.Errorf("waiting text punch after its location = %+v, want used up", in)
	}
}

// TestUndirectedTextPunchWaitsToo: 打卡 without a direction and without a
// location waits like 上班 does, and the position the platform reports
// next completes it, the direction decided by the day so far.
func TestUndirectedTextPunchWaitsToo(t *testing.T) {
	h := newHarness(t, nil)
	at := sh(t, "2026-11-26 08:50:00")
	if got := h.punch(t, "zhangsan", core.KindAuto, at, nil, "text-1"); got.Outcome != core.OutcomeNeedLocation {
		t.Fatalf("text 打卡 = %s, want need_location", got.Outcome)
	}
	h.clock.Set(at.Add(20 * time.Second))
	actor := core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"}
	got, err := h.svc.Handle(context.Background(), core.Command{Actor: actor, Kind: core.CmdReportLocation, At: at.Add(20 * time.Second), Location: north(office, 10)})
	if err != nil {
		t.Fatal(err)
	}
	if got.Outcome != core.OutcomeAccepted || got.Kind != core.KindIn {
		t.Errorf("report after 打卡 = %s/%s, want an accepted clock-in", got.Outcome, got.Kind)
	}
	if in, ok := h.store.Intent("E1"); ok {
		t.Errorf("waiting text punch after its location = %+v, want used up", in)
	}
}
