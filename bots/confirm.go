package bots

import (
	"fmt"
	"slices"

	"github.com/punchbot/punchbot/core"
)

// Shared text of the punch confirmation (a clock-out that would leave
// early, or comes right after the clock-in), of repeated punches and of the
// strict punch mode's refusals. Each bot puts the question on its buttons
// (Slack Block Kit, a Feishu card, a WeCom button_interaction card) and
// falls back to ConfirmHint where a message cannot carry buttons.

// ConfirmLine is the one-line answer to the outcomes of punch confirmation
// and repeats; ok is false for any other reply.
func ConfirmLine(r core.Reply, lang string) (string, bool) {
	switch r.Outcome {
	case core.OutcomeConfirm:
		return ConfirmQuestion(r, lang), true
	case core.OutcomeDeclined:
		return pick(lang, "🚫 已取消，本次下班打卡未记录。", "🚫 Cancelled; the clock-out was not recorded."), true
	case core.OutcomeNothingPending:
		return pick(lang, "没有等待确认的打卡（确认在 5 分钟内有效）。如要下班打卡，请重新发送“下班”。",
			"Nothing is waiting for confirmation (a question is valid for 5 minutes). To clock out, send “out” again."), true
	case core.OutcomeRepeat:
		return repeatLine(r, lang), true
	case core.OutcomeRejected:
		if len(r.Reasons) == 0 {
			return "", false
		}
		switch r.Reasons[len(r.Reasons)-1] {
		case core.ReasonAlreadyOut:
			line := "❌ " + pick(lang, kindWord(lang, r.Kind)+"打卡未记录：本班次已上下班打卡，每班只记一次上班和一次下班；如需更正请申请补卡。",
				kindWord(lang, r.Kind)+" not recorded: this shift already has its clock-in and clock-out, and only one of each counts; request a make-up to correct it.")
			return withDay(line, r, lang), true
		case core.ReasonNotIn:
			return "❌ " + pick(lang, "下班打卡未记录：本班次还没有上班打卡，请先上班打卡，或申请补卡。",
				"Clock-out not recorded: there is no clock-in for this shift yet; clock in first, or request a make-up."), true
		}
	}
	return "", false
}

// ConfirmQuestion asks to confirm a clock-out, naming why: by how much it
// would be early, or how soon after the clock-in it comes.
func ConfirmQuestion(r core.Reply, lang string) string {
	q := pick(lang, "⚠️ 确认下班打卡？", "⚠️ Confirm clock-out? ")
	switch {
	case r.EarlyMin > 0:
		q += pick(lang, "将记为早退 "+Minutes(r.EarlyMin, lang), "It will count as leaving "+Minutes(r.EarlyMin, lang)+" early") // as the result will say
	case r.Day != nil && r.Day.In != nil:
		mins := int(r.At.Sub(r.Day.In.At).Minutes())
		q += pick(lang, fmt.Sprintf("你 %s 刚上班打卡（%d 分钟前）", Clock(r, r.Day.In.At), mins),
			fmt.Sprintf("You clocked in only %d minutes ago (%s)", mins, Clock(r, r.Day.In.At)))
	default:
		q += pick(lang, "请确认", "Please confirm")
	}
	return q + pick(lang, "（"+Clock(r, r.At)+"，5 分钟内有效）", " ("+Clock(r, r.At)+", valid for 5 minutes).")
}

// ConfirmHint says how to answer the question where there are no buttons.
func ConfirmHint(lang string) string {
	return pick(lang, "回复“确认”记录这次下班打卡，回复“取消”放弃。", "Reply “confirm” to record this clock-out, or “cancel” to drop it.")
}

// ConfirmButtonHint says the same next to buttons, for whoever cannot use
// them.
func ConfirmButtonHint(lang string) string {
	return pick(lang, "点“确认下班”记录，点“取消”放弃；也可以回复“确认”或“取消”。",
		"Tap “Confirm clock-out” to record it or “Cancel” to drop it; replying “confirm” or “cancel” works too.")
}

// ConfirmInChat tells someone who asked from the location page where the
// question waits: the page holds a one-time link, the chat holds the buttons.
func ConfirmInChat(lang string) string {
	return pick(lang, "请回到聊天，点“确认下班”或回复“确认”；5 分钟内有效。",
		"Go back to the chat and tap “Confirm clock-out” or reply “confirm”, within 5 minutes.")
}

// ConfirmLabels are the button texts: confirm, decline.
func ConfirmLabels(lang string) (confirm, decline string) {
	return pick(lang, "确认下班", "Confirm clock-out"), pick(lang, "取消", "Cancel")
}

// ConfirmDoneLabel is the short status a question's card shows once it is
// answered (WeCom replace_text, a Feishu or Slack card without buttons).
func ConfirmDoneLabel(r core.Reply, lang string) string {
	switch r.Outcome {
	case core.OutcomeAccepted, core.OutcomeField:
		return pick(lang, "已确认", "Confirmed")
	case core.OutcomeFieldPending:
		return pick(lang, "已确认，等待审批", "Confirmed, waiting for approval")
	case core.OutcomeDeclined:
		return pick(lang, "已取消", "Cancelled")
	case core.OutcomeNothingPending:
		return pick(lang, "已失效", "Expired")
	}
	return pick(lang, "未记录", "Not recorded")
}

// NotForYou answers a click on a confirmation button sent to someone else.
func NotForYou(lang string) string {
	return pick(lang, "这个按钮是发给别人的，你的点击没有改变任何记录。", "This button was sent to someone else; your click changed nothing.")
}

// repeatLine answers a punch that repeats the current state.
func repeatLine(r core.Reply, lang string) string {
	if slices.Contains(r.Reasons, core.ReasonFieldInPending) {
		return withDay(FieldRepeatLine(lang), r, lang) // render.go
	}
	line := "ℹ️ " + pick(lang, "你已上班打卡，本次不重复记录。", "You are already clocked in; this one is not counted again.")
	if r.Day != nil && r.Day.In != nil {
		line = "ℹ️ " + pick(lang, fmt.Sprintf("你已于 %s 上班打卡，本次不重复记录。", Clock(r, r.Day.In.At)),
			fmt.Sprintf("You already clocked in at %s; this one is not counted again.", Clock(r, r.Day.In.At)))
	}
	if slices.Contains(r.Reasons, core.ReasonAlreadyIn) && r.Day != nil && r.Day.Out != nil {
		line = "ℹ️ " + pick(lang, "本班次已上班打卡，本次不重复记录。", "This shift already has its clock-in; this one is not counted again.")
	}
	return withDay(line, r, lang)
}

// withDay appends the day so far, when the reply carries it.
func withDay(line string, r core.Reply, lang string) string {
	if r.Day == nil {
		return line
	}
	return line + "\n" + StatusLine(r, lang)
}
