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

// ActionMakeupBatch is the confirmation button of a "全部同意" listing:
// value["decision"], value["ids"] (the listed numbers, "12,13") and
// value["note"] (a batch rejection's reason) come back in
// card.action.trigger.
const ActionMakeupBatch = "makeup_batch"

// batchConfirmMessage is the answer to "全部同意" / "全部驳回 理由" as an
// interactive card (JSON 1.0): the listing and one button that decides
// exactly the listed requests (按钮 JSON 1.0,
// https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-components/interactive-components/button).
// ok is false for any other reply.
func batchConfirmMessage(r core.Reply, lang string) (Message, bool) {
	b, ok := bots.BatchConfirmOffer(r)
	if !ok {
		return Message{}, false
	}
	kind, colour := "primary", "blue"
	if b.Decision == core.MakeupRejected {
		kind, colour = "danger", "red"
	}
	doc := makeupCardDoc{
		Config: CardConfig{WideScreenMode: true, UpdateMulti: true},
		Header: CardHeader{Template: colour, Title: CardText{Tag: "plain_text", Content: pick(lang, "批量审批", "Batch decision")}},
		Elements: []any{
			CardElement{Tag: "div", Text: &CardText{Tag: "plain_text", Content: bots.PendingListText(b, lang)}},
			cardAction{Tag: "action", Actions: []cardButton{{Tag: "button", Text: CardText{Tag: "plain_text", Content: bots.BatchConfirmLabel(b, lang)}, Type: kind,
				Value: map[string]string{"action": ActionMakeupBatch, "decision": string(b.Decision), "ids": bots.BatchIDsValue(b.IDs()), "note": b.Note, "lang": lang}}}},
		},
	}
	buf, _ := json.Marshal(doc)
	return Message{MsgType: "interactive", Content: string(buf)}, true
}

// onBatchAction decides the listed requests from a click on the
// confirmation button: one core call, the CmdMakeupBatch the typed
// "同意 12 13" is, for the clicker (the core checks each request is
// theirs to decide). The answer comes inline within Feishu's 3 s: a toast
// and a grey card with each request's result, without the button. A
// retried callback carries the same event id and gets the recorded
// answer; a second click reports the requests as already decided.
func (b *Bot) onBatchAction(ctx context.Context, ev *callback.CardActionTriggerEvent) (*callback.CardActionTriggerResponse, error) {
	e := ev.Event
	if e == nil || e.Operator == nil || e.Action == nil {
		return nil, &handlerError{status: http.StatusBadRequest, err: fmt.Errorf("card action without operator or action")}
	}
	str := func(k string) string { s, _ := e.Action.Value[k].(string); return s }
	ids, ok := bots.ParseBatchIDs(str("ids"))
	decision := core.MakeupStatus(str("decision"))
	if !ok || (decision != core.MakeupApproved && decision != core.MakeupRejected) {
		return nil, &handlerError{status: http.StatusBadRequest, err: fmt.Errorf("batch action without numbers or decision")}
	}
	actor := operator(e)
	if actor == "" {
		return nil, &handlerError{status: http.StatusBadRequest, err: fmt.Errorf("card action without an operator id")}
	}
	cmd := b.operatorCommand(ev, actor, core.CmdMakeupBatch)
	cmd.Makeup = &core.MakeupArgs{IDs: ids, Decision: decision, Note: str("note")}
	reply, err := b.handleClick(ctx, cmd) // confirm.go
	if err != nil {
		return nil, err
	}
	lang := bots.Lang(reply, str("lang"))
	text := bots.Headline(reply, lang)
	toast := "error"
	if reply.Batch != nil && reply.Batch.Count(core.OutcomeMakeupDecided) > 0 {
		toast = "success"
	} else if reply.Outcome == core.OutcomeMakeupBatch && reply.Batch != nil && reply.Batch.Problem == "" {
		toast = "info"
	}
	first, _, _ := strings.Cut(text, "\n") // the summary; the card lists each request
	resp := &callback.CardActionTriggerResponse{Toast: &callback.Toast{Type: toast, Content: first}}
	if reply.Outcome == core.OutcomeMakeupBatch {
		resp.Card = &callback.Card{Type: "raw", Data: makeupCardDoc{
			Config:   CardConfig{WideScreenMode: true, UpdateMulti: true},
			Header:   CardHeader{Template: "grey", Title: CardText{Tag: "plain_text", Content: pick(lang, "批量审批", "Batch decision")}},
			Elements: []any{CardElement{Tag: "div", Text: &CardText{Tag: "plain_text", Content: text}}},
		}}
	}
	b.log.Debug("feishu: batch card action", "event_id", cmd.EventID, "requests", len(ids), "decision", decision, "outcome", reply.Outcome, "replayed", reply.Replayed)
	return resp, nil
}
