package core

import (
	"context"
	"slices"
	"strings"
)

// Batch approval (批量审批). A manager with many reports decides several
// requests with one action, as DingTalk's and Feishu's approval centres
// offer (select several, 批量同意). What makes it safe in chat: a batch
// decides only requests the manager named by number, so it never decides
// one they were not shown. "全部同意" / "approve all" decides nothing: it
// lists the manager's pending requests with the exact command that
// decides those ("同意 12 13 14"), and sending that command is the
// confirmation. The console sends the numbers of the rows ticked.
//
// Every request goes through decide, the rule a single decision follows
// (who may decide, the state machine, the punch written on approval, the
// audit entry, the card updates and the requester's notice), each in its
// own transaction, so one that was decided, withdrawn or expired
// meanwhile, or is not the actor's to decide, is reported on its own and
// the others are decided.

// CmdMakeupBatch decides several requests at once (MakeupArgs.IDs,
// Decision, Note), or with no IDs lists the actor's pending requests
// (MakeupArgs.All when they asked for all of them).
const CmdMakeupBatch CommandKind = "makeup_batch"

// Outcomes of CmdMakeupBatch; Reply.Batch carries the requests.
const (
	// OutcomeMakeupPendingList lists the actor's pending requests and
	// decides nothing.
	OutcomeMakeupPendingList Outcome = "makeup_pending_list"
	// OutcomeMakeupBatch says what a batch decision did to each request;
	// with MakeupBatch.Problem set it decided nothing.
	OutcomeMakeupBatch Outcome = "makeup_batch"
	// OutcomeMakeupFailed marks a request of a batch that could not be
	// decided for a reason of the system (the store failed); trying
	// again may work.
	OutcomeMakeupFailed Outcome = "makeup_failed"
)

// Limits of batch decisions.
const (
	// MaxBatch bounds the requests one batch decides (and a listing
	// shows), so a batch stays within a platform's 3-second answer and
	// its answer within a message's length.
	MaxBatch = 30
)

// Problems of a batch that decided nothing (MakeupBatch.Problem).
const (
	// BatchNeedsReason: a batch rejection without a reason; each
	// requester is told why, so a reason is required (one for all).
	BatchNeedsReason = "batch_needs_reason"
	// BatchTooMany: more than MaxBatch requests.
	BatchTooMany = "batch_too_many"
	// BatchRevoke: revocations are not batched; each needs its own reason.
	BatchRevoke = "batch_revoke"
)

// BatchDecision approves or rejects several requests by one actor.
type BatchDecision struct {
	IDs    []int64
	Status MakeupStatus // MakeupApproved or MakeupRejected
	Actor  string       // employee id, or ActorAdmin
	Note   string       // the reason of a rejection, required; a note on approvals
	Via    Platform
}

// BatchItem is one request of a batch: Outcome is OutcomeMakeupDecided,
// OutcomeMakeupClosed (View says how it ended: decided by someone,
// withdrawn, expired), OutcomeMakeupForbidden (not the actor's; View has
// only the number and type), OutcomeMakeupNotFound, OutcomeMakeupRefused
// (View.Refusal says why) or OutcomeMakeupFailed; empty in a listing.
type BatchItem struct {
	ID      int64
	Outcome Outcome `json:",omitempty"`
	View    MakeupView
}

// MakeupBatch is a batch decision's result, or the listing of an
// approver's pending requests.
type MakeupBatch struct {
	Decision MakeupStatus `json:",omitempty"` // what was asked; "" for a decision word alone
	All      bool         `json:",omitempty"` // the approver asked for all (全部同意)
	Note     string       `json:",omitempty"`
	Problem  string       `json:",omitempty"` // BatchNeedsReason, …: nothing was decided
	Items    []BatchItem
	// More counts pending requests beyond the listed MaxBatch.
	More int `json:",omitempty"`
}

// Count returns how many items have the outcome.
func (b MakeupBatch) Count(o Outcome) int {
	n := 0
	for _, it := range b.Items {
		if it.Outcome == o {
			n++
		}
	}
	return n
}

// IDs returns the numbers of the items, in order.
func (b MakeupBatch) IDs() []int64 {
	out := make([]int64, len(b.Items))
	for i, it := range b.Items {
		out[i] = it.ID
	}
	return out
}

// DecideMakeups approves or rejects each of d.IDs as DecideMakeup would,
// in order, each in its own transaction, and reports what happened to
// each. It refuses the whole batch, deciding nothing, when a rejection has
// no reason or there are more than MaxBatch requests; repeated numbers
// count once. Only a failure before any request was tried is an error.
func (s *Service) DecideMakeups(ctx context.Context, d BatchDecision) (MakeupBatch, error) {
	out := MakeupBatch{Decision: d.Status, Note: d.Note}
	switch d.Status {
	case MakeupApproved, MakeupRejected:
	case MakeupRevoked:
		out.Problem = BatchRevoke
		return out, nil
	default:
		return out, Errorf(EINVALID, "a batch approves or rejects, not %q", d.Status)
	}
	var ids []int64
	for _, id := range d.IDs {
		if id > 0 && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return out, Errorf(EINVALID, "a batch needs the numbers of the requests")
	}
	for _, id := range ids[:min(len(ids), MaxBatch)] {
		// Without an outcome until tried, so a refusal of the whole
		// batch can repeat the numbers.
		out.Items = append(out.Items, BatchItem{ID: id})
	}
	switch {
	case len(ids) > MaxBatch:
		out.Problem = BatchTooMany
		return out, nil
	case d.Status == MakeupRejected && strings.TrimSpace(d.Note) == "":
		out.Problem = BatchNeedsReason
		return out, nil
	}
	for i, id := range ids {
		v, err := s.decide(ctx, MakeupDecision{ID: id, Status: d.Status, Actor: d.Actor, Note: d.Note, Via: d.Via}, nil)
		out.Items[i] = batchItem(id, v, err)
	}
	return out, nil
}

// batchItem classifies one decision of a batch.
func batchItem(id int64, v MakeupView, err error) BatchItem {
	it := BatchItem{ID: id, View: v}
	switch code := ErrorCode(err); {
	case err == nil:
		it.Outcome = OutcomeMakeupDecided
	case code == ECONFLICT && v.Request.ID == id:
		it.Outcome = OutcomeMakeupClosed
	case code == EFORBIDDEN:
		// Only the kind, so the answer names the request as its card
		// does, and nothing of whose it is.
		it.Outcome, it.View = OutcomeMakeupForbidden, MakeupView{Request: MakeupRequest{ID: id, Type: v.Request.Type}}
	case code == ENOTFOUND:
		it.Outcome, it.View = OutcomeMakeupNotFound, MakeupView{Request: MakeupRequest{ID: id}}
	case isRefusal(err):
		it.Outcome = OutcomeMakeupRefused
	default:
		it.Outcome, it.View = OutcomeMakeupFailed, MakeupView{Request: MakeupRequest{ID: id, Type: v.Request.Type}}
	}
	return it
}

// PendingApprovals returns the views of the requests waiting for
// employeeID's decision (routed to them), oldest first, at most MaxBatch;
// more counts the rest. HR's listing is what is routed to HR, not every
// request HR may decide.
func (s *Service) PendingApprovals(ctx context.Context, employeeID string) (views []MakeupView, more int, err error) {
	pending, err := s.ListMakeups(ctx, MakeupFilter{ApproverID: employeeID, Statuses: []MakeupStatus{MakeupPending}})
	if err != nil {
		return nil, 0, err
	}
	var listed []MakeupRequest
	var listedPeople []makeupPeople
	for _, m := range pending {
		if m.EmployeeID == employeeID { // their own, routed to them: not theirs to decide
			continue
		}
		if len(listed) == MaxBatch {
			more++
			continue
		}
		p, err := s.people(ctx, m)
		if err != nil {
			return nil, 0, err
		}
		listed, listedPeople = append(listed, m), append(listedPeople, p)
	}
	if len(listed) == 0 {
		return nil, more, nil
	}
	// One transaction for the whole listing, not one per request.
	err = s.inTx(ctx, func(tx Tx) error {
		views = views[:0]
		for i, m := range listed {
			v, err := s.view(ctx, tx, m, listedPeople[i])
			if err != nil {
				return err
			}
			views = append(views, v)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return views, more, nil
}

// handleBatch runs CmdMakeupBatch for Handle: a batch decision with
// numbers, else the listing of the actor's pending requests. The reply is
// recorded with the event, so a retried delivery gets the first answer
// and decides nothing twice.
func (s *Service) handleBatch(ctx context.Context, cmd Command, base Reply) (Reply, error) {
	a := cmd.Makeup
	if a == nil {
		return Reply{}, Errorf(EINVALID, "a batch command needs its arguments")
	}
	reply := base
	reply.At = cmd.ReceivedAt
	if len(a.IDs) == 0 {
		views, more, err := s.PendingApprovals(ctx, base.EmployeeID)
		if err != nil {
			return Reply{}, err
		}
		b := MakeupBatch{Decision: a.Decision, All: a.All, Note: strings.TrimSpace(a.Note), More: more}
		for _, v := range views {
			b.Items = append(b.Items, BatchItem{ID: v.Request.ID, View: v})
		}
		reply.Outcome, reply.Batch = OutcomeMakeupPendingList, &b
		return s.commitReply(ctx, cmd, reply)
	}
	b, err := s.DecideMakeups(ctx, BatchDecision{IDs: a.IDs, Status: a.Decision, Actor: base.EmployeeID, Note: strings.TrimSpace(a.Note), Via: cmd.Actor.Platform})
	if err != nil {
		return Reply{}, err
	}
	reply.Outcome, reply.Batch = OutcomeMakeupBatch, &b
	return s.commitReply(ctx, cmd, reply)
}
