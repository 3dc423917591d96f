package bots

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

// The approval engine serves make-ups, field punches, leave, trips and
// outings with one card: this file holds what differs by request type.

// RequestNoun names a request of type t: "补卡申请", "leave request".
func RequestNoun(t core.RequestType, lang string) string {
	switch t {
	case core.RequestField:
		return pick(lang, "外勤打卡", "field punch")
	case core.RequestLeave:
		return pick(lang, "请假申请", "leave request")
	case core.RequestTrip:
		return pick(lang, "出差申请", "business trip request")
	case core.RequestOuting:
		return pick(lang, "外出申请", "outing request")
	case core.RequestOvertime:
		return pick(lang, "加班申请", "overtime request")
	}
	return pick(lang, "补卡申请", "make-up request")
}

// RejectHint tells the approver of a pending card how to reject with a
// reason the requester receives, for cards whose Reject button cannot ask
// for one (a Feishu card's button, a WeCom button_interaction card): the
// typed command, as the grammar reads it.
func RejectHint(t core.RequestType, id int64, lang string) string {
	n := strconv.FormatInt(id, 10)
	if t == core.RequestMakeup {
		return pick(lang, "驳回并写明理由：发送「补卡 驳回 "+n+" 理由」", "To reject with a reason, send “makeup reject "+n+" reason”")
	}
	return pick(lang, "驳回并写明理由：发送「驳回 "+n+" 理由」", "To reject with a reason, send “reject "+n+" reason”")
}

// requestTitle is "请假申请 #12", "Leave request #12".
func requestTitle(t core.RequestType, id int64, lang string) string {
	noun := RequestNoun(t, lang)
	if lang == "en" {
		noun = strings.ToUpper(noun[:1]) + noun[1:]
	}
	if t == core.RequestField {
		noun = pick(lang, "外勤打卡审批", "Field punch")
	}
	return fmt.Sprintf("%s #%d", noun, id)
}

// MapURL links a WGS-84 position on OpenStreetMap, which reads WGS-84 and
// opens in every browser without an account:
// https://wiki.openstreetmap.org/wiki/Browsing#Other_URL_tricks (mlat,
// mlon place a marker; #map=zoom/lat/lon centres the view).
func MapURL(lat, lng float64) string {
	la, lo := strconv.FormatFloat(lat, 'f', 6, 64), strconv.FormatFloat(lng, 'f', 6, 64)
	return "https://www.openstreetmap.org/?mlat=" + la + "&mlon=" + lo + "#map=17/" + la + "/" + lo
}

// FieldWhere is where a field punch was made: the distance to the nearest
// site and its name, with the allowed radius.
func FieldWhere(f core.FieldView, lang string) string {
	if f.SiteName == "" {
		return pick(lang, "不在任何打卡地点附近", "not near any punch site")
	}
	line := pick(lang, "距 "+f.SiteName+" "+Distance(f.DistanceM), Distance(f.DistanceM)+" from "+f.SiteName)
	if f.RadiusM > 0 {
		line += pick(lang, "（允许 "+Distance(f.RadiusM)+"）", " (allowed "+Distance(f.RadiusM)+")")
	}
	return line
}

// fieldCardContent is the field-punch card: who, when, where (the
// distance to the nearest site, the place the platform named, a map
// link), the employee's note, the day's punches and the state.
func fieldCardContent(v core.MakeupView, lang string) MakeupCard {
	m := v.Request
	c := MakeupCard{
		Type:    core.RequestField,
		Title:   requestTitle(core.RequestField, m.ID, lang) + " · " + v.EmployeeName,
		Status:  MakeupStatusLine(v, lang),
		Pending: m.Status == core.MakeupPending,
		Approve: pick(lang, "同意", "Approve"),
		Reject:  pick(lang, "驳回", "Reject"),
		Lang:    lang,
	}
	c.Fields = append(c.Fields,
		MakeupField{pick(lang, "申请人", "Employee"), v.EmployeeName, false},
		MakeupField{pick(lang, "日期", "Date"), MakeupDate(v, lang), false},
		MakeupField{pick(lang, "打卡", "Punch"), MakeupSlot(v, lang), false})
	if f := v.Field; f != nil {
		c.Fields = append(c.Fields, MakeupField{pick(lang, "位置", "Where"), FieldWhere(*f, lang), false})
		if f.Label != "" {
			c.Fields = append(c.Fields, MakeupField{pick(lang, "地点", "Place"), f.Label, false})
		}
		if f.AccuracyM > 0 {
			c.Fields = append(c.Fields, MakeupField{pick(lang, "定位精度", "Accuracy"), "±" + Distance(f.AccuracyM), false})
		}
		if f.Lat != 0 || f.Lng != 0 {
			c.Links = append(c.Links, Evidence{Label: pick(lang, "🗺 在地图上查看位置", "🗺 See the position on a map"), URL: MapURL(f.Lat, f.Lng)})
		}
		if f.Superseded {
			c.Fields = append(c.Fields, MakeupField{pick(lang, "结果", "Result"), SupersededText(lang), true})
		}
	}
	if m.Reason != "" {
		c.Fields = append(c.Fields, MakeupField{pick(lang, "说明", "Note"), m.Reason, true})
	}
	c.Fields = append(c.Fields, MakeupField{pick(lang, "当天打卡", "Punches that day"), MakeupPunches(v, lang), true})
	return c
}

// SupersededText says that an approved field clock-in wrote no punch: the
// shift already had an on-site clock-in, which counts.
func SupersededText(lang string) string {
	return pick(lang, "本班次已有到岗上班打卡，以那次为准，未另记外勤打卡。",
		"the shift already has an on-site clock-in, which counts; no field punch was added.")
}

// LeaveTypeName is the leave type as people call it: the organisation's
// name, else its id.
func LeaveTypeName(v core.MakeupView, lang string) string {
	if v.Leave != nil && v.Leave.TypeName != "" {
		return v.Leave.TypeName
	}
	if v.Request.LeaveType != "" {
		return v.Request.LeaveType
	}
	return pick(lang, "请假", "leave")
}

func midnight(t time.Time) bool { return t.Hour() == 0 && t.Minute() == 0 }

// LeavePeriod is the period a leave, trip or outing covers, in the
// requester's zone: "2026-12-03（周四）全天", "2026-12-04 至 2026-12-06",
// "2026-12-03 09:00–12:00", "2026-12-03 至 12:00", "2026-12-03 12:00 起".
func LeavePeriod(v core.MakeupView, lang string) string {
	loc := v.Location()
	s, e := v.Request.Start.In(loc), v.Request.End.In(loc)
	if s.IsZero() || v.Request.Start.IsZero() {
		return v.Request.ShiftDate
	}
	day := func(t time.Time) string {
		if lang == "en" {
			return t.Format(core.DateLayout) + " (" + weekdaysEN[t.Weekday()] + ")"
		}
		return t.Format(core.DateLayout) + "（" + weekdaysZH[t.Weekday()] + "）"
	}
	// Whole days end at midnight, or on an overnight schedule at the end
	// of the last shift the next morning.
	last := e.Add(-time.Minute)
	if midnight(s) && (midnight(e) || e.Hour() < 12 && e.Sub(s) >= 24*time.Hour) {
		if !midnight(e) {
			last = e.AddDate(0, 0, -1)
		}
		if last.Format(core.DateLayout) == s.Format(core.DateLayout) {
			return day(s) + pick(lang, " 全天", ", all day")
		}
		return day(s) + pick(lang, " 至 ", " to ") + day(last)
	}
	switch {
	case s.Format(core.DateLayout) == last.Format(core.DateLayout) && midnight(s):
		return day(s) + pick(lang, " 至 ", " until ") + e.Format("15:04")
	case s.Format(core.DateLayout) == last.Format(core.DateLayout) && midnight(e):
		return day(s) + " " + s.Format("15:04") + pick(lang, " 起", " onwards")
	case s.Format(core.DateLayout) == last.Format(core.DateLayout):
		return day(s) + " " + s.Format("15:04") + "–" + e.Format("15:04")
	}
	return day(s) + " " + s.Format("15:04") + pick(lang, " 至 ", " to ") + day(e) + " " + e.Format("15:04")
}

func number(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// LeaveAmount is the working time a period costs: "1.5 天（12 小时）",
// "0.5 day (4 h)".
func LeaveAmount(v core.MakeupView, lang string) string {
	if v.Leave == nil {
		return ""
	}
	l := v.Leave
	hours := number(l.Hours())
	if lang == "en" {
		unit := "days"
		if l.Days <= 1 {
			unit = "day"
		}
		return number(l.Days) + " " + unit + " (" + hours + " h)"
	}
	return number(l.Days) + " 天（" + hours + " 小时）"
}

// LeaveBalance is the leave type's yearly balance when one is kept:
// "2026 年已用 3/10 天，剩余 7 天"; "" when the type has no quota.
func LeaveBalance(v core.MakeupView, lang string) string {
	if v.Leave != nil && v.Leave.Comp {
		return compBalance(v, lang) // comptime.go
	}
	if v.Leave == nil || v.Leave.QuotaDays <= 0 {
		return ""
	}
	l := v.Leave
	yearZH, yearEN := "", ""
	if l.Year > 0 {
		yearZH, yearEN = strconv.Itoa(l.Year)+" 年", " in "+strconv.Itoa(l.Year)
	}
	left := max(0, l.QuotaDays-l.UsedDays)
	return pick(lang,
		yearZH+"已用 "+number(l.UsedDays)+"/"+number(l.QuotaDays)+" 天，剩余 "+number(left)+" 天",
		number(l.UsedDays)+"/"+number(l.QuotaDays)+" days used"+yearEN+", "+number(left)+" left")
}

// leaveCardContent is the leave, trip or outing card: the type, the
// period and what it costs, the balance when one is kept, the place, the
// reason and the state.
func leaveCardContent(v core.MakeupView, lang string) MakeupCard {
	m := v.Request
	t := m.TypeOf()
	c := MakeupCard{
		Type:    t,
		Title:   requestTitle(t, m.ID, lang) + " · " + v.EmployeeName,
		Status:  MakeupStatusLine(v, lang),
		Pending: m.Status == core.MakeupPending,
		Approve: pick(lang, "同意", "Approve"),
		Reject:  pick(lang, "驳回", "Reject"),
		Lang:    lang,
	}
	c.Fields = append(c.Fields, MakeupField{pick(lang, "申请人", "Employee"), v.EmployeeName, false})
	if t == core.RequestLeave {
		kind := LeaveTypeName(v, lang)
		if v.Leave != nil && !v.Leave.Paid {
			kind += pick(lang, "（无薪）", " (unpaid)")
		}
		c.Fields = append(c.Fields, MakeupField{pick(lang, "类型", "Type"), kind, false})
	}
	c.Fields = append(c.Fields, MakeupField{pick(lang, "时间", "When"), LeavePeriod(v, lang), false})
	if t == core.RequestOvertime {
		c.Fields = append(c.Fields, MakeupField{pick(lang, "加班时长", "Overtime"), OvertimeAmount(v, lang), false}) // overtime.go
	} else if amount := LeaveAmount(v, lang); amount != "" {
		c.Fields = append(c.Fields, MakeupField{pick(lang, "时长", "Working time"), amount, false})
	}
	if balance := LeaveBalance(v, lang); balance != "" {
		c.Fields = append(c.Fields, MakeupField{pick(lang, "余额", "Balance"), balance, false})
	}
	if m.Place != "" {
		c.Fields = append(c.Fields, MakeupField{pick(lang, "地点", "Place"), m.Place, false})
	}
	reason := m.Reason
	if reason == "" {
		reason = pick(lang, "（未填写）", "(none given)")
	}
	c.Fields = append(c.Fields, MakeupField{pick(lang, "事由", "Reason"), reason, true})
	return c
}

// requestSummary says which request a message is about, after its number:
// "（12-03 上班 09:00）", "（年假 2026-12-03 全天）", "（出差 上海 …）".
func requestSummary(v core.MakeupView, lang string) string {
	m := v.Request
	var what string
	switch m.TypeOf() {
	case core.RequestField:
		what = m.ShiftDate + " " + MakeupSlot(v, lang)
	case core.RequestLeave:
		what = LeaveTypeName(v, lang) + " " + LeavePeriod(v, lang)
	case core.RequestTrip, core.RequestOuting:
		what = LeavePeriod(v, lang)
		if m.Place != "" {
			what = m.Place + " " + what
		}
	case core.RequestOvertime:
		what = LeavePeriod(v, lang)
	default:
		what = m.ShiftDate + " " + MakeupSlot(v, lang)
	}
	return pick(lang, "（"+what+"）", " ("+what+")")
}

// LeaveUsage explains the leave, trip and outing commands.
func LeaveUsage(t core.RequestType, lang string) string {
	switch t {
	case core.RequestOvertime:
		return overtimeUsage(lang) // overtime.go
	case core.RequestTrip:
		return pick(lang,
			"出差格式：出差 12-04..12-06 上海 原因（日期或日期范围、目的地，然后写原因）\n• 撤回：出差 取消 编号（已批准的在开始前也可撤回）\n• 审批人或 HR 撤销已批准的：撤销 编号 理由",
			"Business trip format: trip 2026-12-04..2026-12-06 Shanghai reason (a date or a range, the destination, then the reason)\n• withdraw: trip cancel <number> (an approved one too, before it starts)\n• approvers or HR revoke an approved one: revoke <number> reason")
	case core.RequestOuting:
		return pick(lang,
			"外出格式：外出 [12-03] 14:00-16:00 [地点] 事由（不写日期即今天）\n• 撤回：外出 取消 编号（已批准的在开始前也可撤回）\n• 审批人或 HR 撤销已批准的：撤销 编号 理由",
			"Outing format: outing [2026-12-03] 14:00-16:00 [place] purpose (no date means today)\n• withdraw: outing cancel <number> (an approved one too, before it starts)\n• approvers or HR revoke an approved one: revoke <number> reason")
	}
	return pick(lang,
		"请假格式：请假 2026-12-03 全天 年假 原因；请假 12-03 09:00-12:00 病假；请假 12-03 上午 事假；请假 12-03..12-05 年假 原因\n• 撤回：请假 取消 编号（已批准的在开始前也可撤回）\n• 审批人或 HR 撤销已批准的：撤销 编号 理由",
		"Leave format: leave 2026-12-03 annual reason; leave 12-03 09:00-12:00 sick; leave 12-03 am personal; leave 12-03..12-05 annual reason\n• withdraw: leave cancel <number> (an approved one too, before it starts)\n• approvers or HR revoke an approved one: revoke <number> reason")
}

// leaveRefusal explains why a leave, trip or outing was not filed.
func leaveRefusal(v core.MakeupView, lang string) string {
	t := v.Request.TypeOf()
	head := "❌ " + pick(lang, RequestNoun(t, lang)+"未提交：", strings.ToUpper(RequestNoun(t, lang)[:1])+RequestNoun(t, lang)[1:]+" not filed: ")
	r := v.Refusal
	if r == nil {
		return head + pick(lang, "请稍后重试。", "please try again.")
	}
	if text, ok := overtimeRefusal(r.Rule, lang); ok { // overtime.go
		return head + text
	}
	switch r.Rule {
	case core.LeaveOverlap:
		return head + pick(lang, fmt.Sprintf("与申请 #%d 的时间重叠。", r.OtherID), fmt.Sprintf("it overlaps request #%d.", r.OtherID))
	case core.LeaveBalanceExhausted:
		left := max(0, r.QuotaDays-r.UsedDays)
		return head + pick(lang,
			fmt.Sprintf("%s余额不足：%d 年已用 %s/%s 天，本次需要 %s 天，剩余 %s 天。", LeaveTypeName(v, lang), r.Year, number(r.UsedDays), number(r.QuotaDays), number(r.AskedDays), number(left)),
			fmt.Sprintf("not enough %s left: %s of %s days used in %d, this needs %s, %s left.", LeaveTypeName(v, lang), number(r.UsedDays), number(r.QuotaDays), r.Year, number(r.AskedDays), number(left)))
	case core.LeaveCompExhausted:
		return head + compRefusal(v, lang) // comptime.go
	case core.LeaveNoWorkingTime:
		return head + pick(lang, "这段时间没有需要上班的时间（休息日或节假日）。", "that period has no working time (rest days or holidays).")
	case core.MakeupInvalid:
		if v.Problem == ProblemUsage {
			return LeaveUsage(t, lang)
		}
		return head + leaveProblem(v.Problem, t, lang) + "\n" + LeaveUsage(t, lang)
	}
	return head + r.Rule
}

func leaveProblem(problem string, t core.RequestType, lang string) string {
	if problem == core.ProblemTime && t == core.RequestOvertime {
		return pick(lang, "请写明开始和结束时间，例如 18:00-21:00；跨过午夜的加班如 20:00-02:00，最长 12 小时。",
			"give the start and end, such as 18:00-21:00; overtime past midnight, such as 20:00-02:00, is at most 12 hours.")
	}
	switch problem {
	case core.ProblemDate:
		return pick(lang, "日期看不懂，请写成 12-03、2026-12-03 或 12-04..12-06。", "I could not read the date; write it as 2026-12-03, 12-03 or 12-04..12-06.")
	case core.ProblemTime:
		return pick(lang, "时间看不懂，请写成 09:00-12:00、上午 或 下午。", "I could not read the time; write it as 09:00-12:00, am or pm.")
	case core.ProblemLeaveType:
		return pick(lang, "没有这种假期类型，请写 年假、病假、事假 等公司设置的类型。", "there is no such leave type; use one your organisation has, such as annual, sick or personal.")
	case core.ProblemReason:
		return pick(lang, "原因或地点太长（不超过 500 字）。", "the reason or place is too long (at most 500 characters).")
	case core.ProblemKind:
		return pick(lang, "请说明是请假、出差还是外出。", "say whether it is leave, a trip or an outing.")
	}
	return pick(lang, "申请有误。", "the request is not valid.")
}
