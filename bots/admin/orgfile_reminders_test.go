package admin

import (
	"reflect"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// remindersDoc uses every reminder key added for still_clocked_in,
// makeup_deadline and two-language text.
const remindersDoc = base + `reminders:
  - id: still
    kind: still_clocked_in
    hours_after: 10
    text: 加班请先提交加班申请。
    text_en: Overtime needs an overtime request first.
  - id: still-default
    kind: still_clocked_in
  - id: month-end
    kind: makeup_deadline
    cron: "CRON_TZ=Asia/Shanghai 0 10 25-31 * *"
  - id: policy
    kind: broadcast
    cron: "CRON_TZ=Asia/Shanghai 0 10 * * MON"
    text: "**本周五**远程办公"
    text_en: "**This Friday** we work from home"
    markdown: true
    audience: {everyone: true}
`

// TestOrgFileReminderKeys: the new keys reach the core as written, the
// export writes them, and the export parses back to the same reminders.
func TestOrgFileReminderKeys(t *testing.T) {
	org := MustParse(t, []byte(remindersDoc))
	want := []core.Reminder{
		{ID: "still", Kind: core.ReminderStillClockedIn, HoursAfter: 10, Text: "加班请先提交加班申请。", TextEn: "Overtime needs an overtime request first.", Enabled: true},
		{ID: "still-default", Kind: core.ReminderStillClockedIn, Enabled: true},
		{ID: "month-end", Kind: core.ReminderMakeupDeadline, Cron: "CRON_TZ=Asia/Shanghai 0 10 25-31 * *", Enabled: true},
		{ID: "policy", Kind: core.ReminderBroadcast, Cron: "CRON_TZ=Asia/Shanghai 0 10 * * MON", Text: "**本周五**远程办公", TextEn: "**This Friday** we work from home",
			Markdown: true, Audience: core.Audience{Everyone: true}, Enabled: true},
	}
	if !reflect.DeepEqual(org.Reminders, want) {
		t.Fatalf("reminders =\n%+v\nwant\n%+v", org.Reminders, want)
	}
	out := MustMarshal(t, org)
	for _, line := range []string{"hours_after: 10", "text_en: Overtime needs an overtime request first.", "kind: makeup_deadline", "kind: still_clocked_in"} {
		if !strings.Contains(out, line) {
			t.Errorf("export lacks %q:\n%s", line, out)
		}
	}
	if strings.Count(out, "hours_after") != 1 {
		t.Errorf("export writes hours_after %d times, want once (the default stays unwritten):\n%s", strings.Count(out, "hours_after"), out)
	}
	back := MustParse(t, []byte(out))
	// The export orders reminders by id.
	byID := map[string]core.Reminder{}
	for _, r := range back.Reminders {
		byID[r.ID] = r
	}
	for _, w := range want {
		if got := byID[w.ID]; !reflect.DeepEqual(got, w) {
			t.Errorf("after export and parse %s = %+v, want %+v", w.ID, got, w)
		}
	}
}

func TestOrgFileReminderProblems(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		field string
		msg   string
	}{
		{"hours_after negative", base + "reminders:\n  - id: r\n    kind: still_clocked_in\n    hours_after: -1  # <-\n", "reminders[0].hours_after", "must be from 1 to 24 hours"},
		{"hours_after too long", base + "reminders:\n  - id: r\n    kind: still_clocked_in\n    hours_after: 30  # <-\n", "reminders[0].hours_after", "must be from 1 to 24 hours"},
		{"hours_after on another kind", base + "reminders:\n  - id: r\n    kind: punch_out\n    hours_after: 3  # <-\n", "reminders[0].hours_after", "only for still_clocked_in"},
		{"makeup_deadline without cron", base + "reminders:\n  - id: r  # <-\n    kind: makeup_deadline\n", "reminders[0].cron", "required for makeup_deadline"},
		{"text_en without text", base + "reminders:\n  - id: r\n    kind: punch_in\n    text_en: Bring your badge  # <-\n", "reminders[0].text_en", "needs text as well"},
		{"misspelt text_en", base + "reminders:\n  - id: r\n    kind: punch_in\n    text_eng: Bring your badge  # <-\n", "reminders[0].text_eng", `did you mean "text_en"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseOrg([]byte(tt.doc))
			fe := MustFileError(t, err)
			line := lineOf(t, tt.doc, "# <-")
			for _, p := range fe.Problems {
				if p.Line == line && p.Field == tt.field && strings.Contains(p.Message, tt.msg) {
					return
				}
			}
			t.Errorf("problems:\n%v\nwant line %d: %s: ...%s...", fe, line, tt.field, tt.msg)
		})
	}
}
