package slack

import (
	"context"
	"net/http"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// ViewOvertimeRequest is the callback id of the overtime form /punch
// overtime (or 加班) opens without arguments.
const ViewOvertimeRequest = "overtime_request"

// Block ids of the overtime form's inputs; a refusal is shown next to the
// input it concerns.
const (
	blockOvertimeDate   = "overtime_date"
	blockOvertimeStart  = "overtime_start"
	blockOvertimeEnd    = "overtime_end"
	blockOvertimeReason = "overtime_reason" // optional
)

// overtimeCommand answers /punch overtime|加班 …: with arguments it files
// the typed request, as leaveCommand does. With none it asks the core
// first, since only the employee's schedule tells whether there is
// anything to request: the usage (overtime counted by approval) opens the
// form in the employee's language; anything else, such as the refusal of
// a schedule that does not count approved overtime, is the answer.
func (b *Bot) overtimeCommand(w http.ResponseWriter, r *http.Request, sc slackapi.SlashCommand, in bots.Intent) {
	if strings.TrimSpace(in.Args) != "" || sc.TriggerID == "" {
		b.formOrCommand(w, r, sc, in.Lang, "overtime", nil, bots.LeaveCommand(in)) // makeup.go
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), ackBudget)
	defer cancel()
	reply, err := b.core.Handle(ctx, b.slashCommand(sc, bots.LeaveCommand(in)))
	if err == nil && bots.IsOvertimeUsage(reply) {
		if _, err := b.api.OpenViewContext(ctx, sc.TriggerID, overtimeForm(bots.Lang(reply, in.Lang))); err == nil {
			w.WriteHeader(http.StatusOK)
			return
		}
		b.log.Warn("slack: cannot open the overtime form", "err", err, "user", sc.UserID)
	}
	b.answerCommand(w, sc, in.Lang, "overtime", reply, err) // makeup.go
}

func overtimeTitle(lang string) string { return pick(lang, "申请加班", "Request overtime") }

// overtimeForm is the request modal: the date, the start and end clocks
// (an end at or before the start is the next day, as typed) and an
// optional reason. Block Kit input blocks with datepicker, timepicker and
// plain_text_input elements: https://docs.slack.dev/reference/block-kit/blocks/input-block,
// https://docs.slack.dev/reference/block-kit/block-elements/ (PLATFORMS.md §9.3
// views.open).
func overtimeForm(lang string) slackapi.ModalViewRequest {
	reason := slackapi.NewPlainTextInputBlockElement(plain(pick(lang, "例如：版本发布", "for example: release night")), inputValue)
	reason.Multiline, reason.MaxLength = true, core.MaxMakeupReason
	start, end := slackapi.NewTimePickerBlockElement(inputValue), slackapi.NewTimePickerBlockElement(inputValue)
	start.InitialTime, end.InitialTime = "18:30", "21:00"
	optional := slackapi.NewInputBlock(blockOvertimeReason, plain(pick(lang, "事由", "Reason")), nil, reason)
	optional.Optional = true
	return slackapi.ModalViewRequest{
		Type:            slackapi.VTModal,
		CallbackID:      ViewOvertimeRequest,
		PrivateMetadata: lang,
		Title:           plain(overtimeTitle(lang)),
		Submit:          plain(pick(lang, "提交", "Submit")),
		Close:           plain(pick(lang, "取消", "Cancel")),
		Blocks: slackapi.Blocks{BlockSet: []slackapi.Block{
			slackapi.NewInputBlock(blockOvertimeDate, plain(pick(lang, "日期", "Date")), nil, slackapi.NewDatePickerBlockElement(inputValue)),
			slackapi.NewInputBlock(blockOvertimeStart, plain(pick(lang, "开始时间", "Start time")), nil, start),
			slackapi.NewInputBlock(blockOvertimeEnd, plain(pick(lang, "结束时间", "End time")),
				plain(pick(lang, "早于开始时间即为次日，如 20:00–02:00", "Before the start means the next day, as in 20:00–02:00")), end),
			optional,
		}},
	}
}

// overtimeFormProblem checks a submitted overtime form (date, start and
// end clocks as the date and time pickers give them, "2026-12-05" and
// "18:00") before it is filed as the typed command would be: a missing
// field, or an end that is neither after the start nor a plausible
// next-day end (core.MaxOvernightOvertime, the core's rule), said on the
// input rather than as the core's refusal of the whole form. It returns
// the input's block and the zh/en line, or "" when the form may go to
// the core. Only this modal needs it: Feishu's form marks its pickers
// required, and WeCom's checks its own choices (readOvertimeForm).
func overtimeFormProblem(a core.LeaveArgs, lang string) (block, text string) {
	head := pick(lang, "❌ 加班申请未提交：", "❌ Overtime request not filed: ") // as the bots' leave refusals
	switch {
	case a.From == "":
		return blockOvertimeDate, head + pick(lang, "请选择日期。", "choose the date.")
	case a.StartClock == "":
		return blockOvertimeStart, head + pick(lang, "请选择开始时间。", "choose the start time.")
	case a.EndClock == "":
		return blockOvertimeEnd, head + pick(lang, "请选择结束时间。", "choose the end time.")
	}
	start, err1 := time.Parse("15:04", a.StartClock)
	end, err2 := time.Parse("15:04", a.EndClock)
	if err1 != nil {
		return blockOvertimeStart, head + pick(lang, "开始时间看不懂，请写成 18:00。", "I could not read the start time; write it as 18:00.")
	}
	if err2 != nil {
		return blockOvertimeEnd, head + pick(lang, "结束时间看不懂，请写成 21:00。", "I could not read the end time; write it as 21:00.")
	}
	if !end.After(start) && end.Add(24*time.Hour).Sub(start) > core.MaxOvernightOvertime {
		return blockOvertimeEnd, head + pick(lang, "结束时间须晚于开始时间（跨过午夜的加班如 20:00–02:00 最长 12 小时）。",
			"the end must be after the start (overtime past midnight, such as 20:00–02:00, is at most 12 hours).")
	}
	return "", ""
}

// overtimeProblemBlock is the input a refusal of the core is shown next to.
func overtimeProblemBlock(v *core.MakeupView) string {
	switch {
	case v == nil:
		return blockOvertimeReason
	case v.Problem == core.ProblemDate:
		return blockOvertimeDate
	case v.Problem == core.ProblemTime, v.Refusal != nil && v.Refusal.Rule == core.OvertimeNoTime:
		return blockOvertimeStart
	case v.Refusal != nil && (v.Refusal.Rule == core.LeaveOverlap || v.Refusal.Rule == core.RequestNotEmployed):
		return blockOvertimeDate
	}
	return blockOvertimeReason
}

// overtimeInteraction files a submitted overtime form and reports whether
// the interaction was one. The values read (view.state.values, keyed by
// block and action id: https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload)
// become the LeaveArgs a typed "加班 12-05 18:00-21:00 事由" does; a
// missing field or an implausible end is answered on its input
// (response_action "errors") without asking the core; the rest is
// fileForm's, the leave form's path.
func (b *Bot) overtimeInteraction(w http.ResponseWriter, r *http.Request, cb slackapi.InteractionCallback) bool {
	if cb.Type != slackapi.InteractionTypeViewSubmission || cb.View.CallbackID != ViewOvertimeRequest {
		return false
	}
	team := tenant(cb.Team.ID, cb.User.TeamID)
	if team == "" || cb.User.ID == "" {
		http.Error(w, "view submission without team or user", http.StatusBadRequest)
		return true
	}
	lang := cb.View.PrivateMetadata
	args := core.LeaveArgs{
		Type:       core.RequestOvertime,
		From:       stateValue(cb, blockOvertimeDate).SelectedDate,
		StartClock: stateValue(cb, blockOvertimeStart).SelectedTime,
		EndClock:   stateValue(cb, blockOvertimeEnd).SelectedTime,
		Reason:     strings.TrimSpace(stateValue(cb, blockOvertimeReason).Value),
	}
	if block, text := overtimeFormProblem(args, lang); block != "" {
		writeViewErrors(w, map[string]string{block: text})
		return true
	}
	cmd := core.Command{Actor: identity(team, cb.User.ID), Kind: core.CmdLeave, Leave: &args}
	b.fileForm(w, r, cb, cmd, requestForm{what: "overtime", lang: lang, errorBlock: blockOvertimeReason, problemBlock: overtimeProblemBlock, title: overtimeTitle},
		string(args.Type), args.From, args.StartClock, args.EndClock, args.Reason)
	return true
}
