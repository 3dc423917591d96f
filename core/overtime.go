package core

import "time"

// OvertimeMode says where a schedule's overtime (加班) comes from, after
// DingTalk's ot_info_v2 calculation modes (RULES-REFERENCE.md §2.2).
type OvertimeMode string

// Overtime modes. Off is the default: the organisation file must ask for
// overtime before payroll sees any.
const (
	OvertimeOff   OvertimeMode = "off"
	OvertimePunch OvertimeMode = "punch" // 以打卡为准: the punched span counts
)

// OvertimeRule is a schedule's overtime rule. The thresholds follow
// frappe/hrms #4194 (overtime counts only after the shift's end, plus a
// tolerance, like Odoo's overtime_company_threshold) and DingTalk's
// rounding (a minimum and whole units, rounded down).
type OvertimeRule struct {
	Mode OvertimeMode
	// StartsAfterMin: on a working day overtime counts from this long
	// after the (flexible) end of the shift; staying a few minutes to wrap
	// up is not overtime.
	StartsAfterMin int
	// MinMin: a day's overtime below this is 0.
	MinMin int
	// UnitMin: what is left is rounded down to whole units of this many
	// minutes; 0 or 1 keeps every minute.
	UnitMin int
}

// Overtime defaults, applied by the organisation file to every omitted
// field: half an hour after the end, at least half an hour, in half hours
// (DingTalk's out-of-the-box overtime rule).
const (
	DefaultOvertimeStartsAfterMin = 30
	DefaultOvertimeMinMin         = 30
	DefaultOvertimeUnitMin        = 30
)

// DefaultOvertimeRule is the rule of a schedule that says nothing about
// overtime: off, with the default thresholds.
func DefaultOvertimeRule() OvertimeRule {
	return OvertimeRule{Mode: OvertimeOff, StartsAfterMin: DefaultOvertimeStartsAfterMin,
		MinMin: DefaultOvertimeMinMin, UnitMin: DefaultOvertimeUnitMin}
}

// OvertimeMode returns the schedule's overtime mode; no schedule and "" are
// off (as Mode does for punch modes).
func (s *Schedule) OvertimeMode() OvertimeMode {
	if s == nil || s.Overtime.Mode == "" {
		return OvertimeOff
	}
	return s.Overtime.Mode
}

// On reports whether the rule computes any overtime.
func (o OvertimeRule) On() bool { return o.Mode != "" && o.Mode != OvertimeOff }

// ValidOvertimeMode reports whether m names an overtime mode ("" is off).
func ValidOvertimeMode(m OvertimeMode) bool {
	return m == "" || m == OvertimeOff || m == OvertimePunch
}

// overtimeModes lists the modes for validation messages.
const overtimeModes = "off or punch"

// validate fills the mode's default and reports problems under path
// ("schedules[0].overtime") through add, as Org.Prepare does.
func (o *OvertimeRule) validate(path string, add func(path, format string, args ...any)) {
	if o.Mode == "" {
		o.Mode = OvertimeOff
	}
	if !ValidOvertimeMode(o.Mode) {
		add(path+".mode", "must be %s, not %q", overtimeModes, o.Mode)
	}
	for _, v := range []struct {
		name string
		val  int
	}{{"starts_after_min", o.StartsAfterMin}, {"min_min", o.MinMin}, {"unit_min", o.UnitMin}} {
		if v.val < 0 || v.val > 24*60 {
			add(path+"."+v.name, "must be between 0 and 1440 minutes")
		}
	}
}

// OvertimeKind is the payroll category of a day's overtime: Chinese labour
// law pays workday overtime at 150%, rest-day overtime at 200% (or time
// off) and statutory-holiday overtime at 300%, so the three are summed
// apart.
type OvertimeKind string

// Overtime kinds. A rest day is a weekly day off of the schedule; a
// holiday is a date the calendar lists under holidays; a 调休 working day
// (calendar workdays) is a working day.
const (
	OvertimeWorkday OvertimeKind = "workday"
	OvertimeRestDay OvertimeKind = "rest_day"
	OvertimeHoliday OvertimeKind = "holiday"
)

// DayOvertime is the overtime of one shift date.
type DayOvertime struct {
	Kind    OvertimeKind // the day's category, set even when Minutes is 0
	Minutes int          // after the minimum and the rounding
}

// OvertimeOf computes the overtime of a day (its result from ComputeDay)
// under the roster's schedule, in the employee's zone with the holiday
// calendar:
//
//   - on a working day (a 调休 day included), from the flexible end of the
//     shift plus StartsAfterMin to the counted clock-out;
//   - on a rest day or a holiday, from the counted clock-in to the counted
//     clock-out;
//
// then MinMin and UnitMin apply. A day that is still open counts nothing:
// without a clock-out, or while its punch window (a rest day: the local
// date) has not closed, since a later clock-out would replace the counted
// one. Without a schedule, or with overtime off, it is zero.
func OvertimeOf(r Roster, day DayResult, now time.Time) DayOvertime {
	s := r.Schedule
	if s == nil || !s.Overtime.On() {
		return DayOvertime{}
	}
	loc := r.Zone()
	date, err := time.ParseInLocation(DateLayout, day.Date, loc)
	if err != nil {
		return DayOvertime{}
	}
	sh := s.ShiftOn(date, loc, r.Calendar)
	res := DayOvertime{Kind: OvertimeWorkday}
	switch {
	case !sh.Workday && sh.Holiday != "":
		res.Kind = OvertimeHoliday
	case !sh.Workday:
		res.Kind = OvertimeRestDay
	}
	punched, ok := punchedOvertime(s, sh, date, day, now)
	if !ok {
		return res
	}
	res.Minutes = s.Overtime.round(punched.minutes())
	return res
}

// punchedOvertime is the overtime span the punches show, and false while
// the day is open or when they show none.
func punchedOvertime(s *Schedule, sh Shift, date time.Time, day DayResult, now time.Time) (span, bool) {
	if day.Out == nil {
		return span{}, false
	}
	// Minute resolution, as lateness and early leave are counted.
	out := day.Out.At.Truncate(time.Minute)
	if !sh.Workday {
		if day.In == nil || now.Before(date.AddDate(0, 0, 1)) {
			return span{}, false
		}
		sp := span{day.In.At.Truncate(time.Minute), out}
		return sp, sp.from.Before(sp.to)
	}
	if now.Before(sh.Closes) {
		return span{}, false
	}
	var in time.Time
	if day.In != nil {
		in = day.In.At
	}
	// A flexible (弹性) start moves the end, so overtime starts later too.
	from := s.RequiredEnd(sh, in).Add(time.Duration(s.Overtime.StartsAfterMin) * time.Minute)
	sp := span{from, out}
	return sp, sp.from.Before(sp.to)
}

// round applies the minimum, then rounds down to whole units.
func (o OvertimeRule) round(min int) int {
	if min <= 0 || min < o.MinMin {
		return 0
	}
	if o.UnitMin > 1 {
		min -= min % o.UnitMin
	}
	return min
}
