package wecom

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// Keys of the confirmation card's buttons; they come back as EventKey in
// the template_card_event (doc 90376, 模板卡片事件推送).
const (
	KeyPunchConfirm = "punch_confirm"
	KeyPunchDecline = "punch_decline"
)

// confirmTaskPrefix starts the task_id of a confirmation card. The rest is
// the outbox message id and attempt (WeCom refuses a task_id it has seen,
// errcode 42014) and a tag of the user the card was sent to, so a click
// can be checked against them: task_id allows only digits, letters and
// _-@ (doc 90372), which a user id need not keep to.
const confirmTaskPrefix = "confirm-"

// userTag is a short fingerprint of one user of this corp.
func userTag(corpID, user string) string {
	sum := sha256.Sum256([]byte(corpID + "\x00" + user))
	return hex.EncodeToString(sum[:8])
}

// taggedTaskID is the task_id of a card sent to one user: prefix, the
// outbox message id and attempt (WeCom refuses a task_id it has seen, so a
// retried send needs a new one) and the user's tag, by which a click is
// told to come from the card's recipient.
func taggedTaskID(prefix string, messageID int64, attempt int, tag string) string {
	return fmt.Sprintf("%s%d-%d-%s", prefix, messageID, attempt, tag)
}

// taskTag returns the user tag of a task_id taggedTaskID made with prefix.
func taskTag(taskID, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(taskID, prefix)
	if !ok {
		return "", false
	}
	parts := strings.Split(rest, "-")
	if len(parts) != 3 || parts[2] == "" {
		return "", false
	}
	return parts[2], true
}

// confirmRoute is the reply route of a click on a confirmation card: the
// user's route, plus the click's one-time response_code, with which the
// answer greys the card's buttons out (message/update_template_card).
type confirmRoute struct {
	Route
	ResponseCode string `json:"response_code,omitempty"`
	TaskID       string `json:"task_id,omitempty"`
}

// confirmCard is the question as a button_interaction card (doc 90372,
// 模板卡片消息 按钮交互型): the question, the times, and the two buttons.
func confirmCard(r core.Reply, lang, taskID string) TemplateCard {
	confirm, decline := bots.ConfirmLabels(lang)
	rows := []CardHorizontal{{KeyName: tr(lang, "下班时间", "Clock-out"), Value: bots.Clock(r, r.At)}}
	if r.Day != nil && r.Day.In != nil {
		rows = append(rows, CardHorizontal{KeyName: tr(lang, "上班时间", "Clock-in"), Value: bots.Clock(r, r.Day.In.At)})
	}
	if r.EarlyMin > 0 {
		rows = append(rows, CardHorizontal{KeyName: tr(lang, "早退", "Early by"), Value: fmt.Sprintf(tr(lang, "%d 分钟", "%d min"), r.EarlyMin)})
	}
	return TemplateCard{
		CardType:              CardButtonInteraction,
		Source:                &CardSource{Desc: tr(lang, "下班打卡确认", "Clock-out confirmation")},
		MainTitle:             &CardTitle{Title: tr(lang, "确认下班打卡？", "Confirm clock-out?"), Desc: bots.ConfirmQuestion(r, lang)},
		SubTitleText:          bots.ConfirmButtonHint(lang),
		HorizontalContentList: rows,
		TaskID:                taskID,
		ButtonList: []CardButton{
			{Text: confirm, Style: 1, Key: KeyPunchConfirm},
			{Text: decline, Style: 2, Key: KeyPunchDecline},
		},
	}
}

// sendConfirm delivers the replies of punch confirmation; done is false
// for other replies, which Send renders as text. The question goes out as
// a button card to the user alone; the answer to a click greys out its
// buttons with the result (a plain message when the code is spent).
func (b *Bot) sendConfirm(ctx context.Context, m core.OutboxMessage, reply core.Reply) (done bool, err error) {
	var rt confirmRoute
	if json.Unmarshal([]byte(m.Route), &rt) != nil || rt.ToUser == "" {
		return false, nil
	}
	lang := bots.Lang(reply, rt.Lang)
	if reply.Outcome == core.OutcomeConfirm {
		card := confirmCard(reply, lang, taggedTaskID(confirmTaskPrefix, m.ID, m.Attempts, userTag(b.cfg.CorpID, rt.ToUser)))
		res, err := b.client.SendTemplateCard(ctx, rt.ToUser, card)
		if err != nil {
			return true, err
		}
		return true, refused(res, rt.ToUser)
	}
	if rt.ResponseCode == "" {
		return false, nil
	}
	// The clicked card shows the outcome instead of its buttons, and the
	// one line that says what happened follows as a message.
	if err := b.markClicked(ctx, rt.Route, rt.ResponseCode, bots.ConfirmDoneLabel(reply, lang), "confirmation"); err != nil {
		return true, err
	}
	return false, nil
}

// markClicked replaces the buttons of the card a click came from with
// label (message/update_template_card with the click's response_code and
// a replace_name, doc 94888 更新模版卡片消息). A code WeCom refuses as
// invalid (spent by a retried send) is logged, as the message that follows
// the update still answers the click; any other failure is returned, for
// the outbox to retry.
func (b *Bot) markClicked(ctx context.Context, rt Route, responseCode, label, card string) error {
	err := b.client.UpdateTemplateCard(ctx, TemplateCardUpdate{UserIDs: []string{rt.ToUser}, AgentID: rt.AgentID, ResponseCode: responseCode,
		Button: &ReplaceButton{ReplaceName: label}})
	if core.ErrorCode(err) == core.EINVALID {
		b.log.Warn("wecom: the "+card+" card cannot be updated; answering with a message", "user", rt.ToUser, "err", err)
		return nil
	}
	return err
}

// confirmInbound translates clicks on a confirmation card into CmdConfirm
// or CmdDecline. A click by anyone but the card's recipient is not
// translated (confirmClickNotForYou answers it).
func (b *Bot) confirmInbound(m Message, cmd core.Command) (inbound, bool) {
	if m.MsgType != MsgEvent || m.Event != EventTemplateCard {
		return inbound{}, false
	}
	tag, ok := taskTag(m.TaskID, confirmTaskPrefix)
	if !ok || tag != userTag(b.cfg.CorpID, m.FromUserName) {
		return inbound{}, false
	}
	switch m.EventKey {
	case KeyPunchConfirm:
		cmd.Kind = core.CmdConfirm
	case KeyPunchDecline:
		cmd.Kind = core.CmdDecline
	default:
		return inbound{}, false
	}
	buf, _ := json.Marshal(confirmRoute{Route: Route{ToUser: m.FromUserName, AgentID: b.agentID, Lang: "zh"}, ResponseCode: m.ResponseCode, TaskID: m.TaskID})
	cmd.ReplyRoute = string(buf)
	return inbound{cmd: cmd}, true
}

// confirmClickNotForYou answers, with a passive text reply and nothing
// recorded, a click on a confirmation card sent to someone else (a
// forwarded card). It reports whether it answered.
func (b *Bot) confirmClickNotForYou(w http.ResponseWriter, r *http.Request, m Message) bool {
	if m.MsgType != MsgEvent || m.Event != EventTemplateCard {
		return false
	}
	tag, ok := taskTag(m.TaskID, confirmTaskPrefix)
	if !ok || tag == userTag(b.cfg.CorpID, m.FromUserName) {
		return false
	}
	b.log.Info("wecom: a confirmation card clicked by someone else", "user", m.FromUserName, "task", m.TaskID)
	b.passiveNotForYou(w, r, m) // passive.go
	return true
}
