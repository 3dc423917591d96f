package core

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// peek reads a request outside any lock, so the people involved can be
// loaded before the transaction that changes it.
func (s *Service) peek(ctx context.Context, id int64) (MakeupRequest, error) {
	var m MakeupRequest
	err := s.inTx(ctx, func(tx Tx) error {
		var err error
		m, err = tx.GetMakeupForUpdate(ctx, id)
		return err
	})
	return m, err
}

// ownMakeupPeople loads the people of request id for a change only its
// requester may make (cancelling, attaching evidence); anyone else gets
// EFORBIDDEN, "leave request N is not yours" followed by purpose.
func (s *Service) ownMakeupPeople(ctx context.Context, employeeID string, id int64, purpose string) (makeupPeople, error) {
	pre, err := s.peek(ctx, id)
	if err != nil {
		return makeupPeople{}, err
	}
	if pre.EmployeeID != employeeID {
		return makeupPeople{}, Errorf(EFORBIDDEN, "%s is not yours%s", requestLabel(pre), purpose)
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
		return Errorf(EFORBIDDEN, "only the assigned approver or HR can decide %s", requestLabel(m))
	case actor.ID == m.EmployeeID:
		return Errorf(EFORBIDDEN, "you cannot decide your own %s", requestLabel(m))
	case actor.ID == m.ApproverID || actor.Role == RoleHR:
		return nil
	}
	return Errorf(EFORBIDDEN, "only the assigned approver or HR can decide %s", requestLabel(m))
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
	if utf8.RuneCountInString(note) > MaxMakeupReason {
		// A refusal, not a bare error, so every bot and the console
		// explain it in the reader's language, naming the request (only
		// to someone who may decide it).
		ref := &MakeupRefusal{Rule: DecisionNoteTooLong}
		return MakeupView{Request: pre, Refusal: ref}, refusalError(ref, "")
	}
	p, err := s.people(ctx, pre, actor)
	if err != nil {
		return MakeupView{}, err
	}
	now := s.now()
	var v, closed MakeupView
	err = s.inTx(ctx, func(tx Tx) error {
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
			v, err = s.takeBack(ctx, tx, d.Actor, m, note, d.Via, p, &closed, after)
			return err
		}
		if d.Status == MakeupApproved && m.Status == MakeupPending {
			if err := s.refuseUnemployedApproval(ctx, tx, m, p, &closed); err != nil { // employment_requests.go
				return err
			}
		}
		if err := m.Transition(d.Status, d.Actor, now, note); err != nil {
			return s.closedView(ctx, tx, m, p, &closed, err)
		}
		extra := map[string]any{"note": note, "approver": m.ApproverID}
		if d.Via != "" {
			extra["via"] = d.Via
		}
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
		if sh.PublicHoliday {
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
