package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack/slackevents"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// handleEvents takes Events API deliveries: the URL check, direct messages
// to the bot and mentions. The HTTP response cannot carry a message, so the
// core queues every answer in the outbox in the same transaction as the
// punch, keyed by the event id: a retry (X-Slack-Retry-Num) of an event that
// was recorded gets the recorded reply back and stores and sends nothing
// new. A delivery the core could not record gets a 500 so Slack retries it.
func (b *Bot) handleEvents(w http.ResponseWriter, r *http.Request) {
	body, ok := b.readVerified(w, r)
	if !ok {
		return
	}
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		http.Error(w, "malformed event", http.StatusBadRequest)
		return
	}
	switch ev.Type {
	case slackevents.URLVerification:
		var ch slackevents.ChallengeResponse
		if err := json.Unmarshal(body, &ch); err != nil || ch.Challenge == "" {
			http.Error(w, "malformed url_verification", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte(ch.Challenge))
		return
	case slackevents.CallbackEvent:
	default:
		w.WriteHeader(http.StatusOK)
		return
	}
	outer, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok || outer.EventID == "" || ev.TeamID == "" {
		http.Error(w, "event without id or team", http.StatusBadRequest)
		return
	}
	cmd, ok := b.eventCommand(ev, outer.EventID)
	if !ok {
		// Not for us: edits, bot messages (including our own), channel
		// chatter. Acknowledge so Slack does not retry.
		w.WriteHeader(http.StatusOK)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), ackBudget)
	defer cancel()
	reply, err := b.core.Handle(ctx, cmd)
	if core.ErrorCode(err) == core.EINVALID {
		// Nothing about it can be stored (an id with a NUL byte): a retry
		// would fail the same way.
		b.log.Warn("slack event refused", "err", err, "event", outer.EventID)
		http.Error(w, "invalid event", http.StatusBadRequest)
		return
	}
	if err != nil {
		b.log.Error("slack event failed", "err", err, "event", outer.EventID, "retry", r.Header.Get("X-Slack-Retry-Num"))
		http.Error(w, "not recorded, retry", http.StatusInternalServerError)
		return
	}
	if reply.Replayed {
		b.log.Debug("slack event retry answered from record", "event", outer.EventID, "retry", r.Header.Get("X-Slack-Retry-Num"))
	}
	w.WriteHeader(http.StatusOK)
}

// eventCommand turns a DM or mention into a core command whose reply the
// outbox delivers: in the DM, or as an ephemeral message in the channel of a
// mention, because a location link is personal.
func (b *Bot) eventCommand(ev slackevents.EventsAPIEvent, eventID string) (core.Command, bool) {
	if cmd, ok := b.makeupEvent(ev, eventID); ok {
		return cmd, true
	}
	var user, team, channel, text, ts, thread string
	var ephemeral bool
	switch in := ev.InnerEvent.Data.(type) {
	case *slackevents.MessageEvent:
		if in.ChannelType != "im" || in.SubType != "" || in.BotID != "" || in.User == "" {
			return core.Command{}, false
		}
		user, team, channel, text, ts = in.User, tenant(ev.TeamID, in.UserTeam), in.Channel, in.Text, in.TimeStamp
	case *slackevents.AppMentionEvent:
		if in.BotID != "" || in.User == "" {
			return core.Command{}, false
		}
		user, team, channel, text, ts, thread = in.User, tenant(ev.TeamID, in.UserTeam), in.Channel, in.Text, in.TimeStamp, in.ThreadTimeStamp
		ephemeral = true
	default:
		return core.Command{}, false
	}
	intent := bots.Parse(text)
	kind, punch := intent.Kind, intent.Punch
	said := ""
	if kind == "" {
		kind = core.CmdHelp
		if bots.NotUnderstood(text) {
			said = bots.Quote(text) // the reply names it (send.go)
		}
	}
	cmd := core.Command{
		Actor: identity(team, user), Kind: kind, Punch: punch,
		At: messageTime(ts), ReceivedAt: b.now(),
		Source: string(core.PlatformSlack), EventID: eventID,
		ReplyRoute:     Route{Channel: channel, ThreadTS: thread, Ephemeral: ephemeral, Team: team, User: user, Said: said}.Encode(),
		LocationByLink: true, // Slack messages carry no location: the reply links the page
	}
	bots.LinkCommand(intent, &cmd) // admin, mydata: a mention's reply is ephemeral, so the link stays private
	return cmd, true
}

// messageTime reads a Slack ts ("1531431954.000073"); zero when malformed,
// which makes the core use the receipt time.
func messageTime(ts string) time.Time {
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || s <= 0 {
		return time.Time{}
	}
	var us int64
	if len(frac) == 6 {
		us, _ = strconv.ParseInt(frac, 10, 64)
	}
	return time.Unix(s, us*1000)
}
