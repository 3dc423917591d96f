package core

import (
	"strings"
	"time"
)

// OvertimeMode says where a schedule's overtime (加班) comes from, after
// the calculation modes of WeCom's ot_info_v2 rule field (by approval, by
// punch, their intersection; RULES-REFERENCE.md §2.2). Feishu has
// overtime_rule and overtime_clock_cfg (§3.1, §3.2).
type OvertimeMode string

// Overtime modes. Off is the default: the organisation file must ask for
// overtime before payroll sees any.
const (
	OvertimeOff      OvertimeMode = "off"
	OvertimePunch    OvertimeMode = "punch"    // 以打卡为准: the punched span counts
	OvertimeApproval OvertimeMode = "approval" // 以审批单为准: the approved span counts
	OvertimeBoth     OvertimeMode = "both"     // 取交集: the approved span, as far as it was punched
)

// RequestOvertime asks to work overtime (加班) for a span of a day: filed
// with CmdLeave (LeaveArgs.Type) and decided like leave; under the
// approval and both modes the approved span counts (OvertimeOf). Its
// shift date must lie within the employee's employment, when filed and
// when approved (RequestNotEmployed).
const RequestOvertime RequestType = "overtime"

// MaxOvernightOvertime is the longest overtime an end at or before its
// start ("20:00-02:00", the next morning) may stand for: beyond it the end
// was more likely mistyped or mis-picked than worked.
const MaxOvernightOvertime = 12 * time.Hour

// Overtime refusal rules, in MakeupView.Refusal.Rule.
const (
	// OvertimeNotByApproval: the employee's schedule does not count
	// overtime by approval (mode off or punch), so a request would change
	// nothing.
	OvertimeNotByApproval = "overtime_not_by_approval"
	// OvertimeNoTime: nothing of the span is overtime under the rule (it
	// lies within the shift, before its end plus starts_after_min and, with
	// before_start_min 0, not before its start less before_start_min).
	OvertimeNoTime = "overtime_no_time"
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
	// BeforeStartMin turns on overtime before the shift (上班前加班, as
	// DingTalk and WeCom's ot_info_v2 offer it; RULES-REFERENCE.md §1, §2.2):
	// on a working day the time punched (or approved) earlier than the
	// start less this many minutes counts, adding to the day's total before
	// MinMin and UnitMin. 0 is off, the default, so time before the start
	// counts only where an organisation asks for it.
	BeforeStartMin int
	// UnitMin: what is left is rounded down to whole units of this many
	// minutes; 0 or 1 keeps every minute.
	UnitMin int
}

// Overtime defaults, applied by the organisation file to every omitted
// field: half an hour after the end, at least half an hour, in half hours.
// WeCom's ot_info_v2 has such settings (with rounding); these values are a
// common choice, not a documented vendor default.
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
	return m == "" || m == OvertimeOff || m == OvertimePunch || m == OvertimeApproval || m == OvertimeBoth
}

// overtimeModes lists the modes for validation messages.
const overtimeModes = "off, punch, approval or both"

// byApproval reports whether approved requests take part.
func (o OvertimeRule) byApproval() bool { return o.Mode == OvertimeApproval || o.Mode == OvertimeBoth }

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
	}{{"starts_after_min", o.StartsAfterMin}, {"before_start_min", o.BeforeStartMin}, {"min_min", o.MinMin}, {"unit_min", o.UnitMin}} {
		if v.val < 0 || v.val > 24*60 {
			add(path+"."+v.name, "must be between 0 and 1440 minutes")
		}
	}
}

// OvertimeKind is the payroll category of a day's overtime: Chinese labour
// law (劳动法 第四十四条) pays workday overtime at 150%, rest-day overtime
// at 200% (or time off) and statutory-holiday overtime at 300%, so the
// three are summed apart.
type OvertimeKind string

// Overtime kinds. A rest day is a weekly day off of the schedule; a 调休
// working day (calendar workdays) is a working day. A calendar lists every
// day off of a holiday block (国庆 10-01..10-08), of which only the
// statutory days (《全国年节及纪念日放假办法》 第二条: 国庆 10-01..10-03)
// are holidays at 300%; the rest are weekends moved by 调休 and count as
// rest days at 200%. So a calendar holiday marked Statutory is a holiday
// and an unmarked one a rest day, except in a calendar year that marks no
// day statutory: there, as before the flag existed, every calendar holiday
// is a holiday. A calendar written or imported without the flag thus keeps
// paying 300% rather than silently paying less than the law requires,
// until someone marks that year's statutory days.
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
// calendar. The span that may count is, on a working day (a 调休 day
// included), from the flexible end of the shift plus StartsAfterMin on
// and, with BeforeStartMin set, up to the start less BeforeStartMin, and
// on a rest day or a holiday the whole day; within it counts
//
//   - punch: the punched span, from the counted clock-in (on a working day
//     without one, the shift's start) to the counted clock-out;
//   - approval: the approved overtime requests of the date (approvals may
//     hold any of the employee's requests), each once it has ended;
//   - both: the approved spans as far as they were punched;
//
// then MinMin and UnitMin apply to the day's total. A punched span counts
// nothing while the day is open: without a clock-out, or while its punch
// window has not closed (a rest day's runs past midnight to the opening
// of the next day's check-in, at the latest noon: restDayCloses), since a
// later clock-out would replace the counted one. Without a schedule, or
// with overtime off, it is zero.
func OvertimeOf(r Roster, day DayResult, approvals []MakeupRequest, now time.Time) DayOvertime {
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
	res := DayOvertime{Kind: overtimeKind(sh, r.Calendar)}
	var in time.Time
	if day.In != nil {
		in = day.In.At
	}
	windows := overtimeWindows(s, sh, in)
	var spans []span
	if s.Overtime.byApproval() {
		for _, m := range approvals {
			if m.EmployeeID == r.Employee.ID && m.TypeOf() == RequestOvertime && m.Status == MakeupApproved &&
				m.ShiftDate == day.Date && !now.Before(m.End) {
				spans = append(spans, span{m.Start.Truncate(time.Minute), m.End.Truncate(time.Minute)})
			}
		}
	}
	if s.Overtime.Mode != OvertimeApproval {
		punched, ok := punchedSpan(s, sh, day, now)
		if !ok {
			return res
		}
		if s.Overtime.Mode == OvertimePunch {
			spans = []span{punched}
		} else {
			spans = clipAll(spans, punched)
		}
	}
	res.Minutes = s.Overtime.round(totalMinutes(clipToAll(spans, windows)))
	return res
}

// overtimeKind is the payroll category of a shift's date under the
// calendar (OvertimeKind).
func overtimeKind(sh Shift, cal *Calendar) OvertimeKind {
	if sh.Workday {
		return OvertimeWorkday
	}
	if d, ok := cal.day(sh.Date); ok && !d.Workday {
		if d.Statutory || !cal.marksStatutory(sh.Date[:4]) {
			return OvertimeHoliday
		}
	}
	return OvertimeRestDay
}

// day is the calendar's entry for date, if it has one.
func (c *Calendar) day(date string) (CalendarDay, bool) {
	if c == nil {
		return CalendarDay{}, false
	}
	for _, d := range c.Days {
		if d.Date == date {
			return d, true
		}
	}
	return CalendarDay{}, false
}

// marksStatutory reports whether the calendar marks any day of year
// ("2026") statutory; a year that marks none predates the flag.
func (c *Calendar) marksStatutory(year string) bool {
	for _, d := range c.Days {
		if d.Statutory && strings.HasPrefix(d.Date, year+"-") {
			return true
		}
	}
	return false
}

// overtimeWindows are when overtime may count on the shift's date: on a
// working day from the end plus StartsAfterMin (a flexible start, the
// check-in at in, moves the end) and, with BeforeStartMin set, until the
// start less BeforeStartMin (the scheduled start: a flexible start slides
// later, never earlier); on a rest day or holiday any time.
func overtimeWindows(s *Schedule, sh Shift, in time.Time) []span {
	if !sh.Workday {
		return []span{{time.Time{}, maxTime}}
	}
	after := span{s.RequiredEnd(sh, in).Add(time.Duration(s.Overtime.StartsAfterMin) * time.Minute), maxTime}
	if s.Overtime.BeforeStartMin <= 0 {
		return []span{after}
	}
	return []span{{time.Time{}, sh.Start.Add(-time.Duration(s.Overtime.BeforeStartMin) * time.Minute)}, after}
}

// maxTime bounds the open end of an overtime window.
var maxTime = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// clipToAll returns the parts of spans inside any of windows (which do
// not overlap).
func clipToAll(spans, windows []span) []span {
	var out []span
	for _, w := range windows {
		out = append(out, clipAll(spans, w)...)
	}
	return out
}

// clipAll returns the parts of spans inside w.
func clipAll(spans []span, w span) []span {
	var out []span
	for _, sp := range spans {
		if c, ok := sp.clip(w); ok {
			out = append(out, c)
		}
	}
	return out
}

// punchedSpan is the span the day's punches show at minute resolution (as
// lateness and early leave are counted), and false while the day is open
// or when they show none.
func punchedSpan(s *Schedule, sh Shift, day DayResult, now time.Time) (span, bool) {
	if day.Out == nil {
		return span{}, false
	}
	out := day.Out.At.Truncate(time.Minute)
	if !sh.Workday {
		if day.In == nil || now.Before(s.restDayCloses(sh)) {
			return span{}, false
		}
		sp := span{day.In.At.Truncate(time.Minute), out}
		return sp, sp.from.Before(sp.to)
	}
	if now.Before(sh.Closes) {
		return span{}, false
	}
	from := sh.Start
	if day.In != nil {
		from = day.In.At.Truncate(time.Minute)
	}
	sp := span{from, out}
	return sp, sp.from.Before(sp.to)
}

// overtimeRequested checks an overtime request m (its period resolved) and
// returns the minutes of it that can count, before the minimum and the
// rounding (the check-in is not known yet, so a flexible end is taken at
// its earliest), or the refusal rule.
func overtimeRequested(r Roster, m MakeupRequest) (int, string) {
	s := r.Schedule
	if s == nil || !s.Overtime.byApproval() {
		return 0, OvertimeNotByApproval
	}
	loc := r.Zone()
	date, err := time.ParseInLocation(DateLayout, m.ShiftDate, loc)
	if err != nil {
		return 0, OvertimeNoTime
	}
	sh := s.ShiftOn(date, loc, r.Calendar)
	min := totalMinutes(clipToAll([]span{{m.Start, m.End}}, overtimeWindows(s, sh, time.Time{})))
	if min == 0 {
		return 0, OvertimeNoTime
	}
	return min, ""
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
