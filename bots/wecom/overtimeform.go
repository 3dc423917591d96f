package wecom

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/punchbot/punchbot/core"
)

// The overtime form: 加班 / overtime typed alone is answered with a
// multiple_interaction template card like the leave form's (leaveform.go;
// doc 90236 发送应用消息 → 模板卡片消息, field table in doc 101032) whose
// three drop-downs (the most a card holds, maxSelects) are the date, the
// start and the end, each of at most maxSelectOptions options. Its submit
// comes back as a template_card_event (doc 90240, PLATFORMS.md §3.4) and is
// filed as the typed "加班 12-05 18:00-21:00" is, with no reason: the card
// has no text input, and says so. The rest is the leave form's: the
// task_id, the owner check, the expiry, the event id from the task_id and
// the card replaced once answered (update_template_card, doc 94888).
// Under a schedule that does not count overtime by approval the form is
// not offered: the answer is the typed request's refusal.

// KeyOvertimeFormSubmit is the overtime form's submit_button.key.
const KeyOvertimeFormSubmit = "overtime_form_submit"

// overtimeFormTaskPrefix starts the task_id of an overtime form, laid out
// as leaveFormTaskPrefix describes.
const overtimeFormTaskPrefix = "otform-"

// Question keys of the overtime form's drop-downs.
const (
	questionOvertimeDate  = "overtime_date"
	questionOvertimeStart = "overtime_start"
	questionOvertimeEnd   = "overtime_end"
)

// formEndBeforeStart is a submitted overtime whose end is not after its
// start.
const formEndBeforeStart = "end_before_start"

// Minutes after the end of the shift the form offers as starts and ends:
// half hours from the usual 30-minute threshold (core
// DefaultOvertimeStartsAfterMin) to five hours later, and ends from an
// hour after the shift to seven, past midnight for a shift ending at 18:00.
var (
	overtimeStartOffsets = []int{30, 60, 90, 120, 150, 180, 210, 240, 270, 300}
	overtimeEndOffsets   = []int{60, 90, 120, 150, 180, 210, 240, 300, 360, 420}
)

// defaultShiftEnd is the end assumed without a schedule.
const defaultShiftEnd = 18 * 60

// overtimeFormDates are today and the nine days after, rest days and
// holidays included: overtime is worked on those too.
func overtimeFormDates(at time.Time, r core.Roster) []time.Time {
	loc := r.Zone()
	y, m, d := at.In(loc).Date()
	out := make([]time.Time, maxSelectOptions)
	for i := range out {
		out[i] = time.Date(y, m, d+i, 0, 0, 0, 0, loc)
	}
	return out
}

// overtimeClockOptions are the start or end options after the schedule's
// end: the id is the minute after the date's midnight ("1110" is 18:30,
// "1500" 01:00 the next day), the text the clock, with 次日 / next day past
// midnight.
func overtimeClockOptions(r core.Roster, offsets []int, lang string) []CardOption {
	end := defaultShiftEnd
	if r.Schedule != nil {
		end = r.Schedule.EndMin % (24 * 60)
	}
	var out []CardOption
	for _, off := range offsets {
		min := end + off
		out = append(out, CardOption{ID: strconv.Itoa(min), Text: overtimeClockLabel(min, lang)})
	}
	return out
}

func overtimeClockLabel(min int, lang string) string {
	clock := fmt.Sprintf("%02d:%02d", min/60%24, min%60)
	if min >= 24*60 {
		return tr(lang, "次日 "+clock, clock+" (next day)")
	}
	return clock
}

func overtimeFormSource(lang string) *CardSource {
	return &CardSource{Desc: tr(lang, "加班申请", "Overtime request")}
}

func overtimeQuestions(lang string) [][2]string {
	return [][2]string{{questionOvertimeDate, tr(lang, "日期", "Date")}, {questionOvertimeStart, tr(lang, "开始", "Start")}, {questionOvertimeEnd, tr(lang, "结束", "End")}}
}

// overtimeFormCard is the form: the date, start and end drop-downs and the
// submit button; the description says the reason is left empty and how to
// type one (or another time).
func overtimeFormCard(r core.Roster, dates []time.Time, lang, taskID string) TemplateCard {
	var dateOpts []CardOption
	for _, d := range dates {
		dateOpts = append(dateOpts, CardOption{ID: d.Format(core.DateLayout), Text: LeaveFormDateLabel(d, lang)})
	}
	q := overtimeQuestions(lang)
	return TemplateCard{
		CardType: CardMultiInteraction,
		Source:   overtimeFormSource(lang),
		MainTitle: &CardTitle{
			Title: tr(lang, "加班：选好后点提交", "Overtime: choose, then submit"),
			Desc: tr(lang, "事由留空提交；要写事由或选其他时间请发文字，如：加班 12-05 18:00-21:00 版本发布",
				"Filed without a reason; to give one or another time, type e.g. overtime 12-05 18:00-21:00 release night"),
		},
		TaskID: taskID,
		SelectList: []CardSelection{
			{QuestionKey: q[0][0], Title: q[0][1], OptionList: dateOpts},
			{QuestionKey: q[1][0], Title: q[1][1], OptionList: overtimeClockOptions(r, overtimeStartOffsets, lang)},
			{QuestionKey: q[2][0], Title: q[2][1], OptionList: overtimeClockOptions(r, overtimeEndOffsets, lang)},
		},
		SubmitButton: &CardSubmitButton{Text: tr(lang, "提交", "Submit"), Key: KeyOvertimeFormSubmit},
	}
}

// overtimeFormDoneCard replaces a submitted overtime form, as
// leaveFormDoneCard does a leave form.
func overtimeFormDoneCard(r core.Reply, lang string, rt leaveFormRoute) TemplateCard {
	return formDoneCard(r, lang, rt, formLook{
		source:   overtimeFormSource(lang),
		notFiled: tr(lang, "加班未提交", "Overtime not filed"), filed: tr(lang, "加班已提交", "Overtime filed"),
		filedNo:   tr(lang, "加班申请 #%d 已提交", "Overtime request #%d filed"),
		questions: overtimeQuestions(lang), submitKey: KeyOvertimeFormSubmit,
	})
}

// sendOvertimeForm answers 加班 typed alone with the form, its options
// from the employee's schedule (the core answers a schedule that does not
// count approved overtime with its refusal, not the usage this answers).
// done is false when the usage text should go out instead (no look-up,
// the employee gone).
func (b *Bot) sendOvertimeForm(ctx context.Context, m core.OutboxMessage, reply core.Reply, rt leaveFormRoute, lang string) (done bool, err error) {
	lf := b.leaveForm
	if lf == nil || reply.EmployeeID == "" {
		return false, nil
	}
	roster, err := lf.Roster(ctx, reply.EmployeeID)
	if core.ErrorCode(err) == core.ENOTFOUND {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	now := b.now()
	card := overtimeFormCard(roster, overtimeFormDates(now, roster), lang, formTaskID(overtimeFormTaskPrefix, lang, m.ID, m.Attempts, now, userTag(b.cfg.CorpID, rt.ToUser)))
	if err := card.Validate(); err != nil {
		b.log.Warn("wecom: no overtime form to offer; answering with the typed format", "user", rt.ToUser, "err", err)
		return false, nil
	}
	res, err := b.client.SendTemplateCard(ctx, rt.ToUser, card)
	if err != nil {
		return true, err
	}
	return true, refused(res, rt.ToUser)
}

func overtimeFormProblemText(problem, lang string, date time.Time) string {
	head := tr(lang, "❌ 加班未提交：", "❌ Overtime not filed: ")
	switch problem {
	case formMissing:
		return head + tr(lang, "请选好日期、开始和结束时间后再点“提交”。", "choose the date, the start and the end, then tap Submit.")
	case formNotOffered:
		return head + tr(lang, "所选的项不是这张卡片提供的选项。请重新发送“加班”获取新卡片。", "that choice is not one this card offered. Send “overtime” for a new card.")
	case formEndBeforeStart:
		return head + tr(lang, "结束时间须晚于开始时间，请重新选择。", "the end must be after the start; choose again.")
	case formPast:
		return head + fmt.Sprintf(tr(lang, "%s 已经过去。请重新发送“加班”；补报过去的加班请发文字，例如：加班 %s 18:00-21:00 事由。",
			"%s has passed. Send “overtime” again; for a past day type it, e.g. overtime %s 18:00-21:00 reason."), LeaveFormDateLabel(date, lang), date.Format("01-02"))
	case formExpired:
		return tr(lang, "❌ 这张加班卡片已过期（发出已超过 24 小时），没有提交。请重新发送“加班”。",
			"❌ This overtime card has expired (sent over 24 hours ago); nothing was filed. Send “overtime” for a new one.")
	}
	return "❌ 无法识别这张加班卡片，没有提交。请重新发送“加班”。\n❌ This overtime card cannot be read; nothing was filed. Send “overtime” for a new one."
}

// readOvertimeForm turns a submission into the overtime's arguments and
// the labels of the choices, or names the problem. Only the options the
// card offered when it was sent count.
func readOvertimeForm(selected map[string][]string, task leaveFormTask, now time.Time, r core.Roster) (args core.LeaveArgs, chosen []string, problem string, date time.Time) {
	one := func(key string) (string, bool) {
		ids := selected[key]
		return firstOrEmpty(ids), len(ids) == 1 && ids[0] != ""
	}
	dateID, ok1 := one(questionOvertimeDate)
	startID, ok2 := one(questionOvertimeStart)
	endID, ok3 := one(questionOvertimeEnd)
	if !ok1 || !ok2 || !ok3 {
		return args, nil, formMissing, date
	}
	dates := overtimeFormDates(task.sent, r)
	i := slices.IndexFunc(dates, func(d time.Time) bool { return d.Format(core.DateLayout) == dateID })
	has := func(opts []CardOption, id string) bool {
		return slices.ContainsFunc(opts, func(o CardOption) bool { return o.ID == id })
	}
	if i < 0 || !has(overtimeClockOptions(r, overtimeStartOffsets, task.lang), startID) || !has(overtimeClockOptions(r, overtimeEndOffsets, task.lang), endID) {
		return args, nil, formNotOffered, date
	}
	start, _ := strconv.Atoi(startID)
	end, _ := strconv.Atoi(endID)
	date = dates[i]
	if end <= start {
		return args, nil, formEndBeforeStart, date
	}
	loc := r.Zone()
	y, m, d := now.In(loc).Date()
	if date.Before(time.Date(y, m, d, 0, 0, 0, 0, loc)) {
		return args, nil, formPast, date
	}
	// An end past midnight is a clock at or before the start: the core
	// reads it as the next day, as it does the typed "20:00-02:00".
	clock := func(min int) string { return fmt.Sprintf("%02d:%02d", min/60%24, min%60) }
	args = core.LeaveArgs{Type: core.RequestOvertime, From: dateID, StartClock: clock(start), EndClock: clock(end)}
	return args, []string{LeaveFormDateLabel(date, task.lang), overtimeClockLabel(start, task.lang), overtimeClockLabel(end, task.lang)}, "", date
}

func firstOrEmpty(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// receiveOvertimeForm handles the submit of an overtime form and reports
// whether the callback was one, as receiveLeaveForm does a leave form's.
func (b *Bot) receiveOvertimeForm(ctx context.Context, w http.ResponseWriter, r *http.Request, m Message, plain []byte) bool {
	if m.MsgType != MsgEvent || m.Event != EventTemplateCard || m.CardType != CardMultiInteraction || m.EventKey != KeyOvertimeFormSubmit {
		return false
	}
	text := func(problem, lang string) string { return overtimeFormProblemText(problem, lang, time.Time{}) }
	f, ok := b.openForm(ctx, w, r, m, plain, overtimeFormTaskPrefix, text) // leaveform.go
	if !ok {
		return true
	}
	args, chosen, problem, date := readOvertimeForm(f.selected, f.task, b.now(), f.roster)
	if problem != "" {
		b.log.Info("wecom: overtime form refused", "user", m.FromUserName, "problem", problem)
		b.passiveAnswer(w, r, m, overtimeFormProblemText(problem, f.task.lang, date))
		return true
	}
	b.fileFormCard(ctx, w, r, m, f, "overtimeform:", args, chosen) // leaveform.go
	return true
}
