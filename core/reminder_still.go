package core

import (
	"slices"
	"time"
)

// The still_clocked_in reminder (Jibble's "Jibbled In Reminder", default
// 9 h, for people who forgot to clock out): a person who clocked in and
// has not clocked out HoursAfter hours later is told, privately and in
// their language, since when they have been clocked in and how to clock
// out. Its timing is each person's own clock-in, so the scheduler asks the
// store for the clock-ins of the minute HoursAfter hours ago and the core
// settles who is still in; the delivery key names the shift, so a person
// is told once per shift whatever fires it (a restart, a second replica,
// a firing by hand).

// DefaultStillClockedInHours is hours_after when a still_clocked_in
// reminder names none.
const DefaultStillClockedInHours = 9

// StillClockedInAfter is how long after the clock-in the reminder goes out.
func (r Reminder) StillClockedInAfter() time.Duration {
	h := r.HoursAfter
	if h <= 0 {
		h = DefaultStillClockedInHours
	}
	return time.Duration(h) * time.Hour
}

// StillClockedInDueAt is the minute a clock-in at t makes the reminder due.
func (r Reminder) StillClockedInDueAt(t time.Time) time.Time {
	return t.Truncate(time.Minute).Add(r.StillClockedInAfter())
}

// stillForcedLookback is how far back a firing by hand looks for clock-ins
// still open: a shift's clock-out window closes at most a day and a half
// after its start (check-in opens up to a day before, ends up to a day
// after the start), so an older clock-in can no longer be closed anyway.
const stillForcedLookback = 48 * time.Hour

// StillClockedInWindow returns the instants [from, to) holding the
// clock-ins that can make the reminder due at q.At: those of the minute
// HoursAfter before it, or, fired by hand (q.Forced), any clock-in old
// enough. The scheduler lists the punches of the window to learn whom to
// look at, and then each one's punches from StillClockedInHistory on.
func StillClockedInWindow(r Reminder, q DueQuery) (from, to time.Time) {
	at := q.At.Truncate(time.Minute)
	to = at.Add(-r.StillClockedInAfter()).Add(time.Minute)
	if q.Forced {
		return at.Add(-stillForcedLookback), to
	}
	return to.Add(-time.Minute), to
}

// StillClockedInHistory is where a person's punches must start for
// StillClockedInDeliveries to find the clock-in their current stretch
// began with: a day before the earliest clock-in of the window, which
// holds every earlier punch of the same shift.
func StillClockedInHistory(from time.Time) time.Time { return from.Add(-24 * time.Hour) }

// OpenClockIn returns the clock-in the person is still clocked in since
// at instant at, or nil: walking the valid punches in time order, a
// clock-out closes the stretch, and a clock-in opens one unless one of the
// same shift is open (a repeated clock-in is not a new start). A clock-in
// of a later shift opens a new stretch even when the previous shift was
// never clocked out: that one is the missed-punch notice's business.
func OpenClockIn(punches []Punch, at time.Time) *Punch {
	idx := make([]int, 0, len(punches))
	for i, p := range punches {
		if p.Valid() && !p.At.After(at) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return punches[a].At.Compare(punches[b].At) })
	var open *Punch
	for _, i := range idx {
		p := &punches[i]
		switch {
		case p.Kind == KindOut:
			open = nil
		case p.Kind == KindIn && (open == nil || open.ShiftDate != p.ShiftDate):
			open = p
		}
	}
	return open
}

// clockedOutSince reports whether a valid clock-out follows the clock-in
// open, up to the latest punch known: a firing sent late (after downtime)
// must not tell someone who clocked out in the meantime.
func clockedOutSince(punches []Punch, open *Punch) bool {
	for _, p := range punches {
		if p.Valid() && p.Kind == KindOut && p.At.After(open.At) {
			return true
		}
	}
	return false
}

// StillClockedInDeliveries settles who receives the still_clocked_in
// reminder r fired at q.At. punches are each concerned person's punches
// from StillClockedInHistory on, up to now (by employee id); makeups the
// pending and approved requests of those people (others are ignored).
// A person is told when:
//   - they are active, in the audience and employed on the shift's date;
//   - the stretch they are still in began exactly HoursAfter before q.At
//     (fired by hand: at least that long ago);
//   - the shift's clock-out window is still open: once it closed a
//     clock-out is refused, and the missed-punch notice takes over;
//   - no pending or approved make-up already covers the shift's clock-out.
//
// People with no chat identity cannot be reached and are left out.
func StillClockedInDeliveries(r Reminder, rosters []Roster, punches map[string][]Punch, makeups []MakeupRequest, q DueQuery, late bool) []Delivery {
	if r.Kind != ReminderStillClockedIn || (!r.Enabled && !q.Forced) {
		return nil
	}
	at := q.At.Truncate(time.Minute)
	wait := r.StillClockedInAfter()
	filed := map[string]bool{}
	for _, m := range makeups {
		if m.TypeOf() == RequestMakeup && m.Kind == KindOut && (m.Status == MakeupPending || m.Status == MakeupApproved) {
			filed[m.EmployeeID+"|"+m.ShiftDate] = true
		}
	}
	var out []Delivery
	for i := range rosters {
		ro := &rosters[i]
		e := ro.Employee
		ps, ok := punches[e.ID]
		if !ok || !e.Active || !r.Audience.Includes(e) {
			continue
		}
		open := OpenClockIn(ps, at)
		if open == nil || clockedOutSince(ps, open) || !e.EmployedOn(open.ShiftDate) || filed[e.ID+"|"+open.ShiftDate] || r.Expired(open.ShiftDate) {
			continue
		}
		if due := r.StillClockedInDueAt(open.At); (!q.Forced && !due.Equal(at)) || (q.Forced && due.After(at)) {
			continue
		}
		loc := ro.Zone()
		n := &Notice{Reminder: r.ID, Kind: r.Kind, FireAt: at, Late: late, Lang: e.Lang, TimeZone: loc.String(), Name: e.Name,
			ShiftDate: open.ShiftDate, ClockedInAt: open.At, HoursAfter: int(wait / time.Hour), Text: r.TextFor(e.Lang), Markdown: r.Markdown}
		if ro.Schedule != nil {
			if day, err := time.ParseInLocation(DateLayout, open.ShiftDate, loc); err == nil {
				sh := ro.Schedule.ShiftOn(day.Add(12*time.Hour), loc, ro.Calendar)
				if !at.Before(sh.Closes) {
					continue
				}
				n.ShiftStart, n.ShiftEnd = sh.Start, ro.Schedule.RequiredEnd(sh, open.At)
			}
		}
		to, ok := RecipientFor(e)
		if !ok {
			continue
		}
		out = append(out, Delivery{Recipient: to, Notice: n, Key: ShiftDeliveryKey(r.ID, open.ShiftDate, to)})
	}
	return out
}

// ShiftDeliveryKey is the dedupe key of a reminder sent at most once per
// person and shift, whenever it fires: an earlier clock-in approved later
// as a make-up, or a firing by hand after the scheduled one, moves the
// moment but not the shift.
func ShiftDeliveryKey(reminderID, shiftDate string, to Recipient) string {
	return "notice:" + reminderID + ":shift:" + shiftDate + ":e:" + to.EmployeeID
}
