package slack

import (
	"context"
	"encoding/json"
	"net/http"

	slackapi "github.com/slack-go/slack"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// ActionMakeupBatch is the confirmation button of a "approve all"
// listing; its value is a batchValue.
const ActionMakeupBatch = "makeup_batch"

// batchValue is the confirmation button's value: the decision, exactly
// the listed numbers ("12,13") and a batch rejection's reason. A button
// value holds up to 2,000 characters (button element,
// https://docs.slack.dev/reference/block-kit/block-elements/button-element),
// enough for core.MaxBatch numbers and a core.MaxMakeupReason reason.
type batchValue struct {
	Decision core.MakeupStatus `json:"d"`
	IDs      string            `json:"ids"`
	Note     string            `json:"note,omitempty"`
	Lang     string            `json:"lang,omitempty"`
}

// withBatchButton adds the confirmation button to a listing to confirm
// (bots.BatchConfirmOffer); other replies are returned as they are.
func withBatchButton(m rendered, r core.Reply, lang string) rendered {
	b, ok := bots.BatchConfirmOffer(r)
	if !ok {
		return m
	}
	buf, _ := json.Marshal(batchValue{Decision: b.Decision, IDs: bots.BatchIDsValue(b.IDs()), Note: b.Note, Lang: lang})
	btn := slackapi.NewButtonBlockElement(ActionMakeupBatch, string(buf), plain(bots.BatchConfirmLabel(b, lang)))
	if b.Decision == core.MakeupRejected {
		btn = btn.WithStyle(slackapi.StyleDanger)
	} else {
		btn = btn.WithStyle(slackapi.StylePrimary)
	}
	m.Blocks = append(m.Blocks, slackapi.NewActionBlock("makeup_batch_actions", btn))
	return m
}

// batchClick decides the listed requests from a click on the
// confirmation button: one core call, the CmdMakeupBatch a typed
// "approve 12 13" is, for the clicker (the core checks each request is
// theirs). The results replace the listing through the response_url
// (replace_original), so the button is gone; a second click reports the
// requests as already decided.
func (b *Bot) batchClick(w http.ResponseWriter, r *http.Request, cb slackapi.InteractionCallback, a *slackapi.BlockAction) {
	team := tenant(cb.Team.ID, cb.User.TeamID)
	var v batchValue
	err := json.Unmarshal([]byte(a.Value), &v)
	ids, ok := bots.ParseBatchIDs(v.IDs)
	if team == "" || cb.User.ID == "" || err != nil || !ok || (v.Decision != core.MakeupApproved && v.Decision != core.MakeupRejected) {
		http.Error(w, "malformed batch action", http.StatusBadRequest)
		return
	}
	eventID := "act:" + cb.TriggerID
	if cb.TriggerID == "" {
		eventID = "act:" + team + ":" + cb.User.ID + ":" + a.ActionTs
	}
	cmd := core.Command{Actor: identity(team, cb.User.ID), Kind: core.CmdMakeupBatch, Makeup: &core.MakeupArgs{IDs: ids, Decision: v.Decision, Note: v.Note},
		Source: string(core.PlatformSlack), EventID: eventID, ReceivedAt: b.now()}
	if cb.ResponseURL != "" {
		cmd.ReplyRoute = Route{ResponseURL: cb.ResponseURL, Replace: true, Team: team, User: cb.User.ID}.Encode()
	}
	ctx, cancel := context.WithTimeout(r.Context(), ackBudget)
	defer cancel()
	if _, err := b.core.Handle(ctx, cmd); err != nil {
		b.log.Error("slack batch click failed", "err", err, "user", cb.User.ID)
		http.Error(w, "not recorded", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}
