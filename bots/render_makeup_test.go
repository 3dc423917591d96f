package bots

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/punchbot/punchbot/core"
)

// TestPunchReplySpellsOutTheMakeup: a late, early or missing punch is
// answered with the exact 补卡 command for its slot, in the employee's
// language and time zone, in the words the make-up grammar reads back; a
// punch with nothing to make up gets no hint.
func TestPunchReplySpellsOutTheMakeup(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	at := func(h, m int) time.Time { return time.Date(2026, 11, 25, h, m, 0, 0, sh) }
	late := core.Reply{Outcome: core.OutcomeAccepted, Kind: core.KindIn, TimeZone: "Asia/Shanghai", At: at(9, 20), ShiftDate: "2026-11-25",
		TimeResult: core.TimeLate, LateMin: 20, SlotKind: core.KindIn, SlotAt: at(9, 0)}
	noIn := core.Reply{Outcome: core.OutcomeAccepted, Kind: core.KindOut, TimeZone: "Asia/Shanghai", At: at(18, 5), ShiftDate: "2026-11-25",
		Reasons: []string{core.ReasonNotIn}, SlotKind: core.KindIn, SlotAt: at(9, 0)}
	early := core.Reply{Outcome: core.OutcomeAccepted, Kind: core.KindOut, TimeZone: "America/New_York", At: at(9, 20), ShiftDate: "2026-11-24",
		TimeResult: core.TimeEarly, EarlyMin: 520, SlotKind: core.KindOut, SlotAt: at(7, 0)}
	onTime := core.Reply{Outcome: core.OutcomeAccepted, Kind: core.KindIn, TimeZone: "Asia/Shanghai", At: at(8, 58), ShiftDate: "2026-11-25"}
	tests := []struct {
		name  string
		reply core.Reply
		lang  string
		want  string
	}{
		{"late, zh", late, "zh", "✅ 上班打卡成功 09:20（迟到 20 分钟）\n如需补卡，请发送：「补卡 2026-11-25 09:00 上班 <原因>」"},
		{"late, en", late, "en", "✅ Clock-in recorded at 09:20 (20 min late)\nTo request a make-up, send: “makeup 2026-11-25 09:00 in <reason>”"},
		{"no clock-in, zh", noIn, "zh", "✅ 下班打卡成功 18:05（本班次没有上班打卡）\n如需补卡，请发送：「补卡 2026-11-25 09:00 上班 <原因>」"},
		// New York: 09:20 Shanghai is 20:20 the day before; the slot is 18:00 there.
		{"early, en, the employee's zone", early, "en", "✅ Clock-out recorded at 20:20 (8 h 40 min early)\nTo request a make-up, send: “makeup 2026-11-24 18:00 out <reason>”"},
		{"on time: no hint", onTime, "zh", "✅ 上班打卡成功 08:58"},
	}
	for _, tt := range tests {
		if got := Headline(tt.reply, tt.lang); got != tt.want {
			t.Errorf("%s: Headline =\n%q\nwant\n%q", tt.name, got, tt.want)
		}
	}
	// The hint is a command the grammar reads back as that very make-up.
	for _, lang := range []string{"zh", "en"} {
		hint := PunchMakeupHint(late, lang)
		cmd := hint[strings.IndexAny(hint, "「“")+len("「") : strings.LastIndexAny(hint, "」”")]
		cmd = strings.NewReplacer("<原因>", "地铁故障", "<reason>", "subway").Replace(cmd)
		in := Parse(cmd)
		m := ParseMakeup(in.Args)
		if in.Verb != VerbMakeup || m.Problem != "" || m.Args.Date != "2026-11-25" || m.Args.Clock != "09:00" || m.Args.Kind != core.KindIn {
			t.Errorf("%s: %q parses as %+v / %+v, want a make-up for 2026-11-25 09:00 in", lang, cmd, in, m)
		}
	}
}

// TestMinutesReadLikeSpeech: long spans are hours and minutes, as
// attendance apps show them ("早退 8 小时 40 分钟"), not "520 分钟".
func TestMinutesReadLikeSpeech(t *testing.T) {
	tests := []struct {
		min    int
		zh, en string
	}{
		{1, "1 分钟", "1 min"},
		{59, "59 分钟", "59 min"},
		{60, "1 小时", "1 h"},
		{120, "2 小时", "2 h"},
		{520, "8 小时 40 分钟", "8 h 40 min"},
	}
	for _, tt := range tests {
		if got := Minutes(tt.min, "zh"); got != tt.zh {
			t.Errorf("Minutes(%d, zh) = %q, want %q", tt.min, got, tt.zh)
		}
		if got := Minutes(tt.min, "en"); got != tt.en {
			t.Errorf("Minutes(%d, en) = %q, want %q", tt.min, got, tt.en)
		}
	}
}

// TestNotUnderstoodQuotesBriefly: the reply to text the bot cannot read
// quotes at most 40 characters of it, on one line, so a pasted page or an
// oversized message never buries the answer or pushes it past a
// platform's message limit.
func TestNotUnderstoodQuotesBriefly(t *testing.T) {
	tests := []struct {
		name, text, wantQuote string
	}{
		{"short", "dance", "dance"},
		{"oversized", strings.Repeat("a", 10000), strings.Repeat("a", 39) + "…"},
		{"Chinese, cut by characters", strings.Repeat("打", 50), strings.Repeat("打", 39) + "…"},
		{"line breaks", "上斑\n\n了", "上斑 了"},
	}
	for _, tt := range tests {
		got := NotUnderstoodText(tt.text, "en")
		want := "Sorry, I did not understand “" + tt.wantQuote + "”. Send “help” to see the commands."
		if got != want {
			t.Errorf("%s: NotUnderstoodText = %q, want %q", tt.name, got, want)
		}
		if !utf8.ValidString(got) || strings.ContainsRune(got, 0) {
			t.Errorf("%s: reply %q is not clean text", tt.name, got)
		}
	}
}

// TestGarbledTextIsNoCommand: text with NUL or other control characters
// or broken UTF-8 is no command, however much of one it spells ("上班\x00"
// is not a clock-in), and the reply says so in the user's language,
// quoting it with the bad characters marked, never carrying them. A quote
// of such text (all a Feishu route keeps of it) is still garbled.
func TestGarbledTextIsNoCommand(t *testing.T) {
	tests := []struct {
		name, text, lang, want string
	}{
		{"NUL after a command", "上班\x00", "zh", "你的消息里有无法识别的字符（如 NUL 或乱码）：“上班\uFFFD”。没有执行任何操作，也没有记录，请重新输入。"},
		{"only NUL", "\x00\x00", "en", "Your message has characters I cannot read (such as NUL or broken encoding): “\uFFFD\uFFFD”. Nothing was done or recorded; please type it again."},
		{"broken UTF-8", "in\xff", "en", "Your message has characters I cannot read (such as NUL or broken encoding): “in\uFFFD”. Nothing was done or recorded; please type it again."},
		{"escape sequence", "out\x1b[2J", "en", "Your message has characters I cannot read (such as NUL or broken encoding): “out\uFFFD[2J”. Nothing was done or recorded; please type it again."},
	}
	for _, tt := range tests {
		in := Parse(tt.text)
		if !in.Garbled || in.Kind != "" || in.Verb != "" || !NotUnderstood(tt.text) {
			t.Errorf("%s: Parse = %+v, want a garbled non-command", tt.name, in)
		}
		got := NotUnderstoodText(tt.text, tt.lang)
		if got != tt.want {
			t.Errorf("%s: NotUnderstoodText =\n%q\nwant\n%q", tt.name, got, tt.want)
		}
		if core.TextProblem(got) != "" {
			t.Errorf("%s: reply %q %s", tt.name, got, core.TextProblem(got))
		}
		if q := Quote(tt.text); !Garbled(q) || !NotUnderstood(q) || core.TextProblem(q) != "" || NotUnderstoodText(q, tt.lang) != tt.want {
			t.Errorf("%s: the quote %q is not kept garbled and clean", tt.name, q)
		}
	}
	// Tabs and line breaks are ordinary text.
	if in := Parse("上班\t\n"); in.Garbled || in.Kind != core.CmdPunch {
		t.Errorf("Parse(上班 with a tab and a newline) = %+v, want a clock-in", in)
	}
}
