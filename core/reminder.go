package core

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strconv"
	"time"
)

// OutboxNotice is the outbox kind of a reminder or broadcast delivery: its
// Route is a JSON Recipient and its Payload a JSON Notice, which each bot
// renders in the recipient's language.
const OutboxNotice = "notice"

// DefaultMissedPunchMin is when the missed-punch notice goes out when the
// reminder names no cron: 09:00 in each employee's own time zone, the
// morning after the shift.
const DefaultMissedPunchMin = 9 * 60

// Notice is the structured payload of a reminder delivery. Like Reply it
// carries facts, never rendered text (except the HR-written broadcast text),
// so each bot renders it in the recipient's language and format.
type Notice struct {
	Reminder string    `json:"reminder"`
	Kind     string    `json:"kind"`
	FireAt   time.Time `json:"fire_at"`
	Late     bool      `json:"late,omitempty"` // sent after downtime, later than scheduled
	Lang     string    `json:"lang,omitempty"`
	TimeZone string    `json:"tz,omitempty"`
	Name     string    `json:"name,omitempty"` // the recipient's name, when a person

	// punch_in and punch_out: the shift concerned.
	ShiftDate  string    `json:"shift_date,omitempty"`
	ShiftStart time.Time `json:"shift_start,omitzero"`
	ShiftEnd   time.Time `json:"shift_end,omitzero"`

	// missed_punch: the slots without a valid punch.
	Missing []MissingSlot `json:"missing,omitempty"`

	// approval_digest: requests waiting for this approver.
	Pending        []PendingMakeup `json:"pending,omitempty"`
	PendingTotal   int             `json:"pending_total,omitempty"`
	OlderThanHours int             `json:"older_than_hours,omitempty"`

	// still_clocked_in: when the person clocked in (the start of the
	// stretch they are still in) and after how many hours they are told.
	ClockedInAt time.Time `json:"clocked_in_at,omitzero"`
	HoursAfter  int       `json:"hours_after,omitempty"`

	// makeup_deadline: how many gaps the person may still file a 补卡
	// for, the last date the earliest of them can be filed ("" when the
	// policy has no deadline), the make-ups left this month (0 when the
	// policy has no monthly quota: a person with none left is not told),
	// and the latest gap, whose command the notice spells out.
	Gaps      int          `json:"gaps,omitempty"`
	FileBy    string       `json:"file_by,omitempty"`
	QuotaLeft int          `json:"quota_left,omitempty"`
	LatestGap *MissingSlot `json:"latest_gap,omitempty"`

	// broadcast: the text HR wrote, in the recipient's language; for any
	// other kind a note HR added under the reminder's own words.
	Text     string `json:"text,omitempty"`
	Markdown bool   `json:"markdown,omitempty"`
}

// MissingSlot is one punch a shift lacks: At is when it was due.
type MissingSlot struct {
	Date string    `json:"date"`
	Kind PunchKind `json:"kind"`
	At   time.Time `json:"at"`
}

// PendingMakeup is one waiting make-up request in an approver's digest.
type PendingMakeup struct {
	ID           int64     `json:"id"`
	EmployeeID   string    `json:"employee_id"`
	EmployeeName string    `json:"employee_name,omitempty"`
	ShiftDate    string    `json:"shift_date"`
	Kind         PunchKind `json:"kind"`
	At           time.Time `json:"at"`
	CreatedAt    time.Time `json:"created_at"`
	// Type is what the request asks for ("" a make-up); leave, trips and
	// outings carry their period and leave type.
	Type      RequestType `json:"type,omitempty"`
	LeaveType string      `json:"leave_type,omitempty"`
	Start     time.Time   `json:"start,omitzero"`
	End       time.Time   `json:"end,omitzero"`
}

// MaxDigestItems caps the requests listed in one digest; the rest are
// counted in PendingTotal so a message stays readable and under platform
// size limits.
const MaxDigestItems = 20

// Delivery is one (recipient, notice) pair of a firing. Deliveries of a
// broadcast share one *Notice, so a large audience costs one payload.
type Delivery struct {
	Recipient Recipient
	Notice    *Notice
	// Key is unique per (reminder, fire time, recipient): the outbox dedupe
	// key that makes a repeated or concurrent firing queue nothing twice.
	Key string
}

// DeliveryKey is the dedupe key of a delivery.
func DeliveryKey(reminderID string, fireAt time.Time, to Recipient) string {
	who := "e:" + to.EmployeeID
	if to.EmployeeID == "" {
		who = "c:" + string(to.Platform) + ":" + to.Tenant + ":" + to.ChatID + to.UserID
	}
	return "notice:" + reminderID + ":" + strconv.FormatInt(fireAt.UTC().UnixMicro(), 10) + ":" + who
}

// DeliveryMessages turns deliveries into outbox messages of one firing,
// encoding each distinct notice once.
func DeliveryMessages(ds []Delivery, firingID int64, now time.Time) ([]OutboxMessage, error) {
	payloads := map[*Notice]json.RawMessage{}
	out := make([]OutboxMessage, 0, len(ds))
	for _, d := range ds {
		p, ok := payloads[d.Notice]
		if !ok {
			buf, err := json.Marshal(d.Notice)
			if err != nil {
				return nil, WrapError(EINTERNAL, err, "encode notice of %s", d.Notice.Reminder)
			}
			p = buf
			payloads[d.Notice] = p
		}
		route, err := json.Marshal(d.Recipient)
		if err != nil {
			return nil, WrapError(EINTERNAL, err, "encode recipient")
		}
		out = append(out, OutboxMessage{
			Platform: d.Recipient.Platform, Route: string(route), Kind: OutboxNotice, Payload: p,
			DedupeKey: d.Key, Status: OutboxPending, CreatedAt: now, NextAttempt: now, FiringID: firingID,
		})
	}
	return out, nil
}

// PerEmployee reports whether the reminder's timing follows each
// employee's own shifts and zone (punch_in, punch_out, missed_punch) rather
// than one cron expression.
// still_clocked_in counts as one: its timing follows each person's own
// clock-in, and like the others it goes to each person it concerns and
// records no firing when that is nobody.
func (r Reminder) PerEmployee() bool {
	return r.Kind == ReminderPunchIn || r.Kind == ReminderPunchOut || r.Kind == ReminderMissedPunch || r.Kind == ReminderStillClockedIn
}

// Expired reports whether date ("2006-01-02") is after the reminder's last
// day.
func (r Reminder) Expired(date string) bool { return r.Until != "" && date > r.Until }

// Includes reports whether the audience names the employee. An empty
// audience includes everyone: per-employee reminders go to whoever they
// concern unless HR narrows them.
func (a Audience) Includes(e Employee) bool {
	if a.Everyone || a.Empty() {
		return true
	}
	return slices.Contains(a.Employees, e.ID) || (e.Department != "" && slices.Contains(a.Departments, e.Department))
}

// Empty reports whether the audience names nobody at all.
func (a Audience) Empty() bool {
	return !a.Everyone && len(a.Departments) == 0 && len(a.Employees) == 0 && len(a.Chats) == 0
}

// ResolveZones fills Loc of every roster, loading each zone name once:
// time.LoadLocation reads the zone database from disk, which would dominate
// a pass over a large organisation.
func ResolveZones(rosters []Roster) {
	zones := map[string]*time.Location{}
	for i := range rosters {
		if rosters[i].Loc != nil {
			continue
		}
		name := rosters[i].Employee.TimeZone
		loc, ok := zones[name]
		if !ok {
			loc = rosters[i].Employee.Location()
			zones[name] = loc
		}
		rosters[i].Loc = loc
	}
}

// DueQuery says which minute a per-employee reminder is evaluated for.
type DueQuery struct {
	At time.Time // the minute being fired (seconds are ignored)
	// Forced evaluates the reminder "now" for the admin API's preview and
	// run: the timing rule is ignored and the shift concerned is today's
	// (for missed_punch the latest shift whose window has closed).
	Forced bool
	// LocalFires reports whether a missed_punch reminder's own schedule
	// fires at At in a zone; nil means DefaultMissedPunchMin local time.
	LocalFires func(loc *time.Location) bool
}

// Candidate is an employee a per-employee reminder concerns at a minute,
// with the shift it is about.
type Candidate struct {
	Roster *Roster
	Shift  Shift
}

type groupKey struct{ schedule, calendar, zone string }

// ReminderCandidates returns the active employees (narrowed by the
// audience, and employed on the shift's date) whose shift makes the per-employee reminder r due at q.At:
// punch_in MinutesBefore the start of a worked shift, punch_out at its end
// (or up to FlexibleMin later, settled by ReminderDeliveries once the
// check-in is known), missed_punch at the morning notice time after a
// worked shift whose window has closed. Holidays and rest days never
// qualify; 调休 working days do, since ShiftOn consults the calendar.
// Rosters must have Loc set (ResolveZones). Employees sharing schedule,
// calendar and zone are evaluated once.
func ReminderCandidates(r Reminder, rosters []Roster, q DueQuery) []Candidate {
	if !r.PerEmployee() || !r.Enabled {
		return nil
	}
	at := q.At.Truncate(time.Minute)
	type verdict struct {
		ok    bool
		shift Shift
	}
	memo := map[groupKey]verdict{}
	var out []Candidate
	for i := range rosters {
		ro := &rosters[i]
		if !ro.Employee.Active || ro.Schedule == nil || !r.Audience.Includes(ro.Employee) {
			continue
		}
		loc := ro.Zone()
		k := groupKey{ro.Schedule.ID, "", loc.String()}
		if ro.Calendar != nil {
			k.calendar = ro.Calendar.ID
		}
		v, seen := memo[k]
		if !seen {
			v.shift, v.ok = dueShift(r, ro.Schedule, ro.Calendar, loc, at, q)
			if v.ok && r.Expired(v.shift.Date) {
				v.ok = false
			}
			memo[k] = v
		}
		// The timing is shared; employment is each person's own: nothing
		// is due on a shift before their first or after their last
		// working day (org.go).
		if v.ok && ro.Employee.EmployedOn(v.shift.Date) {
			out = append(out, Candidate{Roster: ro, Shift: v.shift})
		}
	}
	return out
}

// DistinctSchedules returns one roster per combination of schedule,
// calendar and zone, ignoring who the employee is: the timing of
// per-employee reminders depends on nothing else, so a scheduler checks
// these few every minute and resolves recipients only when one is due.
func DistinctSchedules(rosters []Roster) []Roster {
	seen := map[groupKey]bool{}
	var out []Roster
	for _, ro := range rosters {
		if ro.Schedule == nil {
			continue
		}
		k := groupKey{ro.Schedule.ID, "", ro.Zone().String()}
		if ro.Calendar != nil {
			k.calendar = ro.Calendar.ID
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		ro.Employee = Employee{ID: ro.Employee.ID, TimeZone: ro.Employee.TimeZone, Active: true}
		out = append(out, ro)
	}
	return out
}

// ReminderDueAny reports whether the per-employee reminder r is due at q.At
// on any of the schedules, ignoring the audience: the cheap minute test.
func ReminderDueAny(r Reminder, schedules []Roster, q DueQuery) bool {
	if !r.PerEmployee() || !r.Enabled {
		return false
	}
	at := q.At.Truncate(time.Minute)
	for i := range schedules {
		ro := &schedules[i]
		if ro.Schedule == nil {
			continue
		}
		if sh, ok := dueShift(r, ro.Schedule, ro.Calendar, ro.Zone(), at, q); ok && !r.Expired(sh.Date) {
			return true
		}
	}
	return false
}

// dueShift decides the timing of a per-employee reminder for one schedule
// in one zone.
func dueShift(r Reminder, s *Schedule, cal *Calendar, loc *time.Location, at time.Time, q DueQuery) (Shift, bool) {
	local := at.In(loc)
	switch r.Kind {
	case ReminderPunchIn:
		if q.Forced {
			sh := s.ShiftOn(local, loc, cal)
			return sh, sh.Workday && at.Before(sh.Closes)
		}
		before := time.Duration(max(r.MinutesBefore, 0)) * time.Minute
		// A long lead or an early start can put the reminder on the
		// previous calendar day; look at the shifts of three dates.
		for d := -1; d <= 1; d++ {
			sh := s.ShiftOn(local.AddDate(0, 0, d), loc, cal)
			if sh.Workday && sh.Start.Add(-before).Equal(at) {
				return sh, true
			}
		}
	case ReminderPunchOut:
		for d := -1; d <= 0; d++ {
			sh := s.ShiftOn(local.AddDate(0, 0, d), loc, cal)
			if !sh.Workday {
				continue
			}
			if q.Forced {
				if !at.Before(sh.Start) && at.Before(sh.Closes) {
					return sh, true
				}
				continue
			}
			if !at.Before(sh.End) && !at.After(sh.End.Add(time.Duration(s.FlexibleMin)*time.Minute)) {
				return sh, true
			}
		}
	case ReminderMissedPunch:
		if !q.Forced {
			if q.LocalFires != nil {
				if !q.LocalFires(loc) {
					return Shift{}, false
				}
			} else if local.Hour()*60+local.Minute() != DefaultMissedPunchMin {
				return Shift{}, false
			}
		}
		sh := lastClosedShift(s, cal, loc, local, at)
		return sh, sh.Workday
	}
	return Shift{}, false
}

// lastClosedShift is the shift a missed-punch notice at at is about: the
// latest one (worked or not) whose punch window has closed. That is
// yesterday's for a day shift, but a night shift's window stays open past
// the morning notice (22:00–06:00 with check-out closing 6 h after the end
// closes at 12:00), so its notice goes out the morning after that, about
// the shift of two days before; looking only at yesterday's shift meant
// night workers were never told. Walking back stops at the first closed
// shift even when it was a rest day, so a Sunday notice does not repeat
// Saturday's about Friday.
func lastClosedShift(s *Schedule, cal *Calendar, loc *time.Location, local, at time.Time) Shift {
	var sh Shift
	for d := -1; d >= -2; d-- {
		sh = s.ShiftOn(local.AddDate(0, 0, d), loc, cal)
		if !at.Before(sh.Closes) {
			return sh
		}
	}
	return Shift{}
}

// PunchWindow returns the instants [from, to) that hold every punch of the
// candidates' shifts, for one listing query.
func PunchWindow(cands []Candidate) (from, to time.Time) {
	for _, c := range cands {
		if from.IsZero() || c.Shift.Opens.Before(from) {
			from = c.Shift.Opens
		}
		if end := c.Shift.Closes.Add(time.Minute); end.After(to) {
			to = end
		}
	}
	return from, to
}

// ReminderDeliveries settles who among the candidates receives the
// reminder fired at q.At, given their punches (any order, any shift) and
// the requests that may cover a missing slot (pending or approved
// make-ups and field punches) or the time itself (approved leave, trips
// and outings: nobody is reminded of a punch their leave covers):
//   - punch_in: nobody who already has a valid check-in for the shift;
//   - punch_out: only those checked in and not out, at the end their
//     check-in implies (a flexible schedule slides it);
//   - missed_punch: those with a missing check-in or check-out, listing the
//     slots, except slots already covered by a pending or approved request.
//
// Employees with no chat identity cannot be reached and are left out.
func ReminderDeliveries(r Reminder, cands []Candidate, punches map[string][]Punch, makeups []MakeupRequest, q DueQuery, late bool) []Delivery {
	at := q.At.Truncate(time.Minute)
	covered := map[string]bool{}
	away := map[string][]MakeupRequest{} // approved leave, trips and outings (leave_day.go)
	for _, m := range makeups {
		switch t := m.TypeOf(); {
		case t == RequestLeave || t == RequestTrip || t == RequestOuting:
			if m.Status == MakeupApproved {
				away[m.EmployeeID] = append(away[m.EmployeeID], m)
			}
		case m.Status == MakeupPending || m.Status == MakeupApproved:
			covered[m.EmployeeID+"|"+m.ShiftDate+"|"+string(m.Kind)] = true
		}
	}
	var out []Delivery
	for _, c := range cands {
		e := c.Roster.Employee
		to, ok := RecipientFor(e)
		if !ok {
			continue
		}
		var in, outP *Punch
		for i, p := range punches[e.ID] {
			if !p.Valid() || p.ShiftDate != c.Shift.Date {
				continue
			}
			switch p.Kind {
			case KindIn:
				if in == nil || p.At.Before(in.At) {
					in = &punches[e.ID][i]
				}
			case KindOut:
				outP = &punches[e.ID][i]
			}
		}
		n := &Notice{Reminder: r.ID, Kind: r.Kind, FireAt: at, Late: late, Lang: e.Lang, TimeZone: c.Roster.Zone().String(), Name: e.Name,
			ShiftDate: c.Shift.Date, ShiftStart: c.Shift.Start, ShiftEnd: c.Shift.End, Text: r.TextFor(e.Lang), Markdown: r.Markdown}
		switch r.Kind {
		case ReminderPunchIn:
			if in != nil || outP != nil || awayAt(away[e.ID], c.Shift.Start) {
				continue
			}
		case ReminderPunchOut:
			if in == nil || outP != nil {
				continue
			}
			end := c.Roster.Schedule.RequiredEnd(c.Shift, in.At)
			n.ShiftEnd = end
			if (!q.Forced && !end.Equal(at)) || awayAt(away[e.ID], end.Add(-time.Minute)) {
				continue
			}
		case ReminderMissedPunch:
			key := e.ID + "|" + c.Shift.Date + "|"
			if in == nil && !covered[key+string(KindIn)] && !awayAt(away[e.ID], c.Shift.Start) {
				n.Missing = append(n.Missing, MissingSlot{Date: c.Shift.Date, Kind: KindIn, At: c.Shift.Start})
			}
			if outP == nil && !covered[key+string(KindOut)] && !awayAt(away[e.ID], c.Shift.End.Add(-time.Minute)) {
				n.Missing = append(n.Missing, MissingSlot{Date: c.Shift.Date, Kind: KindOut, At: c.Roster.Schedule.RequiredEnd(c.Shift, punchAt(in))})
			}
			if len(n.Missing) == 0 {
				continue
			}
		default:
			continue
		}
		out = append(out, Delivery{Recipient: to, Notice: n, Key: DeliveryKey(r.ID, at, to)})
	}
	return out
}

// awayAt reports whether an approved leave, trip or outing covers t: the
// person is not expected to punch then.
func awayAt(away []MakeupRequest, t time.Time) bool {
	for _, m := range away {
		if !t.Before(m.Start) && t.Before(m.End) {
			return true
		}
	}
	return false
}

func punchAt(p *Punch) time.Time {
	if p == nil {
		return time.Time{}
	}
	return p.At
}

// BroadcastDeliveries resolves a broadcast's audience: every active
// employee it names (each on their preferred chat platform) and every named
// chat. A person named twice (by department and by id) gets one message.
// unreachable lists the ids of selected employees with no chat identity.
//
// With an English text (TextEn) each person gets the text of their own
// language, and a chat gets both, lang's first (reminder_text.go): one
// notice per language, shared by its recipients, so a large audience still
// costs a payload or three. Without one everybody gets Text, as before.
func BroadcastDeliveries(r Reminder, employees []Employee, at time.Time, lang string, late bool) (out []Delivery, unreachable []string) {
	at = at.Truncate(time.Minute)
	base := Notice{Reminder: r.ID, Kind: r.Kind, FireAt: at, Late: late, Text: r.Text, Markdown: r.Markdown, Lang: lang}
	if r.Audience.Empty() {
		return nil, nil
	}
	byLang := map[string]*Notice{}
	noticeIn := func(l string) *Notice {
		if r.TextEn == "" {
			l = lang // one text: one shared notice, in the chats' language
		}
		n, ok := byLang[l]
		if !ok {
			n = new(Notice)
			*n = base
			if r.TextEn != "" {
				n.Lang, n.Text = l, r.TextFor(l)
			}
			byLang[l] = n
		}
		return n
	}
	seen := map[string]bool{}
	for _, e := range employees {
		if !e.Active || seen[e.ID] || !(r.Audience.Everyone || r.Audience.Includes(e)) {
			continue
		}
		seen[e.ID] = true
		to, ok := RecipientFor(e)
		if !ok {
			unreachable = append(unreachable, e.ID)
			continue
		}
		out = append(out, Delivery{Recipient: to, Notice: noticeIn(e.Lang), Key: DeliveryKey(r.ID, at, to)})
	}
	var chat *Notice
	for _, c := range r.Audience.Chats {
		to := Recipient{Platform: c.Platform, ChatID: c.ChatID, Lang: lang}
		key := DeliveryKey(r.ID, at, to)
		if seen[key] {
			continue
		}
		seen[key] = true
		if chat == nil && r.TextEn == "" {
			chat = noticeIn(lang)
		} else if chat == nil {
			chat = new(Notice)
			*chat = base
			chat.Text = r.ChatText(lang)
		}
		out = append(out, Delivery{Recipient: to, Notice: chat, Key: key})
	}
	return out, unreachable
}

// ApproverOf names who decides a make-up request: the approver recorded on
// it, else the employee's manager. "" means HR (any employee with RoleHR).
func ApproverOf(m MakeupRequest, employees map[string]Employee) string {
	if m.ApproverID != "" {
		return m.ApproverID
	}
	return employees[m.EmployeeID].ManagerID
}

// DigestDeliveries builds the approval digest fired at at: every approver
// (narrowed by the audience) with pending requests created more than
// OlderThanHrs hours ago gets one message listing them, oldest first.
// Requests with no approver and no manager go to every HR employee.
func DigestDeliveries(r Reminder, pending []MakeupRequest, employees []Employee, at time.Time, late bool) []Delivery {
	at = at.Truncate(time.Minute)
	byID := make(map[string]Employee, len(employees))
	var hr []string
	for _, e := range employees {
		byID[e.ID] = e
		if e.Role == RoleHR && e.Active {
			hr = append(hr, e.ID)
		}
	}
	cutoff := at.Add(-time.Duration(max(r.OlderThanHrs, 0)) * time.Hour)
	queues := map[string][]MakeupRequest{}
	for _, m := range pending {
		if m.Status != MakeupPending || m.CreatedAt.After(cutoff) {
			continue
		}
		approvers := []string{ApproverOf(m, byID)}
		if approvers[0] == "" {
			approvers = hr
		}
		for _, a := range approvers {
			queues[a] = append(queues[a], m)
		}
	}
	ids := make([]string, 0, len(queues))
	for id := range queues {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []Delivery
	for _, id := range ids {
		approver, ok := byID[id]
		if !ok || !approver.Active || !r.Audience.Includes(approver) {
			continue
		}
		to, ok := RecipientFor(approver)
		if !ok {
			continue
		}
		q := queues[id]
		sort.SliceStable(q, func(i, j int) bool { return q[i].CreatedAt.Before(q[j].CreatedAt) })
		n := &Notice{Reminder: r.ID, Kind: r.Kind, FireAt: at, Late: late, Lang: approver.Lang, TimeZone: approver.TimeZone,
			Name: approver.Name, PendingTotal: len(q), OlderThanHours: r.OlderThanHrs, Text: r.TextFor(approver.Lang), Markdown: r.Markdown}
		for _, m := range q[:min(len(q), MaxDigestItems)] {
			n.Pending = append(n.Pending, PendingMakeup{ID: m.ID, EmployeeID: m.EmployeeID, EmployeeName: byID[m.EmployeeID].Name,
				ShiftDate: m.ShiftDate, Kind: m.Kind, At: m.At, CreatedAt: m.CreatedAt})
			if t := m.TypeOf(); t != RequestMakeup {
				last := &n.Pending[len(n.Pending)-1]
				last.Type, last.LeaveType = t, m.LeaveType
				if t != RequestField {
					last.Start, last.End = m.Start, m.End
				}
			}
		}
		out = append(out, Delivery{Recipient: to, Notice: n, Key: DeliveryKey(r.ID, at, to)})
	}
	return out
}

// Firing statuses. A firing is recorded before its deliveries are queued
// (queuing), then marked queued; one that was due while no instance ran and
// is older than the catch-up window is recorded as skipped.
const (
	FiringQueuing = "queuing"
	FiringQueued  = "queued"
	FiringSkipped = "skipped"
)

// Firing is one occurrence of a reminder: (ReminderID, FireAt) is unique,
// which is what lets several replicas and restarts fire it exactly once.
type Firing struct {
	ID         int64
	ReminderID string
	Kind       string
	FireAt     time.Time
	Status     string
	Late       bool // queued after its time (catch-up after downtime)
	Manual     bool // fired from the admin API
	Recipients int
	Note       string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// DeliveryCounts are the outbox rows of one firing by status; Queued is
// their total. Retrying counts the pending ones that wait for another
// attempt after an error, a platform's rate limit mostly: HR sees why a
// fan-out is slow.
type DeliveryCounts struct {
	Queued   int `json:"queued"`
	Pending  int `json:"pending"`
	Sent     int `json:"sent"`
	Failed   int `json:"failed"`
	Retrying int `json:"retrying"`
}

// FiringFilter selects firings, newest first.
type FiringFilter struct {
	ReminderID string
	Status     string
	Since      time.Time // FireAt at or after; zero means unbounded
	Limit      int       // 0 means all
}

// ReminderStore is what the scheduler needs from durable storage beyond
// Store. Firings and their deliveries live in the same database as
// everything else, so a delivery row is written once whatever happens to
// the process that fires it.
type ReminderStore interface {
	// ListReminders returns every reminder ordered by id.
	ListReminders(ctx context.Context) ([]Reminder, error)
	// Rosters returns every employee with schedule and calendar (and
	// sites), ordered by employee id. Loc is left for the caller.
	Rosters(ctx context.Context) ([]Roster, error)
	// BeginFiring records f unless (ReminderID, FireAt) is already
	// recorded; it returns the stored firing and whether it was created.
	BeginFiring(ctx context.Context, f Firing) (Firing, bool, error)
	// EnqueueDeliveries queues msgs for one firing in one transaction,
	// skipping any whose DedupeKey is already queued, and returns how many
	// were inserted.
	EnqueueDeliveries(ctx context.Context, firingID int64, msgs []OutboxMessage) (int, error)
	// FinishFiring sets a firing's status, recipient count and note.
	FinishFiring(ctx context.Context, id int64, status string, recipients int, note string, now time.Time) error
	// ListFirings returns matching firings, newest FireAt first.
	ListFirings(ctx context.Context, f FiringFilter) ([]Firing, error)
	// FiringCounts counts the deliveries of each firing by status; firings
	// without deliveries are absent from the map.
	FiringCounts(ctx context.Context, ids []int64) (map[int64]DeliveryCounts, error)
	// Checkpoint returns the last minute the named scheduler finished, or
	// the zero time when it never ran.
	Checkpoint(ctx context.Context, name string) (time.Time, error)
	// SetCheckpoint records t unless a later checkpoint is already stored.
	SetCheckpoint(ctx context.Context, name string, t time.Time) error
	// DeliveryProblems returns up to limit deliveries of a firing that
	// failed, or that wait for another attempt after an error (a rate
	// limit), failed first, then by id: only ID, Platform, Route, Status,
	// Attempts, NextAttempt and LastError need be set.
	DeliveryProblems(ctx context.Context, firingID int64, limit int) ([]OutboxMessage, error)
	// RetryFailedDeliveries puts the failed deliveries of a firing back in
	// the outbox, due at now with no attempts counted and the last error
	// kept, and returns how many. Each stays the same row under the same
	// dedupe key, so nothing already sent is sent again.
	RetryFailedDeliveries(ctx context.Context, firingID int64, now time.Time) (int, error)
}

// ErrStaleReminder is wrapped by the refusal to resend a punch reminder
// long after its moment, so each caller can say so in its reader's words.
var ErrStaleReminder = errors.New("stale punch reminder")

// DeliveryProblem is a delivery of a firing that failed or is being
// retried, as HR sees it: who, on which platform, and the platform's error.
type DeliveryProblem struct {
	Recipient   Recipient
	Status      string // OutboxFailed, or OutboxPending while retried
	Attempts    int
	NextAttempt time.Time // when a pending one is tried again
	LastError   string
}

// DeliveryProblemsOf decodes the recipients of a store's problem rows.
func DeliveryProblemsOf(msgs []OutboxMessage) []DeliveryProblem {
	out := make([]DeliveryProblem, 0, len(msgs))
	for _, m := range msgs {
		var to Recipient
		if json.Unmarshal([]byte(m.Route), &to) != nil {
			to = Recipient{Platform: m.Platform}
		}
		if to.Platform == "" {
			to.Platform = m.Platform
		}
		out = append(out, DeliveryProblem{Recipient: to, Status: m.Status, Attempts: m.Attempts, NextAttempt: m.NextAttempt, LastError: m.LastError})
	}
	return out
}

// FiringReport is a firing with the counts of its deliveries.
type FiringReport struct {
	Firing
	Counts DeliveryCounts
}

// ReminderStatus is a reminder as the admin API lists it: how it is
// scheduled, when it fires next, why it cannot fire, its latest firings.
type ReminderStatus struct {
	Reminder Reminder
	Schedule string    // how its timing reads, for people
	Next     time.Time // next cron firing; zero for per-employee reminders or none
	Problem  string    // why it cannot fire as configured; "" when fine
	Recent   []FiringReport
}

// ReminderPreview is who would receive a reminder fired at At.
type ReminderPreview struct {
	Reminder    Reminder
	At          time.Time
	Deliveries  []Delivery
	Unreachable []string // selected employees with no chat identity
}
