package core_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// leaveOrg: a day schedule on weekdays with Sunday 2026-12-06 a 调休
// working day, a field schedule, leave types with an annual quota of 5
// days, an employee with a manager on Slack, a peer, HR on Feishu.
func leaveOrg() core.Org {
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	day := core.Schedule{ID: "day", WorkDays: weekdays, StartMin: 9 * 60, EndMin: 18 * 60, CheckInOpensMin: 120, CheckOutClosesMin: 360,
		LateGraceMin: 5, SeriousLateMin: 30, AbsentLateMin: 120, CalendarID: "cn"}
	field := day
	field.ID, field.OutOfRange = "field", core.OutOfRangeField
	wecom := func(user string) []core.Identity {
		return []core.Identity{{Platform: core.PlatformWeCom, Tenant: "corp", UserID: user}}
	}
	return core.Org{
		Sites:     []core.OrgSite{{Site: office}},
		Schedules: []core.Schedule{day, field},
		Calendars: []core.Calendar{{ID: "cn", Days: []core.CalendarDay{{Date: "2026-12-06", Workday: true, Name: "调休"}, {Date: "2027-01-01", Name: "元旦"}}}},
		Employees: []core.Employee{
			{ID: "E1", Name: "张三", Lang: "zh", Active: true, ScheduleID: "day", SiteIDs: []string{"office"}, ManagerID: "M1", Identities: wecom("zhangsan")},
			{ID: "F1", Name: "外勤", Active: true, ScheduleID: "field", SiteIDs: []string{"office"}, ManagerID: "M1", Identities: wecom("field")},
			{ID: "P1", Name: "同事", Active: true, ScheduleID: "day", SiteIDs: []string{"office"}, ManagerID: "M1", Identities: wecom("peer")},
			{ID: "M1", Name: "Manager Mo", Lang: "en", Role: core.RoleManager, Active: true,
				Identities: []core.Identity{{Platform: core.PlatformSlack, Tenant: "T1", UserID: "UMO"}}},
			{ID: "H1", Name: "HR 韩", Role: core.RoleHR, Active: true, Identities: []core.Identity{{Platform: core.PlatformFeishu, Tenant: "tk", UserID: "ou_han"}}},
		},
		LeaveTypes: []core.LeaveType{
			{ID: "annual", Name: "年假", AnnualQuotaDays: 5, Paid: true},
			{ID: "sick", Name: "病假", Paid: true},
			{ID: "personal", Name: "事假"},
		},
		Makeup: core.MakeupPolicy{ExpireAfterHours: 72},
	}
}

func newLeaveHarness(tb testing.TB) makeupHarness {
	tb.Helper()
	return newLeaveHarnessWith(tb, nil)
}

// newLeaveHarnessWith is newLeaveHarness with the organisation changed by
// mutate first.
func newLeaveHarnessWith(tb testing.TB, mutate func(*core.Org)) makeupHarness {
	tb.Helper()
	org := leaveOrg()
	if mutate != nil {
		mutate(&org)
	}
	if err := org.Prepare(); err != nil {
		tb.Fatal(err)
	}
	store := coretest.NewMemStore()
	if _, err := store.ApplyOrg(context.Background(), org, core.AuditEntry{Action: "org.applied"}); err != nil {
		tb.Fatal(err)
	}
	clock := &testClock{}
	clock.Set(sh(tb, "2026-12-02 10:00:00")) // a Wednesday
	kv := coretest.NewMemKV(clock.Now)
	return makeupHarness{harness: &harness{svc: core.NewService(store, kv, kv, core.DefaultConfig(), clock.Now), store: store, kv: kv, clock: clock}, tb: tb}
}

func (h makeupHarness) mustLeave(tb testing.TB, emp string, a core.LeaveArgs) core.MakeupView {
	tb.Helper()
	v, err := h.svc.RequestLeave(context.Background(), emp, a, core.PlatformWeCom)
	if err != nil {
		tb.Fatalf("RequestLeave(%s %+v): %v", emp, a, err)
	}
	return v
}

func (h makeupHarness) roster(tb testing.TB, emp string) core.Roster {
	tb.Helper()
	r, err := h.svc.Roster(context.Background(), emp)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// TestLeaveDayRules: what approved (and pending) requests do to one day.
func TestLeaveDayRules(t *testing.T) {
	h := newLeaveHarness(t)
	r := h.roster(t, "E1")
	const date = "2026-12-03" // a Thursday
	at := func(clock string) time.Time { return sh(t, date+" "+clock+":00") }
	punch := func(kind core.PunchKind, clock string) core.Punch {
		return core.Punch{EmployeeID: "E1", Kind: kind, At: at(clock), ShiftDate: date, Outcome: core.OutcomeAccepted}
	}
	request := func(typ core.RequestType, status core.MakeupStatus, from, to string) core.MakeupRequest {
		m := core.MakeupRequest{ID: 7, EmployeeID: "E1", Type: typ, Status: status, Start: at(from), End: at(to), ShiftDate: date}
		if typ == core.RequestLeave {
			m.LeaveType = "sick"
		}
		return m
	}
	leave := func(from, to string) core.MakeupRequest {
		return request(core.RequestLeave, core.MakeupApproved, from, to)
	}
	dayOver := sh(t, "2026-12-04 10:00:00")
	tests := []struct {
		name      string
		punches   []core.Punch
		approvals []core.MakeupRequest
		want      []core.DayStatus
		lateMin   int
		workedMin int
		leaveMin  int
		leaveDays float64
		pending   int
	}{
		{name: "morning leave makes a noon arrival on time", punches: []core.Punch{punch(core.KindIn, "11:58"), punch(core.KindOut, "18:00")},
			approvals: []core.MakeupRequest{leave("09:00", "12:00")}, want: []core.DayStatus{core.DayLeave}, workedMin: 362, leaveMin: 180, leaveDays: 0.5},
		{name: "morning leave, arriving after it ends is late from its end", punches: []core.Punch{punch(core.KindIn, "12:20"), punch(core.KindOut, "18:00")},
			approvals: []core.MakeupRequest{leave("09:00", "12:00")}, want: []core.DayStatus{core.DayLate, core.DayLeave}, lateMin: 20, workedMin: 340, leaveMin: 180, leaveDays: 0.5},
		{name: "the same arrival without leave is absent-late", punches: []core.Punch{punch(core.KindIn, "11:58"), punch(core.KindOut, "18:00")},
			want: []core.DayStatus{core.DayAbsent}, lateMin: 178, workedMin: 362},
		{name: "afternoon half day: leaving when it starts is not early", punches: []core.Punch{punch(core.KindIn, "09:00"), punch(core.KindOut, "13:30")},
			approvals: []core.MakeupRequest{leave("13:30", "18:00")}, want: []core.DayStatus{core.DayLeave}, workedMin: 270, leaveMin: 270, leaveDays: 0.5},
		{name: "more than half the shift is a day", punches: []core.Punch{punch(core.KindIn, "09:00"), punch(core.KindOut, "12:00")},
			approvals: []core.MakeupRequest{leave("12:00", "18:00")}, want: []core.DayStatus{core.DayLeave}, workedMin: 180, leaveMin: 360, leaveDays: 1},
		{name: "whole day of leave, no punches", approvals: []core.MakeupRequest{leave("00:00", "23:59")},
			want: []core.DayStatus{core.DayLeave}, leaveMin: 540, leaveDays: 1},
		{name: "leave in the middle of the day changes no verdict", punches: []core.Punch{punch(core.KindIn, "09:00"), punch(core.KindOut, "16:00")},
			approvals: []core.MakeupRequest{leave("10:00", "11:00")}, want: []core.DayStatus{core.DayEarlyLeave, core.DayLeave}, workedMin: 420, leaveMin: 60, leaveDays: 0.5},
		{name: "pending leave counts nothing but waits", approvals: []core.MakeupRequest{request(core.RequestLeave, core.MakeupPending, "00:00", "23:59")},
			want: []core.DayStatus{core.DayAbsent, core.DayPendingApproval}, pending: 1},
		{name: "rejected leave is as if none", approvals: []core.MakeupRequest{request(core.RequestLeave, core.MakeupRejected, "00:00", "23:59")},
			want: []core.DayStatus{core.DayAbsent}},
		{name: "a trip counts the shift as worked", approvals: []core.MakeupRequest{request(core.RequestTrip, core.MakeupApproved, "00:00", "23:59")},
			want: []core.DayStatus{core.DayTrip}, workedMin: 540},
		{name: "punches on a trip add what lies outside it", punches: []core.Punch{punch(core.KindIn, "08:00"), punch(core.KindOut, "20:00")},
			approvals: []core.MakeupRequest{request(core.RequestTrip, core.MakeupApproved, "00:00", "23:59")}, want: []core.DayStatus{core.DayTrip}, workedMin: 720},
		{name: "an afternoon outing after a morning in the office", punches: []core.Punch{punch(core.KindIn, "09:00")},
			approvals: []core.MakeupRequest{request(core.RequestOuting, core.MakeupApproved, "14:00", "18:00")},
			want:      []core.DayStatus{core.DayMissingOut, core.DayOuting}, workedMin: 240},
		{name: "a pending field clock-in is waiting, not missing", punches: nil,
			approvals: []core.MakeupRequest{{ID: 8, EmployeeID: "E1", Type: core.RequestField, Status: core.MakeupPending, Kind: core.KindIn, ShiftDate: date}},
			want:      []core.DayStatus{core.DayMissingOut, core.DayPendingApproval}, pending: 1},
		{name: "someone else's leave does not count", approvals: []core.MakeupRequest{{EmployeeID: "P1", Type: core.RequestLeave, Status: core.MakeupApproved, Start: at("00:00"), End: at("23:59")}},
			want: []core.DayStatus{core.DayAbsent}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := core.ComputeDayWith(r, date, tc.punches, tc.approvals, dayOver)
			if !slices.Equal(got.Statuses, tc.want) {
				t.Errorf("statuses = %v, want %v", got.Statuses, tc.want)
			}
			if got.LateMin != tc.lateMin || got.WorkedMin != tc.workedMin {
				t.Errorf("late/worked = %d/%d, want %d/%d", got.LateMin, got.WorkedMin, tc.lateMin, tc.workedMin)
			}
			var leaveMin int
			var leaveDays float64
			var pending int
			if a := got.Approvals; a != nil {
				leaveMin, pending = a.LeaveMin(), a.Pending
				for _, l := range a.Leave {
					leaveDays += l.Days
				}
			}
			if leaveMin != tc.leaveMin || leaveDays != tc.leaveDays || pending != tc.pending {
				t.Errorf("leave %d min %.1f days, pending %d; want %d min %.1f days, pending %d", leaveMin, leaveDays, pending, tc.leaveMin, tc.leaveDays, tc.pending)
			}
		})
	}
}

// TestLeaveOnOtherSchedules: a whole day of leave on an overnight
// schedule covers the night shift that starts on the date (not the one
// ending that morning); without a schedule a day is 8 hours.
func TestLeaveOnOtherSchedules(t *testing.T) {
	h := newLeaveHarnessWith(t, func(o *core.Org) {
		night := core.Schedule{ID: "night", WorkDays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
			StartMin: 22 * 60, EndMin: 30 * 60, CheckInOpensMin: 60, CheckOutClosesMin: 120}
		o.Schedules = append(o.Schedules, night)
		o.Employees = append(o.Employees,
			core.Employee{ID: "N1", Name: "夜班", Active: true, ScheduleID: "night", ManagerID: "M1"},
			core.Employee{ID: "R1", Name: "远程", Active: true, ManagerID: "M1"})
	})
	const layout = "2006-01-02 15:04"
	tests := []struct {
		emp        string
		args       core.LeaveArgs
		start, end string
		days       float64
		minutes    int
	}{
		{"N1", core.LeaveArgs{Type: core.RequestLeave, From: "12-03"}, "2026-12-03 06:00", "2026-12-04 06:00", 1, 480},
		{"N1", core.LeaveArgs{Type: core.RequestLeave, From: "12-03", StartClock: "22:00", EndClock: "02:00"}, "2026-12-03 22:00", "2026-12-04 02:00", 0.5, 240},
		{"R1", core.LeaveArgs{Type: core.RequestLeave, From: "12-03", StartClock: "09:00", EndClock: "13:00"}, "2026-12-03 09:00", "2026-12-03 13:00", 0.5, 240},
		{"R1", core.LeaveArgs{Type: core.RequestLeave, From: "12-05", To: "12-06"}, "2026-12-05 00:00", "2026-12-07 00:00", 2, 960},
	}
	for _, tc := range tests {
		v := h.mustLeave(t, tc.emp, tc.args)
		loc := h.roster(t, tc.emp).Zone()
		got := v.Request.Start.In(loc).Format(layout) + " → " + v.Request.End.In(loc).Format(layout)
		if want := tc.start + " → " + tc.end; got != want || v.Leave.Days != tc.days || v.Leave.Minutes != tc.minutes {
			t.Errorf("%s %+v = %s, %.1f days %d min; want %s, %.1f days %d min", tc.emp, tc.args, got, v.Leave.Days, v.Leave.Minutes, want, tc.days, tc.minutes)
		}
		if _, err := h.svc.CancelMakeup(context.Background(), tc.emp, v.Request.ID); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTripAcrossWeekendAndSwappedDay: a trip from Friday to Monday counts
// Friday, the 调休 Sunday and Monday as worked in the field, not Saturday.
func TestTripAcrossWeekendAndSwappedDay(t *testing.T) {
	h := newLeaveHarness(t)
	v := h.mustLeave(t, "E1", core.LeaveArgs{Type: core.RequestTrip, From: "12-04", To: "12-07", Place: "上海", Reason: "客户拜访"})
	if v.Leave == nil || v.Leave.Days != 3 || v.Leave.Minutes != 3*540 {
		t.Fatalf("trip view leave = %+v, want 3 working days of 540 minutes", v.Leave)
	}
	if v.Request.Place != "上海" || v.Request.ShiftDate != "2026-12-04" {
		t.Errorf("request = %+v, want place 上海 from 2026-12-04", v.Request)
	}
	h.MustDecide(t, v.Request.ID, core.MakeupApproved, "M1")
	now := sh(t, "2026-12-08 10:00:00")
	rep, err := core.BuildDailyReport(context.Background(), h.store, "2026-12-04", "2026-12-07", core.ScopeOf("E1"), now)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, row := range rep.Rows {
		got = append(got, row.Date+" "+string(row.Statuses[0]))
		if row.Workday && (!row.Trip || row.WorkedMin != 540 || row.Place != "上海") {
			t.Errorf("%s: trip %v worked %d place %q, want a trip of 540 minutes to 上海", row.Date, row.Trip, row.WorkedMin, row.Place)
		}
	}
	want := []string{"2026-12-04 trip", "2026-12-05 rest", "2026-12-06 trip", "2026-12-07 trip"}
	if !slices.Equal(got, want) {
		t.Errorf("days = %v, want %v", got, want)
	}
	month, err := core.BuildMonthlyReport(context.Background(), h.store, "2026-12", core.ScopeOf("E1"), now)
	if err != nil {
		t.Fatal(err)
	}
	m := month.Rows[0]
	// 12-01 to 12-03 have no punches; from 12-08 on the shifts are not over.
	if m.TripDays != 3 || m.DaysWorked != 3 || m.Absences != 3 || m.WorkedMin != 3*540 {
		t.Errorf("month trip days %d, worked %d (%d min), absences %d; want 3, 3 (1620 min) and 3", m.TripDays, m.DaysWorked, m.WorkedMin, m.Absences)
	}
}

// TestLeaveRequests: reading the arguments, balances and overlaps.
func TestLeaveRequests(t *testing.T) {
	tests := []struct {
		name      string
		before    []core.LeaveArgs // filed and approved first
		args      core.LeaveArgs
		rule      string
		problem   string
		start     string // want, in Asia/Shanghai
		end       string
		leaveType string
		days      float64
	}{
		{name: "a date without a year is the nearest", args: core.LeaveArgs{Type: core.RequestLeave, From: "12-03"},
			start: "2026-12-03 00:00", end: "2026-12-04 00:00", leaveType: "annual", days: 1},
		{name: "a January date in December is next year's", args: core.LeaveArgs{Type: core.RequestLeave, From: "01-04", LeaveType: "sick"},
			start: "2027-01-04 00:00", end: "2027-01-05 00:00", leaveType: "sick", days: 1},
		{name: "a range over the new year skips the holiday and the weekend", args: core.LeaveArgs{Type: core.RequestLeave, From: "12-31", To: "01-04", LeaveType: "事假"},
			start: "2026-12-31 00:00", end: "2027-01-05 00:00", leaveType: "personal", days: 2},
		{name: "clocks cover part of a day", args: core.LeaveArgs{Type: core.RequestLeave, From: "2026-12-03", StartClock: "09:00", EndClock: "12:00", LeaveType: "sick"},
			start: "2026-12-03 09:00", end: "2026-12-03 12:00", leaveType: "sick", days: 0.5},
		{name: "a morning ending before noon", args: core.LeaveArgs{Type: core.RequestLeave, From: "2026-12-03", StartClock: "09:00", EndClock: "11:00", LeaveType: "sick"},
			start: "2026-12-03 09:00", end: "2026-12-03 11:00", leaveType: "sick", days: 0.5},
		{name: "an early hour", args: core.LeaveArgs{Type: core.RequestOuting, From: "2026-12-03", StartClock: "09:00", EndClock: "10:00", Place: "银行"},
			start: "2026-12-03 09:00", end: "2026-12-03 10:00", days: 0.5},
		{name: "control characters are dropped", args: core.LeaveArgs{Type: core.RequestOuting, From: "12-03\x00", StartClock: "14:00", EndClock: "16:00", Place: "银行\u202e"},
			start: "2026-12-03 14:00", end: "2026-12-03 16:00", days: 0.5},
		{name: "an unknown leave type", args: core.LeaveArgs{Type: core.RequestLeave, From: "12-03", LeaveType: "sabbatical"}, rule: core.MakeupInvalid, problem: core.ProblemLeaveType},
		{name: "an impossible date", args: core.LeaveArgs{Type: core.RequestLeave, From: "02-30"}, rule: core.MakeupInvalid, problem: core.ProblemDate},
		{name: "a range that ends before it starts", args: core.LeaveArgs{Type: core.RequestLeave, From: "2026-12-05", To: "2026-12-03"}, rule: core.MakeupInvalid, problem: core.ProblemDate},
		{name: "an end before the start", args: core.LeaveArgs{Type: core.RequestLeave, From: "12-03", StartClock: "14:00", EndClock: "10:00"}, rule: core.MakeupInvalid, problem: core.ProblemTime},
		{name: "a bad clock", args: core.LeaveArgs{Type: core.RequestLeave, From: "12-03", StartClock: "9点"}, rule: core.MakeupInvalid, problem: core.ProblemTime},
		{name: "what the bot could not read", args: core.LeaveArgs{Type: core.RequestLeave, From: "12-03", Problem: core.ProblemDate}, rule: core.MakeupInvalid, problem: core.ProblemDate},
		{name: "a weekend has no working time", args: core.LeaveArgs{Type: core.RequestLeave, From: "12-05"}, rule: core.LeaveNoWorkingTime},
		{name: "overlapping an approved leave", before: []core.LeaveArgs{{Type: core.RequestLeave, From: "12-03", To: "12-04", LeaveType: "sick"}},
			args: core.LeaveArgs{Type: core.RequestTrip, From: "12-04", StartClock: "14:00", EndClock: "18:00"}, rule: core.LeaveOverlap},
		{name: "next to an approved leave is fine", before: []core.LeaveArgs{{Type: core.RequestLeave, From: "12-03", StartClock: "09:00", EndClock: "12:00", LeaveType: "sick"}},
			args: core.LeaveArgs{Type: core.RequestOuting, From: "12-03", StartClock: "12:00", EndClock: "18:00", Place: "客户"}, start: "2026-12-03 12:00", end: "2026-12-03 18:00", days: 1},
		{name: "the annual balance is exhausted", before: []core.LeaveArgs{{Type: core.RequestLeave, From: "12-07", To: "12-11"}},
			args: core.LeaveArgs{Type: core.RequestLeave, From: "12-14", StartClock: "14:00", EndClock: "18:00"}, rule: core.LeaveBalanceExhausted},
		{name: "half days by hours fit the balance", before: []core.LeaveArgs{{Type: core.RequestLeave, From: "12-07", To: "12-10"}, {Type: core.RequestLeave, From: "12-11", StartClock: "09:00", EndClock: "13:00"}},
			args: core.LeaveArgs{Type: core.RequestLeave, From: "12-14", StartClock: "14:00", EndClock: "18:00"}, start: "2026-12-14 14:00", end: "2026-12-14 18:00", leaveType: "annual", days: 0.5},
		{name: "another year has its own balance", before: []core.LeaveArgs{{Type: core.RequestLeave, From: "12-07", To: "12-11"}},
			args: core.LeaveArgs{Type: core.RequestLeave, From: "2027-01-04"}, start: "2027-01-04 00:00", end: "2027-01-05 00:00", leaveType: "annual", days: 1},
		{name: "no balance kept for sick leave", before: []core.LeaveArgs{{Type: core.RequestLeave, From: "12-07", To: "12-11", LeaveType: "sick"}},
			args: core.LeaveArgs{Type: core.RequestLeave, From: "12-14", To: "12-18", LeaveType: "sick"}, start: "2026-12-14 00:00", end: "2026-12-19 00:00", leaveType: "sick", days: 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newLeaveHarness(t)
			for _, b := range tc.before {
				v := h.mustLeave(t, "E1", b)
				h.MustDecide(t, v.Request.ID, core.MakeupApproved, "M1")
			}
			before := len(h.store.Outbox())
			v, err := h.svc.RequestLeave(context.Background(), "E1", tc.args, core.PlatformWeCom)
			if tc.rule != "" {
				ref, ok := core.AsRefusal(err)
				if !ok || ref.Rule != tc.rule || v.Problem != tc.problem {
					t.Fatalf("RequestLeave = %v (problem %q), want refusal %s (problem %q)", err, v.Problem, tc.rule, tc.problem)
				}
				if n := len(h.store.Outbox()); n != before {
					t.Errorf("outbox grew from %d to %d on a refusal", before, n)
				}
				switch tc.rule {
				case core.LeaveOverlap:
					if ref.OtherID == 0 {
						t.Errorf("overlap refusal names no request: %+v", ref)
					}
				case core.LeaveBalanceExhausted:
					if ref.UsedDays != 5 || ref.QuotaDays != 5 || ref.AskedDays != 0.5 || ref.Year != 2026 {
						t.Errorf("balance refusal = %+v, want 5 of 5 used, 0.5 asked, 2026", ref)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("RequestLeave: %v", err)
			}
			const layout = "2006-01-02 15:04"
			loc := h.roster(t, "E1").Zone()
			if got := v.Request.Start.In(loc).Format(layout); got != tc.start {
				t.Errorf("start = %s, want %s", got, tc.start)
			}
			if got := v.Request.End.In(loc).Format(layout); got != tc.end {
				t.Errorf("end = %s, want %s", got, tc.end)
			}
			if v.Request.LeaveType != tc.leaveType || v.Leave == nil || v.Leave.Days != tc.days {
				t.Errorf("leave type %q, view %+v; want %q of %.1f days", v.Request.LeaveType, v.Leave, tc.leaveType, tc.days)
			}
			if v.Request.Status != core.MakeupPending || v.Request.ApproverID != "M1" {
				t.Errorf("request %+v, want pending with M1", v.Request)
			}
			cards := 0
			for _, m := range h.store.Outbox()[before:] {
				if m.Kind == core.OutboxMakeupCard && mustRecipient(t, m).UserID == "UMO" {
					cards++
				}
			}
			if cards != 1 {
				t.Errorf("%d cards to the manager, want 1", cards)
			}
		})
	}
}

// TestLeaveAuthorization: only the routed approver or HR decide; the
// requester and a peer cannot.
func TestLeaveAuthorization(t *testing.T) {
	tests := []struct {
		actor string
		want  string
	}{
		{"E1", core.EFORBIDDEN}, {"P1", core.EFORBIDDEN}, {"NOBODY", core.EFORBIDDEN},
		{"M1", ""}, {"H1", ""}, {core.ActorAdmin, ""},
	}
	for _, tc := range tests {
		t.Run(tc.actor, func(t *testing.T) {
			h := newLeaveHarness(t)
			v := h.mustLeave(t, "E1", core.LeaveArgs{Type: core.RequestLeave, From: "12-03", LeaveType: "sick", Reason: "发烧"})
			got, err := h.svc.DecideMakeup(context.Background(), core.MakeupDecision{ID: v.Request.ID, Status: core.MakeupRejected, Actor: tc.actor, Note: "请补病历"})
			if core.ErrorCode(err) != tc.want {
				t.Fatalf("DecideMakeup by %s: %v, want code %q", tc.actor, err, tc.want)
			}
			if tc.want != "" {
				after, _ := h.svc.MakeupView(context.Background(), v.Request.ID)
				if after.Request.Status != core.MakeupPending {
					t.Errorf("status after a forbidden decision = %s, want pending", after.Request.Status)
				}
				return
			}
			if got.Request.Status != core.MakeupRejected || got.Request.Note != "请补病历" {
				t.Errorf("decided %+v, want rejected with the note", got.Request)
			}
			results := h.outboxOf(core.OutboxMakeupResult)
			if len(results) != 1 || mustView(t, results[0]).Request.Type != core.RequestLeave {
				t.Errorf("requester notifications = %d, want 1 about the leave", len(results))
			}
		})
	}
}

// TestFieldPunchApproval: a punch outside every site waits; approving
// counts it as a field punch, rejecting leaves the slot missing.
func TestFieldPunchApproval(t *testing.T) {
	tests := []struct {
		decision   core.MakeupStatus
		wantDay    []core.DayStatus
		wantPunchs int // valid punches of the day
	}{
		{core.MakeupApproved, []core.DayStatus{core.DayMissingOut, core.DayField}, 1},
		{core.MakeupRejected, []core.DayStatus{core.DayAbsent}, 0},
	}
	for _, tc := range tests {
		t.Run(string(tc.decision), func(t *testing.T) {
			h := newLeaveHarness(t)
			reply := h.punch(t, "field", core.KindIn, sh(t, "2026-12-03 08:50:00"), north(office, 1200), "ev-field")
			if reply.Outcome != core.OutcomeFieldPending || reply.Makeup == nil || reply.Makeup.Field == nil {
				t.Fatalf("reply = %+v, want field_pending with the field view", reply)
			}
			f := reply.Makeup.Field
			if f.SiteName != "国贸" || f.DistanceM < 1150 || f.DistanceM > 1250 || f.Lat == 0 || f.MapLat == f.Lat {
				t.Errorf("field view = %+v, want 国贸 about 1200 m away, a GCJ-02 map position in Beijing", f)
			}
			req := reply.Makeup.Request
			if req.Type != core.RequestField || req.FieldPunchID != reply.PunchID || req.ApproverID != "M1" {
				t.Errorf("request = %+v, want a field request for punch %d routed to M1", req, reply.PunchID)
			}
			cards := h.outboxOf(core.OutboxMakeupCard)
			if len(cards) != 1 || mustRecipient(t, cards[0]).UserID != "UMO" || mustView(t, cards[0]).Field == nil {
				t.Fatalf("cards = %+v, want one with the field view to the manager on Slack", cards)
			}
			if ps := h.punches(t, "F1"); len(ps) != 1 || ps[0].Valid() {
				t.Fatalf("stored punches = %+v, want one that does not count", ps)
			}
			dayOf := func() core.DayResult {
				rep, err := core.BuildDailyReport(context.Background(), h.store, "2026-12-03", "2026-12-03", core.ScopeOf("F1"), sh(t, "2026-12-04 10:00:00"))
				if err != nil || len(rep.Rows) != 1 {
					t.Fatalf("daily report = %+v, %v", rep, err)
				}
				return core.DayResult{Statuses: rep.Rows[0].Statuses}
			}
			if got := dayOf().Statuses; !slices.Equal(got, []core.DayStatus{core.DayMissingOut, core.DayPendingApproval}) {
				t.Errorf("day while pending = %v, want missing_out and pending_approval", got)
			}
			if _, err := h.svc.DecideMakeup(context.Background(), core.MakeupDecision{ID: req.ID, Status: tc.decision, Actor: "P1"}); core.ErrorCode(err) != core.EFORBIDDEN {
				t.Errorf("a peer's decision: %v, want forbidden", err)
			}
			h.clock.Set(sh(t, "2026-12-03 11:00:00"))
			v := h.MustDecide(t, req.ID, tc.decision, "M1")
			valid := 0
			for _, p := range h.punches(t, "F1") {
				if p.Valid() {
					valid++
					if p.Outcome != core.OutcomeField || !slices.Contains(p.Flags, core.FlagField) || !slices.Contains(p.Flags, core.FlagOutOfRange) ||
						!p.At.Equal(sh(t, "2026-12-03 08:50:00")) || p.Lat == 0 || p.MakeupID != req.ID || v.Request.PunchID != p.ID {
						t.Errorf("counting punch = %+v (request punch %d), want a field punch at 08:50 with the position, linked", p, v.Request.PunchID)
					}
				}
			}
			if valid != tc.wantPunchs {
				t.Errorf("valid punches = %d, want %d", valid, tc.wantPunchs)
			}
			if got := dayOf().Statuses; !slices.Equal(got, tc.wantDay) {
				t.Errorf("day after %s = %v, want %v", tc.decision, got, tc.wantDay)
			}
		})
	}
}

// TestPunchAfterPendingFieldClockIn: the punch after a field clock-in
// waiting for approval is the clock-out, not a second clock-in.
func TestPunchAfterPendingFieldClockIn(t *testing.T) {
	h := newLeaveHarness(t)
	if r := h.punch(t, "field", core.KindAuto, sh(t, "2026-12-03 08:50:00"), north(office, 1200), "ev-1"); r.Outcome != core.OutcomeFieldPending || r.Kind != core.KindIn {
		t.Fatalf("first punch = %s %s, want a pending field clock-in", r.Outcome, r.Kind)
	}
	if r := h.punch(t, "field", core.KindAuto, sh(t, "2026-12-03 18:05:00"), north(office, 20), "ev-2"); r.Outcome != core.OutcomeAccepted || r.Kind != core.KindOut {
		t.Errorf("second punch = %s %s, want an accepted clock-out", r.Outcome, r.Kind)
	}
}

// TestConfirmedFieldClockOutWaitsForApproval: an early clock-out away from
// every site, once confirmed, is a field punch waiting for approval like
// any other.
func TestConfirmedFieldClockOutWaitsForApproval(t *testing.T) {
	h := newLeaveHarnessWith(t, func(o *core.Org) { o.Schedules[1].ConfirmWithinMin = 10 })
	h.punch(t, "field", core.KindIn, sh(t, "2026-12-03 08:55:00"), north(office, 20), "ev-in")
	if r := h.punch(t, "field", core.KindOut, sh(t, "2026-12-03 12:00:00"), north(office, 1500), "ev-out"); r.Outcome != core.OutcomeConfirm {
		t.Fatalf("early clock-out = %s, want a question", r.Outcome)
	}
	r, err := h.svc.Handle(context.Background(), core.Command{Actor: core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "field"},
		Kind: core.CmdConfirm, EventID: "ev-yes", ReplyRoute: `{"touser":"field"}`})
	if err != nil || r.Outcome != core.OutcomeFieldPending || r.Makeup == nil || r.Makeup.Field == nil || r.Makeup.Field.Kind != core.KindOut {
		t.Fatalf("confirmed = %+v, %v; want a field clock-out waiting for approval", r, err)
	}
	if cards := h.outboxOf(core.OutboxMakeupCard); len(cards) != 1 || mustView(t, cards[0]).Request.FieldPunchID != r.PunchID {
		t.Errorf("cards = %d, want one for punch %d", len(cards), r.PunchID)
	}
}

// TestLeaveThroughHandle: CmdLeave is answered and recorded like a
// make-up; a retried event changes nothing.
func TestLeaveThroughHandle(t *testing.T) {
	h := newLeaveHarness(t)
	cmd := core.Command{Actor: core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"}, Kind: core.CmdLeave, EventID: "msg-1",
		ReplyRoute: `{"touser":"zhangsan"}`, Leave: &core.LeaveArgs{Type: core.RequestLeave, From: "2026-12-03", LeaveType: "annual", Reason: "家事"}}
	reply, err := h.svc.Handle(context.Background(), cmd)
	if err != nil || reply.Outcome != core.OutcomeMakeupFiled || reply.Makeup == nil || reply.Makeup.Leave == nil {
		t.Fatalf("Handle = %+v, %v; want makeup_filed with the leave view", reply, err)
	}
	if l := reply.Makeup.Leave; l.TypeName != "年假" || l.Days != 1 || l.QuotaDays != 5 || l.UsedDays != 1 {
		t.Errorf("leave view = %+v, want 年假 1 day, 1 of 5 used", l)
	}
	again, err := h.svc.Handle(context.Background(), cmd)
	if err != nil || !again.Replayed || again.Makeup.Request.ID != reply.Makeup.Request.ID {
		t.Errorf("retry = %+v, %v; want the first answer replayed", again, err)
	}
	if n := len(h.outboxOf(core.OutboxMakeupCard)); n != 1 {
		t.Errorf("%d cards, want 1", n)
	}
	bad := cmd
	bad.EventID, bad.Leave = "msg-2", &core.LeaveArgs{Type: core.RequestLeave, From: "12-03", LeaveType: "vacation"}
	reply, err = h.svc.Handle(context.Background(), bad)
	if err != nil || reply.Outcome != core.OutcomeMakeupRefused || reply.Makeup.Problem != core.ProblemLeaveType {
		t.Errorf("unknown type = %+v, %v; want refused naming the leave type", reply, err)
	}
	cancel := core.Command{Actor: cmd.Actor, Kind: core.CmdMakeupCancel, EventID: "msg-3", Makeup: &core.MakeupArgs{}}
	reply, err = h.svc.Handle(context.Background(), cancel)
	if err != nil || reply.Outcome != core.OutcomeMakeupCancelled || reply.Makeup.Request.Type != core.RequestLeave {
		t.Errorf("cancel = %+v, %v; want the leave cancelled", reply, err)
	}
	audit, _ := h.store.FindAudit(context.Background(), core.AuditFilter{Subject: "E1"})
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action)
	}
	if !slices.Contains(actions, "leave.requested") || !slices.Contains(actions, "leave.cancelled") {
		t.Errorf("audit actions = %v, want leave.requested and leave.cancelled", actions)
	}
}

// TestLeaveExpires: a pending leave expires like a make-up.
func TestLeaveExpires(t *testing.T) {
	h := newLeaveHarness(t)
	v := h.mustLeave(t, "E1", core.LeaveArgs{Type: core.RequestOuting, From: "12-03", StartClock: "14:00", EndClock: "17:00", Place: "银行"})
	h.clock.Set(sh(t, "2026-12-05 10:01:00"))
	if n, err := h.svc.ExpireMakeups(context.Background()); err != nil || n != 1 {
		t.Fatalf("ExpireMakeups = %d, %v; want 1", n, err)
	}
	after, _ := h.svc.MakeupView(context.Background(), v.Request.ID)
	if after.Request.Status != core.MakeupExpired {
		t.Errorf("status = %s, want expired", after.Request.Status)
	}
}
