package feishu

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// Limits of the event endpoint.
const (
	// MaxBodyBytes caps a callback body; real events are a few KB.
	MaxBodyBytes = 1 << 20
	// MaxClockSkew is how far X-Lark-Request-Timestamp may be from our clock.
	// Feishu stamps every push (retries included) afresh, so an old stamp
	// means a replayed capture.
	MaxClockSkew = 5 * time.Minute
)

// requestError is a rejected callback: the status to answer and why.
type requestError struct {
	status int
	msg    string
}

func (e *requestError) Error() string { return e.msg }

func reject(status int, msg string) *requestError { return &requestError{status: status, msg: msg} }

// inbound is a callback after authentication and decryption.
type inbound struct {
	plain       []byte // the decrypted JSON the dispatcher receives
	challenge   string // set for url_verification
	isChallenge bool
	schema2     bool
	eventID     string
	eventType   string
}

// envelopeFields is what the handler reads from any callback before the
// SDK's dispatcher sees it: the v2 header, or the v1/challenge top level.
type envelopeFields struct {
	Encrypt   *string                `json:"encrypt"`
	Schema    string                 `json:"schema"`
	Type      string                 `json:"type"`
	Token     string                 `json:"token"`
	Challenge string                 `json:"challenge"`
	UUID      string                 `json:"uuid"`
	Header    *larkevent.EventHeader `json:"header"`
}

// verifier holds the secrets that authenticate callbacks.
type verifier struct {
	token      string // Verification Token
	encryptKey string // Encrypt Key; empty when the app sends plaintext
	now        func() time.Time
}

// decode authenticates, decrypts and classifies one callback. It is the
// event parser the fuzz target exercises: whatever the input, it returns
// either a usable inbound or a requestError with a 4xx status.
//
// Order matters: the signature covers the raw body, so it is checked before
// anything is decrypted or parsed. Feishu does not sign the URL-verification
// challenge (the SDK skips the check for it too), so an unsigned body is
// accepted only if it turns out to be a challenge carrying the right token.
func (v verifier) decode(h http.Header, body []byte) (inbound, error) {
	var in inbound
	sig := h.Get(larkevent.EventSignature)
	signed := false
	if v.encryptKey != "" && sig != "" {
		if err := v.checkTimestamp(h.Get(larkevent.EventRequestTimestamp)); err != nil {
			return in, err
		}
		if !validSignature(sig, h.Get(larkevent.EventRequestTimestamp), h.Get(larkevent.EventRequestNonce), v.encryptKey, body) {
			return in, reject(http.StatusUnauthorized, "bad X-Lark-Signature")
		}
		signed = true
	}

	var outer envelopeFields
	if err := json.Unmarshal(body, &outer); err != nil {
		return in, reject(http.StatusBadRequest, "body is not JSON")
	}
	plain := body
	fields := outer
	if outer.Encrypt != nil {
		if v.encryptKey == "" {
			return in, reject(http.StatusBadRequest, "body is encrypted but no Encrypt Key is configured")
		}
		var err error
		if plain, err = Decrypt(*outer.Encrypt, v.encryptKey); err != nil {
			return in, reject(http.StatusBadRequest, "cannot decrypt: "+err.Error())
		}
		fields = envelopeFields{}
		if err := json.Unmarshal(plain, &fields); err != nil {
			return in, reject(http.StatusBadRequest, "decrypted body is not JSON")
		}
		if fields.Encrypt != nil {
			return in, reject(http.StatusBadRequest, "nested encryption")
		}
	}
	in.plain = plain

	if fields.Type == string(larkevent.ReqTypeChallenge) {
		if !sameSecret(fields.Token, v.token) {
			return in, reject(http.StatusUnauthorized, "wrong verification token")
		}
		in.isChallenge, in.challenge = true, fields.Challenge
		return in, nil
	}

	// Everything else is an event and must be authentic and fresh.
	if v.encryptKey != "" && !signed {
		return in, reject(http.StatusUnauthorized, "missing X-Lark-Signature")
	}
	if v.encryptKey == "" {
		// Without an Encrypt Key there is no signature; the token is the
		// only secret, and a timestamp, when sent, still bounds replays.
		if ts := h.Get(larkevent.EventRequestTimestamp); ts != "" {
			if err := v.checkTimestamp(ts); err != nil {
				return in, err
			}
		}
	}
	token := fields.Token
	if fields.Header != nil {
		token = fields.Header.Token
		in.schema2 = true
		in.eventID, in.eventType = fields.Header.EventID, fields.Header.EventType
	} else {
		in.eventID = fields.UUID
	}
	if !sameSecret(token, v.token) {
		return in, reject(http.StatusUnauthorized, "wrong verification token")
	}
	if in.schema2 && in.eventID == "" {
		return in, reject(http.StatusBadRequest, "event has no header.event_id")
	}
	return in, nil
}

// checkTimestamp rejects a request stamped more than MaxClockSkew away from
// our clock, in either direction.
func (v verifier) checkTimestamp(ts string) error {
	if ts == "" {
		return reject(http.StatusUnauthorized, "missing X-Lark-Request-Timestamp")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return reject(http.StatusBadRequest, "X-Lark-Request-Timestamp is not a number")
	}
	at := time.Unix(sec, 0)
	if sec > 100_000_000_000 {
		at = time.UnixMilli(sec) // Feishu sends seconds; tolerate milliseconds
	}
	skew := v.now().Sub(at)
	if skew > MaxClockSkew || skew < -MaxClockSkew {
		return reject(http.StatusUnauthorized, "X-Lark-Request-Timestamp is outside the 5 minute window")
	}
	return nil
}

// route is where a reply goes, written into Command.ReplyRoute and read back
// by Send: reply to the user's message, or create a message for ReceiveID.
type route struct {
	MessageID     string `json:"message_id,omitempty"`
	ReceiveID     string `json:"receive_id,omitempty"`
	ReceiveIDType string `json:"receive_id_type,omitempty"`
	// Lang is the language the user wrote in, for replies to people the
	// core does not know (and so cannot name a language for).
	Lang string `json:"lang,omitempty"`
}

// errIgnore marks an event the bot deliberately does nothing with.
var errIgnore = errors.New("ignored")

// messageCommand translates an im.message.receive_v1 event into a core
// command. botOpenID is the bot's own open_id ("" if unknown) for deciding
// whether a group message is addressed to it. It returns errIgnore for
// messages the bot does not act on (other senders, unaddressed group
// messages, message types other than text and location).
func messageCommand(ev *larkim.P2MessageReceiveV1, botOpenID string, receivedAt time.Time) (core.Command, error) {
	if ev == nil || ev.Event == nil || ev.Event.Message == nil || ev.Event.Sender == nil || ev.Event.Sender.SenderId == nil {
		return core.Command{}, errIgnore
	}
	msg, sender := ev.Event.Message, ev.Event.Sender
	if s(sender.SenderType) != "user" {
		return core.Command{}, errIgnore // bots and apps: never answer another bot
	}
	ids := sender.SenderId
	primary := s(ids.OpenId)
	var alts []string
	for _, id := range []string{s(ids.UserId), s(ids.UnionId)} {
		if id != "" {
			if primary == "" {
				primary = id
				continue
			}
			alts = append(alts, id)
		}
	}
	if primary == "" {
		return core.Command{}, errIgnore
	}
	switch s(msg.ChatType) {
	case "p2p":
	case "group", "topic_group":
		if !mentionsBot(msg.Mentions, botOpenID) {
			return core.Command{}, errIgnore
		}
	default:
		return core.Command{}, errIgnore
	}

	tenant := ""
	if ev.EventV2Base != nil && ev.EventV2Base.Header != nil {
		tenant = ev.EventV2Base.Header.TenantKey
	}
	if tenant == "" {
		tenant = s(sender.TenantKey)
	}
	eventID := ""
	if ev.EventV2Base != nil && ev.EventV2Base.Header != nil {
		eventID = ev.EventV2Base.Header.EventID
	}
	cmd := core.Command{
		Actor:      core.Identity{Platform: core.PlatformFeishu, Tenant: tenant, UserID: primary},
		AltUserIDs: alts,
		At:         millis(s(msg.CreateTime)),
		ReceivedAt: receivedAt,
		EventID:    eventID,
	}
	rt := route{MessageID: s(msg.MessageId), ReceiveID: primary, ReceiveIDType: "open_id"}
	if ids.OpenId == nil || *ids.OpenId == "" {
		rt.ReceiveIDType = "user_id"
	}
	if s(msg.ChatType) != "p2p" && s(msg.ChatId) != "" {
		rt.ReceiveID, rt.ReceiveIDType = s(msg.ChatId), "chat_id"
	}

	content := s(msg.Content)
	switch s(msg.MessageType) {
	case "text":
		var c struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal([]byte(content), &c); err != nil {
			return core.Command{}, reject(http.StatusBadRequest, "text content is not JSON")
		}
		text := stripMentions(c.Text, msg.Mentions)
		intent := bots.Parse(text)
		rt.Lang = intent.Lang
		if bots.LinkCommand(intent, &cmd) {
			rt = privateRoute(rt, primary, s(ids.OpenId) != "")
			break
		}
		if intent.Verb == bots.VerbMakeup {
			mc := bots.MakeupCommand(bots.ParseMakeup(intent.Args))
			cmd.Kind, cmd.Makeup = mc.Kind, mc.Makeup
			break
		}
		switch intent.Kind {
		case core.CmdPunch, core.CmdStatus, core.CmdHelp:
			cmd.Kind, cmd.Punch = intent.Kind, intent.Punch
		default:
			// Anything not understood (or a verb this bot does not handle
			// yet) gets the command list rather than silence.
			cmd.Kind = core.CmdHelp
		}
	case "location":
		var c struct {
			Name      string `json:"name"`
			Longitude string `json:"longitude"`
			Latitude  string `json:"latitude"`
		}
		if err := json.Unmarshal([]byte(content), &c); err != nil {
			return core.Command{}, reject(http.StatusBadRequest, "location content is not JSON")
		}
		// Unparsable numbers become NaN so the core rejects the punch with
		// "bad coordinates" and the user is asked to share it again.
		cmd.Kind, cmd.Punch = core.CmdPunch, core.KindAuto
		cmd.Location = &core.Location{Lat: number(c.Latitude), Lng: number(c.Longitude), Datum: core.GCJ02, Label: c.Name}
	case "image", "file", "media":
		// Right after a make-up request, a file is its evidence.
		args, ok := evidenceArgs(s(msg.MessageType), s(msg.MessageId), content)
		if !ok {
			return core.Command{}, errIgnore
		}
		cmd.Kind, cmd.Makeup = core.CmdMakeupEvidence, args
	default:
		return core.Command{}, errIgnore
	}
	buf, _ := json.Marshal(rt)
	cmd.ReplyRoute = string(buf)
	return cmd, nil
}

// mentionsBot reports whether a group message is addressed to the bot. When
// the bot's open_id is unknown (bot info unavailable) any mention other than
// @all counts: with only the group_at_msg permission Feishu delivers nothing
// else anyway.
func mentionsBot(mentions []*larkim.MentionEvent, botOpenID string) bool {
	for _, m := range mentions {
		if m == nil || s(m.Key) == "@_all" {
			continue
		}
		if botOpenID == "" {
			return true
		}
		if m.Id != nil && s(m.Id.OpenId) == botOpenID {
			return true
		}
	}
	return false
}

// stripMentions removes the @_user_N placeholders Feishu puts in the text
// for each mention.
func stripMentions(text string, mentions []*larkim.MentionEvent) string {
	for _, m := range mentions {
		if m != nil && s(m.Key) != "" {
			text = strings.ReplaceAll(text, s(m.Key), " ")
		}
	}
	return strings.Join(strings.Fields(text), " ")
}

func s(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// millis parses a millisecond timestamp string; zero when absent or bad, in
// which case the core uses the receipt time.
func millis(v string) time.Time {
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

func number(v string) float64 {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return math.NaN()
	}
	return f
}
