package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// Route is where a Slack outbox message goes, stored as JSON in
// core.OutboxMessage.Route. Exactly one way of delivery applies, in this
// order: ResponseURL (with Replace to overwrite the message it belongs to),
// Channel+TS (chat.update of that message), Channel+User with Ephemeral
// (chat.postEphemeral), Channel (chat.postMessage; a user id is a DM).
// Team and User also say whose message it is, so a "share your location"
// reply can carry a fresh link bound to that person.
type Route struct {
	ResponseURL string `json:"response_url,omitempty"`
	Replace     bool   `json:"replace_original,omitempty"`
	Channel     string `json:"channel,omitempty"`
	TS          string `json:"ts,omitempty"`
	ThreadTS    string `json:"thread_ts,omitempty"`
	Ephemeral   bool   `json:"ephemeral,omitempty"`
	Team        string `json:"team,omitempty"`
	User        string `json:"user,omitempty"`
	// Said is, for a direct message that is no command, what it said (cut
	// by bots.Quote): the help reply names it, as /punch does (events.go).
	Said string `json:"said,omitempty"`
}

// Encode returns the route as the JSON the outbox stores.
func (r Route) Encode() string {
	buf, _ := json.Marshal(r)
	return string(buf)
}

// TextPayload is the outbox payload of messages other than replies
// (reminders, broadcasts): one line of text.
type TextPayload struct {
	Text string `json:"text"`
}

// Send delivers one outbox message: a core.Reply (kind "reply") or a
// TextPayload (any other kind). A reply asking for a location gets a fresh
// link to the location page bound to the route's team and user.
func (b *Bot) Send(ctx context.Context, m core.OutboxMessage) error {
	if bots.IsMakeupKind(m.Kind) {
		return b.sendMakeup(ctx, m)
	}
	if m.Kind == core.OutboxNotice {
		return b.sendNotice(ctx, m)
	}
	var rt Route
	if err := json.Unmarshal([]byte(m.Route), &rt); err != nil {
		return core.WrapError(core.EINVALID, err, "slack: route %q is not JSON", m.Route)
	}
	if rt.ResponseURL == "" && rt.Channel == "" {
		return core.Errorf(core.EINVALID, "slack: route %q names no channel or response_url", m.Route)
	}
	if m.Kind != "reply" {
		var p TextPayload
		if err := json.Unmarshal(m.Payload, &p); err != nil || p.Text == "" {
			return core.Errorf(core.EINVALID, "slack: %s message %d has no text", m.Kind, m.ID)
		}
		msg := rendered{Text: p.Text}
		if sectionFits(p.Text) {
			msg.Blocks = []slackapi.Block{section(p.Text)}
		}
		return b.deliver(ctx, rt, msg)
	}
	var r core.Reply
	if err := json.Unmarshal(m.Payload, &r); err != nil {
		return core.WrapError(core.EINVALID, err, "slack: reply payload of message %d", m.ID)
	}
	lang := bots.Lang(r, "")
	if r.Outcome == core.OutcomeNeedLocation && rt.User != "" {
		return b.sendLink(ctx, rt, r, lang)
	}
	if r.Outcome == core.OutcomeConfirm {
		return b.deliver(ctx, rt, confirmMessage(r, lang, rt.Team, rt.User)) // confirm.go
	}
	if rt.Said != "" && r.Outcome == core.OutcomeHelp {
		return b.deliver(ctx, rt, saidMessage(rt.Said, lang)) // render.go
	}
	// Only a DM answer becomes the requester's card, edited as the request
	// changes; elsewhere the Withdraw button would outlive the decision.
	card := rt.ResponseURL == "" && rt.TS == "" && !rt.Ephemeral && rt.User != ""
	msg := withWithdrawButton(replyMessage(r, lang), r, lang, rt.Team, rt.User, !card) // withdraw.go
	if id, ok := bots.WithdrawOffer(r); ok && card {
		return b.postRequesterCard(ctx, rt, msg, id) // withdraw.go
	}
	return b.deliver(ctx, rt, msg)
}

// sendLink posts the "share your location" message with a button to a new
// link whose own route points back at that message, so the page's result
// replaces it.
func (b *Bot) sendLink(ctx context.Context, rt Route, r core.Reply, lang string) error {
	req := bots.LinkRequest{
		Actor: identity(rt.Team, rt.User), Name: r.EmployeeName, Lang: lang, Intent: r.Kind,
		ReplyPlatform: core.PlatformSlack,
	}
	link := func(result Route) (rendered, error) {
		req.ReplyRoute = result.Encode()
		url, err := b.links.PunchLink(ctx, req)
		if err != nil {
			return rendered{}, err
		}
		return linkMessage(lang, r.Kind, url), nil
	}
	switch {
	case rt.ResponseURL != "":
		msg, err := link(Route{ResponseURL: rt.ResponseURL, Replace: true, Team: rt.Team, User: rt.User})
		if err != nil {
			return err
		}
		return b.deliver(ctx, Route{ResponseURL: rt.ResponseURL, Replace: rt.Replace}, msg)
	case rt.TS != "" || rt.Ephemeral:
		// An ephemeral message cannot be updated by chat.update, so its
		// result arrives as another ephemeral message.
		msg, err := link(Route{Channel: rt.Channel, TS: rt.TS, ThreadTS: rt.ThreadTS, Ephemeral: rt.Ephemeral, Team: rt.Team, User: rt.User})
		if err != nil {
			return err
		}
		return b.deliver(ctx, rt, msg)
	}
	// A DM: post first to learn the message's ts, then put the button in with
	// chat.update, so the result can replace this very message. If the update
	// fails the outbox retries the whole send; the stray first message has no
	// button and so cannot punch.
	placeholder := linkMessage(lang, r.Kind, "")
	channel, ts, err := b.api.PostMessageContext(ctx, rt.Channel, b.msgOptions(rt, placeholder)...)
	if err != nil {
		return slackError(err)
	}
	msg, err := link(Route{Channel: channel, TS: ts, Team: rt.Team, User: rt.User})
	if err != nil {
		return err
	}
	return b.deliver(ctx, Route{Channel: channel, TS: ts}, msg)
}

func (b *Bot) msgOptions(rt Route, msg rendered) []slackapi.MsgOption {
	opts := []slackapi.MsgOption{slackapi.MsgOptionText(msg.Text, true), slackapi.MsgOptionBlocks(msg.Blocks...)}
	if rt.ThreadTS != "" && rt.TS == "" {
		opts = append(opts, slackapi.MsgOptionTS(rt.ThreadTS))
	}
	return opts
}

// deliver sends msg the way the route says, through slack-go v0.35.0
// (chat.go): response_url gets a JSON POST {text, blocks, response_type,
// replace_original} (responseURLSender; up to 5 posts within 30 minutes,
// https://docs.slack.dev/interactivity/handling-user-interaction); chat.update
// (channel, ts), chat.postEphemeral (channel, user) and chat.postMessage
// (channel, a user id posting to the app's DM) are form POSTs with the
// token (formSender; https://docs.slack.dev/reference/methods/chat.postMessage,
// /chat.update, /chat.postEphemeral). A 429 becomes
// *slackapi.RateLimitedError with Retry-After (misc.go).
func (b *Bot) deliver(ctx context.Context, rt Route, msg rendered) error {
	opts := b.msgOptions(rt, msg)
	var err error
	switch {
	case rt.ResponseURL != "":
		if rt.Replace {
			opts = append(opts, slackapi.MsgOptionReplaceOriginal(rt.ResponseURL))
		} else {
			opts = append(opts, slackapi.MsgOptionResponseURL(rt.ResponseURL, slackapi.ResponseTypeEphemeral))
		}
		_, _, err = b.api.PostMessageContext(ctx, "", opts...)
	case rt.TS != "":
		_, _, _, err = b.api.UpdateMessageContext(ctx, rt.Channel, rt.TS, opts...)
	case rt.Ephemeral && rt.User != "":
		_, err = b.api.PostEphemeralContext(ctx, rt.Channel, rt.User, opts...)
	default:
		_, _, err = b.api.PostMessageContext(ctx, rt.Channel, opts...)
	}
	return slackError(err)
}

// permanent lists Slack errors that no retry can fix: the message or its
// address is wrong. Set-up errors (configErrors) and server errors stay
// queued so that fixing the token or waiting out an incident delivers them.
var permanent = []string{
	"channel_not_found", "not_in_channel", "is_archived", "msg_too_long", "no_text", "invalid_blocks",
	"invalid_blocks_format", "user_not_found", "user_not_in_channel", "cant_update_message", "message_not_found",
	"edit_window_closed", "invalid_arguments", "too_many_attachments", "expired_url", "used_url",
}

// configErrors are Slack errors that mean the app's set-up is wrong, not the
// message, each with what to fix. They come from the "Errors" tables of
// Slack's method reference (https://docs.slack.dev/reference/methods/chat.postMessage
// and conversations.open) and from
// https://docs.slack.dev/authentication/tokens (token types). The outbox
// keeps such messages queued until the set-up is fixed (core.ECONFIG).
var configErrors = map[string]string{
	"missing_scope":             "the bot token lacks the scope %s: add it under api.slack.com/apps → OAuth & Permissions → Bot Token Scopes (or paste bots/slack/manifest.yaml again) and reinstall the app, then update PUNCHBOT_SLACK_BOT_TOKEN if it changed",
	"not_authed":                "no bot token was sent: set PUNCHBOT_SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…)",
	"invalid_auth":              "PUNCHBOT_SLACK_BOT_TOKEN is not a valid token for this workspace: copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions again",
	"token_revoked":             "the bot token was revoked (the app was uninstalled or the token rotated): reinstall the app and set PUNCHBOT_SLACK_BOT_TOKEN to the new Bot User OAuth Token",
	"token_expired":             "the bot token expired (token rotation is on): turn token rotation off for punchbot's app, reinstall it and set PUNCHBOT_SLACK_BOT_TOKEN to the new token",
	"account_inactive":          "the bot token belongs to a deleted app, user or workspace: reinstall the app and set PUNCHBOT_SLACK_BOT_TOKEN to the new Bot User OAuth Token",
	"not_allowed_token_type":    "PUNCHBOT_SLACK_BOT_TOKEN must be the bot token (xoxb-…), not a user (xoxp-) or app-level (xapp-) token",
	"no_permission":             "the workspace does not allow the app this call: ask a workspace admin to approve the app and its scopes",
	"team_access_not_granted":   "the app is not installed in the recipient's workspace: install it there too",
	"ekm_access_denied":         "the workspace's Enterprise Key Management refuses the call: ask a workspace admin",
	"accesslimited":             "the workspace only allows API calls from listed IP addresses: add punchbot's egress IP under the app's OAuth & Permissions → Restrict API Token Usage",
	"messages_tab_disabled":     "the app's Messages tab is off, so nobody can get a DM from it: turn on App Home → Messages Tab (features.app_home.messages_tab_enabled in bots/slack/manifest.yaml)",
	"two_factor_setup_required": "the workspace requires two-factor authentication of the account that owns the token: ask a workspace admin",
}

// rateLimitedErrors are the rate-limit refusals Slack sends as an HTTP 200
// {"ok":false,"error":…} rather than a 429 with Retry-After (which slack-go
// turns into *slackapi.RateLimitedError, misc.go): chat.postMessage,
// chat.postEphemeral and chat.meMessage list "rate_limited" ("Application
// has posted too many messages", the Errors table of
// https://docs.slack.dev/reference/methods/chat.postMessage, copied in
// slack-ruby/slack-api-ref methods/chat/chat.postMessage.json), and
// "ratelimited" is the error code of the 429 body itself.
var rateLimitedErrors = []string{"rate_limited", "ratelimited"}

// noRetryAfterWait is how long a rate-limit refusal without Retry-After
// pauses: Slack's limits are counted per minute (Tier 1–4, "per minute",
// https://docs.slack.dev/apis/web-api/rate-limits), so a minute always
// lets the window turn over.
const noRetryAfterWait = time.Minute

// slackError maps slack-go errors to core codes for the outbox: ERATELIMIT
// with Slack's Retry-After, ECONFIG for the app's set-up (configErrors),
// EINVALID for errors that will never succeed, EUNAVAILABLE for everything
// worth retrying.
func slackError(err error) error {
	if err == nil {
		return nil
	}
	var rl *slackapi.RateLimitedError
	if errors.As(err, &rl) {
		return &core.Error{Code: core.ERATELIMIT, Message: "slack rate limit", RetryAfter: rl.RetryAfter, Err: err}
	}
	var se slackapi.SlackErrorResponse
	if errors.As(err, &se) {
		if slices.Contains(rateLimitedErrors, se.Err) {
			return &core.Error{Code: core.ERATELIMIT, Message: "slack rate limit (" + se.Err + ")", RetryAfter: noRetryAfterWait, Err: err}
		}
		if fix, ok := configErrors[se.Err]; ok {
			if strings.Contains(fix, "%s") {
				needed := se.Needed
				if needed == "" {
					needed = "named in punchbot's log"
				}
				fix = fmt.Sprintf(fix, needed)
			}
			return core.ConfigError(se.Err, "Slack: "+fix, err)
		}
		if slices.Contains(permanent, se.Err) {
			return core.WrapError(core.EINVALID, err, "slack refused the message")
		}
		return core.WrapError(core.EUNAVAILABLE, err, "slack API error")
	}
	var sc slackapi.StatusCodeError
	if errors.As(err, &sc) {
		switch {
		case sc.Code == http.StatusNotFound || sc.Code == http.StatusGone:
			// An expired or exhausted response_url.
			return core.WrapError(core.EINVALID, err, "slack response URL is gone")
		case sc.Code >= 400 && sc.Code < 500 && sc.Code != http.StatusRequestTimeout:
			return core.WrapError(core.EINVALID, err, "slack refused the request")
		}
	}
	return core.WrapError(core.EUNAVAILABLE, err, "slack unreachable")
}
