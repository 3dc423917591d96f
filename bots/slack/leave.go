package slack

import (
	"context"
	"net/http"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// ViewLeaveRequest is the callback id of the leave form /punch leave (or
// 请假, trip, outing) opens without arguments.
const ViewLeaveRequest = "leave_request"

// ShortcutLeave is the callback id of the global shortcut (manifest.yaml
// features.shortcuts) that opens the same form from the composer's
// shortcut menu.
const ShortcutLeave = "leave_request"

// Block ids of the leave form's inputs; a refusal is shown next to the
// input it concerns.
const (
	blockLeaveType   = "leave_type"   // 请假 / 出差 / 外出
	blockLeaveKind   = "leave_kind"   // the leave type, as the organisation names it
	blockLeaveFrom   = "leave_from"   // first date
	blockLeaveTo     = "leave_to"     // last date, optional
	blockLeaveStart  = "leave_start"  // start clock, optional
	blockLeaveEnd    = "leave_end"    // end clock, optional
	blockLeavePlace  = "leave_place"  // destination, optional
	blockLeaveReason = "leave_reason" // optional
)

// leaveCommand answers /punch leave|trip|outing …: with no arguments it
// opens the form (views.open with the command's trigger_id, which Slack
// accepts for 3 seconds: https://docs.slack.dev/reference/methods/views.open),
// otherwise it files the typed request and answers ephemerally.
func (b *Bot) leaveCommand(w http.ResponseWriter, r *http.Request, sc slackapi.SlashCommand, in bots.Intent) {
	if in.Verb == bots.VerbOvertime {
		b.overtimeCommand(w, r, sc, in) // overtimeform.go
		return
	}
	var form *slackapi.ModalViewRequest
	if strings.TrimSpace(in.Args) == "" {
		f := leaveForm(in.Lang, bots.ParseLeave(in).Type)
		form = &f
	}
	b.formOrCommand(w, r, sc, in.Lang, "leave", form, bots.LeaveCommand(in))
}

// leaveShortcut opens the leave form from the global shortcut. The
// shortcut payload carries a trigger_id for views.open, the user (id,
// team_id) and the team, but no channel, text or locale
// (https://docs.slack.dev/interactivity/implementing-shortcuts,
// https://api.slack.com/reference/interaction-payloads/shortcuts, and
// bolt-js's GlobalShortcut type:
// https://docs.slack.dev/tools/bolt-js/reference/interfaces/GlobalShortcut),
// so the form's language is the employee's, from the organisation file
// through the directory. Someone not registered gets a modal that says so
// in both languages, since nothing tells which one they read. An inactive
// employee gets the form; the core refuses its submission as it refuses
// any of their commands.
func (b *Bot) leaveShortcut(w http.ResponseWriter, r *http.Request, cb slackapi.InteractionCallback) {
	team := tenant(cb.Team.ID, cb.User.TeamID)
	if cb.TriggerID == "" || team == "" || cb.User.ID == "" {
		http.Error(w, "shortcut without trigger_id, team or user", http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), ackBudget)
	defer cancel()
	view, err := b.shortcutLeaveView(ctx, identity(team, cb.User.ID))
	if err != nil {
		b.log.Warn("slack leave shortcut refused", "err", err, "user", cb.User.ID)
		http.Error(w, "invalid shortcut", http.StatusBadRequest)
		return
	}
	if _, err := b.api.OpenViewContext(ctx, cb.TriggerID, view); err != nil {
		// Slack shows nothing for a failed shortcut; the log says why.
		b.log.Warn("slack: cannot open the leave form from the shortcut", "err", err, "user", cb.User.ID)
	}
	w.WriteHeader(http.StatusOK)
}

// shortcutLeaveView is what the leave shortcut opens for an account: the
// form in the employee's language, or the not-registered notice. Only a
// malformed identity is an error; when the directory is missing or fails,
// the form opens in Chinese, punchbot's default, and its submission meets
// the same checks as any other.
func (b *Bot) shortcutLeaveView(ctx context.Context, id core.Identity) (slackapi.ModalViewRequest, error) {
	if b.directory == nil {
		return leaveForm("zh", core.RequestLeave), nil
	}
	who, err := b.directory.Whois(ctx, id)
	switch core.ErrorCode(err) {
	case "":
		return leaveForm(bots.Lang(core.Reply{Lang: who.Lang}, "zh"), core.RequestLeave), nil
	case core.ENOTFOUND:
		return unregisteredView(who.Contact), nil
	case core.EINVALID:
		return slackapi.ModalViewRequest{}, err
	}
	b.log.Warn("slack: cannot tell the leave shortcut's language; the form is in Chinese", "err", err, "user", id.UserID)
	return leaveForm("zh", core.RequestLeave), nil
}

// unregisteredView tells someone whom the organisation file does not list
// that they are not registered, with the words every other entry point uses
// (bots.Headline of core.OutcomeUnknownUser), in Chinese and in English.
// It has no inputs, so no submit button (modal view fields:
// https://docs.slack.dev/reference/views/modal-views; title and close are
// at most 24 characters).
func unregisteredView(contact string) slackapi.ModalViewRequest {
	unknown := core.Reply{Outcome: core.OutcomeUnknownUser, Platform: core.PlatformSlack, Contact: contact}
	return slackapi.ModalViewRequest{
		Type:   slackapi.VTModal,
		Title:  plain("请假 / Leave"),
		Close:  plain("关闭 / Close"),
		Blocks: slackapi.Blocks{BlockSet: []slackapi.Block{section(bots.Headline(unknown, "zh")), section(bots.Headline(unknown, "en"))}},
	}
}

// leaveForm is the request modal: what (leave, trip, outing), the leave
// type, the dates, an optional part of the day, the place and the reason.
// Block Kit input blocks with datepicker, timepicker, static_select and
// plain_text_input elements:
// https://docs.slack.dev/reference/block-kit/blocks/input-block and
// https://docs.slack.dev/reference/block-kit/block-elements/.
func leaveForm(lang string, t core.RequestType) slackapi.ModalViewRequest {
	option := func(v core.RequestType, label string) *slackapi.OptionBlockObject {
		return slackapi.NewOptionBlockObject(string(v), plain(label), nil)
	}
	types := []*slackapi.OptionBlockObject{
		option(core.RequestLeave, pick(lang, "请假", "Leave")),
		option(core.RequestTrip, pick(lang, "出差", "Business trip")),
		option(core.RequestOuting, pick(lang, "外出", "Outing")),
	}
	what := slackapi.NewOptionsSelectBlockElement(slackapi.OptTypeStatic, plain(pick(lang, "请选择", "Choose")), inputValue, types...)
	for _, o := range types {
		if o.Value == string(t) {
			what.InitialOption = o
		}
	}
	optional := func(id, label string, el slackapi.BlockElement, hint string) *slackapi.InputBlock {
		var h *slackapi.TextBlockObject
		if hint != "" {
			h = plain(hint)
		}
		in := slackapi.NewInputBlock(id, plain(label), h, el)
		in.Optional = true
		return in
	}
	text := func(placeholder string, multiline bool) *slackapi.PlainTextInputBlockElement {
		el := slackapi.NewPlainTextInputBlockElement(plain(placeholder), inputValue)
		el.Multiline = multiline
		el.MaxLength = core.MaxMakeupReason
		return el
	}
	return slackapi.ModalViewRequest{
		Type:            slackapi.VTModal,
		CallbackID:      ViewLeaveRequest,
		PrivateMetadata: lang,
		Title:           plain(pick(lang, "请假 / 出差 / 外出", "Leave, trip, outing")),
		Submit:          plain(pick(lang, "提交", "Submit")),
		Close:           plain(pick(lang, "取消", "Cancel")),
		Blocks: slackapi.Blocks{BlockSet: []slackapi.Block{
			slackapi.NewInputBlock(blockLeaveType, plain(pick(lang, "申请", "Request")), nil, what),
			optional(blockLeaveKind, pick(lang, "假期类型（请假时）", "Leave type (for leave)"), text(pick(lang, "例如：年假、病假、事假", "for example: annual, sick, personal"), false),
				pick(lang, "不填为公司的第一种假期类型", "empty: your organisation's first leave type")),
			slackapi.NewInputBlock(blockLeaveFrom, plain(pick(lang, "开始日期", "From")), nil, slackapi.NewDatePickerBlockElement(inputValue)),
			optional(blockLeaveTo, pick(lang, "结束日期", "To"), slackapi.NewDatePickerBlockElement(inputValue), pick(lang, "不填为同一天", "empty: the same day")),
			optional(blockLeaveStart, pick(lang, "开始时间", "Start time"), slackapi.NewTimePickerBlockElement(inputValue), pick(lang, "不填为全天", "empty: the whole day")),
			optional(blockLeaveEnd, pick(lang, "结束时间", "End time"), slackapi.NewTimePickerBlockElement(inputValue), ""),
			optional(blockLeavePlace, pick(lang, "地点（出差、外出）", "Place (trip, outing)"), text(pick(lang, "例如：上海", "for example: Shanghai"), false), ""),
			optional(blockLeaveReason, pick(lang, "事由", "Reason"), text("", true), ""),
		}},
	}
}

// leaveFormArgs reads the submitted form (view.state.values, keyed by
// block and action id: https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload).
func leaveFormArgs(cb slackapi.InteractionCallback) core.LeaveArgs {
	a := core.LeaveArgs{
		Type:       core.RequestType(stateValue(cb, blockLeaveType).SelectedOption.Value),
		From:       stateValue(cb, blockLeaveFrom).SelectedDate,
		To:         stateValue(cb, blockLeaveTo).SelectedDate,
		StartClock: stateValue(cb, blockLeaveStart).SelectedTime,
		EndClock:   stateValue(cb, blockLeaveEnd).SelectedTime,
		Place:      strings.TrimSpace(stateValue(cb, blockLeavePlace).Value),
		Reason:     strings.TrimSpace(stateValue(cb, blockLeaveReason).Value),
	}
	if a.Type == core.RequestLeave {
		a.LeaveType = strings.TrimSpace(stateValue(cb, blockLeaveKind).Value)
	}
	return a
}

// leaveProblemBlock is the input a refusal is shown next to.
func leaveProblemBlock(v *core.MakeupView) string {
	if v == nil {
		return blockLeaveReason
	}
	switch v.Problem {
	case core.ProblemDate:
		return blockLeaveFrom
	case core.ProblemTime:
		return blockLeaveStart
	case core.ProblemLeaveType:
		return blockLeaveKind
	case core.ProblemKind:
		return blockLeaveType
	}
	if v.Refusal != nil && (v.Refusal.Rule == core.LeaveOverlap || v.Refusal.Rule == core.LeaveNoWorkingTime || v.Refusal.Rule == core.RequestNotEmployed) {
		return blockLeaveFrom
	}
	if v.Refusal != nil && v.Refusal.Rule == core.LeaveBalanceExhausted {
		return blockLeaveKind
	}
	return blockLeaveReason
}

// submitLeaveForm files the request from the modal: a refusal keeps the
// form open with the reason next to the input to change
// (response_action "errors"), a filed request turns the modal into the
// confirmation (response_action "update"), as
// https://docs.slack.dev/tools/bolt-js/concepts/view-submissions describes.
func (b *Bot) submitLeaveForm(w http.ResponseWriter, r *http.Request, cb slackapi.InteractionCallback) {
	team := tenant(cb.Team.ID, cb.User.TeamID)
	if team == "" || cb.User.ID == "" {
		http.Error(w, "view submission without team or user", http.StatusBadRequest)
		return
	}
	lang := cb.View.PrivateMetadata
	args := leaveFormArgs(cb)
	cmd := core.Command{Actor: identity(team, cb.User.ID), Kind: core.CmdLeave, Leave: &args}
	b.fileForm(w, r, cb, cmd, requestForm{what: "leave", lang: lang, errorBlock: blockLeaveReason, problemBlock: leaveProblemBlock,
		title: func(lang string) string { return pick(lang, "请假 / 出差 / 外出", "Leave, trip, outing") }},
		string(args.Type), args.LeaveType, args.From, args.To, args.StartClock, args.EndClock, args.Place, args.Reason)
}
