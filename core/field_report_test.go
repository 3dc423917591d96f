package core_test

import (
	"context"
	"slices"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestReportsOfPendingFieldDay: until a field day is decided the daily
// report shows it pending (not worked, not absent) and the monthly report
// counts it apart from the days worked; approving makes it a worked field
// day, rejecting leaves it absent.
func TestReportsOfPendingFieldDay(t *testing.T) {
	type monthly struct{ worked, workedMin, field, pending, absences, missing int }
	tests := []struct {
		decision    core.MakeupStatus // "" leaves both punches pending
		wantDay     []core.DayStatus
		wantFirstIn bool
		want        monthly
	}{
		// December 1 and 2, without punches, are absences in every case.
		{"", []core.DayStatus{core.DayPendingApproval}, false, monthly{pending: 1, absences: 2}},
		{core.MakeupApproved, []core.DayStatus{core.DayNormal, core.DayField}, true, monthly{worked: 1, workedMin: 9*60 + 15, field: 2, absences: 2}},
		{core.MakeupRejected, []core.DayStatus{core.DayAbsent}, false, monthly{absences: 3}},
	}
	for _, tc := range tests {
		name := string(tc.decision)
		if name == "" {
			name = "pending"
		}
		t.Run(name, func(t *testing.T) {
			h := newLeaveHarness(t)
			in := h.punch(t, "field", core.KindIn, sh(t, "2026-12-03 08:50:00"), north(office, 1200), "ev-in")
			out := h.punch(t, "field", core.KindOut, sh(t, "2026-12-03 18:05:00"), north(office, 1500), "ev-out")
			if in.Outcome != core.OutcomeFieldPending || out.Outcome != core.OutcomeFieldPending || in.Makeup == nil || out.Makeup == nil {
				t.Fatalf("punches = %s, %s; want both field punches waiting", in.Outcome, out.Outcome)
			}
			if tc.decision != "" {
				h.clock.Set(sh(t, "2026-12-03 19:00:00"))
				h.MustDecide(t, in.Makeup.Request.ID, tc.decision, "M1")
				h.MustDecide(t, out.Makeup.Request.ID, tc.decision, "M1")
			}
			now := sh(t, "2026-12-04 10:00:00")
			daily, err := core.BuildDailyReport(context.Background(), h.store, "2026-12-03", "2026-12-03", core.ScopeOf("F1"), now)
			if err != nil || len(daily.Rows) != 1 {
				t.Fatalf("daily report = %+v, %v", daily, err)
			}
			row := daily.Rows[0]
			if !slices.Equal(row.Statuses, tc.wantDay) {
				t.Errorf("day statuses = %v, want %v", row.Statuses, tc.wantDay)
			}
			if got := !row.FirstIn.IsZero(); got != tc.wantFirstIn {
				t.Errorf("first in = %v, want set %v", row.FirstIn, tc.wantFirstIn)
			}
			wantPending := 0
			if tc.decision == "" {
				wantPending = 2
			}
			if row.PendingApprovals != wantPending || (tc.decision == "" && (row.WorkedMin != 0 || row.Field)) {
				t.Errorf("row = %+v, want %d pending and, while pending, nothing worked", row, wantPending)
			}
			rep, err := core.BuildMonthlyReport(context.Background(), h.store, "2026-12", core.ScopeOf("F1"), now)
			if err != nil || len(rep.Rows) != 1 {
				t.Fatalf("monthly report = %+v, %v", rep, err)
			}
			m := rep.Rows[0]
			got := monthly{m.DaysWorked, m.WorkedMin, m.FieldPunches, m.PendingApprovals, m.Absences, m.MissingPunches}
			if got != tc.want {
				t.Errorf("monthly (worked, min, field, pending, absences, missing) = %+v, want %+v", got, tc.want)
			}
		})
	}
}
