package bots

import (
	"strconv"
	"time"

	"github.com/punchbot/punchbot/core"
)

// RequesterCard is what the requester's own "submitted" card shows after
// the request changed (approved, rejected, expired, withdrawn, revoked,
// evidence added): the request, its state in the requester's language,
// and the 撤回 / Withdraw button only while the core would still accept
// a withdrawal. Each bot lays it out in its own card; the approver's card
// keeps MakeupCardContent.
type RequesterCard struct {
	Title   string // "请假申请 #12", "Leave request #12"
	Summary string // the title and what was filed: "Leave request #12 (年假 2026-03-05 (Thu), all day)"
	Status  string // MakeupStatusLine
	// Evidence counts the files attached, "" for none: attaching one is a
	// change the card shows.
	Evidence string
	// Withdraw says the button stays (core.MakeupRequest.Withdrawable at
	// the time of sending); Hint then explains it.
	Withdraw bool
	Hint     string
	// State is the short state a card shows where the button was
	// ("已同意", "Rejected"), for cards without the button.
	State string
	// Open is true while the request waits for a decision.
	Open bool
}

// RequesterCardContent renders v as the requester's card at time now.
func RequesterCardContent(v core.MakeupView, lang string, now time.Time) RequesterCard {
	m := v.Request
	t := m.TypeOf()
	c := RequesterCard{
		Title:    requestTitle(t, m.ID, lang),
		Status:   MakeupStatusLine(v, lang),
		Withdraw: m.Withdrawable(now),
		State:    RequestStateLabel(m, lang),
		Open:     m.Status == core.MakeupPending,
	}
	c.Summary = c.Title + requestSummary(v, lang)
	if n := len(m.Evidence); n > 0 {
		c.Evidence = pick(lang, "📎 已附 "+strconv.Itoa(n)+" 个附件", "📎 "+strconv.Itoa(n)+" file(s) attached")
	}
	if c.Withdraw {
		c.Hint = WithdrawHint(m.ID, t, lang)
	}
	return c
}

// Text is the card as one message: the summary, the state and, with the
// button, the hint.
func (c RequesterCard) Text() string {
	text := c.Summary + "\n" + c.Status
	if c.Evidence != "" {
		text += "\n" + c.Evidence
	}
	if c.Withdraw {
		text += "\n" + c.Hint
	}
	return text
}

// RequestStateLabel is a request's state in two or three words: 待审批,
// 已同意, 已驳回, 已撤回, 已过期, 已撤销 (Pending, Approved, …).
func RequestStateLabel(m core.MakeupRequest, lang string) string {
	switch m.Status {
	case core.MakeupPending:
		return pick(lang, "待审批", "Pending")
	case core.MakeupApproved:
		return pick(lang, "已同意", "Approved")
	case core.MakeupRejected:
		return pick(lang, "已驳回", "Rejected")
	case core.MakeupCancelled:
		return pick(lang, "已撤回", "Withdrawn")
	case core.MakeupExpired:
		return pick(lang, "已过期", "Expired")
	case core.MakeupRevoked:
		if m.DecidedBy == m.EmployeeID {
			return pick(lang, "已撤回", "Withdrawn")
		}
		return pick(lang, "已撤销", "Revoked")
	}
	return string(m.Status)
}
