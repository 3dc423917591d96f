package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// handleCommand answers /punch. Slack shows the HTTP response to the user
// only, so everything is rendered here and nothing goes through the outbox:
// status and help directly, a punch that needs a place as a button to the
// location page whose result later replaces this very message through
// response_url.
func (b *Bot) handleCommand(w http.ResponseWriter, r *http.Request) {
	if _, ok := b.readVerified(w, r); !ok {
		return
	}
	sc, err := slackapi.SlashCommandParse(r)
	if err != nil || sc.TeamID == "" || sc.UserID == "" {
		http.Error(w, "malformed slash command", http.StatusBadRequest)
		return
	}
	in := bots.Parse(sc.Text)
	if in.Verb == bots.VerbMakeup {
		b.makeupCommand(w, r, sc, in)
		return
	}
	if in.Kind == core.CmdLeave {
		b.leaveCommand(w, r, sc, in)
		return
	}
	if _, ok := bots.LinkPurpose(in); ok {
		b.linkCommand(w, r, sc, in)
		return
	}
	kind, punch := command(in, sc.Text)
	if kind == core.CmdHelp && in.Kind == "" {
		writeEphemeral(w, notUnderstood(in, strings.TrimSpace(sc.Text)))
		return
	}
	actor := identity(sc.TeamID, sc.UserID)
	// No event id: Slack never retries a slash command (an answer later
	// than 3 s shows the user an error instead, and they type it again as
	// a new invocation: https://docs.slack.dev/interactivity/implementing-slash-commands,
	// formerly api.slack.com/interactivity/slash-commands),
	// so recording one would cost a commit per /punch and guard nothing.
	// The punch itself is recorded from the location page, under its link.
	cmd := core.Command{Actor: actor, Kind: kind, Punch: punch, Source: string(core.PlatformSlack), ReceivedAt: b.now(), LocationByLink: true}
	ctx, cancel := context.WithTimeout(r.Context(), ackBudget)
	defer cancel()
	reply, err := b.core.Handle(ctx, cmd)
	if err != nil {
		b.log.Error("slack command failed", "err", err, "team", sc.TeamID, "user", sc.UserID)
		text := bots.ErrorText(err, in.Lang)
		writeEphemeral(w, rendered{Text: text, Blocks: []slackapi.Block{section(text)}})
		return
	}
	lang := bots.Lang(reply, in.Lang)
	if reply.Outcome != core.OutcomeNeedLocation {
		writeEphemeral(w, replyMessage(reply, lang))
		return
	}
	url, err := b.links.PunchLink(ctx, bots.LinkRequest{
		Actor: actor, Name: reply.EmployeeName, Lang: lang, Intent: reply.Kind,
		ReplyPlatform: core.PlatformSlack,
		ReplyRoute:    Route{ResponseURL: sc.ResponseURL, Replace: true, Team: sc.TeamID, User: sc.UserID}.Encode(),
	})
	if err != nil {
		b.log.Error("slack link failed", "err", err)
		text := bots.ErrorText(err, lang)
		writeEphemeral(w, rendered{Text: text, Blocks: []slackapi.Block{section(text)}})
		return
	}
	writeEphemeral(w, linkMessage(lang, reply.Kind, url))
}

// escape keeps user-controlled words (names, echoed text) from being read as
// Slack mrkdwn control sequences in a message's fallback text.
var escape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

// writeEphemeral acknowledges a slash command with a message only the user
// sees.
func writeEphemeral(w http.ResponseWriter, m rendered) {
	// Not slackapi.Msg: it always serialises an empty "metadata" object,
	// which a slash-command response has no use for.
	msg := struct {
		ResponseType string          `json:"response_type"`
		Text         string          `json:"text"`
		Blocks       slackapi.Blocks `json:"blocks"`
	}{slackapi.ResponseTypeEphemeral, escape(m.Text), slackapi.Blocks{BlockSet: m.Blocks}}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(msg)
}
