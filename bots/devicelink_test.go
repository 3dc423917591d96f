package bots

import (
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

func TestBindDeviceCommand(t *testing.T) {
	for _, text := range []string{"绑定设备", "/punch bind device", "Bind Device", "设备绑定"} {
		var cmd core.Command
		if !LinkCommand(Parse(text), &cmd) || cmd.Kind != core.CmdLink || cmd.LinkPurpose != core.LinkDevice {
			t.Errorf("%q = %+v, want a device link command", text, cmd)
		}
	}
	r := core.Reply{Outcome: core.OutcomeLink, LinkPurpose: core.LinkDevice, Link: "https://p.example/d/x"}
	for lang, want := range map[string]string{"zh": "通行密钥", "en": "passkey"} {
		if got := LinkText(r, lang); !strings.Contains(got, want) || !strings.HasSuffix(got, r.Link) {
			t.Errorf("LinkText(%s) = %q, want the passkey lead and the link", lang, got)
		}
	}
}

func TestVerifiedPunchLineIsNoWarning(t *testing.T) {
	r := core.Reply{Outcome: core.OutcomeAccepted, Kind: core.KindIn, Flags: []string{core.FlagDeviceVerified}, SiteName: "HQ", DistanceM: 20}
	for lang, want := range map[string]string{"zh": "🔐 已用绑定设备验证", "en": "🔐 verified with your bound device"} {
		got := Headline(r, lang)
		if !strings.Contains(got, want) || strings.Contains(got, "⚠️") {
			t.Errorf("Headline(%s) = %q, want %q and no warning", lang, got, want)
		}
	}
}
