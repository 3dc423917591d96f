package bots

import (
	"fmt"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

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
		return pick(lang, "请写上申请的编号，例如 12。", "Please give the request number, for example 12.")
	case ProblemUsage:
		return pick(lang, "补卡需要写明日期、时间、上班还是下班，以及原因。", "A make-up request needs the date, the time, in or out, and a reason.")
	case ProblemBatch:
		return pick(lang, "一次只能审批一个申请，这次什么也没有处理；请逐个发送，例如先发“同意 12”，再发“同意 13”。",
			"One request at a time: nothing was decided. Send them one by one, for example “approve 12”, then “approve 13”.")
	}
	return pick(lang, "补卡申请有误。", "The make-up request is not valid.")
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
		// A button rejects without a reason (WeCom, Feishu): say whom to
		// ask rather than leave the employee guessing.
		return line + pick(lang, "。未写理由，如有疑问请联系 "+who+"。", ". No reason was given; ask "+who+" if you have questions.")
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
	if line, ok := notEmployedRefusal(v, lang); ok {
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
		if v.Problem == ProblemID || v.Problem == ProblemBatch {
			// A decision or a withdrawal the grammar could not read: no
			// make-up was being filed.
			return "❌ " + problemLine(v.Problem, lang) + "\n" + MakeupUsage(lang)
		}
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
		if v.Refusal != nil && v.Refusal.Rule == core.RevokeNotRevocable && r.EmployeeID != "" && r.EmployeeID == m.EmployeeID {
			// The requester's own 撤回 of an approved make-up or field
			// punch: said as what happened to their request, not as the
			// approver's "cannot be revoked".
			who := MakeupDecider(v, lang)
			return pick(lang, fmt.Sprintf("❌ %s #%d 已被 %s 同意并计入考勤，不能再撤回；如有错误，请联系 HR 更正打卡。", noun, m.ID, who),
				fmt.Sprintf("❌ %s #%d was already approved by %s and counts in your attendance, so it can no longer be withdrawn; if it is wrong, ask HR to correct the punch.", Noun, m.ID, who)), true
		}
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
		// Of a request not found the kind is not known: "request".
		if m.ID != 0 {
			return pick(lang, fmt.Sprintf("没有找到申请 #%d。", m.ID), fmt.Sprintf("There is no request #%d.", m.ID)), true
		}
		return pick(lang, "你没有待审批的申请。", "You have no pending request."), true
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

// takeBackRefusal explains why an approval was not taken back or a
// decision not made: ok is false for the other refusals.
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
	case core.DecisionNoteTooLong:
		return pick(lang, fmt.Sprintf("❌ 理由或备注不能超过 %d 字，%s #%d 未处理；请缩短后重试。", core.MaxMakeupReason, noun, m.ID),
			fmt.Sprintf("❌ A reason or note can be at most %d characters; %s #%d is unchanged. Please shorten it and try again.", core.MaxMakeupReason, noun, m.ID)), true
	case core.RevokeNeedsReason:
		return pick(lang, fmt.Sprintf("❌ 撤销需要写明理由，申请人会收到，例如：撤销 %d 员工已到岗。", m.ID),
			fmt.Sprintf("❌ Give a reason to revoke; the requester receives it, for example: revoke %d came to work after all.", m.ID)), true
	}
	return "", false
}

// notEmployedRefusal is the whole answer to a core.RequestNotEmployed
// refusal, headed like the request's other refusals; ok is false for
// other refusals.
func notEmployedRefusal(v core.MakeupView, lang string) (string, bool) {
	why, ok := NotEmployedReason(v, lang, false)
	if !ok {
		return "", false
	}
	m := v.Request
	t := m.TypeOf()
	noun := RequestNoun(t, lang) // approvalcard.go
	Noun := noun
	if lang == "en" {
		Noun = strings.ToUpper(noun[:1]) + noun[1:]
	}
	switch {
	case m.ID != 0:
		return "❌ " + pick(lang, fmt.Sprintf("%s #%d 未同意：", noun, m.ID), fmt.Sprintf("%s #%d not approved: ", Noun, m.ID)) + why, true
	case t == core.RequestMakeup:
		return "❌ " + pick(lang, "补卡未提交：", "Make-up not filed: ") + why, true
	}
	return "❌ " + pick(lang, noun+"未提交：", Noun+" not filed: ") + why, true
}

// NotEmployedReason explains a core.RequestNotEmployed refusal in one
// line, naming the dates outside the employment and the first or last
// working day. Of a request not filed (Request.ID 0) it says what cannot
// be filed, and for a leave, trip or outing the employment to file
// within; of a pending request, to its approver, why it cannot be
// approved and what to do instead. It speaks to the requester ("你尚未入
// 职") unless onBehalf (HR or a manager filing at the console) or the
// request is being approved; then it names the employee. ok is false for
// other refusals.
func NotEmployedReason(v core.MakeupView, lang string, onBehalf bool) (string, bool) {
	r := v.Refusal
	if r == nil || r.Rule != core.RequestNotEmployed {
		return "", false
	}
	m := v.Request
	approving := m.ID != 0
	// zhWho 尚未入职; enWho joined, enWhose last working day.
	zhWho, enWho, enWhose := "你", "you", "your"
	if approving || onBehalf {
		name := v.EmployeeName
		if name == "" {
			name = pick(lang, "该员工", "the employee")
		}
		zhWho, enWho, enWhose = name, name, name+"'s"
	}
	var zh, en []string
	many := len(r.Outside) > 1
	for _, sp := range r.Outside {
		verb := "is"
		if sp.From != sp.To {
			verb, many = "are", true
		}
		if r.Joined != "" && sp.To < r.Joined {
			zh = append(zh, spanText(sp, r.Joined, "zh")+" "+zhWho+"尚未入职（入职日期 "+r.Joined+"）")
			en = append(en, spanText(sp, r.Joined, "en")+" "+verb+" before "+enWho+" joined ("+r.Joined+")")
			continue
		}
		zh = append(zh, spanText(sp, r.Left, "zh")+" "+zhWho+"已离职（最后工作日 "+r.Left+"）")
		en = append(en, spanText(sp, r.Left, "en")+" "+verb+" after "+enWhose+" last working day ("+r.Left+")")
	}
	if len(zh) == 0 { // a refusal without its dates
		zh, en = []string{"日期不在在职期间（" + employmentText(r, "zh") + "）"}, []string{"the date is outside the employment (" + employmentText(r, "en") + ")"}
	}
	if approving {
		return pick(lang,
			strings.Join(zh, "；")+"，不在在职期间，不能同意；请驳回，或请 HR 先更正在职日期后再审批。",
			upperFirst(strings.Join(en, "; "))+": outside the employment, so it cannot be approved; reject it, or ask HR to correct the employment dates first."), true
	}
	zhVerb, enWhat := "补卡", "make-up"
	switch m.TypeOf() {
	case core.RequestLeave:
		zhVerb, enWhat = "请假", "leave"
	case core.RequestTrip:
		zhVerb, enWhat = "申请出差", "business trip"
	case core.RequestOuting:
		zhVerb, enWhat = "申请外出", "outing"
	case core.RequestOvertime:
		zhVerb, enWhat = "申请加班", "overtime"
	case core.RequestField:
		zhVerb, enWhat = "按外勤计入", "field punch"
	}
	them := "it"
	if many {
		them = "them"
	}
	zhLine := strings.Join(zh, "；") + "，不能" + zhVerb + "。"
	enLine := upperFirst(strings.Join(en, "; ")) + "; no " + enWhat + " can be filed for " + them + "."
	if t := m.TypeOf(); t == core.RequestLeave || t == core.RequestTrip || t == core.RequestOuting {
		// A period may reach out of the employment on one side: the
		// part inside can be filed in one try.
		zhLine += "请只申请在职期间（" + employmentText(r, "zh") + "）内的日期。"
		enLine += " Ask only for dates within the employment (" + employmentText(r, "en") + ")."
	}
	return pick(lang, zhLine, enLine), true
}

// employmentText is the employment of a refusal: "2026-11-24 至
// 2026-11-26", "2026-11-24 起"; "2026-11-24 to 2026-11-26", "from
// 2026-11-24".
func employmentText(r *core.MakeupRefusal, lang string) string {
	switch {
	case r.Joined != "" && r.Left != "":
		return pick(lang, r.Joined+" 至 "+r.Left, r.Joined+" to "+r.Left)
	case r.Joined != "":
		return pick(lang, r.Joined+" 起", "from "+r.Joined)
	}
	return pick(lang, "至 "+r.Left, "until "+r.Left)
}

// spanText names dates as a person reads them, "12月1日", "12月1日至12月4日",
// "Dec 1", "Dec 1 to Dec 4", with the year when it is not that of ref
// (the first or last working day named next to them).
func spanText(sp core.DateSpan, ref, lang string) string {
	one := func(date string) string {
		t, err := time.Parse(core.DateLayout, date)
		if err != nil {
			return date
		}
		withYear := len(ref) < 4 || !strings.HasPrefix(date, ref[:4])
		if lang == "en" {
			if withYear {
				return t.Format("Jan 2, 2006")
			}
			return t.Format("Jan 2")
		}
		if withYear {
			return t.Format("2006年1月2日")
		}
		return t.Format("1月2日")
	}
	if sp.From == sp.To {
		return one(sp.From)
	}
	return one(sp.From) + pick(lang, "至", " to ") + one(sp.To)
}

// upperFirst capitalises an English sentence's first letter.
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
