package wecom

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// Message types that carry files: sent right after a make-up request,
// they are its evidence.
const (
	MsgImage = "image"
	MsgFile  = "file"
	MsgVideo = "video"
)

// Keys of the approval card's buttons; they come back as EventKey in the
// template_card_event.
const (
	KeyMakeupApprove = "makeup_approve"
	KeyMakeupReject  = "makeup_reject"
)

// makeupTaskPrefix starts the task_id of every approval card. The rest is
// the request id, the outbox message id and the attempt, because WeCom
// refuses a task_id it has seen (errcode 42014) and a retried send must
// not fail on it.
const makeupTaskPrefix = "makeup-"

// cardRef is the WeCom part of a core.CardRef: the card's task_id and the
// one-time response_code that lets update_template_card change it. An
// empty code means it was spent.
type cardRef struct {
	ResponseCode string `json:"response_code"`
	TaskID       string `json:"task_id"`
}

func (r cardRef) encode() string {
	buf, _ := json.Marshal(r)
	return string(buf)
}

func makeupTaskID(requestID, messageID int64, attempt int) string {
	return fmt.Sprintf("%s%d-%d-%d", makeupTaskPrefix, requestID, messageID, attempt)
}

// parseTaskID returns the request id of an approval card's task_id.
func parseTaskID(taskID string) (int64, bool) {
	rest, ok := strings.CutPrefix(taskID, makeupTaskPrefix)
	if !ok {
		return 0, false
	}
	head, _, _ := strings.Cut(rest, "-")
	id, err := strconv.ParseInt(head, 10, 64)
	return id, err == nil && id > 0
}

// makeupInbound translates the make-up messages: 补卡 text commands, files
// sent as evidence, and clicks on an approval card. ok is false for
// anything else, which translate handles.
func (b *Bot) makeupInbound(m Message, cmd core.Command) (inbound, bool) {
	route := func(lang string) string {
		buf, _ := json.Marshal(Route{ToUser: m.FromUserName, AgentID: b.agentID, Lang: lang})
		return string(buf)
	}
	switch {
	case m.MsgType == MsgText:
		intent := bots.Parse(m.Content)
		if bots.LeaveInto(intent, &cmd) {
			// 请假, 出差, 外出: filed and answered like a make-up.
			cmd.ReplyRoute = route(intent.Lang)
			return inbound{cmd: cmd}, true
		}
		if intent.Verb != bots.VerbMakeup {
			return inbound{}, false
		}
		mc := bots.MakeupCommand(bots.ParseMakeup(intent.Args))
		cmd.Kind, cmd.Makeup, cmd.ReplyRoute = mc.Kind, mc.Makeup, route(intent.Lang)
		return inbound{cmd: cmd}, true
	case m.MsgType == MsgImage || m.MsgType == MsgFile || m.MsgType == MsgVideo:
		if m.MediaID == "" {
			return inbound{}, false
		}
		kind := "file"
		if m.MsgType == MsgImage {
			kind = "image"
		}
		cmd.Kind, cmd.ReplyRoute = core.CmdMakeupEvidence, route("zh")
		cmd.Makeup = &core.MakeupArgs{Evidence: []string{bots.EvidenceRef(core.PlatformWeCom, kind, m.MediaID)}}
		return inbound{cmd: cmd}, true
	case m.MsgType == MsgEvent && m.Event == EventTemplateCard:
		id, ok := parseTaskID(m.TaskID)
		if !ok {
			return inbound{}, false
		}
		args := &core.MakeupArgs{ID: id}
		switch m.EventKey {
		case KeyMakeupApprove:
			args.Decision = core.MakeupApproved
		case KeyMakeupReject:
			args.Decision = core.MakeupRejected
		default:
			return inbound{}, false
		}
		if m.ResponseCode != "" {
			// The click's response code is fresh; the card is updated with it.
			args.Card = &core.CardRef{Platform: core.PlatformWeCom, Recipient: m.FromUserName, Ref: cardRef{ResponseCode: m.ResponseCode, TaskID: m.TaskID}.encode()}
		}
		cmd.Kind, cmd.Makeup, cmd.ReplyRoute = core.CmdMakeupDecide, args, route("zh")
		return inbound{cmd: cmd}, true
	}
	return inbound{}, false
}

func tr(lang, zh, en string) string {
	if lang == "en" {
		return en
	}
	return zh
}

// makeupCard is the approval card: who, which day and slot, the reason as
// the subtitle, the month's count, the day's punches and the evidence, with
// Approve and Reject buttons. Once the request is closed the buttons give
// way to a grey replace_text and the title's description says who decided
// and when.
func makeupCard(v core.MakeupView, lang, taskID string) TemplateCard {
	return approvalCardOf(v, bots.MakeupCardContent(v, lang), lang, taskID)
}

// approvalCardOf lays out card content c of request v; a handed-over
// card (c.HandedOver) has its buttons greyed out.
func approvalCardOf(v core.MakeupView, c bots.MakeupCard, lang, taskID string) TemplateCard {
	if c.Type != core.RequestMakeup {
		return approvalCard(v, c, lang, taskID)
	}
	evidence := CardHorizontal{KeyName: tr(lang, "证明", "Evidence"), Value: tr(lang, "无", "none")}
	if ev := c.Evidence; len(ev) > 0 {
		var labels []string
		for _, e := range ev {
			labels = append(labels, e.Label)
		}
		evidence.Value = strings.Join(labels, tr(lang, "、", ", "))
		if ev[0].URL != "" {
			evidence.Type, evidence.URL = 1, ev[0].URL
		}
	}
	card := TemplateCard{
		CardType:     CardButtonInteraction,
		Source:       &CardSource{Desc: tr(lang, "补卡审批", "Make-up approval")},
		MainTitle:    &CardTitle{Title: c.Title, Desc: c.Status},
		SubTitleText: tr(lang, "原因：", "Reason: ") + v.Request.Reason,
		HorizontalContentList: []CardHorizontal{
			{KeyName: tr(lang, "申请人", "Employee"), Value: v.EmployeeName},
			{KeyName: tr(lang, "日期", "Date"), Value: bots.MakeupDate(v, lang)},
			{KeyName: tr(lang, "补卡", "Punch"), Value: bots.MakeupSlot(v, lang)},
			{KeyName: tr(lang, "本月", "This month"), Value: bots.MakeupUsed(v, lang)},
			{KeyName: tr(lang, "当天打卡", "That day"), Value: bots.MakeupPunches(v, lang)},
			evidence,
		},
		TaskID: taskID,
		ButtonList: []CardButton{
			{Text: c.Approve, Style: 1, Key: KeyMakeupApprove},
			{Text: c.Reject, Style: 2, Key: KeyMakeupReject},
		},
	}
	pendingCard(&card, v, c, lang)
	return card
}

// pendingCard finishes an approval card by its state: while pending, the
// typed way to reject with a reason in the quote area (quote_area.quote_text,
// "模板卡片消息 / 按钮交互型" in 发送应用消息, https://developer.work.weixin.qq.com/document/path/90236),
// since the 驳回 button cannot ask for one; once closed, the buttons give
// way to the short state (replace_text) and the hint goes.
func pendingCard(card *TemplateCard, v core.MakeupView, c bots.MakeupCard, lang string) {
	switch {
	case c.Pending:
		card.QuoteArea = &CardQuoteArea{QuoteText: bots.RejectHint(c.Type, v.Request.ID, lang)}
	case c.HandedOver:
		card.ReplaceText = tr(lang, "已转交", "Handed over")
	default:
		card.ReplaceText = shortStatus(v.Request.Status, lang)
	}
}

// approvalSource names the card's kind in its source line, which WeCom
// shows above the main title.
func approvalSource(t core.RequestType, lang string) string {
	switch t {
	case core.RequestField:
		return tr(lang, "外勤打卡审批", "Field punch approval")
	case core.RequestLeave:
		return tr(lang, "请假审批", "Leave approval")
	case core.RequestTrip:
		return tr(lang, "出差审批", "Business trip approval")
	case core.RequestOuting:
		return tr(lang, "外出审批", "Outing approval")
	case core.RequestOvertime:
		return tr(lang, "加班审批", "Overtime approval")
	}
	return tr(lang, "补卡审批", "Make-up approval")
}

// approvalCard lays out a field-punch, leave, trip or outing card as a
// button_interaction template card: the kind in the source line, the
// title and state as the main title, the note or reason as the subtitle,
// the short facts as horizontal_content_list (at most 6 rows; a type 1
// row is a link, used for the map of a field punch), the Approve and
// Reject buttons. Fields: "模板卡片消息 / 按钮交互型" in 发送应用消息,
// https://developer.work.weixin.qq.com/document/path/90236.
func approvalCard(v core.MakeupView, c bots.MakeupCard, lang, taskID string) TemplateCard {
	card := TemplateCard{
		CardType:  CardButtonInteraction,
		Source:    &CardSource{Desc: approvalSource(c.Type, lang)},
		MainTitle: &CardTitle{Title: c.Title, Desc: c.Status},
		TaskID:    taskID,
		ButtonList: []CardButton{
			{Text: c.Approve, Style: 1, Key: KeyMakeupApprove},
			{Text: c.Reject, Style: 2, Key: KeyMakeupReject},
		},
	}
	const maxRows = 6
	var rows, long []CardHorizontal
	for _, f := range c.Fields {
		switch {
		case !f.Long:
			rows = append(rows, CardHorizontal{KeyName: f.Label, Value: f.Value})
		case card.SubTitleText == "" && f.Label != tr(lang, "当天打卡", "Punches that day"):
			card.SubTitleText = c.Line(f)
		default:
			long = append(long, CardHorizontal{KeyName: f.Label, Value: f.Value})
		}
	}
	var links []CardHorizontal
	for _, l := range c.Links {
		links = append(links, CardHorizontal{Type: 1, KeyName: tr(lang, "地图", "Map"), Value: strings.TrimSpace(strings.TrimPrefix(l.Label, "🗺")), URL: l.URL})
	}
	// The facts first, then the links, then the long rows while there is room.
	rows = append(rows[:min(len(rows), maxRows-len(links))], links...)
	rows = append(rows, long[:min(len(long), maxRows-len(rows))]...)
	card.HorizontalContentList = rows
	pendingCard(&card, v, c, lang)
	return card
}

func shortStatus(st core.MakeupStatus, lang string) string {
	switch st {
	case core.MakeupApproved:
		return tr(lang, "已同意", "Approved")
	case core.MakeupRejected:
		return tr(lang, "已驳回", "Rejected")
	case core.MakeupCancelled:
		return tr(lang, "已撤回", "Withdrawn")
	case core.MakeupExpired:
		return tr(lang, "已过期", "Expired")
	case core.MakeupRevoked:
		return tr(lang, "已撤销", "Revoked")
	}
	return string(st)
}

// sendMakeup delivers the make-up outbox kinds: the approver's card (its
// response_code recorded for later edits), the card's update in place
// (update_template_card with the freshest code; a plain message when no
// code is left), and the requester's result.
func (b *Bot) sendMakeup(ctx context.Context, m core.OutboxMessage) error {
	var to core.Recipient
	if err := json.Unmarshal([]byte(m.Route), &to); err != nil || to.UserID == "" {
		return core.Errorf(core.EINVALID, "wecom: outbox message %d has no usable recipient %q", m.ID, m.Route)
	}
	var v core.MakeupView
	if err := json.Unmarshal(m.Payload, &v); err != nil || v.Request.ID == 0 {
		return core.Errorf(core.EINVALID, "wecom: outbox message %d: payload is not a make-up view", m.ID)
	}
	lang := to.Lang
	if to.Requester {
		return b.updateRequesterCard(ctx, to, v) // withdraw.go
	}
	switch m.Kind {
	case core.OutboxMakeupResult:
		return b.sendTo(ctx, to.UserID, AppMessage{MsgType: "text", Text: &Content{Content: bots.MakeupResultText(v, lang)}})
	case core.OutboxMakeupHandedOver:
		return b.retireCard(ctx, to.UserID, v, lang)
	case core.OutboxMakeupCard:
		taskID := makeupTaskID(v.Request.ID, m.ID, m.Attempts)
		res, err := b.client.SendTemplateCard(ctx, to.UserID, makeupCard(v, lang, taskID))
		if err != nil {
			return err
		}
		if err := refused(res, to.UserID); err != nil {
			return err
		}
		if res.ResponseCode != "" && b.makeups != nil {
			// The card is out; failing here would send it twice. Without the
			// reference later changes arrive as messages instead.
			ref := core.CardRef{RequestID: v.Request.ID, Platform: core.PlatformWeCom, Recipient: to.UserID, Ref: cardRef{ResponseCode: res.ResponseCode, TaskID: taskID}.encode()}
			if err := b.makeups.RecordCardRef(ctx, ref); err != nil {
				b.log.Error("wecom: cannot record the approval card", "request", v.Request.ID, "err", err)
			}
		}
		return nil
	}
	// OutboxMakeupUpdate.
	if v.Request.Status == core.MakeupPending {
		// New evidence: say so in a message, keeping the one-time code for
		// the decision.
		text := tr(lang, fmt.Sprintf("📎 %s 为补卡申请 #%d 补充了证明（共 %d 个附件）。", v.EmployeeName, v.Request.ID, len(v.Request.Evidence)),
			fmt.Sprintf("📎 %s added evidence to make-up request #%d (%d file(s)).", v.EmployeeName, v.Request.ID, len(v.Request.Evidence)))
		return b.sendTo(ctx, to.UserID, AppMessage{MsgType: "text", Text: &Content{Content: text}})
	}
	if b.makeups != nil {
		stored, err := b.makeups.CardRef(ctx, v.Request.ID, core.PlatformWeCom, to.UserID)
		if err != nil && core.ErrorCode(err) != core.ENOTFOUND {
			return err
		}
		if err == nil {
			if edited, err := b.editCardOnRecord(ctx, stored, func(taskID string) TemplateCard { return makeupCard(v, lang, taskID) }); edited || err != nil {
				return err
			}
		}
	}
	return b.sendTo(ctx, to.UserID, AppMessage{MsgType: "text", Text: &Content{Content: bots.MakeupCardContent(v, lang).Text()}})
}

// editCardOnRecord replaces the approval card on record (stored) with
// card(taskID) through message/update_template_card and its one-time
// response_code ("更新模版卡片消息",
// https://developer.work.weixin.qq.com/document/path/94888), then marks the
// code spent. edited is false, with no error, when there is no code left
// or WeCom will not edit the card (EINVALID): the caller says it in a
// message instead.
func (b *Bot) editCardOnRecord(ctx context.Context, stored core.CardRef, card func(taskID string) TemplateCard) (edited bool, err error) {
	var ref cardRef
	if json.Unmarshal([]byte(stored.Ref), &ref) != nil || ref.ResponseCode == "" || ref.TaskID == "" {
		return false, nil
	}
	c := card(ref.TaskID)
	err = b.client.UpdateTemplateCard(ctx, TemplateCardUpdate{UserIDs: []string{stored.Recipient}, ResponseCode: ref.ResponseCode, TemplateCard: &c})
	if core.ErrorCode(err) == core.EINVALID {
		b.log.Warn("wecom: the approval card cannot be updated; sending a message", "request", stored.RequestID, "err", err)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	stored.Ref = cardRef{TaskID: ref.TaskID}.encode()
	if err := b.makeups.RecordCardRef(ctx, stored); err != nil {
		b.log.Warn("wecom: cannot mark the response code spent", "request", stored.RequestID, "err", err)
	}
	return true, nil
}

// retireCard edits the approval card user holds of a request handed over
// to another approver (core.OutboxMakeupHandedOver) with the one-time
// response_code on record, as a decision's update does:
// message/update_template_card with the whole card, whose replace_text
// greys the buttons out ("更新模版卡片消息",
// https://developer.work.weixin.qq.com/document/path/94888) and whose
// title names the new approver. The code is then marked spent. With no
// card on record there is nothing to edit; with no code left (or a card
// WeCom will not edit) a text message says whom the request went to.
func (b *Bot) retireCard(ctx context.Context, user string, v core.MakeupView, lang string) error {
	if b.makeups == nil {
		return nil
	}
	stored, err := b.makeups.CardRef(ctx, v.Request.ID, core.PlatformWeCom, user)
	if core.ErrorCode(err) == core.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	card := func(taskID string) TemplateCard {
		return approvalCardOf(v, bots.HandedOverCardContent(v, lang), lang, taskID)
	}
	if edited, err := b.editCardOnRecord(ctx, stored, card); edited || err != nil {
		return err
	}
	return b.sendTo(ctx, user, AppMessage{MsgType: "text", Text: &Content{Content: bots.HandedOverText(v, lang)}})
}

// sendTo sends one application message to a user.
func (b *Bot) sendTo(ctx context.Context, user string, msg AppMessage) error {
	msg.ToUser, msg.AgentID = user, b.agentID
	res, err := b.client.SendMessage(ctx, msg)
	if err != nil {
		return err
	}
	return refused(res, user)
}

// refused turns "errcode 0 but every recipient refused" into EINVALID:
// nobody got the message and nobody ever will.
func refused(res SendResult, toUser string) error {
	if res.InvalidUser == "" && res.UnlicensedUser == "" {
		return nil
	}
	bad := slices.Concat(strings.Split(res.InvalidUser, "|"), strings.Split(res.UnlicensedUser, "|"))
	for _, u := range strings.Split(toUser, "|") {
		if !slices.Contains(bad, u) {
			return nil
		}
	}
	return core.Errorf(core.EINVALID, "wecom: user %q cannot receive messages (invalid %q, unlicensed %q)", toUser, res.InvalidUser, res.UnlicensedUser)
}
