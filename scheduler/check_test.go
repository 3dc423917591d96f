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
		{"a department someone is in", core.Reminder{ID: "b", Kind: core.ReminderBroadcast, Cron: "0 10 * * *", Text: "hi", Audience: core.Audience{Departments: []string{"研发"}}}, "", ""},
		{"a department of departed people only still exists", core.Reminder{ID: "b", Kind: core.ReminderBroadcast, Cron: "0 10 * * *", Text: "hi", Audience: core.Audience{Departments: []string{"Old"}}}, "", ""},
		{"a department nobody is in is a typo", core.Reminder{ID: "b", Kind: core.ReminderBroadcast, Cron: "0 10 * * *", Text: "hi", Audience: core.Audience{Departments: []string{"研发", "研 发"}}},
			"reminders[0].audience.departments[1]", `no employee is in department "研 发"`},
		{"a punch-in reminder's department too", core.Reminder{ID: "i", Kind: core.ReminderPunchIn, MinutesBefore: 10, Audience: core.Audience{Departments: []string{"Sales"}}},
			"reminders[0].audience.departments[0]", "Sales"},
		{"a negative lead", core.Reminder{ID: "i", Kind: core.ReminderPunchIn, MinutesBefore: -5}, "reminders[0].minutes_before", "not -5"},
		{"a lead over a day never fires", core.Reminder{ID: "i", Kind: core.ReminderPunchIn, MinutesBefore: 1500}, "reminders[0].minutes_before", "from 0 to 1440"},
		{"a lead of a whole day", core.Reminder{ID: "i", Kind: core.ReminderPunchIn, MinutesBefore: 1440}, "", ""},
		{"a negative digest age", core.Reminder{ID: "d", Kind: core.ReminderApprovalDigest, Cron: "0 9 * * *", OlderThanHrs: -1}, "reminders[0].older_than_hours", "negative"},
		{"a punch-out reminder cannot go to a chat", core.Reminder{ID: "o", Kind: core.ReminderPunchOut, Audience: core.Audience{Chats: []core.ChatTarget{{Platform: core.PlatformSlack, ChatID: "C1"}}}},
			"reminders[0].audience.chats[0]", "not to chats"},
		{"a broadcast to an unknown platform's chat", core.Reminder{ID: "b", Kind: core.ReminderBroadcast, Cron: "0 10 * * *", Text: "hi", Audience: core.Audience{Chats: []core.ChatTarget{{Platform: "dingtalk", ChatID: "x"}}}},
			"reminders[0].audience.chats[0].platform", `not "dingtalk"`},
		{"a broadcast to a named chat", core.Reminder{ID: "b", Kind: core.ReminderBroadcast, Cron: "0 10 * * *", Text: "hi", Audience: core.Audience{Chats: []core.ChatTarget{{Platform: core.PlatformFeishu, ChatID: "oc_1"}}}}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			org := core.Org{TimeZone: "Asia/Shanghai", Reminders: []core.Reminder{tc.reminder}, Employees: []core.Employee{
				{ID: "a", Department: "研发", Active: true}, {ID: "b", Department: "Old", Active: false}, {ID: "c", Active: true}}}
			got := CheckReminders(org)
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
