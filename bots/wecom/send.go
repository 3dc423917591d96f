package wecom

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// OutboxReply is the outbox kind of a core.Reply answering a command.
const OutboxReply = "reply"

// Send delivers one outbox message (core.Sender): it renders the reply in
// the user's language and sends it as a text message through the
// application. Errors carry codes the outbox worker acts on: EINVALID
// stops retrying, ERATELIMIT waits as long as WeCom asked.
func (b *Bot) Send(ctx context.Context, m core.OutboxMessage) error {
	if m.Platform != core.PlatformWeCom {
		return core.Errorf(core.EINVALID, "wecom: outbox message %d is for %s", m.ID, m.Platform)
	}
	if bots.IsMakeupKind(m.Kind) {
		return b.sendMakeup(ctx, m)
	}
	if m.Kind == core.OutboxNotice {
		return b.sendNotice(ctx, m)
	}
	var route Route
	if err := json.Unmarshal([]byte(m.Route), &route); err != nil || route.ToUser == "" {
		return core.Errorf(core.EINVALID, "wecom: outbox message %d has no usable route %q", m.ID, m.Route)
	}
	if route.AgentID == 0 {
		route.AgentID = b.agentID
	}
	var text string
	switch m.Kind {
	case OutboxReply:
		var reply core.Reply
		if err := json.Unmarshal(m.Payload, &reply); err != nil {
			return core.WrapError(core.EINVALID, err, "wecom: outbox message %d: payload is not a reply", m.ID)
		}
		if done, err := b.sendLeaveForm(ctx, m, reply); done { // leaveform.go
			return err
		}
		if done, err := b.sendWithdraw(ctx, m, reply); done { // withdraw.go
			return err
		}
		if done, err := b.sendConfirm(ctx, m, reply); done { // confirm.go
			return err
		}
		if done, err := b.sendBatch(ctx, m, reply); done { // batch.go
			return err
		}
		text = RenderReply(reply, route.Lang)
	default:
		return core.Errorf(core.EINVALID, "wecom: outbox message %d: unsupported kind %q", m.ID, m.Kind)
	}
	res, err := b.client.SendMessage(ctx, AppMessage{ToUser: route.ToUser, AgentID: route.AgentID, MsgType: "text", Text: &Content{Content: text}})
	if err != nil {
		return err
	}
	if res.InvalidUser != "" || res.UnlicensedUser != "" {
		// errcode 0 with every recipient refused means nobody got it, and
		// nobody ever will: the user id is wrong or has no licence.
		refused := slices.Concat(strings.Split(res.InvalidUser, "|"), strings.Split(res.UnlicensedUser, "|"))
		all := true
		for _, u := range strings.Split(route.ToUser, "|") {
			all = all && slices.Contains(refused, u)
		}
		if all {
			return core.Errorf(core.EINVALID, "wecom: user %q cannot receive messages (invalid %q, unlicensed %q)", route.ToUser, res.InvalidUser, res.UnlicensedUser)
		}
		b.log.Warn("wecom: some recipients refused", "invalid", res.InvalidUser, "unlicensed", res.UnlicensedUser)
	}
	return nil
}

// RenderReply is the text of a reply on WeCom: the shared one-line summary,
// plus where to find the location button when a location is what is
// missing, since WeCom users punch from the application's menu.
func RenderReply(r core.Reply, fallbackLang string) string {
	lang := bots.Lang(r, fallbackLang)
	text := bots.Headline(r, lang)
	switch {
	case r.Outcome == core.OutcomeNeedLocation,
		r.Outcome == core.OutcomeRejected && slices.Contains(r.Reasons, core.ReasonNoLocation),
		r.Outcome == core.OutcomeRejected && slices.Contains(r.Reasons, core.ReasonBadCoordinates):
		text += "\n" + locationHint(lang)
	case r.Outcome == core.OutcomeHelp:
		text += "\n" + menuHint(lang)
	case r.Outcome == core.OutcomeConfirm:
		// A passive reply is text; the buttons follow on a card (confirm.go).
		text += "\n" + bots.ConfirmHint(lang)
	}
	return text
}

func locationHint(lang string) string {
	if lang == "en" {
		return "Tap “Location punch” (位置打卡) in the app menu below, or send your location with + → Location."
	}
	return "点击下方应用菜单的「位置打卡」按钮，或通过输入框旁的 ＋ → 位置 发送当前位置。"
}

func menuHint(lang string) string {
	if lang == "en" {
		return "The app menu below has the same buttons: Location punch, Clock in, Clock out, Status."
	}
	return "也可以使用下方应用菜单：位置打卡、上班打卡、下班打卡、今日状态。"
}
