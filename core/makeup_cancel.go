package core

import (
	"context"
	"fmt"
	"time"
)

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
	err := s.inTx(ctx, func(tx Tx) error {
		open, err := tx.ListMakeups(ctx, MakeupFilter{EmployeeID: employeeID, Statuses: []MakeupStatus{MakeupPending}})
		if err != nil {
			return err
		}
		if len(open) == 0 {
			return Errorf(ENOTFOUND, "you have no pending request")
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
	err = s.inTx(ctx, func(tx Tx) error {
		m, err := tx.GetMakeupForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if m.Status == MakeupApproved {
			// 销假: an approved request is withdrawn, if it may be.
			v, err = s.takeBack(ctx, tx, employeeID, m, "", "", p, &closed, after)
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
// audits it as "<type>.withdrawn" or "<type>.revoked" (with via, where it
// was revoked, when known), updates the approval cards in place and tells
// the other side: the approver of a withdrawal, the requester of a
// revocation. A refusal or a request no
// longer approved fills *closed with its view and changes nothing.
func (s *Service) takeBack(ctx context.Context, tx Tx, actor string, m MakeupRequest, reason string, via Platform, p makeupPeople, closed *MakeupView, after func(Tx, MakeupView) error) (MakeupView, error) {
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
	if via != "" {
		extra["via"] = via
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
	err = s.inTx(ctx, func(tx Tx) error {
		m, err := tx.GetMakeupForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if m.Status != MakeupPending {
			return s.closedView(ctx, tx, m, p, &closed, alreadyClosed(m))
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
