package core

import (
	"slices"
	"time"
)

// DayStatus is one verdict about an employee's day.
type DayStatus string

// Day verdicts. A day can carry several (late and early leave).
const (
	DayNormal      DayStatus = "normal"
	DayLate        DayStatus = "late"
	DaySeriousLate DayStatus = "serious_late"
	DayEarlyLeave  DayStatus = "early_leave"
	DayMissingIn   DayStatus = "missing_in"
	DayMissingOut  DayStatus = "missing_out"
	DayAbsent      DayStatus = "absent"
	DayHoliday     DayStatus = "holiday"
	DayRest        DayStatus = "rest"
	DayField       DayStatus = "field"
	DayInProgress  DayStatus = "in_progress"
	// DayNotStarted is a working day whose check-in window has not opened
	// yet and that has no punch: nothing is due, so reports count nothing
	// for it, as for a day in progress.
	DayNotStarted DayStatus = "not_started"
)

// DayResult is the attendance of one employee on one shift date, computed
// from punches (including approved make-ups); never edited by hand.
type DayResult struct {
	EmployeeID string
	Date       string
	Workday    bool
	Holiday    string
	Statuses   []DayStatus
	In         *Punch
	Out        *Punch
	LateMin    int
	EarlyMin   int
	WorkedMin  int
	Flags      []string
	// Approvals is what approved and pending requests did to the day
	// (leave, trips, outings, field punches waiting); see ComputeDayWith.
	Approvals *DayApprovals `json:",omitempty"`
}

// Has reports whether the day carries status st.
func (d DayResult) Has(st DayStatus) bool { return slices.Contains(d.Statuses, st) }

// ComputeDay derives the day result for date ("2006-01-02") from the
// employee's punches of that shift date. now decides whether the shift is
// still running: a missing check-out is only missing after the window closes.
func ComputeDay(r Roster, date string, punches []Punch, now time.Time) DayResult {
	loc := r.Zone()
	res := DayResult{EmployeeID: r.Employee.ID, Date: date, Workday: true}
	for i := range punches {
		p := &punches[i]
		if !p.Valid() || p.ShiftDate != date {
			continue
		}
		for _, f := range p.Flags {
			if !slices.Contains(res.Flags, f) {
				res.Flags = append(res.Flags, f)
			}
		}
	}
	// Which punches count is the schedule's punch mode (punchmode.go).
	in, out := CountedPunches(r.Schedule.Mode(), punches, date)
	res.In, res.Out = in, out
	res.WorkedMin = workedMinutes(in, out)
	field := (in != nil && in.Outcome == OutcomeField) || (out != nil && out.Outcome == OutcomeField)

	day, err := time.ParseInLocation(DateLayout, date, loc)
	if err != nil || r.Schedule == nil {
		if in == nil && out == nil {
			res.Statuses = []DayStatus{DayRest}
			return res
		}
		res.Statuses = []DayStatus{DayNormal}
		if field {
			res.Statuses = append(res.Statuses, DayField)
		}
		return res
	}
	sh := r.Schedule.ShiftOn(day, loc, r.Calendar)
	res.Workday, res.Holiday = sh.Workday, sh.Holiday
	if !sh.Workday {
		if sh.PublicHoliday {
			res.Statuses = []DayStatus{DayHoliday}
		} else {
			res.Statuses = []DayStatus{DayRest}
		}
		if field {
			res.Statuses = append(res.Statuses, DayField)
		}
		return res
	}

	st := inOutVerdicts(r.Schedule, sh, in, out, now, &res)
	if len(st) == 0 {
		st = append(st, DayNormal)
	}
	if field {
		st = append(st, DayField)
	}
	res.Statuses = st
	return res
}

// daySlot is the slot a make-up would fill on a finished or running day
// and its scheduled time: the clock-in for a day missing it, late or
// absent, the clock-out for one missing it or left early. ok is false for
// a day with nothing to make up.
func daySlot(r Roster, d DayResult) (PunchKind, time.Time, bool) {
	if r.Schedule == nil || !d.Workday {
		return "", time.Time{}, false
	}
	day, err := time.ParseInLocation(DateLayout, d.Date, r.Zone())
	if err != nil {
		return "", time.Time{}, false
	}
	sh := r.Schedule.ShiftOn(day.Add(12*time.Hour), r.Zone(), r.Calendar)
	switch {
	case d.Has(DayMissingIn), d.Has(DayAbsent), d.Has(DayLate), d.Has(DaySeriousLate):
		return KindIn, sh.Start, true
	case d.Has(DayMissingOut), d.Has(DayEarlyLeave):
		var in time.Time
		if d.In != nil {
			in = d.In.At
		}
		return KindOut, r.Schedule.RequiredEnd(sh, in), true
	}
	return "", time.Time{}, false
}

// makeupSlot is the slot a make-up for punch p would fill and its scheduled
// time (Reply.SlotKind, SlotAt): the shift's start for a late clock-in or
// for the clock-in missing before a clock-out, the required end for an
// early clock-out. The missing clock-in comes first: it is the bigger gap.
// A punch that does not count, or a day without a schedule, has none.
func makeupSlot(p Punch, r Roster) (PunchKind, time.Time) {
	if !p.Valid() || r.Schedule == nil || slices.Contains(p.Reasons, ReasonOutSuperseded) {
		return "", time.Time{} // a superseded clock-out leaves no gap of its own
	}
	day, err := time.ParseInLocation(DateLayout, p.ShiftDate, r.Zone())
	if err != nil {
		return "", time.Time{}
	}
	sh := r.Schedule.ShiftOn(day.Add(12*time.Hour), r.Zone(), r.Calendar)
	switch {
	case !sh.Workday:
		return "", time.Time{}
	case p.Kind == KindOut && slices.Contains(p.Reasons, ReasonNotIn):
		return KindIn, sh.Start
	case p.Kind == KindIn && p.LateMin > 0:
		return KindIn, sh.Start
	case p.Kind == KindOut && p.EarlyMin > 0:
		return KindOut, p.At.Truncate(time.Minute).Add(time.Duration(p.EarlyMin) * time.Minute)
	}
	return "", time.Time{}
}
