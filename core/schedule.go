package core

import (
	"slices"
	"time"
)

// DateLayout is the layout of shift dates and calendar days.
const DateLayout = "2006-01-02"

// Shift is one concrete occurrence of a schedule on a local date.
type Shift struct {
	Date    string // local date the shift starts on
	Workday bool
	// PublicHoliday: the calendar gives the date off, whether or not the
	// entry has a name; Holiday is that name.
	PublicHoliday bool
	Holiday       string
	Start         time.Time
	End           time.Time
	Opens         time.Time // earliest accepted check-in
	Closes        time.Time // latest accepted check-out
}

// Contains reports whether t falls inside the shift's punch window.
func (s Shift) Contains(t time.Time) bool { return !t.Before(s.Opens) && !t.After(s.Closes) }

// DayKind tells whether a local date is worked under a schedule and calendar:
// calendar entries (holidays, 调休 workdays) override the weekly pattern.
func DayKind(s *Schedule, cal *Calendar, date time.Time) (workday bool, holiday string) {
	workday, _, holiday = dayKind(s, cal, date)
	return workday, holiday
}

// dayKind is DayKind with whether the calendar gives the date off (a
// public holiday, named or not), from one look at the calendar.
func dayKind(s *Schedule, cal *Calendar, date time.Time) (workday, public bool, holiday string) {
	if d, listed := cal.day(date.Format(DateLayout)); listed { // overtime.go
		if d.Workday {
			return true, false, "" // 调休: a working day, whatever its label
		}
		return false, true, d.Name
	}
	if s == nil {
		return true, false, ""
	}
	return slices.Contains(s.WorkDays, date.Weekday()), false, ""
}

// ShiftOn builds the shift that starts on the local date of day (any time on
// that date in loc). Wall-clock arithmetic through time.Date keeps 09:00 at
// 09:00 across DST changes.
func (s *Schedule) ShiftOn(day time.Time, loc *time.Location, cal *Calendar) Shift {
	y, m, d := day.In(loc).Date()
	date := time.Date(y, m, d, 0, 0, 0, 0, loc)
	work, public, holiday := dayKind(s, cal, date)
	start := time.Date(y, m, d, 0, s.StartMin, 0, 0, loc)
	end := time.Date(y, m, d, 0, s.EndMin, 0, 0, loc)
	return Shift{
		Date:          date.Format(DateLayout),
		Workday:       work,
		PublicHoliday: public,
		Holiday:       holiday,
		Start:         start,
		End:           end,
		Opens:         start.Add(-time.Duration(s.CheckInOpensMin) * time.Minute),
		Closes:        end.Add(time.Duration(s.CheckOutClosesMin) * time.Minute),
	}
}

// Overnight reports whether the shift ends on the next calendar day.
func (s *Schedule) Overnight() bool { return s.EndMin > 24*60 }

// ShiftCandidates returns the worked shifts whose punch window contains t,
// earliest first: the shift that started the day before (an overnight shift
// or a late check-out) and the one starting on t's local date. When none
// contains t it returns the shift of t's local date, so callers can explain
// why (window not open, closed, rest day).
func (s *Schedule) ShiftCandidates(t time.Time, loc *time.Location, cal *Calendar) (matches []Shift, today Shift) {
	local := t.In(loc)
	yesterday := s.ShiftOn(local.AddDate(0, 0, -1), loc, cal)
	today = s.ShiftOn(local, loc, cal)
	for _, sh := range []Shift{yesterday, today} {
		if sh.Workday && sh.Contains(t) {
			matches = append(matches, sh)
		}
	}
	return matches, today
}

// minutesBetween returns whole minutes from a to b, counting b at minute
// resolution the way attendance systems do: 09:00:59 is not late, 17:59:30
// is one minute early.
func minutesBetween(a, b time.Time) int {
	return int(b.Truncate(time.Minute).Sub(a) / time.Minute)
}

// ClassifyIn rates a check-in at t against the shift.
func (s *Schedule) ClassifyIn(sh Shift, t time.Time) (TimeResult, int) {
	late := minutesBetween(sh.Start.Add(time.Duration(s.FlexibleMin)*time.Minute), t)
	switch {
	case late <= s.LateGraceMin || late <= 0:
		return TimeNormal, 0
	case s.AbsentLateMin > 0 && late > s.AbsentLateMin:
		return TimeAbsentLate, late
	case s.SeriousLateMin > 0 && late > s.SeriousLateMin:
		return TimeSeriousLate, late
	default:
		return TimeLate, late
	}
}

// RequiredEnd is the end of the shift for someone who checked in at in: with
// a flexible (弹性) schedule, arriving later moves the end by the same amount,
// up to FlexibleMin. A zero in means no check-in is known.
func (s *Schedule) RequiredEnd(sh Shift, in time.Time) time.Time {
	if s.FlexibleMin <= 0 || in.IsZero() {
		return sh.End
	}
	slide := in.Truncate(time.Minute).Sub(sh.Start)
	slide = max(0, min(slide, time.Duration(s.FlexibleMin)*time.Minute))
	return sh.End.Add(slide)
}

// ClassifyOut rates a check-out at t against the shift, given the check-in
// time (zero if none).
func (s *Schedule) ClassifyOut(sh Shift, in, t time.Time) (TimeResult, int) {
	end := s.RequiredEnd(sh, in)
	early := 0
	if tt := t.Truncate(time.Minute); tt.Before(end) {
		early = int(end.Sub(tt) / time.Minute)
	}
	if early <= s.EarlyLeaveGraceMin {
		return TimeNormal, 0
	}
	return TimeEarly, early
}
