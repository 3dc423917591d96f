package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// ActionMakeupWithdraw is the action id of the 撤回 / Withdraw button on
// the requester's "submitted" answer. Its value is "id:team:user": the
// request, and the person the answer was sent to, who alone may click.
const ActionMakeupWithdraw = "makeup_withdraw"

// withdrawValue is the button's value; team and user are "" when the
// route does not say whom the answer is for.
func withdrawValue(id int64, team, user string) string {
	return strconv.FormatInt(id, 10) + ":" + team + ":" + user
}

// withdrawCommandHint tells the requester of an ephemeral answer how to
// take the request back (the slash command a typed "请假 取消 12" is), and
// that the decision comes by direct message (the result message,
// core.OutboxMakeupResult, goes to the user's DM).
func withdrawCommandHint(id int64, t core.RequestType, lang string) string {
	typed := "/punch " + bots.RequestWord(t, lang) + pick(lang, " 取消 ", " cancel ") + strconv.FormatInt(id, 10)
	if t == core.RequestLeave || t == core.RequestTrip || t == core.RequestOuting || t == core.RequestOvertime {
		return pick(lang, "要撤回，发送“"+typed+"”；获批后、开始前也可以撤回（销假）。审批结果会私信通知你。",
			"To take it back, send “"+typed+"”, even after approval until it starts. The decision comes to you by direct message.")
	}
	return pick(lang, "要撤回，在审批前发送“"+typed+"”。审批结果会私信通知你。",
		"To take it back before it is decided, send “"+typed+"”. The decision comes to you by direct message.")
}

// parseWithdrawValue reads withdrawValue: the request and its owner
// ("team:user", or "" when the value names nobody).
func parseWithdrawValue(v string) (id int64, owner string, ok bool) {
	head, owner, _ := strings.Cut(v, ":")
	id, err := strconv.ParseInt(head, 10, 64)
	if owner == ":" {
		owner = ""
	}
	return id, owner, err == nil && id > 0
}

// withWithdrawButton adds the 撤回 / Withdraw button (a Block Kit button
// element in an actions block, action_id and value returned in the
// block_actions payload: https://docs.slack.dev/reference/block-kit/block-elements/button-element,
// https://docs.slack.dev/messaging/creating-interactive-messages; built
// with slack-go's NewButtonBlockElement, block_element.go) and a hint to a
// filed request's answer; any other message is returned as it is.
//
// An answer nothing can edit later (uneditable: a slash command's
// ephemeral answer, a mention's in a channel, one through a response_url)
// gets the typed command instead of the button:
// Slack cannot edit it later ("Ephemeral messages can't be updated in
// this way", https://docs.slack.dev/messaging/modifying-messages), so a
// button there would stay after the decision, looking as if a tap could
// still take the request back. Only the DM answer, recorded as the
// requester's card (postRequesterCard), carries the button, and loses it
// when the request is decided.
func withWithdrawButton(m rendered, r core.Reply, lang, team, user string, uneditable bool) rendered {
	id, ok := bots.WithdrawOffer(r)
	if !ok {
		return m
	}
	if uneditable {
		m.Blocks = append(m.Blocks, slackapi.NewContextBlock("makeup_withdraw_hint", plain(withdrawCommandHint(id, r.Makeup.Request.TypeOf(), lang))))
		return m
	}
	btn := slackapi.NewButtonBlockElement(ActionMakeupWithdraw, withdrawValue(id, team, user), plain(bots.WithdrawLabel(lang))).WithStyle(slackapi.StyleDanger)
	m.Blocks = append(m.Blocks,
		slackapi.NewActionBlock("makeup_withdraw", btn),
		slackapi.NewContextBlock("", plain(bots.WithdrawHint(id, r.Makeup.Request.TypeOf(), lang))))
	return m
}

// withdrawInteraction takes clicks on the Withdraw button (a block_actions
// payload, https://docs.slack.dev/reference/interaction-payloads/block_actions-payload,
// slack-go's InteractionCallback): the requester's click is the core
// command a typed "请假 取消 12" is, CmdMakeupCancel with the id, and its
// answer (withdrawn, or why not) replaces the message through the
// payload's response_url with replace_original
// (https://docs.slack.dev/interactivity/handling-user-interaction), by way
// of the outbox as the confirmation buttons do. Anyone else is told so in
// an ephemeral note and nothing changes. A retried delivery carries the
// same trigger id and gets the recorded answer; a second click is a new
// command, which the core answers with the request's state. It reports
// whether the payload was such a click.
func (b *Bot) withdrawInteraction(w http.ResponseWriter, r *http.Request, cb slackapi.InteractionCallback) bool {
	if cb.Type != slackapi.InteractionTypeBlockActions {
		return false
	}
	var action *slackapi.BlockAction
	for _, a := range cb.ActionCallback.BlockActions {
		if a.ActionID == ActionMakeupWithdraw {
			action = a
			break
		}
	}
	if action == nil {
		return false
	}
	team := tenant(cb.Team.ID, cb.User.TeamID)
	id, owner, ok := parseWithdrawValue(action.Value)
	inModal := cb.ResponseURL == "" && cb.View.ID != ""
	if !ok || team == "" || cb.User.ID == "" || (cb.ResponseURL == "" && !inModal) {
		http.Error(w, "malformed withdraw action", http.StatusBadRequest)
		return true
	}
	ctx, cancel := context.WithTimeout(r.Context(), ackBudget)
	defer cancel()
	if inModal {
		b.withdrawInModal(ctx, w, cb, action, team, owner, id)
		return true
	}
	if owner != "" && owner != team+":"+cb.User.ID {
		// Nothing changes, so nothing needs the outbox (as for the
		// confirmation buttons, confirm.go).
		text := bots.NotForYou(bots.DetectLang(cb.Message.Text))
		if err := b.deliver(ctx, Route{ResponseURL: cb.ResponseURL}, rendered{Text: text, Blocks: []slackapi.Block{section(text)}}); err != nil {
			b.log.Warn("slack: cannot tell a clicker the withdraw button is not theirs", "user", cb.User.ID, "err", err)
		}
		w.WriteHeader(http.StatusOK)
		return true
	}
	eventID := "act:" + cb.TriggerID
	if cb.TriggerID == "" {
		eventID = "act:" + team + ":" + cb.User.ID + ":" + action.ActionTs
	}
	cmd := core.Command{Actor: identity(team, cb.User.ID), Kind: core.CmdMakeupCancel, Makeup: &core.MakeupArgs{ID: id},
		Source: string(core.PlatformSlack), EventID: eventID, ReceivedAt: b.now(),
		ReplyRoute: Route{ResponseURL: cb.ResponseURL, Replace: true, Team: team, User: cb.User.ID}.Encode()}
	if _, err := b.core.Handle(ctx, cmd); err != nil {
		if core.ErrorCode(err) == core.EINVALID {
			http.Error(w, "invalid interaction", http.StatusBadRequest)
			return true
		}
		b.log.Error("slack withdraw click failed", "err", err, "user", cb.User.ID, "request", id)
		http.Error(w, "not recorded", http.StatusInternalServerError)
		return true
	}
	w.WriteHeader(http.StatusOK)
	return true
}

// withdrawInModal answers a click on the Withdraw button of a request
// form's confirmation, a modal: block_actions from a view carry no
// response_url (https://docs.slack.dev/reference/interaction-payloads/block_actions-payload),
// so the core's answer is not queued but written into the modal at once
// with views.update, guarded by the view's hash
// (https://docs.slack.dev/reference/methods/views.update; slack-go's
// UpdateViewContext, views.go). Only the person who filed can see their
// modal; a click that is not theirs changes nothing all the same.
func (b *Bot) withdrawInModal(ctx context.Context, w http.ResponseWriter, cb slackapi.InteractionCallback, action *slackapi.BlockAction, team, owner string, id int64) {
	if owner != "" && owner != team+":"+cb.User.ID {
		b.log.Warn("slack: a withdraw button in someone else's modal", "user", cb.User.ID, "request", id)
		w.WriteHeader(http.StatusOK)
		return
	}
	eventID := "act:" + cb.TriggerID
	if cb.TriggerID == "" {
		eventID = "act:" + team + ":" + cb.User.ID + ":" + action.ActionTs
	}
	cmd := core.Command{Actor: identity(team, cb.User.ID), Kind: core.CmdMakeupCancel, Makeup: &core.MakeupArgs{ID: id},
		Source: string(core.PlatformSlack), EventID: eventID, ReceivedAt: b.now()}
	reply, err := b.core.Handle(ctx, cmd)
	if err != nil {
		if core.ErrorCode(err) == core.EINVALID {
			http.Error(w, "invalid interaction", http.StatusBadRequest)
			return
		}
		b.log.Error("slack withdraw click failed", "err", err, "user", cb.User.ID, "request", id)
		http.Error(w, "not recorded", http.StatusInternalServerError)
		return
	}
	lang := bots.Lang(reply, "")
	title := cb.View.Title
	if title == nil || title.Text == "" {
		title = plain(bots.WithdrawLabel(lang))
	}
	answer := slackapi.ModalViewRequest{
		Type: slackapi.VTModal, Title: title, Close: plain(pick(lang, "关闭", "Close")),
		Blocks: slackapi.Blocks{BlockSet: []slackapi.Block{section(bots.Headline(reply, lang))}},
	}
	if _, err := b.api.UpdateViewContext(ctx, answer, "", cb.View.Hash, cb.View.ID); err != nil {
		// The withdrawal stands; the modal still shows the button, whose
		// next click is answered with the state.
		b.log.Warn("slack: cannot update the modal after a withdraw click", "request", id, "err", slackError(err))
	}
	w.WriteHeader(http.StatusOK)
}

// postRequesterCard posts a filed request's answer with its Withdraw
// button (chat.postMessage, whose response names the message's channel
// and ts: https://docs.slack.dev/reference/methods/chat.postMessage,
// slack-go's PostMessageContext, chat.go) and records them as the
// requester's card, the way sendMakeup records the approver's, so every
// later change of the request edits it in place (updateRequesterCard).
// Only a posted message can be recorded: an ephemeral answer (a slash
// command's, or through a response_url) cannot be edited with chat.update
// ("Ephemeral messages created by chat.postEphemeral or otherwise cannot
// be updated with this method", https://docs.slack.dev/reference/methods/chat.update;
// chat.update's channel is the DM's D… id chat.postMessage answered with), so
// it gets the typed command instead of the button (withWithdrawButton).
func (b *Bot) postRequesterCard(ctx context.Context, rt Route, msg rendered, id int64) error {
	channel, ts, err := b.api.PostMessageContext(ctx, rt.Channel, b.msgOptions(rt, msg)...)
	if err != nil {
		return slackError(err)
	}
	if b.makeups == nil {
		return nil
	}
	// The answer is out; failing now would post it twice. Without the
	// reference the card keeps its first state.
	ref := core.CardRef{RequestID: id, Platform: core.PlatformSlack, Recipient: rt.User, Ref: cardRef{Channel: channel, TS: ts}.encode(), Requester: true}
	if err := b.makeups.RecordCardRef(ctx, ref); err != nil {
		b.log.Error("slack: cannot record the requester's card", "request", id, "err", err)
	}
	return nil
}

// requesterMessage is the requester's card after a change: what was
// filed, its state, and the Withdraw button (with its hint) only while
// the core would still accept a withdrawal.
func requesterMessage(v core.MakeupView, lang, team, user string, now time.Time) rendered {
	c := bots.RequesterCardContent(v, lang, now)
	blocks := []slackapi.Block{section(c.Summary), section(c.Status)}
	if c.Evidence != "" {
		blocks = append(blocks, slackapi.NewContextBlock("makeup_evidence", plain(c.Evidence)))
	}
	if c.Withdraw {
		btn := slackapi.NewButtonBlockElement(ActionMakeupWithdraw, withdrawValue(v.Request.ID, team, user), plain(bots.WithdrawLabel(lang))).WithStyle(slackapi.StyleDanger)
		blocks = append(blocks, slackapi.NewActionBlock("makeup_withdraw", btn), slackapi.NewContextBlock("", plain(c.Hint)))
	}
	return rendered{Text: c.Summary + " — " + strings.SplitN(c.Status, "\n", 2)[0], Blocks: blocks}
}

// updateRequesterCard edits the requester's recorded card in place with
// chat.update (https://docs.slack.dev/reference/methods/chat.update,
// slack-go's UpdateMessageContext). Without a record there is nothing to
// edit; a card Slack no longer lets us edit (deleted, message_not_found,
// cant_update_message) stays as it is: the requester hears of every
// change anyway, from the result message or as the answer to their own
// command, so nothing is posted instead.
func (b *Bot) updateRequesterCard(ctx context.Context, to core.Recipient, v core.MakeupView) error {
	if b.makeups == nil {
		return nil
	}
	stored, err := b.makeups.CardRef(ctx, v.Request.ID, core.PlatformSlack, to.UserID)
	if core.ErrorCode(err) == core.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	var ref cardRef
	if json.Unmarshal([]byte(stored.Ref), &ref) != nil || ref.Channel == "" || ref.TS == "" {
		return nil
	}
	msg := requesterMessage(v, to.Lang, to.Tenant, to.UserID, b.now())
	err = b.deliver(ctx, Route{Channel: ref.Channel, TS: ref.TS}, msg)
	if core.ErrorCode(err) == core.EINVALID {
		b.log.Warn("slack: the requester's card cannot be updated", "request", v.Request.ID, "err", err)
		return nil
	}
	return err
}
