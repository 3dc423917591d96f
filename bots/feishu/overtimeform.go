package feishu

import (
	"context"

	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// Names of the overtime form's inputs, the keys of action.form_value. The
// submit button shares the leave form's name (ActionLeaveForm, routed to
// onLeaveForm), which tells the two forms apart by these keys.
const (
	formOvertimeDate   = "overtime_date"
	formOvertimeStart  = "overtime_start"
	formOvertimeEnd    = "overtime_end"
	formOvertimeReason = "overtime_reason"
)

// overtimeFormCard is the answer to 加班 / overtime typed alone: a card
// in the leave form's JSON 2.0 (formCard) whose form container holds a
// date_picker, two picker_time, an input for the reason and the submit
// button (form container:
// https://open.feishu.cn/document/feishu-cards/card-json-v2-components/containers/form-container;
// its values come back in card.action.trigger as action.form_value,
// PLATFORMS.md §7.2).
func overtimeFormCard(lang string) formCard {
	text := func(s string) *formText { return &formText{Tag: "plain_text", Content: s} }
	var c formCard
	c.Schema, c.Config.UpdateMulti = "2.0", true
	c.Header = CardHeader{Template: pendingColour(core.RequestOvertime), Title: CardText{Tag: "plain_text", Content: pick(lang, "申请加班", "Request overtime")}}
	c.Body.Elements = []any{
		markdown{Tag: "markdown", Content: mdEscape(pick(lang, "填写后点提交；结束时间早于开始时间即为次日。也可以直接发送文字，例如：",
			"Fill in and submit; an end before the start is the next day. Or type it, for example: ") + "\n" + bots.LeaveUsage(core.RequestOvertime, lang))},
		formContainer{Tag: "form", Name: "overtime_form", Elements: []formInput{
			{Tag: "date_picker", Name: formOvertimeDate, Required: true, Placeholder: text(pick(lang, "日期", "Date"))},
			{Tag: "picker_time", Name: formOvertimeStart, Required: true, Placeholder: text(pick(lang, "开始时间", "Start time"))},
			{Tag: "picker_time", Name: formOvertimeEnd, Required: true, Placeholder: text(pick(lang, "结束时间", "End time"))},
			{Tag: "input", Name: formOvertimeReason, Label: text(pick(lang, "事由", "Reason")), MaxLength: core.MaxMakeupReason},
			{Tag: "button", Name: ActionLeaveForm, Text: text(pick(lang, "提交", "Submit")), Type: "primary", FormActionType: "submit"},
		}},
	}
	return c
}

// isOvertimeForm reports whether a submitted form is the overtime form.
func isOvertimeForm(values map[string]any) bool {
	for _, k := range []string{formOvertimeDate, formOvertimeStart, formOvertimeEnd, formOvertimeReason} {
		if _, ok := values[k]; ok {
			return true
		}
	}
	return false
}

// overtimeFormArgs reads the submitted form into the LeaveArgs a typed
// "加班 12-05 18:00-21:00 事由" gives.
func overtimeFormArgs(values map[string]any) core.LeaveArgs {
	return core.LeaveArgs{
		Type:       core.RequestOvertime,
		From:       formString(values, formOvertimeDate, formDate),
		StartClock: formString(values, formOvertimeStart, formClock),
		EndClock:   formString(values, formOvertimeEnd, formClock),
		Reason:     formString(values, formOvertimeReason, nil),
	}
}

// onOvertimeForm files a submitted overtime form as the typed command
// would be, through the leave form's path (fileForm): the core checks it,
// and a refusal is an error toast in the employee's language.
func (b *Bot) onOvertimeForm(ctx context.Context, ev *callback.CardActionTriggerEvent, actor string) (*callback.CardActionTriggerResponse, error) {
	return b.fileForm(ctx, ev, actor, overtimeFormArgs(ev.Event.Action.FormValue))
}
