package coretest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// stMakeupService is a real core.Service over the store under test, at the
// suite's clock, with the suite's organisation applied.
func stMakeupService(t *testing.T, s Store) *core.Service {
	t.Helper()
	stMustApply(t, s, stOrg(t))
	now := func() time.Time { return stNow }
	kv := NewMemKV(now)
	return core.NewService(s, kv, kv, core.DefaultConfig(), now)
}

// stMakeupConcurrentDecisions has 20 goroutines approve (the manager) and
// reject (HR) one request at once through the core: the store's row lock
// must let exactly one decision through and write at most one punch.
func stMakeupConcurrentDecisions(t *testing.T, s Store) {
	ctx := context.Background()
	svc := stMakeupService(t, s)
	v, err := svc.RequestMakeup(ctx, "li", core.MakeupArgs{Date: "11-25", Clock: "09:00", Kind: core.KindIn, Reason: "地铁故障"}, core.PlatformWeCom)
	if err != nil {
		t.Fatalf("RequestMakeup: %v", err)
	}
	if v.Request.ApproverID != "boss" {
		t.Fatalf("approver = %q, want boss", v.Request.ApproverID)
	}
	id := v.Request.ID
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			d := core.MakeupDecision{ID: id, Status: core.MakeupApproved, Actor: "boss"}
			if i%2 == 1 {
				d = core.MakeupDecision{ID: id, Status: core.MakeupRejected, Actor: "alice", Note: "no"}
			}
			_, errs[i] = svc.DecideMakeup(ctx, d)
		}()
	}
	close(start)
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch core.ErrorCode(err) {
		case "":
			won++
		case core.ECONFLICT:
		default:
			t.Errorf("decision %d: %v", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d decisions succeeded, want exactly 1", won)
	}
	final, err := svc.MakeupView(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var made []core.Punch
	for _, p := range stMustListPunches(t, s, core.PunchFilter{EmployeeID: "li"}) {
		if p.Source == core.SourceMakeup {
			made = append(made, p)
		}
	}
	switch final.Request.Status {
	case core.MakeupApproved:
		if len(made) != 1 || made[0].MakeupID != id || final.Request.PunchID != made[0].ID {
			t.Errorf("approved with punches %+v and punch id %d; want one, linked both ways", made, final.Request.PunchID)
		}
	case core.MakeupRejected:
		if len(made) != 0 {
			t.Errorf("rejected with %d make-up punches", len(made))
		}
	default:
		t.Errorf("final status %q", final.Request.Status)
	}
	audit, err := s.ListAudit(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	decisions := 0
	for _, a := range audit {
		if a.Action == "makeup.approved" || a.Action == "makeup.rejected" {
			decisions++
		}
	}
	if decisions != 1 {
		t.Errorf("%d decision audit entries, want 1", decisions)
	}
}

// stCardRefs checks the card references of approval cards: created,
// replaced per recipient, listed oldest first, refused for an unknown
// request, rolled back with their transaction.
func stCardRefs(t *testing.T, s Store) {
	ctx := context.Background()
	svc := stMakeupService(t, s)
	v, err := svc.RequestMakeup(ctx, "li", core.MakeupArgs{Date: "11-25", Clock: "18:00", Kind: core.KindOut, Reason: "忘记打卡"}, core.PlatformSlack)
	if err != nil {
		t.Fatalf("RequestMakeup: %v", err)
	}
	id := v.Request.ID
	at := stNow.Add(time.Minute)
	refs := []core.CardRef{
		{RequestID: id, Platform: core.PlatformSlack, Recipient: "U1", Ref: `{"channel":"D1","ts":"1.1"}`, UpdatedAt: at},
		{RequestID: id, Platform: core.PlatformWeCom, Recipient: "boss", Ref: `{"response_code":"RC1","task_id":"makeup-1-2-0"}`, UpdatedAt: at},
		{RequestID: id, Platform: core.PlatformSlack, Recipient: "U1", Ref: `{"channel":"D1","ts":"1.2"}`, UpdatedAt: at.Add(time.Second)},
	}
	for _, r := range refs {
		if err := svc.RecordCardRef(ctx, r); err != nil {
			t.Fatalf("RecordCardRef(%+v): %v", r, err)
		}
	}
	got, err := svc.CardRefs(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	norm := func(rs []core.CardRef) []core.CardRef {
		out := make([]core.CardRef, len(rs))
		for i, r := range rs {
			r.UpdatedAt = stUTC(r.UpdatedAt)
			out[i] = r
		}
		return out
	}
	stDiff(t, "CardRefs", norm(got), norm([]core.CardRef{refs[2], refs[1]}))
	if others, err := svc.CardRefs(ctx, id+1000); err != nil || len(others) != 0 {
		t.Errorf("CardRefs of an unknown request = %v, %v; want none", others, err)
	}
	err = svc.RecordCardRef(ctx, core.CardRef{RequestID: id + 1000, Platform: core.PlatformSlack, Recipient: "U1", Ref: "{}"})
	stWantCode(t, "card of an unknown request", err, core.ENOTFOUND)

	// A reference written in a transaction that fails is not kept.
	boom := core.Errorf(core.EINTERNAL, "boom")
	err = s.InTx(ctx, func(tx core.Tx) error {
		mt, ok := tx.(core.MakeupTx)
		if !ok {
			t.Fatalf("%T does not implement core.MakeupTx", tx)
		}
		if err := mt.PutCardRef(ctx, core.CardRef{RequestID: id, Platform: core.PlatformFeishu, Recipient: "ou_boss", Ref: `{"message_id":"om_1"}`, UpdatedAt: at}); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Errorf("InTx = %v, want the function's error", err)
	}
	if got, _ := svc.CardRefs(ctx, id); len(got) != 2 {
		t.Errorf("after a rollback: %d references, want 2", len(got))
	}
}
