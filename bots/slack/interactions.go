package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	slackapi "github.com/slack-go/slack"

	"github.com/punchbot/punchbot/core"
)

// handleInteraction takes block_actions. The URL button to the location
// page needs nothing (the page does the work) but Slack still reports the
// click and expects a 200. The punch and status buttons run the same core
// command as the slash command; the answer replaces the message with the
// buttons through the outbox and response_url.
func (b *Bot) handleInteraction(w http.ResponseWriter, r *http.Request) {
	body, ok := b.readVerified(w, r)
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("payload") == "" {
		http.Error(w, "malformed interaction", http.StatusBadRequest)
		return
	}
	var cb slackapi.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		http.Error(w, "malformed interaction payload", http.StatusBadRequest)
		return
	}
	if b.withdrawInteraction(w, r, cb) { // withdraw.go
		return
	}
	if b.overtimeInteraction(w, r, cb) { // overtimeform.go
		return
	}
	if b.makeupInteraction(w, r, cb) {
		return
	}
	if b.noticeInteraction(w, r, cb) {
		return
	}
	if b.confirmInteraction(w, r, cb) { // confirm.go
		return
	}
	if cb.Type != slackapi.InteractionTypeBlockActions {
		w.WriteHeader(http.StatusOK)
		return
	}
	team := tenant(cb.Team.ID, cb.User.TeamID)
	if team == "" || cb.User.ID == "" {
		http.Error(w, "interaction without team or user", http.StatusBadRequest)
		return
	}
	var cmd core.Command
	for _, a := range cb.ActionCallback.BlockActions {
		switch a.ActionID {
		case ActionPunchIn:
			cmd.Kind, cmd.Punch = core.CmdPunch, core.KindIn
		case ActionPunchOut:
			cmd.Kind, cmd.Punch = core.CmdPunch, core.KindOut
		case ActionStatus:
			cmd.Kind = core.CmdStatus
		default:
			continue
		}
		break
	}
	if cmd.Kind == "" || cb.ResponseURL == "" {
		// The location button, or a button of a message we no longer
		// understand.
		w.WriteHeader(http.StatusOK)
		return
	}
	eventID := "act:" + cb.TriggerID
	if cb.TriggerID == "" {
		eventID = "act:" + team + ":" + cb.User.ID + ":" + cb.ActionTs
	}
	// A second delivery of the click carries the same trigger id: the core
	// records the event with its punch and answers the copy with the
	// stored reply, so no marker is kept outside the database.
	cmd.Actor = identity(team, cb.User.ID)
	cmd.Source, cmd.EventID, cmd.ReceivedAt = string(core.PlatformSlack), eventID, b.now()
	cmd.ReplyRoute = Route{ResponseURL: cb.ResponseURL, Replace: true, Team: team, User: cb.User.ID}.Encode()
	ctx, cancel := context.WithTimeout(r.Context(), ackBudget)
	defer cancel()
	_, err = b.core.Handle(ctx, cmd)
	if core.ErrorCode(err) == core.EINVALID {
		b.log.Warn("slack interaction refused", "err", err)
		http.Error(w, "invalid interaction", http.StatusBadRequest)
		return
	}
	if err != nil {
		b.log.Error("slack interaction failed", "err", err, "user", cb.User.ID)
		http.Error(w, "not recorded", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}
