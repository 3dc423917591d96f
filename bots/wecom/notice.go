package wecom

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// Reminder delivery on WeCom: message/send takes up to 1000 user ids joined
// by "|" for one identical message, so deliveries whose rendered content is
// the same (a broadcast, or the same reminder text for people on one
// shift) go out in one call. Named group chats (群聊, created by the
// application) go through appchat/send, one call each.
//
// Rate limits (访问频率限制, https://developer.work.weixin.qq.com/document/path/90312;
// the same page for third-party apps is /90454): any one API takes 10,000
// calls a minute per corp (基础频率), but sending application messages
// "不计入基础频率": it is limited per app to 账号上限数×200 人次 a day and to
// 30 a minute and 1000 an hour to one member, and past those WeCom drops
// the message silently ("超过部分会被丢弃不下发", errcode 0, no 45009). A
// block (45009) lasts 60 s for a per-minute limit and 60 min for a
// per-hour one. The default bucket of 30 calls per second keeps well
// inside the corp limit while each call can carry 1000 people; one member
// gets far fewer than 30 reminders a minute.

// DefaultNoticeRate and DefaultNoticeBurst are the default token bucket of
// WeCom message calls (calls per second, burst).
const (
	DefaultNoticeRate  = 30
	DefaultNoticeBurst = 30
)

// noticeDuplicateWindow asks WeCom to drop an identical message to the
// same user within this many seconds: if punchbot crashes after WeCom
// accepted a call but before the result was recorded, the resend is not
// shown twice.
const noticeDuplicateWindow = 1800

var _ core.BatchSender = (*Bot)(nil)

// MaxBatch is how many due messages one claim takes: one full touser list.
func (b *Bot) MaxBatch() int { return maxUsers }

// renderedNotice is a notice as WeCom shows it.
type renderedNotice struct {
	to      core.Recipient
	msgType string // text or markdown
	content string
	err     error
	// A missed-punch notice to a person goes as a card with a make-up
	// button per slot (see noticeCard), built per recipient.
	notice core.Notice
	lang   string
	slots  []bots.NoticeSlot
}

// noticeMemo remembers renderings by payload and language within one batch:
// a broadcast's thousand deliveries share one payload.
type noticeMemo map[string]renderedNotice

// render decodes and renders one notice delivery.
func (memo noticeMemo) render(m core.OutboxMessage) renderedNotice {
	var to core.Recipient
	if err := json.Unmarshal([]byte(m.Route), &to); err != nil || (to.UserID == "" && to.ChatID == "") {
		return renderedNotice{err: core.Errorf(core.EINVALID, "wecom: notice %d has no usable recipient %q", m.ID, m.Route)}
	}
	key := to.Lang + "\x00" + string(m.Payload)
	if r, ok := memo[key]; ok {
		r.to = to
		r.slots = bots.NoticeSlots(r.notice, to.UserID, r.lang)
		return r
	}
	r := renderedNotice{to: to}
	var n core.Notice
	if err := json.Unmarshal(m.Payload, &n); err != nil {
		r.err = core.WrapError(core.EINVALID, err, "wecom: notice %d: payload is not a notice", m.ID)
		return r
	}
	text := bots.NoticeTextOn(n, to.Lang, core.PlatformWeCom)
	if strings.TrimSpace(text) == "" {
		r.err = core.Errorf(core.EINVALID, "wecom: notice %d renders to nothing", m.ID)
		return r
	}
	r.msgType, r.content = "text", text
	r.notice, r.lang = n, bots.NoticeLang(n, to.Lang)
	r.slots = bots.NoticeSlots(n, to.UserID, r.lang)
	// WeCom markdown is limited to 2048 bytes; a longer one goes as text,
	// which the client truncates on a character boundary.
	if n.Markdown && len(text) <= maxMarkdownBytes {
		r.msgType = "markdown"
	}
	memo[key] = r
	return r
}

// Group puts notices to people with identical content together, up to
// 1000 per call; everything else is sent on its own.
func (b *Bot) Group(msgs []core.OutboxMessage) [][]core.OutboxMessage {
	memo := noticeMemo{}
	return bots.GroupMessages(msgs, maxUsers, func(m core.OutboxMessage) (string, bool) {
		if m.Kind != core.OutboxNotice {
			return "", false
		}
		r := memo.render(m)
		if r.err != nil || r.to.ChatID != "" || len(r.slots) > 0 {
			return "", false
		}
		return r.msgType + "\x00" + r.content, true
	})
}

// SendGroup sends one group made by Group with one API call and reports a
// result per message: recipients WeCom lists as invalid or unlicensed fail
// for good, the others are sent.
func (b *Bot) SendGroup(ctx context.Context, group []core.OutboxMessage) []error {
	errs := make([]error, len(group))
	if len(group) == 0 {
		return errs
	}
	if group[0].Kind != core.OutboxNotice {
		errs[0] = b.Send(ctx, group[0])
		return errs
	}
	memo := noticeMemo{}
	first := memo.render(group[0])
	if first.err != nil {
		errs[0] = first.err
		return errs
	}
	if first.to.ChatID != "" {
		errs[0] = b.client.SendAppChat(ctx, first.to.ChatID, first.msgType, first.content)
		return errs
	}
	if len(first.slots) > 0 && len(group) == 1 {
		errs[0] = b.sendNoticeCard(ctx, group[0], first)
		return errs
	}
	users := make([]string, len(group))
	for i, m := range group {
		r := memo.render(m)
		if r.err != nil || r.content != first.content || r.msgType != first.msgType || r.to.UserID == "" {
			// Group never mixes contents; a caller that did gets an error
			// rather than someone else's message.
			for j := range errs {
				errs[j] = core.Errorf(core.EINVALID, "wecom: notice %d does not belong to this batch", m.ID)
			}
			return errs
		}
		users[i] = r.to.UserID
	}
	msg := AppMessage{ToUser: strings.Join(users, "|"), AgentID: b.agentID, MsgType: first.msgType,
		EnableDuplicateCheck: 1, DuplicateCheckInterval: noticeDuplicateWindow}
	if first.msgType == "markdown" {
		msg.Markdown = &Content{Content: first.content}
	} else {
		msg.Text = &Content{Content: first.content}
	}
	res, err := b.client.SendMessage(ctx, msg)
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	refused := slices.Concat(splitIDs(res.InvalidUser), splitIDs(res.UnlicensedUser))
	for i, u := range users {
		if slices.Contains(refused, u) {
			errs[i] = core.Errorf(core.EINVALID, "wecom: user %q cannot receive messages (invalid or unlicensed)", u)
		}
	}
	if len(refused) > 0 {
		b.log.Warn("wecom: some notice recipients refused", "invalid", res.InvalidUser, "unlicensed", res.UnlicensedUser)
	}
	return errs
}

func splitIDs(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "|")
}

// sendNotice delivers one notice outside a batch (core.Sender).
func (b *Bot) sendNotice(ctx context.Context, m core.OutboxMessage) error {
	return b.SendGroup(ctx, []core.OutboxMessage{m})[0]
}

// appChatRequest is the body of appchat/send.
type appChatRequest struct {
	ChatID   string   `json:"chatid"`
	MsgType  string   `json:"msgtype"`
	Text     *Content `json:"text,omitempty"`
	Markdown *Content `json:"markdown,omitempty"`
	Safe     int      `json:"safe"`
}

// SendAppChat (POST /cgi-bin/appchat/send?access_token=…, body chatid,
// msgtype, text|markdown, safe; 应用推送消息,
// https://developer.work.weixin.qq.com/document/path/90248; text content
// ≤2048 bytes) posts a text or markdown message to a group chat the
// application created (appchat/send).
func (c *Client) SendAppChat(ctx context.Context, chatID, msgType, content string) error {
	if chatID == "" || strings.TrimSpace(content) == "" {
		return core.Errorf(core.EINVALID, "wecom appchat: chat id and content are required")
	}
	req := appChatRequest{ChatID: chatID, MsgType: msgType}
	switch msgType {
	case "text":
		req.Text = &Content{Content: truncateUTF8(content, maxTextBytes)}
	case "markdown":
		if len(content) > maxMarkdownBytes {
			return core.Errorf(core.EINVALID, "wecom appchat: markdown content is %d bytes, at most %d", len(content), maxMarkdownBytes)
		}
		req.Markdown = &Content{Content: content}
	default:
		return core.Errorf(core.EINVALID, "wecom appchat: unsupported msgtype %q", msgType)
	}
	var r apiStatus
	if err := c.post(ctx, "/cgi-bin/appchat/send", req, &r); err != nil {
		return err
	}
	return nil
}
