package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/punchbot/punchbot/core"
)

// SlackConfig is the Slack app the simulator plays.
type SlackConfig struct {
	SigningSecret, BotToken, TeamID string
}

// Slack simulates the Slack Web API methods the bot calls
// (chat.postMessage, chat.update, chat.postEphemeral, conversations.open,
// views.open), the response_url endpoints, and the client that sends slash
// commands, button clicks and modal submissions to the app.
type Slack struct {
	cfg    SlackConfig
	hub    *Hub
	target func() string
	http   *http.Client
	base   string // the simulator's own URL, for response_url
	run    string
	// Limits (https://api.slack.com/apis/rate-limits): chat.postMessage
	// about one message a second per channel, short bursts allowed;
	// chat.update and conversations.open Tier 3 (50+ a minute);
	// chat.postEphemeral and views.open Tier 4 (100+ a minute).
	perChannel, tier3, tier4 *window

	mu        sync.Mutex
	responses map[string]*responseURL
	triggers  map[string]slackTrigger
	views     map[string]string // view id → the user it is open for
	seq       int64
}

// responseURL is one response_url: the message it may replace, and its
// budget of five uses in thirty minutes.
type responseURL struct {
	user, entry string
	uses        int
	issued      time.Time
}

type slackTrigger struct {
	user   string
	issued time.Time
}

// slackView is what a modal's submit echoes back.
type slackView struct {
	ID, CallbackID, PrivateMetadata, Title string
}

// Doc pages cited by the Slack rules.
const (
	docSlackPost      = "https://api.slack.com/methods/chat.postMessage"
	docSlackUpdate    = "https://api.slack.com/methods/chat.update"
	docSlackEphemeral = "https://api.slack.com/methods/chat.postEphemeral"
	docSlackBlocks    = "https://api.slack.com/reference/block-kit/blocks"
	docSlackButton    = "https://api.slack.com/reference/block-kit/block-elements#button"
	docSlackViews     = "https://api.slack.com/reference/surfaces/views"
	docSlackViewsOpen = "https://api.slack.com/methods/views.open"
	docSlackLimits    = "https://api.slack.com/apis/rate-limits"
	docSlackResponse  = "https://api.slack.com/interactivity/handling#message_responses"
)

func newSlack(cfg SlackConfig, hub *Hub, target func() string, client *http.Client) *Slack {
	return &Slack{cfg: cfg, hub: hub, target: target, http: client, run: strconv.FormatInt(hub.now().UnixMicro(), 36),
		perChannel: newWindow(5, 5*time.Second, hub.now), tier3: newWindow(50, time.Minute, hub.now), tier4: newWindow(100, time.Minute, hub.now),
		responses: map[string]*responseURL{}, triggers: map[string]slackTrigger{}, views: map[string]string{}}
}

// ts is a message timestamp, unique in the run.
func (s *Slack) ts() string {
	s.mu.Lock()
	s.seq++
	n := s.seq
	s.mu.Unlock()
	return strconv.FormatInt(s.hub.now().Unix(), 10) + "." + fmt.Sprintf("%06d", n%1_000_000)
}

// user of a DM channel: the simulator opens "D" + the user id.
func dmUser(channel string) string {
	if strings.HasPrefix(channel, "D") {
		return channel[1:]
	}
	return channel
}

// ServeHTTP answers the Web API at {APIURL}method and the response_urls.
func (s *Slack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 2<<20))
	if id, ok := strings.CutPrefix(r.URL.Path, "/response/"); ok {
		s.respond(w, id, raw)
		return
	}
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	args := map[string]any{}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(raw, &args)
	} else {
		form, _ := url.ParseQuery(string(raw))
		for k := range form {
			args[k] = form.Get(k)
		}
	}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if t, ok := args["token"].(string); ok && t != "" {
		token = t
	}
	if token != s.cfg.BotToken {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	switch method {
	case "conversations.open":
		if !s.allow(w, s.tier3, method, method) {
			return
		}
		users := str(args, "users")
		if users == "" {
			writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "users_list_not_supplied"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": map[string]any{"id": "D" + users}})
	case "chat.postMessage":
		s.post(w, args)
	case "chat.update":
		s.chatUpdate(w, args)
	case "chat.postEphemeral":
		s.ephemeral(w, args)
	case "views.open":
		s.viewsOpen(w, args)
	case "auth.test":
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "team_id": s.cfg.TeamID, "user_id": "USIMBOT", "bot_id": "BSIM"})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "unknown_method"})
	}
}

// allow applies a rate limit, answering HTTP 429 with Retry-After.
func (s *Slack) allow(w http.ResponseWriter, win *window, key, method string) bool {
	ok, retry := win.allow(key)
	if ok {
		return true
	}
	s.hub.violate(core.PlatformSlack, method, "rate limited ("+key+")", docSlackLimits)
	w.Header().Set("Retry-After", strconv.Itoa(int(retry.Seconds())+1))
	writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
	return false
}

// message reads text and blocks (a JSON string in a form, an array in
// JSON) and checks them against chat.postMessage and Block Kit's rules;
// errcode is what Slack would answer, "" when it would accept.
func (s *Slack) message(method, doc string, args map[string]any) (Entry, string) {
	text := str(args, "text")
	var blocks []any
	switch b := args["blocks"].(type) {
	case string:
		if b != "" && json.Unmarshal([]byte(b), &blocks) != nil {
			s.hub.violate(core.PlatformSlack, method, "blocks is not a JSON array", docSlackBlocks)
			return Entry{}, "invalid_blocks_format"
		}
	case []any:
		blocks = b
	}
	if text == "" && len(blocks) == 0 {
		s.hub.violate(core.PlatformSlack, method, "neither text nor blocks", doc)
		return Entry{}, "no_text"
	}
	if n := utf8.RuneCountInString(text); n > 40000 {
		s.hub.violate(core.PlatformSlack, method, fmt.Sprintf("text is %d characters; Slack truncates past 40,000", n), doc)
	}
	errcode := ""
	for _, p := range checkBlocks(blocks, 50) {
		s.hub.violate(core.PlatformSlack, method, p.rule, p.doc)
		errcode = "invalid_blocks"
	}
	e := Entry{From: FromBot, Kind: KindText, Text: text, Via: method}
	if len(blocks) > 0 {
		e.Kind, e.Card, e.raw = KindCard, slackCard(blocks), blocks
	}
	return e, errcode
}

// post is chat.postMessage.
func (s *Slack) post(w http.ResponseWriter, args map[string]any) {
	const method = "chat.postMessage"
	channel := str(args, "channel")
	if channel == "" {
		s.hub.violate(core.PlatformSlack, method, "channel is missing", docSlackPost)
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "channel_not_found"})
		return
	}
	e, errcode := s.message(method, docSlackPost, args)
	if errcode != "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": errcode})
		return
	}
	if !s.allow(w, s.perChannel, channel, method) {
		return
	}
	e.ID = s.ts()
	s.hub.add(core.PlatformSlack, dmUser(channel), &e)
	if strings.HasPrefix(channel, "U") || strings.HasPrefix(channel, "W") {
		// A user id posts to the app's DM with them, and the answer names
		// that DM's D channel, which chat.update then needs.
		channel = "D" + channel
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": channel, "ts": e.ID, "message": map[string]any{"ts": e.ID, "text": e.Text}})
}

// chatUpdate is chat.update: the message at channel+ts is replaced.
func (s *Slack) chatUpdate(w http.ResponseWriter, args map[string]any) {
	const method = "chat.update"
	channel, ts := str(args, "channel"), str(args, "ts")
	e, errcode := s.message(method, docSlackUpdate, args)
	if errcode != "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": errcode})
		return
	}
	if !s.allow(w, s.tier3, method, method) {
		return
	}
	if strings.HasPrefix(channel, "U") || strings.HasPrefix(channel, "W") {
		// chat.update's channel: "For direct messages, ensure that this
		// value is a DM ID (starts with D) instead of a User ID (starts
		// with either U or W)" (https://docs.slack.dev/reference/methods/chat.update);
		// chat.postMessage's answer names the D channel to use.
		s.hub.violate(core.PlatformSlack, method, "channel "+channel+" is a user id, not the DM's D id", docSlackUpdate)
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "channel_not_found"})
		return
	}
	if old, found := s.hub.find(core.PlatformSlack, dmUser(channel), ts); found && old.Ephemeral {
		// "Ephemeral messages can't be updated in this way" (chat.update;
		// only a response_url can replace one), Modifying messages,
		// https://docs.slack.dev/messaging/modifying-messages.
		s.hub.violate(core.PlatformSlack, method, "message "+ts+" is ephemeral; chat.update cannot change it", docSlackUpdate)
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "message_not_found"})
		return
	}
	if !s.replace(dmUser(channel), ts, e, method) {
		s.hub.violate(core.PlatformSlack, method, "no message "+ts+" in "+channel, docSlackUpdate)
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "message_not_found"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": channel, "ts": ts})
}

func (s *Slack) replace(user, id string, e Entry, via string) bool {
	return s.hub.update(core.PlatformSlack, user, id, func(old *Entry) {
		old.Kind, old.Text, old.Card, old.raw = e.Kind, e.Text, e.Card, e.raw
		old.Via += " → " + via
	})
}

// ephemeral is chat.postEphemeral: a message only user sees.
func (s *Slack) ephemeral(w http.ResponseWriter, args map[string]any) {
	const method = "chat.postEphemeral"
	user := str(args, "user")
	if user == "" {
		s.hub.violate(core.PlatformSlack, method, "user is missing", docSlackEphemeral)
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "user_not_in_channel"})
		return
	}
	e, errcode := s.message(method, docSlackEphemeral, args)
	if errcode != "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": errcode})
		return
	}
	if !s.allow(w, s.tier4, method, method) {
		return
	}
	e.ID, e.Ephemeral = s.ts(), true
	s.hub.add(core.PlatformSlack, user, &e)
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "message_ts": e.ID})
}

// viewsOpen is views.open: a trigger_id used within 3 seconds of the
// click, a modal of at most 100 blocks, a title of at most 24 characters.
func (s *Slack) viewsOpen(w http.ResponseWriter, args map[string]any) {
	const method = "views.open"
	trigger := str(args, "trigger_id")
	s.mu.Lock()
	t, ok := s.triggers[trigger]
	delete(s.triggers, trigger)
	s.mu.Unlock()
	refuse := func(errcode, rule, doc string) {
		s.hub.violate(core.PlatformSlack, method, rule, doc)
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": errcode})
	}
	view, _ := args["view"].(map[string]any)
	if v, isString := args["view"].(string); isString {
		view, _ = decodeJSON(v)
	}
	switch {
	case !ok:
		refuse("invalid_trigger_id", "trigger_id "+trigger+" is unknown or was used", docSlackViewsOpen)
		return
	case s.hub.now().Sub(t.issued) > 3*time.Second:
		refuse("expired_trigger_id", "trigger_id used more than 3 seconds after the click", docSlackViewsOpen)
		return
	case view == nil || str(view, "type") != "modal":
		refuse("invalid_arguments", "view is not a modal", docSlackViews)
		return
	}
	title := str(view, "title", "text")
	var problems []rule
	if title == "" || utf8.RuneCountInString(title) > 24 {
		problems = append(problems, rule{"modal title must be 1 to 24 characters", docSlackViews})
	}
	if sub := str(view, "submit", "text"); utf8.RuneCountInString(sub) > 24 {
		problems = append(problems, rule{"modal submit text is over 24 characters", docSlackViews})
	}
	if len(str(view, "private_metadata")) > 3000 {
		problems = append(problems, rule{"private_metadata is over 3000 characters", docSlackViews})
	}
	problems = append(problems, checkBlocks(list(view, "blocks"), 100)...)
	if len(problems) > 0 {
		for _, p := range problems {
			s.hub.violate(core.PlatformSlack, method, p.rule, p.doc)
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_arguments"})
		return
	}
	if !s.allow(w, s.tier4, method, method) {
		return
	}
	id := "VSIM" + strings.ToUpper(s.run) + strconv.FormatInt(s.hub.nextID(), 10)
	s.mu.Lock()
	s.views[id] = t.user
	s.mu.Unlock()
	card := slackCard(list(view, "blocks"))
	card.Type, card.Title = "modal", title
	submit := str(view, "submit", "text")
	if submit == "" {
		submit = "Submit"
	}
	card.button(submit, "primary", "", slackView{ID: id, CallbackID: str(view, "callback_id"), PrivateMetadata: str(view, "private_metadata"), Title: title})
	s.hub.add(core.PlatformSlack, t.user, &Entry{ID: id, From: FromBot, Kind: KindCard, Ephemeral: true, Card: card, Via: method, raw: view})
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "view": map[string]any{"id": id, "type": "modal"}})
}

// newResponseURL issues a response_url bound to a message of user's.
func (s *Slack) newResponseURL(user, entry string) string {
	id := s.run + strconv.FormatInt(s.hub.nextID(), 36)
	s.mu.Lock()
	s.responses[id] = &responseURL{user: user, entry: entry, issued: s.hub.now()}
	s.mu.Unlock()
	return s.base + "/response/" + id
}

// bind points a response_url at the message it answers, once known.
func (s *Slack) bind(u, entry string) {
	id := u[strings.LastIndex(u, "/")+1:]
	s.mu.Lock()
	if r := s.responses[id]; r != nil {
		r.entry = entry
	}
	s.mu.Unlock()
}

// respond is a post to a response_url: at most five within thirty minutes;
// replace_original replaces the message it belongs to, otherwise a new
// (by default ephemeral) message appears.
func (s *Slack) respond(w http.ResponseWriter, id string, raw []byte) {
	const method = "response_url"
	s.mu.Lock()
	r := s.responses[id]
	usable := r != nil && r.uses < 5 && s.hub.now().Sub(r.issued) < 30*time.Minute
	if usable {
		r.uses++
	}
	var user, entry string
	if r != nil {
		user, entry = r.user, r.entry
	}
	s.mu.Unlock()
	if !usable {
		s.hub.violate(core.PlatformSlack, method, "response_url unknown, used five times or older than 30 minutes", docSlackResponse)
		http.Error(w, "expired_url", http.StatusNotFound)
		return
	}
	var args map[string]any
	if err := json.Unmarshal(raw, &args); err != nil {
		s.hub.violate(core.PlatformSlack, method, "the body is not JSON", docSlackResponse)
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	if args["delete_original"] == true {
		s.hub.update(core.PlatformSlack, user, entry, func(old *Entry) { old.Kind, old.Text, old.Card = KindText, "(deleted)", nil })
		_, _ = io.WriteString(w, "ok")
		return
	}
	e, errcode := s.message(method, docSlackResponse, args)
	if errcode != "" {
		http.Error(w, errcode, http.StatusBadRequest)
		return
	}
	if args["replace_original"] == true && entry != "" && s.replace(user, entry, e, method) {
		_, _ = io.WriteString(w, "ok")
		return
	}
	e.ID, e.Ephemeral = s.ts(), str(args, "response_type") != "in_channel"
	s.hub.add(core.PlatformSlack, user, &e)
	_, _ = io.WriteString(w, "ok")
}
