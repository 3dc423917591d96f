package bots

import (
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestUnknownUserIsGivenTheirID: someone the org file does not know is
// told whom to ask and the exact platform id to hand over, which is what
// HR must add.
func TestUnknownUserIsGivenTheirID(t *testing.T) {
	tests := []struct {
		reply core.Reply
		lang  string
		want  string
	}{
		{core.Reply{Outcome: core.OutcomeUnknownUser, Platform: core.PlatformFeishu, Contact: "HR", ActorID: "ou_7d8a"}, "zh",
			"你的账号还没有登记到 punchbot，请联系 HR 把你加入组织名单。请告诉对方你的飞书用户 ID：ou_7d8a"},
		{core.Reply{Outcome: core.OutcomeUnknownUser, Platform: core.PlatformSlack, Contact: "HR", ActorID: "U024BE7LH"}, "en",
			"Your account is not registered with punchbot yet. Please ask HR to add you to the organisation file. Give them your Slack user ID: U024BE7LH"},
		{core.Reply{Outcome: core.OutcomeUnknownUser, Platform: core.PlatformWeCom, Contact: "HR"}, "zh",
			"你的账号还没有登记到 punchbot，请联系 HR 把你加入组织名单。"},
	}
	for _, tt := range tests {
		if got := Headline(tt.reply, tt.lang); got != tt.want {
			t.Errorf("Headline =\n%q\nwant\n%q", got, tt.want)
		}
	}
}

// TestNightShiftPunchNamesItsShift: a clock-out after midnight says which
// day's shift it counts for; one on the shift's own date does not.
func TestNightShiftPunchNamesItsShift(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	out := core.Reply{Outcome: core.OutcomeAccepted, Kind: core.KindOut, TimeZone: "Asia/Shanghai",
		At: time.Date(2026, 11, 26, 6, 5, 0, 0, sh), ShiftDate: "2026-11-25"}
	in := core.Reply{Outcome: core.OutcomeAccepted, Kind: core.KindIn, TimeZone: "Asia/Shanghai",
		At: time.Date(2026, 11, 25, 21, 55, 0, 0, sh), ShiftDate: "2026-11-25"}
	tests := []struct {
		reply      core.Reply
		lang, want string
	}{
		{out, "zh", "✅ 下班打卡成功 06:05（计入 11-25 的班次）"},
		{out, "en", "✅ Clock-out recorded at 06:05 (for the 11-25 shift)"},
		{in, "zh", "✅ 上班打卡成功 21:55"},
	}
	for _, tt := range tests {
		if got := Headline(tt.reply, tt.lang); got != tt.want {
			t.Errorf("Headline = %q, want %q", got, tt.want)
		}
	}
}
