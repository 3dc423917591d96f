package feishu

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// Reminder delivery on Feishu. Personal reminders are created one by one
// through im/v1/messages with a uuid (the platform drops a repeated request
// for an hour, so a resend after a crash is harmless). Broadcasts go
// through message/v4/batch_send, up to maxBatchIDs people per call.
//
// Rate limits (docs "频控策略"): sending messages is limited to 50 calls per
// second and 1000 per minute per app; the default bucket of 15 calls per
// second with a burst of 40 stays under both (15 × 60 + 40 < 1000).

// DefaultNoticeRate and DefaultNoticeBurst are the default token bucket of
// Feishu message calls (calls per second, burst).
const (
	DefaultNoticeRate  = 15
	DefaultNoticeBurst = 40
)

// maxBatchIDs is how many ids of one kind batch_send takes per request.
const maxBatchIDs = 200

var _ core.BatchSender = (*Bot)(nil)

// MaxBatch is how many due messages one claim takes.
func (b *Bot) MaxBatch() int { return maxBatchIDs }

// noticeMessage is a notice as Feishu shows it, with its addressee.
type noticeMessage struct {
	idType string // open_id, user_id, union_id or chat_id
	id     string
	msg    Message
	batch  bool // a broadcast to a person: may share a batch_send
	err    error
	// A missed-punch notice carries make-up buttons for its one person,
	// so its card is built per recipient (noticeMessageFor).
	notice *core.Notice
	text   string
	lang   string
}

// noticeMemo remembers renderings by payload and language within one batch:
// a broadcast's deliveries share one payload.
type noticeMemo map[string]noticeMessage

func (memo noticeMemo) render(m core.OutboxMessage) noticeMessage {
	var r noticeMessage
	var to core.Recipient
	if err := json.Unmarshal([]byte(m.Route), &to); err != nil || (to.UserID == "" && to.ChatID == "") {
		r.err = core.Errorf(core.EINVALID, "feishu: notice %d has no usable recipient %q", m.ID, m.Route)
		return r
	}
	key := to.Lang + "\x00" + string(m.Payload)
	cached, ok := memo[key]
	if !ok {
		var n core.Notice
		if err := json.Unmarshal(m.Payload, &n); err != nil {
			cached.err = core.WrapError(core.EINVALID, err, "feishu: notice %d: payload is not a notice", m.ID)
		} else if text := bots.NoticeText(n, to.Lang); strings.TrimSpace(text) == "" {
			cached.err = core.Errorf(core.EINVALID, "feishu: notice %d renders to nothing", m.ID)
		} else {
			cached.msg = NoticeMessage(n, text, bots.NoticeLang(n, to.Lang))
			cached.batch = n.Kind == core.ReminderBroadcast
			if n.Kind == core.ReminderMissedPunch {
				cached.notice, cached.text, cached.lang = &n, text, bots.NoticeLang(n, to.Lang)
			}
		}
		memo[key] = cached
	}
	r.msg, r.err = cached.msg, cached.err
	if to.ChatID != "" {
		r.idType, r.id = "chat_id", to.ChatID
	} else {
		r.idType, r.id = receiveIDType(to.UserID), to.UserID
		if cached.notice != nil {
			r.msg = noticeMessageFor(*cached.notice, cached.text, cached.lang, to.UserID)
		}
		// batch_send addresses open, user and union ids only.
		r.batch = cached.batch && r.idType != "email" && r.idType != "chat_id"
	}
	return r
}

// NoticeMessage is a rendered notice: a card for markdown broadcasts and
// for reminders that carry a list (missed punches, digests), plain text
// otherwise.
func NoticeMessage(n core.Notice, text, lang string) Message {
	switch {
	case n.Kind == core.ReminderBroadcast && n.Markdown:
		return noticeCard(map[string]any{
			"config":   map[string]any{"wide_screen_mode": true},
			"elements": []any{map[string]any{"tag": "markdown", "content": text}},
		}, text)
	case n.Kind == core.ReminderMissedPunch || n.Kind == core.ReminderApprovalDigest:
		colour := "orange"
		if n.Kind == core.ReminderApprovalDigest {
			colour = "blue"
		}
		return noticeCard(map[string]any{
			"config":   map[string]any{"wide_screen_mode": true},
			"header":   CardHeader{Template: colour, Title: CardText{Tag: "plain_text", Content: bots.NoticeTitle(n, lang)}},
			"elements": []any{CardElement{Tag: "div", Text: &CardText{Tag: "plain_text", Content: text}}},
		}, text)
	}
	return TextMessage(text)
}

// Request body limits of im/v1/messages (SDK service/im/v1/model.go,
// CreateMessageReqBody.Content: "文本消息请求体最大不能超过150KB; 卡片及富文本
// 消息请求体最大不能超过30KB"). The card limit leaves room for the rest of
// the body (receive_id, msg_type, uuid and the JSON quoting of content).
const (
	maxCardContentBytes = 30<<10 - 1<<10
	maxTextContentBytes = 150<<10 - 1<<10
)

// noticeCard is card as a message, or text alone when the card is over the
// card limit: Feishu refuses such a request (and the outbox would drop the
// notice), while text may be five times as long.
func noticeCard(card any, text string) Message {
	m := cardMessage(card)
	if len(m.Content) <= maxCardContentBytes {
		return m
	}
	for len(text) > maxTextContentBytes {
		_, size := utf8.DecodeLastRuneInString(text)
		text = text[:len(text)-max(size, 1)]
	}
	return TextMessage(text)
}

func cardMessage(card any) Message {
	buf, _ := json.Marshal(card)
	return Message{MsgType: "interactive", Content: string(buf)}
}

var _ core.BudgetGrouper = (*Bot)(nil)

// Group is GroupWithin when the bucket is not known.
func (b *Bot) Group(msgs []core.OutboxMessage) [][]core.OutboxMessage { return b.GroupWithin(msgs, -1) }

// GroupWithin puts broadcast deliveries to people with the same content and
// id kind together, up to 200 per batch_send, and during a rush (more
// confirmations than the calls the bucket holds now) confirmations that
// read the same (rush.go); everything else goes alone.
func (b *Bot) GroupWithin(msgs []core.OutboxMessage, calls int) [][]core.OutboxMessage {
	memo := noticeMemo{}
	rush := b.rushKeys(msgs, calls)
	return bots.GroupMessages(msgs, maxBatchIDs, func(m core.OutboxMessage) (string, bool) {
		if m.Kind != core.OutboxNotice {
			k, ok := rush[m.ID]
			return k, ok
		}
		r := memo.render(m)
		if r.err != nil || !r.batch {
			return "", false
		}
		return r.idType + "\x00" + r.msg.MsgType + "\x00" + r.msg.Content, true
	})
}

// SendGroup makes one call for a group made by Group: a batch_send for
// several broadcast deliveries or twin confirmations, a message create or
// reply otherwise.
func (b *Bot) SendGroup(ctx context.Context, group []core.OutboxMessage) []error {
	errs := make([]error, len(group))
	if len(group) == 0 {
		return errs
	}
	if group[0].Kind == "reply" && len(group) > 1 {
		return b.sendRushCards(ctx, group) // rush.go
	}
	if group[0].Kind != core.OutboxNotice {
		// A confirmation with no twin goes alone, as a reply with its
		// site; the rush card drawn for it is not needed.
		b.drawn.take(group[0].ID)
		errs[0] = b.Send(ctx, group[0])
		return errs
	}
	memo := noticeMemo{}
	first := memo.render(group[0])
	if first.err != nil || len(group) == 1 {
		errs[0] = b.sendNoticeMessage(ctx, group[0], first)
		return errs
	}
	ids := make([]string, len(group))
	for i, m := range group {
		r := memo.render(m)
		if r.err != nil || !r.batch || r.idType != first.idType || r.msg != first.msg {
			for j := range errs {
				errs[j] = core.Errorf(core.EINVALID, "feishu: notice %d does not belong to this batch", m.ID)
			}
			return errs
		}
		ids[i] = r.id
	}
	invalid, err := b.client.BatchSend(ctx, first.idType, ids, first.msg)
	return batchErrors(first.idType, ids, invalid, err)
}

// batchErrors is one error per recipient of a batch_send: err for all, or
// for the ids the platform refused.
func batchErrors(idType string, ids, invalid []string, err error) []error {
	errs := make([]error, len(ids))
	for i, id := range ids {
		switch {
		case err != nil:
			errs[i] = err
		case slices.Contains(invalid, id):
			errs[i] = core.Errorf(core.EINVALID, "feishu: %s %q cannot receive messages from the app", idType, id)
		}
	}
	return errs
}

func (b *Bot) sendNoticeMessage(ctx context.Context, m core.OutboxMessage, r noticeMessage) error {
	if r.err != nil {
		return r.err
	}
	_, err := b.client.CreateMessage(ctx, r.idType, r.id, r.msg, fmt.Sprintf("punchbot-n-%d", m.ID))
	return err
}

// sendNotice delivers one notice outside a batch (core.Sender).
func (b *Bot) sendNotice(ctx context.Context, m core.OutboxMessage) error {
	return b.sendNoticeMessage(ctx, m, noticeMemo{}.render(m))
}

// batchSendResult is the data of a message/v4/batch_send answer.
type batchSendResult struct {
	MessageID       string   `json:"message_id"`
	InvalidOpenIDs  []string `json:"invalid_open_ids"`
	InvalidUserIDs  []string `json:"invalid_user_ids"`
	InvalidUnionIDs []string `json:"invalid_union_ids"`
}

// BatchSend (POST /open-apis/message/v4/batch_send/; 批量发送消息,
// https://open.feishu.cn/document/ukTMukTMukTM/ucDO1EjL3gTNx4yN4UTM: the
// card goes as an object under "card", other content under "content";
// messages get bm- ids that cannot be updated or replied to) sends one
// message to up to 200 people of one id kind
// (open_id, user_id or union_id) with message/v4/batch_send and returns the
// ids the platform refused. The platform delivers asynchronously.
func (c *Client) BatchSend(ctx context.Context, idType string, ids []string, m Message) ([]string, error) {
	if len(ids) == 0 || len(ids) > maxBatchIDs {
		return nil, core.Errorf(core.EINVALID, "feishu batch send: %d recipients, want 1 to %d", len(ids), maxBatchIDs)
	}
	body := map[string]any{"msg_type": m.MsgType}
	switch idType {
	case "open_id":
		body["open_ids"] = ids
	case "user_id":
		body["user_ids"] = ids
	case "union_id":
		body["union_ids"] = ids
	default:
		return nil, core.Errorf(core.EINVALID, "feishu batch send: cannot address %s", idType)
	}
	// batch_send takes the card as an object under "card" and any other
	// content as an object under "content".
	var content any
	if err := json.Unmarshal([]byte(m.Content), &content); err != nil {
		return nil, core.WrapError(core.EINVALID, err, "feishu batch send: content is not JSON")
	}
	if m.MsgType == "interactive" {
		body["card"] = content
	} else {
		body["content"] = content
	}
	var out batchSendResult
	err := c.call(ctx, "batch send", &larkcore.ApiReq{HttpMethod: http.MethodPost, ApiPath: "/open-apis/message/v4/batch_send/", Body: body}, &out)
	if err != nil {
		return nil, err
	}
	return slices.Concat(out.InvalidOpenIDs, out.InvalidUserIDs, out.InvalidUnionIDs), nil
}
