package console

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/scheduler"
)

// TestReminderFormChecks: a reminder the scheduler could never send as
// meant is refused in the form, in the reader's language, and nothing is
// saved.
func TestReminderFormChecks(t *testing.T) {
	f := MustFixture(t, false, func(c *Config, d *Deps) { d.CheckOrg = scheduler.CheckReminders })
	base := url.Values{"id": {"r1"}, "enabled": {"1"}}
	with := func(kv ...string) url.Values {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
	tests := []struct {
		name   string
		form   url.Values
		zh, en string
	}{
		{"a negative lead", with("kind", "punch_in", "minutes_before", "-5"), "必须是上班前 0 到 1440 分钟，而不是 -5", "must be from 0 to 1440 minutes before the shift starts, not -5"},
		{"a punch-in reminder to a chat", with("kind", "punch_in", "minutes_before", "10", "chats", "slack C1"),
			"punch_in 提醒发给每位相关的人，不能发到群聊", "a punch_in reminder goes to each person concerned, not to chats"},
		{"a broadcast to an unknown platform", with("kind", "broadcast", "text", "hi", "cron", "0 9 * * MON", "chats", "dingtalk G1"),
			"必须是 wecom、feishu 或 slack，而不是 \"dingtalk\"", "must be wecom, feishu or slack, not \"dingtalk\""},
	}
	for _, tc := range tests {
		for _, who := range []string{"H1", "admin"} {
			t.Run(tc.name+" as "+who, func(t *testing.T) {
				c := f.MustSignIn(t, who)
				lang, want := "zh", tc.zh
				if who == "admin" {
					lang, want = "en", tc.en
				}
				res := c.post(t, "/org/reminders/new?lang="+lang, tc.form)
				if res.Status == http.StatusSeeOther {
					t.Fatalf("saved (→ %s), want the form back with %q", res.Location, want)
				}
				body := strings.ReplaceAll(res.Body, "&#34;", `"`)
				if !strings.Contains(body, want) {
					t.Errorf("form answer %d lacks %q:\n%s", res.Status, want, res.Body)
				}
			})
		}
	}
	org, err := f.store.ListReminders(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range org {
		if r.ID == "r1" {
			t.Errorf("reminder r1 was saved: %+v", r)
		}
	}
}
