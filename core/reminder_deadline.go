package core

import (
	"slices"
	"time"
)

// The makeup_deadline reminder (WeCom's buka_remind, "remind people to
// file make-ups before the cut-off"): at its cron time each person who
// still has gaps they may file a 补卡 for gets one message with how many,
// the last date the earliest can be filed, the make-ups left this month
// and the command for the latest gap. Which gaps qualify is decided by the
// make-up filing rules themselves (CheckMakeup: not in the future, within
// DeadlineDays, within the monthly quota, no open request for the slot, no
// valid normal punch), so the reminder never invites a request the bot
// would then refuse.

// maxGapLookback bounds how far back the reminder looks when the policy
// has no deadline: the current month, at most this many days.
const maxGapLookback = 31

// gapDates returns the first and last shift date ("2006-01-02") the
// reminder looks at for a person at now: the dates the deadline still
// allows (the earliest may have closed already; CheckMakeup decides), or,
// with no deadline, the current month so far.
func gapDates(r Roster, now time.Time) (first, last string) {
	loc := r.Zone()
	today := now.In(loc)
	start := today.AddDate(0, 0, -min(maxGapLookback, max(r.Policy.DeadlineDays, 0)+1))
	if r.Policy.DeadlineDays <= 0 {
		start = time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, loc)
	}
	return start.Format(DateLayout), today.Format(DateLayout)
}

// MakeupDeadlineRange returns what the reminder needs read to judge the
// rosters at now: punches at or after punchesFrom (a day before the
// earliest date looked at, for overnight shifts and early check-ins), and
// requests created at or after createdFrom (the earliest month start, for
// the quota, or the earliest date, for requests about a gap).
func MakeupDeadlineRange(rosters []Roster, now time.Time) (punchesFrom, createdFrom time.Time) {
	for i := range rosters {
		loc := rosters[i].Zone()
		first, _ := gapDates(rosters[i], now)
		day, err := time.ParseInLocation(DateLayout, first, loc)
		if err != nil {
			continue
		}
		month, _ := monthBounds(now, loc)
		if p := day.Add(-24 * time.Hour); punchesFrom.IsZero() || p.Before(punchesFrom) {
			punchesFrom = p
		}
		if c := minTime(day, month); createdFrom.IsZero() || c.Before(createdFrom) {
			createdFrom = c
		}
	}
	return punchesFrom, createdFrom
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// FileableGaps returns the slots of the person's recent days they may
// still file a make-up for at now, oldest first, and how many make-ups
// count against this month's quota. punches and requests are the person's
// (any others are ignored): punches of the days looked at, and requests
// of every type that are approved or pending (leave and trips cover days)
// or were created this month (the quota). A day's gaps are its missing,
// late or early slots as the day result sees them (approved leave covers
// one, days outside employment have none); each is then put to
// CheckMakeup as the request its 补卡 command would file.
func FileableGaps(r Roster, punches []Punch, requests []MakeupRequest, now time.Time) (gaps []MissingSlot, used int) {
	if r.Schedule == nil {
		return nil, 0
	}
	e := r.Employee
	loc := r.Zone()
	from, to := monthBounds(now, loc)
	var month, approvals []MakeupRequest
	filed := map[string]bool{}
	for _, m := range requests {
		if m.EmployeeID != e.ID {
			continue
		}
		if m.Status == MakeupPending || m.Status == MakeupApproved {
			approvals = append(approvals, m)
		}
		if m.TypeOf() != RequestMakeup {
			continue
		}
		if !m.CreatedAt.Before(from) && m.CreatedAt.Before(to) {
			month = append(month, m)
		}
		if m.Status == MakeupPending || m.Status == MakeupApproved {
			filed[m.ShiftDate+"|"+string(m.Kind)] = true
		}
	}
	for _, m := range month {
		if m.Status == MakeupPending || m.Status == MakeupApproved {
			used++
		}
	}
	byDate := map[string][]Punch{}
	for _, p := range punches {
		if p.EmployeeID == e.ID {
			byDate[p.ShiftDate] = append(byDate[p.ShiftDate], p)
		}
	}
	first, last := gapDates(r, now)
	day, err := time.ParseInLocation(DateLayout, first, loc)
	if err != nil {
		return nil, used
	}
	for ; day.Format(DateLayout) <= last; day = day.AddDate(0, 0, 1) {
		date := day.Format(DateLayout)
		res := ComputeDayWith(r, date, byDate[date], approvals, now)
		for _, s := range daySlots(r, res) {
			if filed[date+"|"+string(s.Kind)] {
				continue
			}
			req := MakeupRequest{Type: RequestMakeup, EmployeeID: e.ID, ShiftDate: date, Kind: s.Kind, At: s.At}
			if CheckMakeup(r.Policy, req, month, byDate[date], now, loc) == nil {
				gaps = append(gaps, s)
			}
		}
	}
	return gaps, used
}

// daySlots lists every slot a make-up would fill on a day (daySlot names
// only the bigger one): the clock-in of a day missing it, late or absent,
// and the clock-out of one missing it or left early; an absent day with
// no clock-out needs both.
func daySlots(r Roster, d DayResult) []MissingSlot {
	if !d.Workday || slices.Contains(d.Statuses, DayNotEmployed) {
		return nil
	}
	day, err := time.ParseInLocation(DateLayout, d.Date, r.Zone())
	if err != nil {
		return nil
	}
	sh := r.Schedule.ShiftOn(day.Add(12*time.Hour), r.Zone(), r.Calendar)
	var out []MissingSlot
	if d.Has(DayMissingIn) || d.Has(DayAbsent) || d.Has(DayLate) || d.Has(DaySeriousLate) {
		out = append(out, MissingSlot{Date: d.Date, Kind: KindIn, At: sh.Start})
	}
	if d.Has(DayMissingOut) || d.Has(DayEarlyLeave) || (d.Has(DayAbsent) && d.Out == nil) {
		var in time.Time
		if d.In != nil {
			in = d.In.At
		}
		out = append(out, MissingSlot{Date: d.Date, Kind: KindOut, At: r.Schedule.RequiredEnd(sh, in)})
	}
	return out
}

// lastFilingDate is the last date, in loc, a make-up of slot s (which may
// be filed at now) can still be filed: asked of CheckMakeup itself with
// the deadline alone, at the end of each day from today, so the reminder
// and the filing cannot disagree. "" when the policy has no deadline.
func lastFilingDate(p MakeupPolicy, s MissingSlot, now time.Time, loc *time.Location) string {
	if p.DeadlineDays <= 0 {
		return ""
	}
	deadline := MakeupPolicy{DeadlineDays: p.DeadlineDays}
	req := MakeupRequest{Type: RequestMakeup, ShiftDate: s.Date, Kind: s.Kind, At: s.At}
	today := now.In(loc)
	day := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
	last := day.Format(DateLayout)
	for i := 0; i <= p.DeadlineDays+1; i++ {
		d := day.AddDate(0, 0, i)
		if CheckMakeup(deadline, req, nil, nil, d.AddDate(0, 0, 1).Add(-time.Minute), loc) != nil {
			break
		}
		last = d.Format(DateLayout)
	}
	return last
}

// MakeupDeadlineCandidates returns the rosters the reminder may message:
// active people in its audience with a schedule (FileableGaps finds no gap
// without one).
func MakeupDeadlineCandidates(r Reminder, rosters []Roster) []Roster {
	var out []Roster
	for _, ro := range rosters {
		if ro.Employee.Active && ro.Schedule != nil && r.Audience.Includes(ro.Employee) {
			out = append(out, ro)
		}
	}
	return out
}

// MakeupDeadlineDates returns the shift dates whose punches FileableGaps
// reads for the rosters at now: from the earliest day any of them looks at
// to the latest (today, in the easternmost zone).
func MakeupDeadlineDates(rosters []Roster, now time.Time) (from, to string) {
	for i := range rosters {
		first, last := gapDates(rosters[i], now)
		if from == "" || first < from {
			from = first
		}
		if last > to {
			to = last
		}
	}
	return from, to
}

// MakeupDeadlineDeliveries builds the make-up deadline reminder fired at
// at: one message to every active person in the audience with at least one
// gap FileableGaps allows, none to anybody else. punches and requests are
// everybody's, as read for MakeupDeadlineRange.
func MakeupDeadlineDeliveries(r Reminder, rosters []Roster, punches []Punch, requests []MakeupRequest, at time.Time, late bool) []Delivery {
	at = at.Truncate(time.Minute)
	byEmp := map[string][]Punch{}
	for _, p := range punches {
		byEmp[p.EmployeeID] = append(byEmp[p.EmployeeID], p)
	}
	reqs := map[string][]MakeupRequest{}
	for _, m := range requests {
		reqs[m.EmployeeID] = append(reqs[m.EmployeeID], m)
	}
	var out []Delivery
	for i := range rosters {
		ro := rosters[i]
		e := ro.Employee
		if !e.Active || !r.Audience.Includes(e) {
			continue
		}
		to, ok := RecipientFor(e)
		if !ok {
			continue
		}
		gaps, used := FileableGaps(ro, byEmp[e.ID], reqs[e.ID], at)
		if len(gaps) == 0 {
			continue
		}
		loc := ro.Zone()
		n := &Notice{Reminder: r.ID, Kind: r.Kind, FireAt: at, Late: late, Lang: e.Lang, TimeZone: loc.String(), Name: e.Name,
			Gaps: len(gaps), Text: r.TextFor(e.Lang), Markdown: r.Markdown}
		latest := gaps[len(gaps)-1]
		n.LatestGap = &latest
		n.FileBy = lastFilingDate(ro.Policy, gaps[0], at, loc)
		if q := ro.Policy.MonthlyQuota; q > 0 {
			n.QuotaLeft = q - used
		}
		out = append(out, Delivery{Recipient: to, Notice: n, Key: DeliveryKey(r.ID, at, to)})
	}
	return out
}
