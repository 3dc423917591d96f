package core_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// otRoster is an employee in Shanghai on 09:00–18:00, Monday to Friday,
// with overtime by punch (30 minutes after the end, at least 30, in
// half hours), a holiday on Friday 2026-12-25 and a 调休 working Sunday
// 2026-12-27.
func otRoster(tb testing.TB, edit func(*core.Schedule)) core.Roster {
	tb.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		tb.Fatal(err)
	}
	s := core.Schedule{ID: "day", WorkDays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
		StartMin: 9 * 60, EndMin: 18 * 60, CheckInOpensMin: 120, CheckOutClosesMin: 480,
		Overtime: core.OvertimeRule{Mode: core.OvertimePunch, StartsAfterMin: 30, MinMin: 30, UnitMin: 30}}
	if edit != nil {
		edit(&s)
	}
	cal := &core.Calendar{ID: "cn", Days: []core.CalendarDay{
		{Date: "2026-12-25", Name: "公司假日"}, {Date: "2026-12-27", Workday: true, Name: "调休"},
	}}
	return core.Roster{Employee: core.Employee{ID: "E1", Name: "张三", TimeZone: "Asia/Shanghai", Active: true},
		Schedule: &s, Calendar: cal, Loc: loc}
}

// otPunches are valid punches of one shift date: "in 09:00", "out 20:00",
// "out +1 01:00" (the next calendar day).
func otPunches(tb testing.TB, date string, punches ...string) []core.Punch {
	tb.Helper()
	var out []core.Punch
	for i, p := range punches {
		f := strings.Fields(p) // kind, [+1,] clock
		day := date
		if len(f) == 3 {
			d, _ := time.Parse(core.DateLayout, date)
			day = d.AddDate(0, 0, 1).Format(core.DateLayout)
		}
		out = append(out, core.Punch{ID: int64(i + 1), EmployeeID: "E1", Kind: core.PunchKind(f[0]), ShiftDate: date,
			At: sh(tb, day+" "+f[len(f)-1]+":00"), Outcome: core.OutcomeAccepted, Source: "wecom"})
	}
	return out
}

// beforeStart sets the schedule's before_start_min (上班前加班).
func beforeStart(min int) func(*core.Schedule) {
	return func(s *core.Schedule) { s.Overtime.BeforeStartMin = min }
}

// nightShift makes the schedule 22:00–02:00 (26:00), check-in opening an
// hour early.
func nightShift(s *core.Schedule) {
	s.StartMin, s.EndMin, s.CheckInOpensMin, s.CheckOutClosesMin = 22*60, 26*60, 60, 120
}

func TestOvertimeOf(t *testing.T) {
	later := sh(t, "2027-01-10 12:00:00")
	// 国庆 2027 as a holiday notice would give it: 10-01..10-03 statutory
	// (《全国年节及纪念日放假办法》 第二条), 10-04..10-07 weekends moved by
	// 调休, Saturday 10-09 worked.
	national2027 := []core.CalendarDay{
		{Date: "2027-10-01", Statutory: true, Name: "国庆节"}, {Date: "2027-10-02", Statutory: true, Name: "国庆节"},
		{Date: "2027-10-03", Statutory: true, Name: "国庆节"}, {Date: "2027-10-04", Name: "国庆节"},
		{Date: "2027-10-05", Name: "国庆节"}, {Date: "2027-10-06", Name: "国庆节"}, {Date: "2027-10-07", Name: "国庆节"},
		{Date: "2027-10-09", Workday: true, Name: "国庆调休"},
	}
	afterNational := sh(t, "2027-10-20 12:00:00")
	cases := []struct {
		name    string
		edit    func(*core.Schedule)
		date    string
		punches []string
		days    []core.CalendarDay // added to the roster's calendar
		now     time.Time          // zero: later
		want    core.DayOvertime
	}{
		{name: "workday: from end+30 to the clock-out", date: "2026-12-04", punches: []string{"in 09:00", "out 20:00"},
			want: core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 90}},
		{name: "workday: clock-out right at end+starts_after", date: "2026-12-04", punches: []string{"in 09:00", "out 18:30"},
			want: core.DayOvertime{Kind: core.OvertimeWorkday}},
		{name: "workday: a minute short of the minimum", date: "2026-12-04", punches: []string{"in 09:00", "out 18:59"},
			want: core.DayOvertime{Kind: core.OvertimeWorkday}},
		{name: "workday: exactly the minimum", date: "2026-12-04", punches: []string{"in 09:00", "out 19:00"},
			want: core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 30}},
		{name: "workday: rounded down to half hours", date: "2026-12-04", punches: []string{"in 09:00", "out 20:29"},
			want: core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 90}},
		{name: "workday: starts_after 0 counts from the end", edit: func(s *core.Schedule) { s.Overtime.StartsAfterMin = 0 },
			date: "2026-12-04", punches: []string{"in 09:00", "out 19:00"}, want: core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 60}},
		{name: "min 60: 50 minutes count nothing", edit: func(s *core.Schedule) { s.Overtime.MinMin = 60 },
			date: "2026-12-04", punches: []string{"in 09:00", "out 19:20"}, want: core.DayOvertime{Kind: core.OvertimeWorkday}},
		{name: "unit 0 keeps every minute", edit: func(s *core.Schedule) { s.Overtime.UnitMin = 0 },
			date: "2026-12-04", punches: []string{"in 09:00", "out 19:47"}, want: core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 77}},
		{name: "unit 60", edit: func(s *core.Schedule) { s.Overtime.UnitMin = 60 },
			date: "2026-12-04", punches: []string{"in 09:00", "out 21:20"}, want: core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 120}},
		{name: "workday: missing clock-out", date: "2026-12-04", punches: []string{"in 09:00"},
			want: core.DayOvertime{Kind: core.OvertimeWorkday}},
		{name: "workday: missing clock-in still counts after the end", date: "2026-12-04", punches: []string{"out 20:00"},
			want: core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 90}},
		{name: "workday: the last clock-out counts", date: "2026-12-04", punches: []string{"in 09:00", "out 18:00", "out 21:00"},
			want: core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 150}},
		{name: "workday: clock-out after midnight", date: "2026-12-04", punches: []string{"in 09:00", "out +1 01:00"},
			want: core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 390}},
		{name: "flexible: a 20-minute-late start moves the end", edit: func(s *core.Schedule) { s.FlexibleMin = 30 },
			date: "2026-12-04", punches: []string{"in 09:20", "out 20:00"}, want: core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 60}},
		{name: "flexible: the slide stops at flexible_min", edit: func(s *core.Schedule) { s.FlexibleMin = 30 },
			date: "2026-12-04", punches: []string{"in 10:00", "out 20:00"}, want: core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 60}},
		{name: "flexible: an early start does not move the end earlier", edit: func(s *core.Schedule) { s.FlexibleMin = 30 },
			date: "2026-12-04", punches: []string{"in 08:30", "out 20:00"}, want: core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 90}},
		{name: "rest day: clock-in to clock-out", date: "2026-12-05", punches: []string{"in 10:00", "out 15:45"},
			want: core.DayOvertime{Kind: core.OvertimeRestDay, Minutes: 330}},
		{name: "rest day: below the minimum", date: "2026-12-06", punches: []string{"in 10:00", "out 10:20"},
			want: core.DayOvertime{Kind: core.OvertimeRestDay}},
		{name: "rest day: clock-in only", date: "2026-12-05", punches: []string{"in 10:00"},
			want: core.DayOvertime{Kind: core.OvertimeRestDay}},
		{name: "rest day: clock-out only", date: "2026-12-05", punches: []string{"out 15:00"},
			want: core.DayOvertime{Kind: core.OvertimeRestDay}},
		{name: "holiday: clock-in to clock-out", date: "2026-12-25", punches: []string{"in 10:00", "out 12:00"},
			want: core.DayOvertime{Kind: core.OvertimeHoliday, Minutes: 120}},
		{name: "holiday: unnamed, still a holiday", date: "2026-12-24", punches: []string{"in 10:00", "out 12:00"},
			days: []core.CalendarDay{{Date: "2026-12-24"}}, want: core.DayOvertime{Kind: core.OvertimeHoliday, Minutes: 120}},
		{name: "statutory holiday", date: "2027-10-01", punches: []string{"in 10:00", "out 12:00"},
			days: national2027, now: afterNational, want: core.DayOvertime{Kind: core.OvertimeHoliday, Minutes: 120}},
		{name: "holiday block: a swapped day off is a rest day", date: "2027-10-04", punches: []string{"in 10:00", "out 12:00"},
			days: national2027, now: afterNational, want: core.DayOvertime{Kind: core.OvertimeRestDay, Minutes: 120}},
		{name: "holiday block: its 调休 Saturday is a working day", date: "2027-10-09", punches: []string{"in 09:00", "out 20:00"},
			days: national2027, now: afterNational, want: core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 90}},
		{name: "a year without statutory marks keeps every holiday a holiday", date: "2026-12-25", punches: []string{"in 10:00", "out 12:00"},
			days: national2027, want: core.DayOvertime{Kind: core.OvertimeHoliday, Minutes: 120}},
		{name: "a year with statutory marks makes an unmarked holiday a rest day", date: "2026-12-25", punches: []string{"in 10:00", "out 12:00"},
			days: []core.CalendarDay{{Date: "2026-01-01", Statutory: true, Name: "元旦"}}, want: core.DayOvertime{Kind: core.OvertimeRestDay, Minutes: 120}},
		{name: "调休 Sunday is a working day", date: "2026-12-27", punches: []string{"in 09:00", "out 20:00"},
			want: core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 90}},
		{name: "today: the punch window is still open", date: "2026-12-04", punches: []string{"in 09:00", "out 20:00"},
			now: sh(t, "2026-12-04 21:00:00"), want: core.DayOvertime{Kind: core.OvertimeWorkday}},
		{name: "today: counted once the window closed", date: "2026-12-04", punches: []string{"in 09:00", "out 20:00"},
			now: sh(t, "2026-12-05 02:00:00"), want: core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 90}},
		{name: "rest day: open until the local date ends", date: "2026-12-05", punches: []string{"in 10:00", "out 15:45"},
			now: sh(t, "2026-12-05 23:59:00"), want: core.DayOvertime{Kind: core.OvertimeRestDay}},
		// 上班前加班 (before_start_min): time punched before start less the
		// setting counts on a working day; 0, the default, counts none.
		{name: "before start off: an early arrival counts nothing", date: "2026-12-04", punches: []string{"in 07:00", "out 18:00"},
			want: core.DayOvertime{Kind: core.OvertimeWorkday}},
		{name: "before start 60: from the clock-in to 08:00", edit: beforeStart(60), date: "2026-12-04", punches: []string{"in 07:00", "out 18:00"},
			want: core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 60}},
		{name: "before start 60: arriving at 08:10 is not early enough", edit: beforeStart(60), date: "2026-12-04", punches: []string{"in 08:10", "out 18:00"},
			want: core.DayOvertime{Kind: core.OvertimeWorkday}},
		{name: "before start 60: 15 minutes are below the minimum", edit: beforeStart(60), date: "2026-12-04", punches: []string{"in 07:45", "out 18:00"},
			want: core.DayOvertime{Kind: core.OvertimeWorkday}},
		{name: "before start 60: both ends add up before the minimum and rounding", edit: beforeStart(60), date: "2026-12-04", punches: []string{"in 07:40", "out 18:50"},
			want: core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 30}},
		{name: "before start 60: early and late", edit: beforeStart(60), date: "2026-12-04", punches: []string{"in 07:00", "out 20:00"},
			want: core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 150}},
		{name: "before start 0 minutes: from the clock-in to the start", edit: func(s *core.Schedule) { s.Overtime.BeforeStartMin = 0 }, date: "2026-12-04", punches: []string{"in 07:00", "out 18:00"},
			want: core.DayOvertime{Kind: core.OvertimeWorkday}},
		{name: "before start 1: up to a minute before the start", edit: beforeStart(1), date: "2026-12-04", punches: []string{"in 08:00", "out 18:00"},
			want: core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 30}}, // 59 in half hours
		{name: "before start 60: no clock-out counts nothing", edit: beforeStart(60), date: "2026-12-04", punches: []string{"in 07:00"},
			want: core.DayOvertime{Kind: core.OvertimeWorkday}},
		{name: "before start 30 with a flexible start: the scheduled start counts", edit: func(s *core.Schedule) { beforeStart(30)(s); s.FlexibleMin = 30 },
			date: "2026-12-04", punches: []string{"in 07:30", "out 18:30"}, want: core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 60}},
		{name: "before start on a rest day changes nothing", edit: beforeStart(60), date: "2026-12-05", punches: []string{"in 07:00", "out 12:00"},
			want: core.DayOvertime{Kind: core.OvertimeRestDay, Minutes: 300}},
		// A rest-day shift past midnight belongs to the day it started on
		// (overtime_restday.go) and stays open until the next day's
		// check-in opens (07:00 here).
		{name: "rest day past midnight", date: "2026-12-05", punches: []string{"in 20:00", "out +1 02:00"},
			want: core.DayOvertime{Kind: core.OvertimeRestDay, Minutes: 360}},
		{name: "holiday past midnight", date: "2026-12-25", punches: []string{"in 20:00", "out +1 02:00"},
			want: core.DayOvertime{Kind: core.OvertimeHoliday, Minutes: 360}},
		{name: "rest day past midnight: open before the next check-in opens", date: "2026-12-05", punches: []string{"in 20:00", "out +1 02:00"},
			now: sh(t, "2026-12-06 06:59:00"), want: core.DayOvertime{Kind: core.OvertimeRestDay}},
		{name: "rest day past midnight: counted once it opens", date: "2026-12-05", punches: []string{"in 20:00", "out +1 02:00"},
			now: sh(t, "2026-12-06 07:00:00"), want: core.DayOvertime{Kind: core.OvertimeRestDay, Minutes: 360}},
		{name: "night schedule: a rest day past midnight is open until noon", edit: nightShift, date: "2026-12-05", punches: []string{"in 22:00", "out +1 02:00"},
			now: sh(t, "2026-12-06 11:59:00"), want: core.DayOvertime{Kind: core.OvertimeRestDay}},
		{name: "night schedule: counted at noon, not when the next check-in opens", edit: nightShift, date: "2026-12-05", punches: []string{"in 22:00", "out +1 02:00"},
			now: sh(t, "2026-12-06 12:00:00"), want: core.DayOvertime{Kind: core.OvertimeRestDay, Minutes: 240}},
		{name: "rest day: a clock-out before the clock-in is no span", date: "2026-12-05", punches: []string{"in 20:00", "out 19:00"},
			want: core.DayOvertime{Kind: core.OvertimeRestDay}},
		{name: "mode off", edit: func(s *core.Schedule) { s.Overtime.Mode = core.OvertimeOff },
			date: "2026-12-05", punches: []string{"in 10:00", "out 15:45"}, want: core.DayOvertime{}},
		{name: "zero rule is off", edit: func(s *core.Schedule) { s.Overtime = core.OvertimeRule{} },
			date: "2026-12-04", punches: []string{"in 09:00", "out 22:00"}, want: core.DayOvertime{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := otRoster(t, c.edit)
			r.Calendar.Days = append(r.Calendar.Days, c.days...)
			now := c.now
			if now.IsZero() {
				now = later
			}
			day := core.ComputeDay(r, c.date, otPunches(t, c.date, c.punches...), now)
			if got := core.OvertimeOf(r, day, nil, now); got != c.want {
				t.Errorf("OvertimeOf(%s %v) = %+v, want %+v", c.date, c.punches, got, c.want)
			}
		})
	}
}

func TestOvertimeWithoutSchedule(t *testing.T) {
	r := otRoster(t, nil)
	r.Schedule = nil
	now := sh(t, "2027-01-10 12:00:00")
	day := core.ComputeDay(r, "2026-12-05", otPunches(t, "2026-12-05", "in 10:00", "out 15:00"), now)
	if got := core.OvertimeOf(r, day, nil, now); got != (core.DayOvertime{}) {
		t.Errorf("OvertimeOf without a schedule = %+v, want none", got)
	}
}

func TestOvertimeRuleValidation(t *testing.T) {
	base := testOrg()
	cases := []struct {
		name      string
		rule      core.OvertimeRule
		wantPath  string // "" : valid
		wantMode  core.OvertimeMode
		wantMatch string
	}{
		{name: "empty mode is off", rule: core.OvertimeRule{}, wantMode: core.OvertimeOff},
		{name: "punch", rule: core.OvertimeRule{Mode: core.OvertimePunch, StartsAfterMin: 30, MinMin: 30, UnitMin: 30}, wantMode: core.OvertimePunch},
		{name: "unknown mode", rule: core.OvertimeRule{Mode: "always"}, wantPath: "schedules[0].overtime.mode", wantMatch: `must be off, punch, approval or both, not "always"`},
		{name: "negative start", rule: core.OvertimeRule{Mode: core.OvertimePunch, StartsAfterMin: -1}, wantPath: "schedules[0].overtime.starts_after_min", wantMatch: "must be between 0 and 1440 minutes"},
		{name: "min above a day", rule: core.OvertimeRule{Mode: core.OvertimePunch, MinMin: 2000}, wantPath: "schedules[0].overtime.min_min", wantMatch: "must be between 0 and 1440 minutes"},
		{name: "before start", rule: core.OvertimeRule{Mode: core.OvertimePunch, BeforeStartMin: 60}, wantMode: core.OvertimePunch},
		{name: "before start past the check-in window", rule: core.OvertimeRule{Mode: core.OvertimeBoth, BeforeStartMin: 600}, wantPath: "schedules[0].overtime.before_start_min", wantMatch: "must be less than check_in_opens_min"},
		{name: "before start past the check-in window, by approval", rule: core.OvertimeRule{Mode: core.OvertimeApproval, BeforeStartMin: 600}, wantMode: core.OvertimeApproval},
		{name: "negative before start", rule: core.OvertimeRule{Mode: core.OvertimePunch, BeforeStartMin: -1}, wantPath: "schedules[0].overtime.before_start_min", wantMatch: "must be between 0 and 1440 minutes"},
		{name: "negative unit", rule: core.OvertimeRule{Mode: core.OvertimePunch, UnitMin: -30}, wantPath: "schedules[0].overtime.unit_min", wantMatch: "must be between 0 and 1440 minutes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			org := base
			org.Schedules = append([]core.Schedule(nil), base.Schedules...)
			org.Schedules[0].Overtime = c.rule
			err := org.Prepare()
			if c.wantPath == "" {
				if err != nil {
					t.Fatalf("Prepare: %v", err)
				}
				if got := org.Schedules[0].Overtime.Mode; got != c.wantMode {
					t.Errorf("mode = %q, want %q", got, c.wantMode)
				}
				return
			}
			got := ""
			if err != nil {
				got = err.Error()
			}
			if want := c.wantPath + ": " + c.wantMatch; !strings.Contains(got, want) {
				t.Errorf("Prepare error = %q, want it to contain %q", got, want)
			}
		})
	}
}

// TestStatutoryDayValidation: only a holiday can be statutory; a 调休
// working day is worked, so a statutory mark on it is a mistake.
func TestStatutoryDayValidation(t *testing.T) {
	cases := []struct {
		name string
		day  core.CalendarDay
		want string // "": valid
	}{
		{name: "statutory holiday", day: core.CalendarDay{Date: "2027-10-01", Statutory: true, Name: "国庆节"}},
		{name: "holiday of a block", day: core.CalendarDay{Date: "2027-10-04", Name: "国庆节"}},
		{name: "statutory 调休 working day", day: core.CalendarDay{Date: "2027-10-09", Workday: true, Statutory: true},
			want: "2027-10-09 is a 调休 working day, so it cannot be a statutory holiday"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			org := testOrg()
			org.Calendars = append([]core.Calendar(nil), org.Calendars...)
			org.Calendars[0].Days = append(slices.Clone(org.Calendars[0].Days), c.day)
			got := ""
			if err := org.Prepare(); err != nil {
				got = err.Error()
			}
			if c.want == "" && got != "" || !strings.Contains(got, c.want) {
				t.Errorf("Prepare error = %q, want %q", got, c.want)
			}
		})
	}
}

// otRequest is an overtime request of E1 for date from..to (local clocks;
// "+1 02:00" is the next day).
func otRequest(tb testing.TB, date, from, to string, status core.MakeupStatus) core.MakeupRequest {
	tb.Helper()
	at := func(clock string) time.Time {
		p := otPunches(tb, date, "in "+clock)
		return p[0].At
	}
	return core.MakeupRequest{ID: 1, Type: core.RequestOvertime, EmployeeID: "E1", ShiftDate: date, Status: status,
		Start: at(from), End: at(to)}
}

// TestOvertimeByApproval: with mode approval the approved span counts
// (clipped by the same rules), with mode both the part of it that was
// punched (DingTalk's 以审批单为准 and 取交集).
func TestOvertimeByApproval(t *testing.T) {
	later := sh(t, "2027-01-10 12:00:00")
	approval := func(s *core.Schedule) { s.Overtime.Mode = core.OvertimeApproval }
	both := func(s *core.Schedule) { s.Overtime.Mode = core.OvertimeBoth }
	approved := core.MakeupApproved
	cases := []struct {
		name     string
		edit     func(*core.Schedule)
		date     string
		punches  []string
		requests []core.MakeupRequest
		now      time.Time
		want     core.DayOvertime
	}{
		{name: "approval: counted from end+30 without punches", edit: approval, date: "2026-12-04",
			requests: []core.MakeupRequest{otRequest(t, "2026-12-04", "18:00", "21:00", approved)},
			want:     core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 150}},
		{name: "approval: punches do not matter", edit: approval, date: "2026-12-04", punches: []string{"in 09:00", "out 19:00"},
			requests: []core.MakeupRequest{otRequest(t, "2026-12-04", "18:00", "21:00", approved)},
			want:     core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 150}},
		{name: "approval: a span not yet over counts nothing", edit: approval, date: "2026-12-04",
			requests: []core.MakeupRequest{otRequest(t, "2026-12-04", "18:00", "21:00", approved)}, now: sh(t, "2026-12-04 20:00:00"),
			want: core.DayOvertime{Kind: core.OvertimeWorkday}},
		{name: "approval: pending and rejected do not count", edit: approval, date: "2026-12-04",
			requests: []core.MakeupRequest{otRequest(t, "2026-12-04", "18:00", "21:00", core.MakeupPending), otRequest(t, "2026-12-04", "18:00", "22:00", core.MakeupRejected)},
			want:     core.DayOvertime{Kind: core.OvertimeWorkday}},
		{name: "approval: another date's and another person's do not count", edit: approval, date: "2026-12-04",
			requests: func() []core.MakeupRequest {
				other := otRequest(t, "2026-12-04", "18:00", "21:00", approved)
				other.EmployeeID = "E2"
				return []core.MakeupRequest{other, otRequest(t, "2026-12-03", "18:00", "21:00", approved)}
			}(),
			want: core.DayOvertime{Kind: core.OvertimeWorkday}},
		{name: "approval: two spans add up before rounding", edit: approval, date: "2026-12-04",
			requests: []core.MakeupRequest{otRequest(t, "2026-12-04", "18:30", "19:10", approved), otRequest(t, "2026-12-04", "20:00", "20:50", approved)},
			want:     core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 90}},
		{name: "approval: past midnight", edit: approval, date: "2026-12-04",
			requests: []core.MakeupRequest{otRequest(t, "2026-12-04", "20:00", "+1 02:00", approved)},
			want:     core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 360}},
		{name: "approval: a flexible late start moves the window", edit: func(s *core.Schedule) { approval(s); s.FlexibleMin = 30 }, date: "2026-12-04",
			punches:  []string{"in 09:20", "out 18:20"},
			requests: []core.MakeupRequest{otRequest(t, "2026-12-04", "18:00", "21:00", approved)},
			want:     core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 120}},
		{name: "approval: rest day, the whole span", edit: approval, date: "2026-12-05",
			requests: []core.MakeupRequest{otRequest(t, "2026-12-05", "10:00", "14:10", approved)},
			want:     core.DayOvertime{Kind: core.OvertimeRestDay, Minutes: 240}},
		{name: "approval: holiday", edit: approval, date: "2026-12-25",
			requests: []core.MakeupRequest{otRequest(t, "2026-12-25", "09:00", "12:00", approved)},
			want:     core.DayOvertime{Kind: core.OvertimeHoliday, Minutes: 180}},
		{name: "both: left before the approved end", edit: both, date: "2026-12-04", punches: []string{"in 09:00", "out 20:00"},
			requests: []core.MakeupRequest{otRequest(t, "2026-12-04", "18:00", "21:00", approved)},
			want:     core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 90}},
		{name: "both: stayed past the approved end", edit: both, date: "2026-12-04", punches: []string{"in 09:00", "out 22:00"},
			requests: []core.MakeupRequest{otRequest(t, "2026-12-04", "18:00", "21:00", approved)},
			want:     core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 150}},
		{name: "both: no clock-out", edit: both, date: "2026-12-04", punches: []string{"in 09:00"},
			requests: []core.MakeupRequest{otRequest(t, "2026-12-04", "18:00", "21:00", approved)},
			want:     core.DayOvertime{Kind: core.OvertimeWorkday}},
		{name: "both: punched without approval", edit: both, date: "2026-12-04", punches: []string{"in 09:00", "out 22:00"},
			want: core.DayOvertime{Kind: core.OvertimeWorkday}},
		{name: "both: rest day, approved morning, punched from noon", edit: both, date: "2026-12-05", punches: []string{"in 12:00", "out 17:00"},
			requests: []core.MakeupRequest{otRequest(t, "2026-12-05", "09:00", "15:00", approved)},
			want:     core.DayOvertime{Kind: core.OvertimeRestDay, Minutes: 180}},
		{name: "approval: before the shift with before_start_min 60", edit: func(s *core.Schedule) { approval(s); beforeStart(60)(s) }, date: "2026-12-04",
			requests: []core.MakeupRequest{otRequest(t, "2026-12-04", "06:30", "08:30", approved)},
			want:     core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 90}},
		{name: "approval: before the shift without before_start_min", edit: approval, date: "2026-12-04",
			requests: []core.MakeupRequest{otRequest(t, "2026-12-04", "06:30", "08:30", approved)},
			want:     core.DayOvertime{Kind: core.OvertimeWorkday}},
		{name: "approval: morning and evening add up", edit: func(s *core.Schedule) { approval(s); beforeStart(60)(s) }, date: "2026-12-04",
			requests: []core.MakeupRequest{otRequest(t, "2026-12-04", "07:00", "08:00", approved), otRequest(t, "2026-12-04", "18:30", "19:00", approved)},
			want:     core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 90}},
		{name: "both: before the shift, as far as punched", edit: func(s *core.Schedule) { both(s); beforeStart(60)(s) }, date: "2026-12-04",
			punches:  []string{"in 07:00", "out 18:00"},
			requests: []core.MakeupRequest{otRequest(t, "2026-12-04", "06:00", "08:30", approved)},
			want:     core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 60}},
		{name: "approval: rest day past midnight", edit: approval, date: "2026-12-05",
			requests: []core.MakeupRequest{otRequest(t, "2026-12-05", "20:00", "+1 02:00", approved)},
			want:     core.DayOvertime{Kind: core.OvertimeRestDay, Minutes: 360}},
		{name: "both: rest day past midnight", edit: both, date: "2026-12-05", punches: []string{"in 20:00", "out +1 02:00"},
			requests: []core.MakeupRequest{otRequest(t, "2026-12-05", "20:00", "+1 02:00", approved)},
			want:     core.DayOvertime{Kind: core.OvertimeRestDay, Minutes: 360}},
		{name: "punch: approvals do not count", date: "2026-12-04", punches: []string{"in 09:00", "out 18:00"},
			requests: []core.MakeupRequest{otRequest(t, "2026-12-04", "18:00", "21:00", approved)},
			want:     core.DayOvertime{Kind: core.OvertimeWorkday}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := otRoster(t, c.edit)
			now := c.now
			if now.IsZero() {
				now = later
			}
			day := core.ComputeDay(r, c.date, otPunches(t, c.date, c.punches...), now)
			if got := core.OvertimeOf(r, day, c.requests, now); got != c.want {
				t.Errorf("OvertimeOf(%s %v) = %+v, want %+v", c.date, c.punches, got, c.want)
			}
		})
	}
}

// newOvertimeHarness is newLeaveHarness with overtime of the day schedule
// in mode (30 after the end, at least 30, half hours).
func newOvertimeHarness(tb testing.TB, mode core.OvertimeMode) makeupHarness {
	tb.Helper()
	return newOvertimeHarnessWith(tb, core.OvertimeRule{Mode: mode, StartsAfterMin: 30, MinMin: 30, UnitMin: 30})
}

// newOvertimeHarnessWith is newLeaveHarness with the day schedule's
// overtime rule set to rule.
func newOvertimeHarnessWith(tb testing.TB, rule core.OvertimeRule) makeupHarness {
	tb.Helper()
	return newLeaveHarnessWith(tb, func(o *core.Org) { o.Schedules[0].Overtime = rule })
}

// TestOvertimeRequests: filing 加班 through the approval engine.
func TestOvertimeRequests(t *testing.T) {
	ot := func(from, start, end string) core.LeaveArgs {
		return core.LeaveArgs{Type: core.RequestOvertime, From: from, StartClock: start, EndClock: end, Reason: "上线"}
	}
	tests := []struct {
		name       string
		mode       core.OvertimeMode
		beforeMin  int              // before_start_min (上班前加班)
		before     []core.LeaveArgs // filed and approved first
		args       core.LeaveArgs
		rule       string
		problem    string
		start, end string // want, in Asia/Shanghai
		minutes    int
	}{
		{name: "an evening", mode: core.OvertimeApproval, args: ot("12-03", "18:00", "21:00"),
			start: "2026-12-03 18:00", end: "2026-12-03 21:00", minutes: 150},
		{name: "today", mode: core.OvertimeBoth, args: ot("today", "19:00", "21:00"),
			start: "2026-12-02 19:00", end: "2026-12-02 21:00", minutes: 120},
		{name: "past midnight", mode: core.OvertimeApproval, args: ot("12-03", "20:00", "02:00"),
			start: "2026-12-03 20:00", end: "2026-12-04 02:00", minutes: 360},
		{name: "a Saturday", mode: core.OvertimeApproval, args: ot("12-05", "10:00", "16:00"),
			start: "2026-12-05 10:00", end: "2026-12-05 16:00", minutes: 360},
		{name: "within the shift", mode: core.OvertimeApproval, args: ot("12-03", "10:00", "12:00"), rule: core.OvertimeNoTime},
		{name: "before the shift without before_start_min", mode: core.OvertimeApproval, args: ot("12-03", "06:30", "08:30"), rule: core.OvertimeNoTime},
		{name: "before the shift with before_start_min 60", mode: core.OvertimeApproval, beforeMin: 60, args: ot("12-03", "06:30", "08:30"),
			start: "2026-12-03 06:30", end: "2026-12-03 08:30", minutes: 90},
		{name: "before the shift, but after start less before_start_min", mode: core.OvertimeBoth, beforeMin: 60, args: ot("12-03", "08:10", "09:00"),
			rule: core.OvertimeNoTime},
		{name: "a Saturday night past midnight", mode: core.OvertimeApproval, args: ot("12-05", "20:00", "02:00"),
			start: "2026-12-05 20:00", end: "2026-12-06 02:00", minutes: 360},
		{name: "ending before end+30", mode: core.OvertimeApproval, args: ot("12-03", "17:00", "18:30"), rule: core.OvertimeNoTime},
		{name: "no clocks", mode: core.OvertimeApproval, args: core.LeaveArgs{Type: core.RequestOvertime, From: "12-03"}, rule: core.MakeupInvalid, problem: core.ProblemTime},
		{name: "two dates", mode: core.OvertimeApproval, args: core.LeaveArgs{Type: core.RequestOvertime, From: "12-03", To: "12-04", StartClock: "18:00", EndClock: "21:00"},
			rule: core.MakeupInvalid, problem: core.ProblemDate},
		{name: "past midnight, twelve hours", mode: core.OvertimeApproval, args: ot("12-05", "20:00", "08:00"),
			start: "2026-12-05 20:00", end: "2026-12-06 08:00", minutes: 720},
		{name: "past midnight, more than twelve hours", mode: core.OvertimeApproval, args: ot("12-03", "22:00", "17:00"), rule: core.MakeupInvalid, problem: core.ProblemTime},
		{name: "counted by punch", mode: core.OvertimePunch, args: ot("12-03", "18:00", "21:00"), rule: core.OvertimeNotByApproval},
		{name: "counted by punch, typed alone", mode: core.OvertimePunch, args: core.LeaveArgs{Type: core.RequestOvertime, Problem: "usage"}, rule: core.OvertimeNotByApproval},
		{name: "overtime off", mode: core.OvertimeOff, args: ot("12-03", "18:00", "21:00"), rule: core.OvertimeNotByApproval},
		{name: "overlapping approved overtime", mode: core.OvertimeApproval, before: []core.LeaveArgs{ot("12-03", "18:00", "20:00")},
			args: ot("12-03", "19:00", "22:00"), rule: core.LeaveOverlap},
		{name: "after a half day of leave", mode: core.OvertimeApproval,
			before: []core.LeaveArgs{{Type: core.RequestLeave, From: "12-03", StartClock: "09:00", EndClock: "12:00", LeaveType: "sick"}},
			args:   ot("12-03", "18:00", "20:00"), start: "2026-12-03 18:00", end: "2026-12-03 20:00", minutes: 90},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newOvertimeHarnessWith(t, core.OvertimeRule{Mode: tc.mode, StartsAfterMin: 30, MinMin: 30, UnitMin: 30, BeforeStartMin: tc.beforeMin})
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
				return
			}
			if err != nil {
				t.Fatalf("RequestLeave: %v", err)
			}
			const layout = "2006-01-02 15:04"
			loc := h.roster(t, "E1").Zone()
			if got, want := v.Request.Start.In(loc).Format(layout)+" – "+v.Request.End.In(loc).Format(layout), tc.start+" – "+tc.end; got != want {
				t.Errorf("period %s, want %s", got, want)
			}
			if v.Request.Type != core.RequestOvertime || v.Request.Status != core.MakeupPending || v.Request.ApproverID != "M1" {
				t.Errorf("request %+v, want pending overtime with M1", v.Request)
			}
			if v.Leave == nil || v.Leave.Minutes != tc.minutes {
				t.Errorf("view %+v, want %d minutes", v.Leave, tc.minutes)
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

// TestApprovedOvertimeInTheMonth: approved overtime is audited and reaches
// the monthly report by category; rejected overtime does not.
func TestApprovedOvertimeInTheMonth(t *testing.T) {
	h := newOvertimeHarness(t, core.OvertimeApproval)
	ctx := context.Background()
	file := func(date, start, end string) core.MakeupView {
		return h.mustLeave(t, "E1", core.LeaveArgs{Type: core.RequestOvertime, From: date, StartClock: start, EndClock: end, Reason: "发布"})
	}
	h.MustDecide(t, file("12-03", "18:00", "21:00").Request.ID, core.MakeupApproved, "M1") // workday 150
	h.MustDecide(t, file("12-05", "10:00", "14:00").Request.ID, core.MakeupApproved, "M1") // Saturday 240
	h.MustDecide(t, file("2027-01-01", "09:00", "12:00").Request.ID, core.MakeupApproved, "H1")
	h.MustDecide(t, file("12-07", "18:00", "22:00").Request.ID, core.MakeupRejected, "M1")
	audits, err := h.store.FindAudit(ctx, core.AuditFilter{Action: "overtime.approved"})
	if err != nil || len(audits) != 3 || audits[0].Subject != "E1" || !strings.Contains(audits[0].Detail, `"type":"overtime"`) {
		t.Errorf("overtime.approved audit = %+v, %v; want 3 entries about E1", audits, err)
	}
	now := sh(t, "2027-01-05 09:00:00")
	for _, c := range []struct {
		month                     string
		workday, restDay, holiday int
	}{{"2026-12", 150, 240, 0}, {"2027-01", 0, 0, 180}} {
		rep, err := core.BuildMonthlyReport(ctx, h.store, c.month, core.ScopeAll(), now)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(rep.Rows, func(r core.MonthlyRow) bool { return r.EmployeeID == "E1" })
		if i < 0 {
			t.Fatalf("%s: no row of E1", c.month)
		}
		r := rep.Rows[i]
		if r.OvertimeWorkdayMin != c.workday || r.OvertimeRestDayMin != c.restDay || r.OvertimeHolidayMin != c.holiday {
			t.Errorf("%s: overtime %d/%d/%d, want %d/%d/%d", c.month, r.OvertimeWorkdayMin, r.OvertimeRestDayMin, r.OvertimeHolidayMin, c.workday, c.restDay, c.holiday)
		}
	}
}

// TestPendingOvertimeIsPending: an overtime request waiting for a decision
// marks its day pending, as a pending leave does; once approved it changes
// no verdict of the day.
func TestPendingOvertimeIsPending(t *testing.T) {
	r := otRoster(t, func(s *core.Schedule) { s.Overtime.Mode = core.OvertimeApproval })
	now := sh(t, "2027-01-10 12:00:00")
	punches := otPunches(t, "2026-12-04", "in 09:00", "out 18:00")
	for _, c := range []struct {
		status core.MakeupStatus
		want   []core.DayStatus
	}{
		{core.MakeupPending, []core.DayStatus{core.DayPendingApproval}},
		{core.MakeupApproved, []core.DayStatus{core.DayNormal}},
	} {
		day := core.ComputeDayWith(r, "2026-12-04", punches, []core.MakeupRequest{otRequest(t, "2026-12-04", "18:00", "21:00", c.status)}, now)
		if !slices.Equal(day.Statuses, c.want) {
			t.Errorf("%s overtime: statuses %v, want %v", c.status, day.Statuses, c.want)
		}
	}
}
