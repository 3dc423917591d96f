package core_test

import (
	"context"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestUnknownUserReplyNamesTheID: the reply to someone the org file does
// not know carries the platform id the message came from, so the bot can
// show it for HR to add; nothing is stored about them.
func TestUnknownUserReplyNamesTheID(t *testing.T) {
	h := newHarness(t, nil)
	r, err := h.svc.Handle(context.Background(), core.Command{Actor: core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "wangwu"}, Kind: core.CmdPunch, Punch: core.KindIn})
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != core.OutcomeUnknownUser || r.ActorID != "wangwu" || r.Platform != core.PlatformWeCom {
		t.Errorf("reply = %s %q on %s, want unknown_user naming wangwu on wecom", r.Outcome, r.ActorID, r.Platform)
	}
	if ps := h.punches(t, ""); len(ps) != 0 {
		t.Errorf("punches = %+v, want none", ps)
	}
}
