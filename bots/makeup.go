package bots

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

// MakeupCore is what the bots need from the core for make-up approval
// cards beyond Handle: remembering where a card was sent so it can be
// edited in place, finding it again, and checking a clicker before asking
// them for a reject reason. *core.Service implements it.
type MakeupCore interface {
	RecordCardRef(ctx context.Context, ref core.CardRef) error
	CardRef(ctx context.Context, requestID int64, platform core.Platform, recipient string) (core.CardRef, error)
	MayDecide(ctx context.Context, actor core.Identity, id int64) error
}

// MakeupAction is what a make-up message asks for.
type MakeupAction string

// Make-up actions the grammar recognises after 补卡 / makeup.
const (
	MakeupForm    MakeupAction = "form"    // no arguments: a form where there is one (Slack), else the usage
	MakeupFile    MakeupAction = "file"    // 补卡 11-25 09:00 上班 地铁故障
	MakeupCancel  MakeupAction = "cancel"  // 补卡 取消 [#12]
	MakeupApprove MakeupAction = "approve" // 补卡 同意 12
	MakeupReject  MakeupAction = "reject"  // 补卡 驳回 12 [理由]
	// MakeupRevoke takes back an approved leave, trip or outing: 撤销 12
	// 理由 / revoke 12 reason. The core lets the approver or HR revoke
	// and has the requester's own 撤销 withdraw.
	MakeupRevoke MakeupAction = "revoke"
)

// Problems only the grammar finds, besides the core's ProblemDate, …
const (
	ProblemID    = "id"    // a missing or unreadable request number
	ProblemUsage = "usage" // 补卡 alone where there is no form to show
)

// MakeupIntent is a parsed make-up message. Problem names the part that
// could not be read (core.ProblemDate, ProblemTime, ProblemKind,
// ProblemReason, ProblemID); the core checks the rest.
type MakeupIntent struct {
	Action  MakeupAction
	Args    core.MakeupArgs
	Problem string
}

var (
	makeupCancelWords  = []string{"取消", "撤回", "撤销", "cancel", "withdraw"}
	makeupApproveWords = []string{"同意", "批准", "通过", "approve", "ok"}
	makeupRejectWords  = []string{"驳回", "拒绝", "不同意", "reject", "deny"}
	makeupInWords      = []string{"上班", "上班打卡", "上班卡", "签到", "in", "clock-in", "check-in", "checkin"}
	makeupOutWords     = []string{"下班", "下班打卡", "下班卡", "签退", "out", "clock-out", "check-out", "checkout"}
)

// makeupRevokeWords with a request number revoke; 撤销 alone is still the
// cancel of the latest pending request.
var makeupRevokeWords = []string{"撤销", "revoke"}

func oneOf(word string, set []string) bool {
	for _, w := range set {
		if strings.EqualFold(word, w) {
			return true
		}
	}
	return false
}

// ParseMakeup reads what follows 补卡 / makeup (Intent.Args): a request
// "11-25 09:00 上班 地铁故障" (date, time and direction in any order, then
// the reason), "取消" / "cancel" with an optional request number,
// "同意 12" / "approve 12", "驳回 12 理由" / "reject 12 reason", or
// "撤销 12 理由" / "revoke 12 reason".
func ParseMakeup(args string) MakeupIntent {
	fields := strings.Fields(strings.NewReplacer("：", ":", "，", " ", ",", " ").Replace(args))
	if len(fields) == 0 {
		return MakeupIntent{Action: MakeupForm}
	}
	head := strings.ToLower(fields[0])
	switch {
	case oneOf(head, makeupCancelWords) && (len(fields) == 1 || !oneOf(head, makeupRevokeWords)):
		// 撤销 alone withdraws the latest pending request; with a number
		// it revokes (below).
		in := MakeupIntent{Action: MakeupCancel}
		if len(fields) > 1 {
			id, ok := requestID(fields[1])
			if !ok {
				in.Problem = ProblemID
			}
			in.Args.ID = id
		}
		return in
	case oneOf(head, makeupApproveWords), oneOf(head, makeupRejectWords), oneOf(head, makeupRevokeWords):
		in := MakeupIntent{Action: MakeupApprove}
		in.Args.Decision = core.MakeupApproved
		switch {
		case oneOf(head, makeupRejectWords):
			in.Action, in.Args.Decision = MakeupReject, core.MakeupRejected
		case oneOf(head, makeupRevokeWords):
			in.Action, in.Args.Decision = MakeupRevoke, core.MakeupRevoked
		}
		if len(fields) < 2 {
			in.Problem = ProblemID
			return in
		}
		id, ok := requestID(fields[1])
		if !ok {
			in.Problem = ProblemID
		}
		in.Args.ID = id
		in.Args.Note = strings.Join(fields[2:], " ")
		return in
	}
	in := MakeupIntent{Action: MakeupFile}
	var haveDate, haveTime, haveKind bool
	rest := fields
	for len(rest) > 0 && !(haveDate && haveTime && haveKind) {
		f := rest[0]
		if d, ok := makeupDate(f); ok && !haveDate {
			in.Args.Date, haveDate = d, true
		} else if c, ok := makeupClock(f); ok && !haveTime {
			in.Args.Clock, haveTime = c, true
		} else if k, ok := makeupKind(f); ok && !haveKind {
			in.Args.Kind, haveKind = k, true
		} else if d, c, ok := makeupDateTime(f); ok && !haveDate && !haveTime {
			in.Args.Date, in.Args.Clock, haveDate, haveTime = d, c, true, true
		} else {
			break
		}
		rest = rest[1:]
	}
	in.Args.Reason = strings.Join(rest, " ")
	switch {
	case !haveDate:
		in.Problem = core.ProblemDate
	case !haveTime:
		in.Problem = core.ProblemTime
	case !haveKind:
		in.Problem = core.ProblemKind
	case in.Args.Reason == "":
		in.Problem = core.ProblemReason
	}
	return in
}

func requestID(s string) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	return id, err == nil && id > 0
}

// makeupDate accepts 2026-11-25, 2026/11/25, 11-25, 11/25, 11月25日,
// 2026年11月25日 and 今天 / 昨天 / today / yesterday, and returns the
// core's form ("2006-01-02", "01-02", "today", "yesterday").
func makeupDate(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "今天", "today":
		return "today", true
	case "昨天", "yesterday":
		return "yesterday", true
	}
	t := strings.NewReplacer("年", "-", "月", "-", "日", "", "号", "", "/", "-", ".", "-").Replace(s)
	parts := strings.Split(t, "-")
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || p == "" || len(p) > 4 {
			return "", false
		}
		nums[i] = n
	}
	switch {
	case len(nums) == 3 && len(parts[0]) == 4 && nums[1] >= 1 && nums[1] <= 12 && nums[2] >= 1 && nums[2] <= 31:
		return fmt.Sprintf("%04d-%02d-%02d", nums[0], nums[1], nums[2]), true
	case len(nums) == 2 && len(parts[0]) <= 2 && nums[0] >= 1 && nums[0] <= 12 && nums[1] >= 1 && nums[1] <= 31:
		return fmt.Sprintf("%02d-%02d", nums[0], nums[1]), true
	}
	return "", false
}

// makeupClock accepts H:MM and HH:MM (a full-width colon is normalised
// before) and 9点 / 9点30.
func makeupClock(s string) (string, bool) {
	h, m, ok := strings.Cut(s, ":")
	if !ok {
		h, m, ok = strings.Cut(strings.TrimSuffix(s, "分"), "点")
		if !ok {
			return "", false
		}
		if m == "" {
			m = "00"
		}
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || len(h) > 2 || len(m) != 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return "", false
	}
	return fmt.Sprintf("%02d:%02d", hh, mm), true
}

// makeupDateTime accepts a date and a time glued together with "T" or
// written as one token the way some keyboards produce ("11-25T09:00").
func makeupDateTime(s string) (string, string, bool) {
	d, c, ok := strings.Cut(s, "T")
	if !ok {
		return "", "", false
	}
	date, ok1 := makeupDate(d)
	clock, ok2 := makeupClock(c)
	return date, clock, ok1 && ok2
}

func makeupKind(s string) (core.PunchKind, bool) {
	switch {
	case oneOf(s, makeupInWords):
		return core.KindIn, true
	case oneOf(s, makeupOutWords):
		return core.KindOut, true
	}
	return "", false
}

// MakeupCommand builds the core command for a parsed intent. An intent
// with a problem (or the bare form, where a bot has no form to show) is
// still sent to the core as a request carrying the problem, so the answer
// is recorded and delivered like any other.
func MakeupCommand(in MakeupIntent) core.Command {
	args := in.Args
	cmd := core.Command{Kind: core.CmdMakeup, Makeup: &args}
	switch {
	case in.Action == MakeupForm:
		args.Problem = ProblemUsage
	case in.Problem != "":
		args.Problem = in.Problem
	case in.Action == MakeupCancel:
		cmd.Kind = core.CmdMakeupCancel
	case in.Action == MakeupApprove || in.Action == MakeupReject || in.Action == MakeupRevoke:
		cmd.Kind = core.CmdMakeupDecide
	}
	return cmd
}

// MakeupUsage explains the make-up commands.
func MakeupUsage(lang string) string {
	return pick(lang,
		"补卡格式：补卡 11-25 09:00 上班 原因（日期、时间、上班/下班，然后写原因）\n• 撤回：补卡 取消\n• 审批人：补卡 同意 12、补卡 驳回 12 原因，或直接点卡片上的按钮\n提交后 10 分钟内发送的图片或文件会作为证明附上。",
		"Make-up format: makeup 2026-11-25 09:00 in reason (date, time, in/out, then the reason)\n• withdraw: makeup cancel\n• approvers: makeup approve 12, makeup reject 12 reason, or the buttons on the card\nAn image or file you send within 10 minutes of filing is attached as evidence.")
}

func problemLine(problem, lang string) string {
	switch problem {
	case core.ProblemDate:
		return pick(lang, "日期看不懂，请写成 11-25 或 2026-11-25。", "I could not read the date; write it as 2026-11-25 or 11-25.")
	case core.ProblemTime:
		return pick(lang, "时间看不懂，请写成 09:00。", "I could not read the time; write it as 09:00.")
	case core.ProblemKind:
		return pick(lang, "请说明补上班卡还是下班卡。", "Say whether it is the clock-in (in) or the clock-out (out).")
	case core.ProblemReason:
		return pick(lang, "请写明补卡原因（不超过 500 字）。", "Please give a reason (at most 500 characters).")
	case ProblemID:
		return pick(lang, "请写上补卡申请的编号，例如 12。", "Please give the request number, for example 12.")
	case ProblemUsage:
		return pick(lang, "补卡需要写明日期、时间、上班还是下班，以及原因。", "A make-up request needs the date, the time, in or out, and a reason.")
	}
	return pick(lang, "补卡申请有误。", "The make-up request is not valid.")
}

// Weekday names for card dates.
var (
	weekdaysZH = []string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}
	weekdaysEN = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
)

// MakeupDate formats the request's shift date with its weekday.
func MakeupDate(v core.MakeupView, lang string) string {
	d, err := time.Parse(core.DateLayout, v.Request.ShiftDate)
	if err != nil {
		return v.Request.ShiftDate
	}
	if lang == "en" {
		return v.Request.ShiftDate + " (" + weekdaysEN[d.Weekday()] + ")"
	}
	return v.Request.ShiftDate + "（" + weekdaysZH[d.Weekday()] + "）"
}

// MakeupSlot is "上班 09:00" / "Clock-in 09:00" in the requester's zone.
func MakeupSlot(v core.MakeupView, lang string) string {
	at := v.Request.At.In(v.Location())
	clock := at.Format("15:04")
	if v.Request.ShiftDate != "" && at.Format(core.DateLayout) != v.Request.ShiftDate {
		clock = at.Format("01-02 15:04")
	}
	return kindWord(lang, v.Request.Kind) + " " + clock
}

// makeupWhen formats a decision time in the requester's zone.
func makeupWhen(v core.MakeupView, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(v.Location()).Format("01-02 15:04")
}

// MakeupDecider names who closed the request.
func MakeupDecider(v core.MakeupView, lang string) string {
	switch v.Request.DecidedBy {
	case core.ActorAdmin:
		return pick(lang, "HR（管理后台）", "HR (console)")
	case core.ActorSystem:
		return pick(lang, "系统", "the system")
	}
	if v.DeciderName != "" {
		return v.DeciderName
	}
	return v.Request.DecidedBy
}

// MakeupUsed is "2/3" (or "2" when the quota is unlimited).
func MakeupUsed(v core.MakeupView, lang string) string {
	if v.Quota <= 0 {
		return strconv.Itoa(v.Used) + pick(lang, "（不限）", " (no limit)")
	}
	return fmt.Sprintf("%d/%d", v.Used, v.Quota)
}

// MakeupPunches lists the day's actual punches in one line.
func MakeupPunches(v core.MakeupView, lang string) string {
	var parts []string
	loc := v.Location()
	for _, p := range v.Punches {
		s := p.At.In(loc).Format("15:04") + " " + kindWord(lang, p.Kind)
		var notes []string
		switch {
		case p.Outcome == core.OutcomeFieldPending:
			notes = append(notes, pick(lang, "外勤待审批", "field, waiting for approval"))
		case !p.Valid():
			notes = append(notes, pick(lang, "未通过", "refused"))
		case p.TimeResult == core.TimeLate || p.TimeResult == core.TimeSeriousLate || p.TimeResult == core.TimeAbsentLate:
			notes = append(notes, pick(lang, fmt.Sprintf("迟到 %d 分钟", p.LateMin), fmt.Sprintf("%d min late", p.LateMin)))
		case p.TimeResult == core.TimeEarly:
			notes = append(notes, pick(lang, fmt.Sprintf("早退 %d 分钟", p.EarlyMin), fmt.Sprintf("%d min early", p.EarlyMin)))
		}
		if p.Outcome == core.OutcomeField {
			notes = append(notes, pick(lang, "外勤", "field"))
		}
		if p.Source == core.SourceMakeup {
			notes = append(notes, pick(lang, "补卡", "make-up"))
		}
		if len(notes) > 0 {
			s += pick(lang, "（"+strings.Join(notes, "，")+"）", " ("+strings.Join(notes, ", ")+")")
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return pick(lang, "无打卡记录", "no punches")
	}
	return strings.Join(parts, pick(lang, "；", "; "))
}

// Evidence is one attached file as cards show it: a link when the
// platform gave one, otherwise a label.
type Evidence struct {
	Label string
	URL   string
}

// EvidenceRef builds the stored reference of a file a platform handed
// over: a URL as is (Slack permalinks), otherwise "platform:kind:id".
func EvidenceRef(platform core.Platform, kind, id string) string {
	if strings.HasPrefix(id, "https://") || strings.HasPrefix(id, "http://") {
		return id
	}
	return string(platform) + ":" + kind + ":" + id
}

// MakeupEvidence lists the attached files for a card.
func MakeupEvidence(v core.MakeupView, lang string) []Evidence {
	var out []Evidence
	for i, ref := range v.Request.Evidence {
		n := strconv.Itoa(i + 1)
		if strings.HasPrefix(ref, "https://") || strings.HasPrefix(ref, "http://") {
			out = append(out, Evidence{Label: pick(lang, "附件 "+n, "File "+n), URL: ref})
			continue
		}
		platform, rest, _ := strings.Cut(ref, ":")
		kind, _, _ := strings.Cut(rest, ":")
		what := pick(lang, "文件", "file")
		if kind == "image" {
			what = pick(lang, "图片", "image")
		}
		out = append(out, Evidence{Label: pick(lang, "附件 "+n+"（"+platformName(platform, lang)+what+"）", "File "+n+" ("+platformName(platform, lang)+" "+what+")")})
	}
	return out
}

func platformName(p, lang string) string {
	switch core.Platform(p) {
	case core.PlatformWeCom:
		return pick(lang, "企业微信", "WeCom")
	case core.PlatformFeishu:
		return pick(lang, "飞书", "Feishu")
	case core.PlatformSlack:
		return "Slack"
	}
	return p
}

// MakeupStatusLine is the card's state: waiting for whom, or the outcome
// with who and when.
func MakeupStatusLine(v core.MakeupView, lang string) string {
	m := v.Request
	who, when := MakeupDecider(v, lang), makeupWhen(v, m.DecidedAt)
	switch m.Status {
	case core.MakeupPending:
		if v.ApproverName == "" {
			return pick(lang, "⏳ 待 HR 在管理后台审批", "⏳ Waiting for HR at the console")
		}
		return pick(lang, "⏳ 待审批（审批人："+v.ApproverName+"）", "⏳ Waiting for "+v.ApproverName)
	case core.MakeupApproved:
		return pick(lang, "✅ 已同意 · "+who+" · "+when, "✅ Approved by "+who+" · "+when)
	case core.MakeupRejected:
		line := pick(lang, "❌ 已驳回 · "+who+" · "+when, "❌ Rejected by "+who+" · "+when)
		if m.Note != "" {
			line += pick(lang, "\n理由："+m.Note, "\nReason: "+m.Note)
		}
		return line
	case core.MakeupCancelled:
		return pick(lang, "↩️ 申请人已撤回 · "+when, "↩️ Withdrawn by the requester · "+when)
	case core.MakeupExpired:
		return pick(lang, "⌛ 超时未审批，已过期 · "+when, "⌛ Expired without a decision · "+when)
	case core.MakeupRevoked:
		if m.DecidedBy == m.EmployeeID {
			return pick(lang, "↩️ 批准后申请人已撤回（销假） · "+when, "↩️ Withdrawn by the requester after approval · "+when)
		}
		line := pick(lang, "🚫 批准后已被 "+who+" 撤销 · "+when, "🚫 Revoked after approval by "+who+" · "+when)
		if m.Note != "" {
			line += pick(lang, "\n理由："+m.Note, "\nReason: "+m.Note)
		}
		return line
	}
	return string(m.Status)
}

// MakeupField is one labelled value on a card. Long values (the reason,
// the day's punches) deserve a whole row.
type MakeupField struct {
	Label string
	Value string
	Long  bool
}

// MakeupCard is the content of an approval card, for each bot to lay out
// in its platform's card format.
type MakeupCard struct {
	Type     core.RequestType // what the request asks for; each platform colours its card by it
	Title    string
	Status   string
	Pending  bool // buttons are shown only while pending
	Fields   []MakeupField
	Evidence []Evidence
	Links    []Evidence // other links, such as the map of a field punch
	Approve  string     // button labels
	Reject   string
	Lang     string
}

// Line renders a field as one line: "原因：地铁故障", "Reason: subway".
func (c MakeupCard) Line(f MakeupField) string {
	return f.Label + pick(c.Lang, "：", ": ") + f.Value
}

// MakeupCardContent renders a request for its approver: who, which day and
// slot, the requested time, the reason, evidence, the month's count and
// the day's actual punches, and the state.
func MakeupCardContent(v core.MakeupView, lang string) MakeupCard {
	m := v.Request
	switch m.TypeOf() {
	case core.RequestField:
		return fieldCardContent(v, lang)
	case core.RequestLeave, core.RequestTrip, core.RequestOuting, core.RequestOvertime:
		return leaveCardContent(v, lang)
	}
	c := MakeupCard{
		Type:    core.RequestMakeup,
		Title:   pick(lang, fmt.Sprintf("补卡申请 #%d · %s", m.ID, v.EmployeeName), fmt.Sprintf("Make-up request #%d · %s", m.ID, v.EmployeeName)),
		Status:  MakeupStatusLine(v, lang),
		Pending: m.Status == core.MakeupPending,
		Fields: []MakeupField{
			{pick(lang, "申请人", "Employee"), v.EmployeeName, false},
			{pick(lang, "日期", "Date"), MakeupDate(v, lang), false},
			{pick(lang, "补卡", "Punch"), MakeupSlot(v, lang), false},
			{pick(lang, "本月已申请", "This month"), MakeupUsed(v, lang), false},
			{pick(lang, "原因", "Reason"), m.Reason, true},
			{pick(lang, "当天打卡", "Punches that day"), MakeupPunches(v, lang), true},
		},
		Evidence: MakeupEvidence(v, lang),
		Approve:  pick(lang, "同意", "Approve"),
		Reject:   pick(lang, "驳回", "Reject"),
		Lang:     lang,
	}
	if len(c.Evidence) == 0 {
		c.Fields = append(c.Fields, MakeupField{pick(lang, "证明", "Evidence"), pick(lang, "无", "none"), false})
	}
	return c
}

// Text renders the card as plain text, for notifications and platforms
// without cards.
func (c MakeupCard) Text() string {
	var b strings.Builder
	b.WriteString(c.Title)
	for _, f := range c.Fields {
		b.WriteString("\n" + c.Line(f))
	}
	for _, e := range c.Evidence {
		b.WriteString("\n📎 " + e.Label)
		if e.URL != "" {
			b.WriteString(" " + e.URL)
		}
	}
	for _, e := range c.Links {
		b.WriteString("\n" + e.Label + " " + e.URL)
	}
	b.WriteString("\n" + c.Status)
	return b.String()
}

// MakeupResultText tells the requester how their request ended, whatever
// its type: the reject reason when the approver gave one.
func MakeupResultText(v core.MakeupView, lang string) string {
	m := v.Request
	t := m.TypeOf()
	noun := RequestNoun(t, lang)
	what := fmt.Sprintf("#%d", m.ID) + requestSummary(v, lang)
	who := MakeupDecider(v, lang)
	counted := pick(lang, "当天考勤已更新。", "that day's attendance is updated.")
	switch t {
	case core.RequestField:
		counted = pick(lang, "这次打卡按外勤计入考勤。", "the punch counts as a field punch.")
		if v.Field != nil && v.Field.Superseded {
			counted = SupersededText(lang) // approvalcard.go
		}
	case core.RequestLeave:
		counted = pick(lang, "这段时间无需打卡。", "you need not punch for that time.")
	case core.RequestTrip, core.RequestOuting:
		counted = pick(lang, "这段时间按外勤出勤计算。", "that time counts as worked in the field.")
	case core.RequestOvertime:
		counted = pick(lang, "加班按规则计入考勤报表。", "the overtime counts in the attendance reports by the rules.")
	}
	switch m.Status {
	case core.MakeupApproved:
		return pick(lang, "✅ 你的"+noun+" "+what+"已被 "+who+" 同意，"+counted, "✅ Your "+noun+" "+what+" was approved by "+who+"; "+counted)
	case core.MakeupRejected:
		line := pick(lang, "❌ 你的"+noun+" "+what+"被 "+who+" 驳回", "❌ Your "+noun+" "+what+" was rejected by "+who)
		if t == core.RequestField {
			line += pick(lang, "，这次打卡不计入考勤", "; the punch does not count")
		}
		if m.Note != "" {
			return line + pick(lang, "：", ": ") + m.Note
		}
		return line + pick(lang, "。", ".")
	case core.MakeupExpired:
		return pick(lang, "⌛ 你的"+noun+" "+what+"长时间无人审批，已过期；如仍需要，请重新申请。", "⌛ Your "+noun+" "+what+" expired without a decision; file it again if you still need it.")
	case core.MakeupCancelled:
		return pick(lang, "↩️ 你的"+noun+" "+what+"已撤回。", "↩️ Your "+noun+" "+what+" was withdrawn.")
	case core.MakeupRevoked:
		// A withdrawal is told to the approver, a revocation to the requester.
		if m.DecidedBy == m.EmployeeID {
			return pick(lang, "↩️ "+v.EmployeeName+" 撤回了已批准的"+noun+" "+what+"（销假），这段时间按正常出勤要求考勤。",
				"↩️ "+v.EmployeeName+" withdrew the approved "+noun+" "+what+"; that time is ordinary working time again.")
		}
		line := pick(lang, "🚫 你已获批的"+noun+" "+what+"被 "+who+" 撤销", "🚫 Your approved "+noun+" "+what+" was revoked by "+who)
		if m.Note != "" {
			line += pick(lang, "，理由："+m.Note, ": "+m.Note)
		}
		return line + pick(lang, "。这段时间请正常打卡。", ". Please punch as usual for that time.")
	}
	return pick(lang, "⏳ 你的"+noun+" "+what+"待审批。", "⏳ Your "+noun+" "+what+" is waiting for approval.")
}

// MakeupRefusalText explains a refusal with the rule and the numbers
// ("本月补卡次数已用完（3/3）").
func MakeupRefusalText(v core.MakeupView, lang string) string {
	if line, ok := takeBackRefusal(v, lang); ok {
		return line
	}
	if v.Request.TypeOf() != core.RequestMakeup {
		return leaveRefusal(v, lang)
	}
	r := v.Refusal
	if r == nil {
		return pick(lang, "补卡申请未提交。", "The make-up request was not filed.")
	}
	slot := kindWord(lang, v.Request.Kind)
	var why string
	switch r.Rule {
	case core.MakeupQuotaExhausted:
		why = pick(lang, fmt.Sprintf("本月补卡次数已用完（%d/%d）", r.Used, r.Quota), fmt.Sprintf("this month's make-up quota is used up (%d/%d)", r.Used, r.Quota))
	case core.MakeupPastDeadline:
		why = pick(lang, fmt.Sprintf("已超过补卡期限（只能补 %d 天内的卡）", r.Days), fmt.Sprintf("it is past the deadline (make-ups are allowed for the last %d days)", r.Days))
	case core.MakeupInFuture:
		why = pick(lang, "不能为还没到的时间补卡", "the time is in the future")
	case core.MakeupSlotValid:
		why = pick(lang, v.Request.ShiftDate+" 的"+slot+"卡已正常打过，无需补卡", "the "+strings.ToLower(slot)+" of "+v.Request.ShiftDate+" is already on record and on time")
	case core.MakeupAlreadyOpen:
		why = pick(lang, v.Request.ShiftDate+" 的"+slot+"卡已有待审批的补卡申请", "there is already a pending request for the "+strings.ToLower(slot)+" of "+v.Request.ShiftDate)
	case core.MakeupInvalid:
		return "❌ " + pick(lang, "补卡未提交：", "Make-up not filed: ") + problemLine(v.Problem, lang) + "\n" + MakeupUsage(lang)
	default:
		why = r.Rule
	}
	return "❌ " + pick(lang, "补卡未提交：", "Make-up not filed: ") + why + pick(lang, "。", ".")
}

// MakeupLine is the one-line answer to a make-up, field, leave, trip or
// outing command; ok is false for replies that are not about requests.
func MakeupLine(r core.Reply, lang string) (string, bool) {
	var v core.MakeupView
	if r.Makeup != nil {
		v = *r.Makeup
	}
	m := v.Request
	t := m.TypeOf()
	noun := RequestNoun(t, lang)
	Noun := noun
	if lang == "en" {
		Noun = strings.ToUpper(noun[:1]) + noun[1:]
	}
	what := requestSummary(v, lang)
	switch r.Outcome {
	case core.OutcomeMakeupFiled:
		who := v.ApproverName
		if who == "" {
			who = "HR"
		}
		if t != core.RequestMakeup {
			line := pick(lang, fmt.Sprintf("📝 %s #%d 已提交%s，等待 %s 审批。", noun, m.ID, what, who),
				fmt.Sprintf("📝 %s #%d filed%s, waiting for %s.", Noun, m.ID, what, who))
			if t == core.RequestOvertime {
				line += pick(lang, "加班时长 "+OvertimeAmount(v, lang)+"。", " Overtime: "+OvertimeAmount(v, lang)+".")
			} else if amount := LeaveAmount(v, lang); amount != "" {
				line += pick(lang, "时长 "+amount+"。", " Working time: "+amount+".")
			}
			if balance := LeaveBalance(v, lang); balance != "" {
				line += pick(lang, LeaveTypeName(v, lang)+"余额："+balance+"。", " Balance: "+balance+".")
			}
			return line, true
		}
		return pick(lang,
			fmt.Sprintf("📝 补卡申请 #%d 已提交：%s %s，等待 %s 审批（本月 %s）。如有证明，请在 10 分钟内发送图片或文件。", m.ID, m.ShiftDate, MakeupSlot(v, lang), who, MakeupUsed(v, lang)),
			fmt.Sprintf("📝 Make-up request #%d filed: %s %s, waiting for %s (this month: %s). Send an image or file within 10 minutes to attach evidence.", m.ID, m.ShiftDate, MakeupSlot(v, lang), who, MakeupUsed(v, lang))), true
	case core.OutcomeMakeupRefused:
		return MakeupRefusalText(v, lang), true
	case core.OutcomeMakeupCancelled:
		if m.Status == core.MakeupRevoked {
			who := v.ApproverName
			if who == "" {
				who = "HR"
			}
			return pick(lang, fmt.Sprintf("↩️ 已销假：已撤回已批准的%s #%d%s，这段时间请正常打卡；已通知 %s。", noun, m.ID, what, who),
				fmt.Sprintf("↩️ Approved %s #%d%s withdrawn: punch as usual for that time; %s has been told.", noun, m.ID, what, who)), true
		}
		return pick(lang, fmt.Sprintf("↩️ %s #%d 已撤回。", noun, m.ID), fmt.Sprintf("↩️ %s #%d withdrawn.", Noun, m.ID)), true
	case core.OutcomeMakeupEvidence:
		return pick(lang, fmt.Sprintf("📎 已附到%s #%d（共 %d 个附件）。", noun, m.ID, len(m.Evidence)), fmt.Sprintf("📎 Attached to %s #%d (%d file(s)).", noun, m.ID, len(m.Evidence))), true
	case core.OutcomeMakeupDecided:
		if m.Status == core.MakeupRevoked {
			line := pick(lang, fmt.Sprintf("🚫 已撤销 %s 的%s #%d%s，已通知申请人。", v.EmployeeName, noun, m.ID, what),
				fmt.Sprintf("🚫 Revoked %s's %s #%d%s; they have been told.", v.EmployeeName, noun, m.ID, what))
			if m.Note != "" {
				line += pick(lang, "理由："+m.Note, " Reason: "+m.Note)
			}
			return line, true
		}
		if m.Status == core.MakeupApproved {
			return pick(lang, fmt.Sprintf("✅ 已同意 %s 的%s #%d%s。", v.EmployeeName, noun, m.ID, what),
				fmt.Sprintf("✅ Approved %s's %s #%d%s.", v.EmployeeName, noun, m.ID, what)), true
		}
		line := pick(lang, fmt.Sprintf("❌ 已驳回 %s 的%s #%d%s。", v.EmployeeName, noun, m.ID, what),
			fmt.Sprintf("❌ Rejected %s's %s #%d%s.", v.EmployeeName, noun, m.ID, what))
		if m.Note != "" {
			line += pick(lang, "理由："+m.Note, " Reason: "+m.Note)
		}
		return line, true
	case core.OutcomeMakeupClosed:
		return pick(lang, fmt.Sprintf("%s #%d 已处理：", noun, m.ID), fmt.Sprintf("%s #%d is already closed: ", Noun, m.ID)) + MakeupStatusLine(v, lang), true
	case core.OutcomeMakeupForbidden:
		if m.ID != 0 {
			return pick(lang, fmt.Sprintf("⛔ 你不能审批或处理%s #%d：只有指定的审批人或 HR 可以审批或撤销，申请人本人可以撤回。", noun, m.ID),
				fmt.Sprintf("⛔ You cannot approve this %s (#%d): only the assigned approver or HR can decide or revoke it, and only the requester can withdraw it.", noun, m.ID)), true
		}
		return pick(lang, "⛔ 你不能审批这个申请。", "⛔ You cannot approve this request."), true
	case core.OutcomeMakeupNotFound:
		if m.ID != 0 {
			return pick(lang, fmt.Sprintf("没有找到%s #%d。", noun, m.ID), fmt.Sprintf("There is no %s #%d.", noun, m.ID)), true
		}
		return pick(lang, "你没有待审批的"+noun+"。", "You have no pending "+noun+"."), true
	case core.OutcomeFieldPending:
		return FieldPendingLine(r, lang), true
	}
	return "", false
}

// FieldPendingLine answers a field punch waiting for approval: submitted,
// not recorded, so in yellow and never with the green tick.
func FieldPendingLine(r core.Reply, lang string) string {
	who := pick(lang, "主管", "your manager")
	id := ""
	if r.Makeup != nil {
		if r.Makeup.ApproverName != "" {
			who = r.Makeup.ApproverName
		} else {
			who = "HR"
		}
		if r.Makeup.Request.ID != 0 {
			id = fmt.Sprintf(" #%d", r.Makeup.Request.ID)
		}
	}
	where := ""
	if r.SiteName != "" {
		where = pick(lang, " · 距 "+r.SiteName+" "+Distance(r.DistanceM), " · "+Distance(r.DistanceM)+" from "+r.SiteName)
	}
	return pick(lang,
		"🟡 外勤"+kindWord(lang, r.Kind)+"打卡已提交"+id+" "+Clock(r, r.At)+where+"，等待 "+who+" 审批；审批通过前不计入考勤。",
		"🟡 Field "+strings.ToLower(kindWord(lang, r.Kind))+" submitted"+id+" at "+Clock(r, r.At)+where+", waiting for approval by "+who+"; it does not count until approved.")
}

// takeBackRefusal explains why an approval was not taken back: ok is
// false for the other refusals.
func takeBackRefusal(v core.MakeupView, lang string) (string, bool) {
	if v.Refusal == nil {
		return "", false
	}
	m := v.Request
	noun := RequestNoun(m.TypeOf(), lang)
	Noun := noun
	if lang == "en" {
		Noun = strings.ToUpper(noun[:1]) + noun[1:]
	}
	switch v.Refusal.Rule {
	case core.WithdrawStarted:
		who := v.ApproverName
		if who == "" {
			who = "HR"
		}
		start := m.Start.In(v.Location()).Format("01-02 15:04")
		return pick(lang, fmt.Sprintf("❌ %s #%d 已于 %s 开始，不能再自行撤回；请联系审批人 %s 或 HR 撤销。", noun, m.ID, start, who),
			fmt.Sprintf("❌ %s #%d started at %s, so you can no longer withdraw it; ask your approver %s or HR to revoke it.", Noun, m.ID, start, who)), true
	case core.RevokeNotRevocable:
		return pick(lang, fmt.Sprintf("❌ %s #%d 的审批已写入打卡记录，不能撤销；如需更正，请 HR 在管理后台修改打卡。", noun, m.ID),
			fmt.Sprintf("❌ The approval of %s #%d wrote a punch, so it cannot be revoked; HR can correct the punch at the console.", noun, m.ID)), true
	case core.RevokeNotApproved:
		return pick(lang, fmt.Sprintf("❌ %s #%d 还在待审批，请直接同意或驳回（例如：驳回 %d 理由）。", noun, m.ID, m.ID),
			fmt.Sprintf("❌ %s #%d is still pending: approve or reject it instead (for example: reject %d reason).", Noun, m.ID, m.ID)), true
	case core.RevokeNeedsReason:
		return pick(lang, fmt.Sprintf("❌ 撤销需要写明理由，申请人会收到，例如：撤销 %d 员工已到岗。", m.ID),
			fmt.Sprintf("❌ Give a reason to revoke; the requester receives it, for example: revoke %d came to work after all.", m.ID)), true
	}
	return "", false
}
