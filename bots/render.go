package bots

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/punchbot/punchbot/core"
)

// Lang picks the reply language: the employee's, else the one the message
// was written in, else Chinese.
func Lang(r core.Reply, fallback string) string {
	switch {
	case r.Lang == "zh" || r.Lang == "en":
		return r.Lang
	case fallback == "zh" || fallback == "en":
		return fallback
	}
	return "zh"
}

func pick(lang, zh, en string) string {
	if lang == "en" {
		return en
	}
	return zh
}

// Distance formats metres the way people read them: "85 m", "1.2 km".
func Distance(m float64) string {
	if m < 1000 {
		return fmt.Sprintf("%.0f m", m)
	}
	return fmt.Sprintf("%.1f km", m/1000)
}

// zones memoises Zone. A time zone is immutable data, and time.LoadLocation
// reads and parses the zone database on every call: once per reply line
// and per reminder of a broadcast, that was a visible part of rendering.
var zones sync.Map // name → *time.Location

// Zone is the time zone of an IANA name, UTC for "" or an unknown name
// (validation rejects those before they are stored).
func Zone(name string) *time.Location {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "" {
		return time.UTC // not kept: the memo holds only real zones
	}
	zones.Store(name, loc)
	return loc
}

// Clock formats t as HH:MM in the reply's time zone.
func Clock(r core.Reply, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(Zone(r.TimeZone)).Format("15:04")
}

func kindWord(lang string, k core.PunchKind) string {
	if k == core.KindOut {
		return pick(lang, "下班", "Clock-out")
	}
	return pick(lang, "上班", "Clock-in")
}

// Headline is the one-line summary of a reply: outcome, time, site and
// distance, and why when rejected.
func Headline(r core.Reply, lang string) string {
	lang = Lang(r, lang)
	if line, ok := ApprovalLine(r, lang); ok { // makeup_batch.go
		return line
	}
	if line, ok := MakeupLine(r, lang); ok {
		return line
	}
	if line, ok := ConfirmLine(r, lang); ok { // confirm.go
		return line
	}
	switch r.Outcome {
	case core.OutcomeAccepted, core.OutcomeField:
		return punchLine(r, lang)
	case core.OutcomeRejected:
		return "❌ " + pick(lang, kindWord(lang, r.Kind)+"打卡未记录：", kindWord(lang, r.Kind)+" not recorded: ") + RejectReason(r, lang)
	case core.OutcomeNeedLocation:
		what := pick(lang, "打卡", "punch")
		if r.Kind != core.KindAuto {
			what = kindWord(lang, r.Kind) + pick(lang, "打卡", "")
		}
		return pick(lang, "📍 请在 5 分钟内发送你的位置以完成"+what+"。", "📍 Share your location within 5 minutes to complete your "+strings.ToLower(what)+".")
	case core.OutcomeStatus:
		if len(r.Days) > 0 {
			return HistoryText(r, lang)
		}
		return StatusLine(r, lang)
	case core.OutcomeHelp:
		if r.EmployeeName != "" {
			// Help is what a greeting and a first message get: it greets
			// the person by the name the org file gives them.
			return pick(lang, "👋 "+r.EmployeeName+"，你好！", "👋 Hi "+r.EmployeeName+"!") + "\n" + HelpText(lang)
		}
		return HelpText(lang)
	case core.OutcomeUnknownUser:
		line := pick(lang, "你的账号还没有登记到 punchbot，请联系 "+r.Contact+" 把你加入组织名单。",
			"Your account is not registered with punchbot yet. Please ask "+r.Contact+" to add you to the organisation file.")
		if id, p := Quote(r.ActorID), string(r.Platform); id != "" && p != "" && p != string(core.PlatformWeb) {
			// makeup_card.go's platformName: 企业微信, 飞书, Slack.
			line += pick(lang, "请告诉对方你的"+platformName(p, lang)+"用户 ID："+id,
				" Give them your "+platformName(p, lang)+" user ID: "+id)
		}
		return line
	case core.OutcomeInactive:
		if r.Command == core.CmdMakeupDecide || r.Command == core.CmdMakeupBatch {
			// A card click by a deactivated approver: no punch was
			// involved, and the request still waits for a decision.
			return pick(lang, "你的账号已停用，审批未处理，申请仍在等待审批。如有疑问请联系 "+r.Contact+"。",
				"Your account is inactive: nothing was decided, and the request is still pending. Please contact "+r.Contact+".")
		}
		// Said to a status or help request too: nothing is recorded or shown.
		return pick(lang, "你的账号已停用，无法打卡或查询，什么也没有记录。如有疑问请联系 "+r.Contact+"。",
			"Your account is inactive: punchbot records and shows nothing for it. Please contact "+r.Contact+".")
	case core.OutcomeRateLimited:
		return pick(lang, fmt.Sprintf("操作太频繁，请 %d 秒后再试。", int(r.RetryAfter.Seconds()+0.5)),
			fmt.Sprintf("Too many attempts; try again in %d s.", int(r.RetryAfter.Seconds()+0.5)))
	case core.OutcomeNoted:
		return pick(lang, "📍 已记录你的位置。", "📍 Location noted.")
	case core.OutcomeLink:
		return LinkText(r, lang)
	}
	return string(r.Outcome)
}

func punchLine(r core.Reply, lang string) string {
	var b strings.Builder
	flags := r.Flags
	switch {
	case r.Outcome == core.OutcomeField:
		b.WriteString("🟡 " + pick(lang, "外勤"+kindWord(lang, r.Kind)+"打卡已记录 ", "Field "+strings.ToLower(kindWord(lang, r.Kind))+" recorded at "))
	case OutOfRangeFlagged(r):
		// Counted, but as an anomaly (WeCom's option_out_range 0, 地点异常):
		// never the green tick, and said up front rather than as a footnote.
		b.WriteString("⚠️ " + pick(lang, kindWord(lang, r.Kind)+"打卡已记录（地点异常） ", kindWord(lang, r.Kind)+" recorded, outside the punch area, at "))
		flags = slices.DeleteFunc(slices.Clone(flags), func(f string) bool { return f == core.FlagOutOfRange })
	default:
		b.WriteString("✅ " + pick(lang, kindWord(lang, r.Kind)+"打卡成功 ", kindWord(lang, r.Kind)+" recorded at "))
	}
	b.WriteString(Clock(r, r.At))
	if r.ShiftDate != "" && !r.At.IsZero() && r.At.In(Zone(r.TimeZone)).Format(core.DateLayout) != r.ShiftDate {
		// Past midnight on a night shift: say which day's shift it counts
		// for, as the status and the reports will.
		b.WriteString(pick(lang, "（计入 "+shortDate(r.ShiftDate)+" 的班次）", " (for the "+shortDate(r.ShiftDate)+" shift)"))
	}
	superseded := slices.Contains(r.Reasons, core.ReasonOutSuperseded)
	switch tr := r.TimeResult; {
	case superseded:
		// Its earliness does not count: a later clock-out does.
	case tr == core.TimeLate:
		b.WriteString(pick(lang, "（迟到 "+Minutes(r.LateMin, lang)+"）", " ("+Minutes(r.LateMin, lang)+" late)"))
	case tr == core.TimeSeriousLate:
		b.WriteString(pick(lang, "（严重迟到 "+Minutes(r.LateMin, lang)+"）", " (seriously late, "+Minutes(r.LateMin, lang)+")"))
	case tr == core.TimeAbsentLate:
		b.WriteString(pick(lang, "（迟到 "+Minutes(r.LateMin, lang)+"，记为旷工）", " ("+Minutes(r.LateMin, lang)+" late, counts as absent)"))
	case tr == core.TimeEarly:
		b.WriteString(pick(lang, "（早退 "+Minutes(r.EarlyMin, lang)+"）", " ("+Minutes(r.EarlyMin, lang)+" early)"))
	case tr == core.TimeRestDay:
		if slices.Contains(r.Reasons, core.ReasonHoliday) {
			b.WriteString(pick(lang, "（节假日）", " (holiday)"))
		} else {
			b.WriteString(pick(lang, "（休息日）", " (rest day)"))
		}
	}
	if r.SiteName != "" {
		if r.Outcome == core.OutcomeField || slices.Contains(r.Flags, core.FlagOutOfRange) {
			b.WriteString(pick(lang, " · 距 "+r.SiteName+" "+Distance(r.DistanceM), " · "+Distance(r.DistanceM)+" from "+r.SiteName))
		} else {
			b.WriteString(" · " + r.SiteName + " " + Distance(r.DistanceM))
		}
	}
	if slices.Contains(r.Reasons, core.ReasonAlreadyIn) {
		b.WriteString(pick(lang, "（今天已上班打卡，以第一次为准）", " (already clocked in today; the first one counts)"))
	}
	if slices.Contains(r.Reasons, core.ReasonNotIn) {
		b.WriteString(pick(lang, "（本班次没有上班打卡）", " (no clock-in for this shift)"))
	}
	if slices.Contains(r.Reasons, core.ReasonOutUpdated) {
		b.WriteString(pick(lang, "（已更新本班次的下班时间，以最后一次为准）", " (replaces this shift's earlier clock-out; the last one counts)"))
	}
	if superseded {
		b.WriteString(pick(lang, "（本班次已有更晚的下班打卡，以最后一次为准，本次不改变考勤）", " (this shift has a later clock-out already; the last one counts, so this changes nothing)"))
	}
	if slices.Contains(r.Flags, core.FlagDeviceVerified) {
		// A passkey is no warning: it says the punch came from one's own device.
		b.WriteString(pick(lang, " · 🔐 已用绑定设备验证", " · 🔐 verified with your bound device"))
	}
	if notes := FlagNotes(flags, lang); notes != "" {
		b.WriteString(" ⚠️ " + notes)
	}
	if hint := PunchMakeupHint(r, lang); hint != "" {
		b.WriteString("\n" + hint)
	}
	return b.String()
}

// OutOfRangeFlagged reports a punch that counts although it was away from
// every site, under a schedule that flags such punches instead of refusing
// them or filing them as field punches.
func OutOfRangeFlagged(r core.Reply) bool {
	return r.Outcome == core.OutcomeAccepted && slices.Contains(r.Flags, core.FlagOutOfRange)
}

// PunchMakeupHint spells out the 补卡 command for the slot a late, early or
// missing punch leaves (Reply.SlotKind, SlotAt), ready to send with a
// reason: the employee learns the next step and its exact form in the same
// message, rather than from the help text. "" when nothing needs making up.
func PunchMakeupHint(r core.Reply, lang string) string {
	if r.SlotAt.IsZero() || (r.SlotKind != core.KindIn && r.SlotKind != core.KindOut) || r.ShiftDate == "" {
		return ""
	}
	// The same words as a missed-punch notice's hint (notice.go MakeupHint):
	// the shift's date, the slot's local time, the direction.
	kind := pick(lang, "上班", "in")
	if r.SlotKind == core.KindOut {
		kind = pick(lang, "下班", "out")
	}
	cmd := pick(lang, "补卡 ", "makeup ") + r.ShiftDate + " " + Clock(r, r.SlotAt) + " " + kind + pick(lang, " <原因>", " <reason>")
	return pick(lang, "如需补卡，请发送：「"+cmd+"」", "To request a make-up, send: “"+cmd+"”")
}

// Minutes reads a span of minutes the way people say it: "20 分钟",
// "2 小时", "8 小时 40 分钟"; "20 min", "2 h", "8 h 40 min".
func Minutes(m int, lang string) string {
	h, rest := m/60, m%60
	switch {
	case h == 0:
		return pick(lang, fmt.Sprintf("%d 分钟", m), fmt.Sprintf("%d min", m))
	case rest == 0:
		return pick(lang, fmt.Sprintf("%d 小时", h), fmt.Sprintf("%d h", h))
	}
	return pick(lang, fmt.Sprintf("%d 小时 %d 分钟", h, rest), fmt.Sprintf("%d h %d min", h, rest))
}

// FieldRepeatLine answers a clock-in away from every site while the
// shift's field clock-in waits for approval: nothing new is filed, and the
// first one still decides (yellow, never the green tick).
func FieldRepeatLine(lang string) string {
	return pick(lang, "🟡 你的外勤上班打卡正在等待审批，本次不重复提交，也不计入考勤；审批结果会通知你。到达打卡地点后打卡将正常记录。",
		"🟡 Your field clock-in is waiting for approval; this one is not filed again and does not count. You will be told the decision. A punch made at a work site counts as usual.")
}

// RejectReason explains a rejection with the numbers the user needs.
func RejectReason(r core.Reply, lang string) string {
	reason := ""
	if len(r.Reasons) > 0 {
		reason = r.Reasons[len(r.Reasons)-1]
	}
	switch reason {
	case core.ReasonOutOfRange:
		// The next step too: this schedule takes no field punch (外勤), so
		// the way to count time worked elsewhere is a make-up with a reason.
		return pick(lang, fmt.Sprintf("不在打卡范围内：距 %s %s，允许 %s。到达后请重新发送位置；如因公在外，请申请补卡（发送“补卡”）", r.SiteName, Distance(r.DistanceM), Distance(r.RadiusM)),
			fmt.Sprintf("outside the punch area: %s from %s, allowed %s. Share your location again once you are there; working elsewhere on business? Request a make-up (send “makeup”)", Distance(r.DistanceM), r.SiteName, Distance(r.RadiusM)))
	case core.ReasonLowAccuracy:
		return pick(lang, fmt.Sprintf("定位精度太差（±%s），请到开阔处重试", Distance(r.AccuracyM)),
			fmt.Sprintf("the location is too imprecise (±%s); try again in the open", Distance(r.AccuracyM)))
	case core.ReasonBadCoordinates:
		return pick(lang, "位置无效，请重新发送位置", "the location is not valid; please share it again")
	case core.ReasonNoLocation:
		return pick(lang, "没有位置信息，请发送位置", "no location; please share your location")
	case core.ReasonWindowNotOpen:
		return pick(lang, "还没到打卡时间，"+Clock(r, r.WindowOpens)+" 开始可以打卡", "punching opens at "+Clock(r, r.WindowOpens))
	case core.ReasonWindowClosed:
		return pick(lang, "打卡时间已过（"+Clock(r, r.WindowCloses)+" 截止），请申请补卡", "the punch window closed at "+Clock(r, r.WindowCloses)+"; please request a make-up")
	case core.ReasonFutureTime:
		return pick(lang, "消息时间晚于服务器时间，请检查手机时间", "the message time is ahead of the server; check your phone's clock")
	case core.ReasonTooOld:
		return pick(lang, "消息发送得太久以前（超过离线容忍时间），请重新打卡或申请补卡", "the message is too old to count; punch again or request a make-up")
	case core.ReasonBlockedBySignal:
		return pick(lang, "检测到异常（"+FlagNotes(r.Flags, lang)+"），请联系 "+r.Contact, "suspicious signal ("+FlagNotes(r.Flags, lang)+"); please contact "+r.Contact)
	case core.ReasonNotEmployed:
		return pick(lang, "这一天不在你的在职期间（入职日之前或最后工作日之后），打卡不计入；如有疑问请联系 "+r.Contact,
			"this day is outside your employment (before your first or after your last working day), so the punch does not count; please contact "+r.Contact)
	// Not refusals: they qualify a recorded punch, as the console lists it.
	case core.ReasonNotIn:
		return pick(lang, "本班次没有上班打卡", "no clock-in for this shift")
	case core.ReasonOutUpdated:
		return pick(lang, "更新了本班次的下班时间", "replaced the shift's earlier clock-out")
	case core.ReasonOutSuperseded:
		return pick(lang, "本班次已有更晚的下班打卡，不计入", "a later clock-out of the shift counts instead")
	case core.ReasonDeviceRequired:
		return pick(lang, "需要用你绑定的设备（通行密钥）验证本人后才能打卡；请在自己的手机上打开链接，或发送“绑定设备”绑定这台设备",
			"this punch needs your bound device (passkey); open the link on your own phone, or send “bind device” to bind this one")
	}
	return reason
}

// FlagNotes lists the signals on a punch in words.
func FlagNotes(flags []string, lang string) string {
	var out []string
	for _, f := range flags {
		switch f {
		case core.FlagImpossibleTravel:
			out = append(out, pick(lang, "与上次打卡距离过远", "impossible travel since the last punch"))
		case core.FlagIdenticalCoords:
			out = append(out, pick(lang, "坐标与上次完全相同", "coordinates identical to the last punch"))
		case core.FlagStaleLocation:
			out = append(out, pick(lang, "位置不是最新的", "location is not fresh"))
		case core.FlagOfflineDelay:
			// The time shown is when the phone sent it, not when it arrived.
			out = append(out, pick(lang, "离线延迟送达，按发送时间记录", "delivered late (offline), counted at the time it was sent"))
		case core.FlagOutOfRange:
			out = append(out, pick(lang, "不在打卡范围内", "outside the punch area"))
		}
	}
	return strings.Join(out, pick(lang, "；", "; "))
}

// DayStatusWord names a day verdict.
func DayStatusWord(st core.DayStatus, lang string) string {
	zh := map[core.DayStatus]string{core.DayNormal: "正常", core.DayLate: "迟到", core.DaySeriousLate: "严重迟到", core.DayEarlyLeave: "早退",
		core.DayMissingIn: "上班缺卡", core.DayMissingOut: "下班缺卡", core.DayAbsent: "旷工", core.DayHoliday: "节假日", core.DayRest: "休息日",
		core.DayField: "外勤", core.DayInProgress: "进行中", core.DayNotStarted: "未开始",
		core.DayLeave: "请假", core.DayTrip: "出差", core.DayOuting: "外出", core.DayPendingApproval: "待审批",
		core.DayNotEmployed: "未在职"}
	en := map[core.DayStatus]string{core.DayNormal: "normal", core.DayLate: "late", core.DaySeriousLate: "seriously late", core.DayEarlyLeave: "left early",
		core.DayMissingIn: "missing clock-in", core.DayMissingOut: "missing clock-out", core.DayAbsent: "absent", core.DayHoliday: "holiday", core.DayRest: "rest day",
		core.DayField: "field", core.DayInProgress: "in progress", core.DayNotStarted: "not started yet",
		core.DayLeave: "on leave", core.DayTrip: "business trip", core.DayOuting: "outing", core.DayPendingApproval: "pending approval",
		core.DayNotEmployed: "not employed"}
	if lang == "en" {
		return en[st]
	}
	return zh[st]
}

// StatusLine summarises the day for the status command.
func StatusLine(r core.Reply, lang string) string {
	if r.Day == nil {
		return pick(lang, "今天还没有打卡记录。", "No punches today yet.")
	}
	d := r.Day
	in, out := "—", "—"
	if d.In != nil {
		in = Clock(r, d.In.At)
	}
	if d.Out != nil {
		out = Clock(r, d.Out.At)
	}
	var sts []string
	for _, st := range d.Statuses {
		sts = append(sts, DayStatusWord(st, lang))
	}
	line := pick(lang, fmt.Sprintf("📋 %s：上班 %s，下班 %s；%s", d.Date, in, out, strings.Join(sts, "、")),
		fmt.Sprintf("📋 %s: in %s, out %s; %s", d.Date, in, out, strings.Join(sts, ", ")))
	if d.Has(core.DayNotStarted) && !r.WindowOpens.IsZero() {
		line += pick(lang, "（"+Clock(r, r.WindowOpens)+" 开始可以打卡）", " (punching opens at "+Clock(r, r.WindowOpens)+")")
	}
	if d.In == nil && d.Out == nil && slices.Equal(d.Statuses, []core.DayStatus{core.DayInProgress}) {
		// "In progress" alone reads as if all were well: say what is
		// missing and the next step, in words every platform accepts.
		line += pick(lang, "（还没有上班打卡，发送「上班」打卡）", " (not clocked in yet; send “in” to clock in)")
	}
	if d.WorkedMin > 0 {
		line += pick(lang, "；工作 "+Minutes(d.WorkedMin, lang), "; worked "+Minutes(d.WorkedMin, lang))
	}
	return line
}

// HistoryText answers 记录 / this week: one line per day of the last
// seven (Reply.Days), in the employee's time zone, then what needs
// attention in total and how to make a punch up.
func HistoryText(r core.Reply, lang string) string {
	var b strings.Builder
	first, last := r.Days[0].Date, r.Days[len(r.Days)-1].Date
	b.WriteString(pick(lang, fmt.Sprintf("📋 最近 %d 天（%s 至 %s）", len(r.Days), shortDate(first), shortDate(last)),
		fmt.Sprintf("📋 Last %d days (%s to %s)", len(r.Days), shortDate(first), shortDate(last))))
	worked, days := 0, 0
	counts := map[core.DayStatus]int{}
	for _, d := range r.Days {
		b.WriteString("\n" + weekday(d.Date, lang) + " " + shortDate(d.Date) + pick(lang, "：", ": "))
		var sts []string
		for _, st := range d.Statuses {
			counts[st]++
			w := DayStatusWord(st, lang)
			if st == core.DayHoliday && d.Holiday != "" {
				w += pick(lang, "（"+d.Holiday+"）", " ("+d.Holiday+")")
			}
			sts = append(sts, w)
		}
		if d.In == nil && d.Out == nil && !d.Workday {
			b.WriteString(strings.Join(sts, pick(lang, "、", ", "))) // a day off with nothing on it
			continue
		}
		in, out := "—", "—"
		if d.In != nil {
			in = Clock(r, d.In.At)
		}
		if d.Out != nil {
			out = Clock(r, d.Out.At)
		}
		if d.In != nil || d.Out != nil {
			days++
		}
		worked += d.WorkedMin
		b.WriteString(pick(lang, "上班 "+in+"，下班 "+out+"；"+strings.Join(sts, "、"), "in "+in+", out "+out+"; "+strings.Join(sts, ", ")))
	}
	var issues []string
	for _, c := range []struct {
		st     core.DayStatus
		zh, en string
	}{
		{core.DayLate, "迟到", "late"}, {core.DaySeriousLate, "严重迟到", "seriously late"}, {core.DayEarlyLeave, "早退", "left early"},
		{core.DayMissingIn, "上班缺卡", "missing clock-in"}, {core.DayMissingOut, "下班缺卡", "missing clock-out"}, {core.DayAbsent, "旷工", "absent"},
	} {
		if n := counts[c.st]; n > 0 {
			issues = append(issues, pick(lang, fmt.Sprintf("%s %d 次", c.zh, n), fmt.Sprintf("%s %d×", c.en, n)))
		}
	}
	dayWord := "days"
	if days == 1 {
		dayWord = "day"
	}
	b.WriteString(pick(lang, fmt.Sprintf("\n合计：出勤 %d 天，工作 %s", days, Minutes(worked, lang)),
		fmt.Sprintf("\nTotal: %d %s at work, %s worked", days, dayWord, Minutes(worked, lang))))
	if len(issues) > 0 {
		b.WriteString(pick(lang, "；"+strings.Join(issues, "、"), "; "+strings.Join(issues, ", ")))
	}
	if hint := PunchMakeupHint(r, lang); hint != "" {
		// The latest day with a gap, ready to send (core: Reply.SlotAt).
		b.WriteString("\n" + hint)
	}
	return b.String()
}

// shortDate is "11-25" for "2026-11-25": the week is plain from the
// heading, and each line stays short on a phone.
func shortDate(date string) string {
	if len(date) == len(core.DateLayout) {
		return date[5:]
	}
	return date
}

func weekday(date string, lang string) string {
	d, err := time.Parse(core.DateLayout, date)
	if err != nil {
		return ""
	}
	if lang == "en" {
		return d.Format("Mon")
	}
	return [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}[d.Weekday()]
}

// HelpText lists the commands.
func HelpText(lang string) string {
	return pick(lang,
		"可用命令：\n• 上班 / 上班打卡 — 上班打卡\n• 下班 / 下班打卡 — 下班打卡\n• 打卡 — 根据时间自动判断上下班\n• 状态（或问「打卡了吗」）— 查看今天的打卡\n• 记录 / 本周 — 最近 7 天的打卡\n• 确认 / 取消 — 确认或放弃等待确认的下班打卡\n• 补卡 11-25 09:00 上班 原因 — 申请补卡\n• 请假 12-03 全天 年假 原因；请假 12-03 上午 病假 — 申请请假\n• 出差 12-04..12-06 上海 原因 — 申请出差\n• 外出 14:00-16:00 客户拜访 — 申请外出\n• 加班 12-05 18:00-21:00 事由 — 申请加班\n• 同意 12 / 驳回 12 原因 — 审批申请；只发「同意」列出待你审批的申请，「全部同意」列出后确认一次同意\n• 撤销 12 原因 — 撤销已批准的请假、出差或外出（申请人在开始前用「请假 取消 12」撤回）\n• 我的数据 — 查看和导出你的个人数据\n• 管理 — 考勤控制台登录链接\n• 帮助 — 显示本帮助\n直接发送位置即可打卡。",
		"Commands:\n• in — clock in\n• out — clock out\n• punch — in or out, decided by the time\n• status (or ask “did I clock in?”) — today's punches\n• history / this week — your last 7 days\n• confirm / cancel — confirm or drop a clock-out waiting for confirmation\n• makeup 2026-11-25 09:00 in reason — request a make-up\n• leave 2026-12-03 annual reason; leave 12-03 am sick — request leave\n• trip 12-04..12-06 Shanghai reason — request a business trip\n• outing 14:00-16:00 client visit — request an outing\n• overtime 12-05 18:00-21:00 reason — request overtime\n• approve 12 / reject 12 reason — decide a request; “approve” alone lists those waiting for you, “approve all” lists them to confirm at once\n• revoke 12 reason — revoke an approved leave, trip or outing (its requester withdraws with “leave cancel 12” before it starts)\n• mydata — see and export your personal data\n• admin — sign-in link to the attendance console\n• help — this text\nSharing your location alone is a punch.")
}

// NotUnderstoodText answers text the grammar does not read as a command
// and points to 帮助 / help, which lists the commands.
func NotUnderstoodText(text, lang string) string {
	if Garbled(text) {
		return pick(lang, "你的消息里有无法识别的字符（如 NUL 或乱码）：“"+Quote(text)+"”。没有执行任何操作，也没有记录，请重新输入。",
			"Your message has characters I cannot read (such as NUL or broken encoding): “"+Quote(text)+"”. Nothing was done or recorded; please type it again.")
	}
	if guess := Suggest(text); guess != "" {
		// One slip from a command ("上斑", "stauts"): name it rather than
		// acting on a guess, which for a punch could record the wrong thing.
		return pick(lang, "没看懂“"+Quote(text)+"”，你是想发“"+guess+"”吗？发送“帮助”查看可用命令。",
			"Sorry, I did not understand “"+Quote(text)+"”. Did you mean “"+guess+"”? Send “help” to see the commands.")
	}
	text = Quote(text)
	return pick(lang, "没看懂“"+text+"”。发送“帮助”查看可用命令。",
		"Sorry, I did not understand “"+text+"”. Send “help” to see the commands.")
}

// NotUnderstoodHelp is the help reply to a message the grammar did not
// read as a command: what was not understood (with a guess when it is one
// slip from a command), then the command list. It is the plain help
// when text was understood (a greeting, 帮助 itself) or is empty.
func NotUnderstoodHelp(r core.Reply, text, lang string) string {
	lang = Lang(r, lang)
	switch {
	case r.Outcome != core.OutcomeHelp || !NotUnderstood(text):
		return Headline(r, lang)
	case Garbled(text):
		return NotUnderstoodText(text, lang) // the fix is to type it again, not a list
	}
	return NotUnderstoodText(text, lang) + "\n" + HelpText(lang)
}

// Garbled reports text no person typed as it arrived: with NUL or other
// control characters or broken UTF-8, or a quote of such text (Quote marks
// them with U+FFFD, the replacement character).
func Garbled(text string) bool {
	return core.TextProblem(text) != "" || strings.ContainsRune(text, '\uFFFD')
}

// MaxQuote is how much of a message a reply quotes back: enough to
// recognise it, never a wall of text (a pasted document, an oversized
// message) that buries the answer or pushes it past a platform's limit.
const MaxQuote = 40

// Quote is text made safe for echoing and storing (control characters and
// invalid UTF-8 shown as U+FFFD, line breaks flattened) and cut to MaxQuote
// characters. The mark keeps a garbled message garbled (Garbled) when the
// quote is all a reply keeps of it.
func Quote(text string) string {
	text = strings.Map(func(r rune) rune {
		if r != '\t' && r != '\n' && unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, strings.ToValidUTF8(text, "\uFFFD"))
	text = strings.Join(strings.Fields(text), " ")
	if r := []rune(text); len(r) > MaxQuote {
		text = string(r[:MaxQuote-1]) + "…"
	}
	return text
}

// ErrorText is the one place that turns a core error into user text, for
// the rare replies a bot must give when the core could not answer.
func ErrorText(err error, lang string) string {
	switch core.ErrorCode(err) {
	case core.EINVALID:
		return pick(lang, "请求无效："+core.ErrorMessage(err), "Invalid request: "+core.ErrorMessage(err))
	case core.ENOTFOUND:
		return pick(lang, "没有找到："+core.ErrorMessage(err), "Not found: "+core.ErrorMessage(err))
	case core.ECONFLICT:
		// Someone or something changed it first (a request already
		// decided, withdrawn or expired): trying again changes nothing.
		return pick(lang, "未执行：已被处理或已更改，请查看最新状态。", "Not done: "+core.ErrorMessage(err)+".")
	case core.EFORBIDDEN, core.EUNAUTHORIZED:
		return pick(lang, "你没有权限执行这个操作。", "You are not allowed to do that.")
	case core.ERATELIMIT:
		return pick(lang, "操作太频繁，请稍后再试。", "Too many attempts; please try again shortly.")
	}
	return pick(lang, "系统暂时出错，打卡未记录，请稍后重试。", "Something went wrong and nothing was recorded; please try again shortly.")
}
