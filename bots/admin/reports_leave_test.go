package admin

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// TestReportsShowLeaveTripsAndPending: approved leave, a trip and a
// pending outing filed through the core appear in the monthly and daily
// exports, by type, in days and hours.
func TestReportsShowLeaveTripsAndPending(t *testing.T) {
	f := MustReportFixture(t, ExampleOrg())
	ctx := context.Background()
	kv := coretest.NewMemKV(func() time.Time { return f.now })
	svc := core.NewService(f.store, kv, kv, core.DefaultConfig(), func() time.Time { return f.now })
	file := func(emp string, a core.LeaveArgs, approve bool) {
		t.Helper()
		v, err := svc.RequestLeave(ctx, emp, a, core.PlatformWeCom)
		if err != nil {
			t.Fatalf("RequestLeave(%s %+v): %v", emp, a, err)
		}
		if approve {
			if _, err := svc.DecideMakeup(ctx, core.MakeupDecision{ID: v.Request.ID, Status: core.MakeupApproved, Actor: "M001"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	file("E002", core.LeaveArgs{Type: core.RequestLeave, From: "2026-11-05", LeaveType: "annual", Reason: "家事"}, true)
	file("E002", core.LeaveArgs{Type: core.RequestLeave, From: "2026-11-06", StartClock: "09:00", EndClock: "13:00", LeaveType: "sick"}, true)
	file("E002", core.LeaveArgs{Type: core.RequestTrip, From: "2026-11-09", To: "2026-11-10", Place: "上海"}, true)
	file("E002", core.LeaveArgs{Type: core.RequestOuting, From: "2026-11-11", StartClock: "14:00", EndClock: "16:00", Place: "银行"}, false)

	recs := MustCSV(t, f.get("/api/v1/reports/monthly?month=2026-11&format=csv").Body.Bytes())
	col := func(header string) int {
		i := slices.Index(recs[0], header)
		if i < 0 {
			t.Fatalf("no column %q in %q", header, recs[0])
		}
		return i
	}
	e002 := recs[2]
	if e002[0] != "E002" {
		t.Fatalf("second row = %q, want E002", e002)
	}
	for _, c := range []struct{ header, want string }{
		{"出勤天数", "2"}, {"旷工天数", "18"}, {"请假天数", "1.5"}, {"请假时长（小时）", "13"}, {"出差天数", "2"}, {"外出天数", "0"},
		{"待审批天数", "1"}, {"年假（天）", "1"}, {"年假（小时）", "9"}, {"病假（天）", "0.5"}, {"病假（小时）", "4"}, {"事假（天）", "0"},
		{"工作时长（小时）", "18"},
	} {
		if got := e002[col(c.header)]; got != c.want {
			t.Errorf("E002 %s = %q, want %q", c.header, got, c.want)
		}
	}
	en := MustCSV(t, f.get("/api/v1/reports/monthly?month=2026-11&format=csv&lang=en").Body.Bytes())
	for _, h := range []string{"Leave (days)", "Leave (hours)", "Business trips (days)", "Outings (days)", "Pending approvals (days)", "年假 (days)", "病假 (hours)"} {
		if !slices.Contains(en[0], h) {
			t.Errorf("English headers %q lack %q", en[0], h)
		}
	}

	daily := MustCSV(t, f.get("/api/v1/reports/daily?date=2026-11-05&to=2026-11-11&format=csv").Body.Bytes())
	dcol := func(header string) int { return slices.Index(daily[0], header) }
	got := map[string][]string{}
	for _, r := range daily[1:] {
		if r[1] == "E002" {
			got[r[0]] = []string{r[dcol("结果")], r[dcol("请假")], r[dcol("请假时长（小时）")], r[dcol("出差/外出")], r[dcol("待审批")]}
		}
	}
	want := map[string][]string{
		"2026-11-05": {"请假", "年假 1天（9小时）", "9", "", "0"},
		"2026-11-06": {"旷工、请假", "病假 0.5天（4小时）", "4", "", "0"},
		"2026-11-09": {"出差", "", "0", "出差：上海", "0"},
		"2026-11-10": {"出差", "", "0", "出差：上海", "0"},
		"2026-11-11": {"旷工、待审批", "", "0", "", "1"},
	}
	for date, w := range want {
		if !slices.Equal(got[date], w) {
			t.Errorf("E002 on %s = %q, want %q", date, got[date], w)
		}
	}
	js := MustDecode[struct {
		Rows []map[string]any `json:"rows"`
	}](t, f.MustDo(t, http.MethodGet, "/api/v1/reports/monthly?month=2026-11", nil, http.StatusOK))
	if r := js.Rows[1]; r["leave_annual_days"] != float64(1) || r["leave_sick_hours"] != float64(4) || r["trip_days"] != float64(2) {
		t.Errorf("monthly JSON row = %+v, want leave by type and trips", r)
	}
}
