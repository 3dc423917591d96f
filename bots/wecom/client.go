package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/punchbot/punchbot/core"
)

// DefaultAPIURL is WeCom's API host.
const DefaultAPIURL = "https://qyapi.weixin.qq.com"

// Limits from the message/send documentation (doc 90236).
const (
	maxTextBytes     = 2048
	maxMarkdownBytes = 2048
	maxUsers         = 1000
	maxPartiesOrTags = 100
	maxResponseBytes = 1 << 20
	// maxDuplicateCheckSeconds bounds duplicate_check_interval.
	maxDuplicateCheckSeconds = 4 * 3600
)

// Retry policy. WeCom asks callers to retry "system busy" (-1) a few times;
// the waits are short because the outbox worker is waiting on this call.
const (
	maxBusyRetries = 3
	busyBackoff    = 250 * time.Millisecond
	// tokenMargin is how long before WeCom's stated expiry a token is
	// replaced, so a request never leaves with a token about to lapse.
	tokenMargin = 5 * time.Minute
	// Rate-limit waits: 45009 blocks for the limit's period (minute-level
	// limits for message/send); 45033 is a concurrency limit that clears
	// as soon as in-flight calls finish.
	freqLimitWait        = time.Minute
	concurrencyLimitWait = 5 * time.Second
)

// APIError is a non-zero errcode from the WeCom API. It is wrapped in a
// *core.Error whose code says whether retrying can help.
type APIError struct {
	Code int
	Msg  string
}

// Error implements the error interface.
func (e *APIError) Error() string { return fmt.Sprintf("wecom errcode %d: %s", e.Code, e.Msg) }

// ClientConfig configures a Client.
type ClientConfig struct {
	APIURL     string // DefaultAPIURL when empty
	CorpID     string
	Secret     string // the application's secret; tokens are per application
	AgentID    int64  // used when a message names no agent
	HTTPClient *http.Client
	Now        func() time.Time
	// Sleep waits between retries of a busy API; tests make it instant.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client is a small WeCom API client: access-token caching with refetch on
// expiry, and the message calls punchbot needs, including the response_code
// of template-card sends and update_template_card, which go-workwx lacks.
// It is safe for concurrent use.
type Client struct {
	base    string
	corpID  string
	secret  string
	agentID int64
	hc      *http.Client
	now     func() time.Time
	sleep   func(ctx context.Context, d time.Duration) error

	// mu guards the cached token and is held while fetching one, so that a
	// burst of sends after expiry makes one gettoken call, not one each.
	mu      sync.Mutex
	token   string
	expires time.Time
}

// NewClient returns a client; nothing is fetched until the first call.
func NewClient(cfg ClientConfig) *Client {
	c := &Client{
		base: strings.TrimRight(cfg.APIURL, "/"), corpID: cfg.CorpID, secret: cfg.Secret, agentID: cfg.AgentID,
		hc: cfg.HTTPClient, now: cfg.Now, sleep: cfg.Sleep,
	}
	if c.base == "" {
		c.base = DefaultAPIURL
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: 10 * time.Second}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = core.SleepContext
	}
	return c
}

// AgentID returns the application's agent id.
func (c *Client) AgentID() int64 { return c.agentID }

// apiStatus is the errcode/errmsg pair every response carries.
type apiStatus struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func (s *apiStatus) status() *apiStatus { return s }

type apiResponse interface{ status() *apiStatus }

type tokenResponse struct {
	apiStatus
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// Token returns a valid access token, fetching one when the cached token is
// missing or near its expiry: GET /cgi-bin/gettoken?corpid=…&corpsecret=…,
// answered {"errcode":0,"access_token":…,"expires_in":7200}; WeCom may
// revoke a token early, so post refetches on 40014/42001 (获取access_token,
// https://developer.work.weixin.qq.com/document/path/91039).
func (c *Client) Token(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.now().Before(c.expires) {
		return c.token, nil
	}
	q := url.Values{"corpid": {c.corpID}, "corpsecret": {c.secret}}
	for busy := 0; ; busy++ {
		var r tokenResponse
		err := c.do(ctx, http.MethodGet, "/cgi-bin/gettoken", q, nil, &r)
		if err == nil {
			if r.AccessToken == "" {
				return "", core.Errorf(core.EUNAVAILABLE, "wecom gettoken: response has no access_token")
			}
			life := time.Duration(r.ExpiresIn) * time.Second
			c.token, c.expires = r.AccessToken, c.now().Add(life-min(tokenMargin, life/10))
			return c.token, nil
		}
		if apiCode(err) == -1 && busy < maxBusyRetries {
			if err := c.sleep(ctx, busyBackoff<<busy); err != nil {
				return "", core.WrapError(core.EUNAVAILABLE, err, "wecom gettoken: cancelled while WeCom was busy")
			}
			continue
		}
		return "", classify("gettoken", err, true)
	}
}

// invalidate drops the cached token if it is still tok, so that a token
// another goroutine has just refreshed is kept.
func (c *Client) invalidate(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == tok {
		c.token, c.expires = "", time.Time{}
	}
}

// post calls an authenticated API. A rejected token (expired early, or
// revoked) is refetched and the call retried once; "system busy" is
// retried with backoff; everything else is classified for the caller.
func (c *Client) post(ctx context.Context, path string, body any, out apiResponse) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return core.WrapError(core.EINVALID, err, "wecom %s: cannot encode the request", path)
	}
	refetched, busy := false, 0
	for {
		tok, err := c.Token(ctx)
		if err != nil {
			return err
		}
		*out.status() = apiStatus{}
		err = c.do(ctx, http.MethodPost, path, url.Values{"access_token": {tok}}, payload, out)
		if err == nil {
			return nil
		}
		switch code := apiCode(err); {
		case isTokenError(code) && !refetched:
			refetched = true
			c.invalidate(tok)
			continue
		case code == -1 && busy < maxBusyRetries:
			if err := c.sleep(ctx, busyBackoff<<busy); err != nil {
				return core.WrapError(core.EUNAVAILABLE, err, "wecom %s: cancelled while WeCom was busy", path)
			}
			busy++
			continue
		}
		return classify(path, err, false)
	}
}

func isTokenError(code int) bool {
	// 42001 expired, 40014 invalid, 41001 missing; 40001 is what WeCom
	// answers for a token issued under a secret that has since been reset.
	return code == 42001 || code == 40014 || code == 40001 || code == 41001
}

func apiCode(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return 0
}

// classify turns an API or transport error into a coded error: EINVALID for
// requests that can never succeed (so the outbox stops retrying),
// ERATELIMIT with the wait for frequency limits, ECONFIG for the app's
// set-up (configFix; the outbox keeps the message until an operator fixes
// it), EUNAVAILABLE otherwise. tokenCall says err came from gettoken; a
// token error from any other call reaches here only after post refetched
// the token once, so it too is a set-up problem.
func classify(op string, err error, tokenCall bool) error {
	var ae *APIError
	if !errors.As(err, &ae) {
		var ce *core.Error
		if errors.As(err, &ce) {
			return err
		}
		return core.WrapError(core.EUNAVAILABLE, err, "wecom %s failed", op)
	}
	e := &core.Error{Code: core.EUNAVAILABLE, Message: fmt.Sprintf("wecom %s: errcode %d %s", op, ae.Code, ae.Msg), Err: ae}
	switch c := ae.Code; {
	case c == 45009:
		e.Code, e.RetryAfter = core.ERATELIMIT, freqLimitWait
	case c == 45033:
		e.Code, e.RetryAfter = core.ERATELIMIT, concurrencyLimitWait
	case configFix(c, ae.Msg, op) != "":
		// Wrong corp id, agent id or secret, missing API permission or an
		// untrusted server IP: retrying later helps once an admin fixes it.
		return core.ConfigError(strconv.Itoa(c), configFix(c, ae.Msg, op), ae)
	case permanentCode(c):
		e.Code = core.EINVALID
	}
	return e
}

// fromIP finds the address WeCom saw in a 60020 errmsg ("…, from ip:
// 203.0.113.7, more info at …").
var fromIP = regexp.MustCompile(`from ip: ?([0-9a-fA-F.:]+)`)

// configFix says what an operator must change for an errcode that means the
// app's set-up is wrong, or "" for any other code. Codes and their meaning
// are WeCom's 全局错误码 (https://developer.work.weixin.qq.com/document/path/90313);
// 42001/40014/41001 count only after a refetch (see classify), since a
// token that merely expired is refetched by post.
func configFix(code int, msg, op string) string {
	switch code {
	case 40001, 41004:
		return fmt.Sprintf("WeCom rejects the app secret (errcode %d): copy the app's Secret from 管理后台 → 应用管理 → (the app) → Secret into PUNCHBOT_WECOM_SECRET; resetting it there invalidates the old one", code)
	case 40013:
		return "WeCom rejects the corp id (errcode 40013): set PUNCHBOT_WECOM_CORP_ID to the 企业ID under 管理后台 → 我的企业 → 企业信息"
	case 40056, 301002:
		return fmt.Sprintf("the agent id is not the app this secret belongs to (errcode %d): set PUNCHBOT_WECOM_AGENT_ID to the AgentId on the same app page as the Secret", code)
	case 42001, 40014, 41001:
		return fmt.Sprintf("WeCom refuses a freshly fetched access token (errcode %d): check that PUNCHBOT_WECOM_SECRET is this app's current Secret and that no other program resets it", code)
	case 48002:
		return fmt.Sprintf("the app may not call %s (errcode 48002, API接口无权限调用): use the Secret of a self-built app (自建应用), not the contacts-sync (通讯录同步) or another app's", op)
	case 60011:
		return "the app has no privilege for this member or chat (errcode 60011): widen the app's 可见范围 (visible range) under 管理后台 → 应用管理 → (the app); group chats the app sends to need the whole organisation (root department) in it"
	case 60020:
		ip := "this server's egress IP"
		if m := fromIP.FindStringSubmatch(msg); m != nil {
			ip = m[1] + " (the address WeCom saw)"
		}
		return "WeCom refuses API calls from this address (errcode 60020, 不安全的访问IP): add " + ip + " to the app's 企业可信IP (管理后台 → 应用管理 → (the app) → 企业可信IP), for every replica or the proxy in PUNCHBOT_WECOM_API_URL"
	}
	return ""
}

// permanentCode lists errcodes that mean this request is wrong and will
// stay wrong: invalid user ids, no valid recipient, empty or oversized
// content, a reused task id, and the template-card field errors.
func permanentCode(c int) bool {
	switch c {
	case 40003, 40008, 40058, 44004, 45002, 81013, 42014:
		return true
	}
	return c >= 42027 && c <= 42051
}

// do performs one HTTP call and decodes the JSON answer into out. A
// non-zero errcode is returned as *APIError.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body []byte, out apiResponse) error {
	u := c.base + path + "?" + q.Encode()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return core.WrapError(core.EINVALID, redact(err), "wecom %s: bad request", path)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return core.WrapError(core.EUNAVAILABLE, redact(err), "wecom %s: request failed", path)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return core.WrapError(core.EUNAVAILABLE, err, "wecom %s: reading the response", path)
	}
	if resp.StatusCode != http.StatusOK {
		return core.Errorf(core.EUNAVAILABLE, "wecom %s: HTTP %d", path, resp.StatusCode)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return core.WrapError(core.EUNAVAILABLE, err, "wecom %s: the response is not JSON", path)
	}
	if st := out.status(); st.ErrCode != 0 {
		return &APIError{Code: st.ErrCode, Msg: st.ErrMsg}
	}
	return nil
}

// redact drops the URL from transport errors: it carries the corp secret
// (gettoken) or the access token, neither of which belongs in a log.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// AppMessage is the body of message/send. Exactly one of Text, Markdown and
// TemplateCard is set, matching MsgType.
type AppMessage struct {
	ToUser                 string        `json:"touser,omitempty"` // user ids joined by "|", or "@all"
	ToParty                string        `json:"toparty,omitempty"`
	ToTag                  string        `json:"totag,omitempty"`
	MsgType                string        `json:"msgtype"`
	AgentID                int64         `json:"agentid"`
	Text                   *Content      `json:"text,omitempty"`
	Markdown               *Content      `json:"markdown,omitempty"`
	TemplateCard           *TemplateCard `json:"template_card,omitempty"`
	Safe                   int           `json:"safe,omitempty"`
	EnableIDTrans          int           `json:"enable_id_trans,omitempty"`
	EnableDuplicateCheck   int           `json:"enable_duplicate_check,omitempty"`
	DuplicateCheckInterval int           `json:"duplicate_check_interval,omitempty"`
}

// Content is the body of a text or markdown message.
type Content struct {
	Content string `json:"content"`
}

// SendResult is what message/send reports. ResponseCode is set for
// interactive template cards and is needed once, within 72 hours, to update
// the card; recipients WeCom could not reach are listed, joined by "|".
type SendResult struct {
	MsgID          string
	ResponseCode   string
	InvalidUser    string
	InvalidParty   string
	InvalidTag     string
	UnlicensedUser string
}

type sendResponse struct {
	apiStatus
	MsgID          string `json:"msgid"`
	ResponseCode   string `json:"response_code"`
	InvalidUser    string `json:"invaliduser"`
	InvalidParty   string `json:"invalidparty"`
	InvalidTag     string `json:"invalidtag"`
	UnlicensedUser string `json:"unlicenseduser"`
}

// SendMessage calls message/send (POST /cgi-bin/message/send?access_token=…,
// JSON body; 发送应用消息, https://developer.work.weixin.qq.com/document/path/90236:
// touser ≤1000 "|"-joined ids or "@all", toparty/totag ≤100, agentid an
// integer; the answer's invaliduser/unlicenseduser list who was not
// reached and response_code comes back for interactive cards). The
// message is checked first, so a
// malformed one fails with EINVALID without a round trip.
func (c *Client) SendMessage(ctx context.Context, m AppMessage) (SendResult, error) {
	if m.AgentID == 0 {
		m.AgentID = c.agentID
	}
	if err := m.validate(); err != nil {
		return SendResult{}, err
	}
	if m.Text != nil && len(m.Text.Content) > maxTextBytes {
		// WeCom truncates long text itself, possibly inside a character.
		m.Text = &Content{Content: truncateUTF8(m.Text.Content, maxTextBytes)}
	}
	var r sendResponse
	if err := c.post(ctx, "/cgi-bin/message/send", m, &r); err != nil {
		return SendResult{}, err
	}
	return SendResult{MsgID: r.MsgID, ResponseCode: r.ResponseCode, InvalidUser: r.InvalidUser, InvalidParty: r.InvalidParty,
		InvalidTag: r.InvalidTag, UnlicensedUser: r.UnlicensedUser}, nil
}

// SendText sends a text message to users ("zhangsan|lisi").
func (c *Client) SendText(ctx context.Context, toUser, content string) (SendResult, error) {
	return c.SendMessage(ctx, AppMessage{ToUser: toUser, MsgType: "text", Text: &Content{Content: content}})
}

// SendMarkdown sends a markdown message (shown in the WeCom client only).
func (c *Client) SendMarkdown(ctx context.Context, toUser, content string) (SendResult, error) {
	return c.SendMessage(ctx, AppMessage{ToUser: toUser, MsgType: "markdown", Markdown: &Content{Content: content}})
}

// SendTemplateCard sends a template card and returns the response_code an
// interactive card needs for update_template_card.
func (c *Client) SendTemplateCard(ctx context.Context, toUser string, card TemplateCard) (SendResult, error) {
	return c.SendMessage(ctx, AppMessage{ToUser: toUser, MsgType: "template_card", TemplateCard: &card})
}

func (m AppMessage) validate() error {
	bad := func(format string, args ...any) error {
		return core.Errorf(core.EINVALID, "wecom message: "+format, args...)
	}
	if m.ToUser == "" && m.ToParty == "" && m.ToTag == "" {
		return bad("no recipient")
	}
	if n := countIDs(m.ToUser); n > maxUsers {
		return bad("%d users, at most %d per message", n, maxUsers)
	}
	if countIDs(m.ToParty) > maxPartiesOrTags || countIDs(m.ToTag) > maxPartiesOrTags {
		return bad("at most %d departments and %d tags per message", maxPartiesOrTags, maxPartiesOrTags)
	}
	if m.AgentID <= 0 {
		return bad("no agent id")
	}
	// duplicate_check_interval: "默认1800s，最大不超过4小时" (doc 90236, as
	// zsmhub/workweixin apis/发送应用消息-模板卡片消息.go copies it).
	if m.DuplicateCheckInterval < 0 || m.DuplicateCheckInterval > maxDuplicateCheckSeconds {
		return bad("duplicate_check_interval %d s, at most %d (4 hours)", m.DuplicateCheckInterval, maxDuplicateCheckSeconds)
	}
	set := 0
	for _, p := range []bool{m.Text != nil, m.Markdown != nil, m.TemplateCard != nil} {
		if p {
			set++
		}
	}
	if set != 1 {
		return bad("exactly one of text, markdown and template_card must be set")
	}
	switch m.MsgType {
	case "text":
		if m.Text == nil || strings.TrimSpace(m.Text.Content) == "" {
			return bad("text content is empty")
		}
	case "markdown":
		if m.Markdown == nil || strings.TrimSpace(m.Markdown.Content) == "" {
			return bad("markdown content is empty")
		}
		if len(m.Markdown.Content) > maxMarkdownBytes {
			return bad("markdown content is %d bytes, at most %d", len(m.Markdown.Content), maxMarkdownBytes)
		}
	case "template_card":
		if m.TemplateCard == nil {
			return bad("template_card is missing")
		}
		return m.TemplateCard.Validate()
	default:
		return bad("unsupported msgtype %q", m.MsgType)
	}
	return nil
}

func countIDs(s string) int {
	if s == "" {
		return 0
	}
	return strings.Count(s, "|") + 1
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// TemplateCardUpdate is the body of message/update_template_card: either a
// Button whose text replaces the clicked buttons (they grey out), or a whole
// new TemplateCard.
type TemplateCardUpdate struct {
	UserIDs       []string       `json:"userids,omitempty"`
	PartyIDs      []int64        `json:"partyids,omitempty"`
	TagIDs        []int64        `json:"tagids,omitempty"`
	AtAll         int            `json:"atall,omitempty"`
	AgentID       int64          `json:"agentid"`
	ResponseCode  string         `json:"response_code"`
	EnableIDTrans int            `json:"enable_id_trans,omitempty"`
	Button        *ReplaceButton `json:"button,omitempty"`
	TemplateCard  *TemplateCard  `json:"template_card,omitempty"`
}

// ReplaceButton is the text shown instead of the card's buttons.
type ReplaceButton struct {
	ReplaceName string `json:"replace_name"`
}

type updateResponse struct {
	apiStatus
	InvalidUser idList `json:"invaliduser"`
}

// idList is a list of user ids that WeCom writes as "a|b" in some answers
// and as ["a","b"] in others: copies of the update_template_card document
// (doc 94888) show both for invaliduser. Either reads as "a|b", the form
// message/send uses, so one refusal check serves both.
type idList string

func (l *idList) UnmarshalJSON(b []byte) error {
	var ids []string
	if err := json.Unmarshal(b, &ids); err == nil {
		*l = idList(strings.Join(ids, "|"))
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*l = idList(s)
	return nil
}

// UpdateTemplateCard (POST /cgi-bin/message/update_template_card?access_token=…;
// 更新模版卡片消息, https://developer.work.weixin.qq.com/document/path/94888,
// /94945 for third-party apps: userids ≤1000, partyids/tagids ≤100, a
// response_code usable once within 72 hours) changes a sent interactive
// card for the listed users,
// using the one-time response_code from the send or the click event.
func (c *Client) UpdateTemplateCard(ctx context.Context, u TemplateCardUpdate) error {
	if u.AgentID == 0 {
		u.AgentID = c.agentID
	}
	bad := func(format string, args ...any) error {
		return core.Errorf(core.EINVALID, "wecom update_template_card: "+format, args...)
	}
	switch {
	case u.ResponseCode == "":
		return bad("response_code is empty")
	case (u.Button == nil) == (u.TemplateCard == nil):
		return bad("exactly one of button and template_card must be set")
	case u.Button != nil && u.Button.ReplaceName == "":
		return bad("button.replace_name is empty")
	case len(u.UserIDs) == 0 && len(u.PartyIDs) == 0 && len(u.TagIDs) == 0 && u.AtAll == 0:
		return bad("no recipient")
	case len(u.UserIDs) > maxUsers || len(u.PartyIDs) > maxPartiesOrTags || len(u.TagIDs) > maxPartiesOrTags:
		return bad("too many recipients")
	case u.AgentID <= 0:
		return bad("no agent id")
	}
	if u.TemplateCard != nil {
		if err := u.TemplateCard.Validate(); err != nil {
			return err
		}
	}
	var r updateResponse
	if err := c.post(ctx, "/cgi-bin/message/update_template_card", u, &r); err != nil {
		return err
	}
	// errcode 0 still lists the members WeCom did not update (invaliduser,
	// doc 94888 返回结果). When that is every member named, nothing changed:
	// EINVALID, so the caller sends its message instead, as for a refused
	// code.
	if r.InvalidUser != "" && len(u.UserIDs) > 0 && len(u.PartyIDs) == 0 && len(u.TagIDs) == 0 && u.AtAll == 0 {
		refused := strings.Split(string(r.InvalidUser), "|")
		all := true
		for _, id := range u.UserIDs {
			all = all && slices.Contains(refused, id)
		}
		if all {
			return core.Errorf(core.EINVALID, "wecom update_template_card: WeCom updated no card (invaliduser %q)", r.InvalidUser)
		}
	}
	return nil
}
