package bots

import (
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestHistoryText: 记录 / this week lists each of the seven days in the
// employee's language and time zone (a day off with nothing on it in one
// word, a holiday by name), totals the days at work, the time worked and
// what went wrong, and ends with the 补卡 command of the latest gap.
func TestHistoryText(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	at := func(d, h, m int) *core.Punch { return &core.Punch{At: time.Date(2026, 11, d, h, m, 0, 0, ny)} }
	days := []core.DayResult{
		{Date: "2026-11-19", Workday: true, Statuses: []core.DayStatus{core.DayNormal}, In: at(19, 8, 58), Out: at(19, 18, 2), WorkedMin: 544},
		{Date: "2026-11-20", Workday: true, Statuses: []core.DayStatus{core.DayLate}, In: at(20, 9, 20), Out: at(20, 18, 0), LateMin: 20, WorkedMin: 520},
		{Date: "2026-11-21", Statuses: []core.DayStatus{core.DayRest}},
		{Date: "2026-11-22", Statuses: []core.DayStatus{core.DayRest}},
		{Date: "2026-11-23", Workday: true, Statuses: []core.DayStatus{core.DayMissingIn}, Out: at(23, 18, 5)},
		{Date: "2026-11-24", Workday: true, Statuses: []core.DayStatus{core.DayAbsent}},
		{Date: "2026-11-25", Holiday: "Thanksgiving", Statuses: []core.DayStatus{core.DayHoliday}},
	}
	r := core.Reply{Outcome: core.OutcomeStatus, TimeZone: "America/New_York", Days: days,
		ShiftDate: "2026-11-24", SlotKind: core.KindIn, SlotAt: time.Date(2026, 11, 24, 9, 0, 0, 0, ny)}
	tests := []struct {
		lang, want string
	}{
		{"en", "📋 Last 7 days (11-19 to 11-25)\n" +
			"Thu 11-19: in 08:58, out 18:02; normal\n" +
			"Fri 11-20: in 09:20, out 18:00; late\n" +
			"Sat 11-21: rest day\n" +
			"Sun 11-22: rest day\n" +
			"Mon 11-23: in —, out 18:05; missing clock-in\n" +
			"Tue 11-24: in —, out —; absent\n" +
			"Wed 11-25: holiday (Thanksgiving)\n" +
			"Total: 3 days at work, 17 h 44 min worked; late 1×, missing clock-in 1×, absent 1×\n" +
			"To request a make-up, send: “makeup 2026-11-24 09:00 in <reason>”"},
		{"zh", "📋 最近 7 天（11-19 至 11-25）\n" +
			"周四 11-19：上班 08:58，下班 18:02；正常\n" +
			"周五 11-20：上班 09:20，下班 18:00；迟到\n" +
			"周六 11-21：休息日\n" +
			"周日 11-22：休息日\n" +
			"周一 11-23：上班 —，下班 18:05；上班缺卡\n" +
			"周二 11-24：上班 —，下班 —；旷工\n" +
			"周三 11-25：节假日（Thanksgiving）\n" +
			"合计：出勤 3 天，工作 17 小时 44 分钟；迟到 1 次、上班缺卡 1 次、旷工 1 次\n" +
			"如需补卡，请发送：「补卡 2026-11-24 09:00 上班 <原因>」"},
	}
	for _, tt := range tests {
		if got := Headline(r, tt.lang); got != tt.want {
			t.Errorf("%s: Headline =\n%s\nwant\n%s", tt.lang, got, tt.want)
		}
	}
	// A clean week has no make-up line.
	clean := core.Reply{Outcome: core.OutcomeStatus, TimeZone: "America/New_York", Days: []core.DayResult{days[0], days[2]}, ShiftDate: "2026-11-21"}
	if got := Headline(clean, "en"); strings.Contains(got, "make-up") || !strings.HasSuffix(got, "Total: 1 day at work, 9 h 4 min worked") {
		t.Errorf("clean week = %q, want totals and no make-up line", got)
	}
}

// TestHelpGreetsByName: a greeting or a first message gets the commands,
// addressed to the person the org file knows; an unknown sender gets the
// plain list elsewhere (its reply has no name).
func TestHelpGreetsByName(t *testing.T) {
	tests := []struct {
		name, lang, wantStart string
	}{
		{"阿丽", "zh", "👋 阿丽，你好！\n可用命令："},
		{"Bob", "en", "👋 Hi Bob!\nCommands:"},
		{"", "en", "Commands:"},
	}
	for _, tt := range tests {
		got := Headline(core.Reply{Outcome: core.OutcomeHelp, EmployeeName: tt.name, Lang: tt.lang}, "")
		if !strings.HasPrefix(got, tt.wantStart) || !strings.Contains(got, pick(tt.lang, "记录 / 本周", "history / this week")) {
			t.Errorf("help for %q = %q, want it to start %q and list the history command", tt.name, got, tt.wantStart)
		}
	}
}
