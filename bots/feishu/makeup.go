package feishu

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// Actions of the approval card's buttons, sent back as value["action"] in
// card.action.trigger together with value["id"], the request.
const (
	ActionMakeupApprove = "makeup_approve"
	ActionMakeupReject  = "makeup_reject"
)

// CardActionHandler answers one card.action.trigger callback inline: a
// toast and, optionally, the card that replaces the clicked one.
type CardActionHandler func(ctx context.Context, ev *callback.CardActionTriggerEvent) (*callback.CardActionTriggerResponse, error)

// OnCardAction routes card.action.trigger callbacks whose value["action"]
// is action to h: the endpoint has one card callback, shared by every
// feature with card buttons.
func (b *Bot) OnCardAction(action string, h CardActionHandler) {
	b.cardActions[action] = h
}

func (b *Bot) registerCardActions(deps Deps) {
	b.makeups = bots.ResolveMakeupCore(deps.Makeups, deps.Core)
	b.cardActions = map[string]CardActionHandler{}
	b.OnCardAction(ActionMakeupApprove, b.onMakeupAction)
	b.OnCardAction(ActionMakeupReject, b.onMakeupAction)
	b.OnCardAction(ActionMakeupBatch, b.onBatchAction) // batch.go
	b.registerConfirmActions()                         // confirm.go
	b.OnCardAction(ActionLeaveForm, b.onLeaveForm)
	b.OnCardAction(ActionMakeupWithdraw, b.onWithdrawAction) // withdraw.go
}

// onCardAction handles card.action.trigger by the clicked button's action.
func (b *Bot) onCardAction(ctx context.Context, ev *callback.CardActionTriggerEvent) (*callback.CardActionTriggerResponse, error) {
	name := ""
	if ev != nil && ev.Event != nil && ev.Event.Action != nil {
		name, _ = ev.Event.Action.Value["action"].(string)
		if name == "" {
			// A form's submit button has a name and no value.
			name = ev.Event.Action.Name
		}
	}
	h, ok := b.cardActions[name]
	if !ok {
		// A button of a card this version no longer knows.
		return &callback.CardActionTriggerResponse{}, nil
	}
	return h(ctx, ev)
}

// valueID reads value["id"], which a card may carry as a string or a number.
func valueID(v any) (int64, bool) {
	switch x := v.(type) {
	case string:
		id, err := strconv.ParseInt(x, 10, 64)
		return id, err == nil && id > 0
	case float64:
		return int64(x), x > 0 && x == float64(int64(x))
	}
	return 0, false
}

// onMakeupAction decides a request from a click on its card: one core
// call, then the answer inline within Feishu's 3 s: a toast, and on a
// decision (or a click on a request already closed) the updated card,
// which replaces the clicked one without its buttons. Anyone but the
// approver or HR gets an error toast and the card stays as it was. A
// retried callback carries the same event id and gets the recorded answer.
func (b *Bot) onMakeupAction(ctx context.Context, ev *callback.CardActionTriggerEvent) (*callback.CardActionTriggerResponse, error) {
	e := ev.Event
	if e == nil || e.Operator == nil || e.Action == nil {
		return nil, &handlerError{status: http.StatusBadRequest, err: fmt.Errorf("card action without operator or action")}
	}
	id, ok := valueID(e.Action.Value["id"])
	if !ok {
		return nil, &handlerError{status: http.StatusBadRequest, err: fmt.Errorf("card action without a request id")}
	}
	decision := core.MakeupApproved
	if e.Action.Value["action"] == ActionMakeupReject {
		decision = core.MakeupRejected
	}
	actor := operator(e)
	if actor == "" {
		return nil, &handlerError{status: http.StatusBadRequest, err: fmt.Errorf("card action without an operator id")}
	}
	cmd := b.operatorCommand(ev, actor, core.CmdMakeupDecide)
	// A reason typed into the card's input comes with the rejection; a
	// button click has none.
	cmd.Makeup = &core.MakeupArgs{ID: id, Decision: decision}
	if decision == core.MakeupRejected {
		cmd.Makeup.Note = e.Action.InputValue
	}
	reply, err := b.core.Handle(ctx, cmd)
	if err != nil {
		if core.ErrorCode(err) == core.EINVALID {
			return nil, &handlerError{status: http.StatusBadRequest, err: err}
		}
		return nil, &handlerError{status: http.StatusInternalServerError, err: err}
	}
	lang := bots.Lang(reply, "")
	resp := &callback.CardActionTriggerResponse{Toast: &callback.Toast{Type: toastType(reply.Outcome), Content: bots.Headline(reply, lang)}}
	if (reply.Outcome == core.OutcomeMakeupDecided || reply.Outcome == core.OutcomeMakeupClosed) && reply.Makeup != nil {
		resp.Card = &callback.Card{Type: "raw", Data: makeupCard(*reply.Makeup, lang)}
	}
	b.log.Debug("feishu: make-up card action", "event_id", cmd.EventID, "request", id, "decision", decision, "outcome", reply.Outcome, "replayed", reply.Replayed)
	return resp, nil
}

func toastType(o core.Outcome) string {
	switch o {
	case core.OutcomeMakeupDecided:
		return "success"
	case core.OutcomeMakeupClosed:
		return "info"
	case core.OutcomeMakeupNotFound:
		return "warning"
	}
	return "error"
}

// evidenceArgs reads an image or file message sent as evidence. The
// reference keeps the message id, which the message-resource API needs
// next to the key to fetch the file.
func evidenceArgs(msgType, messageID, content string) (*core.MakeupArgs, bool) {
	var c struct {
		ImageKey string `json:"image_key"`
		FileKey  string `json:"file_key"`
	}
	if json.Unmarshal([]byte(content), &c) != nil {
		return nil, false
	}
	key, kind := c.FileKey, "file"
	if msgType == "image" {
		key, kind = c.ImageKey, "image"
	}
	if key == "" {
		return nil, false
	}
	return &core.MakeupArgs{Evidence: []string{bots.EvidenceRef(core.PlatformFeishu, kind, messageID+"/"+key)}}, true
}

// Card parts the approval card uses beyond those of the punch card.
type (
	cardButton struct {
		Tag   string            `json:"tag"`
		Text  CardText          `json:"text"`
		Type  string            `json:"type"`
		Value map[string]string `json:"value"`
	}
	cardAction struct {
		Tag     string       `json:"tag"`
		Actions []cardButton `json:"actions"`
	}
	cardNote struct {
		Tag      string     `json:"tag"`
		Elements []CardText `json:"elements"`
	}
	// cardInput is a standalone input box (JSON 1.0 "input",
	// https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-components/interactive-components/input):
	// outside a form, submitting it (Enter) sends card.action.trigger at
	// once with action.tag "input", the text as action.input_value and
	// Value as action.value (the SDK's callback.CallBackAction.InputValue).
	cardInput struct {
		Tag         string            `json:"tag"`
		Name        string            `json:"name"`
		Placeholder CardText          `json:"placeholder"`
		Width       string            `json:"width"`
		MaxLength   int               `json:"max_length"`
		Value       map[string]string `json:"value"`
	}
	cardHR struct {
		Tag string `json:"tag"`
	}
)

// makeupCardDoc is the approval card (JSON 1.0). Elements mixes divs,
// an hr, the action row and a note.
type makeupCardDoc struct {
	Config   CardConfig `json:"config"`
	Header   CardHeader `json:"header"`
	Elements []any      `json:"elements"`
}

// mdEscape keeps names and reasons from being read as lark_md.
var mdEscape = strings.NewReplacer(`\`, `\\`, "[", `\[`, "]", `\]`, "(", `\(`, ")", `\)`, "*", `\*`, "_", `\_`, "~", `\~`, "<", "&lt;", ">", "&gt;").Replace

// makeupCard lays the approval card out: the facts as fields, the day's
// punches and the evidence, the state, and while pending the Approve and
// Reject buttons (value: action and request id). update_multi is set, as
// PATCH requires it before and after.
func makeupCard(v core.MakeupView, lang string) makeupCardDoc {
	return approvalCardDoc(v, bots.MakeupCardContent(v, lang), lang)
}

// approvalCardDoc lays out card content c of request v; a handed-over
// card (c.HandedOver) is grey and has no buttons.
func approvalCardDoc(v core.MakeupView, c bots.MakeupCard, lang string) makeupCardDoc {
	field := func(label, value string, short bool) CardField {
		return CardField{IsShort: short, Text: CardText{Tag: "plain_text", Content: label + "\n" + value}}
	}
	var fields []CardField
	for _, f := range c.Fields {
		fields = append(fields, field(f.Label, f.Value, !f.Long))
	}
	colour := map[core.MakeupStatus]string{core.MakeupPending: pendingColour(c.Type), core.MakeupApproved: "green", core.MakeupRejected: "red"}[v.Request.Status]
	if colour == "" || c.HandedOver {
		colour = "grey"
	}
	doc := makeupCardDoc{
		Config:   CardConfig{WideScreenMode: true, UpdateMulti: true},
		Header:   CardHeader{Template: colour, Title: CardText{Tag: "plain_text", Content: c.Title}},
		Elements: []any{CardElement{Tag: "div", Fields: fields}},
	}
	if len(c.Links) > 0 {
		var lines []string
		for _, l := range c.Links {
			lines = append(lines, "["+mdEscape(l.Label)+"]("+l.URL+")")
		}
		doc.Elements = append(doc.Elements, CardElement{Tag: "div", Text: &CardText{Tag: "lark_md", Content: strings.Join(lines, "\n")}})
	}
	if len(c.Evidence) > 0 {
		var lines []string
		for _, e := range c.Evidence {
			if e.URL != "" {
				lines = append(lines, "📎 ["+mdEscape(e.Label)+"]("+e.URL+")")
			} else {
				lines = append(lines, "📎 "+mdEscape(e.Label))
			}
		}
		doc.Elements = append(doc.Elements, CardElement{Tag: "div", Text: &CardText{Tag: "lark_md", Content: strings.Join(lines, "\n")}})
	}
	doc.Elements = append(doc.Elements, cardHR{Tag: "hr"}, CardElement{Tag: "div", Text: &CardText{Tag: "plain_text", Content: c.Status}})
	if c.Pending {
		id := strconv.FormatInt(v.Request.ID, 10)
		doc.Elements = append(doc.Elements,
			cardAction{Tag: "action", Actions: []cardButton{
				{Tag: "button", Text: CardText{Tag: "plain_text", Content: c.Approve}, Type: "primary", Value: map[string]string{"action": ActionMakeupApprove, "id": id}},
				{Tag: "button", Text: CardText{Tag: "plain_text", Content: c.Reject}, Type: "danger", Value: map[string]string{"action": ActionMakeupReject, "id": id}},
			}},
			// Rejecting with a reason on the card itself, as the text
			// command in the note below does in the chat.
			cardInput{Tag: "input", Name: "reject_note", Width: "fill", MaxLength: core.MaxMakeupReason,
				Placeholder: CardText{Tag: "plain_text", Content: pick(lang, "驳回理由：填写后按回车即驳回", "Reason to reject: type it and press Enter to reject")},
				Value:       map[string]string{"action": ActionMakeupReject, "id": id}},
			cardNote{Tag: "note", Elements: []CardText{{Tag: "plain_text", Content: bots.RejectHint(c.Type, v.Request.ID, lang)}}},
		)
	}
	return doc
}

// pendingColour is the header template of a pending card by request
// type, so an approver tells a field punch from a leave at a glance:
// the card header's template colours ("标题 / header", template: blue,
// wathet, turquoise, green, yellow, orange, red, carmine, violet, purple,
// indigo, grey) in https://open.larksuite.com/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-components/content-components/title.
// Green and red stay for approved and rejected.
func pendingColour(t core.RequestType) string {
	switch t {
	case core.RequestField:
		return "orange"
	case core.RequestLeave:
		return "violet"
	case core.RequestTrip:
		return "turquoise"
	case core.RequestOuting:
		return "wathet"
	case core.RequestOvertime:
		return "indigo"
	}
	return "blue"
}

func makeupMessage(v core.MakeupView, lang string) Message {
	return cardMessage(makeupCard(v, lang))
}

// receiveIDType tells which Feishu id the org file gave, for make-up
// cards and notices alike: open ids start with "ou_", union ids with
// "on_", chats with "oc_", an address with "@" is an email; anything else
// is a tenant user_id.
func receiveIDType(id string) string {
	switch {
	case strings.HasPrefix(id, "ou_"):
		return "open_id"
	case strings.HasPrefix(id, "on_"):
		return "union_id"
	case strings.HasPrefix(id, "oc_"):
		return "chat_id"
	case strings.Contains(id, "@"):
		return "email"
	}
	return "user_id"
}

// cardRef is the Feishu part of a core.CardRef. Schema is "2.0" for a
// requester's card that is a JSON 2.0 card (the leave form's
// confirmation), which is updated in 2.0 too.
type cardRef struct {
	MessageID string `json:"message_id"`
	Schema    string `json:"schema,omitempty"`
}

// sendMakeup delivers the make-up outbox kinds: the approver's card (its
// message id recorded so later changes PATCH it), the update of that card
// in place, and the requester's result.
func (b *Bot) sendMakeup(ctx context.Context, m core.OutboxMessage) error {
	var to core.Recipient
	if err := json.Unmarshal([]byte(m.Route), &to); err != nil || (to.UserID == "" && to.ChatID == "") {
		return core.Errorf(core.EINVALID, "feishu: outbox message %d has no usable recipient %q", m.ID, m.Route)
	}
	recipient := to.UserID
	if recipient == "" {
		recipient = to.ChatID
	}
	var v core.MakeupView
	if err := json.Unmarshal(m.Payload, &v); err != nil || v.Request.ID == 0 {
		return core.Errorf(core.EINVALID, "feishu: outbox message %d: payload is not a make-up view", m.ID)
	}
	lang, uuid := to.Lang, fmt.Sprintf("punchbot-c-%d", m.ID)
	if to.Requester {
		return b.updateRequesterCard(ctx, to, v) // withdraw.go
	}
	if m.Kind == core.OutboxMakeupResult {
		_, err := b.client.CreateMessage(ctx, receiveIDType(recipient), recipient, TextMessage(bots.MakeupResultText(v, lang)), uuid)
		return err
	}
	if m.Kind == core.OutboxMakeupHandedOver {
		return b.retireCard(ctx, recipient, v, lang, uuid)
	}
	if m.Kind == core.OutboxMakeupUpdate && b.makeups != nil {
		stored, err := b.makeups.CardRef(ctx, v.Request.ID, core.PlatformFeishu, recipient)
		if err != nil && core.ErrorCode(err) != core.ENOTFOUND {
			return err
		}
		var ref cardRef
		if err == nil && json.Unmarshal([]byte(stored.Ref), &ref) == nil && ref.MessageID != "" {
			buf, _ := json.Marshal(makeupCard(v, lang))
			err := b.client.PatchCard(ctx, ref.MessageID, buf)
			if err == nil || core.ErrorCode(err) != core.EINVALID {
				return err
			}
			// Older than 14 days or recalled: the outcome goes out as a new card.
			b.log.Warn("feishu: the approval card cannot be updated; sending a new one", "request", v.Request.ID, "err", err)
		}
	}
	messageID, err := b.client.CreateMessage(ctx, receiveIDType(recipient), recipient, makeupMessage(v, lang), uuid)
	if err != nil {
		return err
	}
	if b.makeups != nil && messageID != "" {
		buf, _ := json.Marshal(cardRef{MessageID: messageID})
		// The card is out; failing now would send it twice. Without the
		// reference a later change arrives as a new card.
		if err := b.makeups.RecordCardRef(ctx, core.CardRef{RequestID: v.Request.ID, Platform: core.PlatformFeishu, Recipient: recipient, Ref: string(buf)}); err != nil {
			b.log.Error("feishu: cannot record the approval card", "request", v.Request.ID, "err", err)
		}
	}
	return nil
}

// retireCard edits the approval card recipient holds of a request handed
// over to another approver (core.OutboxMakeupHandedOver): PATCH
// /open-apis/im/v1/messages/:message_id with the card without buttons,
// which names the new approver, as a decision's update does ("更新应用发送
// 的消息卡片", https://open.larkoffice.com/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message/patch;
// update_multi set before and after, messages up to 14 days old). With no
// card on record there is nothing to edit; a card that can no longer be
// edited gets a text message saying whom the request went to.
func (b *Bot) retireCard(ctx context.Context, recipient string, v core.MakeupView, lang, uuid string) error {
	if b.makeups == nil {
		return nil
	}
	stored, err := b.makeups.CardRef(ctx, v.Request.ID, core.PlatformFeishu, recipient)
	if core.ErrorCode(err) == core.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	var ref cardRef
	if json.Unmarshal([]byte(stored.Ref), &ref) == nil && ref.MessageID != "" {
		buf, _ := json.Marshal(approvalCardDoc(v, bots.HandedOverCardContent(v, lang), lang))
		err := b.client.PatchCard(ctx, ref.MessageID, buf)
		if err == nil || core.ErrorCode(err) != core.EINVALID {
			return err
		}
		b.log.Warn("feishu: the handed-over card cannot be updated; sending a message", "request", v.Request.ID, "err", err)
	}
	_, err = b.client.CreateMessage(ctx, receiveIDType(recipient), recipient, TextMessage(bots.HandedOverText(v, lang)), uuid)
	return err
}
