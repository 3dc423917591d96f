package core_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// batchFixture files requests with different fates for Manager Mo (M1):
// one expired, one withdrawn, two pending for M1, one routed to HR.
type batchFixture struct {
	expired, cancelled, e1, p1, hr int64
}

func newBatchFixture(t *testing.T, h makeupHarness) batchFixture {
	t.Helper()
	ctx := context.Background()
	var f batchFixture
	f.expired = h.MustRequest(t, "P1", "11-24", "09:00", core.KindIn).Request.ID
	h.clock.Set(sh(t, "2026-11-29 12:00:00")) // 74 hours later
	if n, err := h.svc.ExpireMakeups(ctx); err != nil || n != 1 {
		t.Fatalf("ExpireMakeups = %d, %v; want the first request expired", n, err)
	}
	f.cancelled = h.MustRequest(t, "E1", "11-24", "09:00", core.KindIn).Request.ID
	if _, err := h.svc.CancelMakeup(ctx, "E1", f.cancelled); err != nil {
		t.Fatal(err)
	}
	f.e1 = h.MustRequest(t, "E1", "11-25", "09:00", core.KindIn).Request.ID
	f.p1 = h.MustRequest(t, "P1", "11-25", "18:00", core.KindOut).Request.ID
	f.hr = h.MustRequest(t, "E2", "11-25", "09:00", core.KindIn).Request.ID
	return f
}

func auditCount(t *testing.T, h makeupHarness, action string) map[float64]int {
	t.Helper()
	got := map[float64]int{}
	for _, emp := range []string{"E1", "P1", "E2"} {
		audit, err := h.store.FindAudit(context.Background(), core.AuditFilter{Subject: emp})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range audit {
			if a.Action == action {
				var d map[string]any
				if err := json.Unmarshal([]byte(a.Detail), &d); err != nil {
					t.Fatal(err)
				}
				got[d["request_id"].(float64)]++
			}
		}
	}
	return got
}

// TestDecideMakeupsReportsEachRequest: a batch decides what is the
// actor's and pending, through the single decision's rule (one audit
// entry and one requester notice each), and reports the rest one by one:
// expired, withdrawn, not theirs, unknown.
func TestDecideMakeupsReportsEachRequest(t *testing.T) {
	ctx := context.Background()
	h := newMakeupHarness(t)
	f := newBatchFixture(t, h)
	b, err := h.svc.DecideMakeups(ctx, core.BatchDecision{IDs: []int64{f.e1, f.p1, f.e1, f.expired, f.cancelled, f.hr, 999}, Status: core.MakeupApproved, Actor: "M1", Via: core.PlatformSlack})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id      int64
		outcome core.Outcome
		status  core.MakeupStatus
	}{
		{f.e1, core.OutcomeMakeupDecided, core.MakeupApproved},
		{f.p1, core.OutcomeMakeupDecided, core.MakeupApproved},
		{f.expired, core.OutcomeMakeupClosed, core.MakeupExpired},
		{f.cancelled, core.OutcomeMakeupClosed, core.MakeupCancelled},
		{f.hr, core.OutcomeMakeupForbidden, ""},
		{999, core.OutcomeMakeupNotFound, ""},
	}
	if len(b.Items) != len(want) {
		t.Fatalf("batch items = %+v, want %d (the repeated number once)", b.Items, len(want))
	}
	for i, w := range want {
		it := b.Items[i]
		if it.ID != w.id || it.Outcome != w.outcome || it.View.Request.Status != w.status {
			t.Errorf("item %d = #%d %s (%s), want #%d %s (%s)", i, it.ID, it.Outcome, it.View.Request.Status, w.id, w.outcome, w.status)
		}
	}
	if it := b.Items[4]; it.View.EmployeeName != "" || it.View.Request.EmployeeID != "" {
		t.Errorf("a request not the actor's shows %q / %q, want nothing of whose it is", it.View.EmployeeName, it.View.Request.EmployeeID)
	}
	if v, _ := h.svc.MakeupView(ctx, f.hr); v.Request.Status != core.MakeupPending {
		t.Errorf("HR's request is %s after M1's batch, want pending", v.Request.Status)
	}
	if got := auditCount(t, h, "makeup.approved"); len(got) != 2 || got[float64(f.e1)] != 1 || got[float64(f.p1)] != 1 {
		t.Errorf("makeup.approved audits by request = %v, want one each for %d and %d", got, f.e1, f.p1)
	}
	var told []string
	for _, m := range h.outboxOf(core.OutboxMakeupResult) {
		if v := mustView(t, m); v.Request.Status == core.MakeupApproved {
			told = append(told, mustRecipient(t, m).UserID)
		}
	}
	slices.Sort(told)
	if !slices.Equal(told, []string{"peer", "zhangsan"}) {
		t.Errorf("approval notices went to %v, want each requester once (peer, zhangsan)", told)
	}
}

// TestDecideMakeupsRefusesWholeBatches: a batch rejection without a
// reason, too many numbers, and revocations decide nothing.
func TestDecideMakeupsRefusesWholeBatches(t *testing.T) {
	ctx := context.Background()
	h := newMakeupHarness(t)
	f := newBatchFixture(t, h)
	many := make([]int64, core.MaxBatch+1)
	for i := range many {
		many[i] = int64(i + 1)
	}
	tests := []struct {
		name string
		d    core.BatchDecision
		want string
	}{
		{"reject without a reason", core.BatchDecision{IDs: []int64{f.e1, f.p1}, Status: core.MakeupRejected, Actor: "M1", Note: "  "}, core.BatchNeedsReason},
		{"too many", core.BatchDecision{IDs: many, Status: core.MakeupApproved, Actor: "M1"}, core.BatchTooMany},
		{"revoke", core.BatchDecision{IDs: []int64{f.e1, f.p1}, Status: core.MakeupRevoked, Actor: "M1", Note: "x"}, core.BatchRevoke},
	}
	for _, tt := range tests {
		b, err := h.svc.DecideMakeups(ctx, tt.d)
		if err != nil || b.Problem != tt.want {
			t.Errorf("%s: problem %q, %v; want %q", tt.name, b.Problem, err, tt.want)
		}
		if n := b.Count(core.OutcomeMakeupDecided); n != 0 {
			t.Errorf("%s: %d decided, want none", tt.name, n)
		}
	}
	for _, id := range []int64{f.e1, f.p1} {
		if v, _ := h.svc.MakeupView(ctx, id); v.Request.Status != core.MakeupPending {
			t.Errorf("request %d is %s after refused batches, want pending", id, v.Request.Status)
		}
	}
	if b, _ := h.svc.DecideMakeups(ctx, core.BatchDecision{IDs: []int64{f.e1, f.p1}, Status: core.MakeupRejected, Actor: "M1", Note: "证明不足"}); b.Count(core.OutcomeMakeupDecided) != 2 {
		t.Errorf("a batch rejection with a reason decided %+v, want both", b.Items)
	}
	if v, _ := h.svc.MakeupView(ctx, f.p1); v.Request.Status != core.MakeupRejected || v.Request.Note != "证明不足" {
		t.Errorf("request %d is %s with note %q, want rejected with the batch's reason", f.p1, v.Request.Status, v.Request.Note)
	}
}

// TestBatchCommand: in chat, no numbers list the approver's pending
// requests (deciding nothing), numbers decide them, and a retried
// delivery of the same event gets the first answer and decides nothing
// twice.
func TestBatchCommand(t *testing.T) {
	ctx := context.Background()
	h := newMakeupHarness(t)
	f := newBatchFixture(t, h)
	mo := core.Identity{Platform: core.PlatformSlack, Tenant: "T1", UserID: "UMO"}
	list, err := h.svc.Handle(ctx, core.Command{Actor: mo, Kind: core.CmdMakeupBatch, Makeup: &core.MakeupArgs{Decision: core.MakeupApproved, All: true}, EventID: "all-1"})
	if err != nil {
		t.Fatal(err)
	}
	if list.Outcome != core.OutcomeMakeupPendingList || list.Batch == nil || !list.Batch.All || !slices.Equal(list.Batch.IDs(), []int64{f.e1, f.p1}) {
		t.Fatalf("listing = %s %+v, want M1's pending %d and %d", list.Outcome, list.Batch, f.e1, f.p1)
	}
	if v, _ := h.svc.MakeupView(ctx, f.e1); v.Request.Status != core.MakeupPending {
		t.Fatalf("listing left request %d %s, want pending", f.e1, v.Request.Status)
	}
	if n, _, _ := h.svc.PendingApprovals(ctx, "H1"); !slices.ContainsFunc(n, func(v core.MakeupView) bool { return v.Request.ID == f.hr }) || len(n) != 1 {
		t.Errorf("HR's pending = %d views, want only request %d", len(n), f.hr)
	}
	cmd := core.Command{Actor: mo, Kind: core.CmdMakeupBatch, Makeup: &core.MakeupArgs{Decision: core.MakeupApproved, IDs: list.Batch.IDs()}, EventID: "ids-1"}
	for i := range 2 {
		r, err := h.svc.Handle(ctx, cmd)
		if err != nil {
			t.Fatal(err)
		}
		if r.Outcome != core.OutcomeMakeupBatch || r.Batch == nil || r.Batch.Count(core.OutcomeMakeupDecided) != 2 || r.Replayed != (i == 1) {
			t.Errorf("delivery %d: %s %+v replayed=%v, want both decided (replayed on the retry)", i+1, r.Outcome, r.Batch, r.Replayed)
		}
	}
	if got := auditCount(t, h, "makeup.approved"); len(got) != 2 || got[float64(f.e1)] != 1 {
		t.Errorf("approved audits = %v, want one per request after a retry", got)
	}
	empty, err := h.svc.Handle(ctx, core.Command{Actor: mo, Kind: core.CmdMakeupBatch, Makeup: &core.MakeupArgs{Decision: core.MakeupApproved}, EventID: "lone-1"})
	if err != nil || empty.Outcome != core.OutcomeMakeupPendingList || empty.Batch == nil || len(empty.Batch.Items) != 0 {
		t.Errorf("listing after the batch = %s %+v, %v; want an empty list", empty.Outcome, empty.Batch, err)
	}
}
