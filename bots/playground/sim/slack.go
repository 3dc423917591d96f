package sim

import (
	"bytes"
	"context"
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

	"github.com/punchbot/punchbot/bots/slack"
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

type rule struct{ rule, doc string }

// checkBlocks is Block Kit's limits: at most max blocks (50 in a message,
// 100 in a modal); block_id at most 255 characters; a header's plain text
// at most 150; a section's text at most 3000 and at most 10 fields of
// 2000; at most 25 elements in actions and 10 in context; a button's text
// at most 75, action_id 255, value 2000 and url 3000 characters.
func checkBlocks(blocks []any, max int) []rule {
	var out []rule
	bad := func(doc, format string, args ...any) { out = append(out, rule{fmt.Sprintf(format, args...), doc}) }
	long := func(s string, n int) bool { return utf8.RuneCountInString(s) > n }
	if len(blocks) > max {
		bad(docSlackBlocks, "%d blocks, at most %d", len(blocks), max)
	}
	for i, b := range blocks {
		if long(str(b, "block_id"), 255) {
			bad(docSlackBlocks, "blocks[%d].block_id is over 255 characters", i)
		}
		switch t := str(b, "type"); t {
		case "header":
			if long(str(b, "text", "text"), 150) || str(b, "text", "type") != "plain_text" {
				bad(docSlackBlocks+"#header", "blocks[%d] header needs plain_text of at most 150 characters", i)
			}
		case "section":
			txt, fields := str(b, "text", "text"), list(b, "fields")
			if txt == "" && len(fields) == 0 {
				bad(docSlackBlocks+"#section", "blocks[%d] section has neither text nor fields", i)
			}
			if long(txt, 3000) {
				bad(docSlackBlocks+"#section", "blocks[%d] section text is over 3000 characters", i)
			}
			if len(fields) > 10 {
				bad(docSlackBlocks+"#section", "blocks[%d] section has %d fields, at most 10", i, len(fields))
			}
			for j, f := range fields {
				if long(str(f, "text"), 2000) {
					bad(docSlackBlocks+"#section", "blocks[%d].fields[%d] is over 2000 characters", i, j)
				}
			}
			if a, ok := b.(map[string]any)["accessory"]; ok {
				out = append(out, checkElement(i, a)...)
			}
		case "actions":
			els := list(b, "elements")
			if len(els) == 0 || len(els) > 25 {
				bad(docSlackBlocks+"#actions", "blocks[%d] actions has %d elements, wants 1 to 25", i, len(els))
			}
			for _, el := range els {
				out = append(out, checkElement(i, el)...)
			}
		case "context":
			if n := len(list(b, "elements")); n == 0 || n > 10 {
				bad(docSlackBlocks+"#context", "blocks[%d] context has %d elements, wants 1 to 10", i, n)
			}
		case "":
			bad(docSlackBlocks, "blocks[%d] has no type", i)
		}
	}
	return out
}

func checkElement(i int, el any) []rule {
	if str(el, "type") != "button" {
		return nil
	}
	var out []rule
	long := func(s string, n int) bool { return utf8.RuneCountInString(s) > n }
	switch {
	case str(el, "text", "text") == "" || long(str(el, "text", "text"), 75):
		out = append(out, rule{fmt.Sprintf("blocks[%d] button text must be 1 to 75 characters", i), docSlackButton})
	case long(str(el, "action_id"), 255):
		out = append(out, rule{fmt.Sprintf("blocks[%d] button action_id is over 255 characters", i), docSlackButton})
	case long(str(el, "value"), 2000):
		out = append(out, rule{fmt.Sprintf("blocks[%d] button value is over 2000 characters", i), docSlackButton})
	case long(str(el, "url"), 3000):
		out = append(out, rule{fmt.Sprintf("blocks[%d] button url is over 3000 characters", i), docSlackButton})
	}
	if st := str(el, "style"); st != "" && st != "primary" && st != "danger" {
		out = append(out, rule{fmt.Sprintf("blocks[%d] button style %q is not primary or danger", i, st), docSlackButton})
	}
	return out
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

func (s *Slack) trigger(user string) string {
	id := s.run + "." + strconv.FormatInt(s.hub.nextID(), 10)
	s.mu.Lock()
	s.triggers[id] = slackTrigger{user: user, issued: s.hub.now()}
	s.mu.Unlock()
	return id
}

// Say runs "/punch text" as user (PLATFORMS.md §9.1); the command's
// immediate answer is an ephemeral message.
func (s *Slack) Say(ctx context.Context, user, text string) error {
	text = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(text), "/punch"))
	s.hub.add(core.PlatformSlack, user, &Entry{ID: "u" + s.ts(), From: FromUser, Kind: KindText, Text: strings.TrimSpace("/punch " + text), Via: "slash command"})
	respURL := s.newResponseURL(user, "")
	form := url.Values{"token": {"legacy-verification-token"}, "team_id": {s.cfg.TeamID}, "team_domain": {"demo"},
		"channel_id": {"D" + user}, "channel_name": {"directmessage"}, "user_id": {user}, "user_name": {strings.ToLower(user)},
		"command": {"/punch"}, "text": {text}, "response_url": {respURL}, "trigger_id": {s.trigger(user)}, "api_app_id": {"ASIM"}}
	out, err := s.deliver(ctx, "/slack/commands", []byte(form.Encode()))
	if err != nil || len(bytes.TrimSpace(out)) == 0 {
		return err
	}
	var args map[string]any
	if err := json.Unmarshal(out, &args); err != nil {
		// A plain-text answer is shown as it is.
		args = map[string]any{"text": string(out)}
	}
	e, _ := s.message("slash command response", docSlackPost, args)
	e.ID, e.Ephemeral = s.ts(), str(args, "response_type") != "in_channel"
	s.hub.add(core.PlatformSlack, user, &e)
	s.bind(respURL, e.ID)
	return nil
}

// Share punches through the location page, the way a Slack user does
// (Slack has no location message, PLATFORMS.md §10): the browser posts the
// position to the link in the bot's latest message, running /punch first
// when there is none.
func (s *Slack) Share(ctx context.Context, user string, loc Location) error {
	link := s.latestLink(user)
	if link == "" {
		if err := s.Say(ctx, user, ""); err != nil {
			return err
		}
		if link = s.latestLink(user); link == "" {
			return core.Errorf(core.ENOTFOUND, "the bot sent no location link to %s", user)
		}
	}
	s.hub.add(core.PlatformSlack, user, &Entry{ID: "u" + s.ts(), From: FromUser, Kind: KindLocation, Text: loc.describe(loc.Lat, loc.Lng, "browser, as reported"), Via: "location page"})
	u, err := url.Parse(link)
	if err != nil {
		return err
	}
	acc := loc.AccuracyM
	if acc == 0 {
		acc = 12
	}
	form := url.Values{"lat": {strconv.FormatFloat(loc.Lat, 'f', 6, 64)}, "lng": {strconv.FormatFloat(loc.Lng, 'f', 6, 64)}, "accuracy": {strconv.FormatFloat(acc, 'f', 0, 64)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.target()+u.Path, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var res struct {
		Headline string `json:"headline"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&res)
	if res.Headline != "" {
		s.hub.add(core.PlatformSlack, user, &Entry{ID: "page" + s.ts(), From: FromBot, Kind: KindToast, Text: "🌐 " + res.Headline, Via: "location page"})
	}
	return nil
}

// latestLink is the location-page URL of the newest message with one.
func (s *Slack) latestLink(user string) string {
	es := s.hub.Conversation(core.PlatformSlack, user)
	for i := len(es) - 1; i >= 0; i-- {
		if c := es[i].Card; c != nil {
			for _, b := range c.Buttons {
				if strings.Contains(b.URL, "/l/") {
					return b.URL
				}
			}
		}
	}
	return ""
}

// Press clicks button i of message id as user: block_actions
// (PLATFORMS.md §9.2) with the button's action_id, block_id and value, a
// trigger_id for a modal and a response_url bound to the message. A modal's
// submit button sends view_submission instead.
func (s *Slack) Press(ctx context.Context, user, id string, i int) (string, error) {
	e, ok := s.hub.find(core.PlatformSlack, user, id)
	if !ok || e.Card == nil || i < 0 || i >= len(e.Card.Buttons) {
		return "", core.Errorf(core.ENOTFOUND, "no button %d on message %s", i, id)
	}
	b := e.Card.Buttons[i]
	team := map[string]any{"id": s.cfg.TeamID, "domain": "demo"}
	who := map[string]any{"id": user, "username": strings.ToLower(user), "name": strings.ToLower(user), "team_id": s.cfg.TeamID}
	if v, isView := b.payload.(slackView); isView {
		payload := map[string]any{"type": "view_submission", "team": team, "user": who, "api_app_id": "ASIM", "trigger_id": s.trigger(user),
			"view": map[string]any{"id": v.ID, "type": "modal", "callback_id": v.CallbackID, "private_metadata": v.PrivateMetadata,
				"title": map[string]any{"type": "plain_text", "text": v.Title}, "state": map[string]any{"values": map[string]any{}}}}
		out, err := s.interact(ctx, payload)
		if err != nil {
			return "", err
		}
		var res map[string]any
		_ = json.Unmarshal(out, &res)
		if str(res, "response_action") == "errors" {
			var msgs []string
			if m, ok := res["errors"].(map[string]any); ok {
				for _, v := range m {
					msgs = append(msgs, fmt.Sprint(v))
				}
			}
			s.hub.add(core.PlatformSlack, user, &Entry{ID: "err" + s.ts(), From: FromBot, Kind: KindToast, Ephemeral: true, Text: strings.Join(msgs, "; "), Via: "view_submission errors"})
			return "", nil
		}
		s.hub.update(core.PlatformSlack, user, id, func(old *Entry) {
			cp := *old.Card
			cp.Done = "✓"
			if view, ok := res["view"].(map[string]any); ok {
				cp = *slackCard(list(view, "blocks"))
				cp.Type, cp.Title = "modal", str(view, "title", "text")
			}
			old.Card = &cp
		})
		return "", nil
	}
	a, _ := b.payload.(slackAction)
	payload := map[string]any{"type": "block_actions", "team": team, "user": who, "api_app_id": "ASIM", "token": "legacy-verification-token",
		"trigger_id": s.trigger(user), "response_url": s.newResponseURL(user, id),
		"container": map[string]any{"type": "message", "message_ts": id, "channel_id": "D" + user, "is_ephemeral": e.Ephemeral},
		"channel":   map[string]any{"id": "D" + user, "name": "directmessage"},
		"message":   map[string]any{"type": "message", "user": "USIMBOT", "ts": id, "text": e.Text},
		"actions": []any{map[string]any{"action_id": a.ActionID, "block_id": a.BlockID, "type": "button", "value": a.Value,
			"text": map[string]any{"type": "plain_text", "text": a.Text}, "action_ts": s.ts()}},
		"state": map[string]any{"values": map[string]any{}}}
	if _, err := s.interact(ctx, payload); err != nil {
		return "", err
	}
	return b.URL, nil
}

func (s *Slack) interact(ctx context.Context, payload map[string]any) ([]byte, error) {
	buf, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	return s.deliver(ctx, "/slack/interactions", []byte(url.Values{"payload": {string(buf)}}.Encode()))
}

// deliver signs a request the Slack way (PLATFORMS.md §8, v0 HMAC-SHA256
// over "v0:" + timestamp + ":" + body) and posts it.
func (s *Slack) deliver(ctx context.Context, path string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.target()+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	ts := strconv.FormatInt(s.hub.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slack.Sign(s.cfg.SigningSecret, ts, body))
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, core.Errorf(core.EUNAVAILABLE, "the bot answered the Slack request with %d: %s", resp.StatusCode, bytes.TrimSpace(out))
	}
	return out, nil
}
