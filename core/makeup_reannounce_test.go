package core_test

import (
	"context"
	"slices"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestResendApprovalCards: a waiting request gets its approval card queued
// again, once per occasion, to its approver and to any other card on
// record, with the request's current view; a decided, cancelled or
// unknown request gets none.
func TestResendApprovalCards(t *testing.T) {
	ctx := context.Background()
	type call struct {
		occasion string
		want     int    // the count returned
		code     string // the error code, "" for none
	}
	tests := []struct {
		name string
		// file files the request (its card is queued as usual) and does
		// whatever else the case needs; it returns the request's id.
		file  func(t *testing.T, h makeupHarness) int64
		calls []call
		// want are the resent cards in the outbox afterwards, as
		// "platform:user".
		want []string
	}{
		{"a waiting make-up: once per occasion", func(t *testing.T, h makeupHarness) int64 {
			return h.MustRequest(t, "E1", "2026-12-01", "09:00", core.KindIn).Request.ID
		}, []call{{"run-2", 1, ""}, {"run-2", 1, ""}, {"run-3", 1, ""}}, []string{"slack:UMO", "slack:UMO"}},
		{"a waiting leave", func(t *testing.T, h makeupHarness) int64 {
			return h.mustLeave(t, "E1", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "annual", From: "2026-12-10", Reason: "回老家"}).Request.ID
		}, []call{{"run-2", 1, ""}}, []string{"slack:UMO"}},
		{"a card on record elsewhere gets one too", func(t *testing.T, h makeupHarness) int64 {
			id := h.MustRequest(t, "E1", "2026-12-01", "09:00", core.KindIn).Request.ID
			if err := h.svc.RecordCardRef(ctx, core.CardRef{RequestID: id, Platform: core.PlatformFeishu, Recipient: "ou_mo", Ref: `{"message_id":"om_1"}`}); err != nil {
				t.Fatal(err)
			}
			return id
		}, []call{{"run-2", 2, ""}}, []string{"slack:UMO", "feishu:ou_mo"}},
		{"an approved request", func(t *testing.T, h makeupHarness) int64 {
			id := h.MustRequest(t, "E1", "2026-12-01", "09:00", core.KindIn).Request.ID
			h.MustDecide(t, id, core.MakeupApproved, "M1")
			return id
		}, []call{{"run-2", 0, ""}}, nil},
		{"a rejected leave", func(t *testing.T, h makeupHarness) int64 {
			id := h.mustLeave(t, "E1", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "annual", From: "2026-12-10", Reason: "回老家"}).Request.ID
			h.MustDecide(t, id, core.MakeupRejected, "M1")
			return id
		}, []call{{"run-2", 0, ""}}, nil},
		{"a cancelled request", func(t *testing.T, h makeupHarness) int64 {
			id := h.MustRequest(t, "E1", "2026-12-01", "09:00", core.KindIn).Request.ID
			if _, err := h.svc.CancelMakeup(ctx, "E1", id); err != nil {
				t.Fatal(err)
			}
			return id
		}, []call{{"run-2", 0, ""}}, nil},
		{"no occasion", func(t *testing.T, h makeupHarness) int64 {
			return h.MustRequest(t, "E1", "2026-12-01", "09:00", core.KindIn).Request.ID
		}, []call{{" ", 0, core.EINVALID}}, nil},
		{"an unknown request", func(t *testing.T, h makeupHarness) int64 { return 999 }, []call{{"run-2", 0, core.ENOTFOUND}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newLeaveHarness(t)
			id := tc.file(t, h)
			filed := len(h.outboxOf(core.OutboxMakeupCard))
			for _, c := range tc.calls {
				got, err := h.svc.ResendApprovalCards(ctx, id, c.occasion)
				if core.ErrorCode(err) != c.code || got != c.want {
					t.Errorf("ResendApprovalCards(%d, %q) = %d, %v; want %d, code %q", id, c.occasion, got, err, c.want, c.code)
				}
			}
			var got []string
			for _, m := range h.outboxOf(core.OutboxMakeupCard)[filed:] {
				to := mustRecipient(t, m)
				got = append(got, string(m.Platform)+":"+to.UserID)
				v := mustView(t, m)
				if v.Request.ID != id || v.Request.Status != core.MakeupPending || v.EmployeeName != "张三" || v.ApproverName != "Manager Mo" {
					t.Errorf("resent card shows request %d %s by %q for %q, want pending %d by 张三 for Manager Mo", v.Request.ID, v.Request.Status, v.EmployeeName, v.ApproverName, id)
				}
				if v.Request.Type == core.RequestLeave && (v.Leave == nil || v.Leave.TypeName != "年假") {
					t.Errorf("resent leave card's leave view = %+v, want 年假 with its cost", v.Leave)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("resent cards to %v, want %v", got, tc.want)
			}
		})
	}
}

// TestResendApprovalCardDecides: the approver's click on the resent card
// decides the request, and the decision updates that card (its reference
// replaced the first card's) and nobody else's.
func TestResendApprovalCardDecides(t *testing.T) {
	ctx := context.Background()
	h := newLeaveHarness(t)
	id := h.MustRequest(t, "E1", "2026-12-01", "09:00", core.KindIn).Request.ID
	first := core.CardRef{RequestID: id, Platform: core.PlatformSlack, Recipient: "UMO", Ref: `{"channel":"D1","ts":"1.1"}`}
	if err := h.svc.RecordCardRef(ctx, first); err != nil {
		t.Fatal(err)
	}
	if n, err := h.svc.ResendApprovalCards(ctx, id, "run-2"); n != 1 || err != nil {
		t.Fatalf("ResendApprovalCards = %d, %v; want 1 card", n, err)
	}
	// The Slack bot sends it and records where; the click comes from it.
	second := core.CardRef{RequestID: id, Platform: core.PlatformSlack, Recipient: "UMO", Ref: `{"channel":"D1","ts":"2.1"}`}
	if err := h.svc.RecordCardRef(ctx, second); err != nil {
		t.Fatal(err)
	}
	reply, err := h.svc.Handle(ctx, core.Command{Actor: core.Identity{Platform: core.PlatformSlack, Tenant: "T1", UserID: "UMO"}, Kind: core.CmdMakeupDecide,
		ReceivedAt: h.clock.Now(), EventID: "click-1", Makeup: &core.MakeupArgs{ID: id, Decision: core.MakeupApproved, Card: &second}})
	if err != nil {
		t.Fatal(err)
	}
	if reply.Outcome != core.OutcomeMakeupDecided || reply.Makeup == nil || reply.Makeup.Request.Status != core.MakeupApproved {
		t.Fatalf("click on the resent card = %s %+v, want the request approved", reply.Outcome, reply.Makeup)
	}
	ref, err := h.svc.CardRef(ctx, id, core.PlatformSlack, "UMO")
	if err != nil || ref.Ref != second.Ref {
		t.Errorf("card on record = %+v, %v; want the resent one %s", ref, err, second.Ref)
	}
	var got []string
	for _, m := range h.outboxOf(core.OutboxMakeupUpdate) {
		got = append(got, string(m.Platform)+":"+mustRecipient(t, m).UserID)
	}
	if want := []string{"slack:UMO"}; !slices.Equal(got, want) {
		t.Errorf("updates to %v, want %v", got, want)
	}
	if n, err := h.svc.ResendApprovalCards(ctx, id, "run-3"); n != 0 || err != nil {
		t.Errorf("ResendApprovalCards after the decision = %d, %v; want none", n, err)
	}
}
