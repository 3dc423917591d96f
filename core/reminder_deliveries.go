package core

import (
	"sort"
	"time"
)

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
