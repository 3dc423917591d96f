package admin

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestMonthlyReportCompOvertime: with a 调休 type funded by rest-day and
// holiday overtime, that overtime moves to its own column and out of the
// paid ones; without one the column is 0.
func TestMonthlyReportCompOvertime(t *testing.T) {
	tests := []struct {
		name                      string
		leaveType                 string // appended to leave_types
		workday, restDay, holiday string
		comp                      string
	}{
		{name: "no comp type", workday: "4", restDay: "4", holiday: "3.5", comp: "0"},
		{name: "rest days and holidays as time off", leaveType: "  - {id: comp, name: 调休, from_overtime: [rest_day, holiday], expire_days: 90}\n",
			workday: "4", restDay: "0", holiday: "0", comp: "7.5"},
		{name: "workdays as time off", leaveType: "  - {id: lieu, name: 补休, from_overtime: [workday]}\n",
			workday: "0", restDay: "4", holiday: "3.5", comp: "4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := MustOvertimeFixture(t)
			if tc.leaveType != "" {
				const anchor = "  - {id: personal, name: 事假}\n"
				doc := string(overtimeOrg(t))
				if !strings.Contains(doc, anchor) {
					t.Fatal("the demo's leave types moved; update this test")
				}
				org, err := ParseOrg([]byte(strings.Replace(doc, anchor, anchor+tc.leaveType, 1)))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.store.ApplyOrg(context.Background(), org, core.AuditEntry{Action: "org.applied"}); err != nil {
					t.Fatal(err)
				}
			}
			zh := MustCSV(t, f.get("/api/v1/reports/monthly?month=2026-11&format=csv").Body.Bytes())
			en := MustCSV(t, f.get("/api/v1/reports/monthly?month=2026-11&format=csv&lang=en").Body.Bytes())
			js := MustDecode[struct {
				Rows []map[string]any `json:"rows"`
			}](t, f.MustDo(t, http.MethodGet, "/api/v1/reports/monthly?month=2026-11", nil, http.StatusOK))
			var row map[string]any
			for _, r := range js.Rows {
				if r["employee_id"] == "E002" {
					row = r
				}
			}
			for _, c := range []struct{ zh, en, key, want string }{
				{"工作日加班（小时）", "Workday overtime (hours)", "overtime_workday_hours", tc.workday},
				{"休息日加班（小时）", "Rest-day overtime (hours)", "overtime_rest_day_hours", tc.restDay},
				{"节假日加班（小时）", "Holiday overtime (hours)", "overtime_holiday_hours", tc.holiday},
				{"转调休（小时）", "Overtime as time off (hours)", "overtime_comp_hours", tc.comp},
			} {
				if got := columnByID(t, zh, c.zh)["E002"]; got != c.want {
					t.Errorf("CSV %s = %q, want %q", c.zh, got, c.want)
				}
				if got := columnByID(t, en, c.en)["E002"]; got != c.want {
					t.Errorf("English CSV %s = %q, want %q", c.en, got, c.want)
				}
				if got := cellText(row[c.key]); got != c.want {
					t.Errorf("JSON %s = %v, want %s", c.key, row[c.key], c.want)
				}
			}
		})
	}
}
