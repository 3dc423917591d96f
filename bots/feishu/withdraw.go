package feishu

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// ActionMakeupWithdraw is the 撤回 / Withdraw button on the requester's
// "submitted" card, sent back as value["action"] in card.action.trigger
// with value["id"] (the request), value["for"] (the open_id or user_id
// the card was sent to: only they may click), value["lang"] and, on a
// JSON 2.0 card, value["schema"] = "2.0", so the answer keeps the schema.
const ActionMakeupWithdraw = "makeup_withdraw"

// v2Button is a JSON 2.0 button whose click is a request callback: it
// sits directly in body.elements (2.0 has no "action" module) and its
// value travels in behaviors (按钮 JSON 2.0,
// https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-components/interactive-components/button,
// and 配置卡片交互,
// https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/configuring-card-interactions).
type v2Button struct {
	Tag       string       `json:"tag"`
	Text      CardText     `json:"text"`
	Type      string       `json:"type,omitempty"`
	Behaviors []v2Behavior `json:"behaviors"`
}

type v2Behavior struct {
	Type  string            `json:"type"`
	Value map[string]string `json:"value"`
}

func withdrawValue(id int64, forUser, lang, schema string) map[string]string {
	v := map[string]string{"action": ActionMakeupWithdraw, "id": strconv.FormatInt(id, 10), "for": forUser, "lang": lang}
	if schema != "" {
		v["schema"] = schema
	}
	return v
}

// withdrawMessage is a filed request's answer as an interactive card
// (JSON 1.0, as the confirmation card: a div with the answer, an action
// module with one button whose value comes back in card.action.trigger,
// and a note; 按钮 JSON 1.0,
// https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-components/interactive-components/button).
// ok is false for any other reply, which RenderReply renders.
func withdrawMessage(r core.Reply, lang, forUser string) (Message, bool) {
	id, ok := bots.WithdrawOffer(r)
	if !ok {
		return Message{}, false
	}
	t := r.Makeup.Request.TypeOf()
	doc := makeupCardDoc{
		Config: CardConfig{WideScreenMode: true, UpdateMulti: true},
		Header: CardHeader{Template: pendingColour(t), Title: CardText{Tag: "plain_text", Content: pick(lang, "已提交", "Filed")}},
		Elements: []any{
			CardElement{Tag: "div", Text: &CardText{Tag: "plain_text", Content: bots.Headline(r, lang)}},
			cardAction{Tag: "action", Actions: []cardButton{
				{Tag: "button", Text: CardText{Tag: "plain_text", Content: bots.WithdrawLabel(lang)}, Type: "danger", Value: withdrawValue(id, forUser, lang, "")},
			}},
			cardNote{Tag: "note", Elements: []CardText{{Tag: "plain_text", Content: bots.WithdrawHint(id, t, lang)}}},
		},
	}
	buf, _ := json.Marshal(doc)
	return Message{MsgType: "interactive", Content: string(buf)}, true
}

// withdrawElements are the button and hint a JSON 2.0 card (the leave
// form's confirmation) gets for a filed request; nil for any other reply.
func withdrawElements(r core.Reply, lang, forUser string) []any {
	id, ok := bots.WithdrawOffer(r)
	if !ok {
		return nil
	}
	return []any{
		v2Button{Tag: "button", Text: CardText{Tag: "plain_text", Content: bots.WithdrawLabel(lang)}, Type: "danger",
			Behaviors: []v2Behavior{{Type: "callback", Value: withdrawValue(id, forUser, lang, "2.0")}}},
		markdown{Tag: "markdown", Content: mdEscape(bots.WithdrawHint(id, r.Makeup.Request.TypeOf(), lang))},
	}
}

// withdrawnCard replaces the clicked card: a grey header with the state
// and the answer, without the button, in the schema of the clicked card
// (a 2.0 card is not updated to a 1.0 one).
func withdrawnCard(r core.Reply, lang, schema string) any {
	header := CardHeader{Template: "grey", Title: CardText{Tag: "plain_text", Content: bots.WithdrawDoneLabel(r, lang)}}
	text := bots.Headline(r, lang)
	if schema == "2.0" {
		var c formCard
		c.Schema, c.Config.UpdateMulti, c.Header = "2.0", true, header
		c.Body.Elements = []any{markdown{Tag: "markdown", Content: mdEscape(text)}}
		return c
	}
	return makeupCardDoc{
		Config:   CardConfig{WideScreenMode: true, UpdateMulti: true},
		Header:   header,
		Elements: []any{CardElement{Tag: "div", Text: &CardText{Tag: "plain_text", Content: text}}},
	}
}

// onWithdrawAction answers a click on the Withdraw button inline (the
// card.action.trigger response: a toast and the card that replaces the
// clicked one, within 3 s; 卡片回传交互,
// https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-callback-communication,
// the SDK's callback.CardActionTriggerResponse): one core call, the
// CmdMakeupCancel a typed "请假 取消 12" is, for the clicker, who must be
// the person the card was sent to. Anyone else gets an error toast and
// the card stays. A retried callback carries the same event id and gets
// the recorded answer; a second click is answered with the request's
// state.
func (b *Bot) onWithdrawAction(ctx context.Context, ev *callback.CardActionTriggerEvent) (*callback.CardActionTriggerResponse, error) {
	e := ev.Event
	if e == nil || e.Operator == nil || e.Action == nil {
		return nil, &handlerError{status: http.StatusBadRequest, err: fmt.Errorf("card action without operator or action")}
	}
	id, ok := valueID(e.Action.Value["id"])
	if !ok {
		return nil, &handlerError{status: http.StatusBadRequest, err: fmt.Errorf("withdraw action without a request id")}
	}
	forUser, _ := e.Action.Value["for"].(string)
	lang, _ := e.Action.Value["lang"].(string)
	schema, _ := e.Action.Value["schema"].(string)
	cmd, ok := b.clickCommand(ev, forUser, core.CmdMakeupCancel)
	if !ok {
		return &callback.CardActionTriggerResponse{Toast: &callback.Toast{Type: "error", Content: bots.NotForYou(bots.Lang(core.Reply{}, lang))}}, nil
	}
	cmd.Makeup = &core.MakeupArgs{ID: id}
	reply, err := b.handleClick(ctx, cmd)
	if err != nil {
		return nil, err
	}
	lang = bots.Lang(reply, lang)
	toast := "error"
	switch reply.Outcome {
	case core.OutcomeMakeupCancelled:
		toast = "success"
	case core.OutcomeMakeupClosed:
		toast = "info"
	case core.OutcomeMakeupRefused, core.OutcomeMakeupNotFound:
		toast = "warning"
	}
	b.log.Debug("feishu: withdraw card action", "event_id", cmd.EventID, "request", id, "outcome", reply.Outcome, "replayed", reply.Replayed)
	return &callback.CardActionTriggerResponse{
		Toast: &callback.Toast{Type: toast, Content: bots.Headline(reply, lang)},
		Card:  &callback.Card{Type: "raw", Data: withdrawnCard(reply, lang, schema)},
	}, nil
}

// recordRequesterCard records the message id of a filed request's
// "submitted" card (the create and reply calls answer with data.message_id:
// 发送消息, https://open.feishu.cn/document/server-docs/im-v1/message/create,
// 回复消息, https://open.feishu.cn/document/server-docs/im-v1/message/reply)
// as the requester's card, the way sendMakeup records the approver's, so
// later changes PATCH it (updateRequesterCard); schema is "2.0" for the
// leave form's confirmation (the form's own message, open_message_id in
// the card.action.trigger context). id is 0 for any other message, which
// is not recorded.
func (b *Bot) recordRequesterCard(ctx context.Context, id int64, forUser, messageID, schema string) {
	if id == 0 || forUser == "" || messageID == "" || b.makeups == nil {
		return
	}
	buf, _ := json.Marshal(cardRef{MessageID: messageID, Schema: schema})
	// The card is out; failing now would send it twice. Without the
	// reference the card keeps its first state.
	if err := b.makeups.RecordCardRef(ctx, core.CardRef{RequestID: id, Platform: core.PlatformFeishu, Recipient: forUser, Ref: string(buf), Requester: true}); err != nil {
		b.log.Error("feishu: cannot record the requester's card", "request", id, "err", err)
	}
}

// requesterCard is the requester's card after a change (with update_multi
// so it can be PATCHed again, in the schema of the card it replaces: JSON
// 1.0, or 2.0 for the leave form's confirmation): what was filed, its
// state, the files attached and, only while the core would still accept a
// withdrawal, the Withdraw button and its hint. The header keeps the
// type's colour while pending, then green, red or grey.
func requesterCard(v core.MakeupView, lang, forUser, schema string, now time.Time) any {
	c := bots.RequesterCardContent(v, lang, now)
	colour := "grey"
	switch {
	case c.Open:
		colour = pendingColour(v.Request.TypeOf())
	case v.Request.Status == core.MakeupApproved:
		colour = "green"
	case v.Request.Status == core.MakeupRejected:
		colour = "red"
	}
	header := CardHeader{Template: colour, Title: CardText{Tag: "plain_text", Content: c.Title + " · " + c.State}}
	if schema == "2.0" {
		var card formCard
		card.Schema, card.Config.UpdateMulti, card.Header = "2.0", true, header
		card.Body.Elements = []any{markdown{Tag: "markdown", Content: mdEscape(c.Summary + "\n" + c.Status)}}
		if c.Evidence != "" {
			card.Body.Elements = append(card.Body.Elements, markdown{Tag: "markdown", Content: mdEscape(c.Evidence)})
		}
		if c.Withdraw {
			card.Body.Elements = append(card.Body.Elements,
				v2Button{Tag: "button", Text: CardText{Tag: "plain_text", Content: bots.WithdrawLabel(lang)}, Type: "danger",
					Behaviors: []v2Behavior{{Type: "callback", Value: withdrawValue(v.Request.ID, forUser, lang, "2.0")}}},
				markdown{Tag: "markdown", Content: mdEscape(c.Hint)})
		}
		return card
	}
	doc := makeupCardDoc{
		Config: CardConfig{WideScreenMode: true, UpdateMulti: true},
		Header: header,
		Elements: []any{
			CardElement{Tag: "div", Text: &CardText{Tag: "plain_text", Content: c.Summary}},
			CardElement{Tag: "div", Text: &CardText{Tag: "plain_text", Content: c.Status}},
		},
	}
	if c.Evidence != "" {
		doc.Elements = append(doc.Elements, cardNote{Tag: "note", Elements: []CardText{{Tag: "plain_text", Content: c.Evidence}}})
	}
	if c.Withdraw {
		doc.Elements = append(doc.Elements,
			cardAction{Tag: "action", Actions: []cardButton{
				{Tag: "button", Text: CardText{Tag: "plain_text", Content: bots.WithdrawLabel(lang)}, Type: "danger", Value: withdrawValue(v.Request.ID, forUser, lang, "")},
			}},
			cardNote{Tag: "note", Elements: []CardText{{Tag: "plain_text", Content: c.Hint}}})
	}
	return doc
}

// updateRequesterCard edits the requester's recorded card in place
// (PATCH im/v1/messages/:message_id, 更新已发送的消息卡片,
// https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message/patch:
// update_multi declared before and after, within 14 days of sending;
// PLATFORMS.md §7.4). Without a record there
// is nothing to edit; a card Feishu no longer lets us edit (recalled, too
// old) stays as it is: the requester hears of every change anyway, from
// the result message or as the answer to their own command, so nothing
// is sent instead.
func (b *Bot) updateRequesterCard(ctx context.Context, to core.Recipient, v core.MakeupView) error {
	if b.makeups == nil {
		return nil
	}
	stored, err := b.makeups.CardRef(ctx, v.Request.ID, core.PlatformFeishu, to.UserID)
	if core.ErrorCode(err) == core.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	var ref cardRef
	if json.Unmarshal([]byte(stored.Ref), &ref) != nil || ref.MessageID == "" {
		return nil
	}
	buf, _ := json.Marshal(requesterCard(v, to.Lang, to.UserID, ref.Schema, b.now()))
	err = b.client.PatchCard(ctx, ref.MessageID, buf)
	if core.ErrorCode(err) == core.EINVALID {
		b.log.Warn("feishu: the requester's card cannot be updated", "request", v.Request.ID, "err", err)
		return nil
	}
	return err
}
