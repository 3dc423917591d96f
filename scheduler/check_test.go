package scheduler

import (
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

func TestCheckReminders(t *testing.T) {
	everyone := core.Audience{Everyone: true}
	tests := []struct {
		name     string
		reminder core.Reminder
		wantPath string // "" when the reminder is fine
		wantText string
	}{
		{"valid broadcast", core.Reminder{ID: "b", Kind: core.ReminderBroadcast, Cron: "CRON_TZ=Asia/Shanghai 0 10 * * MON", Text: "hi", Audience: everyone}, "", ""},
		{"cron without a zone uses the org's", core.Reminder{ID: "b", Kind: core.ReminderBroadcast, Cron: "30 9 * * 1-5", Text: "hi", Audience: everyone}, "", ""},
		{"six fields are refused", core.Reminder{ID: "b", Kind: core.ReminderBroadcast, Cron: "0 0 10 * * MON", Text: "hi", Audience: everyone}, "reminders[0].cron", "cron"},
		{"nonsense is refused", core.Reminder{ID: "d", Kind: core.ReminderApprovalDigest, Cron: "every morning"}, "reminders[0].cron", "every morning"},
		{"unknown zone is refused", core.Reminder{ID: "b", Kind: core.ReminderBroadcast, Cron: "CRON_TZ=Mars/Base 0 10 * * *", Text: "hi", Audience: everyone}, "reminders[0].cron", "Mars/Base"},
		{"empty audience is refused", core.Reminder{ID: "b", Kind: core.ReminderBroadcast, Cron: "0 10 * * *", Text: "hi"}, "reminders[0].audience", "audience"},
		{"missed punch time is local", core.Reminder{ID: "m", Kind: core.ReminderMissedPunch, Cron: "CRON_TZ=UTC 0 9 * * *"}, "reminders[0].cron", "CRON_TZ"},
		{"punch-in reminders need no cron", core.Reminder{ID: "i", Kind: core.ReminderPunchIn, MinutesBefore: 10}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := CheckReminders(core.Org{TimeZone: "Asia/Shanghai", Reminders: []core.Reminder{tc.reminder}})
			if tc.wantPath == "" {
				if len(got) != 0 {
					t.Errorf("problems = %v, want none", got)
				}
				return
			}
			if len(got) != 1 || got[0].Path != tc.wantPath || !strings.Contains(got[0].Message, tc.wantText) {
				t.Errorf("problems = %v, want one at %s mentioning %q", got, tc.wantPath, tc.wantText)
			}
		})
	}
}
