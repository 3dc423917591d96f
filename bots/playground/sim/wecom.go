package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/punchbot/punchbot/bots/wecom"
	"github.com/punchbot/punchbot/core"
)

// WeComConfig is the self-built application the simulator plays: the same
// values the bot is configured with.
type WeComConfig struct {
	CorpID, AgentID, Secret, Token, EncodingAESKey string
}

// WeCom simulates the WeCom server API (gettoken, message/send,
// message/update_template_card, appchat/send) and the client that sends
// members' messages to the application's callback URL.
type WeCom struct {
	cfg    WeComConfig
	hub    *Hub
	crypto *wecom.Crypto
	target func() string
	http   *http.Client
	token  string
	base   int64 // message ids of this run start here, so a rerun never replays
	// Limits of message/send: per member 30 a minute (PLATFORMS.md §4.4,
	// doc 90236 summary), per API 2000 a minute per corp
	// (https://developer.work.weixin.qq.com/document/path/90312 主动调用频率).
	perMember, perAPI *window

	mu     sync.Mutex
	codes  map[string]wecomCode // response_code → where it may update
	tasks  map[string]bool      // task_ids seen: WeCom refuses a repeat (42014)
	nonces int64
}

type wecomCode struct {
	user, taskID string
	used         bool
	issued       time.Time
}

// newWeCom returns the WeCom simulator.
func newWeCom(cfg WeComConfig, hub *Hub, target func() string, client *http.Client) (*WeCom, error) {
	cr, err := wecom.NewCrypto(cfg.Token, cfg.EncodingAESKey, cfg.CorpID)
	if err != nil {
		return nil, err
	}
	return &WeCom{cfg: cfg, hub: hub, crypto: cr, target: target, http: client, token: "sim-wecom-token-" + strconv.FormatInt(hub.now().UnixNano(), 36),
		base:      hub.now().UnixMicro(),
		perMember: newWindow(30, time.Minute, hub.now), perAPI: newWindow(2000, time.Minute, hub.now),
		codes: map[string]wecomCode{}, tasks: map[string]bool{}}, nil
}

// Doc pages cited by the WeCom rules.
const (
	docWeComSend    = "https://developer.work.weixin.qq.com/document/path/90236"
	docWeComUpdate  = "https://developer.work.weixin.qq.com/document/path/94888"
	docWeComPassive = "https://developer.work.weixin.qq.com/document/path/90241"
	docWeComToken   = "https://developer.work.weixin.qq.com/document/path/91039"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ServeHTTP answers the API at the path the bot's client calls.
func (s *WeCom) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(code int, msg string) {
		writeJSON(w, http.StatusOK, map[string]any{"errcode": code, "errmsg": msg})
	}
	if r.URL.Path == "/cgi-bin/gettoken" {
		q := r.URL.Query()
		switch {
		case q.Get("corpid") != s.cfg.CorpID:
			fail(40013, "invalid corpid")
		case q.Get("corpsecret") != s.cfg.Secret:
			fail(40001, "invalid credential")
		default:
			writeJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": s.token, "expires_in": 7200})
		}
		return
	}
	if r.URL.Query().Get("access_token") != s.token {
		fail(40014, "invalid access_token") // doc 91039: refetch
		return
	}
	var body map[string]any
	if r.Method == http.MethodPost {
		raw, _ := io.ReadAll(io.LimitReader(r.Body, 2<<20))
		if err := json.Unmarshal(raw, &body); err != nil {
			fail(47001, "data format error")
			return
		}
	}
	switch r.URL.Path {
	case "/cgi-bin/message/send":
		s.send(w, body)
	case "/cgi-bin/message/update_template_card":
		s.updateCard(w, body)
	case "/cgi-bin/appchat/send":
		chat := str(body, "chatid")
		s.hub.add(core.PlatformWeCom, "chat:"+chat, &Entry{ID: "app-" + strconv.FormatInt(s.hub.nextID(), 10), From: FromBot, Kind: KindText, Text: wecomText(body), Via: "appchat/send"})
		writeJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok"})
	case "/cgi-bin/agent/get":
		writeJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok", "agentid": s.cfg.AgentID, "name": "punchbot (simulated)",
			"allow_userinfos": map[string]any{"user": []any{}}, "allow_partys": map[string]any{"partyid": []any{1}}})
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"errcode": 404, "errmsg": "no such API in the simulator: " + r.URL.Path})
	}
}

// wecomText is what a text-like message shows.
func wecomText(body map[string]any) string {
	for _, k := range []string{"text", "markdown", "textcard"} {
		if c := str(body, k, "content"); c != "" {
			return c
		}
		if c := str(body, k, "description"); c != "" {
			return str(body, k, "title") + "\n" + c
		}
	}
	return ""
}

var taskIDChars = regexp.MustCompile(`^[A-Za-z0-9_\-@]+$`)

// checkSend returns the rules a message/send body breaks: the first with a
// WeCom error code the API answers with, the others only recorded.
func checkSend(body map[string]any, agentID string) (problems []string, code int) {
	bad := func(c int, format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
		if code == 0 {
			code = c
		}
	}
	if strconv.FormatFloat(num(body, "agentid"), 'f', -1, 64) != agentID {
		bad(40056, "agentid %v is not the application's %s", body["agentid"], agentID)
	}
	users := str(body, "touser")
	if users == "" && str(body, "toparty") == "" && str(body, "totag") == "" {
		bad(40035, "touser, toparty and totag are all empty")
	}
	if n := len(strings.Split(users, "|")); n > 1000 {
		bad(40035, "touser names %d members, at most 1000", n)
	}
	switch mt := str(body, "msgtype"); mt {
	case "text", "markdown":
		content := str(body, mt, "content")
		if content == "" {
			bad(44004, "%s.content is empty", mt)
		}
		if len(content) > 2048 {
			bad(0, "%s.content is %d bytes; WeCom cuts it at 2048", mt, len(content))
		}
	case "template_card":
		tc, _ := body["template_card"].(map[string]any)
		problems2, c := checkTemplateCard(tc)
		for _, p := range problems2 {
			bad(c, "%s", p)
		}
	case "":
		bad(40008, "msgtype is missing")
	case "image", "voice", "video", "file", "textcard", "news", "mpnews", "miniprogram_notice":
	default:
		bad(40008, "msgtype %q is not a WeCom message type", mt)
	}
	return problems, code
}

// checkTemplateCard is the field rules of doc 90236 (模板卡片消息) the bots'
// cards touch: a known card_type, a title or a sub-title, a task_id for
// interactive cards (letters, digits, _-@, at most 128 bytes), one to six
// buttons each with text and key, at most six horizontal_content_list
// and three jump_list entries.
func checkTemplateCard(tc map[string]any) ([]string, int) {
	var problems []string
	code := 0
	bad := func(c int, format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
		if code == 0 {
			code = c
		}
	}
	if tc == nil {
		bad(42027, "template_card is missing")
		return problems, code
	}
	ct := str(tc, "card_type")
	interactive := ct == "button_interaction" || ct == "vote_interaction" || ct == "multiple_interaction"
	switch ct {
	case "text_notice", "news_notice", "button_interaction", "vote_interaction", "multiple_interaction":
	default:
		bad(42027, "card_type %q is not a template card type", ct)
	}
	if (ct == "text_notice" || ct == "button_interaction") && str(tc, "main_title", "title") == "" && str(tc, "sub_title_text") == "" {
		bad(42028, "%s needs main_title.title or sub_title_text", ct)
	}
	task := str(tc, "task_id")
	if interactive && task == "" {
		bad(42014, "%s needs a task_id", ct)
	}
	if task != "" && (len(task) > 128 || !taskIDChars.MatchString(task)) {
		bad(42014, "task_id %q: at most 128 bytes of letters, digits, _, - and @", task)
	}
	buttons := list(tc, "button_list")
	if ct == "button_interaction" && (len(buttons) == 0 || len(buttons) > 6) {
		bad(42037, "button_interaction has %d buttons, wants 1 to 6", len(buttons))
	}
	for i, b := range buttons {
		if str(b, "text") == "" {
			bad(42038, "button_list[%d].text is empty", i)
		}
		if k := str(b, "key"); k == "" || len(k) > 1024 {
			bad(42039, "button_list[%d].key must be 1 to 1024 bytes", i)
		}
	}
	if ct == "multiple_interaction" {
		// Doc 101032 (SelectionItem, submit_button): one to three
		// drop-downs, each with a question_key and one to ten options
		// whose ids are unique and at most 128 bytes. Which errcode WeCom
		// answers these with is not documented; 40058 is its invalid
		// parameter.
		sels := list(tc, "select_list")
		if len(sels) == 0 || len(sels) > 3 {
			bad(40058, "multiple_interaction has %d select_list entries, wants 1 to 3", len(sels))
		}
		keys := map[string]bool{}
		for i, sel := range sels {
			k := str(sel, "question_key")
			if k == "" || len(k) > 1024 || keys[k] {
				bad(40058, "select_list[%d].question_key %q must be 1 to 1024 bytes and unique", i, k)
			}
			keys[k] = true
			opts := list(sel, "option_list")
			if len(opts) == 0 || len(opts) > 10 {
				bad(40058, "select_list[%d] has %d options, wants 1 to 10", i, len(opts))
			}
			ids := map[string]bool{}
			for j, o := range opts {
				id := str(o, "id")
				if id == "" || len(id) > 128 || ids[id] {
					bad(40058, "select_list[%d].option_list[%d].id %q must be 1 to 128 bytes and unique", i, j, id)
				}
				ids[id] = true
			}
		}
		if k := str(tc, "submit_button", "key"); k == "" || len(k) > 1024 {
			bad(40058, "submit_button.key must be 1 to 1024 bytes")
		}
	}
	if n := len(list(tc, "horizontal_content_list")); n > 6 {
		bad(42030, "horizontal_content_list has %d entries, at most 6", n)
	}
	if n := len(list(tc, "jump_list")); n > 3 {
		bad(42031, "jump_list has %d entries, at most 3", n)
	}
	// Doc 90236 (and the zsmhub/workweixin copy of doc 90372's fields):
	// button keys "不可重复"; a horizontal_content_list row needs its
	// keyname and, by type, the url (1), media_id (2) or userid (3) it
	// links to; text_notice and news_notice need a card_action of type 1
	// (url) or 2 (mini program). WeCom answers a missing or type-0
	// card_action with 42045 "Template_Card card_action Missing or
	// Invalid" (a capture on developers.weixin.qq.com); the codes of the
	// row rules are not documented, 42030 is the list's.
	keys := map[string]bool{}
	for i, b := range buttons {
		if k := str(b, "key"); k != "" && keys[k] {
			bad(42039, "button_list[%d].key %q repeats an earlier key", i, k)
		} else {
			keys[k] = true
		}
	}
	for i, h := range list(tc, "horizontal_content_list") {
		need := map[float64]string{1: "url", 2: "media_id", 3: "userid"}[num(h, "type")]
		switch {
		case str(h, "keyname") == "":
			bad(42030, "horizontal_content_list[%d].keyname is empty", i)
		case need != "" && str(h, need) == "":
			bad(42030, "horizontal_content_list[%d] is type %v without its %s", i, num(h, "type"), need)
		}
	}
	if ct == "text_notice" || ct == "news_notice" {
		switch t := num(tc, "card_action", "type"); {
		case t != 1 && t != 2:
			bad(42045, "%s needs a card_action of type 1 (url) or 2 (mini program)", ct)
		case t == 1 && str(tc, "card_action", "url") == "", t == 2 && str(tc, "card_action", "appid") == "":
			bad(42045, "card_action of type %v without its url or appid", t)
		}
	}
	return problems, code
}

func (s *WeCom) send(w http.ResponseWriter, body map[string]any) {
	const api = "message/send"
	problems, code := checkSend(body, s.cfg.AgentID)
	for _, p := range problems {
		s.hub.violate(core.PlatformWeCom, api, p, docWeComSend)
	}
	if code != 0 {
		writeJSON(w, http.StatusOK, map[string]any{"errcode": code, "errmsg": strings.Join(problems, "; ")})
		return
	}
	users := strings.Split(str(body, "touser"), "|")
	if ok, _ := s.perAPI.allow("send"); !ok {
		s.hub.violate(core.PlatformWeCom, api, "over 2000 calls a minute", "https://developer.work.weixin.qq.com/document/path/90312")
		writeJSON(w, http.StatusOK, map[string]any{"errcode": 45009, "errmsg": "api freq out of limit"})
		return
	}
	for _, u := range users {
		if ok, _ := s.perMember.allow(u); !ok {
			s.hub.violate(core.PlatformWeCom, api, "over 30 messages a minute to "+u, docWeComSend)
			writeJSON(w, http.StatusOK, map[string]any{"errcode": 45009, "errmsg": "api freq out of limit"})
			return
		}
	}
	resp := map[string]any{"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": "sim" + strconv.FormatInt(s.hub.nextID(), 10)}
	mt := str(body, "msgtype")
	for _, u := range users {
		e := &Entry{ID: resp["msgid"].(string), From: FromBot, Kind: KindText, Via: api + " (" + mt + ")"}
		if mt == "template_card" {
			tc := body["template_card"].(map[string]any)
			task := str(tc, "task_id")
			s.mu.Lock()
			seen := s.tasks[task]
			s.tasks[task] = task != ""
			s.mu.Unlock()
			if seen {
				s.hub.violate(core.PlatformWeCom, api, "task_id "+task+" was used before", docWeComSend)
				writeJSON(w, http.StatusOK, map[string]any{"errcode": 42014, "errmsg": "taskid has existed or empty or exceed max len"})
				return
			}
			e.Kind, e.Card, e.raw = KindCard, wecomCard(tc), tc
			if task != "" {
				e.ID = task
			}
			if ct := str(tc, "card_type"); ct == "button_interaction" || ct == "vote_interaction" || ct == "multiple_interaction" {
				resp["response_code"] = s.issueCode(u, task)
			}
		} else {
			e.Text = wecomText(body)
		}
		s.hub.add(core.PlatformWeCom, u, e)
	}
	writeJSON(w, http.StatusOK, resp)
}

// issueCode returns a fresh one-time response_code for a card.
func (s *WeCom) issueCode(user, task string) string {
	code := "rc" + strconv.FormatInt(s.base, 36) + strconv.FormatInt(s.hub.nextID(), 36)
	s.mu.Lock()
	s.codes[code] = wecomCode{user: user, taskID: task, issued: s.hub.now()}
	s.mu.Unlock()
	return code
}

// updateCard is message/update_template_card (doc 94888): a one-time
// response_code, valid 72 hours, changes the card for the listed users,
// either greying its buttons (button.replace_name) or replacing it.
func (s *WeCom) updateCard(w http.ResponseWriter, body map[string]any) {
	const api = "message/update_template_card"
	code := str(body, "response_code")
	s.mu.Lock()
	c, ok := s.codes[code]
	fresh := ok && !c.used && s.hub.now().Sub(c.issued) < 72*time.Hour
	if fresh {
		c.used = true
		s.codes[code] = c
	}
	s.mu.Unlock()
	refuse := func(errcode int, rule string) {
		s.hub.violate(core.PlatformWeCom, api, rule, docWeComUpdate)
		writeJSON(w, http.StatusOK, map[string]any{"errcode": errcode, "errmsg": rule})
	}
	switch {
	case !fresh:
		refuse(40117, "response_code "+code+" is unknown, spent or older than 72 hours")
		return
	case strconv.FormatFloat(num(body, "agentid"), 'f', -1, 64) != s.cfg.AgentID:
		refuse(40056, "agentid is not the application's")
		return
	case (body["button"] == nil) == (body["template_card"] == nil):
		refuse(40058, "exactly one of button and template_card must be set")
		return
	}
	if tc, isCard := body["template_card"].(map[string]any); isCard {
		if problems, _ := checkTemplateCard(tc); len(problems) > 0 {
			refuse(42027, strings.Join(problems, "; "))
			return
		}
	}
	s.apply(c.user, c.taskID, body["button"], body["template_card"], api)
	// invaliduser as message/send answers it, a "|"-joined string. Some
	// copies of doc 94888 show an array here; the bot's client reads a
	// string, and which one WeCom sends is not confirmed.
	writeJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok", "invaliduser": ""})
}

// apply changes a card the way a client shows an update: greyed buttons
// with the replacement name, or the whole new card.
func (s *WeCom) apply(user, task string, button, card any, via string) {
	s.hub.update(core.PlatformWeCom, user, task, func(e *Entry) {
		if tc, ok := card.(map[string]any); ok {
			e.Card, e.raw = wecomCard(tc), tc
		} else if name := str(button, "replace_name"); name != "" && e.Card != nil {
			cp := *e.Card
			cp.Done = name
			e.Card = &cp
		}
		e.Via += " → " + via
	})
}

// callbackXML is the member's message, in the field order of the
// documented samples (PLATFORMS.md §3); after follows AgentID, where the
// template_card_event sample has its SelectedItems (§3.4).
func (s *WeCom) callbackXML(user, msgType, inner, after string) string {
	return fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime>`+
		`<MsgType><![CDATA[%s]]></MsgType>%s<AgentID>%s</AgentID>%s<AppType><![CDATA[wxwork]]></AppType></xml>`,
		s.cfg.CorpID, cdataEscape(user), s.hub.now().Unix(), msgType, inner, s.cfg.AgentID, after)
}

// cdataEscape keeps a "]]>" in user text from closing the CDATA section.
func cdataEscape(s string) string { return strings.ReplaceAll(s, "]]>", "]]]]><![CDATA[>") }

func (s *WeCom) msgID() string { return strconv.FormatInt(s.base+s.hub.nextID(), 10) }

// Say sends a text message from user to the application.
func (s *WeCom) Say(ctx context.Context, user, text string) error {
	id := s.msgID()
	s.hub.add(core.PlatformWeCom, user, &Entry{ID: "u" + id, From: FromUser, Kind: KindText, Text: text, Via: "text message"})
	return s.deliver(ctx, user, s.callbackXML(user, "text", "<Content><![CDATA["+cdataEscape(text)+"]]></Content><MsgId>"+id+"</MsgId>", ""))
}

// Share sends a location message; WeCom reports GCJ-02 (PLATFORMS.md §3.2:
// Location_X is the latitude).
func (s *WeCom) Share(ctx context.Context, user string, loc Location) error {
	lat, lng := loc.gcj02()
	id := s.msgID()
	s.hub.add(core.PlatformWeCom, user, &Entry{ID: "u" + id, From: FromUser, Kind: KindLocation, Text: loc.describe(lat, lng, "GCJ-02"), Via: "location message"})
	return s.deliver(ctx, user, s.callbackXML(user, "location", fmt.Sprintf(`<Location_X>%.6f</Location_X><Location_Y>%.6f</Location_Y><Scale>15</Scale><Label><![CDATA[%s]]></Label><MsgId>%s</MsgId>`,
		lat, lng, cdataEscape(loc.Label), id), ""))
}

// Press clicks button i of the card entry id as user: a
// template_card_event with the button's key, the card's task_id and a
// fresh response_code (PLATFORMS.md §3.4).
func (s *WeCom) Press(ctx context.Context, user, id string, i int) (string, error) {
	e, ok := s.hub.find(core.PlatformWeCom, user, id)
	if !ok || e.Card == nil || i < 0 || i >= len(e.Card.Buttons) {
		return "", core.Errorf(core.ENOTFOUND, "no button %d on message %s", i, id)
	}
	b := e.Card.Buttons[i]
	if b.URL != "" {
		return b.URL, nil
	}
	if e.Card.Done != "" {
		return "", core.Errorf(core.ECONFLICT, "the card's buttons were replaced by %q", e.Card.Done)
	}
	key, _ := b.payload.(string)
	return "", s.deliver(ctx, user, s.callbackXML(user, "event", s.cardEvent(user, id, key, e.Card.Type), ""))
}

// cardEvent is the body of a template_card_event (PLATFORMS.md §3.4, doc
// 90240 事件格式 → 模板卡片事件推送): the clicked key, the card's task_id
// and type, and a fresh one-time response_code.
func (s *WeCom) cardEvent(user, task, key, cardType string) string {
	return fmt.Sprintf(`<Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[%s]]></EventKey><TaskId><![CDATA[%s]]></TaskId>`+
		`<CardType><![CDATA[%s]]></CardType><ResponseCode><![CDATA[%s]]></ResponseCode>`,
		cdataEscape(key), cdataEscape(task), cdataEscape(cardType), s.issueCode(user, task))
}

// Submit presses the submit button of the multiple_interaction card id as
// user, with chosen the option id picked in each drop-down (question key
// → option id). A drop-down left out sends the option it shows chosen, as
// the client does. The callback is the template_card_event a submit
// brings: EventKey is submit_button.key, and SelectedItems carries each
// drop-down's QuestionKey and OptionIds, in the card's order (PLATFORMS.md
// §3.4; doc 90240 模板卡片事件推送; the card's fields in doc 101032).
func (s *WeCom) Submit(ctx context.Context, user, id string, chosen map[string]string) error {
	e, ok := s.hub.find(core.PlatformWeCom, user, id)
	if !ok || e.Card == nil || e.Card.Submit == nil {
		return core.Errorf(core.ENOTFOUND, "message %s has no submit button", id)
	}
	if e.Card.Done != "" {
		return core.Errorf(core.ECONFLICT, "the card's submit button was replaced by %q", e.Card.Done)
	}
	items, err := selectedItems(e.Card.Selects, chosen)
	if err != nil {
		return err
	}
	return s.deliver(ctx, user, s.callbackXML(user, "event", s.cardEvent(user, id, e.Card.Submit.Key, e.Card.Type), items))
}

// selectedItems is the SelectedItems element of a submit: one
// SelectedItem per drop-down, with the option chosen or, when none was,
// the one shown. A client offers only the card's options, and a greyed
// drop-down cannot change, so any other choice is refused here.
func selectedItems(selects []Select, chosen map[string]string) (string, error) {
	known := map[string]bool{}
	var b strings.Builder
	b.WriteString("<SelectedItems>")
	for _, sel := range selects {
		known[sel.Key] = true
		id, picked := chosen[sel.Key]
		if !picked || id == sel.Selected {
			id = sel.Selected
		} else if sel.Disabled {
			return "", core.Errorf(core.ECONFLICT, "the drop-down %q is disabled", sel.Title)
		}
		offered := false
		for _, o := range sel.Options {
			offered = offered || o.ID == id
		}
		if !offered {
			return "", core.Errorf(core.EINVALID, "%q is not an option of the drop-down %q", id, sel.Title)
		}
		fmt.Fprintf(&b, "<SelectedItem><QuestionKey><![CDATA[%s]]></QuestionKey><OptionIds><OptionId><![CDATA[%s]]></OptionId></OptionIds></SelectedItem>",
			cdataEscape(sel.Key), cdataEscape(id))
	}
	for k := range chosen {
		if !known[k] {
			return "", core.Errorf(core.EINVALID, "the card has no drop-down %q", k)
		}
	}
	b.WriteString("</SelectedItems>")
	return b.String(), nil
}

// deliver encrypts and signs a callback (PLATFORMS.md §1.2–1.4), posts it
// to the bot and shows a passive reply (§1.5, doc 90241) if one comes back.
func (s *WeCom) deliver(ctx context.Context, user, plain string) error {
	s.mu.Lock()
	s.nonces++
	nonce := strconv.FormatInt(s.base+s.nonces, 10)
	s.mu.Unlock()
	body, q, err := s.seal([]byte(plain), randomPrefix(nonce), strconv.FormatInt(s.hub.now().Unix(), 10), nonce)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.target()+wecom.CallbackPath+"?"+q, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/xml")
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return core.Errorf(core.EUNAVAILABLE, "the bot answered the WeCom callback with %d: %s", resp.StatusCode, bytes.TrimSpace(out))
	}
	if len(bytes.TrimSpace(out)) == 0 {
		return nil
	}
	return s.passive(user, out)
}

// seal is a callback's POST body and query (PLATFORMS.md §1.2–1.4): the
// plaintext encrypted behind a 16-byte random prefix, in the XML envelope,
// signed with msg_signature over token, timestamp, nonce and Encrypt.
func (s *WeCom) seal(plain, random []byte, ts, nonce string) (body, query string, err error) {
	enc, err := s.crypto.Encrypt(plain, random)
	if err != nil {
		return "", "", err
	}
	body = fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><Encrypt><![CDATA[%s]]></Encrypt><AgentID><![CDATA[%s]]></AgentID></xml>`, s.cfg.CorpID, enc, s.cfg.AgentID)
	return body, "msg_signature=" + s.crypto.Sign(ts, nonce, enc) + "&timestamp=" + ts + "&nonce=" + nonce, nil
}

// passive opens a passive reply: a signed, encrypted envelope whose
// plaintext is a text message, an update_button or an
// update_template_card for the clicked card.
func (s *WeCom) passive(user string, out []byte) error {
	const api = "passive reply"
	var env struct {
		Encrypt      string `xml:"Encrypt"`
		MsgSignature string `xml:"MsgSignature"`
		TimeStamp    string `xml:"TimeStamp"`
		Nonce        string `xml:"Nonce"`
	}
	if err := xml.Unmarshal(out, &env); err != nil || env.Encrypt == "" {
		s.hub.violate(core.PlatformWeCom, api, "the response body is not the encrypted reply envelope", docWeComPassive)
		return nil
	}
	if !s.crypto.Verify(env.MsgSignature, env.TimeStamp, env.Nonce, env.Encrypt) {
		s.hub.violate(core.PlatformWeCom, api, "MsgSignature does not match", docWeComPassive)
		return nil
	}
	plain, err := s.crypto.Decrypt(env.Encrypt)
	if err != nil {
		s.hub.violate(core.PlatformWeCom, api, "cannot decrypt: "+err.Error(), docWeComPassive)
		return nil
	}
	var msg struct {
		ToUserName string `xml:"ToUserName"`
		MsgType    string `xml:"MsgType"`
		Content    string `xml:"Content"`
		Button     struct {
			ReplaceName string `xml:"ReplaceName"`
		} `xml:"Button"`
	}
	if err := xml.Unmarshal(plain, &msg); err != nil {
		s.hub.violate(core.PlatformWeCom, api, "the reply is not XML", docWeComPassive)
		return nil
	}
	if msg.ToUserName != user {
		s.hub.violate(core.PlatformWeCom, api, "ToUserName "+msg.ToUserName+" is not the sender "+user, docWeComPassive)
	}
	switch msg.MsgType {
	case "text":
		if len(msg.Content) > 2048 {
			s.hub.violate(core.PlatformWeCom, api, "Content is over 2048 bytes and would be cut", docWeComPassive)
		}
		s.hub.add(core.PlatformWeCom, user, &Entry{ID: "p" + strconv.FormatInt(s.hub.nextID(), 10), From: FromBot, Kind: KindText, Text: msg.Content, Via: api})
	case "update_button":
		// Which card: the one whose button was just clicked; the latest
		// code issued to this user names it.
		s.mu.Lock()
		var task string
		var at time.Time
		for _, c := range s.codes {
			if c.user == user && c.issued.After(at) {
				task, at = c.taskID, c.issued
			}
		}
		s.mu.Unlock()
		s.apply(user, task, map[string]any{"replace_name": msg.Button.ReplaceName}, nil, api)
	default:
		s.hub.add(core.PlatformWeCom, user, &Entry{ID: "p" + strconv.FormatInt(s.hub.nextID(), 10), From: FromBot, Kind: KindText, Text: "[" + msg.MsgType + "]", Via: api})
	}
	return nil
}
