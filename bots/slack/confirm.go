package slack

import (
	"context"
	"net/http"

	slackapi "github.com/slack-go/slack"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// Action ids of the confirmation buttons. Their value is "team:user", the
// person the question was sent to: only they may answer it.
const (
	ActionPunchConfirm = "punch_confirm"
	ActionPunchDecline = "punch_decline"
)

// confirmMessage is the question with two Block Kit buttons (an actions
// block of button elements; docs.slack.dev "Creating interactive
// messages", https://docs.slack.dev/messaging/creating-interactive-messages).
// team and user name whom it was sent to ("" when the route
// does not say, and then whoever can see it may answer).
func confirmMessage(r core.Reply, lang, team, user string) rendered {
	text := bots.ConfirmQuestion(r, lang)
	confirm, decline := bots.ConfirmLabels(lang)
	value := ""
	if user != "" {
		value = team + ":" + user
	}
	yes := slackapi.NewButtonBlockElement(ActionPunchConfirm, value, plain(confirm)).WithStyle(slackapi.StylePrimary)
	no := slackapi.NewButtonBlockElement(ActionPunchDecline, value, plain(decline))
	return rendered{Text: text, Blocks: []slackapi.Block{
		section(text),
		slackapi.NewActionBlock("punch_confirmation", yes, no),
		slackapi.NewContextBlock("", plain(bots.ConfirmButtonHint(lang))),
	}}
}

// confirmInteraction takes clicks on the confirmation buttons (a
// block_actions payload; docs.slack.dev/reference/interaction-payloads/
// block_actions-payload): CmdConfirm or CmdDecline for the clicker, whose
// answer replaces the question through its response_url. A click by
// anyone but the person it was sent to changes nothing; they are told so
// in an ephemeral message. It reports whether the payload was one.
func (b *Bot) confirmInteraction(w http.ResponseWriter, r *http.Request, cb slackapi.InteractionCallback) bool {
	if cb.Type != slackapi.InteractionTypeBlockActions {
		return false
	}
	var action *slackapi.BlockAction
	for _, a := range cb.ActionCallback.BlockActions {
		if a.ActionID == ActionPunchConfirm || a.ActionID == ActionPunchDecline {
			action = a
			break
		}
	}
	if action == nil {
		return false
	}
	team := tenant(cb.Team.ID, cb.User.TeamID)
	if team == "" || cb.User.ID == "" || cb.ResponseURL == "" {
		http.Error(w, "interaction without team, user or response_url", http.StatusBadRequest)
		return true
	}
	ctx, cancel := context.WithTimeout(r.Context(), ackBudget)
	defer cancel()
	if action.Value != "" && action.Value != team+":"+cb.User.ID {
		// Nothing is recorded, so nothing needs the outbox: the note goes
		// straight to the clicker (an ephemeral response_url message that
		// leaves the question as it is; "Handling user interaction",
		// https://docs.slack.dev/interactivity/handling-user-interaction).
		// Losing it loses nothing.
		lang := bots.DetectLang(cb.Message.Text)
		text := bots.NotForYou(lang)
		if err := b.deliver(ctx, Route{ResponseURL: cb.ResponseURL}, rendered{Text: text, Blocks: []slackapi.Block{section(text)}}); err != nil {
			b.log.Warn("slack: cannot tell a clicker the button is not theirs", "user", cb.User.ID, "err", err)
		}
		w.WriteHeader(http.StatusOK)
		return true
	}
	kind := core.CmdConfirm
	if action.ActionID == ActionPunchDecline {
		kind = core.CmdDecline
	}
	eventID := "act:" + cb.TriggerID
	if cb.TriggerID == "" {
		eventID = "act:" + team + ":" + cb.User.ID + ":" + action.ActionTs
	}
	cmd := core.Command{Actor: identity(team, cb.User.ID), Kind: kind, Source: string(core.PlatformSlack), EventID: eventID, ReceivedAt: b.now(),
		ReplyRoute: Route{ResponseURL: cb.ResponseURL, Replace: true, Team: team, User: cb.User.ID}.Encode()}
	if _, err := b.core.Handle(ctx, cmd); err != nil {
		if core.ErrorCode(err) == core.EINVALID {
			http.Error(w, "invalid interaction", http.StatusBadRequest)
			return true
		}
		b.log.Error("slack confirmation click failed", "err", err, "user", cb.User.ID)
		http.Error(w, "not recorded", http.StatusInternalServerError)
		return true
	}
	w.WriteHeader(http.StatusOK)
	return true
}
