package core_test

import (
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestReplyNamesTheSlotToMakeUp: a punch that leaves something to make up
// (补卡) says which slot and its scheduled time, so the reply can spell
// out the 补卡 command: a late clock-in's start, the clock-in missing
// before a clock-out, an early clock-out's end; on a night shift the
// clock-out's slot is the next morning of the shift's date. A punch on
// time, or one that does not count, names none.
func TestReplyNamesTheSlotToMakeUp(t *testing.T) {
	type punch struct {
		user string
		kind core.PunchKind
		at   string
	}
	tests := []struct {
		name      string
		before    []punch
		last      punch
		wantKind  core.PunchKind
		wantAt    string // Shanghai
		wantShift string
	}{
		{"on time", nil, punch{"zhangsan", "in", "2026-11-26 08:58:00"}, "", "", "2026-11-26"},
		{"late clock-in", nil, punch{"zhangsan", "in", "2026-11-26 09:20:00"}, "in", "2026-11-26 09:00:00", "2026-11-26"},
		{"clock-out without a clock-in", nil, punch{"zhangsan", "out", "2026-11-26 18:05:00"}, "in", "2026-11-26 09:00:00", "2026-11-26"},
		{"early clock-out", []punch{{"zhangsan", "in", "2026-11-26 08:55:00"}}, punch{"zhangsan", "out", "2026-11-26 17:30:40"}, "out", "2026-11-26 18:00:00", "2026-11-26"},
		{"night shift, early clock-out after midnight", []punch{{"night", "in", "2026-11-26 21:55:00"}}, punch{"night", "out", "2026-11-27 01:15:00"}, "out", "2026-11-27 02:00:00", "2026-11-26"},
		{"rejected: nothing to make up", nil, punch{"zhangsan", "in", "2026-11-26 05:00:00"}, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			for i, p := range tt.before {
				h.punch(t, p.user, p.kind, sh(t, p.at), north(office, 10+float64(i)), "before"+p.at)
			}
			r := h.punch(t, tt.last.user, tt.last.kind, sh(t, tt.last.at), north(office, 20), "last")
			var want time.Time
			if tt.wantAt != "" {
				want = sh(t, tt.wantAt)
			}
			if r.SlotKind != tt.wantKind || !r.SlotAt.Equal(want) {
				t.Errorf("slot = %q at %v, want %q at %v (reply %s %v)", r.SlotKind, r.SlotAt, tt.wantKind, want, r.Outcome, r.Reasons)
			}
			if tt.wantShift != "" && r.ShiftDate != tt.wantShift {
				t.Errorf("shift date = %q, want %q", r.ShiftDate, tt.wantShift)
			}
		})
	}
}
