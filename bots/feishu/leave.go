package feishu

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// ActionLeaveForm is the name of the leave form's submit button: a button
// inside a form container carries no value, so the card callback is routed
// by the button's name (action.name) instead.
const ActionLeaveForm = "leave_form_submit"

// Names of the leave form's inputs, the keys of action.form_value.
const (
	formType   = "type"
	formKind   = "leave_type"
	formFrom   = "from"
	formTo     = "to"
	formStart  = "start"
	formEnd    = "end"
	formPlace  = "place"
	formReason = "reason"
)

// leaveFormReply is the answer to 请假 / 出差 / 外出 typed without
// arguments: instead of only the usage, a card with a form container
// (card JSON 2.0 "form", with select_static, input, date_picker and
// picker_time inside and a submit button; its values come back together
// in card.action.trigger as action.form_value:
// https://open.feishu.cn/document/feishu-cards/card-json-v2-components/containers/form-container).
// ok is false for every other reply.
func leaveFormReply(r core.Reply, lang string) (Message, bool) {
	if !isFormUsage(r) {
		return Message{}, false
	}
	if r.Makeup.Request.TypeOf() == core.RequestOvertime {
		return cardMessage(overtimeFormCard(lang)), true // 加班 alone (overtimeform.go)
	}
	return cardMessage(leaveFormCard(r.Makeup.Request.TypeOf(), lang)), true
}

// isFormUsage reports whether a reply is the usage a request typed without
// arguments gets (请假, 出差, 外出, 加班), which a form card answers.
func isFormUsage(r core.Reply) bool {
	return r.Outcome == core.OutcomeMakeupRefused && r.Makeup != nil && r.Makeup.Problem == bots.ProblemUsage && r.Makeup.Request.TypeOf() != core.RequestMakeup
}

type (
	formText struct {
		Tag     string `json:"tag"`
		Content string `json:"content"`
	}
	formOption struct {
		Text  formText `json:"text"`
		Value string   `json:"value"`
	}
	formInput struct {
		Tag           string       `json:"tag"`
		Name          string       `json:"name"`
		Required      bool         `json:"required,omitempty"`
		Placeholder   *formText    `json:"placeholder,omitempty"`
		Label         *formText    `json:"label,omitempty"`
		InitialOption string       `json:"initial_option,omitempty"`
		Options       []formOption `json:"options,omitempty"`
		MaxLength     int          `json:"max_length,omitempty"`
		// Buttons.
		Text           *formText `json:"text,omitempty"`
		Type           string    `json:"type,omitempty"`
		FormActionType string    `json:"form_action_type,omitempty"`
	}
	formContainer struct {
		Tag      string      `json:"tag"`
		Name     string      `json:"name"`
		Elements []formInput `json:"elements"`
	}
	markdown struct {
		Tag     string `json:"tag"`
		Content string `json:"content"`
	}
	formCard struct {
		Schema string `json:"schema"`
		Config struct {
			UpdateMulti bool `json:"update_multi"`
		} `json:"config"`
		Header CardHeader `json:"header"`
		Body   struct {
			Elements []any `json:"elements"`
		} `json:"body"`
	}
)

// leaveFormCard is the request form: what (leave, trip, outing), the leave
// type, the dates, an optional part of the day, the place and the reason.
func leaveFormCard(t core.RequestType, lang string) formCard {
	text := func(s string) *formText { return &formText{Tag: "plain_text", Content: s} }
	option := func(v core.RequestType, label string) formOption {
		return formOption{Text: formText{Tag: "plain_text", Content: label}, Value: string(v)}
	}
	var c formCard
	c.Schema, c.Config.UpdateMulti = "2.0", true
	c.Header = CardHeader{Template: pendingColour(core.RequestLeave), Title: CardText{Tag: "plain_text", Content: pick(lang, "请假 / 出差 / 外出", "Leave, trip, outing")}}
	c.Body.Elements = []any{
		markdown{Tag: "markdown", Content: mdEscape(pick(lang, "填写后点提交；也可以直接发送文字，例如：", "Fill in and submit, or type it, for example: ") + "\n" + bots.LeaveUsage(t, lang))},
		formContainer{Tag: "form", Name: "leave_form", Elements: []formInput{
			{Tag: "select_static", Name: formType, Required: true, InitialOption: string(t), Label: text(pick(lang, "申请", "Request")), Options: []formOption{
				option(core.RequestLeave, pick(lang, "请假", "Leave")), option(core.RequestTrip, pick(lang, "出差", "Business trip")), option(core.RequestOuting, pick(lang, "外出", "Outing"))}},
			{Tag: "input", Name: formKind, Label: text(pick(lang, "假期类型（请假时）", "Leave type (for leave)")), Placeholder: text(pick(lang, "例如：年假、病假；不填为第一种", "for example: annual, sick; empty: the first type"))},
			{Tag: "date_picker", Name: formFrom, Required: true, Placeholder: text(pick(lang, "开始日期", "From"))},
			{Tag: "date_picker", Name: formTo, Placeholder: text(pick(lang, "结束日期（不填为同一天）", "To (empty: the same day)"))},
			{Tag: "picker_time", Name: formStart, Placeholder: text(pick(lang, "开始时间（不填为全天）", "Start time (empty: the whole day)"))},
			{Tag: "picker_time", Name: formEnd, Placeholder: text(pick(lang, "结束时间", "End time"))},
			{Tag: "input", Name: formPlace, Label: text(pick(lang, "地点（出差、外出）", "Place (trip, outing)")), MaxLength: core.MaxMakeupReason},
			{Tag: "input", Name: formReason, Label: text(pick(lang, "事由", "Reason")), MaxLength: core.MaxMakeupReason},
			{Tag: "button", Name: ActionLeaveForm, Text: text(pick(lang, "提交", "Submit")), Type: "primary", FormActionType: "submit"},
		}},
	}
	return c
}

var (
	formDate  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}`)
	formClock = regexp.MustCompile(`^\d{1,2}:\d{2}`)
)

// formString reads one form value; date_picker and picker_time values may
// carry the zone after the date or clock ("2026-12-03 +0800"), which the
// period does not need: it is read in the employee's zone.
func formString(values map[string]any, name string, pattern *regexp.Regexp) string {
	s, _ := values[name].(string)
	s = strings.TrimSpace(s)
	if pattern != nil {
		if m := pattern.FindString(s); m != "" {
			return m
		}
	}
	return s
}

// leaveFormArgs reads the submitted form.
func leaveFormArgs(values map[string]any) core.LeaveArgs {
	a := core.LeaveArgs{
		Type:       core.RequestType(formString(values, formType, nil)),
		From:       formString(values, formFrom, formDate),
		To:         formString(values, formTo, formDate),
		StartClock: formString(values, formStart, formClock),
		EndClock:   formString(values, formEnd, formClock),
		Place:      formString(values, formPlace, nil),
		Reason:     formString(values, formReason, nil),
	}
	if a.Type == "" {
		a.Type = core.RequestLeave
	}
	if a.Type == core.RequestLeave {
		a.LeaveType = formString(values, formKind, nil)
	}
	return a
}

// onLeaveForm files the request from the submitted form, answered inline
// within Feishu's 3 s: filed, the form gives way to the confirmation;
// refused, an error toast names the problem and the form stays to be
// corrected. A retried callback carries the same event id and gets the
// recorded answer.
func (b *Bot) onLeaveForm(ctx context.Context, ev *callback.CardActionTriggerEvent) (*callback.CardActionTriggerResponse, error) {
	e := ev.Event
	if e == nil || e.Operator == nil || e.Action == nil {
		return nil, &handlerError{status: http.StatusBadRequest, err: fmt.Errorf("form submission without operator or action")}
	}
	actor := operator(e)
	if actor == "" {
		return nil, &handlerError{status: http.StatusBadRequest, err: fmt.Errorf("form submission without an operator id")}
	}
	if isOvertimeForm(e.Action.FormValue) {
		return b.onOvertimeForm(ctx, ev, actor) // overtimeform.go
	}
	return b.fileForm(ctx, ev, actor, leaveFormArgs(e.Action.FormValue))
}

// fileForm files a submitted request form's arguments for the operator
// actor, answered inline: filed, the form gives way to the confirmation;
// refused, an error toast with the first line of the answer.
func (b *Bot) fileForm(ctx context.Context, ev *callback.CardActionTriggerEvent, actor string, args core.LeaveArgs) (*callback.CardActionTriggerResponse, error) {
	e := ev.Event
	cmd := b.operatorCommand(ev, actor, core.CmdLeave)
	cmd.Leave = &args
	reply, err := b.core.Handle(ctx, cmd)
	if err != nil {
		if core.ErrorCode(err) == core.EINVALID {
			return nil, &handlerError{status: http.StatusBadRequest, err: err}
		}
		return nil, &handlerError{status: http.StatusInternalServerError, err: err}
	}
	lang := bots.Lang(reply, "")
	text := bots.Headline(reply, lang)
	if reply.Outcome != core.OutcomeMakeupFiled {
		first, _, _ := strings.Cut(text, "\n")
		return &callback.CardActionTriggerResponse{Toast: &callback.Toast{Type: "error", Content: first}}, nil
	}
	var done formCard
	done.Schema, done.Config.UpdateMulti = "2.0", true
	done.Header = CardHeader{Template: pendingColour(reply.Makeup.Request.TypeOf()), Title: CardText{Tag: "plain_text", Content: pick(lang, "已提交", "Filed")}}
	done.Body.Elements = append([]any{markdown{Tag: "markdown", Content: mdEscape(text)}}, withdrawElements(reply, lang, actor)...) // withdraw.go
	if e.Context != nil {
		// The form's message becomes the confirmation: the requester's
		// card, which later changes PATCH in 2.0.
		b.recordRequesterCard(ctx, reply.Makeup.Request.ID, actor, e.Context.OpenMessageID, "2.0") // withdraw.go
	}
	return &callback.CardActionTriggerResponse{
		Toast: &callback.Toast{Type: "success", Content: text},
		Card:  &callback.Card{Type: "raw", Data: done},
	}, nil
}
