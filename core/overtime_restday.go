package core

import "time"

// Rest-day shifts past midnight. A working day's punch window (Opens to
// Closes) decides its shift date, so a clock-out after midnight belongs to
// the shift that started the day before (ShiftCandidates). A rest day or a
// holiday has no window: its punches used to take their own local date, so
// a rest-day stint from Saturday 20:00 to Sunday 02:00 split into a
// clock-in on Saturday and a clock-out on Sunday and counted no overtime
// on either. Its window now runs from the rest day's midnight until the
// next day's check-in could open, at the latest noon (restDayCloses), and
// a clock-out in that time after midnight closes the rest day's open
// clock-in (restDayCarry),
// as DingTalk's 次日 rules and frappe/hrms's night shifts attribute such a
// punch to the day the work started (RULES-REFERENCE.md §1.1, §5.1).

// restDayLatest bounds a rest day's reach into the next day: a night
// schedule's check-in opens late in the evening, and a stint on a rest day
// does not run into the next afternoon, where a punch after a forgotten
// clock-out starts the new day.
const restDayLatest = 12 * time.Hour

// restDayCloses is when a rest-day (or holiday) shift's punches stop
// belonging to it: the later of the next local midnight and the time the
// next day's check-in opens (its start less CheckInOpensMin), but no later
// than restDayLatest after that midnight.
func (s *Schedule) restDayCloses(sh Shift) time.Time {
	loc := sh.Start.Location()
	y, m, d := sh.Start.Date()
	if sh.Date != "" {
		if day, err := time.ParseInLocation(DateLayout, sh.Date, loc); err == nil {
			y, m, d = day.Date()
		}
	}
	midnight := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	next := s.ShiftOn(midnight, loc, nil).Opens
	latest := time.Date(y, m, d+1, 0, int(restDayLatest/time.Minute), 0, 0, loc)
	switch {
	case next.After(latest):
		return latest
	case next.After(midnight):
		return next
	}
	return midnight
}

// restDayCarry returns the rest-day (or holiday) shift of the day before t
// when a punch at t of kind still belongs to it: t is before that shift's
// restDayCloses, the punch is not an explicit clock-in (which starts the
// new day), and the rest day has a counted clock-in, still open for an
// automatic punch (as for overlapping working-day windows in Verify).
// punches reads a shift date's punches.
func restDayCarry(r Roster, t time.Time, kind PunchKind, punches func(string) ([]Punch, error)) (Shift, bool, error) {
	s := r.Schedule
	if s == nil || kind == KindIn {
		return Shift{}, false, nil
	}
	loc := r.Zone()
	prev := s.ShiftOn(t.In(loc).AddDate(0, 0, -1), loc, r.Calendar)
	if prev.Workday || !t.Before(s.restDayCloses(prev)) {
		return Shift{}, false, nil
	}
	prior, err := punches(prev.Date)
	if err != nil {
		return Shift{}, false, err
	}
	if !hasValid(prior, KindIn) && !hasPendingField(prior, KindIn) {
		return Shift{}, false, nil
	}
	if kind == KindAuto && hasValid(prior, KindOut) {
		return Shift{}, false, nil
	}
	return prev, true, nil
}
