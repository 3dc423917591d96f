package admin

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/punchbot/punchbot/core"
)

// overtimeOrg is the demo organisation with overtime by punch on the day
// schedule (09:00–18:00, 30 minutes flexible): from 30 minutes after the
// end, at least 30 minutes, in half hours.
func overtimeOrg(tb testing.TB) []byte {
	tb.Helper()
	org := string(ExampleOrg())
	const anchor = "    calendar: cn-2026\n  - id: sales\n"
	if !strings.Contains(org, anchor) {
		tb.Fatal("the demo's day schedule moved; update overtimeOrg")
	}
	return []byte(strings.Replace(org, anchor, "    calendar: cn-2026\n    overtime: {mode: punch, starts_after_min: 30, min_min: 30, unit_min: 30}\n  - id: sales\n", 1))
}

// MustOvertimeFixture is MustReportFixture on overtimeOrg, plus a November
// of overtime for E002 (李四), whose figures the tests below know:
//
//	Thu 11-05 workday  09:00–20:10  18:30→20:10 = 100 min → 90
//	Fri 11-06 workday  09:30–21:00  flex end 18:30, 19:00→21:00 → 120
//	Sat 11-07 rest day 10:00–14:20  260 min → 240
//	Fri 11-20 holiday  09:00–12:45  225 min → 210 (公司活动日)
//	Sat 11-28 调休      09:00–19:00  a working day, 18:30→19:00 → 30
//
// so the month has workday 4 h, rest day 4 h and holiday 3.5 h.
func MustOvertimeFixture(tb testing.TB) *fixture {
	tb.Helper()
	f := MustReportFixture(tb, overtimeOrg(tb))
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	var ps []core.Punch
	day := func(date, in, out string) {
		for _, p := range []struct {
			kind  core.PunchKind
			clock string
		}{{core.KindIn, in}, {core.KindOut, out}} {
			at, err := time.ParseInLocation("2006-01-02 15:04", date+" "+p.clock, shanghai)
			if err != nil {
				tb.Fatal(err)
			}
			ps = append(ps, core.Punch{EmployeeID: "E002", Kind: p.kind, At: at, ShiftDate: date, Source: "feishu",
				Outcome: core.OutcomeAccepted, SiteID: "zhangjiang"})
		}
	}
	day("2026-11-05", "09:00", "20:10")
	day("2026-11-06", "09:30", "21:00")
	day("2026-11-07", "10:00", "14:20")
	day("2026-11-20", "09:00", "12:45")
	day("2026-11-28", "09:00", "19:00")
	err := f.store.InTx(context.Background(), func(tx core.Tx) error {
		for i := range ps {
			if err := tx.InsertPunch(context.Background(), &ps[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// column returns the cells under header in recs (header row first), by
// employee id in the first column.
func columnByID(tb testing.TB, recs [][]string, header string) map[string]string {
	tb.Helper()
	i := slices.Index(recs[0], header)
	if i < 0 {
		tb.Fatalf("no column %q in %q", header, recs[0])
	}
	out := map[string]string{}
	for _, r := range recs[1:] {
		out[r[0]] = r[i]
	}
	return out
}

func TestMonthlyReportOvertime(t *testing.T) {
	f := MustOvertimeFixture(t)
	want := []struct{ zh, en, key, e002 string }{
		{"工作日加班（小时）", "Workday overtime (hours)", "overtime_workday_hours", "4"},
		{"休息日加班（小时）", "Rest-day overtime (hours)", "overtime_rest_day_hours", "4"},
		{"节假日加班（小时）", "Holiday overtime (hours)", "overtime_holiday_hours", "3.5"},
	}
	zh := MustCSV(t, f.get("/api/v1/reports/monthly?month=2026-11&format=csv").Body.Bytes())
	en := MustCSV(t, f.get("/api/v1/reports/monthly?month=2026-11&format=csv&lang=en").Body.Bytes())
	x, err := excelize.OpenReader(bytes.NewReader(f.get("/api/v1/reports/monthly?month=2026-11&format=xlsx").Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	xrows, err := x.GetRows("月报 2026-11")
	if err != nil {
		t.Fatal(err)
	}
	js := MustDecode[struct {
		Rows []map[string]any `json:"rows"`
	}](t, f.MustDo(t, http.MethodGet, "/api/v1/reports/monthly?month=2026-11", nil, http.StatusOK))
	jsonByID := map[string]map[string]any{}
	for _, r := range js.Rows {
		jsonByID[r["employee_id"].(string)] = r
	}
	for _, w := range want {
		for name, got := range map[string]map[string]string{"CSV": columnByID(t, zh, w.zh), "English CSV": columnByID(t, en, w.en), "XLSX": columnByID(t, xrows, w.zh)} {
			if got["E002"] != w.e002 || got["E001"] != "0" || got["E003"] != "0" {
				t.Errorf("%s %s: E002 %q E001 %q E003 %q, want %q, 0, 0", name, w.zh, got["E002"], got["E001"], got["E003"], w.e002)
			}
		}
		if got := jsonByID["E002"][w.key]; cellText(got) != w.e002 {
			t.Errorf("JSON %s = %v, want %s", w.key, got, w.e002)
		}
	}
	if typ, _ := x.GetCellType("月报 2026-11", "U3"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Errorf("the workday overtime cell is text (%v), want a number payroll can sum", typ)
	}
}

func TestDailyReportOvertime(t *testing.T) {
	f := MustOvertimeFixture(t)
	tests := []struct {
		date, hours, kindZH, kindEN, code string
	}{
		{"2026-11-05", "1.5", "工作日", "workday", "workday"},
		{"2026-11-06", "2", "工作日", "workday", "workday"},
		{"2026-11-07", "4", "休息日", "rest day", "rest_day"},
		{"2026-11-20", "3.5", "节假日", "holiday", "holiday"},
		{"2026-11-28", "0.5", "工作日", "workday", "workday"},
		{"2026-11-09", "0", "", "", ""}, // no punches
	}
	for _, tc := range tests {
		t.Run(tc.date, func(t *testing.T) {
			zh := MustCSV(t, f.get("/api/v1/reports/daily?date="+tc.date+"&format=csv").Body.Bytes())
			en := MustCSV(t, f.get("/api/v1/reports/daily?date="+tc.date+"&format=csv&lang=en").Body.Bytes())
			// The daily report's first column is the date; find E002's row.
			row := func(recs [][]string) []string {
				for _, r := range recs[1:] {
					if r[1] == "E002" {
						return r
					}
				}
				t.Fatalf("no E002 row in %q", recs)
				return nil
			}
			zi, ei := slices.Index(zh[0], "加班（小时）"), slices.Index(en[0], "Overtime (hours)")
			if zi < 0 || ei < 0 || zh[0][zi+1] != "加班类别" || en[0][ei+1] != "Overtime category" {
				t.Fatalf("headers: %q / %q", zh[0], en[0])
			}
			if got := row(zh); got[zi] != tc.hours || got[zi+1] != tc.kindZH {
				t.Errorf("zh overtime = %q %q, want %q %q", got[zi], got[zi+1], tc.hours, tc.kindZH)
			}
			if got := row(en); got[ei] != tc.hours || got[ei+1] != tc.kindEN {
				t.Errorf("en overtime = %q %q, want %q %q", got[ei], got[ei+1], tc.hours, tc.kindEN)
			}
			js := MustDecode[struct {
				Rows []map[string]any `json:"rows"`
			}](t, f.MustDo(t, http.MethodGet, "/api/v1/reports/daily?date="+tc.date, nil, http.StatusOK))
			for _, r := range js.Rows {
				if r["employee_id"] == "E002" && (cellText(r["overtime_hours"]) != tc.hours || r["overtime_kind"] != tc.code) {
					t.Errorf("JSON overtime_hours %v overtime_kind %v, want %s %q", r["overtime_hours"], r["overtime_kind"], tc.hours, tc.code)
				}
			}
		})
	}
}
