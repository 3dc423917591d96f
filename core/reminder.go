package core

import (
	"encoding/json"
	"slices"
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
