package core_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestStatusBeforeTheWindowOpens: at 03:40 a day whose check-in opens at
// 07:00 has not started; it is in progress only once the window opens.
func TestStatusBeforeTheWindowOpens(t *testing.T) {
	tests := []struct {
		name      string
		user      string
		now       string
		want      core.DayStatus
		wantDate  string
		wantOpens string // the window the reply names, "" for none
	}{
		{"03:40 before a day shift", "zhangsan", "2026-11-26 03:40:00", core.DayNotStarted, "2026-11-26", "2026-11-26 07:00:00"},
		{"06:59 a minute before the window", "zhangsan", "2026-11-26 06:59:00", core.DayNotStarted, "2026-11-26", "2026-11-26 07:00:00"},
		{"07:00 the window is open", "zhangsan", "2026-11-26 07:00:00", core.DayInProgress, "2026-11-26", ""},
		{"20:00 before a night shift", "night", "2026-11-26 20:00:00", core.DayNotStarted, "2026-11-26", "2026-11-26 21:00:00"},
		{"03:40 inside the night shift of the day before", "night", "2026-11-27 03:40:00", core.DayInProgress, "2026-11-26", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.clock.Set(sh(t, tt.now))
			actor := core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: tt.user}
			got, err := h.svc.Handle(context.Background(), core.Command{Actor: actor, Kind: core.CmdStatus, EventID: "s"})
			if err != nil {
				t.Fatal(err)
			}
			if got.Day == nil || got.Day.Date != tt.wantDate || !slices.Equal(got.Day.Statuses, []core.DayStatus{tt.want}) {
				t.Fatalf("status day = %+v, want %s %v", got.Day, tt.wantDate, tt.want)
			}
			var want time.Time
			if tt.wantOpens != "" {
				want = sh(t, tt.wantOpens)
			}
			if !got.WindowOpens.Equal(want) {
				t.Errorf("WindowOpens = %v, want %v", got.WindowOpens, want)
			}
		})
	}
}

// TestNotStartedCountsNothing: a day not started is no absence, no
// missing punch and no day worked in the reports, before and after leave
// covers it.
func TestNotStartedCountsNothing(t *testing.T) {
	r := roster(t, "E1")
	const d = "2026-11-26"
	early := sh(t, d+" 03:40:00")
	leave := core.MakeupRequest{ID: 1, EmployeeID: "E1", Type: core.RequestLeave, Status: core.MakeupApproved, LeaveType: "annual",
		Start: sh(t, d+" 09:00:00"), End: sh(t, d+" 12:00:00")}
	tests := []struct {
		name      string
		approvals []core.MakeupRequest
		want      []core.DayStatus
	}{
		{"no leave", nil, []core.DayStatus{core.DayNotStarted}},
		{"morning leave", []core.MakeupRequest{leave}, []core.DayStatus{core.DayNotStarted, core.DayLeave}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := core.DailyRowsWith(r, []string{d}, nil, tt.approvals, early)
			if got := rows[0].Statuses; !slices.Equal(got, tt.want) {
				t.Fatalf("statuses = %v, want %v", got, tt.want)
			}
			m := core.MonthlyRowOf(r, rows, nil)
			if m.Absences != 0 || m.MissingPunches != 0 || m.DaysWorked != 0 || m.LateCount != 0 || m.EarlyLeave != 0 {
				t.Errorf("monthly row = absences %d, missing %d, worked %d, late %d, early %d; want all 0",
					m.Absences, m.MissingPunches, m.DaysWorked, m.LateCount, m.EarlyLeave)
			}
		})
	}
}
