package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/punchbot/punchbot/bots/admin"
	"github.com/punchbot/punchbot/core"
)

// Report scale of issue 8: ten thousand employees, a month of 22 workdays
// (September 2026), two punches a day, with late, early, missing, field and
// make-up days mixed in.
const (
	reportEmployees = 10000
	reportMonth     = "2026-09"
	// reportBudget is the bound for one rendered monthly report.
	reportBudget = 2 * time.Second
)

// seedReportMonth applies an organisation of n employees and bulk-inserts
// their month of punches with COPY; it returns the number of punches.
func seedReportMonth(tb testing.TB, s *Store, n int) int {
	tb.Helper()
	ctx := context.Background()
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	org := core.Org{Name: "Scale", Lang: "zh", TimeZone: "Asia/Shanghai",
		Sites: []core.OrgSite{{Site: core.Site{ID: "hq", Name: "HQ", Lat: 39.9965, Lng: 116.4803, RadiusM: 300}}},
		Schedules: []core.Schedule{{ID: "day", WorkDays: weekdays, StartMin: 9 * 60, EndMin: 18 * 60, CheckInOpensMin: 120, CheckOutClosesMin: 360,
			LateGraceMin: 5, SeriousLateMin: 30, AbsentLateMin: 120, OutOfRange: core.OutOfRangeField}},
	}
	for i := range n {
		org.Employees = append(org.Employees, core.Employee{ID: fmt.Sprintf("E%05d", i), Name: fmt.Sprintf("员工%05d", i), Department: fmt.Sprintf("D%02d", i%40),
			Active: true, ScheduleID: "day", SiteIDs: []string{"hq"}})
	}
	if err := org.Prepare(); err != nil {
		tb.Fatal(err)
	}
	if _, err := s.ApplyOrg(ctx, org, core.AuditEntry{At: time.Now(), Actor: "bench", Action: "org.applied"}); err != nil {
		tb.Fatal(err)
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	from, to, _ := core.MonthRange(reportMonth)
	dates, _ := core.Dates(from, to)
	rng := rand.New(rand.NewPCG(8, 2026))
	var rows [][]any
	add := func(emp string, kind core.PunchKind, date string, at time.Time, outcome core.Outcome, source string) {
		rows = append(rows, []any{emp, string(kind), at.UTC(), at.UTC(), date, source, "", true, 39.9966, 116.4804, 15.0, "", "hq", 12.0, "",
			string(outcome), string(core.TimeNormal), int32(0), int32(0), "[]", "[]", int64(0)})
	}
	for i := range n {
		emp := fmt.Sprintf("E%05d", i)
		for _, date := range dates {
			d, _ := time.ParseInLocation(core.DateLayout, date, loc)
			if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
				continue
			}
			in := d.Add(8*time.Hour + 50*time.Minute + time.Duration(rng.IntN(40))*time.Minute) // some late
			out := d.Add(17*time.Hour + 50*time.Minute + time.Duration(rng.IntN(40))*time.Minute)
			switch k := rng.IntN(100); {
			case k < 2: // absent
			case k < 5: // missing check-out
				add(emp, core.KindIn, date, in, core.OutcomeAccepted, "wecom")
			case k < 7: // field day
				add(emp, core.KindIn, date, in, core.OutcomeField, "feishu")
				add(emp, core.KindOut, date, out, core.OutcomeAccepted, "feishu")
			case k < 8: // check-in made up
				add(emp, core.KindIn, date, d.Add(9*time.Hour), core.OutcomeAccepted, core.SourceMakeup)
				add(emp, core.KindOut, date, out, core.OutcomeAccepted, "wecom")
			default:
				add(emp, core.KindIn, date, in, core.OutcomeAccepted, "wecom")
				add(emp, core.KindOut, date, out, core.OutcomeAccepted, "wecom")
			}
		}
	}
	cols := []string{"employee_id", "kind", "at", "received_at", "shift_date", "source", "event_id", "has_location", "lat", "lng", "accuracy_m",
		"label", "site_id", "distance_m", "client_ip", "outcome", "time_result", "late_min", "early_min", "reasons", "flags", "makeup_id"}
	copied, err := s.pool.CopyFrom(ctx, pgx.Identifier{"punches"}, cols, pgx.CopyFromRows(rows))
	if err != nil {
		tb.Fatalf("COPY punches: %v", err)
	}
	if _, err := s.pool.Exec(ctx, `ANALYZE punches`); err != nil {
		tb.Fatal(err)
	}
	return int(copied)
}

// BenchmarkMonthlyReport10k renders the monthly report of 10,000 employees
// × 22 workdays from PostgreSQL: two bulk reads, ComputeDay for 300,000
// employee-days, and the XLSX and CSV files. It prints the time of each
// step and fails when a rendered report takes longer than the 2 s budget:
//
//	PUNCHBOT_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test -run '^$' -bench MonthlyReport10k -benchtime 5x ./adapters/postgres/
func BenchmarkMonthlyReport10k(b *testing.B) {
	s := MustOpen(b)
	ctx := context.Background()
	seedStart := time.Now()
	punches := seedReportMonth(b, s, reportEmployees)
	b.Logf("seeded %d employees and %d punches with COPY in %v", reportEmployees, punches, time.Since(seedStart).Round(time.Millisecond))
	now := time.Date(2026, 10, 8, 2, 0, 0, 0, time.UTC)

	var build, xlsx, csv []time.Duration
	var rows, xlsxBytes int
	for b.Loop() {
		t0 := time.Now()
		rep, err := core.BuildMonthlyReport(ctx, s, reportMonth, core.ScopeAll(), now)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		x, err := admin.EncodeMonthly(rep, admin.FormatXLSX, "zh")
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if _, err := admin.EncodeMonthly(rep, admin.FormatCSV, "zh"); err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		build, xlsx, csv = append(build, t1.Sub(t0)), append(xlsx, t2.Sub(t1)), append(csv, t3.Sub(t2))
		rows, xlsxBytes = len(rep.Rows), len(x)
		if rows != reportEmployees || rep.Rows[0].Workdays != 22 {
			b.Fatalf("report has %d rows, first %+v; want %d employees with 22 workdays", rows, rep.Rows[0], reportEmployees)
		}
	}
	med := func(ds []time.Duration) time.Duration {
		ds = slices.Clone(ds)
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	total := med(build) + med(xlsx)
	b.ReportMetric(float64(med(build).Milliseconds()), "ms-read+compute")
	b.ReportMetric(float64(med(xlsx).Milliseconds()), "ms-xlsx")
	b.ReportMetric(float64(med(csv).Milliseconds()), "ms-csv")
	b.ReportMetric(float64(total.Milliseconds()), "ms-report")
	b.Logf("monthly report of %d employees × 22 workdays (%d punches): read+compute %v, XLSX %v (%d bytes), CSV %v; rendered XLSX report %v (budget %v)",
		rows, punches, med(build).Round(time.Millisecond), med(xlsx).Round(time.Millisecond), xlsxBytes, med(csv).Round(time.Millisecond), total.Round(time.Millisecond), reportBudget)
	if total > reportBudget {
		b.Errorf("a rendered monthly report took %v, over the %v budget", total, reportBudget)
	}
}
