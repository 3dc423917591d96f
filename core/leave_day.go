package core

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"time"
)

// The day rules of approvals, applied after ComputeDay has read the
// punches:
//
//   - Approved leave, trips and outings cover the part of a working day's
//     shift [Start, End) their period overlaps. What is covered is not
//     required: a covered start moves the required start to the end of the
//     covering (a morning's leave makes an afternoon arrival on time), a
//     covered end moves the required end back, and a day covered entirely
//     has no missing, absent, late or early verdict at all. Rest days and
//     holidays are not covered (nothing is required on them).
//   - Leave shows DayLeave and counts, per leave type, the covered shift
//     minutes and days: a whole shift is 1 day, up to half of it 0.5, more
//     1. Without a schedule a day is nominally 8 hours from midnight.
//   - Trips and outings show DayTrip / DayOuting and count as worked in the
//     field: WorkedMin is the length of the union of the time between the
//     first clock-in and the last clock-out with the covered shift time, so
//     punches on a trip add only what lies outside it.
//   - A pending field punch shows DayPendingApproval instead of the slot it
//     would fill being missing (it does not count until approved); pending
//     leave, trips and outings touching the day show DayPendingApproval next
//     to the verdicts. DayApprovals.Pending counts them.

// nominalDayMin is the working day of an employee without a schedule.
const nominalDayMin = 8 * 60

// LeaveAmount is time off of one leave type.
type LeaveAmount struct {
	Type    string  // LeaveType.ID
	Days    float64 // working days, in halves
	Minutes int     // covered shift minutes
}

// Hours is Minutes in hours, rounded to two decimals.
func (a LeaveAmount) Hours() float64 { return roundHours(a.Minutes) }

func roundHours(min int) float64 { return math.Round(float64(min)/60*100) / 100 }

// MaxLeaveTypes bounds the leave types of an organisation, so a row's
// leave by type fits in LeaveByType.
const MaxLeaveTypes = 12

// LeaveByType is leave by type, in the order the types were met; a fixed
// array keeps report rows comparable with ==. Its JSON is the list of the
// types present.
type LeaveByType [MaxLeaveTypes]LeaveAmount

// add adds time of one type; past MaxLeaveTypes types the last slot takes
// the rest (the org file allows no more types than slots).
func (b *LeaveByType) add(l LeaveAmount) {
	for i := range b {
		if b[i].Type == l.Type || b[i].Type == "" || i == len(b)-1 {
			if b[i].Type == "" {
				b[i].Type = l.Type
			}
			b[i].Days += l.Days
			b[i].Minutes += l.Minutes
			return
		}
	}
}

// Of returns the leave of one type.
func (b LeaveByType) Of(leaveType string) LeaveAmount {
	for _, l := range b {
		if l.Type == leaveType {
			return l
		}
	}
	return LeaveAmount{Type: leaveType}
}

// List returns the types present, in order.
func (b LeaveByType) List() []LeaveAmount {
	var out []LeaveAmount
	for _, l := range b {
		if l.Type != "" {
			out = append(out, l)
		}
	}
	return out
}

// Days sums the days of every type.
func (b LeaveByType) Days() float64 {
	d := 0.0
	for _, l := range b {
		d += l.Days
	}
	return d
}

// MarshalJSON writes the types present as a list.
func (b LeaveByType) MarshalJSON() ([]byte, error) { return json.Marshal(b.List()) }

// UnmarshalJSON reads a list written by MarshalJSON.
func (b *LeaveByType) UnmarshalJSON(data []byte) error {
	var list []LeaveAmount
	if err := json.Unmarshal(data, &list); err != nil {
		return err
	}
	*b = LeaveByType{}
	for _, l := range list {
		b.add(l)
	}
	return nil
}

// DayApprovals is what approved and pending requests did to one day.
type DayApprovals struct {
	Leave     []LeaveAmount `json:",omitempty"` // approved leave, by type in the order met
	TripMin   int           `json:",omitempty"` // shift minutes covered by approved trips
	OutingMin int           `json:",omitempty"` // shift minutes covered by approved outings
	Place     string        `json:",omitempty"` // a trip's or outing's destination
	Pending   int           `json:",omitempty"` // requests touching the day that wait for a decision
	// Requests are the ids of the approved requests applied.
	Requests []int64 `json:",omitempty"`
}

// LeaveMin is the day's approved leave of every type, in minutes.
func (a *DayApprovals) LeaveMin() int {
	n := 0
	if a != nil {
		for _, l := range a.Leave {
			n += l.Minutes
		}
	}
	return n
}

// ComputeDayWith is ComputeDay with the employee's approvals: approved and
// pending requests of any type (others' and unrelated ones are ignored, so
// a report may pass everything it read for the person).
// A day outside the employee's employment (before joined, after left) is
// DayNotEmployed and nothing else, as the reports show it: the status and
// history commands answer the same.
func ComputeDayWith(r Roster, date string, punches []Punch, approvals []MakeupRequest, now time.Time) DayResult {
	if !r.Employee.EmployedOn(date) {
		res := ComputeDay(r, date, nil, now)
		res.Statuses = []DayStatus{DayNotEmployed}
		return res
	}
	res := ComputeDay(r, date, punches, now)
	if len(approvals) > 0 {
		applyApprovals(r, date, &res, approvals, now)
	}
	return res
}

// span is a half-open period [from, to).
type span struct{ from, to time.Time }

func (s span) minutes() int { return int(s.to.Sub(s.from) / time.Minute) }

// clip returns the part of s inside w.
func (s span) clip(w span) (span, bool) {
	if s.from.Before(w.from) {
		s.from = w.from
	}
	if s.to.After(w.to) {
		s.to = w.to
	}
	return s, s.from.Before(s.to)
}

// merge sorts spans and joins those that overlap or touch.
func merge(spans []span) []span {
	spans = slices.Clone(spans)
	slices.SortFunc(spans, func(a, b span) int { return a.from.Compare(b.from) })
	var out []span
	for _, s := range spans {
		if n := len(out); n > 0 && !s.from.After(out[n-1].to) {
			if s.to.After(out[n-1].to) {
				out[n-1].to = s.to
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

func totalMinutes(spans []span) int {
	n := 0
	for _, s := range merge(spans) {
		n += s.minutes()
	}
	return n
}

// workWindow is the required working time of a local date: the shift on a
// working day (ok false on rest days and holidays), or without a schedule
// the local day with a nominal length.
func workWindow(r Roster, day time.Time) (win span, dayMin int, sh Shift, ok bool) {
	loc := r.Zone()
	if r.Schedule == nil {
		y, m, d := day.In(loc).Date()
		from := time.Date(y, m, d, 0, 0, 0, 0, loc)
		return span{from, from.AddDate(0, 0, 1)}, nominalDayMin, Shift{Workday: true}, true
	}
	sh = r.Schedule.ShiftOn(day, loc, r.Calendar)
	return span{sh.Start, sh.End}, int(sh.End.Sub(sh.Start) / time.Minute), sh, sh.Workday
}

// coveredMinutes is how much of a day's window the spans cover, capped at
// the day's length.
func coveredMinutes(spans []span, win span, dayMin int) int {
	var in []span
	for _, s := range spans {
		if c, ok := s.clip(win); ok {
			in = append(in, c)
		}
	}
	return min(totalMinutes(in), dayMin)
}

// dayFraction counts covered minutes of a day in days: all of it 1, up to
// half 0.5, more 1.
func dayFraction(covered, dayMin int) float64 {
	switch {
	case covered <= 0 || dayMin <= 0:
		return 0
	case covered*2 <= dayMin:
		return 0.5
	default:
		return 1
	}
}

// leaveAmount is what a period costs in working time.
type leaveAmount struct {
	minutes int
	days    float64
	byYear  map[int]float64 // days per calendar year of the shift dates
}

// leaveCost counts the working time the request's period covers, day by
// day under the schedule and calendar (the day before the start too, for
// an overnight shift reaching into it).
func leaveCost(r Roster, m MakeupRequest) leaveAmount {
	out := leaveAmount{byYear: map[int]float64{}}
	if !m.Start.Before(m.End) {
		return out
	}
	loc := r.Zone()
	s := m.Start.In(loc)
	// Noon stands for each date (safe across DST); a date takes part
	// while it begins before the period ends, so a morning ending at
	// 11:00 still counts its own date.
	day := time.Date(s.Year(), s.Month(), s.Day()-1, 12, 0, 0, 0, loc)
	for day.Add(-12 * time.Hour).Before(m.End) {
		if win, dayMin, _, ok := workWindow(r, day); ok {
			if c := coveredMinutes([]span{{m.Start, m.End}}, win, dayMin); c > 0 {
				f := dayFraction(c, dayMin)
				out.minutes += c
				out.days += f
				out.byYear[day.Year()] += f
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	return out
}

// requirementStatuses are the verdicts ComputeDay derives from the
// schedule, which covering replaces.
var requirementStatuses = []DayStatus{DayNormal, DayLate, DaySeriousLate, DayEarlyLeave, DayMissingIn, DayMissingOut, DayAbsent, DayInProgress, DayNotStarted}

func applyApprovals(r Roster, date string, res *DayResult, approvals []MakeupRequest, now time.Time) {
	loc := r.Zone()
	day, err := time.ParseInLocation(DateLayout, date, loc)
	if err != nil {
		return
	}
	day = day.Add(12 * time.Hour) // any time of the date; noon is safe across DST
	win, dayMin, sh, workday := workWindow(r, day)
	a := &DayApprovals{}
	var pendingField []PunchKind
	var covers, fieldCovers []span
	leaveBy := map[string][]span{}
	var leaveOrder []string
	for _, m := range approvals {
		if m.EmployeeID != r.Employee.ID {
			continue
		}
		switch t := m.TypeOf(); t {
		case RequestField:
			if m.Status == MakeupPending && m.ShiftDate == date {
				a.Pending++
				pendingField = append(pendingField, m.Kind)
			}
		case RequestOvertime:
			// Overtime changes no verdict (OvertimeOf reads it); one
			// waiting for a decision is pending like the others.
			if m.Status == MakeupPending && m.ShiftDate == date {
				a.Pending++
			}
		case RequestLeave, RequestTrip, RequestOuting:
			w := win
			if !workday {
				w = span{time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc), time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc)}
			}
			c, ok := span{m.Start, m.End}.clip(w)
			if !ok {
				continue
			}
			if m.Status == MakeupPending {
				a.Pending++
				continue
			}
			if m.Status != MakeupApproved || !workday {
				continue
			}
			a.Requests = append(a.Requests, m.ID)
			covers = append(covers, c)
			switch t {
			case RequestLeave:
				if _, seen := leaveBy[m.LeaveType]; !seen {
					leaveOrder = append(leaveOrder, m.LeaveType)
				}
				leaveBy[m.LeaveType] = append(leaveBy[m.LeaveType], c)
			case RequestTrip:
				a.TripMin += c.minutes()
				fieldCovers = append(fieldCovers, c)
				if a.Place == "" {
					a.Place = m.Place
				}
			default:
				a.OutingMin += c.minutes()
				fieldCovers = append(fieldCovers, c)
				if a.Place == "" {
					a.Place = m.Place
				}
			}
		}
	}
	for _, lt := range leaveOrder {
		c := coveredMinutes(leaveBy[lt], win, dayMin)
		a.Leave = append(a.Leave, LeaveAmount{Type: lt, Minutes: c, Days: dayFraction(c, dayMin)})
	}
	a.TripMin, a.OutingMin = min(a.TripMin, dayMin), min(a.OutingMin, dayMin)
	if len(covers) > 0 && r.Schedule != nil {
		cover(r.Schedule, sh, merge(covers), res, now)
	}
	if len(fieldCovers) > 0 {
		worked := fieldCovers
		if res.In != nil && res.Out != nil && res.Out.At.After(res.In.At) {
			worked = append(worked, span{res.In.At, res.Out.At})
		}
		res.WorkedMin = totalMinutes(worked)
	}
	if len(pendingField) > 0 {
		holdPending(res, pendingField, now.Before(sh.Closes) || r.Schedule == nil)
	}
	var add []DayStatus
	if len(a.Leave) > 0 {
		add = append(add, DayLeave)
	}
	if a.TripMin > 0 {
		add = append(add, DayTrip)
	}
	if a.OutingMin > 0 {
		add = append(add, DayOuting)
	}
	if a.Pending > 0 {
		add = append(add, DayPendingApproval)
	}
	for _, st := range add {
		if !res.Has(st) {
			res.Statuses = append(res.Statuses, st)
		}
	}
	if len(add) > 0 && len(res.Statuses) > len(add) {
		// "normal" next to a leave says nothing.
		res.Statuses = slices.DeleteFunc(res.Statuses, func(st DayStatus) bool { return st == DayNormal })
	}
	if len(a.Leave) > 0 || a.TripMin > 0 || a.OutingMin > 0 || a.Pending > 0 {
		res.Approvals = a
	}
}

// cover recomputes the schedule's verdicts of a working day for the part
// of the shift the merged covers leave required.
func cover(s *Schedule, sh Shift, covers []span, res *DayResult, now time.Time) {
	reqStart, reqEnd := sh.Start, sh.End
	for _, c := range covers {
		if !c.from.After(reqStart) && c.to.After(reqStart) {
			reqStart = c.to
		}
	}
	for i := len(covers) - 1; i >= 0; i-- {
		if c := covers[i]; !c.to.Before(reqEnd) && c.from.Before(reqEnd) {
			reqEnd = c.from
		}
	}
	kept := slices.DeleteFunc(slices.Clone(res.Statuses), func(st DayStatus) bool { return slices.Contains(requirementStatuses, st) })
	res.LateMin, res.EarlyMin = 0, 0
	if !reqStart.Before(reqEnd) {
		res.Statuses = kept
		return
	}
	req := sh
	req.Start, req.End = reqStart, reqEnd
	in, out := res.In, res.Out
	st := inOutVerdicts(s, req, in, out, now, res)
	res.Statuses = append(st, kept...)
}

// holdPending replaces the verdicts a pending field punch would settle:
// its slot is not missing but waiting, and a day with no counting punch is
// not absent while one waits.
func holdPending(res *DayResult, kinds []PunchKind, running bool) {
	waitsIn, waitsOut := slices.Contains(kinds, KindIn), slices.Contains(kinds, KindOut)
	wasAbsent := res.Has(DayAbsent) && res.In == nil && res.Out == nil
	res.Statuses = slices.DeleteFunc(res.Statuses, func(st DayStatus) bool {
		return (st == DayMissingIn && waitsIn) || (st == DayMissingOut && waitsOut) || (st == DayAbsent && wasAbsent)
	})
	if wasAbsent && !running {
		if !waitsIn {
			res.Statuses = append(res.Statuses, DayMissingIn)
		}
		if !waitsOut {
			res.Statuses = append(res.Statuses, DayMissingOut)
		}
	}
}

// approvalTypes are the request types the day logic reads.
var approvalTypes = []RequestType{RequestField, RequestLeave, RequestTrip, RequestOuting, RequestOvertime}

// approvalFilter selects the pending and approved requests that may touch
// the shift dates from to to: the range is widened by a day each side, so
// every zone's shifts (and overnight ones) are in it; ComputeDayWith keeps
// what touches each day.
func approvalFilter(from, to string) MakeupFilter {
	f := MakeupFilter{Types: approvalTypes, Statuses: []MakeupStatus{MakeupPending, MakeupApproved}}
	if a, err := time.Parse(DateLayout, from); err == nil {
		f.CoverFrom = a.AddDate(0, 0, -1)
	}
	if b, err := time.Parse(DateLayout, to); err == nil {
		f.CoverTo = b.AddDate(0, 0, 2)
	}
	return f
}

// dayApprovals reads inside tx the requests of the employee that may touch
// one shift date.
func dayApprovals(ctx context.Context, tx Tx, r Roster, date string) ([]MakeupRequest, error) {
	f := approvalFilter(date, date)
	f.EmployeeID = r.Employee.ID
	return tx.ListMakeups(ctx, f)
}

// inOutVerdicts is the schedule's verdicts on a working shift's clock-in
// and clock-out (missing, late, serious, absent, not started, in progress,
// early) at now; it records the minutes late and early in res. ComputeDay
// judges the whole shift with it, cover the part that leave leaves
// required. Until the check-in window opens a day with no punch has not
// started: at 03:40 it is not yet in progress.
func inOutVerdicts(s *Schedule, sh Shift, in, out *Punch, now time.Time, res *DayResult) []DayStatus {
	var st []DayStatus
	running := now.Before(sh.Closes)
	switch {
	case in == nil && out == nil && now.Before(sh.Opens):
		st = append(st, DayNotStarted)
	case in == nil && out == nil:
		if running {
			st = append(st, DayInProgress)
		} else {
			st = append(st, DayAbsent)
		}
	default:
		if in == nil {
			st = append(st, DayMissingIn)
		} else {
			switch tr, late := s.ClassifyIn(sh, in.At); tr {
			case TimeLate:
				st, res.LateMin = append(st, DayLate), late
			case TimeSeriousLate:
				st, res.LateMin = append(st, DaySeriousLate), late
			case TimeAbsentLate:
				st, res.LateMin = append(st, DayAbsent), late
			}
		}
		if out == nil {
			if running {
				st = append(st, DayInProgress)
			} else {
				st = append(st, DayMissingOut)
			}
		} else {
			var inAt time.Time
			if in != nil {
				inAt = in.At
			}
			if tr, early := s.ClassifyOut(sh, inAt, out.At); tr == TimeEarly {
				st, res.EarlyMin = append(st, DayEarlyLeave), early
			}
		}
	}
	return st
}
