package bots

import (
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestStatusLineNotStarted: before the check-in window opens the status
// says the day has not started and when punching opens, never "in
// progress".
func TestStatusLineNotStarted(t *testing.T) {
	opens := time.Date(2026, 11, 25, 23, 0, 0, 0, time.UTC) // 07:00 in Shanghai
	day := func(st ...core.DayStatus) *core.DayResult {
		return &core.DayResult{Date: "2026-11-26", Workday: true, Statuses: st}
	}
	tests := []struct {
		name  string
		reply core.Reply
		lang  string
		want  string
	}{
		{"zh before the window", core.Reply{TimeZone: "Asia/Shanghai", Day: day(core.DayNotStarted), WindowOpens: opens}, "zh",
			"📋 2026-11-26：上班 —，下班 —；未开始（07:00 开始可以打卡）"},
		{"en before the window", core.Reply{TimeZone: "Asia/Shanghai", Day: day(core.DayNotStarted), WindowOpens: opens}, "en",
			"📋 2026-11-26: in —, out —; not started yet (punching opens at 07:00)"},
		{"without the window's time", core.Reply{TimeZone: "Asia/Shanghai", Day: day(core.DayNotStarted)}, "en",
			"📋 2026-11-26: in —, out —; not started yet"},
		{"in progress without a punch says what to do", core.Reply{TimeZone: "Asia/Shanghai", Day: day(core.DayInProgress)}, "zh",
			"📋 2026-11-26：上班 —，下班 —；进行中（还没有上班打卡，发送「上班」打卡）"},
		{"in progress without a punch, en", core.Reply{TimeZone: "Asia/Shanghai", Day: day(core.DayInProgress)}, "en",
			"📋 2026-11-26: in —, out —; in progress (not clocked in yet; send “in” to clock in)"},
		// A field clock-in waiting for approval opens the day: no "clock in".
		{"in progress with a field clock-in pending", core.Reply{TimeZone: "Asia/Shanghai", Day: day(core.DayInProgress, core.DayPendingApproval)}, "en",
			"📋 2026-11-26: in —, out —; in progress, pending approval"},
		{"worked time", core.Reply{TimeZone: "Asia/Shanghai", Day: &core.DayResult{Date: "2026-11-26", Workday: true,
			Statuses: []core.DayStatus{core.DayNormal}, WorkedMin: 22}}, "zh", "📋 2026-11-26：上班 —，下班 —；正常；工作 22 分钟"},
		{"in progress after the clock-in", core.Reply{TimeZone: "Asia/Shanghai", Day: &core.DayResult{Date: "2026-11-26", Workday: true,
			Statuses: []core.DayStatus{core.DayInProgress}, In: &core.Punch{At: opens.Add(2 * time.Hour)}}}, "zh",
			"📋 2026-11-26：上班 09:00，下班 —；进行中"},
	}
	for _, tt := range tests {
		if got := StatusLine(tt.reply, tt.lang); got != tt.want {
			t.Errorf("%s: StatusLine = %q, want %q", tt.name, got, tt.want)
		}
	}
	for _, lang := range []string{"zh", "en"} {
		if w := DayStatusWord(core.DayNotStarted, lang); w == "" || w == DayStatusWord(core.DayInProgress, lang) {
			t.Errorf("DayStatusWord(not_started, %s) = %q, want its own word", lang, w)
		}
	}
}

// TestNotUnderstoodPointsToHelp: text the bot cannot read is answered
// with the command that lists the others.
func TestNotUnderstoodPointsToHelp(t *testing.T) {
	tests := []struct {
		lang, want string
	}{
		{"zh", "没看懂“foo bar”。发送“帮助”查看可用命令。"},
		{"en", "Sorry, I did not understand “foo bar”. Send “help” to see the commands."},
	}
	for _, tt := range tests {
		if got := NotUnderstoodText("foo bar", tt.lang); got != tt.want {
			t.Errorf("NotUnderstoodText(%s) = %q, want %q", tt.lang, got, tt.want)
		}
		// The word it names is the help command.
		word := map[string]string{"zh": "帮助", "en": "help"}[tt.lang]
		if in := Parse(word); in.Kind != core.CmdHelp {
			t.Errorf("Parse(%q).Kind = %q, want help", word, in.Kind)
		}
	}
}
