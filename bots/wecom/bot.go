// Package wecom is the WeCom (企业微信) bot: the self-built application's
// callback (URL verification, signature, AES decryption, XML parsing), the
// translation of messages, locations and menu clicks into core commands, and
// a small API client that delivers the replies queued in the outbox.
package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// CallbackPath is where WeCom delivers the application's messages.
const CallbackPath = "/wecom/callback"

const (
	// maxBody bounds a callback body; real ones are a few kilobytes.
	maxBody = 1 << 20
	// timestampWindow is how far a callback's timestamp may be from our
	// clock; a captured request replayed later is refused.
	timestampWindow = 5 * time.Minute
	// coreTimeout keeps the acknowledgement inside WeCom's 5 s deadline: a
	// slower store gets a 500 and WeCom's retry, which is idempotent.
	coreTimeout = 4 * time.Second
	// selectEchoTTL is how long a location picked from the menu suppresses
	// the identical location message that may accompany it.
	selectEchoTTL = time.Minute
)

// Config is the application's WeCom settings (PUNCHBOT_WECOM_*).
type Config struct {
	CorpID         string
	AgentID        string
	Secret         string
	Token          string
	EncodingAESKey string
	APIURL         string // DefaultAPIURL when empty
}

// Deps are the bot's collaborators.
type Deps struct {
	Core bots.Core
	// Sessions keeps menu-picked locations for a minute (see
	// selectEchoTTL). Optional. WeCom's retries of a callback need no
	// marker: the core records each event with its punch in one
	// transaction and answers a retry with the stored reply, so the
	// database alone judges what was handled, whenever the process died.
	Sessions   core.SessionStore
	Now        func() time.Time
	Log        *slog.Logger
	HTTPClient *http.Client
	// Makeups records and finds approval cards; defaults to Core when it
	// implements bots.MakeupCore (the real service does).
	Makeups bots.MakeupCore
	// LeaveForm looks up what the leave form offers (leaveform.go);
	// defaults to Core when it implements LeaveFormCore (the real service
	// does). Without it 请假 alone is answered with the typed format.
	LeaveForm LeaveFormCore
}

// Bot is the WeCom channel: an HTTP callback handler and an outbox sender.
type Bot struct {
	cfg      Config
	agentID  int64
	crypto   *Crypto
	client   *Client
	core     bots.Core
	sessions core.SessionStore
	now      func() time.Time
	log      *slog.Logger
	makeups  bots.MakeupCore
	// leaveForm is nil when nothing can look up the form's choices.
	leaveForm LeaveFormCore
}

var _ core.Sender = (*Bot)(nil)

// New validates the configuration and returns a bot. Every problem is
// reported at once, naming the environment variable to fix.
func New(cfg Config, deps Deps) (*Bot, error) {
	var problems []string
	if cfg.CorpID == "" {
		problems = append(problems, "PUNCHBOT_WECOM_CORP_ID is empty")
	}
	agentID, err := strconv.ParseInt(strings.TrimSpace(cfg.AgentID), 10, 64)
	if err != nil || agentID <= 0 {
		problems = append(problems, fmt.Sprintf("PUNCHBOT_WECOM_AGENT_ID %q is not a positive number", cfg.AgentID))
	}
	if cfg.Secret == "" {
		problems = append(problems, "PUNCHBOT_WECOM_SECRET is empty")
	}
	if cfg.Token == "" {
		problems = append(problems, "PUNCHBOT_WECOM_TOKEN is empty")
	}
	if _, err := decodeAESKey(cfg.EncodingAESKey); err != nil {
		problems = append(problems, "PUNCHBOT_WECOM_ENCODING_AES_KEY must be the 43-character key from the callback settings")
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	if u, err := url.Parse(cfg.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		problems = append(problems, fmt.Sprintf("PUNCHBOT_WECOM_API_URL %q is not an http(s) URL", cfg.APIURL))
	}
	if deps.Core == nil {
		problems = append(problems, "no core service")
	}
	if len(problems) > 0 {
		return nil, core.Errorf(core.EINVALID, "wecom: %s", strings.Join(problems, "; "))
	}
	crypto, err := NewCrypto(cfg.Token, cfg.EncodingAESKey, cfg.CorpID)
	if err != nil {
		return nil, err
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	b := &Bot{
		cfg: cfg, agentID: agentID, crypto: crypto, core: deps.Core, sessions: deps.Sessions,
		now: deps.Now, log: deps.Log.With("platform", string(core.PlatformWeCom)),
	}
	b.makeups = bots.ResolveMakeupCore(deps.Makeups, deps.Core)
	b.leaveForm = deps.LeaveForm
	if lf, ok := deps.Core.(LeaveFormCore); ok && b.leaveForm == nil {
		b.leaveForm = lf
	}
	b.client = NewClient(ClientConfig{APIURL: cfg.APIURL, CorpID: cfg.CorpID, Secret: cfg.Secret, AgentID: agentID, HTTPClient: deps.HTTPClient, Now: deps.Now})
	return b, nil
}

// Client returns the API client, for features that send cards or update
// them (make-up approvals).
func (b *Bot) Client() *Client { return b.client }

// Crypto returns the callback crypto, for features that answer a callback
// with an encrypted passive reply.
func (b *Bot) Crypto() *Crypto { return b.crypto }

// Register mounts the callback: GET verifies the URL, POST delivers messages.
func (b *Bot) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+CallbackPath, b.verifyURL)
	mux.HandleFunc("POST "+CallbackPath, b.receive)
}

// reject answers a refused callback and logs why; the text is for the
// operator looking at WeCom's delivery log, not for the user.
func (b *Bot) reject(w http.ResponseWriter, r *http.Request, status int, why string, err error) {
	b.log.Warn("wecom callback rejected", "status", status, "reason", why, "err", err, "remote", r.RemoteAddr)
	http.Error(w, why, status)
}

// authenticate checks the signature and the timestamp, then decrypts.
// Signature first: nothing about an unsigned request is worth parsing.
func (b *Bot) authenticate(w http.ResponseWriter, r *http.Request, encrypt string) ([]byte, bool) {
	q := r.URL.Query()
	sig, ts, nonce := q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce")
	if sig == "" || ts == "" || nonce == "" {
		b.reject(w, r, http.StatusBadRequest, "missing msg_signature, timestamp or nonce", nil)
		return nil, false
	}
	if !b.crypto.Verify(sig, ts, nonce, encrypt) {
		b.reject(w, r, http.StatusForbidden, "bad signature", nil)
		return nil, false
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		b.reject(w, r, http.StatusBadRequest, "timestamp is not unix seconds", err)
		return nil, false
	}
	if d := b.now().Sub(time.Unix(sec, 0)); d > timestampWindow || d < -timestampWindow {
		b.reject(w, r, http.StatusBadRequest, "stale timestamp", fmt.Errorf("%s off", d.Round(time.Second)))
		return nil, false
	}
	plain, err := b.crypto.Decrypt(encrypt)
	if err != nil {
		b.reject(w, r, http.StatusBadRequest, "cannot decrypt", err)
		return nil, false
	}
	return plain, true
}

// verifyURL answers WeCom's URL check with the decrypted echostr.
func (b *Bot) verifyURL(w http.ResponseWriter, r *http.Request) {
	// Query decoding turns an unescaped "+" into a space; base64 has no
	// spaces, so put them back.
	echo := strings.ReplaceAll(r.URL.Query().Get("echostr"), " ", "+")
	if echo == "" {
		b.reject(w, r, http.StatusBadRequest, "missing echostr", nil)
		return
	}
	plain, ok := b.authenticate(w, r, echo)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(plain)
}

// receive handles one message or event: authenticate, parse, one core call,
// then a 200: with the encrypted passive reply for punches, status and
// help, empty otherwise (their answers travel through the outbox).
func (b *Bot) receive(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			b.reject(w, r, http.StatusRequestEntityTooLarge, "body too large", err)
		} else {
			b.reject(w, r, http.StatusBadRequest, "cannot read body", err)
		}
		return
	}
	env, err := ParseEnvelope(body)
	if err != nil {
		b.reject(w, r, http.StatusBadRequest, "bad envelope", err)
		return
	}
	plain, ok := b.authenticate(w, r, env.Encrypt)
	if !ok {
		return
	}
	msg, err := ParseMessage(plain)
	if err != nil {
		b.reject(w, r, http.StatusBadRequest, "bad message", err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), coreTimeout)
	defer cancel()
	if b.receiveNoticeClick(ctx, w, msg) {
		return
	}
	if b.receiveLeaveForm(ctx, w, r, msg, plain) { // leaveform.go
		return
	}
	if b.withdrawClickNotForYou(w, r, msg) { // withdraw.go
		return
	}
	if b.confirmClickNotForYou(w, r, msg) { // confirm.go
		return
	}
	in, ok := b.translate(msg)
	if !ok {
		b.log.Debug("wecom message ignored", "msgtype", msg.MsgType, "event", msg.Event, "key", msg.EventKey)
		w.WriteHeader(http.StatusOK)
		return
	}

	if b.handled(ctx, in) {
		w.WriteHeader(http.StatusOK)
		return
	}
	in, pendingReason, err := b.withPendingReason(ctx, msg, in)
	if err != nil {
		// The text is handled as what it says; the click can be repeated.
		b.log.Warn("wecom: cannot read the pending make-up slot", "err", err)
	}
	// Punches, status and help are answered in this response (passive.go):
	// the core records the reply with the punch and queues nothing.
	in.cmd.ReplyInline = in.cmd.ReplyRoute != "" && inlineKind(in.cmd.Kind)
	reply, err := b.core.Handle(ctx, in.cmd)
	if err != nil {
		if core.ErrorCode(err) == core.EINVALID {
			b.reject(w, r, http.StatusBadRequest, "invalid command", err)
			return
		}
		// Nothing was acknowledged: WeCom retries, and the core's event key
		// makes the retry safe whether or not this attempt committed.
		b.log.Error("wecom core call failed", "event", in.cmd.EventID, "err", err)
		http.Error(w, "temporarily unavailable", http.StatusInternalServerError)
		return
	}
	if pendingReason {
		if err := bots.ForgetNoticeSlot(ctx, b.sessions, in.cmd.Actor); err != nil {
			b.log.Warn("wecom: cannot drop the pending make-up slot", "err", err)
		}
	}
	b.log.Debug("wecom command", "event", in.cmd.EventID, "kind", in.cmd.Kind, "outcome", reply.Outcome, "replayed", reply.Replayed)
	if in.cmd.ReplyInline {
		b.answerInline(w, r, msg, reply)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// answerInline writes the reply as an encrypted passive reply, signed with
// the callback's own timestamp and nonce. The reply is already committed
// with the event: if it cannot be sealed, a 500 makes WeCom retry, and the
// retry is answered with the stored reply.
func (b *Bot) answerInline(w http.ResponseWriter, r *http.Request, msg Message, reply core.Reply) {
	text := RenderReply(reply, inlineLang(msg))
	if reply.Outcome == core.OutcomeHelp && msg.MsgType == MsgVoice {
		text = bots.VoiceText(bots.Lang(reply, inlineLang(msg)))
	}
	if reply.Outcome == core.OutcomeHelp && msg.MsgType == MsgText && bots.NotUnderstood(msg.Content) {
		// Say what was not understood (and the command a slip meant)
		// before the list; a retry renders the same from the same message.
		lang := bots.Lang(reply, inlineLang(msg))
		text = bots.NotUnderstoodHelp(reply, msg.Content, lang)
		if !bots.Garbled(msg.Content) {
			text += "\n" + menuHint(lang)
		}
	}
	plain, err := PassiveText(b.cfg.CorpID, msg.FromUserName, text, b.now().Unix())
	var body []byte
	if err == nil {
		q := r.URL.Query()
		body, err = b.crypto.SealReply(plain, q.Get("timestamp"), q.Get("nonce"))
	}
	if err != nil {
		b.log.Error("wecom: cannot seal the passive reply", "user", msg.FromUserName, "err", err)
		http.Error(w, "temporarily unavailable", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	_, _ = w.Write(body)
}

// inlineLang is the language of the user's own text, for replies that
// carry none (people the org file does not know).
func inlineLang(m Message) string {
	if m.MsgType == MsgText {
		return bots.Parse(m.Content).Lang
	}
	return "zh"
}

// inbound is a translated callback.
type inbound struct {
	cmd core.Command
	// selectKey, when set, names the position this command carries and
	// selectVia how it came (location message or location_select event);
	// see selectEchoTTL.
	selectKey string
	selectVia string
}

// Route is the outbox address of a WeCom reply (core.Command.ReplyRoute).
type Route struct {
	ToUser  string `json:"touser"`
	AgentID int64  `json:"agentid"`
	// Lang is the language the user wrote in, for replies to people the
	// org file does not know (their reply carries no language).
	Lang string `json:"lang,omitempty"`
}

// translate maps a message to a core command. ok is false for messages the
// bot does not act on, which are acknowledged and ignored.
func (b *Bot) translate(m Message) (inbound, bool) {
	lang := "zh"
	route := func() string {
		buf, _ := json.Marshal(Route{ToUser: m.FromUserName, AgentID: b.agentID, Lang: lang})
		return string(buf)
	}
	cmd := core.Command{
		Actor:      core.Identity{Platform: core.PlatformWeCom, Tenant: b.cfg.CorpID, UserID: m.FromUserName},
		Kind:       core.CmdPunch,
		At:         time.Unix(m.CreateTime, 0),
		ReceivedAt: b.now(),
		EventID:    m.EventID(),
	}
	gcj := func(label string, accuracy float64) *core.Location {
		return &core.Location{Lat: m.Lat, Lng: m.Lng, AccuracyM: accuracy, Datum: core.GCJ02, Label: label}
	}
	if in, ok := b.makeupInbound(m, cmd); ok {
		return in, true
	}
	if in, ok := b.linkInbound(m, cmd); ok {
		return in, true
	}
	if in, ok := b.confirmInbound(m, cmd); ok {
		return in, true
	}
	if in, ok := b.batchInbound(m, cmd); ok { // batch.go
		return in, true
	}
	if in, ok := b.withdrawInbound(m, cmd); ok { // withdraw.go
		return in, true
	}
	switch {
	case m.MsgType == MsgText:
		intent := bots.Parse(m.Content)
		lang = intent.Lang
		switch intent.Kind {
		case core.CmdPunch:
			cmd.Punch = intent.Punch
		case core.CmdStatus, core.CmdHistory:
			cmd.Kind = intent.Kind
		case core.CmdConfirm, core.CmdDecline:
			// 确认 / 取消: the answer to a clock-out waiting for confirmation.
			cmd.Kind = intent.Kind
		default:
			// Help, and everything not understood (including commands other
			// features add later): the answer is the command list.
			cmd.Kind = core.CmdHelp
		}
	case m.MsgType == MsgVoice:
		// Answered inline (answerInline) with what the bot does read.
		cmd.Kind = core.CmdHelp
	case m.MsgType == MsgLocation:
		// A location alone is a punch; the core completes a text punch that
		// is waiting for it.
		cmd.Punch, cmd.Location = core.KindAuto, gcj(m.Label, 0)
		return inbound{cmd: withRoute(cmd, route()), selectKey: b.selectKey(m), selectVia: MsgLocation}, true
	case m.MsgType == MsgEvent && strings.EqualFold(m.Event, EventLocation):
		// The app reports the position when the user opens it; remember it
		// for a text punch that follows, or complete one waiting for it (the
		// punch is then answered through the outbox; a position merely
		// noted gets no reply: the user did nothing).
		cmd.Kind, cmd.Location = core.CmdReportLocation, gcj("", m.Precision)
		return inbound{cmd: withRoute(cmd, route())}, true
	case m.MsgType == MsgEvent && m.Event == EventLocationSelect:
		cmd.Punch, cmd.Location = menuPunch(m.EventKey), gcj(firstNonEmpty(m.PoiName, m.Label), 0)
		return inbound{cmd: withRoute(cmd, route()), selectKey: b.selectKey(m), selectVia: EventLocationSelect}, true
	case m.MsgType == MsgEvent && m.Event == EventClick:
		switch m.EventKey {
		case KeyPunchIn, KeyPunchOut, KeyPunch:
			cmd.Punch = menuPunch(m.EventKey)
		case KeyStatus:
			cmd.Kind = core.CmdStatus
		case KeyHelp:
			cmd.Kind = core.CmdHelp
		default:
			return inbound{}, false
		}
	default:
		return inbound{}, false
	}
	return inbound{cmd: withRoute(cmd, route())}, true
}

func withRoute(cmd core.Command, route string) core.Command {
	cmd.ReplyRoute = route
	return cmd
}

func menuPunch(key string) core.PunchKind {
	switch key {
	case KeyPunchIn:
		return core.KindIn
	case KeyPunchOut:
		return core.KindOut
	}
	return core.KindAuto
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// selectKey identifies a position shared by one user. A location_select
// menu event may come with the same position as a location message (WeChat
// does this; WeCom's behaviour is unconfirmed): both carry the same
// coordinates, and only the first of the pair may punch. Two messages of
// the same kind are two deliberate shares and both count.
func (b *Bot) selectKey(m Message) string {
	return "wecom:loc:" + b.cfg.CorpID + ":" + m.FromUserName + ":" + strconv.FormatFloat(m.Lat, 'f', -1, 64) + "," + strconv.FormatFloat(m.Lng, 'f', -1, 64)
}

// handled reports whether this callback needs no core call: the location
// echo of a menu pick. It claims the position for this share in the same
// round trip (PutIfAbsent): the first share of a position marks it, and a
// share of it the other way within selectEchoTTL is the echo. A share the
// same way (WeCom's retry of one, or a deliberate second share) is never an
// echo, so a first share whose core call failed is punched on its retry.
// Errors fall through to the core: at worst an echo is punched as a second
// share, which the core answers as a repeat.
func (b *Bot) handled(ctx context.Context, in inbound) bool {
	if b.sessions == nil || in.selectKey == "" {
		return false
	}
	v, stored, err := b.sessions.PutIfAbsent(ctx, in.selectKey, []byte(in.selectVia+"|"+in.cmd.EventID), selectEchoTTL)
	if err != nil {
		b.log.Warn("wecom: cannot mark the shared location", "err", err)
		return false
	}
	if stored {
		return false
	}
	via, first, _ := strings.Cut(string(v), "|")
	if via != in.selectVia {
		b.log.Info("wecom location echo ignored", "event", in.cmd.EventID, "first", first)
		return true
	}
	return false
}
