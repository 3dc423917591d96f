package feishu

import (
	"bytes"
	"crypto/cipher"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"

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

// inbound is a callback after authentication, decryption and decoding.
type inbound struct {
	challenge   string // set for url_verification
	isChallenge bool
	schema2     bool
	eventID     string
	eventType   string
	env         *callbackEnvelope // the whole decoded callback
	// shapeErr is set when a field inside "event" had the wrong JSON type;
	// it matters only for the event types the bot handles.
	shapeErr error
}

// callbackEnvelope is one callback read in a single pass over its
// plaintext: the top level of a URL-verification challenge and of a legacy
// v1 callback, the v2.0 header, and the body of the two event types the bot
// acts on. Decoding it once replaces the SDK's generic dispatcher, which
// parsed the plaintext twice more (its EventFuzzy, then the typed event) on
// every punch. Envelope and header: Feishu's event documentation
// (https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message/events/receive)
// and lark@v3.9.2 event/model.go EventHeader, EventFuzzy.
type callbackEnvelope struct {
	Encrypt   *string                `json:"encrypt"`
	Schema    string                 `json:"schema"`
	Type      string                 `json:"type"`
	Token     string                 `json:"token"`
	Challenge string                 `json:"challenge"`
	UUID      string                 `json:"uuid"`
	Header    *larkevent.EventHeader `json:"header"`
	Event     eventBody              `json:"event"`
}

// eventBody holds the fields of both event bodies the bot handles; their
// keys do not overlap, and the keys of other event types are skipped by
// the decoder without allocating.
type eventBody struct {
	// card.action.trigger: the SDK's own request type, which the card
	// handlers take (lark@v3.9.2 event/dispatcher/callback/model.go; docs
	// https://open.larkoffice.com/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/handle-card-callbacks).
	callback.CardActionTriggerRequest
	// im.message.receive_v1
	messageEvent
}

// messageEvent is the body of im.message.receive_v1 with only the fields
// the bot reads, as plain strings: the SDK's P2MessageReceiveV1Data has a
// pointer per field, a dozen allocations per event on the punch path.
// Fields: https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message/events/receive
// (lark@v3.9.2 service/im/v1/model.go EventSender, UserId, EventMessage,
// MentionEvent).
type messageEvent struct {
	Sender  eventSender  `json:"sender"`
	Message eventMessage `json:"message"`
}

type eventSender struct {
	SenderID   userIDs `json:"sender_id"`
	SenderType string  `json:"sender_type"` // "user" for people
	TenantKey  string  `json:"tenant_key"`
}

type userIDs struct {
	OpenID  string `json:"open_id"`
	UnionID string `json:"union_id"`
	UserID  string `json:"user_id"`
}

type eventMessage struct {
	MessageID   string `json:"message_id"`
	CreateTime  string `json:"create_time"` // milliseconds, as a string
	ChatID      string `json:"chat_id"`
	ChatType    string `json:"chat_type"`    // p2p, group, topic_group
	MessageType string `json:"message_type"` // text, location, image, file, …
	// Content is JSON in a string; its shape depends on MessageType:
	// https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/im-v1/message/events/message_content
	Content  string    `json:"content"`
	Mentions []mention `json:"mentions"`
}

type mention struct {
	Key string  `json:"key"` // the @_user_N placeholder in the text
	ID  userIDs `json:"id"`
}

// verifier holds the secrets that authenticate callbacks.
type verifier struct {
	token      string // Verification Token
	encryptKey string // Encrypt Key; empty when the app sends plaintext
	now        func() time.Time
	block      cipher.Block // AES-256 under sha256(encryptKey), expanded once
	bufs       *bufPool
}

func newVerifier(token, encryptKey string, now func() time.Time) verifier {
	v := verifier{token: token, encryptKey: encryptKey, now: now, bufs: newBufPool()}
	if encryptKey != "" {
		v.block = newBlock(encryptKey)
	}
	return v
}

// decode authenticates, decrypts and classifies one callback. It is the
// event parser the fuzz target exercises: whatever the input, it returns
// either a usable inbound or a requestError with a 4xx status. It keeps no
// reference to body.
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
		if !v.validSignature(sig, h.Get(larkevent.EventRequestTimestamp), h.Get(larkevent.EventRequestNonce), body) {
			return in, reject(http.StatusUnauthorized, "bad X-Lark-Signature")
		}
		signed = true
	}

	env := &callbackEnvelope{}
	var shapeErr error
	enc, encrypted := encryptedOnly(body) // the usual shape, read without a decoder
	if !encrypted {
		var err error
		if shapeErr, err = decodeEnvelope(body, env); err != nil {
			return in, reject(http.StatusBadRequest, "body is not JSON")
		}
		if env.Encrypt != nil {
			enc, encrypted = []byte(*env.Encrypt), true
			*env = callbackEnvelope{}
		}
	}
	if encrypted {
		if v.encryptKey == "" {
			return in, reject(http.StatusBadRequest, "body is encrypted but no Encrypt Key is configured")
		}
		var err error
		if shapeErr, err = v.decryptInto(env, enc); err != nil {
			return in, err
		}
	}
	in.env, in.shapeErr = env, shapeErr

	if env.Type == string(larkevent.ReqTypeChallenge) {
		if !sameSecret(env.Token, v.token) {
			return in, reject(http.StatusUnauthorized, "wrong verification token")
		}
		in.isChallenge, in.challenge = true, env.Challenge
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
	token := env.Token
	if env.Header != nil {
		token = env.Header.Token
		in.schema2 = true
		in.eventID, in.eventType = env.Header.EventID, env.Header.EventType
	} else {
		in.eventID = env.UUID
	}
	if !sameSecret(token, v.token) {
		return in, reject(http.StatusUnauthorized, "wrong verification token")
	}
	if in.schema2 && in.eventID == "" {
		return in, reject(http.StatusBadRequest, "event has no header.event_id")
	}
	return in, nil
}

// decryptInto opens the "encrypt" field and decodes the plaintext into
// env; shapeErr is decodeEnvelope's.
func (v verifier) decryptInto(env *callbackEnvelope, enc []byte) (shapeErr, err error) {
	block := v.block
	if block == nil {
		block = newBlock(v.encryptKey)
	}
	buf := v.bufs.get()
	defer v.bufs.put(buf)
	plain, err := decrypt(block, enc, buf)
	if err != nil {
		return nil, reject(http.StatusBadRequest, "cannot decrypt: "+err.Error())
	}
	if shapeErr, err = decodeEnvelope(plain, env); err != nil {
		return nil, reject(http.StatusBadRequest, "decrypted body is not JSON")
	}
	if env.Encrypt != nil {
		return nil, reject(http.StatusBadRequest, "nested encryption")
	}
	return shapeErr, nil
}

// decodeEnvelope decodes data into env. A value of the wrong JSON type
// inside "event" is returned as shapeErr, not err: encoding/json skips it
// and fills in the rest, and whether it matters depends on the event type,
// known only afterwards (an event the bot ignores may use the same keys
// differently). Any other error means the callback is malformed.
func decodeEnvelope(data []byte, env *callbackEnvelope) (shapeErr, err error) {
	err = json.Unmarshal(data, env)
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && (typeErr.Field == "event" || strings.HasPrefix(typeErr.Field, "event.")) {
		return err, nil
	}
	return nil, err
}

// encryptedOnly returns the base64 text of a body that is exactly
// {"encrypt":"…"} (what Feishu sends when an Encrypt Key is set), without
// running a JSON decoder over it. Anything else, an escape included, goes
// to the decoder.
func encryptedOnly(body []byte) ([]byte, bool) {
	const prefix = `{"encrypt":"`
	b := bytes.TrimSpace(body)
	if !bytes.HasPrefix(b, []byte(prefix)) {
		return nil, false
	}
	b = b[len(prefix):]
	end := bytes.IndexByte(b, '"')
	if end < 0 || bytes.IndexByte(b[:end], '\\') >= 0 {
		return nil, false
	}
	if rest := bytes.TrimSpace(b[end+1:]); len(rest) != 1 || rest[0] != '}' {
		return nil, false
	}
	return b[:end], true
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
	// User is the sender's id (the command's actor), even when the answer
	// goes to a group chat: a confirmation card is for them alone.
	User string `json:"user,omitempty"`
	// Lang is the language the user wrote in, for replies to people the
	// core does not know (and so cannot name a language for).
	Lang string `json:"lang,omitempty"`
	// Said is, for a message the grammar did not read as a command, what
	// it said (cut to bots.MaxQuote characters): the help reply quotes it
	// and, for a slip, names the command meant.
	Said string `json:"said,omitempty"`
	// Voice marks the help reply to a voice (audio) message, which says
	// that only text and locations are read.
	Voice bool `json:"voice,omitempty"`
}

// errIgnore marks an event the bot deliberately does nothing with.
var errIgnore = errors.New("ignored")

// messageCommand translates an im.message.receive_v1 event into a core
// command. hdr is its v2.0 header; botOpenID is the bot's own open_id (""
// if unknown) for deciding whether a group message is addressed to it. It
// returns errIgnore for messages the bot does not act on (other senders,
// unaddressed group messages, message types other than text and location).
func messageCommand(ev *messageEvent, hdr *larkevent.EventHeader, botOpenID string, receivedAt time.Time) (core.Command, error) {
	msg, sender := &ev.Message, &ev.Sender
	if sender.SenderType != "user" {
		return core.Command{}, errIgnore // bots and apps: never answer another bot
	}
	ids := sender.SenderID
	primary := ids.OpenID
	var alts []string
	for _, id := range [...]string{ids.UserID, ids.UnionID} {
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
	switch msg.ChatType {
	case "p2p":
	case "group", "topic_group":
		if !mentionsBot(msg.Mentions, botOpenID) {
			return core.Command{}, errIgnore
		}
	default:
		return core.Command{}, errIgnore
	}

	tenant, eventID := "", ""
	if hdr != nil {
		tenant, eventID = hdr.TenantKey, hdr.EventID
	}
	if tenant == "" {
		tenant = sender.TenantKey
	}
	cmd := core.Command{
		Actor:      core.Identity{Platform: core.PlatformFeishu, Tenant: tenant, UserID: primary},
		AltUserIDs: alts,
		At:         millis(msg.CreateTime),
		ReceivedAt: receivedAt,
		EventID:    eventID,
	}
	rt := route{MessageID: msg.MessageID, ReceiveID: primary, ReceiveIDType: "open_id", User: primary}
	if ids.OpenID == "" {
		rt.ReceiveIDType = "user_id"
	}
	if msg.ChatType != "p2p" && msg.ChatID != "" {
		rt.ReceiveID, rt.ReceiveIDType = msg.ChatID, "chat_id"
	}

	content := msg.Content
	switch msg.MessageType {
	case "text", "post":
		var c struct {
			Text string `json:"text"`
		}
		if msg.MessageType == "post" {
			// Rich text (a message with a line break or formatting, which
			// the client sends as post): its words are read as a text's.
			t, err := postText(content)
			if err != nil {
				return core.Command{}, reject(http.StatusBadRequest, "post content is not JSON")
			}
			c.Text = t
		} else if err := json.Unmarshal([]byte(content), &c); err != nil {
			return core.Command{}, reject(http.StatusBadRequest, "text content is not JSON")
		}
		text := stripMentions(c.Text, msg.Mentions)
		intent := bots.Parse(text)
		rt.Lang = intent.Lang
		if bots.LinkCommand(intent, &cmd) {
			rt = privateRoute(rt, primary, ids.OpenID != "")
			break
		}
		if intent.Verb == bots.VerbMakeup {
			mc := bots.MakeupCommand(bots.ParseMakeup(intent.Args))
			cmd.Kind, cmd.Makeup = mc.Kind, mc.Makeup
			break
		}
		if bots.LeaveInto(intent, &cmd) {
			break
		}
		switch intent.Kind {
		case core.CmdPunch, core.CmdStatus, core.CmdHistory, core.CmdHelp, core.CmdConfirm, core.CmdDecline:
			cmd.Kind, cmd.Punch = intent.Kind, intent.Punch
			if intent.Kind == core.CmdHistory {
				// A week of one person's attendance is theirs to read, not
				// the group's: asked in a group, it goes to them directly.
				rt = privateRoute(rt, primary, ids.OpenID != "")
			}
		default:
			// Anything not understood (or a verb this bot does not handle
			// yet) gets the command list rather than silence.
			cmd.Kind = core.CmdHelp
			if bots.NotUnderstood(text) {
				rt.Said = bots.Quote(text)
			}
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
	case "audio":
		// A voice message (接收消息内容结构, 音频 audio:
		// https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/im-v1/message/events/message_content)
		// is answered that only text and locations are read.
		cmd.Kind, rt.Voice = core.CmdHelp, true
	case "image", "file", "media":
		// Right after a make-up request, a file is its evidence.
		args, ok := evidenceArgs(msg.MessageType, msg.MessageID, content)
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

// postContent is a rich-text (post) message body as received: a title and
// paragraphs of elements, the words in "text" and "a" elements, mentions in
// "at" ones ("接收消息内容结构", 富文本 post:
// https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/im-v1/message/events/message_content).
// A body wrapped in a locale ({"zh_cn": {...}}, the shape sent) is read
// too.
type postContent struct {
	Title   string          `json:"title"`
	Content [][]postElement `json:"content"`
}

type postElement struct {
	Tag  string `json:"tag"`
	Text string `json:"text"`
}

// postText is the words of a post: its title and the text of its
// paragraphs, a space between elements and between paragraphs.
func postText(content string) (string, error) {
	var p postContent
	if err := json.Unmarshal([]byte(content), &p); err != nil {
		return "", err
	}
	if p.Title == "" && len(p.Content) == 0 {
		var byLocale map[string]postContent
		if json.Unmarshal([]byte(content), &byLocale) == nil {
			for _, lang := range []string{"zh_cn", "en_us"} {
				if b, ok := byLocale[lang]; ok {
					p = b
					break
				}
			}
		}
	}
	words := []string{p.Title}
	for _, para := range p.Content {
		for _, el := range para {
			if el.Tag == "text" || el.Tag == "a" {
				words = append(words, el.Text)
			}
		}
	}
	return strings.Join(strings.Fields(strings.Join(words, " ")), " "), nil
}

// mentionsBot reports whether a group message is addressed to the bot. When
// the bot's open_id is unknown (bot info unavailable) any mention other than
// @all counts: with only the group_at_msg permission Feishu delivers nothing
// else anyway.
func mentionsBot(mentions []mention, botOpenID string) bool {
	for _, m := range mentions {
		if m.Key == "@_all" || m == (mention{}) {
			continue
		}
		if botOpenID == "" || m.ID.OpenID == botOpenID {
			return true
		}
	}
	return false
}

// stripMentions removes the @_user_N placeholders Feishu puts in the text
// for each mention.
func stripMentions(text string, mentions []mention) string {
	for _, m := range mentions {
		if m.Key != "" {
			text = strings.ReplaceAll(text, m.Key, " ")
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
