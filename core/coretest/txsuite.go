package coretest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

func stConcurrentHandle(t *testing.T, s Store) {
	ctx := context.Background()
	stMustApply(t, s, stOrg(t))
	now := func() time.Time { return stNow }
	kv := NewMemKV(now)
	svc := core.NewService(s, kv, nil, core.DefaultConfig(), now)
	cmd := core.Command{
		Actor: core.Identity{Platform: core.PlatformWeCom, Tenant: "corp1", UserID: "lilei"},
		Kind:  core.CmdPunch, Punch: core.KindIn, At: stNow.Add(-3 * time.Second),
		Location: &core.Location{Lat: 39.9962, Lng: 116.4811, AccuracyM: 20, Datum: core.WGS84, Label: "望京SOHO"},
		EventID:  "msg-20", ReplyRoute: `{"to":"lilei"}`,
	}

	const n = 20
	replies := make([]core.Reply, n)
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			replies[i], errs[i] = svc.Handle(ctx, cmd)
		}()
	}
	start.Done()
	done.Wait()

	for i, err := range errs {
		if err != nil {
			t.Fatalf("Handle #%d: %v", i, err)
		}
	}
	first := replies[0]
	if first.Outcome != core.OutcomeAccepted || first.PunchID == 0 {
		t.Fatalf("reply = %+v, want an accepted punch", first)
	}
	replayed := 0
	for i, r := range replies {
		if r.Replayed {
			replayed++
		}
		if r.PunchID != first.PunchID || r.Outcome != first.Outcome || !r.At.Equal(first.At) || r.ShiftDate != first.ShiftDate || r.SiteID != first.SiteID {
			t.Errorf("reply #%d = %+v, want the same as %+v", i, r, first)
		}
	}
	if replayed != n-1 {
		t.Errorf("replayed replies = %d, want %d", replayed, n-1)
	}
	ps := stMustListPunches(t, s, core.PunchFilter{})
	if len(ps) != 1 || ps[0].ID != first.PunchID || ps[0].EventID != "msg-20" {
		t.Errorf("punches = %+v, want exactly one for msg-20", ps)
	}
	rec, err := s.EventReply(ctx, "wecom", "msg-20")
	if err != nil || rec.Reply.PunchID != first.PunchID || rec.EmployeeID != "li" {
		t.Errorf("EventReply = %+v, %v, want the punch reply", rec, err)
	}
	if d := stMustDepth(t, s); d != 1 {
		t.Errorf("outbox depth = %d, want 1", d)
	}
	msgs, err := s.ClaimOutbox(ctx, core.PlatformWeCom, 10, stNow, time.Minute)
	if err != nil || len(msgs) != 1 || msgs[0].DedupeKey != "reply:wecom:msg-20" || msgs[0].Route != cmd.ReplyRoute {
		t.Errorf("ClaimOutbox = %+v, %v, want one reply for msg-20", msgs, err)
	}
	audit, err := s.ListAudit(ctx, 0)
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	punchAudits := 0
	for _, a := range audit {
		if a.Action == "punch."+string(core.OutcomeAccepted) {
			punchAudits++
		}
	}
	if punchAudits != 1 {
		t.Errorf("punch audit entries = %d, want 1", punchAudits)
	}
}

func stRollback(t *testing.T, s Store) {
	ctx := context.Background()
	stMustApply(t, s, stOrg(t))
	err := s.InTx(ctx, func(tx core.Tx) error {
		if err := tx.LockEmployee(ctx, "li"); err != nil {
			return err
		}
		p := stPunch(stNow, "rb-1")
		if err := tx.InsertPunch(ctx, &p); err != nil {
			return err
		}
		if err := tx.InsertAudit(ctx, core.AuditEntry{At: stNow, Actor: "li", Action: "punch.accepted", Subject: "li"}); err != nil {
			return err
		}
		if err := tx.InsertEvent(ctx, core.EventRecord{Source: "wecom", EventID: "rb-1", EmployeeID: "li", CreatedAt: stNow}); err != nil {
			return err
		}
		if err := tx.EnqueueOutbox(ctx, core.OutboxMessage{Platform: core.PlatformWeCom, Kind: "reply", Payload: json.RawMessage(`{}`), DedupeKey: "rb-1", NextAttempt: stNow, Status: core.OutboxPending, CreatedAt: stNow}); err != nil {
			return err
		}
		m := core.MakeupRequest{EmployeeID: "li", ShiftDate: "2026-11-25", Kind: core.KindOut, At: stNow.Add(-15 * time.Hour), Status: core.MakeupPending, CreatedAt: stNow}
		if err := tx.InsertMakeup(ctx, &m); err != nil {
			return err
		}
		// The writes are visible inside the transaction...
		ps, err := tx.ShiftPunches(ctx, "li", p.ShiftDate)
		if err != nil {
			return err
		}
		if len(ps) != 1 {
			t.Errorf("ShiftPunches inside the transaction = %d, want 1", len(ps))
		}
		return fmt.Errorf("verify failed: %w", errStBoom)
	})
	// ...and gone after it fails, with fn's error returned as is.
	if !errors.Is(err, errStBoom) {
		t.Fatalf("InTx error = %v, want fn's error", err)
	}
	if ps := stMustListPunches(t, s, core.PunchFilter{}); len(ps) != 0 {
		t.Errorf("punches after rollback = %+v, want none", ps)
	}
	stWantCode(t, "EventReply after rollback", func() error { _, err := s.EventReply(ctx, "wecom", "rb-1"); return err }(), core.ENOTFOUND)
	if d := stMustDepth(t, s); d != 0 {
		t.Errorf("outbox depth after rollback = %d, want 0", d)
	}
	if a, _ := s.ListAudit(ctx, 0); len(a) != 1 {
		t.Errorf("audit entries after rollback = %d, want only the org entry", len(a))
	}
	stMustInTx(t, s, func(tx core.Tx) error {
		ms, err := tx.ListMakeups(ctx, core.MakeupFilter{EmployeeID: "li"})
		if len(ms) != 0 {
			t.Errorf("makeups after rollback = %+v, want none", ms)
		}
		return err
	})

	// A core.Error from fn keeps its code, and the same event can then be
	// recorded: nothing of the failed attempt is left to conflict with.
	err = s.InTx(ctx, func(tx core.Tx) error {
		if err := tx.InsertEvent(ctx, core.EventRecord{Source: "wecom", EventID: "rb-1", CreatedAt: stNow}); err != nil {
			return err
		}
		return core.Errorf(core.EINVALID, "bad input")
	})
	stWantCode(t, "InTx returning a core error", err, core.EINVALID)
	stMustInTx(t, s, func(tx core.Tx) error {
		return tx.InsertEvent(ctx, core.EventRecord{Source: "wecom", EventID: "rb-1", CreatedAt: stNow})
	})
}
