package bots

import (
	"fmt"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

// NoticeLang picks the language of a reminder delivery: the notice's own
// (the employee's), else the recipient's, else Chinese.
func NoticeLang(n core.Notice, fallback string) string {
	return Lang(core.Reply{Lang: n.Lang}, fallback)
}

// NoticeTitle is the short title of a reminder, for card headers.
func NoticeTitle(n core.Notice, lang string) string {
	switch n.Kind {
	case core.ReminderPunchIn:
		return pick(lang, "上班打卡提醒", "Clock-in reminder")
	case core.ReminderPunchOut:
		return pick(lang, "下班打卡提醒", "Clock-out reminder")
	case core.ReminderMissedPunch:
		return pick(lang, "缺卡提醒", "Missed punch")
	case core.ReminderStillClockedIn:
		return pick(lang, "仍在上班提醒", "Still clocked in")
	case core.ReminderMakeupDeadline:
		return pick(lang, "补卡截止提醒", "Make-up deadline")
	case core.ReminderApprovalDigest:
		if !onlyMakeups(n) {
			return pick(lang, "待审批的申请", "Requests waiting for you")
		}
		return pick(lang, "待审批的补卡申请", "Make-up requests waiting for you")
	}
	return pick(lang, "通知", "Notice")
}

// noticeClock formats t as HH:MM in the notice's zone.
func noticeClock(n core.Notice, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(Zone(n.TimeZone)).Format("15:04")
}

// shiftWhen says when a punch-in reminder's shift starts, seen from when
// the reminder fires, in Chinese and English: "今天（2026-11-26）09:00" /
// "09:00 today (2026-11-26)", or 明天 / tomorrow when a long lead or a
// shift starting just after midnight puts the reminder on the evening
// before (a 00:30 shift reminded at 23:30 used to say "today").
func shiftWhen(n core.Notice) (zh, en string) {
	clock, date := noticeClock(n, n.ShiftStart), n.ShiftDate
	days := time.Duration(0)
	if !n.FireAt.IsZero() && !n.ShiftStart.IsZero() {
		loc := Zone(n.TimeZone)
		fy, fm, fd := n.FireAt.In(loc).Date()
		sy, sm, sd := n.ShiftStart.In(loc).Date()
		days = time.Date(sy, sm, sd, 0, 0, 0, 0, time.UTC).Sub(time.Date(fy, fm, fd, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour)
	}
	switch days {
	case 0:
		return "今天（" + date + "）" + clock, clock + " today (" + date + ")"
	case 1:
		return "明天（" + date + "）" + clock, clock + " tomorrow (" + date + ")"
	}
	return date + " " + clock, clock + " on " + date
}

// sinceWhen says when a still-clocked-in person clocked in, seen from the
// reminder: "今天 08:45" / "08:45 today", 昨天 / yesterday for a night
// shift, else the date.
func sinceWhen(n core.Notice) (zh, en string) {
	loc := Zone(n.TimeZone)
	in := n.ClockedInAt.In(loc)
	clock := in.Format("15:04")
	fy, fm, fd := n.FireAt.In(loc).Date()
	days := time.Date(fy, fm, fd, 0, 0, 0, 0, time.UTC).Sub(time.Date(in.Year(), in.Month(), in.Day(), 0, 0, 0, 0, time.UTC)) / (24 * time.Hour)
	switch days {
	case 0:
		return "今天 " + clock, clock + " today"
	case 1:
		return "昨天 " + clock, clock + " yesterday"
	}
	date := in.Format(core.DateLayout)
	return " " + date + " " + clock, clock + " on " + date
}

// NoticeText renders a reminder delivery as plain text: one line saying
// what is due and what to do, plus the list a missed-punch notice or a
// digest carries. A broadcast is HR's text as written.
func NoticeText(n core.Notice, lang string) string {
	return NoticeTextOn(n, lang, "")
}

// PunchHow tells a person how to punch on their platform: on WeCom and
// Feishu a text command or the location; on Slack, which cannot send a
// location, the slash command (or a DM) and the location page its answer
// opens. platform "" is a platform-neutral wording.
func PunchHow(platform core.Platform, k core.PunchKind, lang string) string {
	zh, en := "上班", "in"
	if k == core.KindOut {
		zh, en = "下班", "out"
	}
	switch platform {
	case core.PlatformSlack:
		return pick(lang, "输入 /punch "+zh+"（或私信我「"+zh+"」），再点回复里的「发送我的位置」按钮打开定位页面",
			"type /punch "+en+" (or DM me “"+en+"”), then tap “Share my location” in my reply to open the location page")
	case core.PlatformWeCom:
		return pick(lang, "发送「"+zh+"」或你的位置，也可以点应用菜单的打卡按钮", "send “"+en+"” or your location, or use the punch button in the app menu")
	}
	return pick(lang, "发送「"+zh+"」或你的位置", "send “"+en+"” or your location")
}

// NoticeTextOn is NoticeText with the way to act written for the
// recipient's platform (see PunchHow).
func NoticeTextOn(n core.Notice, lang string, platform core.Platform) string {
	lang = NoticeLang(n, lang)
	var b strings.Builder
	note := true // HR's note goes under the reminder's own words
	switch n.Kind {
	case core.ReminderBroadcast:
		return n.Text
	case core.ReminderPunchIn:
		b.WriteString("⏰ ")
		zhWhen, enWhen := shiftWhen(n)
		b.WriteString(pick(lang,
			fmt.Sprintf("上班打卡提醒：%s 上班，你还没有打卡。%s即可打卡。", zhWhen, PunchHow(platform, core.KindIn, lang)),
			fmt.Sprintf("Clock-in reminder: your shift starts at %s and you have not clocked in yet. To punch, %s.", enWhen, PunchHow(platform, core.KindIn, lang))))
	case core.ReminderPunchOut:
		b.WriteString("⏰ ")
		b.WriteString(pick(lang,
			fmt.Sprintf("下班打卡提醒：%s 的班次 %s 结束，别忘了下班打卡：%s。", n.ShiftDate, noticeClock(n, n.ShiftEnd), PunchHow(platform, core.KindOut, lang)),
			fmt.Sprintf("Clock-out reminder: your %s shift ends at %s. Don't forget to clock out: %s.", n.ShiftDate, noticeClock(n, n.ShiftEnd), PunchHow(platform, core.KindOut, lang))))
	case core.ReminderMissedPunch:
		b.WriteString("📋 ")
		var slots []string
		for _, m := range n.Missing {
			slots = append(slots, kindWord(lang, m.Kind)+pick(lang, "打卡（", " (")+noticeClock(n, m.At)+pick(lang, "）", ")"))
		}
		date := n.ShiftDate
		if len(n.Missing) > 0 {
			date = n.Missing[0].Date
		}
		b.WriteString(pick(lang,
			fmt.Sprintf("缺卡提醒：%s 缺少%s。", date, strings.Join(slots, "、")),
			fmt.Sprintf("Missed punch on %s: no %s.", date, strings.ToLower(strings.Join(slots, ", ")))))
		if len(n.Missing) > 0 {
			b.WriteString("\n")
			b.WriteString(pick(lang, "如需补卡，请发送：", "To request a make-up, send: "))
			b.WriteString(MakeupHint(n, n.Missing[0], lang))
		}
	case core.ReminderStillClockedIn:
		b.WriteString("⏰ ")
		zhSince, enSince := sinceWhen(n)
		hours := n.HoursAfter
		if !n.FireAt.IsZero() && !n.ClockedInAt.IsZero() {
			hours = int(n.FireAt.Sub(n.ClockedInAt.Truncate(time.Minute)) / time.Hour)
		}
		b.WriteString(pick(lang,
			fmt.Sprintf("仍在上班提醒：你自%s 上班打卡，%d 小时后仍未下班打卡。如已下班，请%s。", zhSince, hours, PunchHow(platform, core.KindOut, lang)),
			fmt.Sprintf("Still clocked in: you clocked in at %s and have not clocked out %d hours later. If you have finished, %s.", enSince, hours, PunchHow(platform, core.KindOut, lang))))
	case core.ReminderMakeupDeadline:
		b.WriteString("📋 ")
		zh := fmt.Sprintf("补卡截止提醒：你还有 %d 处缺卡、迟到或早退可以补卡", n.Gaps)
		en := fmt.Sprintf("Make-up deadline: you can still request a make-up for %d missing, late or early punch(es)", n.Gaps)
		if n.FileBy != "" {
			zh += fmt.Sprintf("，最早的一处最晚在 %s 提交", n.FileBy)
			en += fmt.Sprintf("; the earliest must be filed by %s", n.FileBy)
		}
		if n.QuotaLeft > 0 {
			zh += fmt.Sprintf("；本月还可申请补卡 %d 次", n.QuotaLeft)
			en += fmt.Sprintf("; %d make-up request(s) left this month", n.QuotaLeft)
		}
		b.WriteString(pick(lang, zh+"。", en+"."))
		if g := n.LatestGap; g != nil {
			b.WriteString("\n")
			b.WriteString(pick(lang, "最近一处（"+g.Date+" "+kindWord(lang, g.Kind)+"）的补卡请发送：",
				"For the latest ("+g.Date+" "+strings.ToLower(kindWord(lang, g.Kind))+"), send: "))
			b.WriteString(MakeupHint(n, *g, lang))
		}
	case core.ReminderApprovalDigest:
		b.WriteString("📝 ")
		b.WriteString(pick(lang,
			fmt.Sprintf("待审批提醒：%d 条%s等待你审批超过 %d 小时：", n.PendingTotal, digestNoun(n), n.OlderThanHours),
			fmt.Sprintf("%d %s have waited for your approval for more than %d hours:", n.PendingTotal, digestNounEN(n), n.OlderThanHours)))
		for _, p := range n.Pending {
			b.WriteString("\n• ")
			b.WriteString(DigestLine(n, p, lang))
		}
		if more := n.PendingTotal - len(n.Pending); more > 0 {
			b.WriteString("\n")
			b.WriteString(pick(lang, fmt.Sprintf("……还有 %d 条", more), fmt.Sprintf("…and %d more", more)))
		}
		if len(n.Pending) > 1 {
			// The batch command of exactly the requests listed here, which
			// the approver has just been shown (makeup_batch.go).
			ids := make([]int64, len(n.Pending))
			for i, p := range n.Pending {
				ids[i] = p.ID
			}
			approve := quoteCmd(decisionWord(core.MakeupApproved, lang)+" "+joinIDs(ids), lang)
			b.WriteString("\n")
			b.WriteString(pick(lang, "回复"+approve+"同意以上全部，或「驳回 编号 理由」驳回其中一条。",
				"Reply "+approve+" to approve all of these, or “reject <number> <reason>” to reject one."))
		}
	default:
		b.WriteString(n.Text)
		note = false
	}
	if note && n.Text != "" {
		// A note HR added under the reminder's own words, in the
		// recipient's language (core Reminder.TextFor).
		b.WriteString("\n")
		b.WriteString(n.Text)
	}
	if n.Late && n.Kind != core.ReminderBroadcast {
		b.WriteString(pick(lang, "\n（此提醒因系统维护延迟发送）", "\n(This reminder is late: punchbot was briefly unavailable.)"))
	}
	return b.String()
}

// onlyMakeups reports whether a digest lists make-ups only.
func onlyMakeups(n core.Notice) bool {
	for _, p := range n.Pending {
		if p.Type != "" && p.Type != core.RequestMakeup {
			return false
		}
	}
	return true
}

func digestNoun(n core.Notice) string {
	if onlyMakeups(n) {
		return "补卡申请"
	}
	return "申请"
}

func digestNounEN(n core.Notice) string {
	if onlyMakeups(n) {
		return "make-up request(s)"
	}
	return "request(s)"
}

// DigestLine is one waiting request in a digest: who, which slot or
// period, how long it has waited.
func DigestLine(n core.Notice, p core.PendingMakeup, lang string) string {
	name := p.EmployeeName
	if name == "" {
		name = p.EmployeeID
	}
	waited := int(n.FireAt.Sub(p.CreatedAt).Hours())
	if p.Type != "" && p.Type != core.RequestMakeup {
		v := core.MakeupView{TimeZone: n.TimeZone, Request: core.MakeupRequest{ID: p.ID, Type: p.Type, ShiftDate: p.ShiftDate, Kind: p.Kind, At: p.At, LeaveType: p.LeaveType, Start: p.Start, End: p.End}}
		return pick(lang,
			fmt.Sprintf("%s %s%s（#%d，已等待 %d 小时）", name, RequestNoun(p.Type, lang), requestSummary(v, lang), p.ID, waited),
			fmt.Sprintf("%s, %s%s (#%d, waiting %d h)", name, RequestNoun(p.Type, lang), requestSummary(v, lang), p.ID, waited))
	}
	return pick(lang,
		fmt.Sprintf("%s %s %s %s（#%d，已等待 %d 小时）", name, p.ShiftDate, kindWord(lang, p.Kind), noticeClock(n, p.At), p.ID, waited),
		fmt.Sprintf("%s, %s %s %s (#%d, waiting %d h)", name, p.ShiftDate, strings.ToLower(kindWord(lang, p.Kind)), noticeClock(n, p.At), p.ID, waited))
}

// MakeupHint is the chat command that requests a make-up of the slot, in
// the grammar's words: "补卡 2026-11-25 09:00 上班 <原因>".
func MakeupHint(n core.Notice, s core.MissingSlot, lang string) string {
	if lang == "en" {
		kind := "in"
		if s.Kind == core.KindOut {
			kind = "out"
		}
		return fmt.Sprintf("makeup %s %s %s <reason>", s.Date, noticeClock(n, s.At), kind)
	}
	return fmt.Sprintf("补卡 %s %s %s <原因>", s.Date, noticeClock(n, s.At), kindWord("zh", s.Kind))
}

// MakeupButtonLabel is the label of the button that starts a make-up
// request from a missed-punch notice.
func MakeupButtonLabel(lang string) string { return pick(lang, "申请补卡", "Request make-up") }
