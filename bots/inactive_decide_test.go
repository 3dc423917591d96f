package bots

import (
	"testing"

	"github.com/punchbot/punchbot/core"
)

// A deactivated approver's card click is told no decision was made, not
// that a punch was refused; other commands keep the general answer.
func TestInactiveReplySaysWhatWasNotDone(t *testing.T) {
	tests := []struct {
		name string
		cmd  core.CommandKind
		lang string
		want string
	}{
		{"decide, zh", core.CmdMakeupDecide, "zh", "你的账号已停用，审批未处理，申请仍在等待审批。如有疑问请联系 HR。"},
		{"decide, en", core.CmdMakeupDecide, "en", "Your account is inactive: nothing was decided, and the request is still pending. Please contact HR."},
		{"punch, zh", core.CmdPunch, "zh", "你的账号已停用，无法打卡或查询，什么也没有记录。如有疑问请联系 HR。"},
		{"unknown kind, en", "", "en", "Your account is inactive: punchbot records and shows nothing for it. Please contact HR."},
	}
	for _, tt := range tests {
		r := core.Reply{Outcome: core.OutcomeInactive, Contact: "HR", Command: tt.cmd}
		if got := Headline(r, tt.lang); got != tt.want {
			t.Errorf("%s: Headline =\n%q\nwant\n%q", tt.name, got, tt.want)
		}
	}
}
