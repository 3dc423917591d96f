package bots

import (
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

func TestWithdrawText(t *testing.T) {
	view := func(status core.MakeupStatus, decidedBy string) *core.MakeupView {
		return &core.MakeupView{Request: core.MakeupRequest{ID: 12, EmployeeID: "e1", Status: status, DecidedBy: decidedBy}}
	}
	tests := []struct {
		name   string
		reply  core.Reply
		offer  bool
		doneZH string
		doneEN string
		hintEN string // in the English hint, when offered
	}{
		{name: "filed", reply: core.Reply{Outcome: core.OutcomeMakeupFiled, Makeup: view(core.MakeupPending, "")}, offer: true,
			doneZH: "未撤回", doneEN: "Not withdrawn", hintEN: "makeup cancel 12"},
		{name: "filed without an id", reply: core.Reply{Outcome: core.OutcomeMakeupFiled, Makeup: &core.MakeupView{}}, doneZH: "未撤回", doneEN: "Not withdrawn"},
		{name: "withdrawn", reply: core.Reply{Outcome: core.OutcomeMakeupCancelled, Makeup: view(core.MakeupCancelled, "e1")}, doneZH: "已撤回", doneEN: "Withdrawn"},
		{name: "already withdrawn", reply: core.Reply{Outcome: core.OutcomeMakeupClosed, Makeup: view(core.MakeupCancelled, "e1")}, doneZH: "已撤回", doneEN: "Withdrawn"},
		{name: "withdrawn after approval", reply: core.Reply{Outcome: core.OutcomeMakeupClosed, Makeup: view(core.MakeupRevoked, "e1")}, doneZH: "已撤回", doneEN: "Withdrawn"},
		{name: "revoked by the approver", reply: core.Reply{Outcome: core.OutcomeMakeupClosed, Makeup: view(core.MakeupRevoked, "m1")}, doneZH: "已处理", doneEN: "Already closed"},
		{name: "rejected", reply: core.Reply{Outcome: core.OutcomeMakeupClosed, Makeup: view(core.MakeupRejected, "m1")}, doneZH: "已处理", doneEN: "Already closed"},
		{name: "started", reply: core.Reply{Outcome: core.OutcomeMakeupRefused, Makeup: view(core.MakeupApproved, "m1")}, doneZH: "未撤回", doneEN: "Not withdrawn"},
	}
	for _, tt := range tests {
		id, ok := WithdrawOffer(tt.reply)
		if ok != tt.offer || (ok && id != 12) {
			t.Errorf("%s: WithdrawOffer = %d, %v; want 12, %v", tt.name, id, ok, tt.offer)
		}
		if got := WithdrawDoneLabel(tt.reply, "zh"); got != tt.doneZH {
			t.Errorf("%s: WithdrawDoneLabel(zh) = %q, want %q", tt.name, got, tt.doneZH)
		}
		if got := WithdrawDoneLabel(tt.reply, "en"); got != tt.doneEN {
			t.Errorf("%s: WithdrawDoneLabel(en) = %q, want %q", tt.name, got, tt.doneEN)
		}
		if ok {
			if got := WithdrawHint(id, tt.reply.Makeup.Request.TypeOf(), "en"); !strings.Contains(got, tt.hintEN) {
				t.Errorf("%s: WithdrawHint = %q, want %q", tt.name, got, tt.hintEN)
			}
		}
	}
	for _, tt := range []struct {
		typ    core.RequestType
		zh, en string
	}{
		{core.RequestLeave, "请假 取消 7", "leave cancel 7"},
		{core.RequestTrip, "出差 取消 7", "trip cancel 7"},
		{core.RequestOuting, "外出 取消 7", "outing cancel 7"},
		{core.RequestOvertime, "加班 取消 7", "overtime cancel 7"},
		{core.RequestMakeup, "补卡 取消 7", "makeup cancel 7"},
		{core.RequestField, "补卡 取消 7", "makeup cancel 7"},
	} {
		zh, en := WithdrawHint(7, tt.typ, "zh"), WithdrawHint(7, tt.typ, "en")
		if !strings.Contains(zh, "“"+tt.zh+"”") || !strings.Contains(en, "“"+tt.en+"”") {
			t.Errorf("WithdrawHint(%s) = %q / %q, want %q / %q", tt.typ, zh, en, tt.zh, tt.en)
		}
		// The hint's typed command is one the grammar reads as the
		// withdrawal of request 7.
		for _, typed := range []string{tt.zh, tt.en} {
			in := Parse(typed)
			if got := ParseMakeup(in.Args); in.Verb != VerbMakeup || got.Action != MakeupCancel || got.Args.ID != 7 {
				t.Errorf("Parse(%q) = %+v / %+v, want the withdrawal of 7", typed, in, got)
			}
		}
	}
	// An approved overtime, like a leave, may be withdrawn until it
	// starts; a make-up only before it is decided.
	for _, tt := range []struct {
		typ  core.RequestType
		want string
	}{
		{core.RequestOvertime, "even after approval until it starts"},
		{core.RequestLeave, "even after approval until it starts"},
		{core.RequestMakeup, "before it is decided"},
	} {
		if got := WithdrawHint(7, tt.typ, "en"); !strings.Contains(got, tt.want) {
			t.Errorf("WithdrawHint(%s) = %q, want %q", tt.typ, got, tt.want)
		}
	}
}
