package core

import "testing"

// Ring closes the channels of the platforms it names and no others.
func TestOutboxBellRingIsPerPlatform(t *testing.T) {
	bell := &OutboxBell{}
	wecom, feishu := bell.rung(PlatformWeCom), bell.rung(PlatformFeishu)
	bell.Ring(PlatformFeishu)
	select {
	case <-feishu:
	default:
		t.Error("Ring(feishu) left the Feishu channel open")
	}
	select {
	case <-wecom:
		t.Error("Ring(feishu) woke the WeCom loop")
	default:
	}
	bell.Ring(PlatformWeCom, PlatformSlack) // Slack: nobody waits, nothing to close
	select {
	case <-wecom:
	default:
		t.Error("Ring(wecom, slack) left the WeCom channel open")
	}
}
