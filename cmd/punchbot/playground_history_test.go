package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestDemoHistorySummaryMatchesReports: the demo's summary ("N late, N
// early, …") says what the reports show of the history's dates, instead of
// what the history planned (it said 12 early where the reports counted 23
// early-leave days). On the 1st of a month the history is exactly last
// month, so the monthly report the console and the API serve must give the
// same late, early, missing and absent counts, and the daily report of the
// same dates the same field days.
func TestDemoHistorySummaryMatchesReports(t *testing.T) {
	const token = "admin-token-for-history-summary-0123456789"
	base, s := startServer(t, env("PUNCHBOT_DB_PATH", filepath.Join(t.TempDir(), "p.db"), "PUNCHBOT_ADDR", "127.0.0.1:0", "PUNCHBOT_ADMIN_TOKEN", token))
	org := applyDemoOrg(t, s)
	zone, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	y, m, _ := time.Now().In(zone).Date()
	now := time.Date(y, m, 1, 10, 0, 0, 0, zone)
	last := now.AddDate(0, -1, 0)
	hist, err := demoHistory(context.Background(), s, org, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := last.Format(core.DateLayout); hist.From != want {
		t.Errorf("history from %s, want %s", hist.From, want)
	}
	if want := now.AddDate(0, 0, -1).Format(core.DateLayout); hist.To != want {
		t.Errorf("history to %s, want %s", hist.To, want)
	}

	monthly := getJSON[struct {
		Rows []map[string]any `json:"rows"`
	}](t, base, token, "/api/v1/reports/monthly?month="+last.Format(core.MonthLayout))
	sum := map[string]int{}
	for _, r := range monthly.Rows {
		for _, k := range []string{"late_count", "early_leave", "missing_punches", "absences"} {
			v, _ := r[k].(float64)
			sum[k] += int(v)
		}
	}
	daily := getJSON[struct {
		Rows []struct {
			Field bool `json:"field"`
		} `json:"rows"`
	}](t, base, token, "/api/v1/reports/daily?date="+hist.From+"&to="+hist.To)
	for _, r := range daily.Rows {
		if r.Field {
			sum["field"]++
		}
	}
	tests := []struct {
		what      string
		got, want int
	}{
		{"late", hist.Late, sum["late_count"]},
		{"early", hist.Early, sum["early_leave"]},
		{"with a punch missing", hist.Missing, sum["missing_punches"]},
		{"absent", hist.Absent, sum["absences"]},
		{"field", hist.Field, sum["field"]},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("summary says %d %s, the reports %d", tc.got, tc.what, tc.want)
		}
	}
	if hist.Late == 0 || hist.Early == 0 || hist.Missing == 0 || hist.Field == 0 {
		t.Errorf("summary %+v: want some late, early, missing and field days", hist)
	}
}
