package core

import (
	"context"
	"errors"
	"time"
)

// Make-up commands. Each carries its arguments in Command.Makeup.
const (
	CmdMakeup         CommandKind = "makeup"          // file a request: Date, Clock, Kind, Reason
	CmdMakeupCancel   CommandKind = "makeup_cancel"   // withdraw one's own pending request (ID, or the latest)
	CmdMakeupDecide   CommandKind = "makeup_decide"   // approve, reject or revoke: ID, Decision, Note, Card
	CmdMakeupEvidence CommandKind = "makeup_evidence" // attach files to the request awaiting evidence
)

// Outcomes of the make-up commands. The reply's Makeup field describes the
// request.
const (
	OutcomeMakeupFiled     Outcome = "makeup_filed"     // request stored, card on its way to the approver
	OutcomeMakeupRefused   Outcome = "makeup_refused"   // the policy (or the input) says no; Makeup.Refusal says why
	OutcomeMakeupCancelled Outcome = "makeup_cancelled" // the requester withdrew it
	OutcomeMakeupEvidence  Outcome = "makeup_evidence"  // files attached
	OutcomeMakeupDecided   Outcome = "makeup_decided"   // this command approved or rejected it
	OutcomeMakeupClosed    Outcome = "makeup_closed"    // it was already decided, cancelled or expired
	OutcomeMakeupForbidden Outcome = "makeup_forbidden" // the actor may not do this; nothing changed
	OutcomeMakeupNotFound  Outcome = "makeup_not_found" // no such request (or none pending)
)

// Outbox kinds of the make-up flow. Their routes are JSON Recipients and
// their payloads a JSON MakeupView.
const (
	// OutboxMakeupCard is the interactive approval card for the approver.
	OutboxMakeupCard = "makeup_card"
	// OutboxMakeupUpdate changes a card already sent (decision, cancel,
	// expiry, new evidence) in place; with no card reference on record the
	// bot sends the card anew. One addressed to the requester
	// (Recipient.Requester) edits their own "submitted" card, and only
	// edits it.
	OutboxMakeupUpdate = "makeup_update"
	// OutboxMakeupResult tells the requester how their request ended.
	OutboxMakeupResult = "makeup_result"
)

// MakeupInvalid is the refusal rule for input that cannot be a make-up
// request (an impossible date, a time that is not HH:MM, no reason);
// MakeupView.Problem names the part.
const MakeupInvalid = "makeup_invalid"

// Parts of a request MakeupView.Problem can name.
const (
	ProblemDate   = "date"
	ProblemTime   = "time"
	ProblemKind   = "kind"
	ProblemReason = "reason"
)

// Actors that are not employees.
const (
	// ActorAdmin is the holder of the admin token (HR at the console); it
	// may decide any request.
	ActorAdmin = "admin"
	// ActorSystem expires requests.
	ActorSystem = "system"
)

// Limits of the make-up flow.
const (
	// MakeupEvidenceTTL is how long after filing a request an image or file
	// the employee sends is attached to it.
	MakeupEvidenceTTL = 10 * time.Minute
	// MaxMakeupReason bounds a reason or note, in characters.
	MaxMakeupReason = 500
	// MaxMakeupEvidence bounds the files attached to one request.
	MaxMakeupEvidence = 10
)

// MakeupArgs are the arguments of a make-up command.
type MakeupArgs struct {
	ID       int64     // the request acted on; 0: the latest pending (cancel) or the one awaiting evidence
	Date     string    // "2006-01-02", or "01-02" for the latest such date not in the future
	Clock    string    // "15:04", local time of the employee
	Kind     PunchKind // in or out
	Reason   string
	Evidence []string     // platform file references
	Decision MakeupStatus // MakeupApproved, MakeupRejected or MakeupRevoked (Note is the reason)
	Note     string       // the approver's comment
	// Problem is a part of the message the bot could not read (for example
	// ProblemDate); the core answers with a MakeupInvalid refusal naming
	// it and changes nothing.
	Problem string
	// CorrectedBy is the HR person (or ActorAdmin) recording a missing punch
	// for the employee from the console: the employee's make-up deadline
	// does not bind HR's corrections; the audit entry names them.
	CorrectedBy string
	// Card is the approval card a click came from; it is recorded in the
	// decision's transaction, so the update edits that very card (WeCom
	// hands out a fresh one-time response code with every click).
	Card *CardRef
	// IDs are, for CmdMakeupBatch, the requests one decision is for;
	// none lists the approver's pending requests, All saying the
	// approver asked for all of them (全部同意). See makeup_batch.go.
	IDs []int64 `json:",omitempty"`
	All bool    `json:",omitempty"`
}

// MakeupView is a request with everything a card or a message about it
// shows: names, the month's count against the quota, and the punches of
// the day it is about.
type MakeupView struct {
	Request      MakeupRequest
	EmployeeName string
	ApproverName string
	DeciderName  string
	TimeZone     string // the requester's; times are shown in it
	Used         int    // pending and approved requests created in the request's month
	Quota        int    // 0: unlimited
	Punches      []Punch
	Refusal      *MakeupRefusal `json:",omitempty"`
	Problem      string         `json:",omitempty"` // with MakeupInvalid: ProblemDate, ProblemTime, …
	// Field is, for a field-punch request (Request.Type RequestField), the
	// punch: time, position (and the position for a map link), the
	// nearest site and the distance to it.
	Field *FieldView `json:",omitempty"`
	// Leave is, for leave, trip and outing requests, the leave type, what
	// the period costs in working days and hours, and the balance.
	Leave *LeaveView `json:",omitempty"`
}

// Location returns the requester's time zone.
func (v MakeupView) Location() *time.Location {
	return Employee{TimeZone: v.TimeZone}.Location()
}

// CardRef remembers where an approval card was sent, known only after the
// platform accepted it, so later changes edit the card in place. Ref is
// platform-specific JSON: Slack {"channel","ts"}, Feishu {"message_id"},
// WeCom {"response_code","task_id"}.
type CardRef struct {
	RequestID int64
	Platform  Platform
	Recipient string // the user (or chat) id the card was sent to
	Ref       string
	UpdatedAt time.Time
	// Requester marks the requester's own "submitted" card (the answer
	// with the 撤回 button) rather than an approval card: its updates go
	// out as the requester's copy (Recipient.Requester), in their language.
	Requester bool
}

// MakeupTx is the transactional storage of card references. The stores'
// transactions implement it next to Tx.
type MakeupTx interface {
	Tx
	// PutCardRef creates or replaces the reference of one card, keyed by
	// (request, platform, recipient).
	PutCardRef(ctx context.Context, ref CardRef) error
	// CardRefs returns the references of a request's cards, oldest first.
	CardRefs(ctx context.Context, requestID int64) ([]CardRef, error)
}

// Directory finds people: the make-up flow routes requests to a manager or
// HR and names deciders. The stores implement it.
type Directory interface {
	Employee(ctx context.Context, id string) (Employee, error)
	ListEmployees(ctx context.Context) ([]Employee, error)
}

// MakeupDecision is an approval or rejection.
type MakeupDecision struct {
	ID     int64
	Status MakeupStatus // MakeupApproved, MakeupRejected, or MakeupRevoked for an approved leave, trip or outing
	Actor  string       // employee id, or ActorAdmin
	Note   string
	Card   *CardRef // the card the decision came from, if any
	// Via is where the decision was made, for its audit entry: the chat
	// platform of a click or a typed command, PlatformWeb for the
	// console; empty when the caller does not say (the admin API).
	Via Platform
}

func (s *Service) directory() (Directory, error) {
	d, ok := s.store.(Directory)
	if !ok {
		return nil, Errorf(EINTERNAL, "the store cannot look employees up (no Directory)")
	}
	return d, nil
}

func makeupTx(tx Tx) (MakeupTx, error) {
	mt, ok := tx.(MakeupTx)
	if !ok {
		return nil, Errorf(EINTERNAL, "the store cannot keep card references (no MakeupTx)")
	}
	return mt, nil
}

// refusalError wraps a policy refusal in the coded error of the API.
func refusalError(r *MakeupRefusal, problem string) error {
	msg := "request refused: " + r.Rule
	if problem != "" {
		msg += " (" + problem + ")"
	}
	return &Error{Code: EINVALID, Message: msg, Err: r}
}

// AsRefusal returns the policy refusal inside err, if any.
func AsRefusal(err error) (*MakeupRefusal, bool) {
	var r *MakeupRefusal
	ok := errors.As(err, &r)
	return r, ok
}
