package core_test

import (
	"context"
	"slices"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestLaterClockOutsUnderTheStandardMode: the shift's last clock-out
// counts, so a second clock-out says it replaced the first, and one that
// arrives late from an offline phone with an earlier time says it changes
// nothing and names no make-up slot of its own.
func TestLaterClockOutsUnderTheStandardMode(t *testing.T) {
	h := newHarness(t, nil)
	h.punch(t, "zhangsan", core.KindIn, sh(t, "2026-11-26 08:55:00"), north(office, 10), "in")
	first := h.punch(t, "zhangsan", core.KindOut, sh(t, "2026-11-26 17:00:00"), north(office, 12), "out1")
	second := h.punch(t, "zhangsan", core.KindOut, sh(t, "2026-11-26 18:10:00"), north(office, 14), "out2")
	// Sent at 16:00, delivered at 18:20.
	h.clock.Set(sh(t, "2026-11-26 18:20:00"))
	late, err := h.svc.Handle(context.Background(), core.Command{
		Actor: core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"}, Kind: core.CmdPunch, Punch: core.KindOut,
		At: sh(t, "2026-11-26 16:00:00"), Location: north(office, 16), EventID: "out3",
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		r        core.Reply
		want     string // the reason it carries, "" for neither
		wantSlot bool
	}{
		{"first clock-out, early", first, "", true},
		{"second clock-out replaces it", second, core.ReasonOutUpdated, false},
		{"an earlier one delivered late", late, core.ReasonOutSuperseded, false},
	}
	for _, tt := range tests {
		if tt.r.Outcome != core.OutcomeAccepted {
			t.Errorf("%s: outcome %s, want accepted", tt.name, tt.r.Outcome)
		}
		for _, reason := range []string{core.ReasonOutUpdated, core.ReasonOutSuperseded} {
			if got := slices.Contains(tt.r.Reasons, reason); got != (reason == tt.want) {
				t.Errorf("%s: reasons %v, want %q among them: %v", tt.name, tt.r.Reasons, reason, reason == tt.want)
			}
		}
		if got := !tt.r.SlotAt.IsZero(); got != tt.wantSlot {
			t.Errorf("%s: slot %s at %v, want one: %v", tt.name, tt.r.SlotKind, tt.r.SlotAt, tt.wantSlot)
		}
	}
	st, err := h.svc.Handle(context.Background(), core.Command{Actor: core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"}, Kind: core.CmdStatus})
	if err != nil {
		t.Fatal(err)
	}
	if st.Day == nil || st.Day.Out == nil || !st.Day.Out.At.Equal(sh(t, "2026-11-26 18:10:00")) || st.Day.Has(core.DayEarlyLeave) {
		t.Errorf("day = %+v, want the 18:10 clock-out counted and no early leave", st.Day)
	}
}
