package core_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// Employment dates (入职, 离职): E1 joins on Monday 2026-11-16 and leaves
// after Friday 2026-11-20, their last working day.
const (
	joined = "2026-11-16"
	left   = "2026-11-20"
)

// employedHarness is newHarness with employment dates on employees (id →
// [joined, left]) and X1, who is inactive, leaving on 2026-11-20.
func employedHarness(tb testing.TB, dates map[string][2]string) *harness {
	tb.Helper()
	h := newHarness(tb, nil)
	org := testOrg()
	for i := range org.Employees {
		e := &org.Employees[i]
		if d, ok := dates[e.ID]; ok {
			e.Joined, e.Left = d[0], d[1]
		}
	}
	if err := org.Prepare(); err != nil {
		tb.Fatal(err)
	}
	if _, err := h.store.ApplyOrg(context.Background(), org, core.AuditEntry{Action: "org.applied"}); err != nil {
		tb.Fatal(err)
	}
	return h
}

func TestEmployedOn(t *testing.T) {
	tests := []struct {
		joined, left, date string
		want               bool
	}{
		{"", "", "2026-11-13", true},
		{joined, left, "2026-11-15", false},
		{joined, left, joined, true},
		{joined, left, left, true},
		{joined, left, "2026-11-21", false},
		{joined, "", "2030-01-01", true},
		{"", left, "2020-01-01", true},
		{"", left, "2026-12-01", false},
	}
	for _, tt := range tests {
		e := core.Employee{Joined: tt.joined, Left: tt.left}
		if got := e.EmployedOn(tt.date); got != tt.want {
			t.Errorf("joined %q left %q: EmployedOn(%s) = %v, want %v", tt.joined, tt.left, tt.date, got, tt.want)
		}
	}
}

func TestOrgPrepareEmploymentDates(t *testing.T) {
	tests := []struct {
		name         string
		joined, left string
		want         []core.FieldError // nil: valid
	}{
		{"both", joined, left, nil},
		{"one day", joined, joined, nil},
		{"none", "", "", nil},
		{"joined only", joined, "", nil},
		{"not a date", "2026-11-31", "", []core.FieldError{{Path: "employees[0].joined", Message: `date "2026-11-31" is not YYYY-MM-DD`}}},
		{"not the layout", "", "2026/11/20", []core.FieldError{{Path: "employees[0].left", Message: `date "2026/11/20" is not YYYY-MM-DD`}}},
		{"left before joined", left, joined, []core.FieldError{{Path: "employees[0].left",
			Message: "left 2026-11-16 is before joined 2026-11-20: left is the last working day, on or after the first"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org := core.Org{Employees: []core.Employee{{ID: "E1", Name: "张三", Joined: tt.joined, Left: tt.left}}}
			err := org.Prepare()
			var got []core.FieldError
			if ve, ok := err.(*core.ValidationError); ok {
				got = ve.Fields
			} else if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Prepare problems = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestPunchOutsideEmployment: a punch whose shift date is before joined or
// after left is refused (kept as a rejected attempt), one inside counts.
func TestPunchOutsideEmployment(t *testing.T) {
	tests := []struct {
		name        string
		at          string
		kind        core.PunchKind
		wantOutcome core.Outcome
		wantReason  string
	}{
		{"the Friday before joining", "2026-11-13 08:55:00", core.KindIn, core.OutcomeRejected, core.ReasonNotEmployed},
		{"the first day", "2026-11-16 08:55:00", core.KindIn, core.OutcomeAccepted, ""},
		{"the last day's clock-out", "2026-11-20 18:05:00", core.KindOut, core.OutcomeAccepted, ""},
		{"the Monday after leaving", "2026-11-23 08:55:00", core.KindIn, core.OutcomeRejected, core.ReasonNotEmployed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := employedHarness(t, map[string][2]string{"E1": {joined, left}})
			got := h.punch(t, "zhangsan", tt.kind, sh(t, tt.at), north(office, 10), "ev")
			if got.Outcome != tt.wantOutcome {
				t.Fatalf("outcome = %s (reasons %v), want %s", got.Outcome, got.Reasons, tt.wantOutcome)
			}
			if tt.wantReason != "" && !slices.Contains(got.Reasons, tt.wantReason) {
				t.Errorf("reasons = %v, want %s", got.Reasons, tt.wantReason)
			}
			if tt.wantReason == "" && slices.Contains(got.Reasons, core.ReasonNotEmployed) {
				t.Errorf("reasons = %v, want no %s", got.Reasons, core.ReasonNotEmployed)
			}
		})
	}
}

// TestDailyRowsOutsideEmployment: days before joined and after left are
// not employed, whatever the schedule, a stored punch or approved leave
// would otherwise make of them; days inside are judged as always.
func TestDailyRowsOutsideEmployment(t *testing.T) {
	r := roster(t, "E1")
	r.Employee.Joined, r.Employee.Left = joined, left
	now := sh(t, "2026-12-01 12:00:00")
	// A punch stored before the dates were set, on the Friday before.
	punches := []core.Punch{validPunch("E1", core.KindIn, sh(t, "2026-11-13 09:20:00"), "2026-11-13")}
	leave := core.MakeupRequest{ID: 1, EmployeeID: "E1", Type: core.RequestLeave, Status: core.MakeupApproved, LeaveType: "annual",
		Start: sh(t, "2026-11-23 09:00:00"), End: sh(t, "2026-11-23 18:00:00")}
	dates, err := core.Dates("2026-11-13", "2026-11-23")
	if err != nil {
		t.Fatal(err)
	}
	rows := core.DailyRowsWith(r, dates, punches, []core.MakeupRequest{leave}, now)
	notEmployed := []core.DayStatus{core.DayNotEmployed}
	absent := []core.DayStatus{core.DayAbsent}
	want := map[string]struct {
		statuses []core.DayStatus
		workday  bool
	}{
		"2026-11-13": {notEmployed, true}, "2026-11-14": {notEmployed, false}, "2026-11-15": {notEmployed, false},
		"2026-11-16": {absent, true}, "2026-11-17": {absent, true}, "2026-11-18": {absent, true}, "2026-11-19": {absent, true}, "2026-11-20": {absent, true},
		"2026-11-21": {notEmployed, false}, "2026-11-22": {notEmployed, false}, "2026-11-23": {notEmployed, true},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows = %d, want %d", len(rows), len(want))
	}
	for _, row := range rows {
		w := want[row.Date]
		if !slices.Equal(row.Statuses, w.statuses) || row.Workday != w.workday || row.NotEmployed != slices.Equal(w.statuses, notEmployed) {
			t.Errorf("%s: statuses %v workday %v not employed %v, want %v workday %v", row.Date, row.Statuses, row.Workday, row.NotEmployed, w.statuses, w.workday)
		}
		if row.NotEmployed && (!row.FirstIn.IsZero() || row.LateMin != 0 || row.LeaveMin != 0 || row.WorkedMin != 0) {
			t.Errorf("%s: a day not employed counts %+v, want nothing", row.Date, row)
		}
	}
}

// TestMonthlyRowOutsideEmployment: November 2026 has 21 scheduled working
// days; employed from the 16th to the 20th, E1 is due on 5 of them, and
// absent on those 5 only.
func TestMonthlyRowOutsideEmployment(t *testing.T) {
	tests := []struct {
		name                                    string
		joined, left                            string
		workdays, notEmployed, absences, worked int
	}{
		{"the whole month", "", "", 21, 0, 21, 0},
		{"joined mid-month and left that week", joined, left, 5, 16, 5, 0},
		{"joined on the 16th", joined, "", 11, 10, 11, 0},
		{"left on the 20th", "", left, 15, 6, 15, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := roster(t, "E1")
			r.Employee.Joined, r.Employee.Left = tt.joined, tt.left
			dates, err := core.Dates("2026-11-01", "2026-11-30")
			if err != nil {
				t.Fatal(err)
			}
			m := core.MonthlyRowOf(r, core.DailyRows(r, dates, nil, sh(t, "2026-12-01 12:00:00")), nil)
			got := [4]int{m.Workdays, m.NotEmployedWorkdays, m.Absences, m.DaysWorked}
			if want := [4]int{tt.workdays, tt.notEmployed, tt.absences, tt.worked}; got != want {
				t.Errorf("workdays, not employed, absences, days worked = %v, want %v", got, want)
			}
			if m.Joined != tt.joined || m.Left != tt.left {
				t.Errorf("joined, left = %q %q, want %q %q", m.Joined, m.Left, tt.joined, tt.left)
			}
		})
	}
}

// TestReportIncludesByEmployment: the inactive X1, who left on the 20th
// without a punch that month, is in November's report and not in
// December's; E1, joining in December, is not in November's.
func TestReportIncludesByEmployment(t *testing.T) {
	h := employedHarness(t, map[string][2]string{"X1": {"", left}, "E1": {"2026-12-01", ""}})
	now := sh(t, "2027-01-05 12:00:00")
	tests := []struct {
		month string
		want  map[string]bool
	}{
		{"2026-11", map[string]bool{"X1": true, "E1": false, "R1": true}},
		{"2026-12", map[string]bool{"X1": false, "E1": true, "R1": true}},
	}
	for _, tt := range tests {
		rep, err := core.BuildMonthlyReport(context.Background(), h.store, tt.month, core.ScopeAll(), now)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, row := range rep.Rows {
			got[row.EmployeeID] = true
		}
		for id, want := range tt.want {
			if got[id] != want {
				t.Errorf("%s: %s in the report = %v, want %v", tt.month, id, got[id], want)
			}
		}
	}
}

// TestRemindersOutsideEmployment: punch_in, punch_out and missed_punch
// remind nobody of a shift outside their employment.
func TestRemindersOutsideEmployment(t *testing.T) {
	h := employedHarness(t, map[string][2]string{"E1": {joined, left}})
	rosters := mustRosters(t, h)
	everyone := func(*time.Location) bool { return true }
	tests := []struct {
		name   string
		rem    core.Reminder
		q      core.DueQuery
		wantE1 bool
	}{
		{"punch_in the Friday before", core.Reminder{Kind: core.ReminderPunchIn, MinutesBefore: 10}, core.DueQuery{At: sh(t, "2026-11-13 08:50:00")}, false},
		{"punch_in the first day", core.Reminder{Kind: core.ReminderPunchIn, MinutesBefore: 10}, core.DueQuery{At: sh(t, "2026-11-16 08:50:00")}, true},
		{"punch_out the last day", core.Reminder{Kind: core.ReminderPunchOut}, core.DueQuery{At: sh(t, "2026-11-20 18:00:00")}, true},
		{"punch_out the Monday after", core.Reminder{Kind: core.ReminderPunchOut}, core.DueQuery{At: sh(t, "2026-11-23 18:00:00")}, false},
		{"missed_punch of the Friday before", core.Reminder{Kind: core.ReminderMissedPunch}, core.DueQuery{At: sh(t, "2026-11-14 09:00:00"), LocalFires: everyone}, false},
		{"missed_punch of the last day", core.Reminder{Kind: core.ReminderMissedPunch}, core.DueQuery{At: sh(t, "2026-11-21 09:00:00"), LocalFires: everyone}, true},
		{"missed_punch of the Monday after", core.Reminder{Kind: core.ReminderMissedPunch}, core.DueQuery{At: sh(t, "2026-11-24 09:00:00"), LocalFires: everyone}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.rem.ID, tt.rem.Enabled = "r", true
			var got []string
			for _, c := range core.ReminderCandidates(tt.rem, rosters, tt.q) {
				got = append(got, c.Roster.Employee.ID)
			}
			if slices.Contains(got, "E1") != tt.wantE1 {
				t.Errorf("candidates = %v, want E1 among them %v", got, tt.wantE1)
			}
			if !slices.Contains(got, "R1") {
				t.Errorf("candidates = %v, want R1 (employed throughout) among them", got)
			}
		})
	}
}

// TestStatusAndHistoryOutsideEmployment: a leaver still active who asks
// 状态 after their last day, or 记录 across it, sees the days after it as
// not employed, not absent, as the reports show them.
func TestStatusAndHistoryOutsideEmployment(t *testing.T) {
	h := employedHarness(t, map[string][2]string{"E1": {joined, left}})
	h.punch(t, "zhangsan", core.KindIn, sh(t, "2026-11-20 08:55:00"), north(office, 10), "last-in")
	h.clock.Set(sh(t, "2026-11-24 11:00:00")) // Tuesday after the last day
	actor := core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"}
	status, err := h.svc.Handle(context.Background(), core.Command{Actor: actor, Kind: core.CmdStatus, EventID: "st"})
	if err != nil {
		t.Fatal(err)
	}
	if status.Day == nil || !status.Day.Has(core.DayNotEmployed) || status.Day.Has(core.DayAbsent) {
		t.Errorf("status after leaving = %+v, want not employed only", status.Day)
	}
	hist, err := h.svc.Handle(context.Background(), core.Command{Actor: actor, Kind: core.CmdHistory, EventID: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]core.DayStatus{"2026-11-20": core.DayMissingOut, "2026-11-23": core.DayNotEmployed, "2026-11-24": core.DayNotEmployed}
	for _, d := range hist.Days {
		if st, ok := want[d.Date]; ok && (!d.Has(st) || (st == core.DayNotEmployed && len(d.Statuses) != 1)) {
			t.Errorf("history day %s = %v, want %s", d.Date, d.Statuses, st)
		}
	}
}
