package admin

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestReportsNotEmployed: a day outside the employment reads 未在职 / not
// employed, and the monthly report carries the dates and the working days
// outside them, so a clerk can pro-rate a mid-month joiner's pay.
func TestReportsNotEmployed(t *testing.T) {
	day := core.DailyRow{EmployeeID: "E1", Date: "2026-11-13", Workday: true, Statuses: []core.DayStatus{core.DayNotEmployed}, NotEmployed: true}
	for _, tt := range []struct{ lang, want string }{{"zh", "未在职"}, {"en", "not employed"}} {
		if got := ResultText(day, tt.lang); got != tt.want {
			t.Errorf("ResultText(not employed, %s) = %q, want %q", tt.lang, got, tt.want)
		}
	}

	m := core.MonthlyRow{EmployeeID: "E1", Joined: "2026-11-16", Left: "2026-11-20", Workdays: 5, NotEmployedWorkdays: 16}
	tests := []struct {
		name      string
		got, want []any
	}{
		{"zh headers", anys(MonthlyHeaders("zh")[len(monthlyColumns)-3:]), []any{"入职日期", "最后工作日（离职）", "未在职工作日"}},
		{"en headers", anys(MonthlyHeaders("en")[len(monthlyColumns)-3:]), []any{"Joined", "Last working day (left)", "Workdays not employed"}},
		{"cells", MonthlyCells(m)[len(monthlyColumns)-3:], []any{"2026-11-16", "2026-11-20", 16}},
	}
	for _, tt := range tests {
		if !slices.Equal(tt.got, tt.want) {
			t.Errorf("monthly %s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}

	body, err := EncodeDaily(core.DailyReport{From: day.Date, To: day.Date, Rows: []core.DailyRow{day}}, FormatJSON, "zh")
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Rows []struct {
			Result      []string `json:"result"`
			NotEmployed bool     `json:"not_employed"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Rows) != 1 || !out.Rows[0].NotEmployed || !slices.Equal(out.Rows[0].Result, []string{"not_employed"}) {
		t.Errorf("daily JSON rows = %+v, want one with not_employed true and result [not_employed]", out.Rows)
	}
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
