package core_test

import (
	"context"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestDeviceLinkCommand: 绑定设备 asks the device-link signer (the web
// pages), not the console's, and is answered with help without one.
func TestDeviceLinkCommand(t *testing.T) {
	h := newHarness(t, nil)
	h.clock.Set(sh(t, "2026-11-26 10:00:00"))
	ctx := context.Background()
	link := func(event string) (core.Reply, error) {
		return h.svc.Handle(ctx, core.Command{Actor: core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"},
			Kind: core.CmdLink, LinkPurpose: core.LinkDevice, EventID: event})
	}
	console := &fakeSigner{}
	h.svc.SetLinkSigner(console)
	if r, err := link("d0"); err != nil || r.Outcome != core.OutcomeHelp {
		t.Errorf("without a device-link signer = %+v, %v; want help", r, err)
	}
	pages := &fakeSigner{}
	h.svc.SetDeviceLinkSigner(pages)
	r, err := link("d1")
	if err != nil || r.Outcome != core.OutcomeLink || r.LinkPurpose != core.LinkDevice || r.Link != "https://punch.example.com/auth/E1-device" {
		t.Fatalf("device link = %+v, %v", r, err)
	}
	if len(pages.signed) != 1 || len(console.signed) != 0 {
		t.Errorf("signed by the pages %v and the console %v; want the pages only", pages.signed, console.signed)
	}
}
