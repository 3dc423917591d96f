package slack

import (
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/punchbot/punchbot/core"
)

// TestStillClockedInNoticeButtons: a still-clocked-in reminder carries the
// punch buttons like a clock-out reminder (Slack cannot send a location,
// so the Clock out button runs the punch); a broadcast does not.
func TestStillClockedInNoticeButtons(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 45, 0, 0, time.UTC)
	tests := []struct {
		kind string
		want bool
	}{{core.ReminderStillClockedIn, true}, {core.ReminderPunchOut, true}, {core.ReminderMakeupDeadline, false}}
	for _, tc := range tests {
		n := core.Notice{Kind: tc.kind, Lang: "en", TimeZone: "Asia/Shanghai", FireAt: at, ClockedInAt: at.Add(-9 * time.Hour), ShiftEnd: at}
		msg := noticeMessage(n, "en", "en", false)
		got := false
		for _, b := range msg.Blocks {
			if a, ok := b.(*slackapi.ActionBlock); ok && a.BlockID == "punch_actions" {
				got = true
			}
		}
		if got != tc.want {
			t.Errorf("%s: punch buttons %v, want %v (blocks %+v)", tc.kind, got, tc.want, msg.Blocks)
		}
	}
}
