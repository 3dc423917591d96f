package sim

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/punchbot/punchbot/core"
)

// FeishuConfig is the custom app the simulator plays.
type FeishuConfig struct {
	AppID, AppSecret, VerificationToken, EncryptKey, TenantKey string
}

// Feishu simulates the Feishu open platform (tenant_access_token,
// im/v1/messages create, reply and PATCH, message/v4/batch_send, bot info)
// and the client that sends events and card callbacks to the app.
type Feishu struct {
	cfg    FeishuConfig
	hub    *Hub
	target func() string
	http   *http.Client
	token  string
	base   string // event and message ids of this run carry it
	// Limits (https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control):
	// sending 50/s and 1000/min per app; a card PATCH 5/s per message
	// (https://open.feishu.cn/document/server-docs/im-v1/message/patch).
	perAppSecond, perAppMinute, perMessage *window

	mu    sync.Mutex
	multi map[string]bool // message id → sent with config.update_multi
}

// Doc pages cited by the Feishu rules.
const (
	docFeishuCreate = "https://open.feishu.cn/document/server-docs/im-v1/message/create"
	docFeishuReply  = "https://open.feishu.cn/document/server-docs/im-v1/message/reply"
	docFeishuPatch  = "https://open.feishu.cn/document/server-docs/im-v1/message/patch"
	docFeishuBatch  = "https://open.feishu.cn/document/ukTMukTMukTM/ucDO1EjL3gTNx4yN4UTM"
	docFeishuLimits = "https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control"
	docFeishuCard   = "https://open.larkoffice.com/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/handle-card-callbacks"
)

func newFeishu(cfg FeishuConfig, hub *Hub, target func() string, client *http.Client) *Feishu {
	if cfg.TenantKey == "" {
		cfg.TenantKey = "tk_sim"
	}
	return &Feishu{cfg: cfg, hub: hub, target: target, http: client, token: feishuToken(cfg),
		base:         strconv.FormatInt(hub.now().UnixMicro(), 36),
		perAppSecond: newWindow(50, time.Second, hub.now), perAppMinute: newWindow(1000, time.Minute, hub.now), perMessage: newWindow(5, time.Second, hub.now),
		multi: map[string]bool{}}
}

// feishuToken is the app's tenant_access_token: derived from its
// credentials, because the lark SDK caches tokens process-wide by app id
// and a second simulator in the same process must accept the first one's.
func feishuToken(cfg FeishuConfig) string {
	return "t-sim-" + hex.EncodeToString(randomPrefix(cfg.AppID + "\x00" + cfg.AppSecret)[:8])
}

func (s *Feishu) fail(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"code": code, "msg": msg})
}

// ServeHTTP answers the API at the paths the lark SDK calls.
func (s *Feishu) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 2<<20))
	var body map[string]any
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &body); err != nil {
			s.fail(w, http.StatusBadRequest, 9499, "Bad Request: body is not JSON")
			return
		}
	}
	p := r.URL.Path
	if p == "/open-apis/auth/v3/tenant_access_token/internal" {
		if str(body, "app_id") != s.cfg.AppID || str(body, "app_secret") != s.cfg.AppSecret {
			s.fail(w, http.StatusOK, 10014, "app secret invalid")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "ok", "tenant_access_token": s.token, "expire": 7200})
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+s.token {
		s.fail(w, http.StatusBadRequest, 99991663, "Invalid access token for authorization")
		return
	}
	switch {
	case p == "/open-apis/bot/v3/info":
		writeJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "ok", "bot": map[string]any{"open_id": "ou_sim_bot", "app_name": "punchbot (simulated)", "activate_status": 2}})
	case p == "/open-apis/im/v1/messages" && r.Method == http.MethodPost:
		s.create(w, r, body)
	case strings.HasPrefix(p, "/open-apis/im/v1/messages/") && strings.HasSuffix(p, "/reply") && r.Method == http.MethodPost:
		s.reply(w, strings.TrimSuffix(strings.TrimPrefix(p, "/open-apis/im/v1/messages/"), "/reply"), body)
	case strings.HasPrefix(p, "/open-apis/im/v1/messages/") && r.Method == http.MethodPatch:
		s.patch(w, strings.TrimPrefix(p, "/open-apis/im/v1/messages/"), body)
	case p == "/open-apis/message/v4/batch_send/" || p == "/open-apis/message/v4/batch_send":
		s.batch(w, body)
	default:
		s.fail(w, http.StatusNotFound, 404, "no such API in the simulator: "+r.Method+" "+p)
	}
}

// limited applies the app's sending windows; true when refused, answered
// as the gateway does (HTTP 429, code 99991400, x-ogw-ratelimit-reset).
func (s *Feishu) limited(w http.ResponseWriter, api string) bool {
	ok, retry := limits{s.perAppSecond, s.perAppMinute}.allow("app", "app")
	if ok {
		return false
	}
	s.hub.violate(core.PlatformFeishu, api, "over 50 calls a second or 1000 a minute", docFeishuLimits)
	w.Header().Set("x-ogw-ratelimit-limit", "50")
	w.Header().Set("x-ogw-ratelimit-reset", strconv.Itoa(int(retry.Seconds())+1))
	s.fail(w, http.StatusTooManyRequests, 99991400, "request trigger frequency limit")
	return true
}

// content reads a message's msg_type and content (a JSON string) and
// checks them: a known type, JSON content, text at most 150 KB, cards and
// posts at most 30 KB (doc "发送消息", 请求体 content).
func (s *Feishu) content(api, doc, msgType string, content any) (Entry, []string) {
	var problems []string
	e := Entry{From: FromBot, Kind: KindText, Via: api + " (" + msgType + ")"}
	text, isString := content.(string)
	var parsed map[string]any
	switch {
	case isString:
		var err error
		if parsed, err = decodeJSON(text); err != nil {
			problems = append(problems, "content is not a JSON string")
		}
	case content != nil:
		parsed, _ = content.(map[string]any)
		buf, _ := json.Marshal(content)
		text = string(buf)
	default:
		problems = append(problems, "content is missing")
	}
	switch msgType {
	case "text":
		if len(text) > 150<<10 {
			problems = append(problems, fmt.Sprintf("text content is %d bytes, at most 150 KB", len(text)))
		}
		e.Text = str(parsed, "text")
	case "interactive", "post":
		if len(text) > 30<<10 {
			problems = append(problems, fmt.Sprintf("%s content is %d bytes, at most 30 KB", msgType, len(text)))
		}
		if msgType == "post" {
			e.Text = postText(parsed)
		} else {
			e.Kind, e.Card, e.raw = KindCard, feishuCard(parsed), parsed
		}
	case "image", "file", "audio", "media", "sticker", "share_chat", "share_user", "system":
		e.Text = "[" + msgType + "]"
	case "":
		problems = append(problems, "msg_type is missing")
	default:
		problems = append(problems, fmt.Sprintf("msg_type %q is not a Feishu message type", msgType))
	}
	for _, p := range problems {
		s.hub.violate(core.PlatformFeishu, api, p, doc)
	}
	return e, problems
}

// postText flattens a rich-text post to lines.
func postText(post map[string]any) string {
	for _, lang := range []string{"zh_cn", "en_us", "ja_jp"} {
		body, ok := post[lang].(map[string]any)
		if !ok {
			continue
		}
		var b strings.Builder
		if t := str(body, "title"); t != "" {
			b.WriteString(t + "\n")
		}
		for _, line := range list(body, "content") {
			for _, seg := range line.([]any) {
				b.WriteString(str(seg, "text") + str(seg, "href"))
			}
			b.WriteString("\n")
		}
		return strings.TrimSpace(b.String())
	}
	return ""
}

// updateMulti reports whether a card is shared-updatable, which it must
// be to be patched later: config.update_multi in JSON 1.0; always in JSON
// 2.0 (https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v2-structure).
func updateMulti(card any) bool {
	m, _ := card.(map[string]any)
	c, _ := m["config"].(map[string]any)
	return c["update_multi"] == true || m["schema"] == "2.0"
}

func (s *Feishu) messageID() string { return "om_sim" + s.base + strconv.FormatInt(s.hub.nextID(), 36) }

// record stores a sent message and remembers whether its card may be
// patched later (config.update_multi).
func (s *Feishu) record(user string, e Entry) string {
	e.ID = s.messageID()
	s.mu.Lock()
	s.multi[e.ID] = updateMulti(e.raw)
	s.mu.Unlock()
	s.hub.add(core.PlatformFeishu, user, &e)
	return e.ID
}

func (s *Feishu) ok(w http.ResponseWriter, id, msgType string) {
	writeJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "success", "data": map[string]any{
		"message_id": id, "msg_type": msgType, "create_time": strconv.FormatInt(s.hub.now().UnixMilli(), 10)}})
}

// create is POST im/v1/messages?receive_id_type=… (doc "发送消息").
func (s *Feishu) create(w http.ResponseWriter, r *http.Request, body map[string]any) {
	const api = "im/v1/messages"
	idType, to := r.URL.Query().Get("receive_id_type"), str(body, "receive_id")
	switch {
	case idType != "open_id" && idType != "user_id" && idType != "union_id" && idType != "email" && idType != "chat_id":
		s.hub.violate(core.PlatformFeishu, api, "receive_id_type "+idType+" is not open_id, user_id, union_id, email or chat_id", docFeishuCreate)
		s.fail(w, http.StatusBadRequest, 230001, "invalid receive_id_type")
		return
	case to == "":
		s.hub.violate(core.PlatformFeishu, api, "receive_id is empty", docFeishuCreate)
		s.fail(w, http.StatusBadRequest, 230001, "receive_id is empty")
		return
	}
	if idType == "chat_id" {
		to = strings.TrimPrefix(to, "oc_") // the simulator's p2p chat ids are oc_ + the open_id
	}
	e, problems := s.content(api, docFeishuCreate, str(body, "msg_type"), body["content"])
	if len(problems) > 0 {
		s.fail(w, http.StatusBadRequest, 230001, strings.Join(problems, "; "))
		return
	}
	if s.limited(w, api) {
		return
	}
	s.ok(w, s.record(to, e), str(body, "msg_type"))
}

// reply is POST im/v1/messages/:message_id/reply (doc "回复消息"): the
// answer goes to the chat of the message replied to.
func (s *Feishu) reply(w http.ResponseWriter, id string, body map[string]any) {
	const api = "im/v1/messages/:message_id/reply"
	user, ok := s.hub.owner(core.PlatformFeishu, id)
	if !ok {
		s.hub.violate(core.PlatformFeishu, api, "message_id "+id+" is not a message of this app's chats", docFeishuReply)
		s.fail(w, http.StatusBadRequest, 230011, "The message is invalid")
		return
	}
	if isBatchMessage(id) {
		// 批量发送消息: its bm- messages "不支持编辑、回复等操作"; which
		// code Feishu answers is not documented, 230011 is "message invalid".
		s.hub.violate(core.PlatformFeishu, api, "message_id "+id+" was sent by batch_send, which cannot be replied to", docFeishuBatch)
		s.fail(w, http.StatusBadRequest, 230011, "batch messages cannot be replied to")
		return
	}
	e, problems := s.content(api, docFeishuReply, str(body, "msg_type"), body["content"])
	if len(problems) > 0 {
		s.fail(w, http.StatusBadRequest, 230001, strings.Join(problems, "; "))
		return
	}
	if s.limited(w, api) {
		return
	}
	s.ok(w, s.record(user, e), str(body, "msg_type"))
}

// patch is PATCH im/v1/messages/:message_id (doc "更新应用发送的消息卡片"):
// only cards sent with config.update_multi, which the new card keeps, at
// most 5 updates a second per message.
func (s *Feishu) patch(w http.ResponseWriter, id string, body map[string]any) {
	const api = "PATCH im/v1/messages/:message_id"
	user, ok := s.hub.owner(core.PlatformFeishu, id)
	refuse := func(status, code int, rule string) {
		s.hub.violate(core.PlatformFeishu, api, rule, docFeishuPatch)
		s.fail(w, status, code, rule)
	}
	if !ok {
		refuse(http.StatusBadRequest, 230011, "message_id "+id+" is not a message this app sent")
		return
	}
	if isBatchMessage(id) {
		// The patch doc: "不支持更新批量发送的消息".
		refuse(http.StatusBadRequest, 230011, "message_id "+id+" was sent by batch_send, which cannot be updated")
		return
	}
	s.mu.Lock()
	multi := s.multi[id]
	s.mu.Unlock()
	e, problems := s.content(api, docFeishuPatch, "interactive", body["content"])
	if len(problems) > 0 {
		s.fail(w, http.StatusBadRequest, 230001, strings.Join(problems, "; "))
		return
	}
	if !multi || !updateMulti(e.raw) {
		refuse(http.StatusBadRequest, 230099, "the card must have config.update_multi true both when sent and in the update")
		return
	}
	if ok, _ := s.perMessage.allow(id); !ok {
		refuse(http.StatusTooManyRequests, 230020, "over 5 updates a second to one message")
		return
	}
	s.hub.update(core.PlatformFeishu, user, id, func(old *Entry) {
		old.Card, old.raw = e.Card, e.raw
		old.Via += " → PATCH"
	})
	writeJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "success", "data": map[string]any{}})
}

// isBatchMessage reports whether id is a batch_send message: "具备独立的
// 消息 ID（以 bm- 为前缀）" (批量发送消息,
// https://open.feishu.cn/document/ukTMukTMukTM/ucDO1EjL3gTNx4yN4UTM).
func isBatchMessage(id string) bool {
	return strings.HasPrefix(id, "bm-") || strings.HasPrefix(id, "bm_")
}

// batch is message/v4/batch_send (doc "批量发送消息"): up to 200
// departments, the card under "card", other content under "content";
// batch messages cannot be updated or replied to later.
func (s *Feishu) batch(w http.ResponseWriter, body map[string]any) {
	const api = "message/v4/batch_send"
	var to []string
	for _, k := range []string{"open_ids", "user_ids", "union_ids"} {
		for _, v := range list(body, k) {
			if id, ok := v.(string); ok {
				to = append(to, id)
			}
		}
	}
	if len(to) == 0 && len(list(body, "department_ids")) == 0 {
		s.hub.violate(core.PlatformFeishu, api, "no open_ids, user_ids, union_ids or department_ids", docFeishuBatch)
		s.fail(w, http.StatusBadRequest, 9499, "no recipients")
		return
	}
	if n := len(list(body, "department_ids")); n > 200 {
		s.hub.violate(core.PlatformFeishu, api, fmt.Sprintf("%d department_ids, at most 200", n), docFeishuBatch)
	}
	mt := str(body, "msg_type")
	content := body["content"]
	if mt == "interactive" {
		content = body["card"]
	}
	e, problems := s.content(api, docFeishuBatch, mt, content)
	if len(problems) > 0 {
		s.fail(w, http.StatusBadRequest, 9499, strings.Join(problems, "; "))
		return
	}
	if s.limited(w, api) {
		return
	}
	for _, u := range to {
		one := e
		one.ID = "bm_sim" + s.base + strconv.FormatInt(s.hub.nextID(), 36)
		s.hub.add(core.PlatformFeishu, u, &one)
	}
	writeJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "ok", "data": map[string]any{"message_id": "bm_sim" + s.base, "invalid_open_ids": []string{}}})
}
