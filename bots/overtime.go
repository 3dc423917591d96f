package bots

import (
	"context"

	"github.com/punchbot/punchbot/core"
)

// OvertimeKindWord names an overtime category (core/overtime.go) the way
// payroll speaks of it: 工作日 / 休息日 / 节假日.
func OvertimeKindWord(k core.OvertimeKind, lang string) string {
	switch k {
	case core.OvertimeWorkday:
		return pick(lang, "工作日", "workday")
	case core.OvertimeRestDay:
		return pick(lang, "休息日", "rest day")
	case core.OvertimeHoliday:
		return pick(lang, "节假日", "holiday")
	}
	return ""
}

// overtimeClocks reads an overtime request's "18:00-21:00", and unlike a
// leave's clockRange lets it end after midnight ("20:00-02:00" is until 02:00
// the next day, which the core resolves). ok is false for any other type or
// word.
func overtimeClocks(t core.RequestType, s string) (start, end string, ok bool) {
	if t != core.RequestOvertime {
		return "", "", false
	}
	start, end, found, read := clockPair(s) // leave.go
	if !found || !read || start == end {
		return "", "", false
	}
	return start, end, true
}

// OvertimeAmount is the overtime a request asks for, as it can count
// (before the day's minimum and rounding): "2.5 小时", "2.5 h".
func OvertimeAmount(v core.MakeupView, lang string) string {
	if v.Leave == nil {
		return ""
	}
	return pick(lang, number(v.Leave.Hours())+" 小时", number(v.Leave.Hours())+" h")
}

// overtimeRefusal explains the overtime refusals; ok is false for others.
func overtimeRefusal(rule, lang string) (string, bool) {
	switch rule {
	case core.OvertimeNotByApproval:
		return pick(lang, "你的班次不按审批计算加班（不计加班或按打卡计算），无需申请。",
			"your schedule does not count overtime by approval (it is off or counted from punches), so there is nothing to request."), true
	case core.OvertimeNoTime:
		return pick(lang, "这段时间不算加班：工作日的加班从下班后起算（班次计上班前加班时，也包括上班前的时间）。",
			"none of that time is overtime: on a working day overtime starts after the end of the shift (and, where the schedule counts it, before its start)."), true
	}
	return "", false
}

// overtimeUsage explains the overtime command.
func overtimeUsage(lang string) string {
	return pick(lang,
		"加班格式：加班 [12-05] 18:00-21:00 事由（不写日期即今天；20:00-02:00 表示到次日 02:00）\n• 撤回：加班 取消 编号\n• 审批人或 HR 撤销已批准的：撤销 编号 理由",
		"Overtime format: overtime [2026-12-05] 18:00-21:00 reason (no date means today; 20:00-02:00 ends at 02:00 the next day)\n• withdraw: overtime cancel <number>\n• approvers or HR revoke an approved one: revoke <number> reason")
}

// OvertimeLookup finds the schedule of the employee behind a chat account,
// which decides whether the overtime form is offered (the forms in
// bots/*/overtimeform.go). *core.Service implements it.
type OvertimeLookup interface {
	Whois(ctx context.Context, id core.Identity) (core.Whois, error)
	Roster(ctx context.Context, employeeID string) (core.Roster, error)
}

var _ OvertimeLookup = (*core.Service)(nil)

// OvertimeByApproval reports whether the roster's schedule counts overtime
// from approved requests (mode approval or both), the only schedules under
// which the core files one; others get core.OvertimeNotByApproval.
func OvertimeByApproval(r core.Roster) bool {
	m := r.Schedule.OvertimeMode()
	return m == core.OvertimeApproval || m == core.OvertimeBoth
}

// OvertimeNotByApprovalReply is the reply a typed overtime request gets
// under a schedule that does not count overtime by approval, which a form
// answers instead of offering itself.
func OvertimeNotByApprovalReply(r core.Roster, lang string) core.Reply {
	return core.Reply{
		Outcome: core.OutcomeMakeupRefused, EmployeeID: r.Employee.ID, EmployeeName: r.Employee.Name, Lang: lang,
		Makeup: &core.MakeupView{
			Request:      core.MakeupRequest{Type: core.RequestOvertime, EmployeeID: r.Employee.ID},
			EmployeeName: r.Employee.Name,
			Refusal:      &core.MakeupRefusal{Rule: core.OvertimeNotByApproval},
		},
	}
}

// OvertimeFormRoster is the roster that decides whether an account is
// offered the overtime form. ok is false when it cannot be told (no
// lookup, an unknown account, a failed look-up): then the form is offered
// and its submission meets the core's checks like any other.
func OvertimeFormRoster(ctx context.Context, l OvertimeLookup, id core.Identity) (r core.Roster, lang string, ok bool) {
	if l == nil {
		return r, "", false
	}
	who, err := l.Whois(ctx, id)
	if err != nil || who.EmployeeID == "" {
		return r, "", false
	}
	r, err = l.Roster(ctx, who.EmployeeID)
	if err != nil {
		return r, "", false
	}
	return r, who.Lang, true
}

// Fields of an overtime form a problem found before filing names; each
// platform shows it next to its input.
const (
	OvertimeFieldDate  = "date"
	OvertimeFieldStart = "start"
	OvertimeFieldEnd   = "end"
)

// maxOvernightOvertime is the longest period an overtime form's end before
// its start may stand for: a clock at or before the start is the next day
// (as the typed "20:00-02:00" is), within 12 hours; beyond that the end
// was more likely chosen by mistake than worked.
const maxOvernightOvertime = 12 * 60

// OvertimeFormProblem checks a submitted overtime form (date, start and
// end clocks as "2026-12-05" and "18:00") before it is filed as the typed
// command would be: a missing field, or an end that is neither after the
// start nor a plausible next-day end. It returns the field and the zh/en
// line, or "" when the form may go to the core.
func OvertimeFormProblem(a core.LeaveArgs, lang string) (field, text string) {
	head := pick(lang, "❌ 加班申请未提交：", "❌ Overtime request not filed: ") // as leaveRefusal
	switch {
	case a.From == "":
		return OvertimeFieldDate, head + pick(lang, "请选择日期。", "choose the date.")
	case a.StartClock == "":
		return OvertimeFieldStart, head + pick(lang, "请选择开始时间。", "choose the start time.")
	case a.EndClock == "":
		return OvertimeFieldEnd, head + pick(lang, "请选择结束时间。", "choose the end time.")
	}
	start, ok1 := clockMinutes(a.StartClock)
	end, ok2 := clockMinutes(a.EndClock)
	if !ok1 {
		return OvertimeFieldStart, head + pick(lang, "开始时间看不懂，请写成 18:00。", "I could not read the start time; write it as 18:00.")
	}
	if !ok2 {
		return OvertimeFieldEnd, head + pick(lang, "结束时间看不懂，请写成 21:00。", "I could not read the end time; write it as 21:00.")
	}
	if end <= start && end+24*60-start > maxOvernightOvertime {
		return OvertimeFieldEnd, head + pick(lang, "结束时间须晚于开始时间（跨过午夜的加班如 20:00–02:00 最长 12 小时）。",
			"the end must be after the start (overtime past midnight, such as 20:00–02:00, is at most 12 hours).")
	}
	return "", ""
}

// clockMinutes reads "18:30" as minutes after midnight.
func clockMinutes(s string) (int, bool) {
	c, ok := makeupClock(s)
	if !ok || len(c) != 5 {
		return 0, false
	}
	return int(c[0]-'0')*600 + int(c[1]-'0')*60 + int(c[3]-'0')*10 + int(c[4]-'0'), true
}
