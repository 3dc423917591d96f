package core

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"
)

// MonthLayout is the layout of report months.
const MonthLayout = "2006-01"

// ShiftRange selects punches by shift date, the way reports read them.
type ShiftRange struct {
	From, To string // local shift dates, YYYY-MM-DD, both inclusive
	// ValidOnly keeps only punches that count (accepted or field): a report
	// never needs the rejected attempts, and skipping them halves the rows.
	ValidOnly bool
	// EmployeeIDs limits the range to these people; nil means everyone.
	EmployeeIDs []string
	// Lean asks only for what reports read: employee, kind, time, shift
	// date, source, site, outcome and flags. A store may leave every other
	// field zero, which makes a month for ten thousand people several times
	// cheaper to read.
	Lean bool
}

// ReportSource is what reports read from storage: everyone's rules and the
// punches of a range of shift dates in bulk, so that a month for ten
// thousand people costs two queries instead of twenty thousand.
type ReportSource interface {
	// Rosters returns the roster of every employee (schedule, sites,
	// calendar, policy), ordered by employee id; core.ReminderStore asks
	// the same of a store.
	Rosters(ctx context.Context) ([]Roster, error)
	// ScanShiftPunches calls fn for every punch in the range, ordered by
	// employee id, shift date, time and id. An error from fn stops the scan
	// and is returned as is.
	ScanShiftPunches(ctx context.Context, r ShiftRange, fn func(Punch) error) error
	// ListRequests returns the approval requests matching f (reports ask
	// for the pending and approved leave, trips, outings and field punches
	// of a range, everyone's in one query), oldest first.
	ListRequests(ctx context.Context, f MakeupFilter) ([]MakeupRequest, error)
}

// DailyRow is one employee's attendance on one shift date, as payroll and
// HR read it. Times are in the employee's zone.
type DailyRow struct {
	EmployeeID string
	Name       string
	Department string
	Date       string
	Workday    bool
	Holiday    string
	FirstIn    time.Time // zero: no valid check-in
	LastOut    time.Time // zero: no valid check-out
	Statuses   []DayStatus
	LateMin    int
	EarlyMin   int
	WorkedMin  int
	SiteID     string // where the day started (or ended, without a check-in)
	SiteName   string
	Field      bool
	Makeups    int // punches of the day written by approved make-up requests
	Flags      []string
	// Leave is the day's approved leave by type; LeaveMin its total.
	Leave    []LeaveAmount `json:",omitempty"`
	LeaveMin int           `json:",omitempty"`
	// Trip and Outing: an approved business trip or outing covers (part
	// of) the day; Place is where to.
	Trip   bool   `json:",omitempty"`
	Outing bool   `json:",omitempty"`
	Place  string `json:",omitempty"`
	// PendingApprovals counts requests touching the day that wait for a
	// decision (a field punch, a leave).
	PendingApprovals int `json:",omitempty"`
	// OvertimeMin is the day's overtime (加班, overtime.go) in minutes, of
	// OvertimeKind; the kind is empty when the schedule has overtime off.
	OvertimeMin  int          `json:",omitempty"`
	OvertimeKind OvertimeKind `json:",omitempty"`
	// NotEmployed: the date is before the employee's first or after their
	// last working day (Employee.Joined, Left). The row's only status is
	// DayNotEmployed and it counts nothing; Workday still says whether the
	// schedule would have had them work, for pro-rating a month's pay.
	NotEmployed bool `json:",omitempty"`
}

// OvertimeHours is OvertimeMin in hours, rounded to two decimals.
func (r DailyRow) OvertimeHours() float64 { return minutesToHours(r.OvertimeMin) }

// LeaveDays is the day's approved leave of every type, in days.
func (r DailyRow) LeaveDays() float64 {
	d := 0.0
	for _, l := range r.Leave {
		d += l.Days
	}
	return d
}

// Has reports whether the row carries status st.
func (r DailyRow) Has(st DayStatus) bool { return slices.Contains(r.Statuses, st) }

// DailyReport lists every included employee for every date of a range.
type DailyReport struct {
	From, To    string
	GeneratedAt time.Time
	Rows        []DailyRow // by employee id, then date
	// LeaveTypes are the organisation's, for naming the rows' leave.
	LeaveTypes []LeaveType
}

// MonthlyRow sums one employee's month. Counts are days unless named
// otherwise.
type MonthlyRow struct {
	EmployeeID   string
	Name         string
	Department   string
	Joined, Left string // the employee's first and last working day, "" for none
	Workdays     int    // scheduled working days in the month while employed
	// NotEmployedWorkdays are the month's scheduled working days before
	// Joined or after Left: Workdays plus these is the full month's, what
	// a mid-month joiner's or leaver's pay is pro-rated against.
	NotEmployedWorkdays int
	DaysWorked          int // days with at least one valid punch
	LateCount           int // late or seriously late
	LateMin             int
	SeriousLate         int
	EarlyLeave          int
	EarlyMin            int
	MissingPunches      int // missing check-ins plus missing check-outs
	Absences            int
	MakeupsUsed         int // punches written by approved make-up requests
	FieldPunches        int // valid punches accepted as field punches (外勤)
	WorkedMin           int
	// Leave sums approved leave by type (days and minutes); LeaveDays and
	// LeaveMin are the totals.
	Leave     LeaveByType `json:",omitzero"`
	LeaveDays float64
	LeaveMin  int
	// TripDays and OutingDays count working days an approved trip or
	// outing covered.
	TripDays   int
	OutingDays int
	// PendingApprovals counts days with a request waiting for a decision.
	PendingApprovals int
	// Overtime (加班) in minutes by payroll category, which Chinese labour
	// law pays at different rates (overtime.go).
	OvertimeWorkdayMin int
	OvertimeRestDayMin int
	OvertimeHolidayMin int
	// OvertimeCompMin is the overtime turned into time off (调休,
	// comptime.go): of the kinds some leave type lists in FromOvertime,
	// and then not in its kind's paid column above.
	OvertimeCompMin int
}

// LeaveOf returns the month's leave of one type.
func (r MonthlyRow) LeaveOf(leaveType string) LeaveAmount { return r.Leave.Of(leaveType) }

// WorkedHours is WorkedMin in hours, rounded to two decimals for payroll.
func (r MonthlyRow) WorkedHours() float64 { return minutesToHours(r.WorkedMin) }

// OvertimeWorkdayHours, OvertimeRestDayHours and OvertimeHolidayHours are
// the month's overtime of each category in hours, rounded to two decimals.
func (r MonthlyRow) OvertimeWorkdayHours() float64 { return minutesToHours(r.OvertimeWorkdayMin) }

// OvertimeRestDayHours: see OvertimeWorkdayHours.
func (r MonthlyRow) OvertimeRestDayHours() float64 { return minutesToHours(r.OvertimeRestDayMin) }

// OvertimeHolidayHours: see OvertimeWorkdayHours.
func (r MonthlyRow) OvertimeHolidayHours() float64 { return minutesToHours(r.OvertimeHolidayMin) }

// minutesToHours is minutes in hours, rounded to two decimals for payroll.
func minutesToHours(min int) float64 { return math.Round(float64(min)/60*100) / 100 }

// MonthlyReport sums a calendar month per employee.
type MonthlyReport struct {
	Month       string // YYYY-MM
	From, To    string // first and last date
	GeneratedAt time.Time
	Rows        []MonthlyRow // by employee id
	// LeaveTypes are the organisation's, for the leave columns; a type
	// found in the rows but no longer declared is appended by its id.
	LeaveTypes []LeaveType
}

// MonthRange returns the first and last date of a YYYY-MM month.
func MonthRange(month string) (from, to string, err error) {
	m, err := time.Parse(MonthLayout, month)
	if err != nil {
		return "", "", Errorf(EINVALID, "month %q is not YYYY-MM", month)
	}
	return m.Format(DateLayout), m.AddDate(0, 1, -1).Format(DateLayout), nil
}

// maxReportDays bounds a daily report's range: a year of rows for ten
// thousand people is already millions of lines.
const maxReportDays = 366

// Dates lists the dates from from to to, both inclusive.
func Dates(from, to string) ([]string, error) {
	f, err := time.Parse(DateLayout, from)
	if err != nil {
		return nil, Errorf(EINVALID, "date %q is not YYYY-MM-DD", from)
	}
	t, err := time.Parse(DateLayout, to)
	if err != nil {
		return nil, Errorf(EINVALID, "date %q is not YYYY-MM-DD", to)
	}
	if t.Before(f) {
		return nil, Errorf(EINVALID, "the range %s to %s ends before it starts", from, to)
	}
	if t.Sub(f) >= maxReportDays*24*time.Hour {
		return nil, Errorf(EINVALID, "the range %s to %s is longer than %d days", from, to, maxReportDays)
	}
	var out []string
	for d := f; !d.After(t); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(DateLayout))
	}
	return out, nil
}

// DailyRows computes the rows of one employee for dates from their punches
// (any order; rejected attempts are ignored) through ComputeDay.
func DailyRows(r Roster, dates []string, punches []Punch, now time.Time) []DailyRow {
	return DailyRowsWith(r, dates, punches, nil, now)
}

// DailyRowsWith is DailyRows with the employee's pending and approved
// requests (see ComputeDayWith).
func DailyRowsWith(r Roster, dates []string, punches []Punch, approvals []MakeupRequest, now time.Time) []DailyRow {
	byDate := func(a, b Punch) int { return strings.Compare(a.ShiftDate, b.ShiftDate) }
	if !slices.IsSortedFunc(punches, byDate) {
		punches = slices.Clone(punches)
		slices.SortStableFunc(punches, byDate)
	}
	// Stores hand punches over sorted by shift date, so each date's punches
	// are a sub-slice found by walking forward: a month for ten thousand
	// people allocates no per-date copies.
	out := make([]DailyRow, 0, len(dates))
	i := 0
	for _, d := range dates {
		for i < len(punches) && punches[i].ShiftDate < d {
			i++
		}
		j := i
		for j < len(punches) && punches[j].ShiftDate == d {
			j++
		}
		out = append(out, dailyRow(r, d, punches[i:j:j], approvals, now))
		i = j
	}
	return out
}

func dailyRow(r Roster, date string, punches []Punch, approvals []MakeupRequest, now time.Time) DailyRow {
	day := ComputeDayWith(r, date, punches, approvals, now)
	if day.Has(DayNotEmployed) {
		// Nothing is due before joining or after leaving (Feishu's 入职/
		// 离职当月 exemptions, HRMS's date_of_joining and relieving_date):
		// not absent, not late, no missing punch, no leave or overtime.
		// A punch is refused on such a day; one stored before the dates
		// were set does not count either (ComputeDayWith ignores it).
		return DailyRow{EmployeeID: r.Employee.ID, Name: r.Employee.Name, Department: r.Employee.Department,
			Date: date, Workday: day.Workday, Holiday: day.Holiday, Statuses: day.Statuses, NotEmployed: true}
	}
	loc := r.Zone()
	row := DailyRow{
		EmployeeID: r.Employee.ID, Name: r.Employee.Name, Department: r.Employee.Department,
		Date: date, Workday: day.Workday, Holiday: day.Holiday, Statuses: day.Statuses,
		LateMin: day.LateMin, EarlyMin: day.EarlyMin, WorkedMin: day.WorkedMin, Field: day.Has(DayField), Flags: day.Flags,
	}
	if day.In != nil {
		row.FirstIn, row.SiteID = day.In.At.In(loc), day.In.SiteID
	}
	if day.Out != nil {
		row.LastOut = day.Out.At.In(loc)
		if row.SiteID == "" {
			row.SiteID = day.Out.SiteID
		}
	}
	row.SiteName = row.SiteID
	for _, s := range r.Sites {
		if s.ID == row.SiteID {
			row.SiteName = s.Name
		}
	}
	for _, p := range punches {
		if p.Valid() && p.ShiftDate == date && p.Source == SourceMakeup {
			row.Makeups++
		}
	}
	if a := day.Approvals; a != nil {
		row.Leave, row.LeaveMin = a.Leave, a.LeaveMin()
		row.Trip, row.Outing, row.Place = a.TripMin > 0, a.OutingMin > 0, a.Place
		row.PendingApprovals = a.Pending
	}
	ot := OvertimeOf(r, day, approvals, now)
	row.OvertimeMin, row.OvertimeKind = ot.Minutes, ot.Kind
	return row
}

// MonthlyRowOf sums an employee's daily rows (consecutive dates in order, as
// DailyRows returns them) and counts their field punches.
func MonthlyRowOf(r Roster, days []DailyRow, punches []Punch) MonthlyRow {
	m := MonthlyRow{EmployeeID: r.Employee.ID, Name: r.Employee.Name, Department: r.Employee.Department,
		Joined: r.Employee.Joined, Left: r.Employee.Left}
	for _, d := range days {
		if d.NotEmployed {
			if d.Workday {
				m.NotEmployedWorkdays++
			}
			continue
		}
		if d.Workday {
			m.Workdays++
		}
		if !d.FirstIn.IsZero() || !d.LastOut.IsZero() || d.Trip || d.Outing {
			// Trips and outings count as worked in the field.
			m.DaysWorked++
		}
		for _, l := range d.Leave {
			m.Leave.add(l)
			m.LeaveDays += l.Days
			m.LeaveMin += l.Minutes
		}
		if d.Trip {
			m.TripDays++
		}
		if d.Outing {
			m.OutingDays++
		}
		if d.PendingApprovals > 0 {
			m.PendingApprovals++
		}
		for _, st := range d.Statuses {
			switch st {
			case DayLate:
				m.LateCount++
				m.LateMin += d.LateMin
			case DaySeriousLate:
				m.LateCount++
				m.SeriousLate++
				m.LateMin += d.LateMin
			case DayEarlyLeave:
				m.EarlyLeave++
				m.EarlyMin += d.EarlyMin
			case DayMissingIn, DayMissingOut:
				m.MissingPunches++
			case DayAbsent:
				m.Absences++
			}
		}
		m.MakeupsUsed += d.Makeups
		m.WorkedMin += d.WorkedMin
		switch d.OvertimeKind {
		case OvertimeWorkday:
			m.OvertimeWorkdayMin += d.OvertimeMin
		case OvertimeRestDay:
			m.OvertimeRestDayMin += d.OvertimeMin
		case OvertimeHoliday:
			m.OvertimeHolidayMin += d.OvertimeMin
		}
	}
	m.LeaveDays = math.Round(m.LeaveDays*2) / 2
	if len(days) == 0 {
		return m
	}
	// Days are consecutive dates, so "in the range" is two comparisons.
	first, last := days[0].Date, days[len(days)-1].Date
	for _, p := range punches {
		if p.Valid() && p.Outcome == OutcomeField && p.ShiftDate >= first && p.ShiftDate <= last && r.Employee.EmployedOn(p.ShiftDate) {
			m.FieldPunches++
		}
	}
	return m
}

// reportLeaveTypes are the leave types the report's columns show: the
// organisation's (or the defaults), then any type found in the rows that
// is no longer declared.
func reportLeaveTypes(ctx context.Context, src ReportSource, found []string) ([]LeaveType, error) {
	types := DefaultLeaveTypes()
	if ls, ok := src.(LeaveTypeStore); ok {
		got, err := ls.LeaveTypes(ctx)
		if err != nil {
			return nil, err
		}
		if len(got) > 0 {
			types = got
		}
	}
	for _, id := range found {
		if !slices.ContainsFunc(types, func(t LeaveType) bool { return t.ID == id }) {
			types = append(types, LeaveType{ID: id, Name: id})
		}
	}
	return types, nil
}

// includeInReport decides who appears: everyone active, and people no longer
// active only when they have punches or requests (leave, trips, make-ups,
// pending or approved) in the range: a departed employee's last month is
// still paid, leave taken before leaving included, even when they did not
// punch at all that month.
//
// Employment dates decide first when the range is known: someone employed
// on none of its days (joined after it, left before it) is left out, and a
// leaver whose last day falls in it is in, active or not, punches or none:
// that month is the one payroll settles.
func includeInReport(r Roster, from, to string, hasPunches, hasRequests bool) bool {
	e := r.Employee
	if (e.Joined != "" && e.Joined > to) || (e.Left != "" && e.Left < from) {
		return false
	}
	if e.Left != "" && e.Left <= to {
		return true
	}
	return e.Active || hasPunches || hasRequests
}

// requestsTouch reports whether any of the employee's requests shows in the
// rows of the dates from to to: the store's query reaches a day beyond the
// range on each side (zones), and a leave that ended the day before does not
// put a departed employee in the report.
func requestsTouch(r Roster, from, to string, requests []MakeupRequest, now time.Time) bool {
	if len(requests) == 0 {
		return false
	}
	dates, err := Dates(from, to)
	if err != nil {
		return false
	}
	for _, d := range DailyRowsWith(r, dates, nil, requests, now) {
		if d.LeaveMin > 0 || d.Trip || d.Outing || d.PendingApprovals > 0 {
			return true
		}
	}
	return false
}

// scanReport reads the rosters in scope and calls each once per employee who
// belongs in the report, with their valid punches of the range. The order
// of the calls is the order of the punch stream; callers sort.
func scanReport(ctx context.Context, src ReportSource, from, to string, scope Scope, now time.Time, each func(r Roster, punches []Punch, approvals []MakeupRequest)) error {
	rosters, err := src.Rosters(ctx)
	if err != nil {
		return err
	}
	// Everyone's pending and approved requests of the range, in one query.
	requests, err := src.ListRequests(ctx, approvalFilter(from, to))
	if err != nil {
		return err
	}
	approvals := map[string][]MakeupRequest{}
	for _, m := range requests {
		if scope.Allows(m.EmployeeID) {
			approvals[m.EmployeeID] = append(approvals[m.EmployeeID], m)
		}
	}
	inScope := map[string]Roster{}
	var ids []string
	zones := map[string]*time.Location{}
	for _, r := range rosters {
		if !scope.Allows(r.Employee.ID) {
			continue
		}
		if r.Loc == nil {
			// Resolving a zone reads the zone database; ten thousand people
			// share a handful of zones.
			loc, ok := zones[r.Employee.TimeZone]
			if !ok {
				loc = r.Employee.Location()
				zones[r.Employee.TimeZone] = loc
			}
			r.Loc = loc
		}
		inScope[r.Employee.ID] = r
		ids = append(ids, r.Employee.ID)
	}
	q := ShiftRange{From: from, To: to, ValidOnly: true, Lean: true}
	if !scope.All {
		if len(ids) == 0 {
			return nil
		}
		q.EmployeeIDs = ids
	}
	done := map[string]bool{}
	var cur string
	var batch []Punch
	flush := func() error {
		if r, ok := inScope[cur]; ok {
			if done[cur] {
				return Errorf(EINTERNAL, "report: the store returned the punches of %s in more than one group", cur)
			}
			done[cur] = true
			if includeInReport(r, from, to, true, false) {
				each(r, batch, approvals[cur])
			}
		}
		batch = batch[:0] // each keeps nothing of the punches it is given
		return nil
	}
	err = src.ScanShiftPunches(ctx, q, func(p Punch) error {
		if p.EmployeeID != cur {
			if err := flush(); err != nil {
				return err
			}
			cur = p.EmployeeID
		}
		if p.Valid() {
			batch = append(batch, p)
		}
		return ctx.Err()
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	for _, id := range ids {
		if r := inScope[id]; !done[id] && includeInReport(r, from, to, false, requestsTouch(r, from, to, approvals[id], now)) {
			each(r, nil, approvals[id])
		}
	}
	return nil
}

// BuildDailyReport computes the daily rows of every employee in scope for the
// dates from to to (inclusive) from their punches, approved make-ups
// included, through ComputeDay. now decides which shifts are still running.
func BuildDailyReport(ctx context.Context, src ReportSource, from, to string, scope Scope, now time.Time) (DailyReport, error) {
	dates, err := Dates(from, to)
	if err != nil {
		return DailyReport{}, err
	}
	rep := DailyReport{From: from, To: to, GeneratedAt: now}
	err = scanReport(ctx, src, from, to, scope, now, func(r Roster, punches []Punch, approvals []MakeupRequest) {
		rep.Rows = append(rep.Rows, DailyRowsWith(r, dates, punches, approvals, now)...)
	})
	// Each employee's rows are already in date order.
	slices.SortStableFunc(rep.Rows, func(a, b DailyRow) int { return strings.Compare(a.EmployeeID, b.EmployeeID) })
	if err != nil {
		return rep, err
	}
	var found []string
	for _, row := range rep.Rows {
		for _, l := range row.Leave {
			found = append(found, l.Type)
		}
	}
	rep.LeaveTypes, err = reportLeaveTypes(ctx, src, found)
	return rep, err
}

// BuildMonthlyReport sums a calendar month (YYYY-MM) for every employee in
// scope, computed from punches and approved make-ups; nothing in it can be
// edited by hand.
func BuildMonthlyReport(ctx context.Context, src ReportSource, month string, scope Scope, now time.Time) (MonthlyReport, error) {
	from, to, err := MonthRange(month)
	if err != nil {
		return MonthlyReport{}, err
	}
	dates, err := Dates(from, to)
	if err != nil {
		return MonthlyReport{}, err
	}
	rep := MonthlyReport{Month: month, From: from, To: to, GeneratedAt: now}
	err = scanReport(ctx, src, from, to, scope, now, func(r Roster, punches []Punch, approvals []MakeupRequest) {
		rep.Rows = append(rep.Rows, MonthlyRowOf(r, DailyRowsWith(r, dates, punches, approvals, now), punches))
	})
	slices.SortFunc(rep.Rows, func(a, b MonthlyRow) int { return strings.Compare(a.EmployeeID, b.EmployeeID) })
	if err != nil {
		return rep, err
	}
	var found []string
	for _, row := range rep.Rows {
		for _, l := range row.Leave.List() {
			found = append(found, l.Type)
		}
	}
	rep.LeaveTypes, err = reportLeaveTypes(ctx, src, found)
	moveCompOvertime(rep.Rows, rep.LeaveTypes) // comptime.go
	return rep, err
}

// OrgInfo is what the organisation file says about the organisation itself:
// reports use its language for their column headers.
type OrgInfo struct {
	Name     string
	Lang     string // "zh" or "en"
	TimeZone string
}

// OrgInfoStore keeps the OrgInfo of the last applied organisation file.
type OrgInfoStore interface {
	// OrgInfo returns the last applied file's name, language and zone; the
	// zero OrgInfo when no file was applied since the store learnt to keep it.
	OrgInfo(ctx context.Context) (OrgInfo, error)
}

// ReportLang is the language of report headers: the organisation's, or when
// it is unknown the language most employees use, or Chinese.
func ReportLang(info OrgInfo, employees []Employee) string {
	if info.Lang == "zh" || info.Lang == "en" {
		return info.Lang
	}
	n := 0
	for _, e := range employees {
		switch e.Lang {
		case "en":
			n++
		case "zh":
			n--
		}
	}
	if n > 0 {
		return "en"
	}
	return "zh"
}
