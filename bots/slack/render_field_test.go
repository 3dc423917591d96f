package slack

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestFieldPendingReply: a field punch waiting for approval is answered in
// yellow and says it waits; an accepted one promises no approval.
func TestFieldPendingReply(t *testing.T) {
	base := core.Reply{Kind: core.KindIn, TimeZone: "America/New_York", At: time.Date(2026, 12, 3, 13, 50, 0, 0, time.UTC), SiteName: "HQ", DistanceM: 1900, RadiusM: 200}
	tests := []struct {
		outcome   core.Outcome
		lang      string
		want, not []string
	}{
		{core.OutcomeFieldPending, "en", []string{"🟡 Field clock-in submitted", "waiting for approval", "it does not count until approved"}, []string{"✅"}},
		{core.OutcomeFieldPending, "zh", []string{"🟡 外勤上班打卡已提交", "等待", "审批"}, []string{"✅"}},
		{core.OutcomeField, "en", []string{"🟡 Field clock-in recorded"}, []string{"✅", "approval"}},
	}
	for _, tc := range tests {
		r := base
		r.Outcome = tc.outcome
		m := replyMessage(r, tc.lang)
		blocks, err := json.Marshal(m.Blocks)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(m.Text, w) || !strings.Contains(string(blocks), w) {
				t.Errorf("%s %s: text %q / blocks %s lack %q", tc.outcome, tc.lang, m.Text, blocks, w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(m.Text, n) || strings.Contains(string(blocks), n) {
				t.Errorf("%s %s: text %q / blocks %s have %q", tc.outcome, tc.lang, m.Text, blocks, n)
			}
		}
	}
}
