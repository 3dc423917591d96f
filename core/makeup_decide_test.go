package core_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestDecisionNoteTooLong: a reason or note past MaxMakeupReason is a
// refusal naming the request, so every bot and the console explain it in
// the reader's language (a bare EINVALID reached them as English text); the
// request stays pending and nothing is queued. Someone who may not decide
// is refused as such, long note or not, and learns nothing of the request.
func TestDecisionNoteTooLong(t *testing.T) {
	long := strings.Repeat("很", core.MaxMakeupReason+1)
	tests := []struct {
		name, actor string
		status      core.MakeupStatus
		note        string
		want        string // a refusal rule or an error code; "" decided
	}{
		{name: "a rejection reason too long", actor: "M1", status: core.MakeupRejected, note: long, want: core.DecisionNoteTooLong},
		{name: "an approval note too long", actor: "H1", status: core.MakeupApproved, note: long, want: core.DecisionNoteTooLong},
		{name: "at the limit is fine", actor: "M1", status: core.MakeupRejected, note: long[:len(long)-len("很")]},
		{name: "a peer is forbidden first", actor: "P1", status: core.MakeupRejected, note: long, want: core.EFORBIDDEN},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			h := newMakeupHarness(t)
			id := h.MustRequest(t, "E1", "11-25", "09:00", core.KindIn).Request.ID
			before := len(h.store.Outbox())
			got, err := h.svc.DecideMakeup(ctx, core.MakeupDecision{ID: id, Status: tc.status, Actor: tc.actor, Note: tc.note})
			after, _ := h.svc.MakeupView(ctx, id)
			if tc.want == "" {
				if err != nil || after.Request.Status != tc.status {
					t.Fatalf("decide = %v, stored %s; want %s", err, after.Request.Status, tc.status)
				}
				return
			}
			gotWhy := string(core.ErrorCode(err))
			if ref, ok := core.AsRefusal(err); ok {
				gotWhy = ref.Rule
				if got.Refusal == nil || got.Refusal.Rule != tc.want || got.Request.ID != id {
					t.Errorf("refusal view = %+v about request %d, want %s about %d", got.Refusal, got.Request.ID, tc.want, id)
				}
			} else if got.Request.ID != 0 {
				t.Errorf("a forbidden decision returned the request %+v", got.Request)
			}
			if gotWhy != tc.want {
				t.Errorf("decide = %v, want %s", err, tc.want)
			}
			if after.Request.Status != core.MakeupPending {
				t.Errorf("status after a refusal = %s, want pending", after.Request.Status)
			}
			if n := len(h.store.Outbox()); n != before {
				t.Errorf("outbox grew from %d to %d on a refusal", before, n)
			}
		})
	}
}

// TestDecisionNoteTooLongInChat: the typed "reject 12 <reason>" with a
// reason too long is answered as a refusal (recorded, so a retry gets the
// same answer), not as an error the bot can only show in English.
func TestDecisionNoteTooLongInChat(t *testing.T) {
	ctx := context.Background()
	h := newMakeupHarness(t)
	id := h.MustRequest(t, "E1", "11-25", "09:00", core.KindIn).Request.ID
	cmd := core.Command{Actor: core.Identity{Platform: core.PlatformSlack, Tenant: "T1", UserID: "UMO"}, Kind: core.CmdMakeupDecide,
		Makeup: &core.MakeupArgs{ID: id, Decision: core.MakeupRejected, Note: strings.Repeat("x", core.MaxMakeupReason+1)},
		Source: string(core.PlatformSlack), EventID: "long-note", ReceivedAt: h.clock.Now()}
	for _, attempt := range []string{"first", "retry"} {
		reply, err := h.svc.Handle(ctx, cmd)
		if err != nil {
			t.Fatalf("%s: Handle = %v, want a refusal reply", attempt, err)
		}
		if reply.Outcome != core.OutcomeMakeupRefused || reply.Makeup == nil || reply.Makeup.Refusal == nil ||
			reply.Makeup.Refusal.Rule != core.DecisionNoteTooLong || reply.Makeup.Request.ID != id {
			t.Errorf("%s: reply = %+v, want the refusal %s about %d", attempt, reply, core.DecisionNoteTooLong, id)
		}
	}
	if v, _ := h.svc.MakeupView(ctx, id); v.Request.Status != core.MakeupPending {
		t.Errorf("the request is %s, want pending", v.Request.Status)
	}
}

// auditDetail returns the detail of the last audit entry action about
// request id.
func auditDetail(tb testing.TB, h makeupHarness, action string, id int64) map[string]any {
	tb.Helper()
	audit, err := h.store.FindAudit(context.Background(), core.AuditFilter{})
	if err != nil {
		tb.Fatal(err)
	}
	var out map[string]any
	for _, a := range audit {
		var d map[string]any
		if a.Action == action && json.Unmarshal([]byte(a.Detail), &d) == nil && d["request_id"] == float64(id) {
			out = d
		}
	}
	if out == nil {
		tb.Fatalf("no %s audit entry about request %d", action, id)
	}
	return out
}

// TestApprovalAuditSaysWhereAndWhy: a request's audit entry says when its
// routing fell back to HR (the manager inactive or missing), and a
// decision's says where it was made (the chat platform, or the console),
// as an approval's record in DingTalk or Feishu does.
func TestApprovalAuditSaysWhereAndWhy(t *testing.T) {
	ctx := context.Background()
	h := newMakeupHarness(t)
	own := h.MustRequest(t, "E1", "11-25", "09:00", core.KindIn).Request.ID
	inactive := h.MustRequest(t, "E3", "11-25", "09:00", core.KindIn).Request.ID
	none := h.MustRequest(t, "E2", "11-25", "09:00", core.KindIn).Request.ID
	reply, err := h.svc.Handle(ctx, core.Command{Actor: core.Identity{Platform: core.PlatformSlack, Tenant: "T1", UserID: "UMO"}, Kind: core.CmdMakeupDecide,
		Makeup: &core.MakeupArgs{ID: own, Decision: core.MakeupApproved}, Source: string(core.PlatformSlack), EventID: "via-slack", ReceivedAt: h.clock.Now()})
	if err != nil || reply.Outcome != core.OutcomeMakeupDecided {
		t.Fatalf("approve from Slack = %+v, %v", reply, err)
	}
	if _, err := h.svc.DecideMakeup(ctx, core.MakeupDecision{ID: inactive, Status: core.MakeupRejected, Actor: "H1", Note: "重复", Via: core.PlatformWeb}); err != nil {
		t.Fatalf("reject at the console: %v", err)
	}
	tests := []struct {
		name, action string
		id           int64
		key          string
		want         any // nil: the key is absent
	}{
		{"routed to the manager", "makeup.requested", own, "fallback", nil},
		{"the manager is inactive", "makeup.requested", inactive, "fallback", "hr"},
		{"there is no manager", "makeup.requested", none, "fallback", "hr"},
		{"approved in Slack", "makeup.approved", own, "via", "slack"},
		{"rejected at the console", "makeup.rejected", inactive, "via", "web"},
	}
	for _, tc := range tests {
		if got := auditDetail(t, h, tc.action, tc.id)[tc.key]; got != tc.want {
			t.Errorf("%s: %s %q = %v, want %v", tc.name, tc.action, tc.key, got, tc.want)
		}
	}
}
