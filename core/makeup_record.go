package core

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"time"
)

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
	if fallback := approverFallback(p); fallback != "" {
		// HR reading the audit sees why the manager did not get it.
		extra = maps.Clone(extra)
		if extra == nil {
			extra = map[string]any{}
		}
		extra["fallback"] = fallback
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

// approverFallback says how a new request's routing fell back from the
// employee's manager (routeApprover): "hr" when an HR employee got it
// (no manager, or one who is inactive or the employee themselves),
// "console" when nobody could be found and HR decides it at the console;
// "" when it went to the manager.
func approverFallback(p makeupPeople) string {
	switch {
	case p.approver.ID == "":
		return "console"
	case p.approver.ID != p.roster.Employee.ManagerID:
		return "hr"
	}
	return ""
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
