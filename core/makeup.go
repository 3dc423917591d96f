package core

import (
	"fmt"
	"slices"
	"time"
)

// MakeupStatus is the state of a make-up (补卡) request.
type MakeupStatus string

// Make-up states: pending → approved | rejected | cancelled | expired, and
// for leave, trips and outings approved → revoked.
const (
	MakeupPending   MakeupStatus = "pending"
	MakeupApproved  MakeupStatus = "approved"
	MakeupRejected  MakeupStatus = "rejected"
	MakeupCancelled MakeupStatus = "cancelled"
	MakeupExpired   MakeupStatus = "expired"
	// MakeupRevoked is an approved leave, trip or outing taken back: by
	// the requester before it started (销假; DecidedBy is the requester)
	// or by the approver or HR at any time (撤销; Note is their reason).
	// It covers no time and takes nothing of the balance, like a
	// rejection, but reports and cards can tell it was approved once.
	MakeupRevoked MakeupStatus = "revoked"
)

// MakeupRequest asks for a missing, late or early punch to be recorded.
type MakeupRequest struct {
	ID         int64
	EmployeeID string
	ShiftDate  string
	Kind       PunchKind
	At         time.Time // the requested punch time
	Reason     string
	Evidence   []string // platform file references
	Status     MakeupStatus
	ApproverID string
	DecidedBy  string
	DecidedAt  time.Time
	Note       string // the approver's comment, for example a reject reason
	PunchID    int64  // the punch written on approval
	Platform   Platform
	CreatedAt  time.Time

	// Type is what the request asks for (see RequestType); "" is a make-up.
	Type RequestType
	// FieldPunchID is, for RequestField, the pending field punch the
	// request is about; PunchID is the counting punch written on approval.
	FieldPunchID int64
	// LeaveType, Start, End and Place describe a leave, trip or outing:
	// the covered period is [Start, End).
	LeaveType  string
	Start, End time.Time
	Place      string
}

// MakeupPolicy is the organisation's 补卡 rule set, after WeCom
// allow_apply_bk_cnt / allow_apply_bk_day_limit and Feishu remedy_limit_count
// / remedy_date_num.
type MakeupPolicy struct {
	MonthlyQuota     int // requests per calendar month; 0 means unlimited
	DeadlineDays     int // a slot can be made up at most this many days later; 0 means unlimited
	ExpireAfterHours int // pending requests expire after this; 0 means never
}

// MakeupFilter selects make-up requests.
type MakeupFilter struct {
	EmployeeID string
	ShiftDate  string
	// ApproverID keeps only requests routed to this approver.
	ApproverID string
	Statuses   []MakeupStatus
	From, To   time.Time // CreatedAt range; zero means unbounded
	// Types keeps only requests of these types (RequestMakeup also matches
	// requests stored before types existed); nil means every type.
	Types []RequestType
	// CoverFrom and CoverTo, when both set, keep only requests whose period
	// touches [CoverFrom, CoverTo): Start < CoverTo and End >= CoverFrom. A
	// field request's period is the punch time (Start = End); a make-up has
	// none and never matches.
	CoverFrom, CoverTo time.Time
}

// Matches reports whether m passes the filter; the memory store uses it and
// the SQL stores translate the same rules into WHERE clauses.
func (f MakeupFilter) Matches(m MakeupRequest) bool {
	switch {
	case f.EmployeeID != "" && m.EmployeeID != f.EmployeeID,
		f.ShiftDate != "" && m.ShiftDate != f.ShiftDate,
		f.ApproverID != "" && m.ApproverID != f.ApproverID,
		len(f.Statuses) > 0 && !slices.Contains(f.Statuses, m.Status),
		len(f.Types) > 0 && !slices.Contains(f.Types, m.TypeOf()),
		!f.From.IsZero() && m.CreatedAt.Before(f.From),
		!f.To.IsZero() && !m.CreatedAt.Before(f.To):
		return false
	}
	if !f.CoverFrom.IsZero() && !f.CoverTo.IsZero() {
		return !m.Start.IsZero() && m.Start.Before(f.CoverTo) && !m.End.Before(f.CoverFrom)
	}
	return true
}

// Transition moves the request to a terminal state. Only pending requests can
// change; a second decision fails with ECONFLICT naming the first, which is
// what makes double clicks and retried callbacks harmless.
func (m *MakeupRequest) Transition(to MakeupStatus, by string, at time.Time, note string) error {
	switch to {
	case MakeupApproved, MakeupRejected, MakeupCancelled, MakeupExpired:
	default:
		return Errorf(EINVALID, "cannot move %s to %q", requestLabel(*m), to)
	}
	if m.Status != MakeupPending {
		return alreadyClosed(*m) // makeup_errors.go
	}
	m.Status, m.DecidedBy, m.DecidedAt, m.Note = to, by, at, note
	return nil
}

// Revocable reports whether the request's approval can be taken back:
// leave, trips, outings and overtime, whose approval wrote nothing.
// Approving a make-up or a field punch wrote a punch, which HR corrects
// instead.
func (m MakeupRequest) Revocable() bool {
	switch m.TypeOf() {
	case RequestLeave, RequestTrip, RequestOuting, RequestOvertime:
		return true
	}
	return false
}

// Withdrawable reports whether the requester may still take the request
// back at time at: while it is pending, and an approved leave, trip,
// outing or overtime until its period starts (销假). The cancel path
// (Transition, Revoke) and the Withdraw button on the requester's card
// both ask it, so the button is shown exactly while a click would work.
func (m MakeupRequest) Withdrawable(at time.Time) bool {
	switch m.Status {
	case MakeupPending:
		return true
	case MakeupApproved:
		return m.Revocable() && at.Before(m.Start)
	}
	return false
}

// Revoke takes back the approval of a leave, trip or outing at time at.
// The requester (by is m.EmployeeID) may do so only before the period
// starts; anyone else (the caller has checked they are the approver or HR)
// at any time, with a reason. A refusal is an EINVALID error wrapping the
// *MakeupRefusal; a request that is no longer approved gives ECONFLICT
// naming its state, as Transition does, so a second click is harmless.
func (m *MakeupRequest) Revoke(by string, at time.Time, reason string) error {
	refuse := func(rule string) error { return refusalError(&MakeupRefusal{Rule: rule}, "") }
	switch {
	case !m.Revocable():
		return refuse(RevokeNotRevocable)
	case m.Status == MakeupPending:
		return refuse(RevokeNotApproved)
	case m.Status != MakeupApproved:
		return Errorf(ECONFLICT, "request %d is already %s", m.ID, m.Status)
	case by == m.EmployeeID && !m.Withdrawable(at):
		return refuse(WithdrawStarted)
	case by != m.EmployeeID && reason == "":
		return refuse(RevokeNeedsReason)
	}
	m.Status, m.DecidedBy, m.DecidedAt, m.Note = MakeupRevoked, by, at, reason
	return nil
}

// Refusals of taking an approval back, for the bots' catalogues.
const (
	// RevokeNotRevocable: a make-up or field punch, whose approval wrote a punch.
	RevokeNotRevocable = "revoke_not_revocable"
	// RevokeNotApproved: still pending; the approver decides it instead.
	RevokeNotApproved = "revoke_not_approved"
	// WithdrawStarted: the requester is too late, the period has started;
	// the approver or HR can still revoke it.
	WithdrawStarted = "withdraw_started"
	// RevokeNeedsReason: the approver or HR gave no reason; the requester
	// is told it.
	RevokeNeedsReason = "revoke_needs_reason"
	// DecisionNoteTooLong: an approver's reason or note is longer than
	// MaxMakeupReason; nothing was decided.
	DecisionNoteTooLong = "decision_note_too_long"
)

// Make-up policy refusal reasons, for the bots' catalogues.
const (
	MakeupQuotaExhausted = "makeup_quota_exhausted"
	MakeupPastDeadline   = "makeup_past_deadline"
	MakeupInFuture       = "makeup_in_future"
	MakeupSlotValid      = "makeup_slot_has_punch"
	MakeupAlreadyOpen    = "makeup_already_open"
)

// MakeupRefusal explains why a request breaks the policy, with the numbers
// the user needs ("本月补卡次数已用完（3/3）").
type MakeupRefusal struct {
	Rule  string
	Used  int
	Quota int
	Days  int
	// Leave refusals: the conflicting request (LeaveOverlap), and the
	// balance in days (LeaveBalanceExhausted): used (approved and pending)
	// and quota of the year, and what this request asks.
	OtherID   int64   `json:",omitempty"`
	UsedDays  float64 `json:",omitempty"`
	QuotaDays float64 `json:",omitempty"`
	AskedDays float64 `json:",omitempty"`
	Year      int     `json:",omitempty"`
	// LeaveCompExhausted: the comp time available and asked, in minutes.
	AvailableMin int `json:",omitempty"`
	AskedMin     int `json:",omitempty"`
	// RequestNotEmployed (employment_requests.go): the employment, "" for
	// an open end, and the request's dates outside it.
	Joined  string     `json:",omitempty"`
	Left    string     `json:",omitempty"`
	Outside []DateSpan `json:",omitempty"`
}

func (r *MakeupRefusal) Error() string {
	return fmt.Sprintf("%s (%d/%d, %d days)", r.Rule, r.Used, r.Quota, r.Days)
}

// CheckMakeup applies the policy to a new request. monthRequests are the
// employee's requests created in the same calendar month (any state);
// slotPunches are the punches of the requested shift date.
func CheckMakeup(p MakeupPolicy, req MakeupRequest, monthRequests []MakeupRequest, slotPunches []Punch, now time.Time, loc *time.Location) *MakeupRefusal {
	if req.At.After(now) {
		return &MakeupRefusal{Rule: MakeupInFuture}
	}
	if p.DeadlineDays > 0 {
		day, err := time.ParseInLocation(DateLayout, req.ShiftDate, loc)
		if err == nil && now.In(loc).Sub(day) > time.Duration(p.DeadlineDays+1)*24*time.Hour {
			return &MakeupRefusal{Rule: MakeupPastDeadline, Days: p.DeadlineDays}
		}
	}
	used := 0
	for _, m := range monthRequests {
		if m.Status == MakeupPending || m.Status == MakeupApproved {
			used++
		}
		if m.Status == MakeupPending && m.ShiftDate == req.ShiftDate && m.Kind == req.Kind {
			return &MakeupRefusal{Rule: MakeupAlreadyOpen}
		}
	}
	if p.MonthlyQuota > 0 && used >= p.MonthlyQuota {
		return &MakeupRefusal{Rule: MakeupQuotaExhausted, Used: used, Quota: p.MonthlyQuota}
	}
	for _, pu := range slotPunches {
		if pu.Valid() && pu.Kind == req.Kind && pu.TimeResult == TimeNormal {
			return &MakeupRefusal{Rule: MakeupSlotValid}
		}
	}
	return nil
}
