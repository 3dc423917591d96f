package core

import (
	"time"
)

// DueQuery says which minute a per-employee reminder is evaluated for.
type DueQuery struct {
	At time.Time // the minute being fired (seconds are ignored)
	// Forced evaluates the reminder "now" for the admin API's preview and
	// run: the timing rule is ignored and the shift concerned is today's
	// (for missed_punch the latest shift whose window has closed).
	Forced bool
	// LocalFires reports whether a missed_punch reminder's own schedule
	// fires at At in a zone; nil means DefaultMissedPunchMin local time.
	LocalFires func(loc *time.Location) bool
}

// Candidate is an employee a per-employee reminder concerns at a minute,
// with the shift it is about.
type Candidate struct {
	Roster *Roster
	Shift  Shift
}

type groupKey struct{ schedule, calendar, zone string }

// ReminderCandidates returns the active employees (narrowed by the
// audience, and employed on the shift's date) whose shift makes the per-employee reminder r due at q.At:
// punch_in MinutesBefore the start of a worked shift, punch_out at its end
// (or up to FlexibleMin later, settled by ReminderDeliveries once the
// check-in is known), missed_punch at the morning notice time after a
// worked shift whose window has closed. Holidays and rest days never
// qualify; 调休 working days do, since ShiftOn consults the calendar.
// Rosters must have Loc set (ResolveZones). Employees sharing schedule,
// calendar and zone are evaluated once.
func ReminderCandidates(r Reminder, rosters []Roster, q DueQuery) []Candidate {
	if !r.PerEmployee() || !r.Enabled {
		return nil
	}
	at := q.At.Truncate(time.Minute)
	type verdict struct {
		ok    bool
		shift Shift
	}
	memo := map[groupKey]verdict{}
	var out []Candidate
	for i := range rosters {
		ro := &rosters[i]
		if !ro.Employee.Active || ro.Schedule == nil || !r.Audience.Includes(ro.Employee) {
			continue
		}
		loc := ro.Zone()
		k := groupKey{ro.Schedule.ID, "", loc.String()}
		if ro.Calendar != nil {
			k.calendar = ro.Calendar.ID
		}
		v, seen := memo[k]
		if !seen {
			v.shift, v.ok = dueShift(r, ro.Schedule, ro.Calendar, loc, at, q)
			if v.ok && r.Expired(v.shift.Date) {
				v.ok = false
			}
			memo[k] = v
		}
		// The timing is shared; employment is each person's own: nothing
		// is due on a shift before their first or after their last
		// working day (org.go).
		if v.ok && ro.Employee.EmployedOn(v.shift.Date) {
			out = append(out, Candidate{Roster: ro, Shift: v.shift})
		}
	}
	return out
}

// DistinctSchedules returns one roster per combination of schedule,
// calendar and zone, ignoring who the employee is: the timing of
// per-employee reminders depends on nothing else, so a scheduler checks
// these few every minute and resolves recipients only when one is due.
func DistinctSchedules(rosters []Roster) []Roster {
	seen := map[groupKey]bool{}
	var out []Roster
	for _, ro := range rosters {
		if ro.Schedule == nil {
			continue
		}
		k := groupKey{ro.Schedule.ID, "", ro.Zone().String()}
		if ro.Calendar != nil {
			k.calendar = ro.Calendar.ID
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		ro.Employee = Employee{ID: ro.Employee.ID, TimeZone: ro.Employee.TimeZone, Active: true}
		out = append(out, ro)
	}
	return out
}

// ReminderDueAny reports whether the per-employee reminder r is due at q.At
// on any of the schedules, ignoring the audience: the cheap minute test.
func ReminderDueAny(r Reminder, schedules []Roster, q DueQuery) bool {
	if !r.PerEmployee() || !r.Enabled {
		return false
	}
	at := q.At.Truncate(time.Minute)
	for i := range schedules {
		ro := &schedules[i]
		if ro.Schedule == nil {
			continue
		}
		if sh, ok := dueShift(r, ro.Schedule, ro.Calendar, ro.Zone(), at, q); ok && !r.Expired(sh.Date) {
			return true
		}
	}
	return false
}

// dueShift decides the timing of a per-employee reminder for one schedule
// in one zone.
func dueShift(r Reminder, s *Schedule, cal *Calendar, loc *time.Location, at time.Time, q DueQuery) (Shift, bool) {
	local := at.In(loc)
	switch r.Kind {
	case ReminderPunchIn:
		if q.Forced {
			sh := s.ShiftOn(local, loc, cal)
			return sh, sh.Workday && at.Before(sh.Closes)
		}
		before := time.Duration(max(r.MinutesBefore, 0)) * time.Minute
		// A long lead or an early start can put the reminder on the
		// previous calendar day; look at the shifts of three dates.
		for d := -1; d <= 1; d++ {
			sh := s.ShiftOn(local.AddDate(0, 0, d), loc, cal)
			if sh.Workday && sh.Start.Add(-before).Equal(at) {
				return sh, true
			}
		}
	case ReminderPunchOut:
		for d := -1; d <= 0; d++ {
			sh := s.ShiftOn(local.AddDate(0, 0, d), loc, cal)
			if !sh.Workday {
				continue
			}
			if q.Forced {
				if !at.Before(sh.Start) && at.Before(sh.Closes) {
					return sh, true
				}
				continue
			}
			if !at.Before(sh.End) && !at.After(sh.End.Add(time.Duration(s.FlexibleMin)*time.Minute)) {
				return sh, true
			}
		}
	case ReminderMissedPunch:
		if !q.Forced {
			if q.LocalFires != nil {
				if !q.LocalFires(loc) {
					return Shift{}, false
				}
			} else if local.Hour()*60+local.Minute() != DefaultMissedPunchMin {
				return Shift{}, false
			}
		}
		sh := lastClosedShift(s, cal, loc, local, at)
		return sh, sh.Workday
	}
	return Shift{}, false
}

// lastClosedShift is the shift a missed-punch notice at at is about: the
// latest one (worked or not) whose punch window has closed. That is
// yesterday's for a day shift, but a night shift's window stays open past
// the morning notice (22:00–06:00 with check-out closing 6 h after the end
// closes at 12:00), so its notice goes out the morning after that, about
// the shift of two days before; looking only at yesterday's shift meant
// night workers were never told. Walking back stops at the first closed
// shift even when it was a rest day, so a Sunday notice does not repeat
// Saturday's about Friday.
func lastClosedShift(s *Schedule, cal *Calendar, loc *time.Location, local, at time.Time) Shift {
	var sh Shift
	for d := -1; d >= -2; d-- {
		sh = s.ShiftOn(local.AddDate(0, 0, d), loc, cal)
		if !at.Before(sh.Closes) {
			return sh
		}
	}
	return Shift{}
}

// PunchWindow returns the instants [from, to) that hold every punch of the
// candidates' shifts, for one listing query.
func PunchWindow(cands []Candidate) (from, to time.Time) {
	for _, c := range cands {
		if from.IsZero() || c.Shift.Opens.Before(from) {
			from = c.Shift.Opens
		}
		if end := c.Shift.Closes.Add(time.Minute); end.After(to) {
			to = end
		}
	}
	return from, to
}
