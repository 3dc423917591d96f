package core_test

import (
	"slices"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestTextPunchRefusedOnTimeAlone: a text punch that no location could
// save (03:50, before every candidate shift's check-in window and outside
// the day before's overnight shift) is refused at once with the reason
// and reply a located punch gets, instead of asking for a location first.
// Punches Verify would accept still ask for one and remember the intent.
func TestTextPunchRefusedOnTimeAlone(t *testing.T) {
	type step struct {
		user string
		kind core.PunchKind
		at   string
		loc  bool // with a position at the office
	}
	tests := []struct {
		name     string
		before   []step // located punches first
		text     step   // the text punch, without a location
		want     core.Outcome
		reason   string // its reason, when refused
		opens    string // the window the refusal names
		wantDate string
	}{
		{name: "上班 at 03:50 before a day shift", text: step{"zhangsan", core.KindIn, "2026-11-26 03:50:00", false},
			want: core.OutcomeRejected, reason: core.ReasonWindowNotOpen, opens: "2026-11-26 07:00:00", wantDate: "2026-11-26"},
		{name: "打卡 at 03:50 before a day shift", text: step{"zhangsan", core.KindAuto, "2026-11-26 03:50:00", false},
			want: core.OutcomeRejected, reason: core.ReasonWindowNotOpen, opens: "2026-11-26 07:00:00", wantDate: "2026-11-26"},
		{name: "上班 at 20:00 before a night shift", text: step{"night", core.KindIn, "2026-11-26 20:00:00", false},
			want: core.OutcomeRejected, reason: core.ReasonWindowNotOpen, opens: "2026-11-26 21:00:00", wantDate: "2026-11-26"},
		{name: "上班 at 07:30 in the window asks for a location", text: step{"zhangsan", core.KindIn, "2026-11-26 07:30:00", false},
			want: core.OutcomeNeedLocation},
		{name: "下班 at 03:50 in the night shift of the day before asks for a location", text: step{"night", core.KindOut, "2026-11-27 03:50:00", false},
			want: core.OutcomeNeedLocation},
		{name: "上班 at 03:50 on a rest day asks for a location", text: step{"zhangsan", core.KindIn, "2026-11-28 03:50:00", false},
			want: core.OutcomeNeedLocation},
		{name: "下班 at 03:50 after a rest day's clock-in asks for a location",
			before: []step{{"zhangsan", core.KindIn, "2026-11-29 20:00:00", true}},
			text:   step{"zhangsan", core.KindOut, "2026-11-30 03:50:00", false}, want: core.OutcomeNeedLocation},
		{name: "上班 at 03:50 after a rest day's clock-in starts the new day: refused",
			before: []step{{"zhangsan", core.KindIn, "2026-11-29 20:00:00", true}},
			text:   step{"zhangsan", core.KindIn, "2026-11-30 03:50:00", false},
			want:   core.OutcomeRejected, reason: core.ReasonWindowNotOpen, opens: "2026-11-30 07:00:00", wantDate: "2026-11-30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := func(withLocation bool) (core.Reply, *harness) {
				h := newHarness(t, nil)
				for i, b := range tt.before {
					h.punch(t, b.user, b.kind, sh(t, b.at), north(office, 10), "before-"+string(rune('a'+i)))
				}
				var loc *core.Location
				if withLocation {
					loc = north(office, 10)
				}
				return h.punch(t, tt.text.user, tt.text.kind, sh(t, tt.text.at), loc, "text"), h
			}
			got, h := run(false)
			if got.Outcome != tt.want {
				t.Fatalf("text punch = %s %v, want %s", got.Outcome, got.Reasons, tt.want)
			}
			employee := map[string]string{"zhangsan": "E1", "night": "N1"}[tt.text.user]
			stored := len(h.punches(t, employee)) - len(tt.before)
			if tt.want == core.OutcomeNeedLocation {
				if stored != 0 {
					t.Errorf("stored %d punches before the location, want 0", stored)
				}
				// The intent is remembered: a location a minute later
				// completes the punch as the text said.
				done := h.punch(t, tt.text.user, core.KindAuto, sh(t, tt.text.at).Add(time.Minute), north(office, 10), "loc")
				if done.Kind != tt.text.kind && tt.text.kind != core.KindAuto {
					t.Errorf("located follow-up kind = %s, want %s", done.Kind, tt.text.kind)
				}
				if done.Outcome != core.OutcomeAccepted {
					t.Errorf("located follow-up = %s %v, want accepted", done.Outcome, done.Reasons)
				}
				return
			}
			if !slices.Equal(got.Reasons, []string{tt.reason}) || got.ShiftDate != tt.wantDate || !got.WindowOpens.Equal(sh(t, tt.opens)) {
				t.Errorf("refusal = %v on %s opening %v, want [%s] on %s opening %s", got.Reasons, got.ShiftDate, got.WindowOpens, tt.reason, tt.wantDate, tt.opens)
			}
			if stored != 1 {
				t.Errorf("stored %d attempts, want the refused one", stored)
			}
			// The located punch at the same time gets the same answer.
			located, _ := run(true)
			if located.Outcome != got.Outcome || !slices.Equal(located.Reasons, got.Reasons) || located.Kind != got.Kind ||
				located.ShiftDate != got.ShiftDate || !located.WindowOpens.Equal(got.WindowOpens) {
				t.Errorf("text refusal = %s %v %s %s %v, located = %s %v %s %s %v; want the same",
					got.Outcome, got.Reasons, got.Kind, got.ShiftDate, got.WindowOpens,
					located.Outcome, located.Reasons, located.Kind, located.ShiftDate, located.WindowOpens)
			}
			if len(tt.before) > 0 {
				return
			}
			// Nothing waits for a location: a position shared a minute
			// later is a punch of its own, judged by context.
			next := h.punch(t, tt.text.user, core.KindAuto, sh(t, tt.text.at).Add(time.Minute), north(office, 10), "loc")
			if next.Outcome != core.OutcomeRejected || next.Kind != core.KindAuto && next.Kind != core.KindIn {
				t.Errorf("location after the refusal = %s %s, want a refused punch of its own", next.Outcome, next.Kind)
			}
		})
	}
	// A retry of the refused text punch answers as the first delivery.
	h := newHarness(t, nil)
	first := h.punch(t, "zhangsan", core.KindIn, sh(t, "2026-11-26 03:50:00"), nil, "text")
	again := h.punch(t, "zhangsan", core.KindIn, sh(t, "2026-11-26 03:50:00"), nil, "text")
	if !again.Replayed || again.Outcome != first.Outcome || len(h.punches(t, "E1")) != 1 {
		t.Errorf("retry = %s replayed %v with %d stored, want the first answer and 1 stored", again.Outcome, again.Replayed, len(h.punches(t, "E1")))
	}
}
