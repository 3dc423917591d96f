package core_test

import (
	"context"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// The refusal of a deactivated account names the command it refused, so
// the bots can say a decision (not a punch) was not made.
func TestInactiveReplyNamesTheCommand(t *testing.T) {
	h := newHarness(t, nil)
	h.clock.Set(sh(t, "2026-11-26 10:00:00"))
	gone := core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "gone"}
	for _, cmd := range []core.Command{
		{Actor: gone, Kind: core.CmdMakeupDecide, Makeup: &core.MakeupArgs{ID: 1, Decision: core.MakeupApproved}},
		{Actor: gone, Kind: core.CmdPunch, Punch: core.KindIn},
	} {
		r, err := h.svc.Handle(context.Background(), cmd)
		if err != nil || r.Outcome != core.OutcomeInactive || r.Command != cmd.Kind {
			t.Errorf("%s by an inactive account = %+v, %v; want inactive naming %s", cmd.Kind, r, err, cmd.Kind)
		}
	}
}
