package core

import (
	"context"
	"strconv"
)

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
		return Reply{}, Errorf(EINVALID, "a request command needs its arguments")
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
				// Only the kind, so the answer names the request as its
				// card does ("this leave request"), and nothing of whose.
				req := MakeupRequest{ID: a.ID}
				if m, err := s.peek(ctx, a.ID); err == nil {
					req.Type = m.Type
				}
				reply.Makeup = &MakeupView{Request: req}
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
		v, err := s.decide(ctx, MakeupDecision{ID: a.ID, Status: a.Decision, Actor: base.EmployeeID, Note: a.Note, Card: a.Card, Via: cmd.Actor.Platform}, after)
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
