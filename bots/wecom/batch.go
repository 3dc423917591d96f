package wecom

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// The "全部同意" listing goes out as a button_interaction card (doc 90372,
// 模板卡片消息 按钮交互型) with one button that approves exactly the
// listed numbers. Its key carries them ("makeup_batch:12,13"; doc 90372,
// https://developer.work.weixin.qq.com/document/path/90236: button_list.key
// "最长支持1024字节", enough for core.MaxBatch numbers); a batch rejection's
// reason does not fit a key, so "全部驳回" keeps the typed command. The
// task_id carries the recipient's tag, as a confirmation card's does, so
// only the manager the list was shown to can click it.

// batchTaskPrefix starts the task_id of a batch confirmation card.
const batchTaskPrefix = "batch-"

// keyBatchPrefix starts the confirmation button's key.
const keyBatchPrefix = "makeup_batch:"

// batchCardLines is how many requests the card lists by name;
// sub_title_text is meant to stay short (doc 90372 suggests 160
// characters), the numbers on the button's title say the rest.
const batchCardLines = 6

// batchCard is the listing with its confirmation button: the question and
// the numbers as the title, the first requests as the subtitle, the
// button.
func batchCard(b core.MakeupBatch, lang, taskID string) TemplateCard {
	var lines []string
	for i, it := range b.Items {
		if i == batchCardLines {
			lines = append(lines, fmt.Sprintf(tr(lang, "……共 %d 个", "… %d in all"), len(b.Items)))
			break
		}
		lines = append(lines, "• "+bots.BatchRequestLine(it.View, lang))
	}
	return TemplateCard{
		CardType:     CardButtonInteraction,
		Source:       &CardSource{Desc: tr(lang, "批量审批", "Batch approval")},
		MainTitle:    &CardTitle{Title: bots.BatchConfirmLabel(b, lang) + tr(lang, "？", "?"), Desc: tr(lang, "编号 ", "Numbers ") + strings.ReplaceAll(bots.BatchIDsValue(b.IDs()), ",", " ")},
		SubTitleText: strings.Join(lines, "\n"),
		TaskID:       taskID,
		ButtonList:   []CardButton{{Text: bots.BatchConfirmLabel(b, lang), Style: 1, Key: keyBatchPrefix + bots.BatchIDsValue(b.IDs())}},
	}
}

// sendBatch delivers the replies of batch approval; done is false for
// other replies, which Send renders as text. A listing to approve goes
// out as the card; the answer to its click greys the button out with the
// click's response_code (message/update_template_card, doc 94888
// 更新模版卡片消息) and the per-request results follow as a message.
func (b *Bot) sendBatch(ctx context.Context, m core.OutboxMessage, reply core.Reply) (done bool, err error) {
	var rt confirmRoute // confirm.go: the route plus the click's code
	if json.Unmarshal([]byte(m.Route), &rt) != nil || rt.ToUser == "" {
		return false, nil
	}
	lang := bots.Lang(reply, rt.Lang)
	if offer, ok := bots.BatchConfirmOffer(reply); ok && offer.Decision == core.MakeupApproved {
		res, err := b.client.SendTemplateCard(ctx, rt.ToUser, batchCard(offer, lang, taggedTaskID(batchTaskPrefix, m.ID, m.Attempts, userTag(b.cfg.CorpID, rt.ToUser))))
		if err != nil {
			return true, err
		}
		return true, refused(res, rt.ToUser)
	}
	if reply.Outcome != core.OutcomeMakeupBatch || rt.ResponseCode == "" || !strings.HasPrefix(rt.TaskID, batchTaskPrefix) {
		return false, nil
	}
	if err := b.markClicked(ctx, rt.Route, rt.ResponseCode, tr(lang, "已处理", "Done"), "batch"); err != nil {
		return true, err
	}
	return false, nil
}

// batchInbound translates a click on a batch card's button into the
// CmdMakeupBatch a typed "同意 12 13" is. A click by anyone but the card's
// recipient, or a key that does not read, is not translated.
func (b *Bot) batchInbound(m Message, cmd core.Command) (inbound, bool) {
	if m.MsgType != MsgEvent || m.Event != EventTemplateCard {
		return inbound{}, false
	}
	tag, ok := taskTag(m.TaskID, batchTaskPrefix)
	rest, isBatch := strings.CutPrefix(m.EventKey, keyBatchPrefix)
	if !ok || !isBatch || tag != userTag(b.cfg.CorpID, m.FromUserName) {
		return inbound{}, false
	}
	ids, ok := bots.ParseBatchIDs(rest)
	if !ok {
		return inbound{}, false
	}
	cmd.Kind, cmd.Makeup = core.CmdMakeupBatch, &core.MakeupArgs{IDs: ids, Decision: core.MakeupApproved}
	buf, _ := json.Marshal(confirmRoute{Route: Route{ToUser: m.FromUserName, AgentID: b.agentID, Lang: "zh"}, ResponseCode: m.ResponseCode, TaskID: m.TaskID})
	cmd.ReplyRoute = string(buf)
	return inbound{cmd: cmd}, true
}
