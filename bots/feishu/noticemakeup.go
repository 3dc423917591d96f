package feishu

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// The missed-punch notice card carries one "申请补卡 11-25 上班" button per
// missing slot (value: the action and the slot). A click remembers the slot
// for the clicker and asks, in a toast, for the reason; their next text
// that is not a command files the request with the 补卡 command's core path
// (see bots.NoticeSlot).

// ActionNoticeMakeup is value["action"] of a notice's make-up button;
// value["slot"] is bots.NoticeSlot.Encode.
const ActionNoticeMakeup = "notice_makeup"

// noticeMessageFor is the missed-punch card for its one person: the
// notice's card with a make-up button per slot.
func noticeMessageFor(n core.Notice, text, lang, owner string) Message {
	slots := bots.NoticeSlots(n, owner, lang)
	if len(slots) == 0 {
		return NoticeMessage(n, text, lang)
	}
	var buttons []cardButton
	for _, s := range slots {
		buttons = append(buttons, cardButton{Tag: "button", Text: CardText{Tag: "plain_text", Content: s.ButtonLabel()}, Type: "primary",
			Value: map[string]string{"action": ActionNoticeMakeup, "slot": s.Encode()}})
	}
	return noticeCard(map[string]any{
		"config": map[string]any{"wide_screen_mode": true},
		"header": CardHeader{Template: "orange", Title: CardText{Tag: "plain_text", Content: bots.NoticeTitle(n, lang)}},
		"elements": []any{
			CardElement{Tag: "div", Text: &CardText{Tag: "plain_text", Content: text}},
			cardAction{Tag: "action", Actions: buttons},
		},
	}, text)
}

// onNoticeMakeup answers a click on a notice's make-up button with a
// toast: the request for the reason, or a refusal when the clicker is not
// the person the notice went to.
func (b *Bot) onNoticeMakeup(ctx context.Context, ev *callback.CardActionTriggerEvent) (*callback.CardActionTriggerResponse, error) {
	e := ev.Event
	if e == nil || e.Operator == nil || e.Action == nil {
		return nil, &handlerError{status: http.StatusBadRequest, err: fmt.Errorf("card action without operator or action")}
	}
	raw, _ := e.Action.Value["slot"].(string)
	slot, ok := bots.ParseNoticeSlot(raw)
	if !ok {
		return nil, &handlerError{status: http.StatusBadRequest, err: fmt.Errorf("notice button without a readable slot")}
	}
	openID, userID := e.Operator.OpenID, s(e.Operator.UserID)
	if slot.Owner != openID && slot.Owner != userID {
		b.log.Warn("feishu: notice button clicked by someone else", "owner", slot.Owner, "clicker", openID)
		return &callback.CardActionTriggerResponse{Toast: &callback.Toast{Type: "error", Content: bots.NotYourNoticeText(slot.Lang)}}, nil
	}
	if b.sessions == nil {
		return nil, &handlerError{status: http.StatusInternalServerError, err: fmt.Errorf("no session store to remember the make-up slot")}
	}
	tenant := ""
	if ev.EventV2Base != nil && ev.EventV2Base.Header != nil {
		tenant = ev.EventV2Base.Header.TenantKey
	}
	if tenant == "" {
		tenant = s(e.Operator.TenantKey)
	}
	primary := openID
	if primary == "" {
		primary = userID
	}
	// The same identity a message from this person gets (messageCommand).
	actor := core.Identity{Platform: core.PlatformFeishu, Tenant: tenant, UserID: primary}
	if err := bots.RememberNoticeSlot(ctx, b.sessions, actor, slot); err != nil {
		return nil, &handlerError{status: http.StatusInternalServerError, err: err}
	}
	return &callback.CardActionTriggerResponse{Toast: &callback.Toast{Type: "info", Content: slot.ReasonPrompt()}}, nil
}

// messageText is the text of a text message without mentions; "" for
// other messages.
func messageText(ev *messageEvent) string {
	if ev.Message.MessageType != "text" {
		return ""
	}
	var c struct {
		Text string `json:"text"`
	}
	if json.Unmarshal([]byte(ev.Message.Content), &c) != nil {
		return ""
	}
	return strings.TrimSpace(stripMentions(c.Text, ev.Message.Mentions))
}

// withPendingReason turns a text that is not a command into the reason of
// the slot the sender clicked, if any; ok reports that it did, so the slot
// is forgotten once the core has filed it. It only reads the slot: a
// delivery that dies before the commit leaves it for Feishu's retry, and a
// retry after the commit finds it gone but carries the same event id, which
// the core answers with the recorded reply.
func (b *Bot) withPendingReason(ctx context.Context, ev *messageEvent, cmd core.Command) (core.Command, bool, error) {
	if b.sessions == nil || cmd.Kind != core.CmdHelp {
		return cmd, false, nil
	}
	text := messageText(ev)
	if text == "" || bots.IsCommandText(text) {
		return cmd, false, nil
	}
	slot, ok, err := bots.PendingNoticeSlot(ctx, b.sessions, cmd.Actor)
	if err != nil || !ok {
		return cmd, false, err
	}
	args := slot.Args(text)
	cmd.Kind, cmd.Punch, cmd.Makeup = core.CmdMakeup, "", &args
	return cmd, true, nil
}
