package slack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// Reminder delivery on Slack: one direct message per person, the DM
// channel found with conversations.open (and remembered, so a person's
// later reminders cost one call) and the message posted with
// chat.postMessage; named channels get chat.postMessage directly.
//
// Rate limits: chat.postMessage allows about one message per second per
// channel with short bursts, and a workspace-wide budget of several hundred
// per minute; conversations.open is Tier 3 (50+ per minute). The default
// bucket of 4 deliveries per second (240 per minute) stays inside both for
// steady traffic. Slack answers 429 with Retry-After when a limit is hit;
// the outbox worker pauses the bucket for that long and halves its rate.

// DefaultNoticeRate and DefaultNoticeBurst are the default token bucket of
// Slack deliveries (per second, burst).
const (
	DefaultNoticeRate  = 4
	DefaultNoticeBurst = 10
)

// noticeBatch is how many due deliveries one claim takes; each is its own
// call, so a claim lasts a few seconds at the default rate.
const noticeBatch = 50

// maxDMCache bounds the remembered DM channels; past it the cache starts
// over rather than grow without limit.
const maxDMCache = 200_000

// dmCache remembers the DM channel of each user.
type dmCache struct {
	mu sync.Mutex
	m  map[string]string
}

func (c *dmCache) get(user string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.m[user]
	return ch, ok
}

func (c *dmCache) put(user, channel string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxDMCache {
		c.m = map[string]string{}
	}
	c.m[user] = channel
}

var _ core.BatchSender = (*Bot)(nil)

// MaxBatch is how many due messages one claim takes.
func (b *Bot) MaxBatch() int { return noticeBatch }

// Group sends every message on its own: Slack has no multi-recipient send.
func (b *Bot) Group(msgs []core.OutboxMessage) [][]core.OutboxMessage {
	out := make([][]core.OutboxMessage, len(msgs))
	for i, m := range msgs {
		out[i] = []core.OutboxMessage{m}
	}
	return out
}

// SendGroup sends the one message of a group.
func (b *Bot) SendGroup(ctx context.Context, group []core.OutboxMessage) []error {
	errs := make([]error, len(group))
	for i, m := range group {
		errs[i] = b.Send(ctx, m)
	}
	return errs
}

// sendNotice delivers a reminder or broadcast to a person's DM or a channel.
func (b *Bot) sendNotice(ctx context.Context, m core.OutboxMessage) error {
	var to core.Recipient
	if err := json.Unmarshal([]byte(m.Route), &to); err != nil || (to.UserID == "" && to.ChatID == "") {
		return core.Errorf(core.EINVALID, "slack: notice %d has no usable recipient %q", m.ID, m.Route)
	}
	var n core.Notice
	if err := json.Unmarshal(m.Payload, &n); err != nil {
		return core.WrapError(core.EINVALID, err, "slack: notice %d: payload is not a notice", m.ID)
	}
	msg := noticeMessage(n, bots.NoticeLang(n, to.Lang), to.Lang, b.makeups != nil)
	if strings.TrimSpace(msg.Text) == "" {
		return core.Errorf(core.EINVALID, "slack: notice %d renders to nothing", m.ID)
	}
	channel := to.ChatID
	if channel == "" {
		var err error
		if channel, err = b.dmChannel(ctx, to.UserID); err != nil {
			return err
		}
	}
	return b.deliver(ctx, Route{Channel: channel}, msg)
}

// dmChannel returns the DM channel with a user, opening it once
// (conversations.open users=…&return_im=true, scope im:write;
// https://docs.slack.dev/reference/methods/conversations.open).
func (b *Bot) dmChannel(ctx context.Context, user string) (string, error) {
	if ch, ok := b.dms.get(user); ok {
		return ch, nil
	}
	ch, _, _, err := b.api.OpenConversationContext(ctx, &slackapi.OpenConversationParameters{Users: []string{user}, ReturnIM: true})
	if err != nil {
		var se slackapi.SlackErrorResponse
		if errors.As(err, &se) && slices.Contains([]string{"user_not_found", "user_disabled", "cannot_dm_bot", "users_list_not_supplied"}, se.Err) {
			return "", core.WrapError(core.EINVALID, err, "slack cannot open a DM with %s", user)
		}
		return "", slackError(err)
	}
	if ch == nil || ch.ID == "" {
		return "", core.Errorf(core.EUNAVAILABLE, "slack conversations.open returned no channel for %s", user)
	}
	b.dms.put(user, ch.ID)
	return ch.ID, nil
}

// maxSectionText is Slack's limit on a section block's text: "Maximum
// length for the text in this field is 3000 characters"
// (https://docs.slack.dev/reference/block-kit/blocks/section-block). A
// longer section is refused as invalid_blocks, so a longer text goes as
// the message's text alone, which Slack takes up to 40,000 characters
// (https://docs.slack.dev/reference/methods/chat.postMessage, "Truncating
// content").
const maxSectionText = 3000

// sectionFits reports whether text fits one section block. Slack counts
// characters, not bytes: 1,500 Chinese characters (4,500 bytes) fit.
func sectionFits(text string) bool { return utf8.RuneCountInString(text) <= maxSectionText }

// ActionNoticeMakeup is the "Request make-up" button of a missed-punch
// notice: it opens the make-up form filled in for the first missing slot.
const ActionNoticeMakeup = "notice_makeup"

// noticeMakeup is the button's value: the slot to prefill.
type noticeMakeup struct {
	Date string `json:"date"`
	Time string `json:"time"`
	Kind string `json:"kind"`
	Lang string `json:"lang"`
}

// noticeMessage renders a notice: HR's markdown as Slack mrkdwn, anything
// else as plain text (so names from the org file are never read as
// markup). A missed-punch notice gets a button to the make-up form when
// the make-up flow is wired in.
func noticeMessage(n core.Notice, lang, fallback string, makeupForm bool) rendered {
	text := bots.NoticeTextOn(n, fallback, core.PlatformSlack)
	msg := rendered{Text: text}
	if !sectionFits(text) {
		return msg
	}
	if n.Kind == core.ReminderBroadcast && n.Markdown {
		msg.Blocks = []slackapi.Block{slackapi.NewSectionBlock(slackapi.NewTextBlockObject(slackapi.MarkdownType, mrkdwn(text), false, false), nil, nil)}
		return msg
	}
	if n.Kind != core.ReminderBroadcast {
		msg.Blocks = append(msg.Blocks, slackapi.NewHeaderBlock(plain(bots.NoticeTitle(n, lang))))
	}
	msg.Blocks = append(msg.Blocks, section(text))
	if n.Kind == core.ReminderPunchIn || n.Kind == core.ReminderPunchOut || n.Kind == core.ReminderStillClockedIn {
		// Slack cannot send a location: the buttons run the punch, whose
		// answer carries the button to the location page.
		msg.Blocks = append(msg.Blocks, actionButtons(lang))
	}
	if n.Kind == core.ReminderMissedPunch && makeupForm && len(n.Missing) > 0 {
		slot := n.Missing[0]
		value, _ := json.Marshal(noticeMakeup{Date: slot.Date, Time: slot.At.In(bots.Zone(n.TimeZone)).Format("15:04"), Kind: string(slot.Kind), Lang: lang})
		btn := slackapi.NewButtonBlockElement(ActionNoticeMakeup, string(value), plain(bots.MakeupButtonLabel(lang)))
		btn.Style = slackapi.StylePrimary
		msg.Blocks = append(msg.Blocks, slackapi.NewActionBlock("notice_actions", btn))
	}
	return msg
}

// noticeInteraction answers a click on a notice's "Request make-up"
// button by opening the make-up form for the slot. It reports whether the
// request was its to answer.
func (b *Bot) noticeInteraction(w http.ResponseWriter, r *http.Request, cb slackapi.InteractionCallback) bool {
	if cb.Type != slackapi.InteractionTypeBlockActions {
		return false
	}
	for _, a := range cb.ActionCallback.BlockActions {
		if a.ActionID != ActionNoticeMakeup {
			continue
		}
		var v noticeMakeup
		if err := json.Unmarshal([]byte(a.Value), &v); err != nil || cb.TriggerID == "" {
			http.Error(w, "malformed make-up button", http.StatusBadRequest)
			return true
		}
		if _, err := b.api.OpenViewContext(r.Context(), cb.TriggerID, prefilledMakeupForm(v)); err != nil {
			b.log.Warn("slack: cannot open the make-up form", "err", err)
		}
		w.WriteHeader(http.StatusOK)
		return true
	}
	return false
}

// prefilledMakeupForm is the make-up form with the slot's date, time and
// direction filled in; the person only types the reason.
func prefilledMakeupForm(v noticeMakeup) slackapi.ModalViewRequest {
	view := makeupForm(v.Lang)
	for _, blk := range view.Blocks.BlockSet {
		in, ok := blk.(*slackapi.InputBlock)
		if !ok {
			continue
		}
		switch el := in.Element.(type) {
		case *slackapi.DatePickerBlockElement:
			if in.BlockID == blockDate {
				el.InitialDate = v.Date
			}
		case *slackapi.TimePickerBlockElement:
			if in.BlockID == blockTime {
				el.InitialTime = v.Time
			}
		case *slackapi.RadioButtonsBlockElement:
			if in.BlockID == blockKind {
				for _, o := range el.Options {
					if o.Value == v.Kind {
						el.InitialOption = o
					}
				}
			}
		}
	}
	return view
}

var (
	mdBold = regexp.MustCompile(`\*\*([^*\n]+)\*\*`)
	mdLink = regexp.MustCompile(`\[([^\]\n]+)\]\((https?://[^)\s]+)\)`)
)

// mrkdwn turns the common Markdown HR writes into Slack's mrkdwn: **bold**
// is *bold* and [text](url) is <url|text>.
func mrkdwn(s string) string {
	s = mdBold.ReplaceAllString(s, "*$1*")
	return mdLink.ReplaceAllString(s, "<$2|$1>")
}
