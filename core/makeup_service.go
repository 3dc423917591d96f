package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
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
	msg := "make-up request refused: " + r.Rule
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

// makeupPeople is what a change needs to know about the people involved,
// read before the transaction (a store's plain reads may not run inside
// one).
type makeupPeople struct {
	roster   Roster   // the requester's
	approver Employee // zero when nobody could be found
	names    map[string]string
	// leaveTypes are the organisation's, loaded for leave requests.
	leaveTypes []LeaveType
}

func (p makeupPeople) name(id string) string {
	if n, ok := p.names[id]; ok {
		return n
	}
	return id
}

// people loads the requester, the approver and the names of others who
// appear on the card.
func (s *Service) people(ctx context.Context, m MakeupRequest, others ...Employee) (makeupPeople, error) {
	r, err := s.Roster(ctx, m.EmployeeID)
	if err != nil {
		return makeupPeople{}, err
	}
	p := makeupPeople{roster: r, names: map[string]string{r.Employee.ID: r.Employee.Name, ActorAdmin: "", ActorSystem: ""}}
	if m.TypeOf() == RequestLeave {
		if p.leaveTypes, err = s.LeaveTypes(ctx); err != nil {
			return p, err
		}
	}
	for _, o := range others {
		if o.ID != "" {
			p.names[o.ID] = o.Name
		}
	}
	dir, err := s.directory()
	if err != nil {
		return p, err
	}
	for _, id := range []string{m.ApproverID, m.DecidedBy} {
		if _, known := p.names[id]; known || id == "" {
			continue
		}
		e, err := dir.Employee(ctx, id)
		if err != nil && ErrorCode(err) != ENOTFOUND {
			return p, err
		}
		if err == nil {
			p.names[id] = e.Name
			if id == m.ApproverID {
				p.approver = e
			}
		}
	}
	if m.ApproverID != "" && p.approver.ID == "" && m.ApproverID == r.Employee.ID {
		p.approver = r.Employee
	}
	if p.approver.ID == "" && m.ApproverID != "" {
		for _, o := range others {
			if o.ID == m.ApproverID {
				p.approver = o
			}
		}
	}
	return p, nil
}

// routeApprover picks who approves emp's requests: their manager, or when
// there is none (or it is themselves, or inactive) an active HR employee,
// preferring one reachable on a chat platform. ok is false when nobody
// qualifies; the request then waits for HR at the console.
func routeApprover(ctx context.Context, dir Directory, emp Employee) (Employee, bool, error) {
	if emp.ManagerID != "" && emp.ManagerID != emp.ID {
		mgr, err := dir.Employee(ctx, emp.ManagerID)
		switch {
		case err == nil && mgr.Active:
			return mgr, true, nil
		case err != nil && ErrorCode(err) != ENOTFOUND:
			return Employee{}, false, err
		}
	}
	all, err := dir.ListEmployees(ctx)
	if err != nil {
		return Employee{}, false, err
	}
	var first *Employee
	for i, e := range all {
		if e.Role != RoleHR || !e.Active || e.ID == emp.ID {
			continue
		}
		if _, reachable := RecipientFor(e); reachable {
			return e, true, nil
		}
		if first == nil {
			first = &all[i]
		}
	}
	if first != nil {
		return *first, true, nil
	}
	return Employee{}, false, nil
}

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

// view assembles what cards show about m, inside tx.
func (s *Service) view(ctx context.Context, tx Tx, m MakeupRequest, p makeupPeople) (MakeupView, error) {
	v := MakeupView{
		Request: m, EmployeeName: p.name(m.EmployeeID), TimeZone: p.roster.Employee.TimeZone, Quota: p.roster.Policy.MonthlyQuota,
	}
	if m.ApproverID != "" {
		v.ApproverName = p.name(m.ApproverID)
	}
	if m.DecidedBy != "" {
		v.DeciderName = p.name(m.DecidedBy)
	}
	if m.TypeOf() != RequestMakeup {
		// The monthly quota is the make-ups'; the others show their own.
		v.Quota = 0
		return v, s.approvalView(ctx, tx, &v, p)
	}
	created := m.CreatedAt
	if created.IsZero() {
		created = s.now()
	}
	from, to := monthBounds(created, p.roster.Zone())
	month, err := tx.ListMakeups(ctx, MakeupFilter{EmployeeID: m.EmployeeID, From: from, To: to, Types: []RequestType{RequestMakeup}})
	if err != nil {
		return v, err
	}
	for _, o := range month {
		if o.Status == MakeupPending || o.Status == MakeupApproved {
			v.Used++
		}
	}
	if v.Punches, err = tx.ShiftPunches(ctx, m.EmployeeID, m.ShiftDate); err != nil {
		return v, err
	}
	return v, nil
}

// enqueue queues one make-up message to a recipient.
func (s *Service) enqueue(ctx context.Context, tx Tx, to Recipient, kind string, v MakeupView, dedupe string) error {
	route, _ := json.Marshal(to)
	payload, err := json.Marshal(v)
	if err != nil {
		return WrapError(EINTERNAL, err, "encode make-up view")
	}
	now := s.now()
	return tx.EnqueueOutbox(ctx, OutboxMessage{Platform: to.Platform, Route: string(route), Kind: kind, Payload: payload,
		DedupeKey: dedupe, NextAttempt: now, Status: OutboxPending, CreatedAt: now})
}

// cardRecipients are the places the request's cards went or go: the
// approver's chat account, any other card on record, and the requester's
// own "submitted" card when a bot recorded it (CardRef.Requester), which
// is addressed to the requester in their language.
func cardRecipients(p makeupPeople, refs []CardRef) []Recipient {
	approver, requester := p.approver, p.roster.Employee
	var out []Recipient
	seen := map[string]bool{}
	add := func(r Recipient) {
		key := string(r.Platform) + "\x00" + r.UserID + "\x00" + r.ChatID
		if !seen[key] {
			seen[key] = true
			out = append(out, r)
		}
	}
	if r, ok := RecipientFor(approver); ok && approver.ID != "" {
		add(r)
	}
	for _, ref := range refs {
		who := approver
		if ref.Requester {
			who = requester
		}
		r := Recipient{Platform: ref.Platform, UserID: ref.Recipient, EmployeeID: who.ID, Lang: who.Lang, Requester: ref.Requester}
		for _, id := range who.Identities {
			if id.Platform == ref.Platform && (id.UserID == ref.Recipient || (ref.Requester && r.Tenant == "")) {
				// The requester's card may have gone to another id of
				// the same account (a Feishu open_id for a user_id);
				// their tenant on the platform is still theirs.
				r.Tenant = id.Tenant
			}
		}
		add(r)
	}
	return out
}

// announce queues the card updates and, for a decision or an expiry, the
// requester's notification.
func (s *Service) announce(ctx context.Context, tx Tx, v MakeupView, p makeupPeople, notifyRequester bool) error {
	mt, err := makeupTx(tx)
	if err != nil {
		return err
	}
	refs, err := mt.CardRefs(ctx, v.Request.ID)
	if err != nil {
		return err
	}
	for _, to := range cardRecipients(p, refs) {
		if err := s.enqueue(ctx, tx, to, OutboxMakeupUpdate, v, ""); err != nil {
			return err
		}
	}
	if !notifyRequester {
		return nil
	}
	if to, ok := RecipientFor(p.roster.Employee); ok {
		return s.enqueue(ctx, tx, to, OutboxMakeupResult, v, fmt.Sprintf("makeup_result:%d", v.Request.ID))
	}
	return nil
}

// saveMakeup stores a changed request inside tx, audits it as action,
// queues its card updates (and, with notifyRequester, the requester's
// notification) and then runs after, if any. Deciding, cancelling,
// attaching evidence and expiring all end this way; writing the steps
// once keeps their order the same everywhere. The view is returned even
// when announcing or after fails, as the callers always had it.
func (s *Service) saveMakeup(ctx context.Context, tx Tx, actor, action string, m MakeupRequest, extra map[string]any, p makeupPeople, notifyRequester bool, after func(Tx, MakeupView) error) (MakeupView, error) {
	if err := tx.UpdateMakeup(ctx, m); err != nil {
		return MakeupView{}, err
	}
	if err := s.audit(ctx, tx, actor, action, m, extra); err != nil {
		return MakeupView{}, err
	}
	v, err := s.view(ctx, tx, m, p)
	if err != nil {
		return v, err
	}
	if err := s.announce(ctx, tx, v, p, notifyRequester); err != nil {
		return v, err
	}
	if after != nil {
		return v, after(tx, v)
	}
	return v, nil
}

// insertMakeup is the ending of filing request m of any type: insert it,
// audit "<type>.requested", view it into *v and queue the approver's card,
// then after, all in tx. *v keeps what the filer put in it when the insert
// fails.
func (s *Service) insertMakeup(ctx context.Context, tx Tx, actor, what string, m MakeupRequest, extra map[string]any, p makeupPeople, v *MakeupView, after func(Tx, MakeupView) error) error {
	if err := tx.InsertMakeup(ctx, &m); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, actor, auditAction(m, what), m, extra); err != nil {
		return err
	}
	var err error
	if *v, err = s.view(ctx, tx, m, p); err != nil {
		return err
	}
	approver := p.approver
	if to, ok := RecipientFor(approver); ok && approver.ID != "" {
		if err := s.enqueue(ctx, tx, to, OutboxMakeupCard, *v, fmt.Sprintf("makeup_card:%d:%s", m.ID, approver.ID)); err != nil {
			return err
		}
	}
	if after != nil {
		return after(tx, *v)
	}
	return nil
}

// auditAction names a change of request m: "makeup.approved",
// "field.approved", "leave.cancelled", …
func auditAction(m MakeupRequest, what string) string { return string(m.TypeOf()) + "." + what }

func (s *Service) audit(ctx context.Context, tx Tx, actor, action string, m MakeupRequest, extra map[string]any) error {
	detail := map[string]any{"request_id": m.ID, "shift_date": m.ShiftDate, "kind": m.Kind, "at": m.At.UTC().Format(time.RFC3339), "status": m.Status}
	if t := m.TypeOf(); t != RequestMakeup {
		detail["type"] = t
		if !m.Start.IsZero() && t != RequestField {
			detail["start"], detail["end"] = m.Start.UTC().Format(time.RFC3339), m.End.UTC().Format(time.RFC3339)
		}
		if m.LeaveType != "" {
			detail["leave_type"] = m.LeaveType
		}
		if m.Place != "" {
			detail["place"] = m.Place
		}
	}
	for k, v := range extra {
		detail[k] = v
	}
	buf, _ := json.Marshal(detail)
	return tx.InsertAudit(ctx, AuditEntry{At: s.now(), Actor: actor, Action: action, Subject: m.EmployeeID, Detail: string(buf)})
}

// RequestMakeup files a make-up request for an employee after checking the
// policy: not in the future, within the deadline, within the monthly
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
	if v.Request.Reason == "" || utf8.RuneCountInString(v.Request.Reason) > MaxMakeupReason {
		return refuse(MakeupInvalid, ProblemReason)
	}
	dir, err := s.directory()
	if err != nil {
		return v, err
	}
	approver, _, err := routeApprover(ctx, dir, r.Employee)
	if err != nil {
		return v, err
	}
	p := makeupPeople{roster: r, approver: approver, names: map[string]string{r.Employee.ID: r.Employee.Name, approver.ID: approver.Name}}
	m := v.Request
	m.Evidence = capEvidence(nil, a.Evidence)
	m.Status, m.ApproverID, m.CreatedAt = MakeupPending, approver.ID, now

	var refusal *MakeupRefusal
	err = s.store.InTx(ctx, func(tx Tx) error {
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

// peek reads a request outside any lock, so the people involved can be
// loaded before the transaction that changes it.
func (s *Service) peek(ctx context.Context, id int64) (MakeupRequest, error) {
	var m MakeupRequest
	err := s.store.InTx(ctx, func(tx Tx) error {
		var err error
		m, err = tx.GetMakeupForUpdate(ctx, id)
		return err
	})
	return m, err
}

// ownMakeupPeople loads the people of request id for a change only its
// requester may make (cancelling, attaching evidence); anyone else gets
// EFORBIDDEN, "make-up request N is not yours" followed by purpose.
func (s *Service) ownMakeupPeople(ctx context.Context, employeeID string, id int64, purpose string) (makeupPeople, error) {
	pre, err := s.peek(ctx, id)
	if err != nil {
		return makeupPeople{}, err
	}
	if pre.EmployeeID != employeeID {
		return makeupPeople{}, Errorf(EFORBIDDEN, "make-up request %d is not yours%s", id, purpose)
	}
	return s.people(ctx, pre)
}

// mayDecide is the approval rule: the assigned approver or any HR
// employee, never the requester; ActorAdmin (HR at the console) always.
func mayDecide(actorID string, actor Employee, m MakeupRequest) error {
	if actorID == ActorAdmin {
		return nil
	}
	switch {
	case actor.ID == "" || !actor.Active:
		return Errorf(EFORBIDDEN, "only the assigned approver or HR can decide make-up request %d", m.ID)
	case actor.ID == m.EmployeeID:
		return Errorf(EFORBIDDEN, "you cannot decide your own make-up request %d", m.ID)
	case actor.ID == m.ApproverID || actor.Role == RoleHR:
		return nil
	}
	return Errorf(EFORBIDDEN, "only the assigned approver or HR can decide make-up request %d", m.ID)
}

// MayDecide reports (nil or EFORBIDDEN) whether the chat account may decide
// request id, so a bot can refuse before asking a reject reason.
func (s *Service) MayDecide(ctx context.Context, actor Identity, id int64) error {
	emp, err := s.store.FindIdentity(ctx, actor.Platform, actor.Tenant, actor.UserID)
	if ErrorCode(err) == ENOTFOUND {
		return Errorf(EFORBIDDEN, "this account is not registered")
	}
	if err != nil {
		return err
	}
	m, err := s.peek(ctx, id)
	if err != nil {
		return err
	}
	return mayDecide(emp.ID, emp, m)
}

// DecideMakeup approves or rejects a pending request in one transaction:
// the request is locked, the actor checked (the assigned approver or HR;
// anyone else gets EFORBIDDEN and nothing changes), the state moved, and on
// approval a punch with source "makeup" written, classified against the
// schedule and linked both ways. The audit entry, the card updates and the
// requester's notification are queued in the same transaction. A request
// that is no longer pending gives ECONFLICT and the view of how it ended,
// which makes double clicks, retried callbacks and two approvers at once
// produce exactly one decision.
//
// Status MakeupRevoked takes back an approved leave, trip or outing (see
// MakeupRequest.Revoke): the routed approver or HR at any time with a
// reason, which the requester receives; the requester themselves
// withdraws it as CancelMakeup does.
func (s *Service) DecideMakeup(ctx context.Context, d MakeupDecision) (MakeupView, error) {
	return s.decide(ctx, d, nil)
}

func (s *Service) decide(ctx context.Context, d MakeupDecision, after func(Tx, MakeupView) error) (MakeupView, error) {
	if d.Status != MakeupApproved && d.Status != MakeupRejected && d.Status != MakeupRevoked {
		return MakeupView{}, Errorf(EINVALID, "a decision approves, rejects or revokes, not %q", d.Status)
	}
	note := strings.TrimSpace(d.Note)
	if utf8.RuneCountInString(note) > MaxMakeupReason {
		return MakeupView{}, Errorf(EINVALID, "the note is longer than %d characters", MaxMakeupReason)
	}
	pre, err := s.peek(ctx, d.ID)
	if err != nil {
		return MakeupView{}, err
	}
	if d.Status == MakeupRevoked && d.Actor == pre.EmployeeID {
		// The requester's own "撤销 12" withdraws, as far as they may.
		return s.cancel(ctx, d.Actor, d.ID, after)
	}
	var actor Employee
	if d.Actor != ActorAdmin {
		dir, err := s.directory()
		if err != nil {
			return MakeupView{}, err
		}
		if actor, err = dir.Employee(ctx, d.Actor); err != nil && ErrorCode(err) != ENOTFOUND {
			return MakeupView{}, err
		}
	}
	if err := mayDecide(d.Actor, actor, pre); err != nil {
		return MakeupView{}, err
	}
	p, err := s.people(ctx, pre, actor)
	if err != nil {
		return MakeupView{}, err
	}
	now := s.now()
	var v, closed MakeupView
	err = s.store.InTx(ctx, func(tx Tx) error {
		m, err := tx.GetMakeupForUpdate(ctx, d.ID)
		if err != nil {
			return err
		}
		if err := mayDecide(d.Actor, actor, m); err != nil {
			return err
		}
		if d.Card != nil {
			if err := s.putCard(ctx, tx, m.ID, *d.Card); err != nil {
				return err
			}
		}
		if d.Status == MakeupRevoked {
			v, err = s.takeBack(ctx, tx, d.Actor, m, note, p, &closed, after)
			return err
		}
		if err := m.Transition(d.Status, d.Actor, now, note); err != nil {
			return s.closedView(ctx, tx, m, p, &closed, err)
		}
		extra := map[string]any{"note": note, "approver": m.ApproverID}
		if d.Status == MakeupApproved {
			added, err := s.approvalPunch(ctx, tx, p.roster, &m, now)
			if err != nil {
				return err
			}
			for k, v := range added {
				extra[k] = v
			}
		}
		v, err = s.saveMakeup(ctx, tx, d.Actor, auditAction(m, string(d.Status)), m, extra, p, true, after)
		return err
	})
	if closed.Request.ID != 0 && (ErrorCode(err) == ECONFLICT || isRefusal(err)) {
		return closed, err
	}
	return v, err
}

// closedView fills out with the view of a request that is no longer
// pending, so the caller can say how it ended, and returns err (the
// transaction rolls back: nothing changed).
func (s *Service) closedView(ctx context.Context, tx Tx, m MakeupRequest, p makeupPeople, out *MakeupView, err error) error {
	v, verr := s.view(ctx, tx, m, p)
	if verr != nil {
		return verr
	}
	*out = v
	return err
}

// putCard records a card reference inside tx.
func (s *Service) putCard(ctx context.Context, tx Tx, id int64, ref CardRef) error {
	mt, err := makeupTx(tx)
	if err != nil {
		return err
	}
	ref.RequestID = id
	if ref.UpdatedAt.IsZero() {
		ref.UpdatedAt = s.now()
	}
	if ref.Platform == "" || ref.Recipient == "" || ref.Ref == "" {
		return Errorf(EINVALID, "a card reference needs a platform, a recipient and a reference")
	}
	return mt.PutCardRef(ctx, ref)
}

// makeupPunch is the punch an approved request writes: accepted, source
// "makeup", linked to the request, and classified against the schedule
// like any punch at that time, so the day's result reflects it.
func makeupPunch(r Roster, m MakeupRequest, prior []Punch, now time.Time) Punch {
	p := Punch{
		EmployeeID: m.EmployeeID, Kind: m.Kind, At: m.At, ReceivedAt: now, ShiftDate: m.ShiftDate,
		Source: SourceMakeup, EventID: fmt.Sprintf("makeup:%d", m.ID), Outcome: OutcomeAccepted, TimeResult: TimeNormal, MakeupID: m.ID,
	}
	if r.Schedule == nil {
		return p
	}
	loc := r.Zone()
	day, err := time.ParseInLocation(DateLayout, m.ShiftDate, loc)
	if err != nil {
		return p
	}
	sh := r.Schedule.ShiftOn(day, loc, r.Calendar)
	switch {
	case !sh.Workday:
		p.TimeResult = TimeRestDay
		if sh.Holiday != "" {
			p.Reasons = []string{ReasonHoliday}
		} else {
			p.Reasons = []string{ReasonRestDay}
		}
	case m.Kind == KindIn:
		p.TimeResult, p.LateMin = r.Schedule.ClassifyIn(sh, m.At)
	default:
		var inAt time.Time
		if first := firstValid(prior, KindIn); first != nil {
			inAt = first.At
		}
		p.TimeResult, p.EarlyMin = r.Schedule.ClassifyOut(sh, inAt, m.At)
	}
	return p
}

// CancelMakeup withdraws the employee's own pending request (id 0: their
// latest pending one) and queues the update of the approver's card. An
// approved leave, trip or outing is withdrawn (销假, revoked) while its
// period has not started, and the approver is told; after the start the
// refusal WithdrawStarted sends the employee to the approver or HR.
func (s *Service) CancelMakeup(ctx context.Context, employeeID string, id int64) (MakeupView, error) {
	return s.cancel(ctx, employeeID, id, nil)
}

// latestPending returns the employee's most recent pending request.
func (s *Service) latestPending(ctx context.Context, employeeID string) (int64, error) {
	var id int64
	err := s.store.InTx(ctx, func(tx Tx) error {
		open, err := tx.ListMakeups(ctx, MakeupFilter{EmployeeID: employeeID, Statuses: []MakeupStatus{MakeupPending}})
		if err != nil {
			return err
		}
		if len(open) == 0 {
			return Errorf(ENOTFOUND, "you have no pending make-up request")
		}
		id = open[len(open)-1].ID
		return nil
	})
	return id, err
}

func (s *Service) cancel(ctx context.Context, employeeID string, id int64, after func(Tx, MakeupView) error) (MakeupView, error) {
	if id == 0 {
		var err error
		if id, err = s.latestPending(ctx, employeeID); err != nil {
			return MakeupView{}, err
		}
	}
	p, err := s.ownMakeupPeople(ctx, employeeID, id, " to cancel")
	if err != nil {
		return MakeupView{}, err
	}
	var v, closed MakeupView
	err = s.store.InTx(ctx, func(tx Tx) error {
		m, err := tx.GetMakeupForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if m.Status == MakeupApproved {
			// 销假: an approved request is withdrawn, if it may be.
			v, err = s.takeBack(ctx, tx, employeeID, m, "", p, &closed, after)
			return err
		}
		if err := m.Transition(MakeupCancelled, employeeID, s.now(), ""); err != nil {
			return s.closedView(ctx, tx, m, p, &closed, err)
		}
		v, err = s.saveMakeup(ctx, tx, employeeID, auditAction(m, "cancelled"), m, nil, p, false, after)
		return err
	})
	if closed.Request.ID != 0 && (ErrorCode(err) == ECONFLICT || isRefusal(err)) {
		return closed, err
	}
	return v, err
}

func isRefusal(err error) bool {
	_, ok := AsRefusal(err)
	return ok
}

// takeBack moves approved request m to revoked inside tx for actor (the
// requester withdrawing, or the approver or HR revoking with reason),
// audits it as "<type>.withdrawn" or "<type>.revoked", updates the
// approval cards in place and tells the other side: the approver of a
// withdrawal, the requester of a revocation. A refusal or a request no
// longer approved fills *closed with its view and changes nothing.
func (s *Service) takeBack(ctx context.Context, tx Tx, actor string, m MakeupRequest, reason string, p makeupPeople, closed *MakeupView, after func(Tx, MakeupView) error) (MakeupView, error) {
	approvedBy, approvedAt := m.DecidedBy, m.DecidedAt
	if err := m.Revoke(actor, s.now(), reason); err != nil {
		err = s.closedView(ctx, tx, m, p, closed, err)
		if r, ok := AsRefusal(err); ok {
			closed.Refusal = r
		}
		return MakeupView{}, err
	}
	what, notify := "revoked", p.roster.Employee
	if actor == m.EmployeeID {
		what, notify = "withdrawn", p.approver
	}
	extra := map[string]any{"approver": m.ApproverID, "approved_by": approvedBy, "approved_at": approvedAt.UTC().Format(time.RFC3339)}
	if reason != "" {
		extra["note"] = reason
	}
	tell := func(tx Tx, v MakeupView) error {
		// The approval's result went out under makeup_result:<id>; this
		// is a second message about the same request.
		if to, ok := RecipientFor(notify); ok && notify.ID != "" {
			if err := s.enqueue(ctx, tx, to, OutboxMakeupResult, v, fmt.Sprintf("makeup_result:%d:%s", v.Request.ID, MakeupRevoked)); err != nil {
				return err
			}
		}
		if after != nil {
			return after(tx, v)
		}
		return nil
	}
	return s.saveMakeup(ctx, tx, actor, auditAction(m, what), m, extra, p, false, tell)
}

// AttachEvidence adds file references to the employee's own pending
// request and queues an update of the approver's card, so the approver
// sees them before deciding.
func (s *Service) AttachEvidence(ctx context.Context, employeeID string, id int64, refs []string) (MakeupView, error) {
	return s.attach(ctx, employeeID, id, refs, nil)
}

func (s *Service) attach(ctx context.Context, employeeID string, id int64, refs []string, after func(Tx, MakeupView) error) (MakeupView, error) {
	if len(capEvidence(nil, refs)) == 0 {
		return MakeupView{}, Errorf(EINVALID, "no file to attach")
	}
	p, err := s.ownMakeupPeople(ctx, employeeID, id, "")
	if err != nil {
		return MakeupView{}, err
	}
	var v, closed MakeupView
	err = s.store.InTx(ctx, func(tx Tx) error {
		m, err := tx.GetMakeupForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if m.Status != MakeupPending {
			return s.closedView(ctx, tx, m, p, &closed, Errorf(ECONFLICT, "make-up request %d is already %s", m.ID, m.Status))
		}
		before := len(m.Evidence)
		m.Evidence = capEvidence(m.Evidence, refs)
		if len(m.Evidence) == before {
			return Errorf(EINVALID, "those files are already attached, or the request has %d already", MaxMakeupEvidence)
		}
		v, err = s.saveMakeup(ctx, tx, employeeID, auditAction(m, "evidence"), m, map[string]any{"evidence": m.Evidence[before:]}, p, false, after)
		return err
	})
	if ErrorCode(err) == ECONFLICT && closed.Request.ID != 0 {
		return closed, err
	}
	return v, err
}

// ExpireMakeups moves every request pending longer than the policy's
// ExpireAfterHours to expired, each in its own transaction with its audit
// entry, card updates and the requester's notification. It is safe to run
// on several replicas at once: a request decided meanwhile is skipped. It
// returns how many requests it expired.
func (s *Service) ExpireMakeups(ctx context.Context) (int, error) {
	var pending []MakeupRequest
	if err := s.store.InTx(ctx, func(tx Tx) error {
		var err error
		pending, err = tx.ListMakeups(ctx, MakeupFilter{Statuses: []MakeupStatus{MakeupPending}})
		return err
	}); err != nil {
		return 0, err
	}
	now := s.now()
	n := 0
	var errs []error
	for _, pre := range pending {
		p, err := s.people(ctx, pre)
		if err != nil {
			errs = append(errs, fmt.Errorf("make-up request %d: %w", pre.ID, err))
			continue
		}
		hours := p.roster.Policy.ExpireAfterHours
		if hours <= 0 || now.Before(pre.CreatedAt.Add(time.Duration(hours)*time.Hour)) {
			continue
		}
		err = s.store.InTx(ctx, func(tx Tx) error {
			m, err := tx.GetMakeupForUpdate(ctx, pre.ID)
			if err != nil {
				return err
			}
			if err := m.Transition(MakeupExpired, ActorSystem, now, ""); err != nil {
				return err
			}
			_, err = s.saveMakeup(ctx, tx, ActorSystem, auditAction(m, "expired"), m, map[string]any{"after_hours": hours}, p, true, nil)
			return err
		})
		switch ErrorCode(err) {
		case "":
			n++
		case ECONFLICT:
			// Decided or cancelled since the listing.
		default:
			errs = append(errs, fmt.Errorf("make-up request %d: %w", pre.ID, err))
		}
	}
	return n, errors.Join(errs...)
}

// RecordCardRef stores where a request's card was sent, once the platform
// has accepted it, so later changes edit the card in place. A newer
// reference for the same recipient replaces the older one.
func (s *Service) RecordCardRef(ctx context.Context, ref CardRef) error {
	if ref.RequestID <= 0 {
		return Errorf(EINVALID, "a card reference needs a request id")
	}
	return s.store.InTx(ctx, func(tx Tx) error { return s.putCard(ctx, tx, ref.RequestID, ref) })
}

// CardRefs returns the recorded card references of a request.
func (s *Service) CardRefs(ctx context.Context, requestID int64) ([]CardRef, error) {
	var refs []CardRef
	err := s.store.InTx(ctx, func(tx Tx) error {
		mt, err := makeupTx(tx)
		if err != nil {
			return err
		}
		refs, err = mt.CardRefs(ctx, requestID)
		return err
	})
	return refs, err
}

// CardRef returns the reference of the card sent to recipient on platform;
// ENOTFOUND when none is on record.
func (s *Service) CardRef(ctx context.Context, requestID int64, platform Platform, recipient string) (CardRef, error) {
	refs, err := s.CardRefs(ctx, requestID)
	if err != nil {
		return CardRef{}, err
	}
	for _, r := range refs {
		if r.Platform == platform && r.Recipient == recipient {
			return r, nil
		}
	}
	return CardRef{}, Errorf(ENOTFOUND, "no %s card of make-up request %d for %s", platform, requestID, recipient)
}

// MakeupView returns the current view of one request.
func (s *Service) MakeupView(ctx context.Context, id int64) (MakeupView, error) {
	pre, err := s.peek(ctx, id)
	if err != nil {
		return MakeupView{}, err
	}
	p, err := s.people(ctx, pre)
	if err != nil {
		return MakeupView{}, err
	}
	var v MakeupView
	err = s.store.InTx(ctx, func(tx Tx) error {
		m, err := tx.GetMakeupForUpdate(ctx, id)
		if err != nil {
			return err
		}
		v, err = s.view(ctx, tx, m, p)
		return err
	})
	return v, err
}

// ListMakeups returns the requests matching f, oldest first.
func (s *Service) ListMakeups(ctx context.Context, f MakeupFilter) ([]MakeupRequest, error) {
	var out []MakeupRequest
	err := s.store.InTx(ctx, func(tx Tx) error {
		var err error
		out, err = tx.ListMakeups(ctx, f)
		return err
	})
	return out, err
}

// evidenceKey is the session that remembers which request the employee's
// next image or file belongs to.
func evidenceKey(id Identity) string { return sessionKey("makeup_evidence", id) }

// handleMakeup runs a make-up command for Handle: the employee is known,
// active and within the rate limit. Like a punch, the reply is recorded
// with the event and queued in the transaction of the change, so a retried
// delivery gets the same answer and changes nothing. Refusals by the policy
// and requests already closed are answers, recorded like any other; a
// forbidden action is answered without recording anything.
func (s *Service) handleMakeup(ctx context.Context, cmd Command, base Reply) (Reply, error) {
	a := cmd.Makeup
	if cmd.Kind == CmdLeave {
		if cmd.Leave == nil {
			return Reply{}, Errorf(EINVALID, "a leave command needs its arguments")
		}
		a = &MakeupArgs{}
	}
	if a == nil {
		return Reply{}, Errorf(EINVALID, "a make-up command needs its arguments")
	}
	reply := base
	reply.At = cmd.ReceivedAt
	answer := func(outcome Outcome) func(Tx, MakeupView) error {
		return func(tx Tx, got MakeupView) error {
			reply.Outcome, reply.Makeup = outcome, &got
			return s.record(ctx, tx, cmd, reply)
		}
	}
	// explain answers a command that changed nothing.
	explain := func(v MakeupView, err error) (Reply, error) {
		switch ErrorCode(err) {
		case EINVALID:
			if _, ok := AsRefusal(err); ok {
				reply.Outcome, reply.Makeup = OutcomeMakeupRefused, &v
				return s.commitReply(ctx, cmd, reply)
			}
			return Reply{}, err
		case ECONFLICT:
			// A concurrent delivery of the same event won: answer as it did.
			if cmd.EventID != "" {
				if rec, e := s.store.EventReply(ctx, cmd.source(), cmd.EventID); e == nil {
					rec.Reply.Replayed = true
					return rec.Reply, nil
				}
			}
			if v.Request.ID == 0 || v.Request.Status == MakeupPending {
				return Reply{}, err
			}
			reply.Outcome, reply.Makeup = OutcomeMakeupClosed, &v
			return s.commitReply(ctx, cmd, reply)
		case EFORBIDDEN:
			reply.Outcome = OutcomeMakeupForbidden
			if a.ID != 0 {
				reply.Makeup = &MakeupView{Request: MakeupRequest{ID: a.ID}}
			}
			return reply, s.replyOnly(ctx, cmd, reply)
		case ENOTFOUND:
			reply.Outcome = OutcomeMakeupNotFound
			if a.ID != 0 {
				reply.Makeup = &MakeupView{Request: MakeupRequest{ID: a.ID}}
			}
			return reply, s.replyOnly(ctx, cmd, reply)
		}
		return s.settle(ctx, cmd, reply, err)
	}
	switch cmd.Kind {
	case CmdLeave:
		v, err := s.fileLeave(ctx, base.EmployeeID, *cmd.Leave, cmd.Actor.Platform, answer(OutcomeMakeupFiled))
		if err != nil {
			return explain(v, err)
		}
		return reply, nil
	case CmdMakeup:
		v, err := s.fileMakeup(ctx, base.EmployeeID, *a, cmd.Actor.Platform, answer(OutcomeMakeupFiled))
		if err != nil {
			return explain(v, err)
		}
		// The next image or file the employee sends is evidence for it. The
		// request stands without it, so a failing session store only
		// costs the convenience.
		_ = s.sessions.Put(ctx, evidenceKey(cmd.Actor), []byte(strconv.FormatInt(v.Request.ID, 10)), MakeupEvidenceTTL)
		return reply, nil
	case CmdMakeupCancel:
		v, err := s.cancel(ctx, base.EmployeeID, a.ID, answer(OutcomeMakeupCancelled))
		if err != nil {
			return explain(v, err)
		}
		return reply, nil
	case CmdMakeupDecide:
		after := answer(OutcomeMakeupDecided)
		if a.Decision == MakeupRevoked {
			// The requester's "撤销 12" withdraws: answered as a cancel.
			after = func(tx Tx, got MakeupView) error {
				if got.Request.EmployeeID == base.EmployeeID {
					return answer(OutcomeMakeupCancelled)(tx, got)
				}
				return answer(OutcomeMakeupDecided)(tx, got)
			}
		}
		v, err := s.decide(ctx, MakeupDecision{ID: a.ID, Status: a.Decision, Actor: base.EmployeeID, Note: a.Note, Card: a.Card}, after)
		if err != nil {
			return explain(v, err)
		}
		return reply, nil
	default: // CmdMakeupEvidence
		id := a.ID
		if id == 0 {
			buf, err := s.sessions.Get(ctx, evidenceKey(cmd.Actor))
			if err != nil {
				if ErrorCode(err) != ENOTFOUND {
					return Reply{}, err
				}
				// A picture sent out of the blue: nothing to attach it to,
				// and nothing worth saying.
				reply.Outcome = OutcomeMakeupNotFound
				return reply, nil
			}
			if id, err = strconv.ParseInt(string(buf), 10, 64); err != nil {
				reply.Outcome = OutcomeMakeupNotFound
				return reply, nil
			}
		}
		v, err := s.attach(ctx, base.EmployeeID, id, a.Evidence, answer(OutcomeMakeupEvidence))
		if err != nil {
			return explain(v, err)
		}
		return reply, nil
	}
}
