package bots

import (
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

// IsOvertimeUsage reports whether a reply is the core's answer to 加班 /
// overtime typed alone where a request could count (the schedule counts
// approved overtime; elsewhere the core refuses with
// core.OvertimeNotByApproval): the usage, which a form answers.
func IsOvertimeUsage(r core.Reply) bool {
	return r.Outcome == core.OutcomeMakeupRefused && r.Makeup != nil && r.Makeup.Problem == ProblemUsage &&
		r.Makeup.Request.TypeOf() == core.RequestOvertime
}
