package bots

import (
	"strconv"

	"github.com/punchbot/punchbot/core"
)

// Shared text of the 撤回 / Withdraw button that each bot puts on the
// requester's own "submitted" answer (a Slack Block Kit button, a Feishu
// card button, a WeCom button_interaction card). A click runs the command
// a typed "请假 取消 12" runs, core.CmdMakeupCancel with the request's id,
// so the database decides: a pending request is withdrawn, an approved
// leave, trip or outing is withdrawn until it starts (销假), and anything
// else is answered with its state.

// WithdrawOffer returns the request a reply offers to withdraw: the
// request just filed (make-up, leave, trip or outing). ok is false for
// every other reply.
func WithdrawOffer(r core.Reply) (id int64, ok bool) {
	if r.Outcome != core.OutcomeMakeupFiled || r.Makeup == nil || r.Makeup.Request.ID <= 0 {
		return 0, false
	}
	return r.Makeup.Request.ID, true
}

// WithdrawLabel is the button's text.
func WithdrawLabel(lang string) string {
	return pick(lang, "撤回", "Withdraw")
}

// WithdrawHint says what the button does, next to it: what a click can
// still take back, and the typed command for whoever cannot tap, in the
// request's own words ("加班 取消 12", "leave cancel 12"), as the grammar
// reads them (grammar.go).
func WithdrawHint(id int64, t core.RequestType, lang string) string {
	typed := RequestWord(t, lang) + pick(lang, " 取消 ", " cancel ") + strconv.FormatInt(id, 10)
	if t == core.RequestLeave || t == core.RequestTrip || t == core.RequestOuting || t == core.RequestOvertime {
		return pick(lang, "点“撤回”撤回这个申请；获批后、开始前也可以撤回（销假）。也可以回复“"+typed+"”。",
			"Tap “Withdraw” to take this request back, even after approval until it starts; or reply “"+typed+"”.")
	}
	return pick(lang, "点“撤回”撤回这个申请（审批前有效）。也可以回复“"+typed+"”。",
		"Tap “Withdraw” to take this request back before it is decided; or reply “"+typed+"”.")
}

// RequestWord is the command word of a request type: 补卡, 请假, 出差,
// 外出, 加班 (makeup, leave, trip, outing, overtime). A field punch has no
// command of its own; the make-up's reaches it.
func RequestWord(t core.RequestType, lang string) string {
	switch t {
	case core.RequestLeave:
		return pick(lang, "请假", "leave")
	case core.RequestTrip:
		return pick(lang, "出差", "trip")
	case core.RequestOuting:
		return pick(lang, "外出", "outing")
	case core.RequestOvertime:
		return pick(lang, "加班", "overtime")
	}
	return pick(lang, "补卡", "makeup")
}

// WithdrawDoneLabel is the short state a clicked withdraw button gives way
// to (WeCom replace_name, a Feishu card header): withdrawn, already
// closed, or not withdrawn.
func WithdrawDoneLabel(r core.Reply, lang string) string {
	switch r.Outcome {
	case core.OutcomeMakeupCancelled:
		return pick(lang, "已撤回", "Withdrawn")
	case core.OutcomeMakeupClosed:
		if r.Makeup != nil && withdrawnByRequester(r.Makeup.Request) {
			return pick(lang, "已撤回", "Withdrawn")
		}
		return pick(lang, "已处理", "Already closed")
	}
	return pick(lang, "未撤回", "Not withdrawn")
}

func withdrawnByRequester(m core.MakeupRequest) bool {
	return m.Status == core.MakeupCancelled || (m.Status == core.MakeupRevoked && m.DecidedBy == m.EmployeeID)
}
