package wecom

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// The missed-punch notice goes out as a button_interaction card with one
// "申请补卡 11-25 上班" button per missing slot. A click (template_card_event)
// remembers the slot for the clicker and asks for the reason; their next
// text that is not a command files the request with the 补卡 command's core
// path (see bots.NoticeSlot).

// KeyNoticeMakeupPrefix starts the key of a notice's make-up button; the
// rest is the slot (bots.NoticeSlot.Encode).
const KeyNoticeMakeupPrefix = "notice_makeup|"

// noticeTaskPrefix starts the task_id of a notice card: the outbox message
// id and the attempt, since WeCom refuses a task_id it has seen.
const noticeTaskPrefix = "notice-"

// noticeCard is a missed-punch notice as a card: the title, the notice's
// text and a button per slot.
func noticeCard(n core.Notice, text, lang, taskID string, slots []bots.NoticeSlot) TemplateCard {
	card := TemplateCard{
		CardType:     CardButtonInteraction,
		Source:       &CardSource{Desc: tr(lang, "考勤提醒", "Attendance")},
		MainTitle:    &CardTitle{Title: bots.NoticeTitle(n, lang)},
		SubTitleText: text,
		TaskID:       taskID,
	}
	for i, s := range slots {
		if i == maxButtons {
			break
		}
		card.ButtonList = append(card.ButtonList, CardButton{Text: s.ButtonLabel(), Style: 1, Key: KeyNoticeMakeupPrefix + s.Encode()})
	}
	return card
}

// sendNoticeCard sends a notice that has make-up buttons to its one person.
func (b *Bot) sendNoticeCard(ctx context.Context, m core.OutboxMessage, r renderedNotice) error {
	taskID := fmt.Sprintf("%s%d-%d", noticeTaskPrefix, m.ID, m.Attempts)
	card := noticeCard(r.notice, r.content, r.lang, taskID, r.slots)
	res, err := b.client.SendMessage(ctx, AppMessage{ToUser: r.to.UserID, AgentID: b.agentID, MsgType: "template_card", TemplateCard: &card,
		EnableDuplicateCheck: 1, DuplicateCheckInterval: noticeDuplicateWindow})
	if err != nil {
		return err
	}
	return refused(res, r.to.UserID)
}

// noticeClick handles a click on a notice's make-up button: ok is false
// for other events. The clicker must be the person the notice went to;
// the answer (the prompt or the refusal) is sent right away, and a failure
// to send is returned so the callback gets a 500 and WeCom's retry.
func (b *Bot) noticeClick(ctx context.Context, m Message) (bool, error) {
	if m.MsgType != MsgEvent || m.Event != EventTemplateCard {
		return false, nil
	}
	raw, ok := strings.CutPrefix(m.EventKey, KeyNoticeMakeupPrefix)
	if !ok {
		return false, nil
	}
	slot, ok := bots.ParseNoticeSlot(raw)
	if !ok {
		b.log.Warn("wecom: unreadable notice button", "key", m.EventKey)
		return true, nil
	}
	if slot.Owner != m.FromUserName {
		b.log.Warn("wecom: notice button clicked by someone else", "owner", slot.Owner, "clicker", m.FromUserName)
		return true, b.sendTo(ctx, m.FromUserName, AppMessage{MsgType: "text", Text: &Content{Content: bots.NotYourNoticeText(slot.Lang)}})
	}
	if b.sessions == nil {
		return true, core.Errorf(core.EUNAVAILABLE, "wecom: no session store to remember the make-up slot")
	}
	actor := core.Identity{Platform: core.PlatformWeCom, Tenant: b.cfg.CorpID, UserID: m.FromUserName}
	if err := bots.RememberNoticeSlot(ctx, b.sessions, actor, slot); err != nil {
		return true, err
	}
	return true, b.sendTo(ctx, m.FromUserName, AppMessage{MsgType: "text", Text: &Content{Content: slot.ReasonPrompt()}})
}

// withPendingReason turns a text that is not a command into the reason of
// the slot the sender clicked, if any; ok reports that it did, so the slot
// is forgotten once the core has filed it.
func (b *Bot) withPendingReason(ctx context.Context, m Message, in inbound) (inbound, bool, error) {
	if b.sessions == nil || m.MsgType != MsgText || strings.TrimSpace(m.Content) == "" || bots.IsCommandText(m.Content) {
		return in, false, nil
	}
	slot, ok, err := bots.PendingNoticeSlot(ctx, b.sessions, in.cmd.Actor)
	if err != nil || !ok {
		return in, false, err
	}
	args := slot.Args(m.Content)
	in.cmd.Kind, in.cmd.Punch, in.cmd.Makeup = core.CmdMakeup, "", &args
	return in, true, nil
}

// receiveNoticeClick answers the callback of a notice button click and
// reports whether it was one. A retried delivery of a click already
// answered is acknowledged without a second prompt.
func (b *Bot) receiveNoticeClick(ctx context.Context, w http.ResponseWriter, m Message) bool {
	if m.MsgType != MsgEvent || m.Event != EventTemplateCard || !strings.HasPrefix(m.EventKey, KeyNoticeMakeupPrefix) {
		return false
	}
	// The click changes only session state and sends the prompt itself, so
	// no event ledger answers WeCom's retry: a marker written after the
	// prompt went out does. A crash before it costs a second prompt, never
	// a lost click.
	key := "wecom:click:" + b.cfg.CorpID + ":" + m.EventID()
	if b.sessions != nil {
		if _, err := b.sessions.Get(ctx, key); err == nil {
			w.WriteHeader(http.StatusOK)
			return true
		}
	}
	if _, err := b.noticeClick(ctx, m); err != nil {
		b.log.Error("wecom: notice button click failed", "user", m.FromUserName, "err", err)
		http.Error(w, "temporarily unavailable", http.StatusInternalServerError)
		return true
	}
	if b.sessions != nil {
		if err := b.sessions.Put(ctx, key, []byte{1}, clickTTL); err != nil {
			b.log.Warn("wecom: cannot remember the answered click", "err", err)
		}
	}
	w.WriteHeader(http.StatusOK)
	return true
}

// clickTTL covers WeCom's retries of a callback (three, seconds apart) with
// room to spare.
const clickTTL = 10 * time.Minute
