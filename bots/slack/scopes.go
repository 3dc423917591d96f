package slack

import (
	"maps"
	"slices"
)

// The bot token scopes, from what the code does. APIScopes and
// FeatureScopes are the one list: RequiredScopes derives from them,
// `punchbot doctor` compares an installed token with RequiredScopes, and
// TestScopes fails when manifest.yaml or the README's list grants a
// different set, or when the code calls a method APIScopes does not name.
// Scopes per method are Slack's method reference pages
// (https://docs.slack.dev/reference/methods/<method>, "Scopes → Bot token").

// APIScopes maps every Web API method the bot calls to the bot scope it
// needs; "" means the method needs none.
var APIScopes = map[string]string{
	// Replies, reminders, broadcasts and approval cards.
	"chat.postMessage": "chat:write",
	// Replacing a reply or a card after a click or the location page.
	"chat.update": "chat:write",
	// Answers only the asker may see in a channel (after @punchbot).
	"chat.postEphemeral": "chat:write",
	// The DM channel of a reminder's or broadcast's recipient
	// (notice.go dmChannel). https://docs.slack.dev/reference/scopes/im.write
	"conversations.open": "im:write",
	// The make-up forms: views.open needs no scope, only a trigger_id.
	"views.open": "",
	// The leave form's confirmation after a Withdraw click (withdraw.go):
	// "No scopes required", https://docs.slack.dev/reference/methods/views.update
	"views.update": "",
}

// ClientMethods maps the slack-go methods the bot calls (b.api.X) to the
// Web API method each one calls, so TestScopes can find every call in the
// source. PostMessageContext also posts to response_url, which needs no
// scope; counting it as chat.postMessage only errs on the safe side.
var ClientMethods = map[string]string{
	"PostMessageContext":      "chat.postMessage",
	"UpdateMessageContext":    "chat.update",
	"PostEphemeralContext":    "chat.postEphemeral",
	"OpenConversationContext": "conversations.open",
	"OpenViewContext":         "views.open",
	"UpdateViewContext":       "views.update",
}

// FeatureScopes maps what Slack sends the bot (manifest features and
// events) to the scope that makes Slack send it.
var FeatureScopes = map[string]string{
	"/punch slash command": "commands",          // https://docs.slack.dev/reference/scopes/commands
	"message.im event":     "im:history",        // https://docs.slack.dev/reference/events/message.im
	"app_mention event":    "app_mentions:read", // https://docs.slack.dev/reference/events/app_mention
}

// RequiredScopes returns the bot token scopes punchbot needs, sorted: those
// of APIScopes and FeatureScopes, no more.
func RequiredScopes() []string {
	set := map[string]bool{}
	for _, s := range APIScopes {
		if s != "" {
			set[s] = true
		}
	}
	for _, s := range FeatureScopes {
		set[s] = true
	}
	return slices.Sorted(maps.Keys(set))
}
