package feishu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	lark "github.com/larksuite/oapi-sdk-go/v3"
	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"

	"github.com/punchbot/punchbot/core"
)

// Feishu business codes the client reacts to (docs "通用错误码" and the
// SDK's core/constants.go).
const (
	codeTenantTokenInvalid = 99991663
	codeAppTokenInvalid    = 99991664
	codeAccessTokenInvalid = 99991671
	// codeTokenExpired is "Invalid access token for authorization" for a
	// token that expired or was revoked before its stated expire (通用错误码,
	// https://open.feishu.cn/document/ukTMukTMukTM/ugjM14COyUjL4ITN). The
	// SDK (core/constants.go) knows only the three codes above, so a token
	// the gateway refuses with this one was kept until its expire ran out;
	// public clients refetch on it too (e.g. "code in (99991663, 99991664,
	// 99991668) → clear the token cache and retry once").
	codeTokenExpired      = 99991668
	codeRateLimited       = 99991400 // gateway frequency limit
	codeChatRateLimited   = 230020   // per-chat send limit (5 QPS per user or group)
	codeTenantSendLimited = 11232    // tenant-level message service limit
)

// Feishu codes that mean the app's set-up is wrong, not the message
// (core.ECONFIG: the outbox keeps the message until it is fixed). Sources:
// 通用错误码 (https://open.feishu.cn/document/ukTMukTMukTM/ugjM14COyUjL4ITN),
// "如何为应用申请所需权限" (https://open.feishu.cn/document/uAjLw4CM/ugTN1YjL4UTN24CO1UjN/trouble-shooting/how-to-fix-the-99991672-error),
// "如何解决 99991679 错误" (…/trouble-shooting/how-to-resolve-error-99991679)
// and the error tables of the im/v1 message APIs.
const (
	codeScopeMissing     = 99991672 // the app lacks an app-identity permission
	codeUserAuthMissing  = 99991679 // the user token lacks the user's authorization
	codeTokenMissing     = 99991661 // no or malformed Authorization header
	codeIPDenied         = 99991401 // the caller's IP is not in the app's IP allow-list
	codeBotNotEnabled    = 230006   // the bot capability is off
	codeTokenBadParam    = 10003    // tenant_access_token: invalid app_id or parameters
	codeTokenBadSecret   = 10014    // tenant_access_token: app secret invalid
	feishuPermissionPage = "开发者后台 (open.feishu.cn/app) → 权限管理"
)

// tokenEarlyRefresh renews a cached token this long before it expires, as
// the SDK does, so a request never leaves with a token about to die.
const tokenEarlyRefresh = 3 * time.Minute

// Message is one outgoing IM message: MsgType is "text", "interactive", …
// and Content the JSON string the API expects in "content".
type Message struct {
	MsgType string
	Content string
}

// Client calls the Feishu Open Platform through the SDK's transport. It keeps
// its own tenant access token: the SDK's cache is process-global and keyed by
// app id, so two clients of one app pointed at different hosts (tests, a
// proxy) would share tokens, and lark.WithTokenCache replaces that global
// rather than scoping it.
type Client struct {
	lark      *lark.Client
	appID     string
	appSecret string
	now       func() time.Time

	mu      sync.Mutex // guards token, expires; held while fetching so one fetch serves all
	token   string
	expires time.Time

	botMu     sync.Mutex
	botOpenID string
}

// NewClient returns a client for one self-built app. baseURL defaults to
// lark.FeishuBaseUrl; httpClient and now default to a 10 s client and
// time.Now.
func NewClient(appID, appSecret, baseURL string, httpClient *http.Client, now func() time.Time, log *slog.Logger) *Client {
	if baseURL == "" {
		baseURL = lark.FeishuBaseUrl
	}
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 10 * time.Second}
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	lc := lark.NewClient(appID, appSecret,
		lark.WithOpenBaseUrl(strings.TrimRight(baseURL, "/")),
		lark.WithEnableTokenCache(false),
		lark.WithHttpClient(httpClient),
		lark.WithLogger(sdkLogger{log}),
		lark.WithLogLevel(larkcore.LogLevelWarn),
	)
	return &Client{lark: lc, appID: appID, appSecret: appSecret, now: now}
}

// ReplyMessage (POST /open-apis/im/v1/messages/:message_id/reply, Bearer
// tenant token, body msg_type, content as a JSON string, uuid; 回复消息,
// https://open.feishu.cn/document/server-docs/im-v1/message/reply; SDK
// service/im/v1 ReplyMessageReqBody) answers the message messageID in its
// chat and returns the new
// message's id. uuid makes a retried request idempotent for an hour on the
// platform side.
func (c *Client) ReplyMessage(ctx context.Context, messageID string, m Message, uuid string) (string, error) {
	body := map[string]string{"msg_type": m.MsgType, "content": m.Content}
	if uuid != "" {
		body["uuid"] = uuid
	}
	var out struct {
		MessageID string `json:"message_id"`
	}
	err := c.call(ctx, "reply message", &larkcore.ApiReq{
		HttpMethod: http.MethodPost,
		ApiPath:    "/open-apis/im/v1/messages/:message_id/reply",
		PathParams: larkcore.PathParams{"message_id": messageID},
		Body:       body,
	}, &out)
	return out.MessageID, err
}

// CreateMessage (POST /open-apis/im/v1/messages?receive_id_type=…, body
// receive_id, msg_type, content, uuid: "持有相同uuid的请求1小时内至多成功执行
// 一次"; 发送消息, https://open.feishu.cn/document/server-docs/im-v1/message/create;
// SDK service/im/v1 CreateMessageReqBody) sends a new message to receiveID,
// whose kind receiveIDType
// is open_id, user_id, union_id, email or chat_id.
func (c *Client) CreateMessage(ctx context.Context, receiveIDType, receiveID string, m Message, uuid string) (string, error) {
	if receiveIDType == "" {
		receiveIDType = "open_id"
	}
	body := map[string]string{"receive_id": receiveID, "msg_type": m.MsgType, "content": m.Content}
	if uuid != "" {
		body["uuid"] = uuid
	}
	var out struct {
		MessageID string `json:"message_id"`
	}
	err := c.call(ctx, "create message", &larkcore.ApiReq{
		HttpMethod:  http.MethodPost,
		ApiPath:     "/open-apis/im/v1/messages",
		QueryParams: larkcore.QueryParams{"receive_id_type": []string{receiveIDType}},
		Body:        body,
	}, &out)
	return out.MessageID, err
}

// PatchCard (PATCH /open-apis/im/v1/messages/:message_id, body {"content":…};
// 更新已发送的消息卡片, https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message/patch:
// update_multi before and after, ≤14 days, 5 QPS per message) replaces
// the content of an interactive card the bot sent. The
// card must have had config.update_multi set when it was sent and must still
// have it; the platform allows this for 14 days.
func (c *Client) PatchCard(ctx context.Context, messageID string, card json.RawMessage) error {
	return c.call(ctx, "patch card", &larkcore.ApiReq{
		HttpMethod: http.MethodPatch,
		ApiPath:    "/open-apis/im/v1/messages/:message_id",
		PathParams: larkcore.PathParams{"message_id": messageID},
		Body:       map[string]string{"content": string(card)},
	}, nil)
}

// BotOpenID returns the bot's own open_id (bot/v3/info), fetched once; group
// messages count only when they mention it.
func (c *Client) BotOpenID(ctx context.Context) (string, error) {
	c.botMu.Lock()
	defer c.botMu.Unlock()
	if c.botOpenID != "" {
		return c.botOpenID, nil
	}
	var out struct {
		Bot struct {
			OpenID string `json:"open_id"`
		} `json:"bot"`
	}
	// bot/v3/info answers {"code":0,"bot":{…}} at the top level, not in "data".
	if err := c.call(ctx, "bot info", &larkcore.ApiReq{HttpMethod: http.MethodGet, ApiPath: "/open-apis/bot/v3/info"}, wholeBody{&out}); err != nil {
		return "", err
	}
	if out.Bot.OpenID == "" {
		return "", core.Errorf(core.EUNAVAILABLE, "feishu bot info has no open_id")
	}
	c.botOpenID = out.Bot.OpenID
	return c.botOpenID, nil
}

// wholeBody marks an output that decodes the whole response body rather
// than its "data" member.
type wholeBody struct{ v any }

// call sends one API request with the tenant token and decodes "data" into
// out. A token the platform calls invalid is dropped and the request is
// retried once with a fresh one.
func (c *Client) call(ctx context.Context, op string, req *larkcore.ApiReq, out any) error {
	req.SupportedAccessTokenTypes = []larkcore.AccessTokenType{larkcore.AccessTokenTypeTenant}
	for attempt := 0; ; attempt++ {
		token, err := c.tenantToken(ctx)
		if err != nil {
			return err
		}
		resp, err := c.lark.Do(ctx, req, larkcore.WithTenantAccessToken(token))
		if err != nil {
			return transportError(ctx, op, err)
		}
		env, err := classify(op, resp)
		var tokenErr *tokenInvalidError
		if errors.As(err, &tokenErr) && attempt == 0 {
			c.dropToken(token)
			continue
		}
		if err != nil {
			return err
		}
		switch o := out.(type) {
		case nil:
			return nil
		case wholeBody:
			if err := json.Unmarshal(resp.RawBody, o.v); err != nil {
				return core.WrapError(core.EUNAVAILABLE, err, "feishu %s: undecodable response", op)
			}
		default:
			if len(env.Data) > 0 {
				if err := json.Unmarshal(env.Data, out); err != nil {
					return core.WrapError(core.EUNAVAILABLE, err, "feishu %s: undecodable data", op)
				}
			}
		}
		return nil
	}
}

// envelope is the common shape of Open Platform responses.
type envelope struct {
	Code int             `json:"code"`
	Msg  string          `json:"msg"`
	Data json.RawMessage `json:"data"`
}

// tokenInvalidError asks call to refetch the token and try again.
type tokenInvalidError struct{ code int }

func (e *tokenInvalidError) Error() string {
	return fmt.Sprintf("feishu access token invalid (code %d)", e.code)
}

// classify turns a response into nil or a coded error: rate limits into
// ERATELIMIT with the wait the gateway asked for, server trouble into
// EUNAVAILABLE (the outbox retries), the app's set-up (a missing
// permission, a refused token) into ECONFIG (the outbox keeps the message
// until an operator fixes it), and other refusals into EINVALID (the outbox
// gives up, since the same request will be refused again).
func classify(op string, resp *larkcore.ApiResp) (envelope, error) {
	var env envelope
	jsonErr := json.Unmarshal(resp.RawBody, &env)
	status := resp.StatusCode
	switch {
	case status == http.StatusTooManyRequests || (jsonErr == nil && (env.Code == codeRateLimited || env.Code == codeChatRateLimited || env.Code == codeTenantSendLimited)):
		e := core.Errorf(core.ERATELIMIT, "feishu %s: rate limited (HTTP %d, code %d %s)", op, status, env.Code, env.Msg)
		e.RetryAfter = retryAfter(resp.Header)
		return env, e
	case jsonErr == nil && tokenInvalidCode(env.Code):
		// call refetches once; a fresh token refused too is a set-up error.
		return env, configError(op, env.Code, env.Msg, "Feishu refuses even a fresh tenant access token: "+
			"check that PUNCHBOT_FEISHU_APP_ID and PUNCHBOT_FEISHU_APP_SECRET are this app's and PUNCHBOT_FEISHU_BASE_URL its platform (open.feishu.cn or open.larksuite.com)",
			&tokenInvalidError{env.Code})
	case jsonErr == nil && configCode(env.Code):
		return env, configError(op, env.Code, env.Msg, configFix(op, env, resp.RawBody),
			fmt.Errorf("feishu %s: HTTP %d, code %d: %s", op, status, env.Code, env.Msg))
	case status >= 500 || status == http.StatusRequestTimeout:
		return env, core.Errorf(core.EUNAVAILABLE, "feishu %s: HTTP %d %s", op, status, snippet(resp.RawBody))
	case jsonErr != nil:
		if status >= 400 {
			return env, core.Errorf(core.EINVALID, "feishu %s: HTTP %d %s", op, status, snippet(resp.RawBody))
		}
		return env, core.Errorf(core.EUNAVAILABLE, "feishu %s: HTTP %d, response is not JSON: %s", op, status, snippet(resp.RawBody))
	case env.Code != 0 || status >= 400:
		return env, core.Errorf(core.EINVALID, "feishu %s: HTTP %d, code %d: %s", op, status, env.Code, env.Msg)
	}
	return env, nil
}

// tokenInvalidCode reports whether a business code says the access token
// itself is no good, so call drops it and retries once with a fresh one.
func tokenInvalidCode(code int) bool {
	switch code {
	case codeTenantTokenInvalid, codeAppTokenInvalid, codeAccessTokenInvalid, codeTokenExpired:
		return true
	}
	return false
}

// configError is an ECONFIG error whose message is "feishu <op>: <fix>;
// code <n>: <the platform's msg>": what to do first, and the platform's own
// words last, where `punchbot doctor` reads them.
func configError(op string, code int, msg, fix string, cause error) error {
	return core.ConfigError(strconv.Itoa(code), fmt.Sprintf("feishu %s: %s; code %d: %s", op, fix, code, msg), cause)
}

// configCode reports whether a business code is a set-up error.
func configCode(code int) bool {
	switch code {
	case codeScopeMissing, codeUserAuthMissing, codeTokenMissing, codeIPDenied, codeBotNotEnabled:
		return true
	}
	return false
}

// configFix says what to change for a set-up error, naming the missing
// permissions the platform lists in error.permission_violations.
func configFix(op string, env envelope, raw []byte) string {
	switch env.Code {
	case codeScopeMissing, codeUserAuthMissing:
		var body struct {
			Error struct {
				Violations []struct{ Subject string } `json:"permission_violations"`
			} `json:"error"`
		}
		_ = json.Unmarshal(raw, &body)
		var names []string
		for _, v := range body.Error.Violations {
			names = append(names, v.Subject)
		}
		need := strings.Join(names, " or ")
		if need == "" {
			need = "the one named in: " + env.Msg
		}
		feature := ""
		if p, ok := APIPermissions[opPaths[op]]; ok {
			feature = " (needed for " + p.Feature + ")"
		}
		return fmt.Sprintf("Feishu app lacks the permission %s%s: grant it under %s, then publish a new version (版本管理与发布) so it takes effect", need, feature, feishuPermissionPage)
	case codeIPDenied:
		return "Feishu refuses calls from this server's IP address: add punchbot's egress IP to the app's IP allow-list (开发者后台 → 安全设置 → IP 白名单), or remove the allow-list"
	case codeBotNotEnabled:
		return "the Feishu app's bot capability is off: enable it (开发者后台 → 添加应用能力 → 机器人) and publish a new version"
	case codeTokenMissing:
		return "Feishu received no access token: a proxy at PUNCHBOT_FEISHU_BASE_URL may drop the Authorization header"
	}
	return fmt.Sprintf("Feishu refused the app's set-up (code %d): %s", env.Code, env.Msg)
}

// opPaths names the API path of each op, so a set-up error can say which
// feature the missing permission is for.
var opPaths = map[string]string{
	"reply message":  "POST /open-apis/im/v1/messages/:message_id/reply",
	"create message": "POST /open-apis/im/v1/messages",
	"patch card":     "PATCH /open-apis/im/v1/messages/:message_id",
	"batch send":     "POST /open-apis/message/v4/batch_send/",
	"bot info":       "GET /open-apis/bot/v3/info",
}

// retryAfter reads the gateway's x-ogw-ratelimit-reset (seconds until the
// window resets), falling back to Retry-After, and never asks for less than
// a second so a burst does not hammer the gateway.
func retryAfter(h http.Header) time.Duration {
	for _, name := range []string{"x-ogw-ratelimit-reset", "Retry-After"} {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Get(name))); err == nil && n >= 0 {
			return max(time.Duration(n)*time.Second, time.Second)
		}
	}
	return time.Second
}

func snippet(b []byte) string {
	const n = 200
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// transportError keeps a cancelled context recognisable and marks network
// failures as transient.
func transportError(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return core.WrapError(core.EUNAVAILABLE, ctx.Err(), "feishu %s: %v", op, ctx.Err())
	}
	return core.WrapError(core.EUNAVAILABLE, err, "feishu %s failed", op)
}

// tenantToken returns the cached tenant access token or fetches a new one
// (POST /open-apis/auth/v3/tenant_access_token/internal {"app_id","app_secret"}
// → {"code":0,"tenant_access_token":"t-…","expire":7200}; SDK
// core/tokenmanager.go, 自建应用获取 tenant_access_token,
// https://open.feishu.cn/document/ukTMukTMukTM/ukDNz4SO0MjL5QzM/auth-v3/auth/tenant_access_token_internal).
func (c *Client) tenantToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.token != "" && now.Before(c.expires) {
		return c.token, nil
	}
	resp, err := c.lark.GetTenantAccessTokenBySelfBuiltApp(ctx, &larkcore.SelfBuiltTenantAccessTokenReq{AppID: c.appID, AppSecret: c.appSecret})
	if err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return "", core.WrapError(core.EUNAVAILABLE, err, "feishu token: response is not JSON")
		}
		return "", transportError(ctx, "token", err)
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.Code == codeRateLimited {
		e := core.Errorf(core.ERATELIMIT, "feishu token: rate limited")
		e.RetryAfter = retryAfter(resp.Header)
		return "", e
	}
	if resp.StatusCode >= 500 || (resp.Code == 0 && resp.TenantAccessToken == "") {
		return "", core.Errorf(core.EUNAVAILABLE, "feishu token: HTTP %d, code %d: %s", resp.StatusCode, resp.Code, resp.Msg)
	}
	if resp.Code != 0 {
		// The token endpoint refuses only credentials: a wrong app id or
		// secret is an operator's mistake that a restart with the right one
		// fixes, and ECONFIG keeps queued replies until then.
		fix := "Feishu refuses the app credentials: set PUNCHBOT_FEISHU_APP_ID and PUNCHBOT_FEISHU_APP_SECRET to the App ID and App Secret under 凭证与基础信息"
		switch resp.Code {
		case codeTokenBadSecret:
			fix = "Feishu says the app secret is invalid: set PUNCHBOT_FEISHU_APP_SECRET to the App Secret under 凭证与基础信息 (reset it there if unsure)"
		case codeTokenBadParam:
			fix = "Feishu refuses the token request: check PUNCHBOT_FEISHU_APP_ID (cli_…) and that it is a self-built app (企业自建应用)"
		}
		return "", configError("token", resp.Code, resp.Msg, fix, fmt.Errorf("feishu token: HTTP %d, code %d: %s", resp.StatusCode, resp.Code, resp.Msg))
	}
	ttl := time.Duration(resp.Expire) * time.Second
	if ttl > 2*tokenEarlyRefresh {
		ttl -= tokenEarlyRefresh
	} else {
		ttl /= 2
	}
	c.token, c.expires = resp.TenantAccessToken, now.Add(ttl)
	return c.token, nil
}

// dropToken forgets token unless another request already replaced it.
func (c *Client) dropToken(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == token {
		c.token, c.expires = "", time.Time{}
	}
}

// sdkLogger sends the SDK's log lines to slog.
type sdkLogger struct{ log *slog.Logger }

func (l sdkLogger) Debug(ctx context.Context, args ...any) {
	l.log.DebugContext(ctx, fmt.Sprint(args...), "component", "lark")
}
func (l sdkLogger) Info(ctx context.Context, args ...any) {
	l.log.InfoContext(ctx, fmt.Sprint(args...), "component", "lark")
}
func (l sdkLogger) Warn(ctx context.Context, args ...any) {
	l.log.WarnContext(ctx, fmt.Sprint(args...), "component", "lark")
}
func (l sdkLogger) Error(ctx context.Context, args ...any) {
	l.log.ErrorContext(ctx, fmt.Sprint(args...), "component", "lark")
}
