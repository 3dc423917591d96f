package bots

import (
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestRepliesSayWhatToDoNext: an out-of-range refusal says to share the
// location again on arrival or file a make-up; an inactive account is
// told nothing is recorded or shown, whatever it asked; a punch delivered
// late says which time it counts at.
func TestRepliesSayWhatToDoNext(t *testing.T) {
	far := core.Reply{Outcome: core.OutcomeRejected, Kind: core.KindIn, Reasons: []string{core.ReasonOutOfRange}, SiteName: "望京SOHO", DistanceM: 1500, RadiusM: 200}
	inactive := core.Reply{Outcome: core.OutcomeInactive, Contact: "HR"}
	late := core.Reply{Outcome: core.OutcomeAccepted, Kind: core.KindOut, TimeZone: "Asia/Shanghai", Flags: []string{core.FlagOfflineDelay}}
	tests := []struct {
		name  string
		reply core.Reply
		lang  string
		want  string
	}{
		{"out of range, zh", far, "zh", "❌ 上班打卡未记录：不在打卡范围内：距 望京SOHO 1.5 km，允许 200 m。到达后请重新发送位置；如因公在外，请申请补卡（发送“补卡”）"},
		{"out of range, en", far, "en", "❌ Clock-in not recorded: outside the punch area: 1.5 km from 望京SOHO, allowed 200 m. Share your location again once you are there; working elsewhere on business? Request a make-up (send “makeup”)"},
		{"inactive, zh", inactive, "zh", "你的账号已停用，无法打卡或查询，什么也没有记录。如有疑问请联系 HR。"},
		{"inactive, en", inactive, "en", "Your account is inactive: punchbot records and shows nothing for it. Please contact HR."},
	}
	for _, tt := range tests {
		if got := Headline(tt.reply, tt.lang); got != tt.want {
			t.Errorf("%s: Headline =\n%q\nwant\n%q", tt.name, got, tt.want)
		}
	}
	for lang, want := range map[string]string{"zh": "⚠️ 离线延迟送达，按发送时间记录", "en": "⚠️ delivered late (offline), counted at the time it was sent"} {
		if got := Headline(late, lang); !strings.HasSuffix(got, want) {
			t.Errorf("offline punch, %s: Headline = %q, want it to end %q", lang, got, want)
		}
	}
}
