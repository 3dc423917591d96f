package core_test

import (
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

func TestOvertimeOf(t *testing.T) {
	later := sh(t, "2027-01-10 12:00:00")
	cases := []struct {
		name    string
		edit    func(*core.Schedule)
		date    string
		punches []string
		now     time.Time // zero: later
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
		{name: "调休 Sunday is a working day", date: "2026-12-27", punches: []string{"in 09:00", "out 20:00"},
			want: core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 90}},
		{name: "today: the punch window is still open", date: "2026-12-04", punches: []string{"in 09:00", "out 20:00"},
			now: sh(t, "2026-12-04 21:00:00"), want: core.DayOvertime{Kind: core.OvertimeWorkday}},
		{name: "today: counted once the window closed", date: "2026-12-04", punches: []string{"in 09:00", "out 20:00"},
			now: sh(t, "2026-12-05 02:00:00"), want: core.DayOvertime{Kind: core.OvertimeWorkday, Minutes: 90}},
		{name: "rest day: open until the local date ends", date: "2026-12-05", punches: []string{"in 10:00", "out 15:45"},
			now: sh(t, "2026-12-05 23:59:00"), want: core.DayOvertime{Kind: core.OvertimeRestDay}},
		{name: "mode off", edit: func(s *core.Schedule) { s.Overtime.Mode = core.OvertimeOff },
			date: "2026-12-05", punches: []string{"in 10:00", "out 15:45"}, want: core.DayOvertime{}},
		{name: "zero rule is off", edit: func(s *core.Schedule) { s.Overtime = core.OvertimeRule{} },
			date: "2026-12-04", punches: []string{"in 09:00", "out 22:00"}, want: core.DayOvertime{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := otRoster(t, c.edit)
			now := c.now
			if now.IsZero() {
				now = later
			}
			day := core.ComputeDay(r, c.date, otPunches(t, c.date, c.punches...), now)
			if got := core.OvertimeOf(r, day, now); got != c.want {
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
	if got := core.OvertimeOf(r, day, now); got != (core.DayOvertime{}) {
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
		{name: "unknown mode", rule: core.OvertimeRule{Mode: "always"}, wantPath: "schedules[0].overtime.mode", wantMatch: `must be off or punch, not "always"`},
		{name: "negative start", rule: core.OvertimeRule{Mode: core.OvertimePunch, StartsAfterMin: -1}, wantPath: "schedules[0].overtime.starts_after_min", wantMatch: "must be between 0 and 1440 minutes"},
		{name: "min above a day", rule: core.OvertimeRule{Mode: core.OvertimePunch, MinMin: 2000}, wantPath: "schedules[0].overtime.min_min", wantMatch: "must be between 0 and 1440 minutes"},
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
