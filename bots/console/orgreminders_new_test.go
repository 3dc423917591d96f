package console

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/scheduler"
)

// TestReminderFormNewKinds: the reminders form saves a still_clocked_in
// reminder with its hours and a two-language note, shows them again when
// reopened, and refuses a bad hours_after or an English text alone in the
// reader's language.
func TestReminderFormNewKinds(t *testing.T) {
	f := MustFixture(t, false, func(c *Config, d *Deps) { d.CheckOrg = scheduler.CheckReminders })
	hr := f.MustSignIn(t, "H1")
	res := hr.post(t, "/org/reminders/new", url.Values{"id": {"still"}, "kind": {core.ReminderStillClockedIn}, "hours_after": {"10"},
		"text": {"请先申请加班"}, "text_en": {"File an overtime request first"}, "enabled": {"1"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("save = %d, want a redirect:\n%s", res.Status, res.Body)
	}
	rems, err := f.store.ListReminders(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var got core.Reminder
	for _, r := range rems {
		if r.ID == "still" {
			got = r
		}
	}
	if want := (core.Reminder{ID: "still", Kind: core.ReminderStillClockedIn, HoursAfter: 10, Text: "请先申请加班", TextEn: "File an overtime request first", Enabled: true}); got.ID != want.ID ||
		got.Kind != want.Kind || got.HoursAfter != want.HoursAfter || got.Text != want.Text || got.TextEn != want.TextEn || !got.Enabled {
		t.Errorf("stored %+v, want %+v", got, want)
	}
	page := hr.get(t, "/org/reminders/still")
	for _, w := range []string{`name="hours_after"`, `value="10"`, "File an overtime request first", "仍在上班提醒"} {
		if !strings.Contains(page.Body, w) {
			t.Errorf("the reopened form lacks %q", w)
		}
	}
	tests := []struct {
		name string
		form url.Values
		zh   string
	}{
		{"hours_after too long", url.Values{"id": {"r2"}, "kind": {core.ReminderStillClockedIn}, "hours_after": {"30"}}, "必须是上班打卡后 1 到 24 小时（留空为 9），而不是 30"},
		{"English text alone", url.Values{"id": {"r3"}, "kind": {core.ReminderPunchIn}, "text_en": {"Badge"}}, "填写英文内容时也须填写中文内容"},
		{"a make-up deadline without a time", url.Values{"id": {"r4"}, "kind": {core.ReminderMakeupDeadline}}, "makeup_deadline 类提醒必须填写时间表达式"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := hr.post(t, "/org/reminders/new?lang=zh", tc.form)
			if res.Status == http.StatusSeeOther {
				t.Fatalf("saved, want the form back with %q", tc.zh)
			}
			if !strings.Contains(res.Body, tc.zh) {
				t.Errorf("form answer %d lacks %q:\n%s", res.Status, tc.zh, res.Body)
			}
		})
	}
}
