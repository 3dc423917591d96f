package core_test

import (
	"context"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// deactivate applies the make-up org with the given employees inactive.
func deactivate(t *testing.T, h makeupHarness, ids ...string) {
	t.Helper()
	org := makeupOrg()
	for i := range org.Employees {
		for _, id := range ids {
			if org.Employees[i].ID == id {
				org.Employees[i].Active = false
			}
		}
	}
	if err := org.Prepare(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.ApplyOrg(context.Background(), org, core.AuditEntry{Action: "org.applied"}); err != nil {
		t.Fatal(err)
	}
}

// TestHandOverRetiresTheOldCard: when a pending request is handed over
// because its approver left, the departed approver's card on record is
// edited (OutboxMakeupHandedOver, in their language, naming the new
// approver), the requester's own card is updated to the new approver, the
// new approver's card is not retired, and a second round queues nothing
// more.
func TestHandOverRetiresTheOldCard(t *testing.T) {
	ctx := context.Background()
	h := newMakeupHarness(t)
	id := h.MustRequest(t, "E1", "11-25", "09:00", core.KindIn).Request.ID
	for _, ref := range []core.CardRef{
		{RequestID: id, Platform: core.PlatformSlack, Recipient: "UMO", Ref: `{"channel":"D1","ts":"1.1"}`},
		{RequestID: id, Platform: core.PlatformWeCom, Recipient: "zhangsan", Ref: `{"task_id":"t"}`, Requester: true},
	} {
		if err := h.svc.RecordCardRef(ctx, ref); err != nil {
			t.Fatal(err)
		}
	}
	deactivate(t, h, "M1")
	before := len(h.store.Outbox())
	for range 2 {
		if _, err := h.svc.ExpireMakeups(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// The new approver's card is recorded once it is out; a later round
	// must not retire it.
	if err := h.svc.RecordCardRef(ctx, core.CardRef{RequestID: id, Platform: core.PlatformFeishu, Recipient: "ou_han", Ref: `{"message_id":"om_1"}`}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.ExpireMakeups(ctx); err != nil {
		t.Fatal(err)
	}
	type sent struct {
		kind, to, lang string
		requester      bool
	}
	var got []sent
	for _, m := range h.store.Outbox()[before:] {
		r := mustRecipient(t, m)
		got = append(got, sent{m.Kind, string(r.Platform) + ":" + r.UserID, r.Lang, r.Requester})
		if v := mustView(t, m); v.Request.ApproverID != "H1" || v.ApproverName != "HR 韩" || v.Request.Status != core.MakeupPending {
			t.Errorf("%s to %s shows approver %q (%s), status %s; want H1 (HR 韩), pending", m.Kind, r.UserID, v.Request.ApproverID, v.ApproverName, v.Request.Status)
		}
	}
	want := map[sent]bool{
		{core.OutboxMakeupHandedOver, "slack:UMO", "en", false}: true,
		{core.OutboxMakeupUpdate, "wecom:zhangsan", "zh", true}: true,
		{core.OutboxMakeupCard, "feishu:ou_han", "zh", false}:   true,
	}
	if len(got) != len(want) {
		t.Fatalf("after the handover the outbox got %+v, want exactly %v", got, want)
	}
	for _, g := range got {
		if !want[g] {
			t.Errorf("unexpected message %+v (want %v)", g, want)
		}
	}
}

// TestClickOnAHandedOverCard: the departed approver's click on the old
// card decides nothing; the answer says the account is inactive and names
// whom the request went to, and only to an account that holds a card of
// the request.
func TestClickOnAHandedOverCard(t *testing.T) {
	ctx := context.Background()
	h := newMakeupHarness(t)
	held := h.MustRequest(t, "E1", "11-25", "09:00", core.KindIn).Request.ID
	other := h.MustRequest(t, "P1", "11-25", "09:00", core.KindIn).Request.ID
	if err := h.svc.RecordCardRef(ctx, core.CardRef{RequestID: held, Platform: core.PlatformSlack, Recipient: "UMO", Ref: `{"channel":"D1","ts":"1.1"}`}); err != nil {
		t.Fatal(err)
	}
	deactivate(t, h, "M1")
	if _, err := h.svc.ExpireMakeups(ctx); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		id       int64
		wantView bool
	}{
		{"the card on record", held, true},
		{"a request whose card the account never got", other, false},
	}
	for i, tt := range tests {
		cmd := core.Command{Actor: core.Identity{Platform: core.PlatformSlack, Tenant: "T1", UserID: "UMO"}, Kind: core.CmdMakeupDecide,
			Makeup: &core.MakeupArgs{ID: tt.id, Decision: core.MakeupApproved}, EventID: "click-" + string(rune('a'+i)), ReceivedAt: h.clock.Now()}
		r, err := h.svc.Handle(ctx, cmd)
		if err != nil {
			t.Fatal(err)
		}
		if r.Outcome != core.OutcomeInactive || r.Command != core.CmdMakeupDecide {
			t.Errorf("%s: outcome %s (%s), want inactive for a decision", tt.name, r.Outcome, r.Command)
		}
		switch {
		case tt.wantView && (r.Makeup == nil || r.Makeup.Request.ID != tt.id || r.Makeup.ApproverName != "HR 韩" || r.Makeup.Request.Status != core.MakeupPending):
			t.Errorf("%s: reply view %+v, want request %d handed over to HR 韩, pending", tt.name, r.Makeup, tt.id)
		case !tt.wantView && r.Makeup != nil:
			t.Errorf("%s: reply names %+v, want nothing about a request the account holds no card of", tt.name, r.Makeup)
		}
		if v, _ := h.svc.MakeupView(ctx, tt.id); v.Request.Status != core.MakeupPending {
			t.Errorf("%s: the click left the request %s, want pending", tt.name, v.Request.Status)
		}
	}
}
