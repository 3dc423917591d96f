package core

import (
	"context"
	"strings"
	"time"
)

// Requests outside employment. A make-up, field punch, leave, trip,
// outing or overtime request is about dates (its shift date, or a leave's
// range); each of them must lie within the employee's employment
// [Joined, Left] (EmployedOn), the days the reports count and a punch is
// accepted on. The rule is checked when a request is filed, before the
// quota, the deadline, the balance and the card (the bots, the console and
// the admin API all file through the Service), and again when one is
// approved: the employment dates may have been set or corrected after it
// was filed.
//
// A leave range that only partly lies outside is refused, not trimmed:
// DingTalk and Feishu compute a leave's duration from the employee's own
// schedule and refuse a request they cannot compute, and trimming would
// file a request for other dates than the ones the employee asked for and
// the approver reads. The refusal names the dates outside and the
// employment, so the employee can file the part inside in one try.

// RequestNotEmployed: a date of the request is before the employee's first
// working day (Joined) or after their last (Left). Refusal.Joined and Left
// are the employment, Refusal.Outside the request's dates outside it.
const RequestNotEmployed = "request_not_employed"

// DateSpan is an inclusive range of dates (YYYY-MM-DD); From == To for one
// date.
type DateSpan struct {
	From, To string
}

// requestDates are the first and last date a request is about: the shift
// date of a make-up, a field punch or overtime (a span of one shift, even
// past midnight), and for a leave, trip or outing the dates from its
// first to its last, where an end in the small hours that only finishes
// the previous date's overnight shift belongs to that date.
func requestDates(r Roster, m MakeupRequest) (first, last string) {
	first, last = m.ShiftDate, m.ShiftDate
	switch m.TypeOf() {
	case RequestLeave, RequestTrip, RequestOuting:
	default:
		return first, last
	}
	if m.End.IsZero() || first == "" {
		return first, last
	}
	loc := r.Zone()
	end := m.End.Add(-time.Nanosecond).In(loc)
	day := time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, loc)
	if r.Schedule != nil && day.Format(DateLayout) > first {
		if prev := r.Schedule.ShiftOn(day.AddDate(0, 0, -1), loc, r.Calendar); !m.End.After(prev.End) {
			day = day.AddDate(0, 0, -1)
		}
	}
	return first, max(first, day.Format(DateLayout))
}

// addDays moves a YYYY-MM-DD date by n days.
func addDays(date string, n int) string {
	t, err := time.Parse(DateLayout, date)
	if err != nil {
		return date
	}
	return t.AddDate(0, 0, n).Format(DateLayout)
}

// employmentRefusal is the RequestNotEmployed refusal of request m, or nil
// when every date of it lies within the employment.
func employmentRefusal(r Roster, m MakeupRequest) *MakeupRefusal {
	e := r.Employee
	first, last := requestDates(r, m)
	if first == "" || e.EmployedOn(first) && e.EmployedOn(last) {
		return nil
	}
	ref := &MakeupRefusal{Rule: RequestNotEmployed, Joined: e.Joined, Left: e.Left}
	if e.Joined != "" && first < e.Joined {
		ref.Outside = append(ref.Outside, DateSpan{From: first, To: min(last, addDays(e.Joined, -1))})
	}
	if e.Left != "" && last > e.Left {
		ref.Outside = append(ref.Outside, DateSpan{From: max(first, addDays(e.Left, 1)), To: last})
	}
	return ref
}

// employmentError is the EINVALID error of a RequestNotEmployed refusal;
// its message names the dates for the console, the admin API and the logs
// (the bots render the refusal itself, in the reader's language).
func employmentError(ref *MakeupRefusal) error {
	var parts []string
	for _, sp := range ref.Outside {
		dates := sp.From
		if sp.To != sp.From {
			dates += ".." + sp.To
		}
		if ref.Joined != "" && sp.To < ref.Joined {
			parts = append(parts, dates+" is before joined "+ref.Joined)
		} else {
			parts = append(parts, dates+" is after left "+ref.Left)
		}
	}
	return &Error{Code: EINVALID, Message: "request refused: " + ref.Rule + ": " + strings.Join(parts, ", ") + " (outside employment)", Err: ref}
}

// refuseUnemployedApproval keeps pending request m from being approved when
// a date of it lies outside the employment (Left set, or Joined corrected,
// after it was filed): approving would write a punch or grant leave or
// overtime on days the reports count nothing for and a punch is refused
// on. It fills out with the request's view and the refusal and returns
// the refusal's error; nil when m may be approved. Rejecting it, or its
// expiry or withdrawal, stays possible.
func (s *Service) refuseUnemployedApproval(ctx context.Context, tx Tx, m MakeupRequest, p makeupPeople, out *MakeupView) error {
	ref := employmentRefusal(p.roster, m)
	if ref == nil {
		return nil
	}
	err := s.closedView(ctx, tx, m, p, out, employmentError(ref)) // makeup_decide.go
	out.Refusal = ref
	return err
}
