package core

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// resolveMakeupTime turns the typed date and clock into the shift date and
// the instant, in the employee's zone. A date without a year is the latest
// such date that is not in the future; "today" and "yesterday" are the
// employee's. On an overnight schedule a check-out typed after midnight
// ("02:00") belongs to the shift that started on the date. problem names
// the part that is wrong.
func resolveMakeupTime(a MakeupArgs, r Roster, now time.Time) (date string, at time.Time, problem string) {
	loc := r.Zone()
	if a.Kind != KindIn && a.Kind != KindOut {
		return "", time.Time{}, ProblemKind
	}
	today := now.In(loc)
	var y, mo, d int
	date = strings.ToLower(strings.TrimSpace(a.Date))
	if date == "today" || date == "yesterday" {
		t := today
		if date == "yesterday" {
			t = today.AddDate(0, 0, -1)
		}
		date = t.Format(DateLayout)
	}
	switch parts := strings.Split(date, "-"); len(parts) {
	case 3:
		var e1, e2, e3 error
		y, e1 = strconv.Atoi(parts[0])
		mo, e2 = strconv.Atoi(parts[1])
		d, e3 = strconv.Atoi(parts[2])
		if e1 != nil || e2 != nil || e3 != nil || len(parts[0]) != 4 {
			return "", time.Time{}, ProblemDate
		}
	case 2:
		var e1, e2 error
		mo, e1 = strconv.Atoi(parts[0])
		d, e2 = strconv.Atoi(parts[1])
		if e1 != nil || e2 != nil {
			return "", time.Time{}, ProblemDate
		}
		y = today.Year()
		if t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, loc); t.After(today) {
			y--
		}
	default:
		return "", time.Time{}, ProblemDate
	}
	day := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, loc)
	if mo < 1 || mo > 12 || day.Month() != time.Month(mo) || day.Day() != d {
		return "", time.Time{}, ProblemDate
	}
	hh, mm, ok := strings.Cut(strings.TrimSpace(a.Clock), ":")
	h, e1 := strconv.Atoi(hh)
	m, e2 := strconv.Atoi(mm)
	if !ok || e1 != nil || e2 != nil || h < 0 || h > 23 || m < 0 || m > 59 || len(mm) != 2 {
		return "", time.Time{}, ProblemTime
	}
	minute := h*60 + m
	if s := r.Schedule; s != nil && s.Overnight() && a.Kind == KindOut && minute < s.StartMin-s.CheckInOpensMin && minute+24*60 <= s.EndMin+s.CheckOutClosesMin {
		minute += 24 * 60
	}
	return day.Format(DateLayout), time.Date(y, time.Month(mo), d, 0, minute, 0, 0, loc), ""
}

func monthBounds(t time.Time, loc *time.Location) (time.Time, time.Time) {
	l := t.In(loc)
	from := time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, loc)
	return from, from.AddDate(0, 1, 0)
}

// RequestMakeup files a make-up request for an employee after checking the
// policy: for a date within their employment (RequestNotEmployed), not in
// the future, within the deadline, within the monthly
// quota, not for a slot that already has a valid normal punch, and not
// while another request for the slot is open. A refusal is an EINVALID
// error wrapping the *MakeupRefusal (see AsRefusal); the returned view
// then carries the numbers for the message. On success the approver's card
// is queued in the same transaction.
func (s *Service) RequestMakeup(ctx context.Context, employeeID string, a MakeupArgs, platform Platform) (MakeupView, error) {
	return s.fileMakeup(ctx, employeeID, a, platform, nil)
}

func (s *Service) fileMakeup(ctx context.Context, employeeID string, a MakeupArgs, platform Platform, after func(Tx, MakeupView) error) (MakeupView, error) {
	r, err := s.Roster(ctx, employeeID)
	if err != nil {
		return MakeupView{}, err
	}
	now := s.now()
	v := MakeupView{EmployeeName: r.Employee.Name, TimeZone: r.Employee.TimeZone, Quota: r.Policy.MonthlyQuota}
	refuse := func(rule, problem string) (MakeupView, error) {
		v.Refusal, v.Problem = &MakeupRefusal{Rule: rule}, problem
		return v, refusalError(v.Refusal, problem)
	}
	date, at, problem := resolveMakeupTime(a, r, now)
	v.Request = MakeupRequest{Type: RequestMakeup, EmployeeID: employeeID, ShiftDate: date, Kind: a.Kind, At: at, Reason: strings.TrimSpace(a.Reason), Platform: platform}
	if a.Problem != "" {
		problem = a.Problem
	}
	if problem != "" {
		return refuse(MakeupInvalid, problem)
	}
	if ref := employmentRefusal(r, v.Request); ref != nil {
		// Before the quota, the deadline and the card, for HR's
		// corrections too: no day outside employment counts
		// (employment_requests.go).
		v.Refusal = ref
		return v, employmentError(ref)
	}
	if v.Request.Reason == "" || utf8.RuneCountInString(v.Request.Reason) > MaxMakeupReason {
		return refuse(MakeupInvalid, ProblemReason)
	}
	p, err := s.filingPeople(ctx, r)
	if err != nil {
		return v, err
	}
	m := v.Request
	m.Evidence = capEvidence(nil, a.Evidence)
	m.Status, m.ApproverID, m.CreatedAt = MakeupPending, p.approver.ID, now

	var refusal *MakeupRefusal
	err = s.inTx(ctx, func(tx Tx) error {
		if err := tx.LockEmployee(ctx, employeeID); err != nil {
			return err
		}
		from, to := monthBounds(now, r.Zone())
		month, err := tx.ListMakeups(ctx, MakeupFilter{EmployeeID: employeeID, From: from, To: to, Types: []RequestType{RequestMakeup}})
		if err != nil {
			return err
		}
		slot, err := tx.ShiftPunches(ctx, employeeID, date)
		if err != nil {
			return err
		}
		policy := r.Policy
		if a.CorrectedBy != "" {
			policy.DeadlineDays = 0
		}
		if refusal = CheckMakeup(policy, m, month, slot, now, r.Zone()); refusal == nil {
			// A request for the slot filed in an earlier month is still open.
			open, err := tx.ListMakeups(ctx, MakeupFilter{EmployeeID: employeeID, ShiftDate: date, Statuses: []MakeupStatus{MakeupPending}, Types: []RequestType{RequestMakeup}})
			if err != nil {
				return err
			}
			for _, o := range open {
				if o.Kind == m.Kind {
					refusal = &MakeupRefusal{Rule: MakeupAlreadyOpen}
				}
			}
		}
		if refusal != nil {
			for _, o := range month {
				if o.Status == MakeupPending || o.Status == MakeupApproved {
					v.Used++
				}
			}
			v.Punches = slot
			return refusalError(refusal, "")
		}
		detail := map[string]any{"approver": m.ApproverID, "reason": m.Reason, "platform": platform}
		if a.CorrectedBy != "" {
			detail["corrected_by"] = a.CorrectedBy
		}
		return s.insertMakeup(ctx, tx, employeeID, "requested", m, detail, p, &v, after)
	})
	if refusal != nil {
		v.Refusal = refusal
		return v, err
	}
	return v, err
}

// capEvidence appends new references that are not there yet, up to the
// limit.
func capEvidence(have, add []string) []string {
	out := slices.Clone(have)
	for _, e := range add {
		e = strings.TrimSpace(e)
		if e != "" && !slices.Contains(out, e) && len(out) < MaxMakeupEvidence {
			out = append(out, e)
		}
	}
	return out
}
