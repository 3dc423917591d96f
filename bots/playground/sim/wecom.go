package sim

import (
	"encoding/json"
	"io"
	"net/http"
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
