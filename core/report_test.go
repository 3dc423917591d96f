package core_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

func TestMonthRangeAndDates(t *testing.T) {
	tests := []struct {
		month, from, to string
		code            string
	}{
		{"2026-11", "2026-11-01", "2026-11-30", ""},
		{"2028-02", "2028-02-01", "2028-02-29", ""},
		{"2026-13", "", "", core.EINVALID},
		{"november", "", "", core.EINVALID},
	}
	for _, tc := range tests {
		from, to, err := core.MonthRange(tc.month)
		if from != tc.from || to != tc.to || core.ErrorCode(err) != tc.code {
			t.Errorf("MonthRange(%q) = %q, %q, %v; want %q, %q, code %q", tc.month, from, to, err, tc.from, tc.to, tc.code)
		}
	}
	if d, err := core.Dates("2026-10-30", "2026-11-02"); err != nil || !slices.Equal(d, []string{"2026-10-30", "2026-10-31", "2026-11-01", "2026-11-02"}) {
		t.Errorf("Dates across a month = %v, %v", d, err)
	}
	for _, bad := range [][2]string{{"2026-11-02", "2026-11-01"}, {"2026-11-x", "2026-11-01"}, {"2025-01-01", "2026-11-01"}} {
		if _, err := core.Dates(bad[0], bad[1]); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("Dates(%s, %s) error = %v, want invalid", bad[0], bad[1], err)
		}
	}
}

// novemberPunches is E1's November 2026 (see TestMonthlyRow for the sums).
func novemberPunches(tb testing.TB) []core.Punch {
	tb.Helper()
	acc, field, rej := core.OutcomeAccepted, core.OutcomeField, core.OutcomeRejected
	at := func(date, clock string) time.Time { return sh(tb, date+" "+clock+":00") }
	pp := func(kind core.PunchKind, date, clock string, outcome core.Outcome) core.Punch {
		return core.Punch{EmployeeID: "E1", Kind: kind, At: at(date, clock), ShiftDate: date, Outcome: outcome, SiteID: "office", Source: "wecom"}
	}
	makeup := pp(core.KindIn, "2026-11-10", "09:00", acc)
	makeup.Source = core.SourceMakeup
	flagged := pp(core.KindOut, "2026-11-02", "18:05", acc)
	flagged.Flags = []string{core.FlagOfflineDelay}
	return []core.Punch{
		pp(core.KindIn, "2026-11-02", "08:58", acc), flagged,
		pp(core.KindIn, "2026-11-03", "09:20", acc), pp(core.KindOut, "2026-11-03", "18:00", acc),
		pp(core.KindIn, "2026-11-04", "09:40", acc), pp(core.KindOut, "2026-11-04", "17:00", acc),
		pp(core.KindOut, "2026-11-05", "18:00", acc),
		pp(core.KindIn, "2026-11-06", "08:50", acc),
		pp(core.KindIn, "2026-11-09", "08:50", field), pp(core.KindOut, "2026-11-09", "18:00", acc),
		makeup, pp(core.KindOut, "2026-11-10", "18:00", acc),
		pp(core.KindIn, "2026-11-11", "08:50", rej),
		pp(core.KindIn, "2026-11-14", "10:00", acc), pp(core.KindOut, "2026-11-14", "12:00", acc),
	}
}

func TestDailyRows(t *testing.T) {
	r := roster(t, "E1")
	dates := []string{"2026-11-02", "2026-11-04", "2026-11-09", "2026-11-10", "2026-11-11", "2026-11-14"}
	rows := core.DailyRows(r, dates, novemberPunches(t), sh(t, "2026-12-01 12:00:00"))
	type view struct {
		date, in, out string
		st            []core.DayStatus
		late, early   int
		worked        int
		site          string
		field         bool
		makeups       int
		flags         []string
	}
	hm := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format("15:04 MST")
	}
	var got []view
	for _, row := range rows {
		if row.EmployeeID != "E1" || row.Name != "张三" {
			t.Errorf("row names %s %s, want E1 张三", row.EmployeeID, row.Name)
		}
		got = append(got, view{row.Date, hm(row.FirstIn), hm(row.LastOut), row.Statuses, row.LateMin, row.EarlyMin, row.WorkedMin, row.SiteName, row.Field, row.Makeups, row.Flags})
	}
	want := []view{
		{"2026-11-02", "08:58 CST", "18:05 CST", []core.DayStatus{core.DayNormal}, 0, 0, 547, "国贸", false, 0, []string{core.FlagOfflineDelay}},
		{"2026-11-04", "09:40 CST", "17:00 CST", []core.DayStatus{core.DaySeriousLate, core.DayEarlyLeave}, 40, 60, 440, "国贸", false, 0, nil},
		{"2026-11-09", "08:50 CST", "18:00 CST", []core.DayStatus{core.DayNormal, core.DayField}, 0, 0, 550, "国贸", true, 0, nil},
		{"2026-11-10", "09:00 CST", "18:00 CST", []core.DayStatus{core.DayNormal}, 0, 0, 540, "国贸", false, 1, nil},
		{"2026-11-11", "", "", []core.DayStatus{core.DayAbsent}, 0, 0, 0, "", false, 0, nil},
		{"2026-11-14", "10:00 CST", "12:00 CST", []core.DayStatus{core.DayRest}, 0, 0, 120, "国贸", false, 0, nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("daily rows:\n got  %+v\n want %+v", got, want)
	}
}

func TestMonthlyRow(t *testing.T) {
	r := roster(t, "E1")
	punches := novemberPunches(t)
	from, to, _ := core.MonthRange("2026-11")
	dates, _ := core.Dates(from, to)
	tests := []struct {
		name string
		now  time.Time
		want core.MonthlyRow
	}{
		{"month over", sh(t, "2026-12-01 12:00:00"), core.MonthlyRow{
			EmployeeID: "E1", Name: "张三", Workdays: 21, DaysWorked: 8, LateCount: 2, LateMin: 60, SeriousLate: 1,
			EarlyLeave: 1, EarlyMin: 60, MissingPunches: 2, Absences: 14, MakeupsUsed: 1, FieldPunches: 1, WorkedMin: 2717,
		}},
		// Mid-month the days to come are not absences yet, and today's
		// shift, still running, is not missing anything.
		{"mid month", sh(t, "2026-11-11 10:00:00"), core.MonthlyRow{
			EmployeeID: "E1", Name: "张三", Workdays: 21, DaysWorked: 8, LateCount: 2, LateMin: 60, SeriousLate: 1,
			EarlyLeave: 1, EarlyMin: 60, MissingPunches: 2, Absences: 0, MakeupsUsed: 1, FieldPunches: 1, WorkedMin: 2717,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := core.MonthlyRowOf(r, core.DailyRows(r, dates, punches, tc.now), punches)
			if got != tc.want {
				t.Errorf("monthly row:\n got  %+v\n want %+v", got, tc.want)
			}
			if h := got.WorkedHours(); h != 45.28 {
				t.Errorf("WorkedHours = %v, want 45.28", h)
			}
		})
	}
}

// mustInsert stores punches directly, as the verification core would have.
func (h *harness) mustInsert(tb testing.TB, ps ...core.Punch) []core.Punch {
	tb.Helper()
	err := h.store.InTx(context.Background(), func(tx core.Tx) error {
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
	return ps
}

func TestBuildMonthlyReport(t *testing.T) {
	h := newHarness(t, nil)
	h.mustInsert(t, novemberPunches(t)...)
	gone := core.Punch{EmployeeID: "X1", Kind: core.KindIn, At: sh(t, "2026-11-02 09:00:00"), ShiftDate: "2026-11-02", Outcome: core.OutcomeAccepted, Source: "wecom"}
	h.mustInsert(t, gone)
	ctx := context.Background()
	now := sh(t, "2026-12-01 12:00:00")

	rep, err := core.BuildMonthlyReport(ctx, h.store, "2026-11", core.ScopeAll(), now)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rep.Rows {
		ids = append(ids, r.EmployeeID)
	}
	// Every active employee, and X1 (inactive) because of their punch.
	if want := []string{"E1", "E2", "F1", "G1", "N1", "R1", "T1", "W1", "X1"}; !slices.Equal(ids, want) {
		t.Errorf("rows = %v, want %v", ids, want)
	}
	if rep.Month != "2026-11" || rep.From != "2026-11-01" || rep.To != "2026-11-30" || !rep.GeneratedAt.Equal(now) {
		t.Errorf("report header = %s %s..%s at %s", rep.Month, rep.From, rep.To, rep.GeneratedAt)
	}
	if e1 := rep.Rows[0]; e1.LateCount != 2 || e1.Absences != 14 || e1.WorkedMin != 2717 {
		t.Errorf("E1 = %+v, want the sums of TestMonthlyRow", e1)
	}
	if n1 := rep.Rows[4]; n1.Workdays != 30 || n1.Absences != 30 {
		t.Errorf("N1 (night shift every day, no punches) = %+v, want 30 absences", n1)
	}

	// A limited scope reads only its people.
	rep, err = core.BuildMonthlyReport(ctx, h.store, "2026-11", core.ScopeOf("E1", "R1"), now)
	if err != nil || len(rep.Rows) != 2 || rep.Rows[0].EmployeeID != "E1" || rep.Rows[1].EmployeeID != "R1" {
		t.Errorf("scoped report = %+v, %v; want E1 and R1", rep.Rows, err)
	}
	rep, err = core.BuildMonthlyReport(ctx, h.store, "2026-11", core.ScopeOf(), now)
	if err != nil || len(rep.Rows) != 0 {
		t.Errorf("empty scope = %+v, %v; want no rows", rep.Rows, err)
	}
	if _, err := core.BuildMonthlyReport(ctx, h.store, "2026-1", core.ScopeAll(), now); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("bad month error = %v, want invalid", err)
	}
}

func TestBuildDailyReport(t *testing.T) {
	h := newHarness(t, nil)
	h.mustInsert(t, novemberPunches(t)...)
	rep, err := core.BuildDailyReport(context.Background(), h.store, "2026-11-03", "2026-11-04", core.ScopeOf("E1", "E2"), sh(t, "2026-12-01 12:00:00"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rep.Rows {
		got = append(got, r.EmployeeID+" "+r.Date+" "+string(r.Statuses[0]))
	}
	want := []string{"E1 2026-11-03 late", "E1 2026-11-04 serious_late", "E2 2026-11-03 absent", "E2 2026-11-04 absent"}
	if !slices.Equal(got, want) {
		t.Errorf("daily rows = %v, want %v", got, want)
	}
}

// outOfOrderSource returns punches of one employee in two groups, which a
// store must never do; the report refuses rather than count a day twice.
type outOfOrderSource struct{ core.ReportSource }

func (s outOfOrderSource) ScanShiftPunches(ctx context.Context, r core.ShiftRange, fn func(core.Punch) error) error {
	for _, id := range []string{"E1", "E2", "E1"} {
		if err := fn(core.Punch{EmployeeID: id, ShiftDate: r.From, Outcome: core.OutcomeAccepted, Kind: core.KindIn}); err != nil {
			return err
		}
	}
	return nil
}

func TestReportRefusesUngroupedPunches(t *testing.T) {
	h := newHarness(t, nil)
	_, err := core.BuildMonthlyReport(context.Background(), outOfOrderSource{h.store}, "2026-11", core.ScopeAll(), time.Now())
	if core.ErrorCode(err) != core.EINTERNAL {
		t.Errorf("error = %v, want internal", err)
	}
}

func TestReportLang(t *testing.T) {
	en := core.Employee{Lang: "en"}
	zh := core.Employee{Lang: "zh"}
	tests := []struct {
		info core.OrgInfo
		emps []core.Employee
		want string
	}{
		{core.OrgInfo{Lang: "en"}, []core.Employee{zh, zh}, "en"},
		{core.OrgInfo{Lang: "zh"}, []core.Employee{en}, "zh"},
		{core.OrgInfo{}, []core.Employee{en, en, zh}, "en"},
		{core.OrgInfo{}, []core.Employee{en, zh}, "zh"},
		{core.OrgInfo{}, nil, "zh"},
	}
	for _, tc := range tests {
		if got := core.ReportLang(tc.info, tc.emps); got != tc.want {
			t.Errorf("ReportLang(%+v, %d employees) = %s, want %s", tc.info, len(tc.emps), got, tc.want)
		}
	}
}
