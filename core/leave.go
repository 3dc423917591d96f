package core

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Leave, business trip and outing requests (请假, 出差, 外出) run on the
// make-up engine: filed with CmdLeave or Service.RequestLeave, routed to
// the manager then HR, decided, cancelled and expired with the make-up
// commands and methods (CmdMakeupDecide, DecideMakeup, CancelMakeup,
// ExpireMakeups). Approved leave makes the covered time not required;
// approved trips and outings count it as worked (see leave_day.go).

// Leave refusal rules, in MakeupView.Refusal.Rule.
const (
	// LeaveOverlap: the period overlaps a pending or approved leave, trip
	// or outing (Refusal.OtherID).
	LeaveOverlap = "leave_overlap"
	// LeaveBalanceExhausted: the year's quota of the leave type would be
	// exceeded (Refusal.UsedDays, QuotaDays, AskedDays, Year).
	LeaveBalanceExhausted = "leave_balance_exhausted"
	// LeaveNoWorkingTime: the period covers no working time of the
	// schedule (a weekend, a holiday).
	LeaveNoWorkingTime = "leave_no_working_time"
)

// MaxLeaveDays bounds one request's period, in calendar days.
const MaxLeaveDays = 366

// DefaultLeaveTypes are the leave types of an organisation file that
// declares none.
func DefaultLeaveTypes() []LeaveType {
	return []LeaveType{
		{ID: "annual", Name: "年假", Paid: true},
		{ID: "sick", Name: "病假", Paid: true},
		{ID: "personal", Name: "事假"},
	}
}

// LeaveTypeStore keeps the leave types of the last applied organisation
// file. The stores implement it.
type LeaveTypeStore interface {
	// LeaveTypes returns the types in file order; none when no file
	// declared any (callers then use DefaultLeaveTypes).
	LeaveTypes(ctx context.Context) ([]LeaveType, error)
}

// LeaveTypes returns the organisation's leave types, or the defaults.
func (s *Service) LeaveTypes(ctx context.Context) ([]LeaveType, error) {
	ls, ok := s.store.(LeaveTypeStore)
	if !ok {
		return DefaultLeaveTypes(), nil
	}
	types, err := ls.LeaveTypes(ctx)
	if err != nil || len(types) == 0 {
		return DefaultLeaveTypes(), err
	}
	return types, nil
}

// findLeaveType matches a typed leave type by id or name, ignoring case;
// "" is the first type.
func findLeaveType(types []LeaveType, typed string) (LeaveType, bool) {
	typed = strings.TrimSpace(typed)
	if typed == "" && len(types) > 0 {
		return types[0], true
	}
	for _, t := range types {
		if strings.EqualFold(t.ID, typed) || t.Name == typed {
			return t, true
		}
	}
	return LeaveType{}, false
}

// LeaveView is what a card or a message about a leave, trip or outing
// shows beyond the request.
type LeaveView struct {
	TypeName string `json:",omitempty"` // the leave type's name, "年假"
	Paid     bool   `json:",omitempty"`
	// Days and Minutes are the working time the period covers under the
	// schedule and calendar: a day is 1, a part of a day up to half its
	// shift 0.5, more 1.
	Days    float64
	Minutes int
	// QuotaDays is the leave type's yearly quota (0: no balance kept);
	// UsedDays what pending and approved leave of the type take of the
	// year of Start, this request included while it is pending or
	// approved.
	QuotaDays float64 `json:",omitempty"`
	UsedDays  float64 `json:",omitempty"`
	Year      int     `json:",omitempty"`
	// Comp: the type is time off in lieu of overtime (comptime.go), with
	// CompLeftMin minutes left, this request taken while it is pending or
	// approved.
	Comp        bool `json:",omitempty"`
	CompLeftMin int  `json:",omitempty"`
}

// Hours is Minutes in hours, rounded to two decimals.
func (v LeaveView) Hours() float64 { return roundHours(v.Minutes) }

// parseLeaveDate reads "2006-01-02", "01-02" (the nearest such date, past
// or future), "today" or "tomorrow" in the employee's zone.
func parseLeaveDate(s string, now time.Time, loc *time.Location) (time.Time, bool) {
	today := now.In(loc)
	midnight := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "today", "今天":
		return midnight, true
	case "tomorrow", "明天":
		return midnight.AddDate(0, 0, 1), true
	}
	parts := strings.Split(strings.TrimSpace(s), "-")
	num := func(p string) int {
		n, err := strconv.Atoi(p)
		if err != nil || p == "" {
			return -1
		}
		return n
	}
	valid := func(y, m, d int) (time.Time, bool) {
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, loc)
		return t, m >= 1 && m <= 12 && d >= 1 && t.Month() == time.Month(m) && t.Day() == d
	}
	switch len(parts) {
	case 3:
		if len(parts[0]) != 4 {
			return time.Time{}, false
		}
		return valid(num(parts[0]), num(parts[1]), num(parts[2]))
	case 2:
		var best time.Time
		for _, y := range []int{today.Year() - 1, today.Year(), today.Year() + 1} {
			t, ok := valid(y, num(parts[0]), num(parts[1]))
			if ok && (best.IsZero() || absDuration(t.Sub(midnight)) < absDuration(best.Sub(midnight))) {
				best = t
			}
		}
		return best, !best.IsZero()
	}
	return time.Time{}, false
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// parseClock reads "15:04" as minutes after midnight; "24:00" is allowed
// as an end.
func parseClock(s string) (int, bool) {
	hh, mm, ok := strings.Cut(strings.TrimSpace(s), ":")
	h, e1 := strconv.Atoi(hh)
	m, e2 := strconv.Atoi(mm)
	if !ok || e1 != nil || e2 != nil || len(mm) != 2 || h < 0 || m < 0 || m > 59 || h*60+m > 24*60 {
		return 0, false
	}
	return h*60 + m, true
}

// resolveLeave turns the typed arguments into the request's period
// [Start, End) in the employee's zone. Whole days cover from midnight of
// the first date to the end of the last date's shift (midnight or, on an
// overnight schedule, the next morning); clocks cover from StartClock on
// the first date to EndClock on the last (on an overnight schedule an end
// before the start is the next morning). problem names what is wrong.
func resolveLeave(a LeaveArgs, r Roster, types []LeaveType, now time.Time) (m MakeupRequest, lt LeaveType, problem string) {
	loc := r.Zone()
	// Bots pass chat text through; direct callers too (the console).
	a.From, a.To, a.StartClock, a.EndClock = CleanText(a.From), CleanText(a.To), CleanText(a.StartClock), CleanText(a.EndClock)
	a.LeaveType, a.Place, a.Reason = CleanText(a.LeaveType), CleanText(a.Place), CleanText(a.Reason)
	switch a.Type {
	case RequestLeave, RequestTrip, RequestOuting:
	case RequestOvertime:
		// Overtime is a span of one day: "加班 12-05 18:00-21:00"; an end
		// at or before the start is the next morning ("20:00-02:00").
		// The type is noted first: the answer to 加班 alone is overtime's
		// usage (and its form), not the make-up's.
		m.Type = a.Type
		if a.StartClock == "" || a.EndClock == "" {
			return m, lt, ProblemTime
		}
		if a.To != "" && a.To != a.From {
			return m, lt, ProblemDate
		}
		a.To = ""
	default:
		return m, lt, ProblemKind
	}
	m.Type, m.Place, m.Reason = a.Type, strings.TrimSpace(a.Place), strings.TrimSpace(a.Reason)
	if a.Type == RequestLeave {
		var ok bool
		if lt, ok = findLeaveType(types, a.LeaveType); !ok {
			return m, lt, ProblemLeaveType
		}
		m.LeaveType = lt.ID
	}
	from, ok := parseLeaveDate(a.From, now, loc)
	if !ok {
		return m, lt, ProblemDate
	}
	to := from
	if strings.TrimSpace(a.To) != "" {
		if to, ok = parseLeaveDate(a.To, now, loc); !ok {
			return m, lt, ProblemDate
		}
		if to.Before(from) && len(strings.Split(strings.TrimSpace(a.To), "-")) == 2 {
			// "12-30..01-02": the end is in the next year.
			to = time.Date(to.Year()+1, to.Month(), to.Day(), 0, 0, 0, 0, loc)
		}
	}
	if to.Before(from) || to.Sub(from) >= MaxLeaveDays*24*time.Hour {
		return m, lt, ProblemDate
	}
	dayEnd := func(d time.Time) time.Time {
		end := time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
		if r.Schedule != nil {
			if sh := r.Schedule.ShiftOn(d, loc, r.Calendar); sh.End.After(end) {
				end = sh.End
			}
		}
		return end
	}
	m.Start, m.End = from, dayEnd(to)
	if r.Schedule != nil {
		// An overnight shift of the day before ends after midnight: whole
		// days leave it alone.
		if prev := r.Schedule.ShiftOn(from.AddDate(0, 0, -1), loc, r.Calendar); prev.End.After(from) {
			m.Start = prev.End
		}
	}
	if a.StartClock != "" || a.EndClock != "" {
		if a.StartClock != "" {
			clk, ok := parseClock(a.StartClock)
			if !ok {
				return m, lt, ProblemTime
			}
			m.Start = time.Date(from.Year(), from.Month(), from.Day(), 0, clk, 0, 0, loc)
		}
		if a.EndClock != "" {
			clk, ok := parseClock(a.EndClock)
			if !ok {
				return m, lt, ProblemTime
			}
			m.End = time.Date(to.Year(), to.Month(), to.Day(), 0, clk, 0, 0, loc)
			if !m.End.After(m.Start) && from.Equal(to) && (a.Type == RequestOvertime || r.Schedule != nil && r.Schedule.Overnight()) {
				m.End = m.End.AddDate(0, 0, 1)
				if a.Type == RequestOvertime && m.End.Sub(m.Start) > MaxOvernightOvertime {
					return m, lt, ProblemTime
				}
			}
		}
		if !m.End.After(m.Start) {
			return m, lt, ProblemTime
		}
	}
	if utf8.RuneCountInString(m.Reason) > MaxMakeupReason || utf8.RuneCountInString(m.Place) > MaxMakeupReason {
		return m, lt, ProblemReason
	}
	m.ShiftDate, m.At = from.Format(DateLayout), m.Start
	return m, lt, ""
}

// RequestLeave files a leave, trip or outing request for an employee: the
// arguments are read against their roster (dates, clocks, the leave type),
// every date of the period must lie within the employment
// (RequestNotEmployed), then it is checked in one transaction: the period
// must cover working time, must not overlap a pending or approved leave,
// trip or outing, and must fit the leave type's yearly balance. A refusal
// is an EINVALID error wrapping the *MakeupRefusal (see AsRefusal) with
// the view carrying the numbers; on success the approver's card is queued
// in the same transaction.
func (s *Service) RequestLeave(ctx context.Context, employeeID string, a LeaveArgs, platform Platform) (MakeupView, error) {
	return s.fileLeave(ctx, employeeID, a, platform, nil)
}

// leaveTypesOfRequests are the request types that cover a period.
var leaveTypesOfRequests = []RequestType{RequestLeave, RequestTrip, RequestOuting}

func (s *Service) fileLeave(ctx context.Context, employeeID string, a LeaveArgs, platform Platform, after func(Tx, MakeupView) error) (MakeupView, error) {
	r, err := s.Roster(ctx, employeeID)
	if err != nil {
		return MakeupView{}, err
	}
	types, err := s.LeaveTypes(ctx)
	if err != nil {
		return MakeupView{}, err
	}
	now := s.now()
	m, lt, problem := resolveLeave(a, r, types, now)
	m.EmployeeID, m.Platform = employeeID, platform
	v := MakeupView{Request: m, EmployeeName: r.Employee.Name, TimeZone: r.Employee.TimeZone}
	refuse := func(ref *MakeupRefusal, problem string) (MakeupView, error) {
		v.Refusal, v.Problem = ref, problem
		return v, refusalError(ref, problem)
	}
	if a.Problem != "" {
		problem = a.Problem
	}
	if m.Type == RequestOvertime && (r.Schedule == nil || !r.Schedule.Overtime.byApproval()) {
		// Whatever was typed, no overtime request can count here: that is
		// the answer, rather than a usage or a form to fill in.
		return refuse(&MakeupRefusal{Rule: OvertimeNotByApproval}, "")
	}
	if problem != "" {
		return refuse(&MakeupRefusal{Rule: MakeupInvalid}, problem)
	}
	if ref := employmentRefusal(r, m); ref != nil {
		// Every date of the period, before the working time, the balance
		// and the card (employment_requests.go).
		v.Refusal = ref
		return v, employmentError(ref)
	}
	var cost leaveAmount
	overlapping := leaveTypesOfRequests
	if m.Type == RequestOvertime {
		// Overtime has its own rules (overtime.go) and overlaps only
		// other overtime: working late on a day of half-day leave is fine.
		minutes, rule := overtimeRequested(r, m)
		v.Leave = &LeaveView{Minutes: minutes}
		if rule != "" {
			return refuse(&MakeupRefusal{Rule: rule}, "")
		}
		cost, overlapping = leaveAmount{minutes: minutes}, []RequestType{RequestOvertime}
	} else {
		cost = leaveCost(r, m)
		v.Leave = &LeaveView{TypeName: lt.Name, Paid: lt.Paid, Days: cost.days, Minutes: cost.minutes, QuotaDays: lt.AnnualQuotaDays}
		if cost.minutes == 0 {
			return refuse(&MakeupRefusal{Rule: LeaveNoWorkingTime}, "")
		}
	}
	p, err := s.filingPeople(ctx, r)
	if err != nil {
		return v, err
	}
	p.leaveTypes = types
	m.Status, m.ApproverID, m.CreatedAt = MakeupPending, p.approver.ID, now

	var refusal *MakeupRefusal
	err = s.inTx(ctx, func(tx Tx) error {
		if err := tx.LockEmployee(ctx, employeeID); err != nil {
			return err
		}
		open, err := tx.ListMakeups(ctx, MakeupFilter{EmployeeID: employeeID, Types: overlapping,
			Statuses: []MakeupStatus{MakeupPending, MakeupApproved}, CoverFrom: m.Start, CoverTo: m.End})
		if err != nil {
			return err
		}
		for _, o := range open {
			if o.Start.Before(m.End) && m.Start.Before(o.End) {
				refusal = &MakeupRefusal{Rule: LeaveOverlap, OtherID: o.ID}
				return refusalError(refusal, "")
			}
		}
		if lt.Comp() {
			if refusal, _, err = s.checkComp(ctx, tx, r, m, lt, cost); err != nil || refusal != nil { // comptime.go
				if refusal != nil {
					return refusalError(refusal, "")
				}
				return err
			}
		} else if lt.AnnualQuotaDays > 0 {
			if refusal, err = s.checkBalance(ctx, tx, r, m, lt, cost); err != nil || refusal != nil {
				if refusal != nil {
					v.Leave.UsedDays, v.Leave.Year = refusal.UsedDays, refusal.Year
					return refusalError(refusal, "")
				}
				return err
			}
		}
		extra := map[string]any{"approver": m.ApproverID, "reason": m.Reason, "platform": platform, "days": cost.days, "minutes": cost.minutes}
		return s.insertMakeup(ctx, tx, employeeID, "requested", m, extra, p, &v, after)
	})
	if refusal != nil {
		v.Refusal = refusal
	}
	return v, err
}

// checkBalance refuses a leave that takes the leave type's yearly quota
// beyond its days: each calendar year the period touches is checked with
// the pending and approved leave of the type in it.
func (s *Service) checkBalance(ctx context.Context, tx Tx, r Roster, m MakeupRequest, lt LeaveType, cost leaveAmount) (*MakeupRefusal, error) {
	for year, asked := range cost.byYear {
		used, err := s.usedLeave(ctx, tx, r, lt.ID, year, m.ID)
		if err != nil {
			return nil, err
		}
		if used+asked > lt.AnnualQuotaDays+1e-9 {
			return &MakeupRefusal{Rule: LeaveBalanceExhausted, UsedDays: used, QuotaDays: lt.AnnualQuotaDays, AskedDays: asked, Year: year}, nil
		}
	}
	return nil, nil
}

// usedLeave sums the days of pending and approved leave of one type in one
// calendar year, leaving out request skip.
func (s *Service) usedLeave(ctx context.Context, tx Tx, r Roster, leaveType string, year int, skip int64) (float64, error) {
	loc := r.Zone()
	from := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	to := from.AddDate(1, 0, 0)
	list, err := tx.ListMakeups(ctx, MakeupFilter{EmployeeID: r.Employee.ID, Types: []RequestType{RequestLeave},
		Statuses: []MakeupStatus{MakeupPending, MakeupApproved}, CoverFrom: from.AddDate(0, 0, -1), CoverTo: to})
	if err != nil {
		return 0, err
	}
	used := 0.0
	for _, o := range list {
		if o.LeaveType == leaveType && o.ID != skip {
			used += leaveCost(r, o).byYear[year]
		}
	}
	return used, nil
}

// approvalView fills what a card shows about a field, leave, trip or
// outing request.
func (s *Service) approvalView(ctx context.Context, tx Tx, v *MakeupView, p makeupPeople) error {
	m := v.Request
	var err error
	if v.Punches, err = tx.ShiftPunches(ctx, m.EmployeeID, m.ShiftDate); err != nil {
		return err
	}
	switch m.TypeOf() {
	case RequestField:
		if pu, ok := pendingFieldPunch(m, v.Punches); ok {
			v.Field = fieldView(m, pu, p.roster.Sites)
		}
		return nil
	case RequestLeave, RequestTrip, RequestOuting:
	case RequestOvertime:
		minutes, _ := overtimeRequested(p.roster, m) // overtime.go
		v.Leave = &LeaveView{Minutes: minutes}
		return nil
	default:
		return nil
	}
	cost := leaveCost(p.roster, m)
	v.Leave = &LeaveView{Days: cost.days, Minutes: cost.minutes}
	if m.TypeOf() != RequestLeave {
		return nil
	}
	lt, ok := findLeaveType(p.leaveTypes, m.LeaveType)
	if !ok {
		v.Leave.TypeName = m.LeaveType
		return nil
	}
	v.Leave.TypeName, v.Leave.Paid, v.Leave.QuotaDays = lt.Name, lt.Paid, lt.AnnualQuotaDays
	if lt.Comp() {
		return s.compView(ctx, tx, v.Leave, p.roster, lt) // comptime.go
	}
	if lt.AnnualQuotaDays > 0 {
		year := m.Start.In(p.roster.Zone()).Year()
		used, err := s.usedLeave(ctx, tx, p.roster, lt.ID, year, 0)
		if err != nil {
			return err
		}
		v.Leave.UsedDays, v.Leave.Year = used, year
	}
	return nil
}
