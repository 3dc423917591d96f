package slack

import (
	"encoding/json"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

var _ core.MeteredSender = (*Bot)(nil)

// Metered reports whether delivering m is a Web API call, which counts
// against the app's rate limits (chat.postMessage: "generally allows
// posting one message per second per channel, while also maintaining a
// workspace-wide limit", https://api.slack.com/docs/rate-limits). A reply
// to a slash command or a button goes to its response_url instead, an
// incoming-webhook-style URL outside the Web API's tiers, usable "up to 5
// times within 30 minutes" of the interaction
// (https://api.slack.com/interactivity/slash-commands, "Sending delayed
// responses"): the
// outbox need not spend the platform's budget on it.
func (b *Bot) Metered(m core.OutboxMessage) bool {
	if bots.IsMakeupKind(m.Kind) || m.Kind == core.OutboxNotice {
		return true
	}
	var rt Route
	if err := json.Unmarshal([]byte(m.Route), &rt); err != nil {
		return true
	}
	return rt.ResponseURL == ""
}
