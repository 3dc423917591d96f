package core_test

import (
	"context"
	"slices"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestReportKeepsDepartedEmployeesOnLeave: a departed employee (X1,
// inactive) who did not punch in the month but took approved leave in it
// is still in the monthly and daily reports, since that leave is paid; one
// whose leave ended before the month is not.
func TestReportKeepsDepartedEmployeesOnLeave(t *testing.T) {
	ctx := context.Background()
	now := sh(t, "2026-12-01 12:00:00")
	tests := []struct {
		name       string
		start, end string // the leave, Shanghai time
		want       bool
		leaveDays  float64
	}{
		{"leave in the month", "2026-11-02 09:00:00", "2026-11-04 18:00:00", true, 3},
		{"leave that ended the day before the month", "2026-10-30 09:00:00", "2026-10-31 18:00:00", false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			leave := core.MakeupRequest{EmployeeID: "X1", Type: core.RequestLeave, LeaveType: "annual", Status: core.MakeupApproved,
				ShiftDate: sh(t, tc.start).Format(core.DateLayout), Start: sh(t, tc.start), End: sh(t, tc.end), CreatedAt: sh(t, "2026-10-20 10:00:00")}
			if err := h.store.InTx(ctx, func(tx core.Tx) error { return tx.InsertMakeup(ctx, &leave) }); err != nil {
				t.Fatal(err)
			}
			rep, err := core.BuildMonthlyReport(ctx, h.store, "2026-11", core.ScopeAll(), now)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(rep.Rows, func(r core.MonthlyRow) bool { return r.EmployeeID == "X1" })
			if got := i >= 0; got != tc.want {
				t.Fatalf("X1 in the monthly report = %v, want %v", got, tc.want)
			}
			if i >= 0 && rep.Rows[i].LeaveDays != tc.leaveDays {
				t.Errorf("X1 leave days = %v, want %v", rep.Rows[i].LeaveDays, tc.leaveDays)
			}
			daily, err := core.BuildDailyReport(ctx, h.store, "2026-11-02", "2026-11-02", core.ScopeAll(), now)
			if err != nil {
				t.Fatal(err)
			}
			inDaily := slices.ContainsFunc(daily.Rows, func(r core.DailyRow) bool { return r.EmployeeID == "X1" })
			if inDaily != tc.want {
				t.Errorf("X1 in the daily report of 11-02 = %v, want %v", inDaily, tc.want)
			}
		})
	}
}
