package bots

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

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
	// HandedOver marks the card of an approver the request was taken
	// from (HandedOverCardContent): no buttons, and Status says whom it
	// went to.
	HandedOver bool
}

// HandedOverStatus says, on the card of an approver a pending request was
// taken from, whom it was handed over to: the manager or HR now routed
// (v.ApproverName), or HR at the console when nobody could be found.
func HandedOverStatus(v core.MakeupView, lang string) string {
	if v.ApproverName == "" {
		return pick(lang, "↪️ 已转交 HR 在管理后台审批，此卡片上的按钮已失效", "↪️ Handed over to HR at the console; the buttons on this card no longer work")
	}
	return pick(lang, "↪️ 已转交给 "+v.ApproverName+" 审批，此卡片上的按钮已失效", "↪️ Handed over to "+v.ApproverName+"; the buttons on this card no longer work")
}

// HandedOverCardContent is the approval card of v as its previous
// approver's copy becomes once the request was handed over
// (core.OutboxMakeupHandedOver): the same facts, no buttons, and the
// state naming whom it went to.
func HandedOverCardContent(v core.MakeupView, lang string) MakeupCard {
	c := MakeupCardContent(v, lang)
	c.Pending, c.HandedOver, c.Status = false, true, HandedOverStatus(v, lang)
	return c
}

// HandedOverText is the message sent instead when the old card can no
// longer be edited: which request, and whom it went to.
func HandedOverText(v core.MakeupView, lang string) string {
	t := v.Request.TypeOf()
	head := pick(lang, fmt.Sprintf("%s #%d（%s）", RequestNoun(t, lang), v.Request.ID, v.EmployeeName), fmt.Sprintf("%s #%d (%s)", RequestNoun(t, lang), v.Request.ID, v.EmployeeName))
	if lang == "en" {
		head = strings.ToUpper(head[:1]) + head[1:]
	}
	return head + pick(lang, "：", ": ") + strings.TrimPrefix(HandedOverStatus(v, lang), "↪️ ")
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
