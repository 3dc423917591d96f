package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ExpireMakeups moves every request pending longer than the policy's
// ExpireAfterHours to expired, each in its own transaction with its audit
// entry, card updates and the requester's notification. It is safe to run
// on several replicas at once: a request decided meanwhile is skipped. It
// returns how many requests it expired.
//
// On the same round it hands a pending request whose approver can no
// longer decide it (deactivated or removed from the org file since it was
// filed) over to whom a new request would go (handOver), so it does not
// wait for nobody until it expires.
func (s *Service) ExpireMakeups(ctx context.Context) (int, error) {
	var pending []MakeupRequest
	if err := s.inTx(ctx, func(tx Tx) error {
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
			errs = append(errs, fmt.Errorf("%s: %w", requestLabel(pre), err))
			continue
		}
		hours := p.roster.Policy.ExpireAfterHours
		if hours <= 0 || now.Before(pre.CreatedAt.Add(time.Duration(hours)*time.Hour)) {
			if err := s.handOver(ctx, pre, p); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", requestLabel(pre), err))
			}
			continue
		}
		err = s.inTx(ctx, func(tx Tx) error {
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
			errs = append(errs, fmt.Errorf("%s: %w", requestLabel(pre), err))
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
	return s.inTx(ctx, func(tx Tx) error { return s.putCard(ctx, tx, ref.RequestID, ref) })
}

// CardRefs returns the recorded card references of a request.
func (s *Service) CardRefs(ctx context.Context, requestID int64) ([]CardRef, error) {
	var refs []CardRef
	err := s.inTx(ctx, func(tx Tx) error {
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
	return CardRef{}, Errorf(ENOTFOUND, "no %s card of request %d for %s", platform, requestID, recipient)
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
	err = s.inTx(ctx, func(tx Tx) error {
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
	err := s.inTx(ctx, func(tx Tx) error {
		var err error
		out, err = tx.ListMakeups(ctx, f)
		return err
	})
	return out, err
}

// handOver reroutes pending request pre, whose people p were just loaded,
// when its approver can no longer decide it: deactivated or gone from the
// organisation since the request was filed (mayDecide refuses them), or
// nobody could be found at filing and someone can now. The request goes
// to whom routeApprover picks for a new request (the employee's manager,
// else HR), audited as "<type>.reassigned" by the system, as DingTalk hands
// a departed approver's approvals over (审批人离职自动转交), and the new
// approver gets its card. Every approval card of it on record for someone
// else (the departed approver's) is edited in place to say whom it went
// to, without buttons (OutboxMakeupHandedOver), and the requester's own
// card to show the new approver; a click that still arrives on an old
// card decides nothing and is told whom it went to (handedOverView). A
// request decided or rerouted by another replica meanwhile is left alone.
func (s *Service) handOver(ctx context.Context, pre MakeupRequest, p makeupPeople) error {
	if pre.ApproverID != "" && p.approver.ID != "" && p.approver.Active {
		return nil
	}
	dir, err := s.directory()
	if err != nil {
		return err
	}
	next, ok, err := routeApprover(ctx, dir, p.roster.Employee)
	if err != nil || !ok || next.ID == pre.ApproverID {
		return err
	}
	why := "approver_inactive"
	switch {
	case pre.ApproverID == "":
		why = "no_approver"
	case p.approver.ID == "":
		why = "approver_removed"
	}
	prev := p.approver // the departed approver, zero when gone from the organisation
	p.approver = next
	p.names[next.ID] = next.Name
	err = s.inTx(ctx, func(tx Tx) error {
		m, err := tx.GetMakeupForUpdate(ctx, pre.ID)
		if err != nil {
			return err
		}
		if m.Status != MakeupPending || m.ApproverID != pre.ApproverID {
			return nil
		}
		m.ApproverID = next.ID
		if err := tx.UpdateMakeup(ctx, m); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, ActorSystem, auditAction(m, "reassigned"), m, map[string]any{"from": pre.ApproverID, "to": next.ID, "why": why}); err != nil {
			return err
		}
		v, err := s.view(ctx, tx, m, p)
		if err != nil {
			return err
		}
		if err := s.retireCards(ctx, tx, v, p.roster.Employee, prev, next); err != nil {
			return err
		}
		// The new approver's card, as filing queues it. Not the card
		// updates of saveMakeup: the bots read an update of a pending
		// request as new evidence.
		to, ok := RecipientFor(next)
		if !ok {
			return nil // HR decides it at the console
		}
		return s.enqueue(ctx, tx, to, OutboxMakeupCard, v, fmt.Sprintf("makeup_card:%d:%s", m.ID, next.ID))
	})
	return err
}

// OutboxMakeupHandedOver edits an approval card of a request that was
// handed over to another approver (handOver) in place: no buttons, and
// the card says whom it went to (the payload's ApproverName), in the
// recipient's language. Its route is the JSON Recipient of the old card,
// its payload the JSON MakeupView after the handover. With no card on
// record the bots send nothing; a card they cannot edit any more gets a
// short message instead.
const OutboxMakeupHandedOver = "makeup_handed_over"

// retireCards queues, inside tx, the edits of request v's cards that a
// handover to next leaves behind: each approval card on record whose
// recipient is not one of next's accounts gets OutboxMakeupHandedOver, in
// the language of prev (the departed approver, when still known), and the
// requester's own card an update naming the new approver. Each edit is
// queued once per card and new approver, however many rounds run. It runs
// inside tx, so the people come loaded (a store's plain reads may not run
// inside a transaction).
func (s *Service) retireCards(ctx context.Context, tx Tx, v MakeupView, requester, prev, next Employee) error {
	mt, err := makeupTx(tx)
	if err != nil {
		return err
	}
	refs, err := mt.CardRefs(ctx, v.Request.ID)
	if err != nil {
		return err
	}
	for _, ref := range refs {
		who := prev
		if ref.Requester {
			who = requester
		} else if hasIdentity(next, ref.Platform, ref.Recipient) {
			continue // the new approver's own card, which stays live
		}
		to := Recipient{Platform: ref.Platform, UserID: ref.Recipient, EmployeeID: who.ID, Lang: who.Lang, Requester: ref.Requester}
		for _, id := range who.Identities {
			if id.Platform == ref.Platform && (id.UserID == ref.Recipient || to.Tenant == "") {
				to.Tenant = id.Tenant
			}
		}
		kind := OutboxMakeupHandedOver
		if ref.Requester {
			kind = OutboxMakeupUpdate
		}
		key := fmt.Sprintf("makeup_handover:%d:%s:%s:%s", v.Request.ID, ref.Platform, ref.Recipient, next.ID)
		if err := s.enqueue(ctx, tx, to, kind, v, key); err != nil {
			return err
		}
	}
	return nil
}

func hasIdentity(e Employee, platform Platform, userID string) bool {
	for _, id := range e.Identities {
		if id.Platform == platform && id.UserID == userID {
			return true
		}
	}
	return false
}

// handedOverView is, for a decision by a deactivated account (Handle
// answers it OutcomeInactive), the request as far as its card's holder
// may know it, when it was handed over to someone else: the number, type
// and state, and the names of its approver and decider now, so the reply
// says whom it went to. Only an account that holds an approval card of
// the request on record is told; nil otherwise, and on any failure, since
// the refusal stands without it.
func (s *Service) handedOverView(ctx context.Context, emp Employee, cmd Command) *MakeupView {
	if cmd.Kind != CmdMakeupDecide || cmd.Makeup == nil || cmd.Makeup.ID <= 0 {
		return nil
	}
	m, err := s.peek(ctx, cmd.Makeup.ID)
	if err != nil || m.ApproverID == emp.ID || m.EmployeeID == emp.ID {
		return nil
	}
	refs, err := s.CardRefs(ctx, m.ID)
	if err != nil {
		return nil
	}
	held := false
	for _, r := range refs {
		if !r.Requester && r.Platform == cmd.Actor.Platform && (r.Recipient == cmd.Actor.UserID || slices.Contains(cmd.AltUserIDs, r.Recipient)) {
			held = true
		}
	}
	if !held {
		return nil
	}
	p, err := s.people(ctx, m)
	if err != nil {
		return nil
	}
	v := &MakeupView{Request: MakeupRequest{ID: m.ID, Type: m.Type, Status: m.Status, ApproverID: m.ApproverID, DecidedBy: m.DecidedBy, DecidedAt: m.DecidedAt, EmployeeID: m.EmployeeID},
		EmployeeName: p.name(m.EmployeeID), TimeZone: p.roster.Employee.TimeZone}
	if m.ApproverID != "" {
		v.ApproverName = p.name(m.ApproverID)
	}
	if m.DecidedBy != "" {
		v.DeciderName = p.name(m.DecidedBy)
	}
	return v
}
