package core_test

import (
	"context"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestLocationByLink checks core.Command.LocationByLink (Slack): a text
// punch is answered with the location page's link, neither a position the
// platform reported earlier nor a kept intent plays a part, and a command
// without an event id or a reply route records nothing.
func TestLocationByLink(t *testing.T) {
	actor := core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"}
	tests := []struct {
		name        string
		reported    bool // the platform reported a position a moment before
		byLink      bool
		wantOutcome core.Outcome
		wantIntent  bool // an intent is kept for a chat location to complete
	}{
		{"chat platform: the reported position completes the punch", true, false, core.OutcomeAccepted, false},
		{"chat platform: without one an intent waits for the location", false, false, core.OutcomeNeedLocation, true},
		{"by link: the page is asked for, the reported position unused", true, true, core.OutcomeNeedLocation, false},
		{"by link: nothing is kept", false, true, core.OutcomeNeedLocation, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.clock.Set(sh(t, "2026-11-26 08:50:00"))
			ctx := context.Background()
			if tt.reported {
				report := core.Command{Actor: actor, Kind: core.CmdReportLocation, Location: north(office, 10), EventID: "loc"}
				if r, err := h.svc.Handle(ctx, report); err != nil || r.Outcome != core.OutcomeNoted {
					t.Fatalf("location report = %s, %v; want %s", r.Outcome, err, core.OutcomeNoted)
				}
			}
			got, err := h.svc.Handle(ctx, core.Command{Actor: actor, Kind: core.CmdPunch, Punch: core.KindIn, LocationByLink: tt.byLink})
			if err != nil {
				t.Fatal(err)
			}
			if got.Outcome != tt.wantOutcome {
				t.Errorf("text 上班 = %s, want %s", got.Outcome, tt.wantOutcome)
			}
			if in, ok := h.store.Intent("E1"); ok != tt.wantIntent {
				t.Errorf("waiting text punch = %+v, %t; want kept %t", in, ok, tt.wantIntent)
			}
			if n := len(h.store.Outbox()); n != 0 {
				t.Errorf("queued %d messages, want 0 (no reply route)", n)
			}
		})
	}
	t.Run("by link, asked twice: no session state at all", func(t *testing.T) {
		h := newHarness(t, nil)
		h.clock.Set(sh(t, "2026-11-26 08:50:00"))
		for range 2 {
			r, err := h.svc.Handle(context.Background(), core.Command{Actor: actor, Kind: core.CmdPunch, Punch: core.KindIn, LocationByLink: true})
			if err != nil || r.Outcome != core.OutcomeNeedLocation {
				t.Fatalf("text 上班 by link = %s, %v; want %s", r.Outcome, err, core.OutcomeNeedLocation)
			}
		}
		if keys := h.kv.Keys(""); len(keys) != 0 {
			t.Errorf("session keys = %v, want none", keys)
		}
	})
}
