package bots

import (
	"strings"
	"testing"
	"time"

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

// TestLaterClockOutWording: a clock-out that replaces the shift's earlier
// one says the last counts; one delivered late with an earlier time says
// it changes nothing and shows no early leave or make-up hint.
func TestLaterClockOutWording(t *testing.T) {
	sh := time.FixedZone("CST", 8*3600)
	updated := core.Reply{Outcome: core.OutcomeAccepted, Kind: core.KindOut, TimeZone: "Asia/Shanghai", At: time.Date(2026, 11, 26, 18, 10, 0, 0, sh),
		ShiftDate: "2026-11-26", Reasons: []string{core.ReasonOutUpdated}}
	superseded := core.Reply{Outcome: core.OutcomeAccepted, Kind: core.KindOut, TimeZone: "Asia/Shanghai", At: time.Date(2026, 11, 26, 16, 0, 0, 0, sh),
		ShiftDate: "2026-11-26", Reasons: []string{core.ReasonOutSuperseded}, TimeResult: core.TimeEarly, EarlyMin: 120, Flags: []string{core.FlagOfflineDelay}}
	tests := []struct {
		r          core.Reply
		lang, want string
	}{
		{updated, "zh", "✅ 下班打卡成功 18:10（已更新本班次的下班时间，以最后一次为准）"},
		{updated, "en", "✅ Clock-out recorded at 18:10 (replaces this shift's earlier clock-out; the last one counts)"},
		{superseded, "zh", "✅ 下班打卡成功 16:00（本班次已有更晚的下班打卡，以最后一次为准，本次不改变考勤） ⚠️ 离线延迟送达，按发送时间记录"},
	}
	for _, tt := range tests {
		if got := Headline(tt.r, tt.lang); got != tt.want {
			t.Errorf("Headline =\n%q\nwant\n%q", got, tt.want)
		}
	}
	// The console names these reasons in words, not codes.
	for _, reason := range []string{core.ReasonOutUpdated, core.ReasonOutSuperseded, core.ReasonNotIn} {
		if got := RejectReason(core.Reply{Reasons: []string{reason}}, "zh"); got == reason {
			t.Errorf("RejectReason(%s) = the code itself", reason)
		}
	}
}
