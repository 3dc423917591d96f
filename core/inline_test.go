package core_test

import (
	"context"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestInlineReplies checks core.Command.ReplyInline: the bot answers in the
// callback's HTTP response, so the core records the event's reply with the
// punch (a retry is answered the same) but queues nothing in the outbox.
func TestInlineReplies(t *testing.T) {
	wecom := func(user string) core.Identity {
		return core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: user}
	}
	tests := []struct {
		name        string
		cmd         core.Command
		wantOutcome core.Outcome
		wantEvent   bool // the reply is recorded under the event id
	}{
		{"located punch", core.Command{Actor: wecom("zhangsan"), Kind: core.CmdPunch, Punch: core.KindIn, Location: north(office, 10)}, core.OutcomeAccepted, true},
		{"text punch asking for a location", core.Command{Actor: wecom("zhangsan"), Kind: core.CmdPunch, Punch: core.KindIn}, core.OutcomeNeedLocation, true},
		{"status", core.Command{Actor: wecom("zhangsan"), Kind: core.CmdStatus}, core.OutcomeStatus, true},
		{"help", core.Command{Actor: wecom("zhangsan"), Kind: core.CmdHelp}, core.OutcomeHelp, true},
		{"unknown user", core.Command{Actor: wecom("nobody"), Kind: core.CmdPunch, Punch: core.KindIn, Location: north(office, 10)}, core.OutcomeUnknownUser, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.clock.Set(sh(t, "2026-11-26 08:50:00"))
			ctx := context.Background()
			cmd := tt.cmd
			cmd.EventID, cmd.ReplyRoute, cmd.ReplyInline = "msg-inline", `{"touser":"x"}`, true
			first, err := h.svc.Handle(ctx, cmd)
			if err != nil {
				t.Fatal(err)
			}
			if first.Outcome != tt.wantOutcome || first.Replayed {
				t.Fatalf("first answer = %s (replayed %t), want %s, not replayed", first.Outcome, first.Replayed, tt.wantOutcome)
			}
			if n := len(h.store.Outbox()); n != 0 {
				t.Errorf("queued %d outbox messages, want 0: the bot answers inline", n)
			}
			rec, err := h.store.EventReply(ctx, "wecom", "msg-inline")
			if got := err == nil; got != tt.wantEvent {
				t.Fatalf("event recorded = %t (%v), want %t", got, err, tt.wantEvent)
			}
			if tt.wantEvent && rec.Reply.Outcome != tt.wantOutcome {
				t.Errorf("recorded reply = %s, want %s", rec.Reply.Outcome, tt.wantOutcome)
			}
			// The platform's retry (same event id), a moment later.
			h.clock.Set(sh(t, "2026-11-26 08:50:03"))
			again, err := h.svc.Handle(ctx, cmd)
			if err != nil {
				t.Fatal(err)
			}
			if again.Outcome != first.Outcome || again.PunchID != first.PunchID {
				t.Errorf("retry = %s punch %d, want %s punch %d", again.Outcome, again.PunchID, first.Outcome, first.PunchID)
			}
			if again.Replayed != tt.wantEvent {
				t.Errorf("retry replayed = %t, want %t", again.Replayed, tt.wantEvent)
			}
			if n := len(h.store.Outbox()); n != 0 {
				t.Errorf("after the retry %d outbox messages, want 0", n)
			}
			if ps := h.punches(t, "E1"); len(ps) > 1 {
				t.Errorf("stored %d punches, want at most 1", len(ps))
			}
		})
	}
}

// TestInlineAndQueuedRepliesDiffer checks that only the flag decides: the
// same punch without ReplyInline queues its reply.
func TestInlineAndQueuedRepliesDiffer(t *testing.T) {
	for _, inline := range []bool{false, true} {
		h := newHarness(t, nil)
		h.clock.Set(sh(t, "2026-11-26 08:50:00"))
		_, err := h.svc.Handle(context.Background(), core.Command{Actor: core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"},
			Kind: core.CmdPunch, Punch: core.KindIn, Location: north(office, 10), EventID: "m", ReplyRoute: "{}", ReplyInline: inline, ReceivedAt: h.clock.Now().Add(-time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		got, want := len(h.store.Outbox()), map[bool]int{false: 1, true: 0}[inline]
		if got != want {
			t.Errorf("ReplyInline %t: %d queued, want %d", inline, got, want)
		}
	}
}
