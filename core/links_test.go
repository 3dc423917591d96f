package core_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// fakeSigner issues predictable links and remembers whom it signed for.
type fakeSigner struct{ signed []string }

func (f *fakeSigner) SignLink(ctx context.Context, e core.Employee, purpose string) (string, time.Time, error) {
	f.signed = append(f.signed, e.ID+"/"+purpose)
	return "https://punch.example.com/auth/" + e.ID + "-" + purpose, time.Date(2026, 11, 26, 2, 10, 0, 0, time.UTC), nil
}

func TestLinkCommand(t *testing.T) {
	h := newHarness(t, nil)
	signer := &fakeSigner{}
	h.clock.Set(sh(t, "2026-11-26 10:00:00"))
	ctx := context.Background()
	link := func(user, purpose, event string) (core.Reply, error) {
		return h.svc.Handle(ctx, core.Command{Actor: core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: user},
			Kind: core.CmdLink, LinkPurpose: purpose, EventID: event, ReplyRoute: `{"touser":"` + user + `"}`})
	}

	// Without a signer the command is answered with the help text.
	if r, err := link("zhangsan", core.LinkConsole, "e0"); err != nil || r.Outcome != core.OutcomeHelp {
		t.Errorf("without a signer = %+v, %v; want help", r, err)
	}
	h.svc.SetLinkSigner(signer)

	r, err := link("zhangsan", core.LinkMyData, "e1")
	if err != nil || r.Outcome != core.OutcomeLink || r.Link != "https://punch.example.com/auth/E1-mydata" || r.LinkPurpose != core.LinkMyData || r.LinkExpires.IsZero() {
		t.Fatalf("mydata link = %+v, %v", r, err)
	}
	out := h.store.Outbox()
	last := out[len(out)-1]
	var queued core.Reply
	if err := json.Unmarshal(last.Payload, &queued); err != nil || queued.Link != r.Link || last.Route != `{"touser":"zhangsan"}` || last.Kind != "reply" {
		t.Errorf("queued reply = %s on %s, %v; want the link on the user's route", last.Payload, last.Route, err)
	}
	entries, _ := h.store.FindAudit(ctx, core.AuditFilter{Action: "link.issued"})
	if len(entries) != 1 || entries[0].Subject != "E1" || entries[0].Actor != "E1" {
		t.Errorf("link audit = %+v, want one entry for E1", entries)
	}
	// A platform retry gets the recorded answer and signs nothing new.
	again, err := link("zhangsan", core.LinkMyData, "e1")
	if err != nil || !again.Replayed || again.Link != r.Link || len(signer.signed) != 1 {
		t.Errorf("retry = %+v, %v after %v; want the first link replayed", again, err, signer.signed)
	}

	tests := []struct {
		name, user, purpose string
		outcome             core.Outcome
		code                string
	}{
		{"unknown account", "stranger", core.LinkConsole, core.OutcomeUnknownUser, ""},
		{"inactive employee", "gone", core.LinkConsole, core.OutcomeInactive, ""},
		{"bad purpose", "zhangsan", "root", "", core.EINVALID},
	}
	for _, tc := range tests {
		r, err := link(tc.user, tc.purpose, "")
		if r.Outcome != tc.outcome || core.ErrorCode(err) != tc.code || r.Link != "" {
			t.Errorf("%s: %+v, %v; want outcome %q code %q and no link", tc.name, r, err, tc.outcome, tc.code)
		}
	}
	if len(signer.signed) != 1 {
		t.Errorf("signed %v, want only E1's link", signer.signed)
	}
}
