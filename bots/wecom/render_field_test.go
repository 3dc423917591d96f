package wecom

import (
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestFieldPendingRenderReply: on WeCom (text replies) a field punch
// waiting for approval starts with the yellow mark and says it waits; an
// accepted one promises no approval; neither has the green tick.
func TestFieldPendingRenderReply(t *testing.T) {
	base := core.Reply{Kind: core.KindIn, Lang: "zh", TimeZone: "Asia/Shanghai", At: time.Date(2026, 12, 3, 0, 50, 0, 0, time.UTC), SiteName: "望京SOHO", DistanceM: 1200, RadiusM: 300}
	tests := []struct {
		outcome   core.Outcome
		reasons   []string
		want, not []string
	}{
		{core.OutcomeFieldPending, nil, []string{"🟡 外勤上班打卡已提交", "等待", "审批通过前不计入考勤"}, []string{"✅"}},
		{core.OutcomeField, nil, []string{"🟡 外勤上班打卡已记录 08:50"}, []string{"✅", "审批"}},
		{core.OutcomeRepeat, []string{core.ReasonOutOfRange, core.ReasonFieldInPending}, []string{"🟡 你的外勤上班打卡正在等待审批", "不重复提交"}, []string{"✅"}},
	}
	for _, tc := range tests {
		r := base
		r.Outcome, r.Reasons = tc.outcome, tc.reasons
		got := RenderReply(r, "zh")
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", tc.outcome, got, w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(got, n) {
				t.Errorf("%s: %q has %q", tc.outcome, got, n)
			}
		}
	}
}
