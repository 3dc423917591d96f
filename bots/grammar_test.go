package bots

import (
	"testing"

	"github.com/punchbot/punchbot/core"
)

// kindOf names what an intent asks for, in the words of the table below:
// in, out, auto (a punch), status, help, confirm, decline, makeup, leave,
// trip, outing, admin, mydata, or "" when it is no command.
func kindOf(in Intent) string {
	switch {
	case in.Kind == core.CmdPunch && in.Punch == core.KindIn:
		return "in"
	case in.Kind == core.CmdPunch && in.Punch == core.KindOut:
		return "out"
	case in.Kind == core.CmdPunch:
		return "auto"
	case in.Kind == core.CmdLeave:
		return in.Verb
	case in.Kind != "":
		return string(in.Kind)
	}
	return in.Verb
}

func TestParseGrammar(t *testing.T) {
	tests := []struct {
		text, want string
		args       string // the arguments, when the command takes some
		lang       string // "" skips the check
	}{
		// Commands and their aliases.
		{text: "上班", want: "in", lang: "zh"},
		{text: "上班打卡", want: "in"},
		{text: "打卡上班", want: "in"},
		{text: "签到", want: "in"},
		{text: "上班签到", want: "in"},
		{text: "in", want: "in", lang: "en"},
		{text: "IN", want: "in"},
		{text: "Clock in", want: "in"},
		{text: "clock-in", want: "in"},
		{text: "punch in", want: "in"},
		{text: "check-in", want: "in"},
		{text: "checkin", want: "in"},
		{text: "下班", want: "out"},
		{text: "下班打卡", want: "out"},
		{text: "签退", want: "out"},
		{text: "out", want: "out"},
		{text: "Clock Out", want: "out"},
		{text: "punch-out", want: "out"},
		{text: "checkout", want: "out"},
		{text: "打卡", want: "auto"},
		{text: "punch", want: "auto"},
		{text: "帮我打个卡", want: "auto"},
		{text: "状态", want: "status"},
		{text: "查询", want: "status"},
		{text: "今天", want: "status"},
		{text: "status", want: "status"},
		{text: "today", want: "status"},
		{text: "帮助", want: "help"},
		{text: "help", want: "help"},
		// First contact: a greeting is answered with the commands.
		{text: "你好", want: "help", lang: "zh"},
		{text: "您好！", want: "help"},
		{text: "hello", want: "help", lang: "en"},
		{text: "Hi!", want: "help"},
		{text: "@_user_1 你好", want: "help"},
		// The last seven days.
		{text: "记录", want: "history", lang: "zh"},
		{text: "打卡记录", want: "history"},
		{text: "本周", want: "history"},
		{text: "这周记录", want: "history"},
		{text: "本周？", want: "history"},
		{text: "history", want: "history", lang: "en"},
		{text: "this week", want: "history"},
		{text: "This week?", want: "history"},
		{text: "my records", want: "history"},
		{text: "?", want: "help"},
		{text: "？", want: "help"},
		{text: "菜单", want: "help"},
		// Chat filler around a command.
		{text: "上班了", want: "in"},
		{text: "上班打卡了", want: "in"},
		{text: "我要下班了", want: "out"},
		{text: "下班啦", want: "out"},
		{text: "今天 上班", want: "in"},
		{text: "please clock in", want: "in"},
		{text: "clock me in", want: "in"},
		{text: "I'm clocking out", want: "out"},
		{text: "in please", want: "in"},
		// Questions about one's own state are the status.
		{text: "上班了吗", want: "status"},
		{text: "打卡了没", want: "status"},
		{text: "我打卡了吗", want: "status"},
		{text: "今天打卡了没有？", want: "status"},
		{text: "我下班打卡成功了吗", want: "status"},
		{text: "有没有打卡", want: "status"},
		{text: "签到了么", want: "status"},
		{text: "上班？", want: "status"},
		{text: "did I clock in", want: "status"},
		{text: "Did I clock in?", want: "status"},
		{text: "have I punched out?", want: "status"},
		{text: "am I clocked in", want: "status"},
		{text: "clocked in?", want: "status"},
		{text: "status?", want: "status"},
		{text: "help?", want: "help"},
		// Negations are not punches.
		{text: "不打卡", want: ""},
		{text: "没上班", want: ""},
		{text: "我还没打卡", want: ""},
		{text: "今天不上班", want: ""},
		{text: "不用打卡", want: ""},
		{text: "别忘了打卡", want: ""},
		{text: "don't clock in", want: ""},
		{text: "not in today", want: ""},
		{text: "I didn't punch out", want: ""},
		// Punctuation and full-width forms.
		{text: "上班！", want: "in"},
		{text: "下班。", want: "out"},
		{text: "「打卡」", want: "auto"},
		{text: "in!", want: "in"},
		{text: "out.", want: "out"},
		{text: "ｉｎ", want: "in"},
		{text: "ＯＵＴ", want: "out"},
		{text: "上班　打卡", want: "in"},
		{text: "ＯＫ", want: "confirm"},
		{text: "补卡　１１-２５　０９：００　上班　地铁故障", want: "makeup", args: "11-25 09:00 上班 地铁故障"},
		// Mentions, slash commands.
		{text: "<@U123> 上班", want: "in", lang: "zh"},
		{text: "<@U123|punchbot> clock out", want: "out", lang: "en"},
		{text: "<@U123>上班", want: "in"},
		{text: "@_user_1 上班", want: "in"},
		{text: "@_user_1 in", want: "in", lang: "en"},
		{text: "上班 @_user_1", want: "in"},
		{text: "@打卡助手 下班", want: "out"},
		{text: "@打卡助手\u2005下班", want: "out"},
		{text: "@打卡助手 in", want: "in", lang: "en"},
		{text: "/punch in", want: "in"},
		// Confirmation of a waiting clock-out, and its refusal.
		{text: "确认", want: "confirm"},
		{text: "确认下班", want: "confirm"},
		{text: "确认 下班", want: "confirm"},
		{text: "confirm", want: "confirm"},
		{text: "Confirm clock out", want: "confirm"},
		{text: "yes", want: "confirm"},
		{text: "取消", want: "decline"},
		{text: "cancel", want: "decline"},
		{text: "打卡 取消", want: "decline"},
		{text: "下班 取消", want: "decline"},
		{text: "取消打卡", want: "decline"},
		{text: "cancel punch", want: "decline"},
		// Another command after a punch word is neither.
		{text: "打卡 状态", want: ""},
		// Verbs with arguments.
		{text: "补卡 11-25 09:00 上班 地铁故障", want: "makeup", args: "11-25 09:00 上班 地铁故障"},
		{text: "补卡 11-25 09:00 上班 忘了吗", want: "makeup", args: "11-25 09:00 上班 忘了吗"},
		{text: "makeup cancel", want: "makeup", args: "cancel"},
		{text: "补卡", want: "makeup", args: ""},
		{text: "管理", want: "admin"},
		{text: "my data", want: "mydata"},
		{text: "请假 2026-12-03 全天 年假 家里有事", want: "leave", args: "2026-12-03 全天 年假 家里有事"},
		{text: "请假", want: "leave"},
		{text: "休假 12-03", want: "leave", args: "12-03"},
		{text: "leave 2026-12-03 annual moving", want: "leave", args: "2026-12-03 annual moving", lang: "en"},
		{text: "出差 12-04..12-06 上海 客户", want: "trip", args: "12-04..12-06 上海 客户"},
		{text: "trip 12-04..12-06 Shanghai", want: "trip", args: "12-04..12-06 Shanghai"},
		{text: "business trip 12-04", want: "trip", args: "12-04"},
		{text: "外出 14:00-16:00 客户拜访", want: "outing", args: "14:00-16:00 客户拜访"},
		{text: "outing 14:00-16:00 client", want: "outing", args: "14:00-16:00 client"},
		{text: "<@U1> leave 12-03 sick", want: "leave", args: "12-03 sick"},
		// Withdrawing or deciding a leave is the request engine's command.
		{text: "请假 取消 12", want: "makeup", args: "取消 12"},
		{text: "出差 撤回", want: "makeup", args: "撤回"},
		{text: "leave cancel #3", want: "makeup", args: "cancel #3"},
		{text: "outing approve 5", want: "makeup", args: "approve 5"},
		// A decision on any request by its number.
		{text: "同意 12", want: "makeup", args: "同意 12"},
		{text: "驳回 #12 时间不对", want: "makeup", args: "驳回 #12 时间不对"},
		{text: "approve 12", want: "makeup", args: "approve 12"},
		{text: "reject 12 wrong day", want: "makeup", args: "reject 12 wrong day"},
		// A decision word alone: the request engine answers with its usage.
		{text: "驳回", want: "makeup", args: "驳回"},
		{text: "同意", want: "makeup", args: "同意"},
		{text: "reject", want: "makeup", args: "reject", lang: "en"},
		{text: "Approve", want: "makeup", args: "Approve", lang: "en"},
		{text: "驳回？", want: "makeup", args: "驳回"},
		{text: "同意 你说的", want: ""},
		// Free text is nothing.
		{text: "", want: ""},
		{text: "地铁故障", want: ""},
		{text: "see you tomorrow", want: ""},
		// Mixed languages and doubled words: the same punch said twice.
		{text: "打卡 in", want: "in"},
		{text: "下班 out", want: "out"},
		{text: "in 上班", want: "in"},
		{text: "clock in 上班", want: "in"},
		{text: "签到 in", want: "in"},
		{text: "打卡 下班 谢谢", want: "out", args: "谢谢"},
		{text: "上班 out", want: ""},
		{text: "status 状态", want: "status"},
		// A greeting before a command does not change it.
		{text: "你好，上班", want: "in"},
		{text: "嗨 下班", want: "out"},
		{text: "hi, in", want: "in"},
		{text: "hello there", want: "help"},
		{text: "早上好", want: "help"},
		{text: "你好 地铁故障", want: ""},
		// Filler around status and history.
		{text: "帮我看看状态", want: "status"},
		{text: "查一下状态", want: "status"},
		{text: "我的记录", want: "history"},
		{text: "今天的记录", want: "history"},
		{text: "what's my status", want: "status"},
		{text: "show my history", want: "history"},
	}
	if len(tests) < 80 {
		t.Fatalf("the grammar table has %d phrases, want at least 80", len(tests))
	}
	for _, tt := range tests {
		got := Parse(tt.text)
		if k := kindOf(got); k != tt.want {
			t.Errorf("Parse(%q) = %q (%+v), want %q", tt.text, k, got, tt.want)
			continue
		}
		if tt.args != "" && got.Args != tt.args {
			t.Errorf("Parse(%q).Args = %q, want %q", tt.text, got.Args, tt.args)
		}
		if tt.lang != "" && got.Lang != tt.lang {
			t.Errorf("Parse(%q).Lang = %q, want %q", tt.text, got.Lang, tt.lang)
		}
	}
}

// FuzzParse: any text parses without panicking, in one of the two
// languages, to a kind the bots route.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"上班", "did I clock in?", "<@U1> 请假 12-03", "＠_user_1 ＯＫ", "打卡 取消", "补卡 11-25 09:00 上班 x", "?", "\u3000", "@", "<@", "驳回 #1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		in := Parse(text)
		if in.Lang != "zh" && in.Lang != "en" {
			t.Fatalf("Parse(%q).Lang = %q", text, in.Lang)
		}
		switch in.Kind {
		case "", core.CmdPunch, core.CmdStatus, core.CmdHistory, core.CmdHelp, core.CmdConfirm, core.CmdDecline, core.CmdLeave:
		default:
			t.Fatalf("Parse(%q).Kind = %q", text, in.Kind)
		}
		if in.Kind == core.CmdPunch && in.Punch != "" && in.Punch != core.KindIn && in.Punch != core.KindOut {
			t.Fatalf("Parse(%q).Punch = %q", text, in.Punch)
		}
		if in.Garbled && (in.Kind != "" || in.Verb != "") {
			t.Fatalf("Parse(%q) = %+v: garbled text taken as a command", text, in)
		}
		// The answer to anything not understood is clean text, whatever
		// it quotes, and a guess is always a command.
		if reply := NotUnderstoodText(text, in.Lang); core.TextProblem(reply) != "" {
			t.Fatalf("NotUnderstoodText(%q) = %q: %s", text, reply, core.TextProblem(reply))
		}
		if g := Suggest(text); g != "" && Parse(g).Kind == "" && Parse(g).Verb == "" {
			t.Fatalf("Suggest(%q) = %q, no command", text, g)
		}
	})
}
