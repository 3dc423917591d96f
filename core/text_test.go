package core_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

func TestTextProblemAndCleanText(t *testing.T) {
	tests := []struct {
		in, clean string
		bad       bool
	}{
		{"望京SOHO", "望京SOHO", false},
		{"line one\nline two\tend", "line one\nline two\tend", false},
		{"office\x00", "office", true},
		{"a\x01b\x1fc\x7fd", "abcd", true},
		{"bad \xff\xfe utf8", "bad \uFFFD utf8", true},
		{"\u0085next line", "next line", true},
		{"", "", false},
	}
	for _, tc := range tests {
		if got := core.TextProblem(tc.in) != ""; got != tc.bad {
			t.Errorf("TextProblem(%q) reports a problem: %v, want %v", tc.in, got, tc.bad)
		}
		if got := core.CleanText(tc.in); got != tc.clean {
			t.Errorf("CleanText(%q) = %q, want %q", tc.in, got, tc.clean)
		}
		if got := core.CleanText(tc.in); core.TextProblem(got) != "" {
			t.Errorf("CleanText(%q) = %q still has a problem: %s", tc.in, got, core.TextProblem(got))
		}
	}
}

// A command whose ids cannot be stored is refused before anything is
// looked up or written: the bot answers 4xx and the platform stops.
func TestHandleRefusesUnstorableIDs(t *testing.T) {
	tests := []struct {
		name string
		cmd  func(*core.Command)
	}{
		{"NUL in the user id", func(c *core.Command) { c.Actor.UserID = "zhangsan\x00" }},
		{"invalid UTF-8 in the user id", func(c *core.Command) { c.Actor.UserID = "zhang\xffsan" }},
		{"NUL in the tenant", func(c *core.Command) { c.Actor.Tenant = "corp\x00" }},
		{"NUL in the event id", func(c *core.Command) { c.EventID = "msg\x00-1" }},
		{"line break in the event id", func(c *core.Command) { c.EventID = "msg\n1" }},
		{"oversized event id", func(c *core.Command) { c.EventID = strings.Repeat("e", 300) }},
		{"NUL in an alternative user id", func(c *core.Command) { c.AltUserIDs = []string{"ou_\x00"} }},
		{"NUL in the reply route", func(c *core.Command) { c.ReplyRoute = "{\"touser\":\"a\x00\"}" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			at := sh(t, "2026-11-26 08:50:00")
			h.clock.Set(at)
			cmd := core.Command{
				Actor: core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"},
				Kind:  core.CmdPunch, Punch: core.KindIn, At: at, Location: north(office, 10), EventID: "msg-1", ReplyRoute: `{"touser":"zhangsan"}`,
			}
			tc.cmd(&cmd)
			_, err := h.svc.Handle(context.Background(), cmd)
			if code := core.ErrorCode(err); code != core.EINVALID {
				t.Fatalf("Handle error = %v (code %q), want %s", err, code, core.EINVALID)
			}
			if n := len(h.punches(t, "E1")); n != 0 {
				t.Errorf("stored %d punches, want none", n)
			}
			if n := len(h.store.Outbox()); n != 0 {
				t.Errorf("queued %d replies, want none", n)
			}
		})
	}
}

// Free text is cleaned, not refused: the punch goes through.
func TestHandleCleansFreeText(t *testing.T) {
	h := newHarness(t, nil)
	loc := north(office, 10)
	loc.Label = "国贸\x00大厦\xff"
	got := h.punch(t, "zhangsan", core.KindIn, sh(t, "2026-11-26 08:50:00"), loc, "msg-1")
	if got.Outcome != core.OutcomeAccepted {
		t.Fatalf("outcome = %s %v, want accepted", got.Outcome, got.Reasons)
	}
	ps := h.punches(t, "E1")
	if len(ps) != 1 || ps[0].Label != "国贸大厦\uFFFD" {
		t.Fatalf("stored %+v, want one punch labelled %q", ps, "国贸大厦\uFFFD")
	}
}

// A fix vaguer than core.MaxPlausibleAccuracyM is refused on every channel,
// even for staff who may punch anywhere (no sites), and a reported
// position that vague is not remembered for a later text punch.
func TestImplausibleAccuracyIsRefused(t *testing.T) {
	tests := []struct {
		name     string
		user     string
		accuracy float64
		want     core.Outcome
	}{
		{"remote staff, 1e9 m", "remote", 1e9, core.OutcomeRejected},
		{"remote staff, just over 100 km", "remote", core.MaxPlausibleAccuracyM + 1, core.OutcomeRejected},
		{"remote staff, 100 km exactly", "remote", core.MaxPlausibleAccuracyM, core.OutcomeAccepted},
		{"remote staff, infinite", "remote", math.Inf(1), core.OutcomeRejected},
		{"on-site staff, 1e9 m", "zhangsan", 1e9, core.OutcomeRejected},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			loc := north(office, 10)
			loc.AccuracyM = tc.accuracy
			got := h.punch(t, tc.user, core.KindIn, sh(t, "2026-11-26 08:50:00"), loc, "msg-1")
			if got.Outcome != tc.want {
				t.Errorf("outcome = %s %v, want %s", got.Outcome, got.Reasons, tc.want)
			}
		})
	}

	t.Run("reported position then text punch", func(t *testing.T) {
		h := newHarness(t, nil)
		at := sh(t, "2026-11-26 08:40:00")
		h.clock.Set(at)
		actor := core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"}
		loc := north(office, 10)
		loc.AccuracyM = 1e9
		noted, err := h.svc.Handle(context.Background(), core.Command{Actor: actor, Kind: core.CmdReportLocation, At: at, Location: loc, EventID: "loc-event"})
		if err != nil || noted.Outcome != core.OutcomeRejected {
			t.Fatalf("report = %v, %v; want rejected", noted.Outcome, err)
		}
		got := h.punch(t, "zhangsan", core.KindAuto, at.Add(10e9), nil, "text")
		if got.Outcome != core.OutcomeNeedLocation {
			t.Errorf("text punch after a 1e9 m report = %s (accuracy %v), want %s", got.Outcome, got.AccuracyM, core.OutcomeNeedLocation)
		}
		for _, p := range h.punches(t, "E1") {
			if p.Outcome == core.OutcomeAccepted && p.AccuracyM > core.MaxPlausibleAccuracyM {
				t.Errorf("stored an accepted punch with accuracy %v m", p.AccuracyM)
			}
		}
	})
}

// failingCommits is a store whose transactions run and then fail, as when
// the process dies or the database goes away just before COMMIT.
type failingCommits struct {
	core.Store
	failures int
}

func (s *failingCommits) InTx(ctx context.Context, fn func(core.Tx) error) error {
	return s.Store.InTx(ctx, func(tx core.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if s.failures > 0 {
			s.failures--
			return core.Errorf(core.EUNAVAILABLE, "connection lost before COMMIT")
		}
		return nil
	})
}

// A location that completes a waiting text punch keeps the intent until the
// punch commits: the platform's retry after a failed commit still punches
// the intended direction.
func TestWaitingIntentSurvivesAFailedCommit(t *testing.T) {
	h := newHarness(t, nil)
	at := sh(t, "2026-11-26 08:40:00")
	if first := h.punch(t, "zhangsan", core.KindOut, at, nil, "text-1"); first.Outcome != core.OutcomeNeedLocation {
		t.Fatalf("text punch = %s, want need_location", first.Outcome)
	}
	store := &failingCommits{Store: h.store, failures: 1}
	svc := core.NewService(store, h.kv, h.kv, core.DefaultConfig(), h.clock.Now)
	h.clock.Set(at.Add(30e9))
	cmd := core.Command{Actor: core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"},
		Kind: core.CmdPunch, Punch: core.KindAuto, Location: north(office, 10), EventID: "loc-1", ReplyRoute: `{"touser":"zhangsan"}`}
	if _, err := svc.Handle(context.Background(), cmd); err == nil {
		t.Fatal("first delivery: no error, want the failed commit reported")
	}
	if n := len(h.punches(t, "E1")); n != 0 {
		t.Fatalf("stored %d punches after the failed commit, want 0", n)
	}
	got, err := svc.Handle(context.Background(), cmd)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if got.Outcome != core.OutcomeAccepted || got.Kind != core.KindOut {
		t.Errorf("retry = %s/%s, want an accepted out (the waiting intent), not in by context", got.Outcome, got.Kind)
	}
	if n := len(h.punches(t, "E1")); n != 1 {
		t.Errorf("stored %d punches, want 1", n)
	}
}
