package bots

import (
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestNotEmployedTexts: a punch refused before joining or after leaving
// says why in the employee's language, and the day's word reads so too.
func TestNotEmployedTexts(t *testing.T) {
	r := core.Reply{Outcome: core.OutcomeRejected, Reasons: []string{core.ReasonNotEmployed}, Contact: "HR"}
	tests := []struct{ lang, got, want string }{
		{"zh", RejectReason(r, "zh"), "这一天不在你的在职期间（入职日之前或最后工作日之后），打卡不计入；如有疑问请联系 HR"},
		{"en", RejectReason(r, "en"), "this day is outside your employment (before your first or after your last working day), so the punch does not count; please contact HR"},
		{"zh word", DayStatusWord(core.DayNotEmployed, "zh"), "未在职"},
		{"en word", DayStatusWord(core.DayNotEmployed, "en"), "not employed"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.lang, tt.got, tt.want)
		}
	}
	if h := Headline(r, "zh"); !strings.Contains(h, "不在你的在职期间") {
		t.Errorf("zh headline = %q, want the reason", h)
	}
}
