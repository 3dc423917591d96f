package core_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestPendingRequestHandedOverWhenTheApproverLeaves: a request filed
// while 张三's manager was active waits for them; once the org file
// deactivates them the expiry round hands it over to HR (audited by the
// system, the new approver's card queued, the requester's view naming
// HR), once; HR decides it and the departed manager cannot.
func TestPendingRequestHandedOverWhenTheApproverLeaves(t *testing.T) {
	ctx := context.Background()
	h := newMakeupHarness(t)
	id := h.MustRequest(t, "E1", "11-25", "09:00", core.KindIn).Request.ID
	if _, err := h.svc.ExpireMakeups(ctx); err != nil {
		t.Fatal(err)
	}
	if v, _ := h.svc.MakeupView(ctx, id); v.Request.ApproverID != "M1" {
		t.Fatalf("with the manager active the request went to %q, want M1", v.Request.ApproverID)
	}
	org := makeupOrg()
	for i := range org.Employees {
		if org.Employees[i].ID == "M1" {
			org.Employees[i].Active = false
		}
	}
	if err := org.Prepare(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.ApplyOrg(ctx, org, core.AuditEntry{Action: "org.applied"}); err != nil {
		t.Fatal(err)
	}
	before := len(h.store.Outbox())
	for range 2 { // a second round (or replica) changes nothing more
		if n, err := h.svc.ExpireMakeups(ctx); err != nil || n != 0 {
			t.Fatalf("ExpireMakeups = %d, %v; want nothing expired", n, err)
		}
	}
	v, _ := h.svc.MakeupView(ctx, id)
	if v.Request.ApproverID != "H1" || v.Request.Status != core.MakeupPending || v.ApproverName != "HR 韩" {
		t.Fatalf("after the manager left: approver %q (%s), status %s; want H1 (HR 韩), pending", v.Request.ApproverID, v.ApproverName, v.Request.Status)
	}
	var handed []map[string]any
	audit, err := h.store.FindAudit(ctx, core.AuditFilter{Subject: "E1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range audit {
		if a.Action == "makeup.reassigned" {
			var d map[string]any
			if err := json.Unmarshal([]byte(a.Detail), &d); err != nil {
				t.Fatal(err)
			}
			if a.Actor != core.ActorSystem {
				t.Errorf("the handover is audited as %q, want the system", a.Actor)
			}
			handed = append(handed, d)
		}
	}
	if len(handed) != 1 || handed[0]["from"] != "M1" || handed[0]["to"] != "H1" || handed[0]["why"] != "approver_inactive" {
		t.Errorf("handover audits = %v, want one from M1 to H1 because the approver is inactive", handed)
	}
	var to []string
	for _, m := range h.store.Outbox()[before:] {
		if m.Kind == core.OutboxMakeupUpdate || m.Kind == core.OutboxMakeupCard {
			if mv := mustView(t, m); mv.Request.ApproverID != "H1" {
				t.Errorf("%s shows approver %q, want H1", m.Kind, mv.Request.ApproverID)
			}
			to = append(to, mustRecipient(t, m).UserID)
		}
	}
	if !slices.Contains(to, "ou_han") {
		t.Errorf("card messages went to %v, want HR 韩's Feishu account (ou_han) among them", to)
	}
	if _, err := h.svc.DecideMakeup(ctx, core.MakeupDecision{ID: id, Status: core.MakeupApproved, Actor: "M1"}); core.ErrorCode(err) != core.EFORBIDDEN {
		t.Errorf("the departed manager's approval = %v, want EFORBIDDEN", err)
	}
	if v := h.MustDecide(t, id, core.MakeupApproved, "H1"); v.Request.Status != core.MakeupApproved {
		t.Errorf("HR's approval left the request %s", v.Request.Status)
	}
}
