package bots

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

// The "申请补卡 / Request make-up" button of a missed-punch notice on
// platforms without forms (WeCom, Feishu): a click remembers the slot for
// the person who clicked and asks for the reason; their next text that is
// not a command is that reason and files the request through the ordinary
// make-up command, so every policy check, the routing to the approver and
// the approval card apply as for "补卡 11-25 09:00 上班 原因".
//
// A command sent while the reason is awaited is handled as that command,
// and the slot stays remembered until it is used or PendingReasonTTL runs
// out: checking one's status before answering does not lose the click, and
// punches pay no extra session write.

// PendingReasonTTL is how long a clicked make-up button waits for the reason.
const PendingReasonTTL = 5 * time.Minute

// NoticeSlot is one missing slot of a missed-punch notice as its button
// carries it: the shift date, the slot's due time (shift start or end) in
// the employee's zone, the direction, and the platform user id the notice
// went to, so nobody else can use the button.
type NoticeSlot struct {
	Date  string         `json:"date"`
	Clock string         `json:"clock"`
	Kind  core.PunchKind `json:"kind"`
	Owner string         `json:"owner"`
	Lang  string         `json:"lang,omitempty"`
}

// NoticeSlots lists the make-up buttons of a missed-punch notice sent to
// owner; other notices have none.
func NoticeSlots(n core.Notice, owner, lang string) []NoticeSlot {
	if n.Kind != core.ReminderMissedPunch {
		return nil
	}
	var out []NoticeSlot
	for _, m := range n.Missing {
		if m.Date == "" || m.At.IsZero() || (m.Kind != core.KindIn && m.Kind != core.KindOut) {
			continue
		}
		out = append(out, NoticeSlot{Date: m.Date, Clock: noticeClock(n, m.At), Kind: m.Kind, Owner: owner, Lang: lang})
	}
	return out
}

// Encode is the slot in a button key: "2026-11-25|09:00|in|owner|lang".
func (s NoticeSlot) Encode() string {
	return strings.Join([]string{s.Date, s.Clock, string(s.Kind), s.Owner, s.Lang}, "|")
}

// ParseNoticeSlot reads Encode's form; ok is false for anything else.
func ParseNoticeSlot(v string) (NoticeSlot, bool) {
	parts := strings.Split(v, "|")
	if len(parts) != 5 {
		return NoticeSlot{}, false
	}
	s := NoticeSlot{Date: parts[0], Clock: parts[1], Kind: core.PunchKind(parts[2]), Owner: parts[3], Lang: parts[4]}
	if _, err := time.Parse(core.DateLayout, s.Date); err != nil {
		return NoticeSlot{}, false
	}
	if c, ok := makeupClock(s.Clock); !ok || c != s.Clock || (s.Kind != core.KindIn && s.Kind != core.KindOut) || s.Owner == "" {
		return NoticeSlot{}, false
	}
	return s, true
}

// ButtonLabel is "申请补卡 11-25 上班" / "Request make-up 11-25 clock-in".
func (s NoticeSlot) ButtonLabel() string {
	day := s.Date
	if len(day) == len(core.DateLayout) {
		day = day[5:]
	}
	if s.Lang == "en" {
		return MakeupButtonLabel("en") + " " + day + " " + strings.ToLower(kindWord("en", s.Kind))
	}
	return MakeupButtonLabel("zh") + " " + day + " " + kindWord("zh", s.Kind)
}

// Args is the make-up command's arguments for the slot with a reason.
func (s NoticeSlot) Args(reason string) core.MakeupArgs {
	return core.MakeupArgs{Date: s.Date, Clock: s.Clock, Kind: s.Kind, Reason: strings.TrimSpace(reason)}
}

// ReasonPrompt asks for the reason after a click on the slot's button.
func (s NoticeSlot) ReasonPrompt() string {
	return pick(s.Lang,
		"请回复补卡原因（"+s.Date+" "+s.Clock+" "+kindWord("zh", s.Kind)+"），直接发送文字即可，5 分钟内有效。",
		"Please reply with the reason for the make-up ("+s.Date+" "+s.Clock+" "+strings.ToLower(kindWord("en", s.Kind))+"); just send it as a message within 5 minutes.")
}

// NotYourNoticeText answers a click on someone else's notice.
func NotYourNoticeText(lang string) string {
	return pick(lang, "⛔ 这是发给别人的缺卡提醒，不能用它为你申请补卡。", "⛔ This missed-punch notice was sent to someone else; it cannot file a make-up for you.")
}

// IsCommandText reports whether a chat text is one of the grammar's
// commands rather than free text (a reason).
func IsCommandText(text string) bool {
	in := Parse(text)
	return in.Kind != "" || in.Verb != ""
}

func pendingReasonKey(actor core.Identity) string {
	return "makeup:reason:" + string(actor.Platform) + ":" + actor.Tenant + ":" + actor.UserID
}

// RememberNoticeSlot records that actor clicked the slot's button and
// their next text is its reason.
func RememberNoticeSlot(ctx context.Context, sessions core.SessionStore, actor core.Identity, s NoticeSlot) error {
	buf, _ := json.Marshal(s)
	return sessions.Put(ctx, pendingReasonKey(actor), buf, PendingReasonTTL)
}

// PendingNoticeSlot returns the slot actor is giving a reason for; ok is
// false when there is none (or it expired).
func PendingNoticeSlot(ctx context.Context, sessions core.SessionStore, actor core.Identity) (NoticeSlot, bool, error) {
	buf, err := sessions.Get(ctx, pendingReasonKey(actor))
	if core.ErrorCode(err) == core.ENOTFOUND {
		return NoticeSlot{}, false, nil
	}
	if err != nil {
		return NoticeSlot{}, false, err
	}
	var s NoticeSlot
	if json.Unmarshal(buf, &s) != nil || s.Date == "" {
		return NoticeSlot{}, false, nil
	}
	return s, true, nil
}

// ForgetNoticeSlot drops actor's pending slot once its reason was filed.
func ForgetNoticeSlot(ctx context.Context, sessions core.SessionStore, actor core.Identity) error {
	return sessions.Delete(ctx, pendingReasonKey(actor))
}
