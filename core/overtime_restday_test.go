package core_test

import (
	"context"
	"slices"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestRestDayShiftPastMidnight: a punch after midnight that closes the
// open clock-in of a rest day (or holiday) belongs to that day, as the
// clock-out of an overnight shift belongs to the day the shift started;
// the day then counts the whole stint as rest-day overtime. The day
// schedule is 09:00–18:00 with check-in opening 120 minutes early, so the
// rest day stays open until 07:00 the next morning. In leaveOrg Saturday
// 2026-12-05 is followed by the 调休 working Sunday 12-06, and 12-12/12-13
// is an ordinary weekend.
func TestRestDayShiftPastMidnight(t *testing.T) {
	type step struct {
		kind core.PunchKind
		at   string
	}
	cases := []struct {
		name      string
		edit      func(*core.Schedule) // the day schedule, if changed
		steps     []step
		wantDate  string         // the last punch's shift date
		wantKind  core.PunchKind // and direction
		otDate    string         // the date whose overtime is checked
		wantOT    core.DayOvertime
		wantOther string // a date that must hold no punch ("": none checked)
	}{
		{name: "Saturday 20:00 to Sunday 02:00, an explicit clock-out",
			steps:    []step{{core.KindIn, "2026-12-12 20:00:00"}, {core.KindOut, "2026-12-13 02:00:00"}},
			wantDate: "2026-12-12", wantKind: core.KindOut, otDate: "2026-12-12",
			wantOT: core.DayOvertime{Kind: core.OvertimeRestDay, Minutes: 360}, wantOther: "2026-12-13"},
		{name: "Saturday 20:00 to Sunday 02:00, an automatic punch",
			steps:    []step{{core.KindIn, "2026-12-12 20:00:00"}, {core.KindAuto, "2026-12-13 02:00:00"}},
			wantDate: "2026-12-12", wantKind: core.KindOut, otDate: "2026-12-12",
			wantOT: core.DayOvertime{Kind: core.OvertimeRestDay, Minutes: 360}, wantOther: "2026-12-13"},
		{name: "into a 调休 working Sunday, before its window opens",
			steps:    []step{{core.KindIn, "2026-12-05 20:00:00"}, {core.KindAuto, "2026-12-06 02:00:00"}},
			wantDate: "2026-12-05", wantKind: core.KindOut, otDate: "2026-12-05",
			wantOT: core.DayOvertime{Kind: core.OvertimeRestDay, Minutes: 360}, wantOther: "2026-12-06"},
		{name: "a later clock-out replaces the first",
			steps:    []step{{core.KindIn, "2026-12-12 20:00:00"}, {core.KindOut, "2026-12-12 23:00:00"}, {core.KindOut, "2026-12-13 01:30:00"}},
			wantDate: "2026-12-12", wantKind: core.KindOut, otDate: "2026-12-12",
			wantOT: core.DayOvertime{Kind: core.OvertimeRestDay, Minutes: 330}},
		{name: "an explicit clock-in after midnight starts the new day",
			steps:    []step{{core.KindIn, "2026-12-12 20:00:00"}, {core.KindIn, "2026-12-13 02:00:00"}},
			wantDate: "2026-12-13", wantKind: core.KindIn, otDate: "2026-12-12",
			wantOT: core.DayOvertime{Kind: core.OvertimeRestDay}},
		{name: "without a clock-in on Saturday the punch is Sunday's",
			steps:    []step{{core.KindAuto, "2026-12-13 02:00:00"}},
			wantDate: "2026-12-13", wantKind: core.KindIn, otDate: "2026-12-12",
			wantOT: core.DayOvertime{Kind: core.OvertimeRestDay}},
		{name: "once the next check-in could open, the punch is Sunday's",
			steps:    []step{{core.KindIn, "2026-12-12 20:00:00"}, {core.KindAuto, "2026-12-13 07:00:00"}},
			wantDate: "2026-12-13", wantKind: core.KindIn, otDate: "2026-12-12",
			wantOT: core.DayOvertime{Kind: core.OvertimeRestDay}},
		{name: "night schedule: Saturday 22:00 to Sunday 02:00", edit: nightShift,
			steps:    []step{{core.KindIn, "2026-12-12 22:00:00"}, {core.KindAuto, "2026-12-13 02:00:00"}},
			wantDate: "2026-12-12", wantKind: core.KindOut, otDate: "2026-12-12",
			wantOT: core.DayOvertime{Kind: core.OvertimeRestDay, Minutes: 240}, wantOther: "2026-12-13"},
		{name: "night schedule: a Sunday-afternoon punch after a forgotten clock-out starts Sunday", edit: nightShift,
			steps:    []step{{core.KindIn, "2026-12-12 22:00:00"}, {core.KindAuto, "2026-12-13 15:00:00"}},
			wantDate: "2026-12-13", wantKind: core.KindIn, otDate: "2026-12-12",
			wantOT: core.DayOvertime{Kind: core.OvertimeRestDay}},
		{name: "a workday's late check-out past its window stays where it was",
			steps:    []step{{core.KindIn, "2026-12-11 09:00:00"}, {core.KindOut, "2026-12-12 01:00:00"}},
			wantDate: "2026-12-12", wantKind: core.KindOut, otDate: "2026-12-11",
			wantOT: core.DayOvertime{Kind: core.OvertimeWorkday}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newLeaveHarnessWith(t, func(o *core.Org) {
				o.Schedules[0].Overtime = core.OvertimeRule{Mode: core.OvertimePunch, StartsAfterMin: 30, MinMin: 30, UnitMin: 30}
				if c.edit != nil {
					c.edit(&o.Schedules[0])
				}
			})
			var last core.Reply
			for _, s := range c.steps {
				last = h.punch(t, "zhangsan", s.kind, sh(t, s.at), north(office, 20), "")
				if last.Outcome != core.OutcomeAccepted {
					t.Fatalf("punch %s at %s: %s %v, want accepted", s.kind, s.at, last.Outcome, last.Reasons)
				}
			}
			if last.ShiftDate != c.wantDate || last.Kind != c.wantKind {
				t.Errorf("last punch: %s on %s, want %s on %s", last.Kind, last.ShiftDate, c.wantKind, c.wantDate)
			}
			ps := h.punches(t, "E1")
			if c.wantOther != "" {
				if i := slices.IndexFunc(ps, func(p core.Punch) bool { return p.ShiftDate == c.wantOther }); i >= 0 {
					t.Errorf("punch %+v on %s, want none", ps[i], c.wantOther)
				}
			}
			now := sh(t, "2027-01-10 12:00:00")
			r := h.roster(t, "E1")
			day := core.ComputeDayWith(r, c.otDate, ps, nil, now)
			if got := core.OvertimeOf(r, day, nil, now); got != c.wantOT {
				t.Errorf("overtime of %s = %+v, want %+v", c.otDate, got, c.wantOT)
			}
		})
	}
}

// TestHolidayStatusAgreesWithOvertime: a calendar holiday is a holiday in
// the day's status whether or not it has a name, as the overtime category
// takes it (a name is a label; the entry and its statutory mark decide).
// In a year that marks its statutory days, an unmarked day off of a
// holiday block is a holiday to the status (the calendar gives it off) and
// rest-day overtime to payroll (劳动法 第四十四条), named or not.
func TestHolidayStatusAgreesWithOvertime(t *testing.T) {
	now := sh(t, "2028-01-10 12:00:00")
	cases := []struct {
		name       string
		date       string
		days       []core.CalendarDay
		wantStatus core.DayStatus
		unpunched  core.DayStatus // without punches, if not wantStatus
		wantKind   core.OvertimeKind
	}{
		{name: "unnamed holiday", date: "2026-12-24", days: []core.CalendarDay{{Date: "2026-12-24"}},
			wantStatus: core.DayHoliday, wantKind: core.OvertimeHoliday},
		{name: "named holiday", date: "2026-12-25", wantStatus: core.DayHoliday, wantKind: core.OvertimeHoliday},
		{name: "unnamed statutory holiday", date: "2027-10-01", days: []core.CalendarDay{{Date: "2027-10-01", Statutory: true}},
			wantStatus: core.DayHoliday, wantKind: core.OvertimeHoliday},
		{name: "unnamed day off in a year with statutory marks", date: "2027-10-04",
			days:       []core.CalendarDay{{Date: "2027-10-01", Statutory: true}, {Date: "2027-10-04"}},
			wantStatus: core.DayHoliday, wantKind: core.OvertimeRestDay},
		{name: "a weekend is a rest day", date: "2026-12-05", wantStatus: core.DayRest, wantKind: core.OvertimeRestDay},
		{name: "an unnamed 调休 working day is worked", date: "2026-12-26", days: []core.CalendarDay{{Date: "2026-12-26", Workday: true}},
			wantStatus: core.DayNormal, unpunched: core.DayAbsent, wantKind: core.OvertimeWorkday},
	}
	for _, c := range cases {
		for _, punched := range []bool{false, true} {
			name := c.name + ", no punches"
			if punched {
				name = c.name + ", punched"
			}
			t.Run(name, func(t *testing.T) {
				r := otRoster(t, nil)
				r.Calendar.Days = append(r.Calendar.Days, c.days...)
				var punches []core.Punch
				want := c.wantStatus
				if punched {
					punches = otPunches(t, c.date, "in 09:00", "out 18:00")
				} else if c.unpunched != "" {
					want = c.unpunched
				}
				day := core.ComputeDayWith(r, c.date, punches, nil, now)
				ot := core.OvertimeOf(r, day, nil, now)
				if len(day.Statuses) == 0 || day.Statuses[0] != want || ot.Kind != c.wantKind {
					t.Errorf("%s (punched %v): statuses %v, overtime %s; want %s and %s", c.date, punched, day.Statuses, ot.Kind, want, c.wantKind)
				}
			})
		}
	}
}

// TestStatusAfterMidnightOfARestDay: 状态 in the small hours shows the rest
// day a clock-out would still close, and the new day once it would not.
func TestStatusAfterMidnightOfARestDay(t *testing.T) {
	cases := []struct {
		name     string
		steps    []string // clock-in, then any clock-out, shanghai times
		at       string   // of the status
		wantDate string
	}{
		{name: "open Saturday stint at 01:00", steps: []string{"2026-12-12 20:00:00"}, at: "2026-12-13 01:00:00", wantDate: "2026-12-12"},
		{name: "closed Saturday stint at 01:00", steps: []string{"2026-12-12 20:00:00", "2026-12-13 00:30:00"}, at: "2026-12-13 01:00:00", wantDate: "2026-12-12"},
		{name: "no Saturday clock-in", at: "2026-12-13 01:00:00", wantDate: "2026-12-13"},
		{name: "once the next check-in could open", steps: []string{"2026-12-12 20:00:00"}, at: "2026-12-13 07:00:00", wantDate: "2026-12-13"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newLeaveHarnessWith(t, func(o *core.Org) {
				o.Schedules[0].Overtime = core.OvertimeRule{Mode: core.OvertimePunch, StartsAfterMin: 30, MinMin: 30, UnitMin: 30}
			})
			for i, at := range c.steps {
				kind := core.KindIn
				if i > 0 {
					kind = core.KindOut
				}
				if r := h.punch(t, "zhangsan", kind, sh(t, at), north(office, 20), ""); r.Outcome != core.OutcomeAccepted {
					t.Fatalf("punch %s at %s: %s %v", kind, at, r.Outcome, r.Reasons)
				}
			}
			h.clock.Set(sh(t, c.at))
			st, err := h.svc.Handle(context.Background(), core.Command{Actor: core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"}, Kind: core.CmdStatus, EventID: "st"})
			if err != nil {
				t.Fatal(err)
			}
			if st.ShiftDate != c.wantDate || st.Day == nil || st.Day.Date != c.wantDate {
				t.Errorf("status at %s: shift date %s (day %+v), want %s", c.at, st.ShiftDate, st.Day, c.wantDate)
			}
		})
	}
}

// TestPunchOnAnUnnamedHoliday: the punch's reason says holiday for any day
// the calendar gives off, as the day status does.
func TestPunchOnAnUnnamedHoliday(t *testing.T) {
	h := newLeaveHarnessWith(t, func(o *core.Org) {
		o.Calendars[0].Days = append(o.Calendars[0].Days, core.CalendarDay{Date: "2026-12-24"})
	})
	for _, c := range []struct{ at, want string }{
		{"2026-12-24 10:00:00", core.ReasonHoliday}, // an unnamed calendar holiday, a Thursday
		{"2026-12-12 10:00:00", core.ReasonRestDay}, // a Saturday
	} {
		r := h.punch(t, "zhangsan", core.KindIn, sh(t, c.at), north(office, 20), "")
		if !slices.Contains(r.Reasons, c.want) {
			t.Errorf("punch at %s: reasons %v, want %s", c.at, r.Reasons, c.want)
		}
	}
}
