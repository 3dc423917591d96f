package feishu

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// Actions of the confirmation card's buttons, sent back as value["action"]
// in card.action.trigger, with value["for"], the open_id (or user_id) the
// card was sent to, and value["lang"].
const (
	ActionPunchConfirm = "punch_confirm"
	ActionPunchDecline = "punch_decline"
)

func (b *Bot) registerConfirmActions() {
	b.OnCardAction(ActionPunchConfirm, b.onConfirmAction)
	b.OnCardAction(ActionPunchDecline, b.onConfirmAction)
}

// confirmMessage is the question as an interactive card (JSON 1.0,
// https://open.feishu.cn/document/common-capabilities/message-card/add-card-interaction/interaction-module: a div,
// the times as fields, an action row with two buttons and a note; 消息卡片
// "按钮" element, value returned in card.action.trigger). forUser is whom it
// is for: in a group chat anyone sees the card, only they may answer it.
func confirmMessage(r core.Reply, lang, forUser string) Message {
	confirm, decline := bots.ConfirmLabels(lang)
	field := func(label, value string) CardField {
		return CardField{IsShort: true, Text: CardText{Tag: "plain_text", Content: label + "\n" + value}}
	}
	fields := []CardField{field(pick(lang, "下班时间", "Clock-out"), bots.Clock(r, r.At))}
	if r.Day != nil && r.Day.In != nil {
		fields = append(fields, field(pick(lang, "上班时间", "Clock-in"), bots.Clock(r, r.Day.In.At)))
	}
	if r.EarlyMin > 0 {
		fields = append(fields, field(pick(lang, "早退", "Early by"), bots.Minutes(r.EarlyMin, lang)))
	}
	value := func(action string) map[string]string {
		return map[string]string{"action": action, "for": forUser, "lang": lang}
	}
	doc := makeupCardDoc{
		Config: CardConfig{WideScreenMode: true, UpdateMulti: true},
		Header: CardHeader{Template: "orange", Title: CardText{Tag: "plain_text", Content: pick(lang, "⚠️ 确认下班打卡？", "⚠️ Confirm clock-out?")}},
		Elements: []any{
			CardElement{Tag: "div", Text: &CardText{Tag: "plain_text", Content: bots.ConfirmQuestion(r, lang)}},
			CardElement{Tag: "div", Fields: fields},
			cardAction{Tag: "action", Actions: []cardButton{
				{Tag: "button", Text: CardText{Tag: "plain_text", Content: confirm}, Type: "primary", Value: value(ActionPunchConfirm)},
				{Tag: "button", Text: CardText{Tag: "plain_text", Content: decline}, Type: "default", Value: value(ActionPunchDecline)},
			}},
			cardNote{Tag: "note", Elements: []CardText{{Tag: "plain_text", Content: bots.ConfirmButtonHint(lang)}}},
		},
	}
	buf, _ := json.Marshal(doc)
	return Message{MsgType: "interactive", Content: string(buf)}
}

// answeredCard replaces the question once it is answered: the punch card
// for a recorded (or refused) clock-out, a grey card otherwise; neither
// has buttons.
func answeredCard(r core.Reply, lang string) any {
	switch r.Outcome {
	case core.OutcomeAccepted, core.OutcomeField, core.OutcomeFieldPending, core.OutcomeRejected:
		return json.RawMessage(punchCard(r, lang))
	}
	return makeupCardDoc{
		Config: CardConfig{WideScreenMode: true, UpdateMulti: true},
		Header: CardHeader{Template: "grey", Title: CardText{Tag: "plain_text", Content: bots.ConfirmDoneLabel(r, lang)}},
		Elements: []any{
			CardElement{Tag: "div", Text: &CardText{Tag: "plain_text", Content: bots.Headline(r, lang)}},
		},
	}
}

// onConfirmAction answers a click on the confirmation card inline (the
// card.action.trigger response: a toast, and the card that replaces the
// clicked one, within 3 s; 卡片回传交互 callback,
// https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-callback-communication
// and …/feishu-cards/handle-card-callbacks): one core call, CmdConfirm or
// CmdDecline, for the clicker, who must be the person the card was sent
// to. Anyone else gets an error toast and the card stays as it was. A
// retried callback carries the same event id and gets the recorded answer.
func (b *Bot) onConfirmAction(ctx context.Context, ev *callback.CardActionTriggerEvent) (*callback.CardActionTriggerResponse, error) {
	e := ev.Event
	if e == nil || e.Operator == nil || e.Action == nil {
		return nil, &handlerError{status: http.StatusBadRequest, err: fmt.Errorf("card action without operator or action")}
	}
	forUser, _ := e.Action.Value["for"].(string)
	lang, _ := e.Action.Value["lang"].(string)
	kind := core.CmdConfirm
	if e.Action.Value["action"] == ActionPunchDecline {
		kind = core.CmdDecline
	}
	cmd, ok := b.clickCommand(ev, forUser, kind)
	if !ok {
		return &callback.CardActionTriggerResponse{Toast: &callback.Toast{Type: "error", Content: bots.NotForYou(bots.Lang(core.Reply{}, lang))}}, nil
	}
	reply, err := b.handleClick(ctx, cmd)
	if err != nil {
		return nil, err
	}
	lang = bots.Lang(reply, lang)
	toast := "success"
	switch reply.Outcome {
	case core.OutcomeDeclined:
		toast = "info"
	case core.OutcomeNothingPending, core.OutcomeRejected:
		toast = "warning"
	}
	b.log.Debug("feishu: confirmation card action", "event_id", cmd.EventID, "kind", kind, "outcome", reply.Outcome, "replayed", reply.Replayed)
	return &callback.CardActionTriggerResponse{
		Toast: &callback.Toast{Type: toast, Content: bots.Headline(reply, lang)},
		Card:  &callback.Card{Type: "raw", Data: answeredCard(reply, lang)},
	}, nil
}

// clickCommand is the command a card click runs for the person the card
// was sent to (forUser, an open_id or user_id), known also by the
// clicker's other id, under the callback's event id, so that a retried
// callback gets the recorded answer. ok is false when the clicker is
// someone else.
func (b *Bot) clickCommand(ev *callback.CardActionTriggerEvent, forUser string, kind core.CommandKind) (cmd core.Command, ok bool) {
	e := ev.Event
	if forUser == "" || (forUser != e.Operator.OpenID && forUser != s(e.Operator.UserID)) {
		return core.Command{}, false
	}
	return b.operatorCommand(ev, forUser, kind), true
}

// operatorCommand is the command a card callback runs for its operator,
// known as actor (their open_id or user_id) and by the other id as an
// alternative; the tenant and the event id come from the callback's
// header (the operator's tenant_key when the header has none).
func (b *Bot) operatorCommand(ev *callback.CardActionTriggerEvent, actor string, kind core.CommandKind) core.Command {
	e := ev.Event
	tenant, eventID := "", ""
	if ev.EventV2Base != nil && ev.EventV2Base.Header != nil {
		tenant, eventID = ev.EventV2Base.Header.TenantKey, ev.EventV2Base.Header.EventID
	}
	if tenant == "" {
		tenant = s(e.Operator.TenantKey)
	}
	var alts []string
	for _, id := range []string{e.Operator.OpenID, s(e.Operator.UserID)} {
		if id != "" && id != actor {
			alts = append(alts, id)
		}
	}
	return core.Command{Actor: core.Identity{Platform: core.PlatformFeishu, Tenant: tenant, UserID: actor}, AltUserIDs: alts,
		Kind: kind, ReceivedAt: b.now(), EventID: eventID}
}

// operator is the id a card callback's operator is known by: the open_id,
// else the user_id ("" when the callback names neither).
func operator(e *callback.CardActionTriggerRequest) string {
	if e.Operator.OpenID != "" {
		return e.Operator.OpenID
	}
	return s(e.Operator.UserID)
}

// handleClick runs a card click's command; a command the core cannot
// read is the callback's fault (400), anything else a failure (500).
func (b *Bot) handleClick(ctx context.Context, cmd core.Command) (core.Reply, error) {
	reply, err := b.core.Handle(ctx, cmd)
	if err != nil {
		if core.ErrorCode(err) == core.EINVALID {
			return core.Reply{}, &handlerError{status: http.StatusBadRequest, err: err}
		}
		return core.Reply{}, &handlerError{status: http.StatusInternalServerError, err: err}
	}
	return reply, nil
}
