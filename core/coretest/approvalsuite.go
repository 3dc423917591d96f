package coretest

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// stHandoverAndBatch runs the approval flows that write several rows in
// one transaction through the core on the store: a handover queues the
// departed approver's card edit (core.OutboxMakeupHandedOver) with the
// new approver's card, and a batch decision decides each request in its
// own transaction, with one audit entry each.
func stHandoverAndBatch(t *testing.T, s Store) {
	ctx := context.Background()
	svc := stMakeupService(t, s)
	file := func(date, clock string, kind core.PunchKind) int64 {
		v, err := svc.RequestMakeup(ctx, "li", core.MakeupArgs{Date: date, Clock: clock, Kind: kind, Reason: "地铁故障"}, core.PlatformWeCom)
		if err != nil {
			t.Fatalf("RequestMakeup %s %s: %v", date, clock, err)
		}
		return v.Request.ID
	}
	a, b := file("11-25", "09:00", core.KindIn), file("11-24", "09:00", core.KindIn)
	if err := svc.RecordCardRef(ctx, core.CardRef{RequestID: a, Platform: core.PlatformSlack, Recipient: "U1", Ref: `{"channel":"D1","ts":"1.1"}`}); err != nil {
		t.Fatal(err)
	}
	org := stOrg(t)
	for i := range org.Employees {
		if org.Employees[i].ID == "boss" {
			org.Employees[i].Active = false
		}
	}
	if err := org.Prepare(); err != nil {
		t.Fatal(err)
	}
	stMustApply(t, s, org)
	for range 2 {
		if _, err := svc.ExpireMakeups(ctx); err != nil {
			t.Fatalf("ExpireMakeups: %v", err)
		}
	}
	claimed := map[string][]string{}
	for _, p := range []core.Platform{core.PlatformSlack, core.PlatformFeishu, core.PlatformWeCom} {
		msgs, err := s.ClaimOutbox(ctx, p, 100, stNow.Add(time.Minute), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			var to core.Recipient
			_ = json.Unmarshal([]byte(m.Route), &to)
			claimed[m.Kind] = append(claimed[m.Kind], string(p)+":"+to.UserID)
		}
	}
	if got := claimed[core.OutboxMakeupHandedOver]; !slices.Equal(got, []string{"slack:U1"}) {
		t.Errorf("handed-over edits = %v, want one, for the card on record (slack:U1)", got)
	}
	if got := claimed[core.OutboxMakeupCard]; slices.Index(got, "feishu:ou_alice") < 0 {
		t.Errorf("cards = %v, want HR's (feishu:ou_alice)", got)
	}
	res, err := svc.DecideMakeups(ctx, core.BatchDecision{IDs: []int64{a, b, 999}, Status: core.MakeupApproved, Actor: "alice", Via: core.PlatformFeishu})
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []core.Outcome
	for _, it := range res.Items {
		outcomes = append(outcomes, it.Outcome)
	}
	if want := []core.Outcome{core.OutcomeMakeupDecided, core.OutcomeMakeupDecided, core.OutcomeMakeupNotFound}; !slices.Equal(outcomes, want) {
		t.Errorf("batch outcomes = %v, want %v", outcomes, want)
	}
	audit, err := s.ListAudit(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range audit {
		if e.Action == "makeup.approved" && e.Actor == "alice" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d approvals audited, want one per request (2)", n)
	}
}
