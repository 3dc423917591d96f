package core_test

import (
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestBroadcastLanguages: with an English text each person gets the text
// of their language and a chat gets both, the chats' language first;
// without one everybody shares the one text and payload.
func TestBroadcastLanguages(t *testing.T) {
	people := []core.Employee{
		{ID: "Z1", Lang: "zh", Active: true, Identities: []core.Identity{{Platform: core.PlatformWeCom, UserID: "z1"}}},
		{ID: "E1", Lang: "en", Active: true, Identities: []core.Identity{{Platform: core.PlatformSlack, UserID: "U1"}}},
		{ID: "Z2", Lang: "zh", Active: true, Identities: []core.Identity{{Platform: core.PlatformFeishu, UserID: "ou_z2"}}},
	}
	chat := core.ChatTarget{Platform: core.PlatformSlack, ChatID: "C1"}
	at := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		r        core.Reminder
		lang     string
		want     map[string]string // recipient → text
		payloads int
	}{
		{"two languages, chats in zh", core.Reminder{ID: "b", Kind: core.ReminderBroadcast, Text: "周五远程", TextEn: "Remote on Friday", Audience: core.Audience{Everyone: true, Chats: []core.ChatTarget{chat}}}, "zh",
			map[string]string{"Z1": "周五远程", "Z2": "周五远程", "E1": "Remote on Friday", "C1": "周五远程\n\nRemote on Friday"}, 3},
		{"two languages, chats in en", core.Reminder{ID: "b", Kind: core.ReminderBroadcast, Text: "周五远程", TextEn: "Remote on Friday", Audience: core.Audience{Everyone: true, Chats: []core.ChatTarget{chat}}}, "en",
			map[string]string{"Z1": "周五远程", "Z2": "周五远程", "E1": "Remote on Friday", "C1": "Remote on Friday\n\n周五远程"}, 3},
		{"one text for everybody", core.Reminder{ID: "b", Kind: core.ReminderBroadcast, Text: "周五远程", Audience: core.Audience{Everyone: true, Chats: []core.ChatTarget{chat}}}, "zh",
			map[string]string{"Z1": "周五远程", "Z2": "周五远程", "E1": "周五远程", "C1": "周五远程"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds, _ := core.BroadcastDeliveries(tc.r, people, at, tc.lang, false)
			got := map[string]string{}
			payloads := map[*core.Notice]bool{}
			for _, d := range ds {
				who := d.Recipient.EmployeeID
				if who == "" {
					who = d.Recipient.ChatID
				}
				got[who] = d.Notice.Text
				payloads[d.Notice] = true
				if d.Recipient.EmployeeID != "" && tc.r.TextEn != "" && d.Notice.Lang != d.Recipient.Lang {
					t.Errorf("%s's notice is in %q, want their language %q", who, d.Notice.Lang, d.Recipient.Lang)
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("recipients = %v, want %v", got, tc.want)
			}
			for who, w := range tc.want {
				if got[who] != w {
					t.Errorf("%s gets %q, want %q", who, got[who], w)
				}
			}
			if len(payloads) != tc.payloads {
				t.Errorf("%d distinct payloads, want %d", len(payloads), tc.payloads)
			}
		})
	}
}

// TestReminderNoteLanguages: HR's note under a per-person reminder is in
// each person's language.
func TestReminderNoteLanguages(t *testing.T) {
	rosters := stillRosters(t) // D1 zh, N9 en
	rem := core.Reminder{ID: "still", Kind: core.ReminderStillClockedIn, Enabled: true, Text: "请先申请加班", TextEn: "File an overtime request first"}
	punches := map[string][]core.Punch{
		"D1": {validPunch("D1", core.KindIn, sh(t, "2026-11-26 09:00:00"), "2026-11-26")},
		"N9": {validPunch("N9", core.KindIn, sh(t, "2026-11-26 09:00:00"), "2026-11-26")},
	}
	ds := core.StillClockedInDeliveries(rem, rosters, punches, nil, core.DueQuery{At: sh(t, "2026-11-26 18:00:00")}, false)
	want := map[string]string{"D1": "请先申请加班", "N9": "File an overtime request first"}
	if len(ds) != 2 {
		t.Fatalf("%d deliveries, want 2", len(ds))
	}
	for _, d := range ds {
		if got := d.Notice.Text; got != want[d.Recipient.EmployeeID] {
			t.Errorf("%s's note = %q, want %q", d.Recipient.EmployeeID, got, want[d.Recipient.EmployeeID])
		}
	}
}
