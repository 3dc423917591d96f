package wecom

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// KeyMakeupWithdraw is the key of the 撤回 / Withdraw button on the
// requester's "submitted" card; it comes back as EventKey in the
// template_card_event (doc 90376, 模板卡片事件推送).
const KeyMakeupWithdraw = "makeup_withdraw"

// withdrawTaskPrefix starts the task_id of a "submitted" card:
// withdraw-<request>-<outbox message>-<attempt>-<user tag>. The message
// and attempt keep it unique (WeCom refuses a task_id it has seen,
// errcode 42014), the tag says whom it was sent to (userTag, confirm.go),
// since task_id allows only digits, letters and _-@ (doc 90372).
const withdrawTaskPrefix = "withdraw-"

func withdrawTaskID(requestID, messageID int64, attempt int, tag string) string {
	return fmt.Sprintf("%s%d-%d-%d-%s", withdrawTaskPrefix, requestID, messageID, attempt, tag)
}

// parseWithdrawTask returns the request and user tag of a "submitted"
// card's task_id.
func parseWithdrawTask(taskID string) (id int64, tag string, ok bool) {
	rest, ok := strings.CutPrefix(taskID, withdrawTaskPrefix)
	if !ok {
		return 0, "", false
	}
	parts := strings.Split(rest, "-")
	if len(parts) != 4 || parts[3] == "" {
		return 0, "", false
	}
	id, err := strconv.ParseInt(parts[0], 10, 64)
	return id, parts[3], err == nil && id > 0
}

// withdrawRoute is the reply route of a click on the Withdraw button: the
// user's route, the click's one-time response_code, with which the answer
// greys the button out (message/update_template_card), and the request.
type withdrawRoute struct {
	Route
	ResponseCode string `json:"response_code,omitempty"`
	TaskID       string `json:"task_id,omitempty"`
	Withdraw     int64  `json:"withdraw,omitempty"`
}

// withdrawCard is a filed request's answer as a button_interaction card
// (doc 90372, 模板卡片消息 按钮交互型: source, main_title, sub_title_text,
// task_id and a button_list whose key comes back in the click event):
// what was filed and for whom it waits, how to take it back, and the one
// 撤回 button.
func withdrawCard(r core.Reply, lang, taskID string) TemplateCard {
	m := r.Makeup.Request
	noun := bots.RequestNoun(m.TypeOf(), lang)
	return TemplateCard{
		CardType:     CardButtonInteraction,
		Source:       &CardSource{Desc: noun},
		MainTitle:    &CardTitle{Title: tr(lang, fmt.Sprintf("已提交 %s #%d", noun, m.ID), fmt.Sprintf("Filed: %s #%d", noun, m.ID)), Desc: bots.WithdrawHint(m.ID, m.TypeOf(), lang)},
		SubTitleText: bots.Headline(r, lang),
		TaskID:       taskID,
		ButtonList:   []CardButton{{Text: bots.WithdrawLabel(lang), Style: 2, Key: KeyMakeupWithdraw}},
	}
}

// sendWithdraw delivers a filed request's answer and the answer to a click
// on its Withdraw button; done is false for other replies. The filed
// answer goes out as the button card; should WeCom refuse the card as
// malformed, the text that Send renders says the same without the button.
// The answer to a click greys the button out with the state
// (message/update_template_card with the click's response_code and a
// replace_name, doc 94888 更新模版卡片消息) and follows as a message, as
// the confirmation card's answer does (confirm.go).
func (b *Bot) sendWithdraw(ctx context.Context, m core.OutboxMessage, reply core.Reply) (done bool, err error) {
	var rt withdrawRoute
	if json.Unmarshal([]byte(m.Route), &rt) != nil || rt.ToUser == "" {
		return false, nil
	}
	if rt.AgentID == 0 {
		rt.AgentID = b.agentID
	}
	lang := bots.Lang(reply, rt.Lang)
	if id, ok := bots.WithdrawOffer(reply); ok {
		taskID := withdrawTaskID(id, m.ID, m.Attempts, userTag(b.cfg.CorpID, rt.ToUser))
		card := withdrawCard(reply, lang, taskID)
		if err := card.Validate(); err != nil {
			b.log.Warn("wecom: no withdraw card; answering with text", "user", rt.ToUser, "err", err)
			return false, nil
		}
		res, err := b.client.SendTemplateCard(ctx, rt.ToUser, card)
		if err != nil {
			return true, err
		}
		if err := refused(res, rt.ToUser); err != nil {
			return true, err
		}
		b.recordRequesterCard(ctx, id, rt.ToUser, res.ResponseCode, taskID)
		return true, nil
	}
	if rt.Withdraw == 0 || rt.ResponseCode == "" {
		return false, nil
	}
	if err := b.markClicked(ctx, rt.Route, rt.ResponseCode, bots.WithdrawDoneLabel(reply, lang), "withdraw"); err != nil {
		return true, err
	}
	// Sent here rather than by Send: the route carries a response code,
	// which sendConfirm would spend again on the confirmation's labels.
	return true, b.sendTo(ctx, rt.ToUser, AppMessage{MsgType: "text", Text: &Content{Content: RenderReply(reply, lang)}})
}

// withdrawInbound translates the card's recipient's click on Withdraw
// into CmdMakeupCancel with the request's id, the command a typed
// "请假 取消 12" is. Anyone else's click is not translated
// (withdrawClickNotForYou answers it).
func (b *Bot) withdrawInbound(m Message, cmd core.Command) (inbound, bool) {
	if m.MsgType != MsgEvent || m.Event != EventTemplateCard || m.EventKey != KeyMakeupWithdraw {
		return inbound{}, false
	}
	id, tag, ok := parseWithdrawTask(m.TaskID)
	if !ok || tag != userTag(b.cfg.CorpID, m.FromUserName) {
		return inbound{}, false
	}
	cmd.Kind, cmd.Makeup = core.CmdMakeupCancel, &core.MakeupArgs{ID: id}
	buf, _ := json.Marshal(withdrawRoute{Route: Route{ToUser: m.FromUserName, AgentID: b.agentID, Lang: "zh"}, ResponseCode: m.ResponseCode, TaskID: m.TaskID, Withdraw: id})
	cmd.ReplyRoute = string(buf)
	return inbound{cmd: cmd}, true
}

// withdrawClickNotForYou answers, with a passive text reply and nothing
// recorded, a click on a Withdraw button sent to someone else (a
// forwarded card). It reports whether it answered.
func (b *Bot) withdrawClickNotForYou(w http.ResponseWriter, r *http.Request, m Message) bool {
	if m.MsgType != MsgEvent || m.Event != EventTemplateCard || m.EventKey != KeyMakeupWithdraw {
		return false
	}
	_, tag, ok := parseWithdrawTask(m.TaskID)
	if !ok || tag == userTag(b.cfg.CorpID, m.FromUserName) {
		return false
	}
	b.log.Info("wecom: a withdraw button clicked by someone else", "user", m.FromUserName, "task", m.TaskID)
	b.passiveNotForYou(w, r, m) // passive.go
	return true
}

// recordRequesterCard records a "submitted" card's task_id and the
// response_code its send returned (message/send answers a template card
// with one, doc 90236 发送应用消息; it lets update_template_card change
// that card once, doc 94888 更新模版卡片消息, PLATFORMS.md §4.2/4.3) as
// the requester's card, the way sendMakeup records the approver's, so the
// request's next change edits it (updateRequesterCard).
func (b *Bot) recordRequesterCard(ctx context.Context, id int64, user, code, taskID string) {
	if code == "" || b.makeups == nil {
		return
	}
	// The card is out; failing now would send it twice. Without the
	// reference the card keeps its first state.
	ref := core.CardRef{RequestID: id, Platform: core.PlatformWeCom, Recipient: user, Ref: cardRef{ResponseCode: code, TaskID: taskID}.encode(), Requester: true}
	if err := b.makeups.RecordCardRef(ctx, ref); err != nil {
		b.log.Error("wecom: cannot record the requester's card", "request", id, "err", err)
	}
}

// requesterCard is the requester's "submitted" card after a change, a
// button_interaction card under the same task_id (doc 94888 replaces the
// whole template_card): what was filed and its state, and the 撤回 button
// while the core would still accept a withdrawal; otherwise the button
// gives way to the short state (replace_text, doc 90372).
func requesterCard(v core.MakeupView, lang, taskID string, now time.Time) TemplateCard {
	c := bots.RequesterCardContent(v, lang, now)
	sub := c.Summary
	if c.Evidence != "" {
		sub += "\n" + c.Evidence
	}
	card := TemplateCard{
		CardType:     CardButtonInteraction,
		Source:       &CardSource{Desc: bots.RequestNoun(v.Request.TypeOf(), lang)},
		MainTitle:    &CardTitle{Title: c.Title + " · " + c.State, Desc: c.Status},
		SubTitleText: sub,
		TaskID:       taskID,
		ButtonList:   []CardButton{{Text: bots.WithdrawLabel(lang), Style: 2, Key: KeyMakeupWithdraw}},
	}
	if c.Withdraw {
		card.SubTitleText += "\n" + c.Hint
	} else {
		card.ReplaceText = c.State
	}
	return card
}

// updateRequesterCard edits the requester's recorded card with its
// one-time response_code (update_template_card, doc 94888), then marks
// the code spent. New evidence changes nothing here, so the code is kept
// for the decision. Once the code is spent (or WeCom refuses it) the card
// stays as it is and, unlike the approver's, no text copy follows: every
// change reaches the requester anyway, as the result message
// (core.OutboxMakeupResult: approved, rejected, expired, revoked) or as
// the answer to their own command (withdrawn, evidence), and a click on a
// stale button brings a fresh code with which sendWithdraw greys it out.
func (b *Bot) updateRequesterCard(ctx context.Context, to core.Recipient, v core.MakeupView) error {
	if b.makeups == nil || v.Request.Status == core.MakeupPending {
		return nil
	}
	stored, err := b.makeups.CardRef(ctx, v.Request.ID, core.PlatformWeCom, to.UserID)
	if core.ErrorCode(err) == core.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	var ref cardRef
	if json.Unmarshal([]byte(stored.Ref), &ref) != nil || ref.ResponseCode == "" || ref.TaskID == "" {
		b.log.Info("wecom: the requester's card has no response code left; the change reaches them as a message", "request", v.Request.ID)
		return nil
	}
	card := requesterCard(v, to.Lang, ref.TaskID, b.now())
	err = b.client.UpdateTemplateCard(ctx, TemplateCardUpdate{UserIDs: []string{to.UserID}, AgentID: b.agentID, ResponseCode: ref.ResponseCode, TemplateCard: &card})
	if core.ErrorCode(err) == core.EINVALID {
		b.log.Warn("wecom: the requester's card cannot be updated", "request", v.Request.ID, "err", err)
		err = nil
	} else if err != nil {
		return err
	}
	stored.Ref = cardRef{TaskID: ref.TaskID}.encode()
	if err := b.makeups.RecordCardRef(ctx, stored); err != nil {
		b.log.Warn("wecom: cannot mark the response code spent", "request", v.Request.ID, "err", err)
	}
	return nil
}
