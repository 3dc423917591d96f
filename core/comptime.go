package core

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Time off in lieu of overtime (调休假, 补休): 劳动法 第四十四条 lets rest-day
// overtime be compensated by time off instead of 200% pay; DingTalk and
// Feishu call the balance 加班转调休. A leave type with FromOvertime is
// such a type: it keeps no yearly quota; each day's overtime of the listed
// kinds (OvertimeOf, after the minimum and the rounding, once final) earns
// that many minutes, which lapse ExpireDays after the day; pending and
// approved leave of the type spends them, oldest earnings first.

// LeaveCompExhausted: the leave asks more time off than the overtime
// earned for the type leaves (Refusal.AvailableMin, AskedMin).
const LeaveCompExhausted = "leave_comp_exhausted"

// CompLookbackDays bounds how far back the balance reads overtime and
// leave: a type that never expires counts two years of overtime.
const CompLookbackDays = 732

// MaxCompExpireDays bounds ExpireDays.
const MaxCompExpireDays = 366

// Comp reports whether the type is time off in lieu of overtime.
func (t LeaveType) Comp() bool { return len(t.FromOvertime) > 0 }

// Earns reports whether overtime of kind k accrues to the type.
func (t LeaveType) Earns(k OvertimeKind) bool { return slices.Contains(t.FromOvertime, k) }

// ValidOvertimeKind reports whether k names an overtime kind.
func ValidOvertimeKind(k OvertimeKind) bool {
	return k == OvertimeWorkday || k == OvertimeRestDay || k == OvertimeHoliday
}

// OvertimeKinds lists the kinds for validation messages.
const OvertimeKinds = "workday, rest_day or holiday"

// JoinOvertimeKinds is how the stores keep FromOvertime: "rest_day,holiday".
func JoinOvertimeKinds(kinds []OvertimeKind) string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ",")
}

// SplitOvertimeKinds reads JoinOvertimeKinds back; "" is none.
func SplitOvertimeKinds(s string) []OvertimeKind {
	if s == "" {
		return nil
	}
	var out []OvertimeKind
	for _, k := range strings.Split(s, ",") {
		out = append(out, OvertimeKind(k))
	}
	return out
}

// CompOvertimeKinds are the kinds some leave type turns into time off:
// payroll reports them apart and does not pay them as overtime.
func CompOvertimeKinds(types []LeaveType) map[OvertimeKind]bool {
	out := map[OvertimeKind]bool{}
	for _, t := range types {
		for _, k := range t.FromOvertime {
			out[k] = true
		}
	}
	return out
}

// moveCompOvertime moves the overtime of the kinds some leave type turns
// into time off out of the paid columns into OvertimeCompMin: what is
// taken as time off is not also paid. Which overtime will be taken is not
// known when the month is paid, so all of it of such a kind counts as time
// off (an organisation that pays rest-day overtime leaves rest_day out of
// from_overtime).
func moveCompOvertime(rows []MonthlyRow, types []LeaveType) {
	comp := CompOvertimeKinds(types)
	if len(comp) == 0 {
		return
	}
	for i := range rows {
		r := &rows[i]
		for k, min := range map[OvertimeKind]*int{OvertimeWorkday: &r.OvertimeWorkdayMin, OvertimeRestDay: &r.OvertimeRestDayMin, OvertimeHoliday: &r.OvertimeHolidayMin} {
			if comp[k] {
				r.OvertimeCompMin += *min
				*min = 0
			}
		}
	}
}

// OvertimeCompHours is OvertimeCompMin in hours, rounded to two decimals.
func (r MonthlyRow) OvertimeCompHours() float64 { return minutesToHours(r.OvertimeCompMin) }

// CompEntry is one earning (a shift date's overtime) or one spending (a
// leave starting on Date) of comp time.
type CompEntry struct {
	Date    string // YYYY-MM-DD, the employee's local date
	Minutes int
}

// CompLedger is what a comp balance is computed from.
type CompLedger struct {
	Earned     []CompEntry
	Spent      []CompEntry
	ExpireDays int    // 0: earned time does not lapse
	Today      string // the employee's local date
}

// BalanceMin is the comp time left on Today, in minutes. Spendings are
// taken in date order from the oldest earnings dated on or before them and
// still valid on their date; earnings that have lapsed by Today count
// nothing. A spending that finds too little (the balance was overdrawn
// while its earnings lay before the lookback) reduces the balance only
// when it is recent enough that its earnings could still be valid. It can
// be negative.
func (l CompLedger) BalanceMin() int {
	balance, _ := l.run()
	return balance
}

// run is BalanceMin and the minutes spendings found no earnings for.
func (l CompLedger) run() (balance, deficit int) {
	earned := slices.Clone(l.Earned)
	slices.SortStableFunc(earned, func(a, b CompEntry) int { return strings.Compare(a.Date, b.Date) })
	spent := slices.Clone(l.Spent)
	slices.SortStableFunc(spent, func(a, b CompEntry) int { return strings.Compare(a.Date, b.Date) })
	left := make([]int, len(earned))
	for i, e := range earned {
		left[i] = e.Minutes
	}
	for _, sp := range spent {
		need := sp.Minutes
		for i, e := range earned {
			if need == 0 || e.Date > sp.Date {
				break
			}
			if !l.valid(e.Date, sp.Date) || left[i] == 0 {
				continue
			}
			take := min(need, left[i])
			left[i] -= take
			need -= take
		}
		if need > 0 && (l.ExpireDays == 0 || l.valid(sp.Date, l.Today)) {
			deficit += need
		}
	}
	balance = -deficit
	for i, e := range earned {
		if l.valid(e.Date, l.Today) {
			balance += left[i]
		}
	}
	return balance, deficit
}

// Available is how much of a spending of minutes on date the ledger can
// fund: all of it unless it would leave a spending, itself or one after
// it, without earnings.
func (l CompLedger) Available(date string, minutes int) int {
	_, before := l.run()
	l.Spent = append(slices.Clip(l.Spent), CompEntry{Date: date, Minutes: minutes})
	_, after := l.run()
	return max(0, minutes-(after-before))
}

// valid reports whether time earned on date is still valid on day.
func (l CompLedger) valid(earned, day string) bool {
	if l.ExpireDays == 0 {
		return true
	}
	e, err1 := time.Parse(DateLayout, earned)
	d, err2 := time.Parse(DateLayout, day)
	return err1 == nil && err2 == nil && d.Before(e.AddDate(0, 0, l.ExpireDays))
}

// CompLedgerOf builds the ledger of comp type lt for one employee from
// their punches and requests (pending and approved, any type) over dates,
// the lookback up to today: the overtime of the type's kinds of each date
// and the working time of each pending or approved leave of the type,
// leaving out request skip.
func CompLedgerOf(r Roster, lt LeaveType, dates []string, punches []Punch, requests []MakeupRequest, skip int64, now time.Time) CompLedger {
	l := CompLedger{ExpireDays: lt.ExpireDays, Today: now.In(r.Zone()).Format(DateLayout)}
	for _, row := range DailyRowsWith(r, dates, punches, requests, now) {
		if row.OvertimeMin > 0 && lt.Earns(row.OvertimeKind) {
			l.Earned = append(l.Earned, CompEntry{Date: row.Date, Minutes: row.OvertimeMin})
		}
	}
	for _, m := range requests {
		if m.TypeOf() == RequestLeave && m.LeaveType == lt.ID && m.ID != skip &&
			(m.Status == MakeupPending || m.Status == MakeupApproved) {
			l.Spent = append(l.Spent, CompEntry{Date: m.Start.In(r.Zone()).Format(DateLayout), Minutes: leaveCost(r, m).minutes})
		}
	}
	return l
}

// compLookback is the first date the ledger reads: twice the expiry (a
// spending inside the expiry window may use earnings as old again).
func compLookback(lt LeaveType, today time.Time) time.Time {
	days := CompLookbackDays
	if lt.ExpireDays > 0 && 2*lt.ExpireDays < days {
		days = 2 * lt.ExpireDays
	}
	return today.AddDate(0, 0, -days)
}

// compLedger reads, inside tx, the ledger of comp type lt for the
// roster's employee, leaving out request skip.
func (s *Service) compLedger(ctx context.Context, tx Tx, r Roster, lt LeaveType, skip int64) (CompLedger, error) {
	now := s.now()
	loc := r.Zone()
	local := now.In(loc)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	from := compLookback(lt, today)
	requests, err := tx.ListMakeups(ctx, MakeupFilter{EmployeeID: r.Employee.ID, Types: []RequestType{RequestLeave, RequestOvertime},
		Statuses: []MakeupStatus{MakeupPending, MakeupApproved}, CoverFrom: from.AddDate(0, 0, -1), CoverTo: today.AddDate(0, 0, 2*MaxLeaveDays)})
	if err != nil {
		return CompLedger{}, err
	}
	dates, err := Dates(from.Format(DateLayout), today.Format(DateLayout))
	if err != nil {
		// The lookback is longer than a report range: read it in two.
		mid := from.AddDate(0, 0, maxReportDays-1)
		first, _ := Dates(from.Format(DateLayout), mid.Format(DateLayout))
		rest, err := Dates(mid.AddDate(0, 0, 1).Format(DateLayout), today.Format(DateLayout))
		if err != nil {
			return CompLedger{}, err
		}
		dates = append(first, rest...)
	}
	punches, err := compPunches(ctx, tx, r, dates, requests)
	if err != nil {
		return CompLedger{}, err
	}
	var requestsKept []MakeupRequest
	for _, m := range requests {
		// Leave before the lookback spent earnings that have lapsed.
		if m.TypeOf() == RequestOvertime || !m.Start.Before(from) {
			requestsKept = append(requestsKept, m)
		}
	}
	return CompLedgerOf(r, lt, dates, punches, requestsKept, skip, now), nil
}

// compPunches reads inside tx, in one read, the punches overtime can come
// from: under the approval and both modes only those of the dates of
// approved overtime (a flexible check-in moves the window), under punch
// those of every date.
func compPunches(ctx context.Context, tx Tx, r Roster, dates []string, requests []MakeupRequest) ([]Punch, error) {
	if r.Schedule == nil || !r.Schedule.Overtime.On() || len(dates) == 0 {
		return nil, nil
	}
	byPunch := r.Schedule.OvertimeMode() == OvertimePunch
	var approved []string
	for _, m := range requests {
		if m.TypeOf() == RequestOvertime && m.Status == MakeupApproved {
			approved = append(approved, m.ShiftDate)
		}
	}
	if !byPunch && len(approved) == 0 {
		return nil, nil
	}
	from, to := dates[0], dates[len(dates)-1]
	if !byPunch {
		from, to = slices.Min(approved), slices.Max(approved)
	}
	all, err := tx.ShiftPunchesBetween(ctx, r.Employee.ID, from, to)
	if err != nil || byPunch {
		return all, err
	}
	var out []Punch
	for _, p := range all {
		if slices.Contains(approved, p.ShiftDate) {
			out = append(out, p)
		}
	}
	return out, nil
}

// checkComp refuses a leave of comp type lt that asks more than the
// balance; it returns the balance left with the request taken.
func (s *Service) checkComp(ctx context.Context, tx Tx, r Roster, m MakeupRequest, lt LeaveType, cost leaveAmount) (*MakeupRefusal, int, error) {
	l, err := s.compLedger(ctx, tx, r, lt, m.ID)
	if err != nil {
		return nil, 0, err
	}
	date := m.Start.In(r.Zone()).Format(DateLayout)
	if available := l.Available(date, cost.minutes); available < cost.minutes {
		return &MakeupRefusal{Rule: LeaveCompExhausted, AvailableMin: available, AskedMin: cost.minutes}, 0, nil
	}
	l.Spent = append(l.Spent, CompEntry{Date: date, Minutes: cost.minutes})
	return nil, l.BalanceMin(), nil
}

// compView fills the comp balance a leave card and reply show.
func (s *Service) compView(ctx context.Context, tx Tx, v *LeaveView, r Roster, lt LeaveType) error {
	l, err := s.compLedger(ctx, tx, r, lt, 0)
	if err != nil {
		return err
	}
	v.Comp, v.CompLeftMin = true, l.BalanceMin()
	return nil
}
