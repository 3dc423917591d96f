package bots

import (
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestSuggestNamesTheCommandOneSlipAway: a typo one character off a
// command (wrong, missing, extra, or two swapped) is answered with that
// command; text far from every command, one slip from two different
// commands, or a command itself gets no guess.
func TestSuggestNamesTheCommandOneSlipAway(t *testing.T) {
	tests := []struct{ text, want string }{
		{"上斑", "上班"},
		{"下斑", "下班"},
		{"状太", "状态"},
		{"记彔", "记录"},
		{"补咔", "补卡"},
		{"stauts", "status"},
		{"staus", "status"},
		{"clokc in", "clock in"},
		{"cloc out", "clock out"},
		{"hepl", "help"},
		{"histroy", "history"},
		{"Stauts!", "status"},
		{"dance", ""},
		{"上", ""},
		{"aaaa", ""},
		{"上班", ""},
		{"status", ""},
		{strings.Repeat("a", 100), ""},
	}
	for _, tt := range tests {
		if got := Suggest(tt.text); got != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.text, got, tt.want)
		}
		if tt.want != "" {
			if in := Parse(tt.want); in.Kind == "" && in.Verb == "" {
				t.Errorf("Suggest(%q) = %q, which is no command", tt.text, tt.want)
			}
		}
	}
}

// TestNotUnderstoodHelp: a message that is no command is answered with
// what was not understood, the guess for a slip, and the command list; a
// greeting or 帮助 gets the plain help, and other replies are untouched.
func TestNotUnderstoodHelp(t *testing.T) {
	help := core.Reply{Outcome: core.OutcomeHelp, EmployeeName: "阿丽", Lang: "zh"}
	tests := []struct {
		name, text string
		reply      core.Reply
		wantStart  string
	}{
		{"typo", "上斑", help, "没看懂“上斑”，你是想发“上班”吗？发送“帮助”查看可用命令。\n可用命令："},
		{"nonsense, English employee", "dance", core.Reply{Outcome: core.OutcomeHelp, Lang: "en"}, "Sorry, I did not understand “dance”. Send “help” to see the commands.\nCommands:"},
		{"greeting", "你好", help, "👋 阿丽，你好！\n可用命令："},
		{"help itself", "帮助", help, "👋 阿丽，你好！\n可用命令："},
		{"not a help reply", "上斑", core.Reply{Outcome: core.OutcomeRateLimited, Lang: "zh", RetryAfter: 5e9}, "操作太频繁，请 5 秒后再试。"},
	}
	for _, tt := range tests {
		if got := NotUnderstoodHelp(tt.reply, tt.text, ""); !strings.HasPrefix(got, tt.wantStart) {
			t.Errorf("%s: NotUnderstoodHelp = %q, want it to start %q", tt.name, got, tt.wantStart)
		}
	}
}
