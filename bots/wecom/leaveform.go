package wecom

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// The leave form: 请假 / leave typed alone is answered with a
// multiple_interaction template card (多项选择型, doc 90236 发送应用消息 →
// 模板卡片消息; field table in doc 101032 模板卡片类型) carrying three
// drop-downs, the leave type, the date and the part of the day, and a
// submit button. Its template_card_event (doc 90240 事件格式 → 模板卡片事件推送)
// brings the choices back as SelectedItems (QuestionKey + OptionIds); they
// are filed with the same CmdLeave a typed "请假 12-03 上午 年假" is, and
// the clicked card is replaced with what was filed, or the refusal, with a
// grey submit button (update_template_card, doc 94888 / 94945).
//
// Trips and outings keep their typed answer: both need a destination or a
// purpose, and the card has drop-downs only, no text input.

// Documented limits of a multiple_interaction card (doc 101032,
// SelectionItem结构体; zsmhub/workweixin apis/发送应用消息-模板卡片消息.go,
// after doc 90372): "一个消息最多支持 3 个选择器", "下拉选项不超过 10 个，
// 最少1个", option ids "最长支持128字节，不可重复", question_key and
// submit_button.key "最长支持1024字节".
const (
	maxSelects          = 3
	maxSelectOptions    = 10
	maxOptionIDBytes    = 128
	maxQuestionKeyBytes = 1024
)

// KeyLeaveFormSubmit is the leave form's submit_button.key; it comes back
// as EventKey.
const KeyLeaveFormSubmit = "leave_form_submit"

// Question keys of the leave form's drop-downs.
const (
	questionLeaveType = "leave_type"
	questionLeaveDate = "leave_date"
	questionLeavePart = "leave_part"
)

// Option ids of the part-of-the-day drop-down.
const (
	partWholeDay  = "full"
	partMorning   = "am"
	partAfternoon = "pm"
)

// leaveFormNoon divides the half days, as the typed 上午 / 下午 do
// (bots.ParseLeave: the morning ends at noon, the afternoon starts there).
const leaveFormNoon = "12:00"

// leaveFormTTL is how long a form may be submitted. Its dates were today
// and the working days after when it was sent; a day later the list is
// stale, and a fresh 请假 gives a fresh one.
const leaveFormTTL = 24 * time.Hour

// leaveFormDateSearch bounds the calendar days searched for working days
// to offer (a month covers the longest public holidays).
const leaveFormDateSearch = 31

// leaveFormTaskPrefix starts the task_id of a leave form. The rest is the
// card's language (a bad submission is answered before any look-up), the
// outbox message id and attempt (WeCom refuses a task_id it has seen,
// errcode 42014), the unix second it was sent (its dates and its expiry
// follow from it) and the tag of the user it was sent to: task_id allows
// only digits, letters and _-@, at most 128 bytes (doc 90372).
const leaveFormTaskPrefix = "leaveform-"

// leaveFormTask is a leave form's task_id, read back.
type leaveFormTask struct {
	lang string
	sent time.Time
	tag  string
}

func leaveFormTaskID(lang string, messageID int64, attempt int, sent time.Time, tag string) string {
	return formTaskID(leaveFormTaskPrefix, lang, messageID, attempt, sent, tag)
}

func parseLeaveFormTask(taskID string) (leaveFormTask, bool) {
	return parseFormTask(leaveFormTaskPrefix, taskID)
}

// formTaskID is the task_id of a form card (the leave form's, the
// overtime form's) laid out as leaveFormTaskPrefix describes.
func formTaskID(prefix, lang string, messageID int64, attempt int, sent time.Time, tag string) string {
	return fmt.Sprintf("%s%s-%d-%d-%d-%s", prefix, lang, messageID, attempt, sent.Unix(), tag)
}

func parseFormTask(prefix, taskID string) (leaveFormTask, bool) {
	rest, ok := strings.CutPrefix(taskID, prefix)
	if !ok {
		return leaveFormTask{}, false
	}
	parts := strings.Split(rest, "-")
	if len(parts) != 5 || (parts[0] != "zh" && parts[0] != "en") || parts[4] == "" {
		return leaveFormTask{}, false
	}
	sec, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil || sec <= 0 {
		return leaveFormTask{}, false
	}
	return leaveFormTask{lang: parts[0], sent: time.Unix(sec, 0), tag: parts[4]}, true
}

// LeaveFormCore is what the form needs of the core beyond Handle: the
// leave types to offer, and the employee's zone, schedule and calendar
// for the dates. *core.Service implements it.
type LeaveFormCore interface {
	LeaveTypes(ctx context.Context) ([]core.LeaveType, error)
	Whois(ctx context.Context, id core.Identity) (core.Whois, error)
	Roster(ctx context.Context, employeeID string) (core.Roster, error)
}

var _ LeaveFormCore = (*core.Service)(nil)

// leaveFormRoute is the reply route of a submitted form: the user's route,
// plus the click's one-time response code and the card's task_id, with
// which the answer replaces the form, and the labels of what was chosen.
// The names differ from confirmRoute's so the confirmation never takes a
// form's code.
type leaveFormRoute struct {
	Route
	FormCode   string   `json:"form_code,omitempty"`
	FormTask   string   `json:"form_task,omitempty"`
	FormChosen []string `json:"form_chosen,omitempty"` // type, date, part
}

// ParseSelectedItems reads what a vote or multiple_interaction card
// submitted, the SelectedItems of its template_card_event (doc 90240 事件格式
// → 模板卡片事件推送; the same shape as zsmhub/workweixin
// callbacks/event模板卡片事件推送.go): question_key → the chosen option ids.
// A question sent back with no option is present with none.
func ParseSelectedItems(plain []byte) (map[string][]string, error) {
	var x struct {
		Items []struct {
			QuestionKey string   `xml:"QuestionKey"`
			OptionIDs   []string `xml:"OptionIds>OptionId"`
		} `xml:"SelectedItems>SelectedItem"`
	}
	if err := xml.Unmarshal(plain, &x); err != nil {
		return nil, core.WrapError(core.EINVALID, err, "wecom: the decrypted message is not valid XML")
	}
	out := map[string][]string{}
	for _, it := range x.Items {
		k := strings.TrimSpace(it.QuestionKey)
		ids := out[k]
		for _, id := range it.OptionIDs {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
		out[k] = ids
	}
	return out, nil
}

// isLeaveUsage reports whether a reply is the answer to 请假 / leave typed
// without arguments.
func isLeaveUsage(r core.Reply) bool {
	return r.Outcome == core.OutcomeMakeupRefused && r.Makeup != nil && r.Makeup.Problem == bots.ProblemUsage &&
		r.Makeup.Request.TypeOf() == core.RequestLeave
}

// LeaveFormDateLabel names a date the way the form's drop-down shows it:
// "12-03 周四", "Thu 12-03".
func LeaveFormDateLabel(d time.Time, lang string) string {
	zh := [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}
	en := [...]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	if lang == "en" {
		return en[d.Weekday()] + " " + d.Format("01-02")
	}
	return d.Format("01-02") + " " + zh[d.Weekday()]
}

// leaveFormDates are the dates the form offers at a moment: today, when it
// is a working day of the employee's schedule and calendar (调休 included),
// and the working days after, as many as a drop-down holds. Without a
// schedule every day counts.
func leaveFormDates(at time.Time, r core.Roster) []time.Time {
	loc := r.Zone()
	y, m, d := at.In(loc).Date()
	var out []time.Time
	for i := 0; i < leaveFormDateSearch && len(out) < maxSelectOptions; i++ {
		day := time.Date(y, m, d+i, 0, 0, 0, 0, loc)
		if r.Schedule == nil || r.Schedule.ShiftOn(day, loc, r.Calendar).Workday {
			out = append(out, day)
		}
	}
	return out
}

// leaveFormTypes are the leave types a drop-down holds: the first ten in
// file order (an organisation may declare core.MaxLeaveTypes; the rest are
// typed). A type whose id is longer than an option id may be is left out.
func leaveFormTypes(types []core.LeaveType) []core.LeaveType {
	var out []core.LeaveType
	for _, t := range types {
		if len(out) == maxSelectOptions {
			break
		}
		if t.ID != "" && len(t.ID) <= maxOptionIDBytes {
			out = append(out, t)
		}
	}
	return out
}

func leaveTypeLabel(t core.LeaveType) string {
	if t.Name != "" {
		return t.Name
	}
	return t.ID
}

func leavePartLabel(part, lang string) string {
	switch part {
	case partMorning:
		return tr(lang, "上午", "Morning")
	case partAfternoon:
		return tr(lang, "下午", "Afternoon")
	}
	return tr(lang, "全天", "Whole day")
}

// leaveFormSource is the card's source line.
func leaveFormSource(lang string) *CardSource {
	return &CardSource{Desc: tr(lang, "请假申请", "Leave request")}
}

// leaveFormCard is the form: three drop-downs (the first option is chosen
// unless another is: "selected_id 不填或错填默认第一个", doc 101032) and
// the submit button. The main title's description keeps the typed format,
// the way to ask for several days or a clock range.
func leaveFormCard(types []core.LeaveType, dates []time.Time, lang, taskID string) TemplateCard {
	var typeOpts, dateOpts, partOpts []CardOption
	for _, t := range leaveFormTypes(types) {
		typeOpts = append(typeOpts, CardOption{ID: t.ID, Text: leaveTypeLabel(t)})
	}
	for _, d := range dates {
		dateOpts = append(dateOpts, CardOption{ID: d.Format(core.DateLayout), Text: LeaveFormDateLabel(d, lang)})
	}
	for _, p := range []string{partWholeDay, partMorning, partAfternoon} {
		partOpts = append(partOpts, CardOption{ID: p, Text: leavePartLabel(p, lang)})
	}
	return TemplateCard{
		CardType: CardMultiInteraction,
		Source:   leaveFormSource(lang),
		MainTitle: &CardTitle{
			Title: tr(lang, "请假：选好后点提交", "Leave: choose, then submit"),
			Desc: tr(lang, "多天或按钟点请发文字，如：请假 12-03..12-05 年假；请假 12-03 09:00-11:00 病假",
				"For several days or hours, type e.g. leave 12-03..12-05 annual; leave 12-03 09:00-11:00 sick"),
		},
		TaskID: taskID,
		SelectList: []CardSelection{
			{QuestionKey: questionLeaveType, Title: tr(lang, "假期类型", "Leave type"), OptionList: typeOpts},
			{QuestionKey: questionLeaveDate, Title: tr(lang, "日期", "Date"), OptionList: dateOpts},
			{QuestionKey: questionLeavePart, Title: tr(lang, "时段", "Part of day"), OptionList: partOpts},
		},
		SubmitButton: &CardSubmitButton{Text: tr(lang, "提交", "Submit"), Key: KeyLeaveFormSubmit},
	}
}

// leaveFormDoneCard replaces a submitted form: what was filed (or why it
// was not) as the title, each drop-down showing only its choice and
// disabled ("disable … 仅在更新模版卡片的时候该字段有效", doc 101032), and
// the submit button grey with replace_text, so a second tap does nothing.
func leaveFormDoneCard(r core.Reply, lang string, rt leaveFormRoute) TemplateCard {
	return formDoneCard(r, lang, rt, formLook{
		source:   leaveFormSource(lang),
		notFiled: tr(lang, "请假未提交", "Leave not filed"), filed: tr(lang, "请假已提交", "Leave filed"),
		filedNo:   tr(lang, "请假申请 #%d 已提交", "Leave request #%d filed"),
		questions: [][2]string{{questionLeaveType, tr(lang, "假期类型", "Leave type")}, {questionLeaveDate, tr(lang, "日期", "Date")}, {questionLeavePart, tr(lang, "时段", "Part of day")}},
		submitKey: KeyLeaveFormSubmit,
	})
}

// formLook is what tells the form cards apart once submitted: the source
// line, the titles (filedNo takes the request number), the drop-downs'
// keys and titles, and the submit button's key.
type formLook struct {
	source                   *CardSource
	notFiled, filed, filedNo string
	questions                [][2]string
	submitKey                string
}

// formDoneCard is a submitted form card made final (leaveFormDoneCard).
func formDoneCard(r core.Reply, lang string, rt leaveFormRoute, look formLook) TemplateCard {
	headline, _, _ := strings.Cut(bots.Headline(r, lang), "\n")
	title, grey := look.notFiled, tr(lang, "未提交", "Not filed")
	if r.Outcome == core.OutcomeMakeupFiled {
		title, grey = look.filed, tr(lang, "已提交", "Filed")
		if r.Makeup != nil && r.Makeup.Request.ID != 0 {
			title = fmt.Sprintf(look.filedNo, r.Makeup.Request.ID)
		}
	}
	var selects []CardSelection
	for i, q := range look.questions {
		label := "—"
		if i < len(rt.FormChosen) && rt.FormChosen[i] != "" {
			label = rt.FormChosen[i]
		}
		selects = append(selects, CardSelection{QuestionKey: q[0], Title: q[1], Disable: true, OptionList: []CardOption{{ID: "chosen", Text: label}}})
	}
	return TemplateCard{
		CardType:     CardMultiInteraction,
		Source:       look.source,
		MainTitle:    &CardTitle{Title: title, Desc: headline},
		TaskID:       rt.FormTask,
		SelectList:   selects,
		SubmitButton: &CardSubmitButton{Text: tr(lang, "提交", "Submit"), Key: look.submitKey},
		ReplaceText:  grey,
	}
}

// sendLeaveForm delivers the replies the form is about; done is false for
// the others, and for the answer to a submission once its card is updated,
// whose text then follows as for a typed request. 请假 alone is answered
// with the form instead of the usage text.
func (b *Bot) sendLeaveForm(ctx context.Context, m core.OutboxMessage, reply core.Reply) (done bool, err error) {
	var rt leaveFormRoute
	if json.Unmarshal([]byte(m.Route), &rt) != nil || rt.ToUser == "" {
		return false, nil
	}
	lang := bots.Lang(reply, rt.Lang)
	if bots.IsOvertimeUsage(reply) {
		return b.sendOvertimeForm(ctx, m, reply, rt, lang) // overtimeform.go
	}
	if isLeaveUsage(reply) {
		lf := b.leaveForm
		if lf == nil || reply.EmployeeID == "" {
			return false, nil
		}
		roster, err := lf.Roster(ctx, reply.EmployeeID)
		if core.ErrorCode(err) == core.ENOTFOUND {
			return false, nil // gone since: the usage text says enough
		}
		if err != nil {
			return true, err
		}
		types, err := lf.LeaveTypes(ctx)
		if err != nil {
			return true, err
		}
		now := b.now()
		card := leaveFormCard(types, leaveFormDates(now, roster), lang, leaveFormTaskID(lang, m.ID, m.Attempts, now, userTag(b.cfg.CorpID, rt.ToUser)))
		if err := card.Validate(); err != nil {
			// No working day within a month, no usable leave type: a card
			// WeCom would refuse. The typed format still works.
			b.log.Warn("wecom: no leave form to offer; answering with the typed format", "user", rt.ToUser, "err", err)
			return false, nil
		}
		res, err := b.client.SendTemplateCard(ctx, rt.ToUser, card)
		if err != nil {
			return true, err
		}
		return true, refused(res, rt.ToUser)
	}
	if rt.FormCode == "" || rt.FormTask == "" {
		return false, nil
	}
	card := leaveFormDoneCard(reply, lang, rt)
	if strings.HasPrefix(rt.FormTask, overtimeFormTaskPrefix) {
		card = overtimeFormDoneCard(reply, lang, rt) // overtimeform.go
	}
	err = b.client.UpdateTemplateCard(ctx, TemplateCardUpdate{UserIDs: []string{rt.ToUser}, AgentID: rt.AgentID, ResponseCode: rt.FormCode, TemplateCard: &card})
	if err != nil && core.ErrorCode(err) != core.EINVALID {
		return true, err
	}
	if err != nil {
		// A spent or expired code: the answer still goes out as text.
		b.log.Warn("wecom: the form cannot be updated; answering with a message", "user", rt.ToUser, "err", err)
	}
	return false, nil
}

// Problems of a submitted form, found before the core is asked.
const (
	formMissing    = "missing"     // a drop-down came back without a choice
	formNotOffered = "not_offered" // an option id the card did not offer
	formPast       = "past"        // the date has passed since the card was sent
	formExpired    = "expired"     // older than leaveFormTTL
	formUnreadable = "unreadable"  // a task_id of ours that does not read
)

func leaveFormProblemText(problem, lang string, date time.Time) string {
	switch problem {
	case formMissing:
		return tr(lang, "❌ 请假未提交：请选好假期类型、日期和时段后再点“提交”。",
			"❌ Leave not filed: choose the leave type, the date and the part of the day, then tap Submit.")
	case formNotOffered:
		return tr(lang, "❌ 请假未提交：所选的项不是这张卡片提供的选项。请重新发送“请假”获取新卡片。",
			"❌ Leave not filed: that choice is not one this card offered. Send “leave” for a new card.")
	case formPast:
		return fmt.Sprintf(tr(lang, "❌ 请假未提交：%s 已经过去。请重新发送“请假”选择今天或以后的日期；补请过去的假请发文字，例如：请假 %s 病假。",
			"❌ Leave not filed: %s has passed. Send “leave” again to pick today or a later date; for a past day type it, e.g. leave %s sick."),
			LeaveFormDateLabel(date, lang), date.Format("01-02"))
	case formExpired:
		return tr(lang, "❌ 这张请假卡片已过期（发出已超过 24 小时），没有提交。请重新发送“请假”。",
			"❌ This leave card has expired (sent over 24 hours ago); nothing was filed. Send “leave” for a new one.")
	}
	return "❌ 无法识别这张请假卡片，没有提交。请重新发送“请假”。\n❌ This leave card cannot be read; nothing was filed. Send “leave” for a new one."
}

// readLeaveForm turns a submission into the leave's arguments and the
// labels of the choices, or names the problem. The options offered are
// recomputed from the moment the card was sent, so only those count.
func readLeaveForm(selected map[string][]string, task leaveFormTask, now time.Time, r core.Roster, types []core.LeaveType) (args core.LeaveArgs, chosen []string, problem string, date time.Time) {
	one := func(key string) (string, bool) {
		ids := selected[key]
		if len(ids) != 1 || ids[0] == "" {
			return "", false
		}
		return ids[0], true
	}
	typeID, ok1 := one(questionLeaveType)
	dateID, ok2 := one(questionLeaveDate)
	part, ok3 := one(questionLeavePart)
	if !ok1 || !ok2 || !ok3 {
		return args, nil, formMissing, date
	}
	offered := leaveFormTypes(types)
	i := slices.IndexFunc(offered, func(t core.LeaveType) bool { return t.ID == typeID })
	dates := leaveFormDates(task.sent, r)
	j := slices.IndexFunc(dates, func(d time.Time) bool { return d.Format(core.DateLayout) == dateID })
	if i < 0 || j < 0 || !slices.Contains([]string{partWholeDay, partMorning, partAfternoon}, part) {
		return args, nil, formNotOffered, date
	}
	date = dates[j]
	loc := r.Zone()
	y, m, d := now.In(loc).Date()
	if date.Before(time.Date(y, m, d, 0, 0, 0, 0, loc)) {
		return args, nil, formPast, date
	}
	args = core.LeaveArgs{Type: core.RequestLeave, LeaveType: typeID, From: dateID}
	switch part {
	case partMorning:
		args.EndClock = leaveFormNoon
	case partAfternoon:
		args.StartClock = leaveFormNoon
	}
	return args, []string{leaveTypeLabel(offered[i]), LeaveFormDateLabel(date, task.lang), leavePartLabel(part, task.lang)}, "", date
}

// receiveLeaveForm handles the submit of a leave form and reports whether
// the callback was one. Someone else's tap (a forwarded card) and bad
// input are answered with a passive text and change nothing. A good one is
// filed through the core like a typed request; its event id is the card's
// task_id, so WeCom's retries and a second tap before the card is
// replaced get the recorded answer and file nothing more: the event ledger
// in the database decides.
func (b *Bot) receiveLeaveForm(ctx context.Context, w http.ResponseWriter, r *http.Request, m Message, plain []byte) bool {
	if b.receiveOvertimeForm(ctx, w, r, m, plain) { // overtimeform.go
		return true
	}
	if m.MsgType != MsgEvent || m.Event != EventTemplateCard || !strings.HasPrefix(m.TaskID, leaveFormTaskPrefix) ||
		m.CardType != CardMultiInteraction || m.EventKey != KeyLeaveFormSubmit {
		return false
	}
	f, ok := b.openForm(ctx, w, r, m, plain, leaveFormTaskPrefix, func(problem, lang string) string { return leaveFormProblemText(problem, lang, time.Time{}) })
	if !ok {
		return true
	}
	types, err := b.leaveForm.LeaveTypes(ctx)
	if err != nil {
		b.log.Error("wecom: cannot read the leave form's options", "user", m.FromUserName, "err", err)
		http.Error(w, "temporarily unavailable", http.StatusInternalServerError)
		return true
	}
	args, chosen, problem, date := readLeaveForm(f.selected, f.task, b.now(), f.roster, types)
	if problem != "" {
		b.log.Info("wecom: leave form refused", "user", m.FromUserName, "problem", problem)
		b.passiveAnswer(w, r, m, leaveFormProblemText(problem, f.task.lang, date))
		return true
	}
	b.fileFormCard(ctx, w, r, m, f, "leaveform:", args, chosen)
	return true
}

// openedForm is a submitted form card that is ours, its owner's and not
// expired, with the owner's identity and roster and what was chosen.
type openedForm struct {
	task     leaveFormTask
	actor    core.Identity
	roster   core.Roster
	selected map[string][]string
}

// openForm checks what every form card's submission needs (leave form,
// overtime form): a task_id of ours that reads, tapped by the user it was
// sent to, within leaveFormTTL, by someone the organisation knows. ok is
// false when it has answered: a passive text (problemText names formUnreadable
// and formExpired in the card's language), or an error WeCom retries.
func (b *Bot) openForm(ctx context.Context, w http.ResponseWriter, r *http.Request, m Message, plain []byte, prefix string, problemText func(problem, lang string) string) (f openedForm, ok bool) {
	task, ok := parseFormTask(prefix, m.TaskID)
	if !ok {
		b.passiveAnswer(w, r, m, problemText(formUnreadable, ""))
		return f, false
	}
	if task.tag != userTag(b.cfg.CorpID, m.FromUserName) {
		b.log.Info("wecom: a form submitted by someone else", "user", m.FromUserName, "task", m.TaskID)
		b.passiveNotForYou(w, r, m)
		return f, false
	}
	if b.now().Sub(task.sent) > leaveFormTTL {
		b.passiveAnswer(w, r, m, problemText(formExpired, task.lang))
		return f, false
	}
	actor := core.Identity{Platform: core.PlatformWeCom, Tenant: b.cfg.CorpID, UserID: m.FromUserName}
	lf := b.leaveForm
	if lf == nil {
		b.log.Warn("wecom: a form submitted, but the core cannot read it")
		b.passiveAnswer(w, r, m, problemText(formUnreadable, ""))
		return f, false
	}
	fail := func(err error) (openedForm, bool) {
		b.log.Error("wecom: cannot read the form's options", "user", m.FromUserName, "err", err)
		http.Error(w, "temporarily unavailable", http.StatusInternalServerError)
		return f, false
	}
	who, err := lf.Whois(ctx, actor)
	if err != nil {
		// Unknown accounts are the core's to answer; the form was theirs
		// once, so the tag matched.
		if core.ErrorCode(err) != core.ENOTFOUND {
			return fail(err)
		}
		b.passiveAnswer(w, r, m, bots.Headline(core.Reply{Outcome: core.OutcomeUnknownUser, Platform: core.PlatformWeCom, Contact: who.Contact}, task.lang))
		return f, false
	}
	roster, err := lf.Roster(ctx, who.EmployeeID)
	if err != nil {
		return fail(err)
	}
	selected, err := ParseSelectedItems(plain)
	if err != nil {
		b.reject(w, r, http.StatusBadRequest, "bad message", err)
		return f, false
	}
	return openedForm{task: task, actor: actor, roster: roster, selected: selected}, true
}

// fileFormCard files a checked form's arguments as the typed request is
// filed, under the event id eventPrefix + task_id, with the reply route
// that lets the answer replace the card (sendLeaveForm).
func (b *Bot) fileFormCard(ctx context.Context, w http.ResponseWriter, r *http.Request, m Message, f openedForm, eventPrefix string, args core.LeaveArgs, chosen []string) {
	route, _ := json.Marshal(leaveFormRoute{Route: Route{ToUser: m.FromUserName, AgentID: b.agentID, Lang: f.task.lang},
		FormCode: m.ResponseCode, FormTask: m.TaskID, FormChosen: chosen})
	cmd := core.Command{
		Actor: f.actor, Kind: core.CmdLeave, Leave: &args,
		At: time.Unix(m.CreateTime, 0), ReceivedAt: b.now(),
		EventID: eventPrefix + m.TaskID, ReplyRoute: string(route),
	}
	reply, err := b.core.Handle(ctx, cmd)
	if err != nil {
		if core.ErrorCode(err) == core.EINVALID {
			b.reject(w, r, http.StatusBadRequest, "invalid command", err)
			return
		}
		// Nothing acknowledged: WeCom retries, and the event id makes the
		// retry safe whether or not this attempt committed.
		b.log.Error("wecom core call failed", "event", cmd.EventID, "err", err)
		http.Error(w, "temporarily unavailable", http.StatusInternalServerError)
		return
	}
	b.log.Debug("wecom form", "event", cmd.EventID, "outcome", reply.Outcome, "replayed", reply.Replayed)
	w.WriteHeader(http.StatusOK)
}
