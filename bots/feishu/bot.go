// Package feishu is punchbot's Feishu / Lark bot: it receives event
// subscription v2.0 callbacks (im.message.receive_v1) on /feishu/events,
// authenticates and decrypts them, turns text commands and shared locations
// into core commands, and delivers the core's replies from the outbox as
// cards or text through the Open Platform IM API.
//
// It builds on larksuite/oapi-sdk-go v3 (its event and card-callback
// types, signature formula and HTTP transport) and adds what the SDK lacks:
// a timestamp window, a header.token check on every event, 4xx answers
// instead of 500 for forged or broken requests, a per-client token cache,
// and an event path that decodes each callback once instead of going
// through the SDK's generic dispatcher.
package feishu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	lark "github.com/larksuite/oapi-sdk-go/v3"
	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// Timing of the event endpoint.
const (
	// HandleTimeout bounds the core call. Feishu waits 3 s before it counts
	// a push as failed and retries; answering first means a retry never
	// races a delivery still in progress.
	HandleTimeout = 2500 * time.Millisecond
	// botInfoTimeout bounds the one-time bot/v3/info lookup made inside a
	// callback.
	botInfoTimeout = time.Second
)

// Config is the app's credentials from the developer console.
type Config struct {
	AppID             string
	AppSecret         string
	VerificationToken string
	EncryptKey        string
	BaseURL           string // default lark.FeishuBaseUrl; lark.LarkBaseUrl for Lark
}

// Deps are the bot's collaborators.
type Deps struct {
	// Core judges every event, retries included: it records the event in
	// the punch's transaction and answers a repeat with the stored reply,
	// so the bot keeps no "already handled" mark of its own (one written
	// before the commit would lose the punch if the process died between).
	Core       bots.Core
	Now        func() time.Time
	Log        *slog.Logger
	HTTPClient *http.Client
	// Makeups records and finds approval cards; defaults to Core when it
	// implements bots.MakeupCore (the real service does).
	Makeups bots.MakeupCore
	// Sessions remembers the slot of a clicked make-up button on a
	// missed-punch notice until its reason arrives; without it the
	// button answers that it is unavailable.
	Sessions core.SessionStore
}

// Bot is the Feishu channel: the event endpoint and the outbox sender.
type Bot struct {
	core     bots.Core
	now      func() time.Time
	log      *slog.Logger
	verifier verifier
	client   *Client

	makeups     bots.MakeupCore
	cardActions map[string]CardActionHandler // see OnCardAction
	sessions    core.SessionStore
	// rushOffUntil (unix nanoseconds) holds confirmations out of
	// batch_send after the platform refused it for the app's set-up
	// (rush.go).
	rushOffUntil atomic.Int64
	// drawn holds the rush cards Group drew, for SendGroup (rush.go).
	drawn drawnRush
}

var _ core.Sender = (*Bot)(nil)

// New checks the configuration and builds the bot.
func New(cfg Config, deps Deps) (*Bot, error) {
	switch {
	case cfg.AppID == "":
		return nil, core.Errorf(core.EINVALID, "feishu: app id is required")
	case cfg.AppSecret == "":
		return nil, core.Errorf(core.EINVALID, "feishu: app secret is required")
	case cfg.VerificationToken == "":
		return nil, core.Errorf(core.EINVALID, "feishu: verification token is required (developer console → Events & Callbacks → Encryption Strategy)")
	case deps.Core == nil:
		return nil, core.Errorf(core.EINVALID, "feishu: a core is required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = lark.FeishuBaseUrl
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	log := deps.Log.With("platform", "feishu")
	if cfg.EncryptKey == "" {
		log.Warn("feishu: no Encrypt Key configured; events are neither encrypted nor signed, only the verification token authenticates them")
	}
	b := &Bot{
		core:     deps.Core,
		now:      deps.Now,
		log:      log,
		verifier: newVerifier(cfg.VerificationToken, cfg.EncryptKey, deps.Now),
		client:   NewClient(cfg.AppID, cfg.AppSecret, cfg.BaseURL, deps.HTTPClient, deps.Now, log),
	}
	b.registerCardActions(deps)
	b.sessions = deps.Sessions
	b.OnCardAction(ActionNoticeMakeup, b.onNoticeMakeup)
	return b, nil
}

// Client is the bot's Open Platform client, for features that send or
// update messages themselves (make-up approval cards).
func (b *Bot) Client() *Client { return b.client }

// Register mounts the event endpoint.
func (b *Bot) Register(mux *http.ServeMux) {
	mux.Handle("POST /feishu/events", b)
}

// handlerError carries a failure out of an event handler with the status
// the platform should see.
type handlerError struct {
	status int
	err    error
}

func (e *handlerError) Error() string { return e.err.Error() }
func (e *handlerError) Unwrap() error { return e.err }

// Event types the endpoint acts on; everything else is acknowledged and
// ignored.
const (
	eventMessageReceive = "im.message.receive_v1"
	eventCardAction     = "card.action.trigger"
)

// ServeHTTP answers one callback: 200 once the command is committed (or
// deliberately ignored), 4xx for anything forged, stale or malformed (and
// nothing is stored), 500 when the core failed so Feishu retries.
func (b *Bot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"msg": "POST only"})
		return
	}
	buf := b.verifier.bufs.get()
	body, err := readBody(http.MaxBytesReader(w, r.Body, MaxBodyBytes), buf)
	if err != nil {
		b.verifier.bufs.put(buf)
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			b.refuse(w, r, reject(http.StatusRequestEntityTooLarge, "body over 1 MiB"))
			return
		}
		b.refuse(w, r, reject(http.StatusBadRequest, "cannot read body"))
		return
	}
	in, err := b.verifier.decode(r.Header, body)
	b.verifier.bufs.put(buf) // decode keeps nothing of body
	if err != nil {
		b.refuse(w, r, err)
		return
	}
	if in.isChallenge {
		writeJSON(w, http.StatusOK, map[string]string{"challenge": in.challenge})
		return
	}
	if !in.schema2 {
		// Legacy v1 callbacks: the app subscribes to v2 events only.
		b.log.Debug("feishu: ignoring a v1 callback", "uuid", in.eventID)
		writeBody(w, http.StatusOK, bodyIgnored)
		return
	}
	if in.eventType != eventMessageReceive && in.eventType != eventCardAction {
		writeBody(w, http.StatusOK, bodyIgnored)
		return
	}
	if in.shapeErr != nil {
		b.refuse(w, r, reject(http.StatusBadRequest, "event does not match its type: "+in.shapeErr.Error()))
		return
	}
	// Every delivery, a retry included, goes to the core: only the database
	// knows whether an earlier copy committed.
	ctx, cancel := context.WithTimeout(r.Context(), HandleTimeout)
	defer cancel()
	var resp *callback.CardActionTriggerResponse
	if in.eventType == eventCardAction {
		resp, err = b.onCardAction(ctx, &callback.CardActionTriggerEvent{
			EventV2Base: &larkevent.EventV2Base{Schema: in.env.Schema, Header: in.env.Header},
			Event:       &in.env.Event.CardActionTriggerRequest,
		})
	} else {
		err = b.onMessage(ctx, in.env.Header, &in.env.Event.messageEvent)
	}
	var hErr *handlerError
	switch {
	case err == nil && resp != nil:
		// Card actions are answered inline: a toast, maybe a new card.
		writeJSON(w, http.StatusOK, resp)
	case err == nil:
		writeBody(w, http.StatusOK, bodySuccess)
	case errors.As(err, &hErr) && hErr.status < 500:
		b.log.Warn("feishu: event refused", "event_id", in.eventID, "status", hErr.status, "err", hErr.err)
		writeJSON(w, hErr.status, map[string]string{"msg": http.StatusText(hErr.status)})
	default:
		b.log.Error("feishu: event not handled, asking for a retry", "event_id", in.eventID, "event_type", in.eventType, "err", err)
		writeBody(w, http.StatusInternalServerError, bodyRetry)
	}
}

// refuse answers a rejected callback without revealing more than the status.
func (b *Bot) refuse(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusBadRequest
	var rErr *requestError
	if errors.As(err, &rErr) {
		status = rErr.status
	}
	b.log.Warn("feishu: callback refused", "status", status, "reason", err.Error(), "remote", r.RemoteAddr)
	writeJSON(w, status, map[string]string{"msg": http.StatusText(status)})
}

// onMessage handles im.message.receive_v1: one event, one core call. The
// reply travels through the outbox.
func (b *Bot) onMessage(ctx context.Context, hdr *larkevent.EventHeader, ev *messageEvent) error {
	botID := ""
	if ev.Message.ChatType != "p2p" && ev.Message.ChatType != "" {
		botID = b.botOpenID(ctx)
	}
	cmd, err := messageCommand(ev, hdr, botID, b.now())
	if errors.Is(err, errIgnore) {
		return nil
	}
	if err != nil {
		var rErr *requestError
		if errors.As(err, &rErr) {
			return &handlerError{status: rErr.status, err: err}
		}
		return &handlerError{status: http.StatusBadRequest, err: err}
	}
	cmd, pendingReason, err := b.withPendingReason(ctx, ev, cmd)
	if err != nil {
		// The text is handled as what it says; the click can be repeated.
		b.log.Warn("feishu: cannot read the pending make-up slot", "err", err)
	}
	reply, err := b.core.Handle(ctx, cmd)
	if err != nil {
		if core.ErrorCode(err) == core.EINVALID {
			return &handlerError{status: http.StatusBadRequest, err: err}
		}
		return &handlerError{status: http.StatusInternalServerError, err: err}
	}
	if pendingReason {
		if err := bots.ForgetNoticeSlot(ctx, b.sessions, cmd.Actor); err != nil {
			b.log.Warn("feishu: cannot drop the pending make-up slot", "err", err)
		}
	}
	// Per event at Debug only: at punch-in time one line per event was a
	// measurable share of the CPU, and /metrics counts the outcomes.
	if b.log.Enabled(ctx, slog.LevelDebug) {
		b.log.Debug("feishu: command handled", "event_id", cmd.EventID, "kind", cmd.Kind, "outcome", reply.Outcome, "replayed", reply.Replayed)
	}
	return nil
}

// botOpenID looks the bot's open_id up once, within a short budget so a
// slow API never costs the callback its deadline; "" on failure.
func (b *Bot) botOpenID(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, botInfoTimeout)
	defer cancel()
	id, err := b.client.BotOpenID(ctx)
	if err != nil {
		b.log.Warn("feishu: bot info unavailable; treating any mention as addressed to the bot", "err", err)
		return ""
	}
	return id
}

// Send delivers one outbox message: a reply to the user's message, or a new
// message to the route's receive_id when there is no message to reply to or
// the platform refuses the reply (the message was recalled or is too old).
// It implements core.Sender for core.PlatformFeishu.
func (b *Bot) Send(ctx context.Context, m core.OutboxMessage) error {
	if bots.IsMakeupKind(m.Kind) {
		return b.sendMakeup(ctx, m)
	}
	if m.Kind == core.OutboxNotice {
		return b.sendNotice(ctx, m)
	}
	var rt route
	if err := json.Unmarshal([]byte(m.Route), &rt); err != nil {
		return core.WrapError(core.EINVALID, err, "feishu: outbox message %d has a bad route", m.ID)
	}
	if m.Kind != "reply" && m.Kind != "" {
		return core.Errorf(core.EINVALID, "feishu: outbox kind %q is not supported", m.Kind)
	}
	var r core.Reply
	if err := json.Unmarshal(m.Payload, &r); err != nil {
		return core.WrapError(core.EINVALID, err, "feishu: outbox message %d has a bad reply payload", m.ID)
	}
	msg, filed := replyMessage(r, rt)
	// uuid lets the platform drop a request we repeat after a lost answer.
	if rt.MessageID != "" {
		sent, err := b.client.ReplyMessage(ctx, rt.MessageID, msg, fmt.Sprintf("punchbot-r-%d", m.ID))
		if err == nil {
			b.recordRequesterCard(ctx, filed, rt.User, sent, "") // withdraw.go
		}
		if err == nil || core.ErrorCode(err) != core.EINVALID || rt.ReceiveID == "" {
			return err
		}
		b.log.Warn("feishu: reply refused, sending a new message instead", "id", m.ID, "err", err)
	}
	if rt.ReceiveID == "" {
		return core.Errorf(core.EINVALID, "feishu: outbox message %d has neither message_id nor receive_id", m.ID)
	}
	sent, err := b.client.CreateMessage(ctx, rt.ReceiveIDType, rt.ReceiveID, msg, fmt.Sprintf("punchbot-c-%d", m.ID))
	if err == nil {
		b.recordRequesterCard(ctx, filed, rt.User, sent, "") // withdraw.go
	}
	return err
}

// replyMessage is the message that answers r on rt, and the make-up
// request whose "submitted" card it is (0: none), recorded once sent.
func replyMessage(r core.Reply, rt route) (msg Message, filed int64) {
	if !rt.ownMessage(r) {
		return RenderReply(r, rt.Lang), 0
	}
	lang := bots.Lang(r, rt.Lang)
	switch {
	case r.Outcome == core.OutcomeHelp && rt.Voice:
		return TextMessage(bots.VoiceText(lang)), 0
	case r.Outcome == core.OutcomeHelp:
		return TextMessage(bots.NotUnderstoodHelp(r, rt.Said, rt.Lang)), 0
	case r.Outcome == core.OutcomeConfirm:
		return confirmMessage(r, lang, rt.User), 0 // confirm.go
	}
	if card, ok := batchConfirmMessage(r, lang); ok { // batch.go
		return card, 0
	}
	if card, ok := withdrawMessage(r, lang, rt.User); ok { // withdraw.go
		return card, r.Makeup.Request.ID
	}
	return RenderReply(r, rt.Lang), 0
}

// ownMessage reports whether r is answered on rt by something other than
// RenderReply's message: the help for what a user said or for a voice
// message, a confirmation's buttons, a batch decision's or a filed
// request's card. The rush (rush.go) asks this before it renders anything.
func (rt route) ownMessage(r core.Reply) bool {
	switch r.Outcome {
	case core.OutcomeHelp:
		return rt.Said != "" || rt.Voice
	case core.OutcomeConfirm:
		return true
	}
	_, batch := bots.BatchConfirmOffer(r)
	_, filed := bots.WithdrawOffer(r)
	return batch || filed
}

// Constant answers, encoded once.
var (
	bodySuccess = []byte(`{"msg":"success"}` + "\n")
	bodyIgnored = []byte(`{"msg":"ignored"}` + "\n")
	bodyRetry   = []byte(`{"msg":"Internal Server Error"}` + "\n")
)

// contentTypeJSON is shared by every answer; net/http only reads it.
var contentTypeJSON = []string{"application/json; charset=utf-8"}

func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header()["Content-Type"] = contentTypeJSON
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header()["Content-Type"] = contentTypeJSON
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
