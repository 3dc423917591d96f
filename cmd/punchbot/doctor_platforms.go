package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/punchbot/punchbot/bots/feishu"
	"github.com/punchbot/punchbot/bots/slack"
	"github.com/punchbot/punchbot/bots/wecom"
	"github.com/punchbot/punchbot/core"
)

// The doctor's checks of each platform's credentials against its real API.

// fromIP finds the address WeCom saw in an errmsg such as "not allow to
// access from your ip, hint: [...], from ip: 203.0.113.7, more info at …".
var fromIP = regexp.MustCompile(`from ip: ?([0-9A-Fa-f.:]+)`)

// wecomFailure names the fix for a WeCom errcode. The codes are the global
// ones (全局错误码, https://developer.work.weixin.qq.com/document/path/90313);
// gettoken's own are on https://developer.work.weixin.qq.com/document/path/91039.
func (d *doctorRun) wecomFailure(check string, err error) checkResult {
	var ae *wecom.APIError
	if !errors.As(err, &ae) {
		return fail(check, fmt.Sprintf("cannot reach %s: %v", d.cfg.WeCom.APIURL, err),
			"allow outbound HTTPS from this host to qyapi.weixin.qq.com, or fix PUNCHBOT_WECOM_API_URL")
	}
	what := fmt.Sprintf("errcode %d: %s", ae.Code, ae.Msg)
	switch ae.Code {
	case 40013:
		return fail(check, "WeCom rejects the corp id ("+what+")",
			"set PUNCHBOT_WECOM_CORP_ID to the 企业ID in 管理后台 → 我的企业 → 企业信息")
	case 40001, 42001, 40014, 41004:
		return fail(check, "WeCom rejects the secret ("+what+")",
			"copy the app's Secret from 管理后台 → 应用管理 → (your app) → Secret into PUNCHBOT_WECOM_SECRET; resetting it there invalidates the old one")
	case 60020:
		ip := "this server's egress IP"
		if m := fromIP.FindStringSubmatch(ae.Msg); m != nil {
			ip = m[1] + " (the address WeCom saw)"
		}
		return fail(check, "WeCom refuses calls from this address ("+what+")",
			"add "+ip+" to the app's 企业可信IP (管理后台 → 应用管理 → (your app) → 企业可信IP), for every replica or the proxy in PUNCHBOT_WECOM_API_URL; it takes effect within a minute")
	case 40056, 301002:
		return fail(check, fmt.Sprintf("agent id %s is not the application this secret belongs to (%s)", d.cfg.WeCom.AgentID, what),
			"set PUNCHBOT_WECOM_AGENT_ID to the AgentId on the same app page as the Secret in PUNCHBOT_WECOM_SECRET")
	case 48002:
		return fail(check, "the app may not call this API ("+what+")",
			"use a self-built app's (自建应用) Secret, not the contacts-sync or another app's")
	}
	return fail(check, what, fmt.Sprintf("look the code up at https://open.work.weixin.qq.com/devtool/query?e=%d", ae.Code))
}

// wecom gets a token (gettoken) and then the application's details
// (agent/get), which WeCom answers only for the secret's own application.
func (d *doctorRun) wecom(ctx context.Context) []checkResult {
	c := d.cfg.WeCom
	if r, bad := d.configFailure(checkWeComTok, "set the PUNCHBOT_WECOM_* variables named above"); bad {
		return []checkResult{r, skip(checkWeComApp, "not checked with an invalid configuration")}
	}
	if c.CorpID == "" {
		return []checkResult{skip("wecom", "not configured (PUNCHBOT_WECOM_CORP_ID is empty)")}
	}
	agentID, _ := strconv.ParseInt(c.AgentID, 10, 64) // loadConfig checked it
	ctx, cancel := context.WithTimeout(ctx, doctorPlatformTimeout)
	defer cancel()
	client := wecom.NewClient(wecom.ClientConfig{APIURL: c.APIURL, CorpID: c.CorpID, Secret: c.Secret, AgentID: agentID, HTTPClient: d.hc})
	if _, err := client.Token(ctx); err != nil {
		return []checkResult{d.wecomFailure(checkWeComTok, err), skip(checkWeComApp, "not checked without an access token")}
	}
	tok := ok(checkWeComTok, "gettoken answered for corp %s", c.CorpID)
	agent, err := client.GetAgent(ctx)
	if err != nil {
		return []checkResult{tok, d.wecomFailure(checkWeComApp, err)}
	}
	if agent.Close == 1 {
		return []checkResult{tok, fail(checkWeComApp, fmt.Sprintf("application %d %q is disabled (停用)", agentID, agent.Name),
			"enable it in 管理后台 → 应用管理 → (your app)")}
	}
	location := "off (optional: with it on, a typed 打卡 punches at the position WeCom reports on entering the app)"
	if agent.ReportLocationFlag != 0 {
		location = "on"
	}
	return []checkResult{tok, ok(checkWeComApp, "application %d %q belongs to the secret; 上报地理位置 %s", agentID, agent.Name, location)}
}

// feishuCode finds the platform's code and message in the client's error
// text ("feishu token: HTTP 400, code 10014: app secret invalid").
var feishuCode = regexp.MustCompile(`code (-?\d+): (.*)$`)

// feishu reuses the bot's client: BotOpenID fetches a tenant token
// (auth/v3/tenant_access_token/internal, 自建应用获取 tenant_access_token,
// https://open.feishu.cn/document/ukTMukTMukTM/ukDNz4SO0MjL5QzM/auth-v3/auth/tenant_access_token_internal)
// and then calls bot/v3/info (获取机器人信息,
// https://open.feishu.cn/document/ukTMukTMukTM/uAjMxEjLwITMx4CMyETM), which
// needs the bot capability enabled and published. Codes are the platform's
// (服务端错误码说明, https://open.feishu.cn/document/server-docs/api-call-guide/generic-error-code).
func (d *doctorRun) feishu(ctx context.Context) []checkResult {
	c := d.cfg.Feishu
	if r, bad := d.configFailure(checkFeishuTo, "set the PUNCHBOT_FEISHU_* variables named above"); bad {
		return []checkResult{r, skip(checkFeishuBo, "not checked with an invalid configuration")}
	}
	if c.AppID == "" {
		return []checkResult{skip("feishu", "not configured (PUNCHBOT_FEISHU_APP_ID is empty)")}
	}
	ctx, cancel := context.WithTimeout(ctx, doctorPlatformTimeout)
	defer cancel()
	client := feishu.NewClient(c.AppID, c.AppSecret, c.BaseURL, d.hc, time.Now, slog.New(slog.DiscardHandler))
	openID, err := client.BotOpenID(ctx)
	if err == nil {
		return []checkResult{
			ok(checkFeishuTo, "tenant_access_token issued for app %s", c.AppID),
			ok(checkFeishuBo, "bot capability is on; the bot's open_id is %s", openID),
		}
	}
	msg := err.Error()
	var ce *core.Error
	if errors.As(err, &ce) {
		msg = ce.Message
	}
	code, platformMsg := 0, ""
	if m := feishuCode.FindStringSubmatch(msg); m != nil {
		code, _ = strconv.Atoi(m[1])
		platformMsg = m[2]
	}
	if strings.HasPrefix(msg, "feishu token") {
		return []checkResult{d.feishuTokenFailure(msg, code), skip(checkFeishuBo, "not checked without a tenant token")}
	}
	tok := ok(checkFeishuTo, "tenant_access_token issued for app %s", c.AppID)
	switch {
	case code == 99991672:
		return []checkResult{tok, fail(checkFeishuBo, "missing permission: "+platformMsg,
			fmt.Sprintf("enable the permission named there in 开发者后台 → 权限管理 (https://open.feishu.cn/app/%s/auth), then publish a new version (版本管理与发布)", c.AppID))}
	case code != 0:
		return []checkResult{tok, fail(checkFeishuBo, fmt.Sprintf("bot/v3/info refused (code %d: %s)", code, platformMsg),
			"enable the bot capability (开发者后台 → 添加应用能力 → 机器人) and publish a version that includes it (版本管理与发布)")}
	}
	return []checkResult{tok, fail(checkFeishuBo, msg, "check outbound HTTPS to open.feishu.cn (or PUNCHBOT_FEISHU_BASE_URL) and try again")}
}

func (d *doctorRun) feishuTokenFailure(msg string, code int) checkResult {
	switch code {
	case 0:
		return fail(checkFeishuTo, msg, "allow outbound HTTPS from this host to "+d.cfg.Feishu.BaseURL+", or fix PUNCHBOT_FEISHU_BASE_URL (https://open.larksuite.com for Lark)")
	case 10014:
		return fail(checkFeishuTo, "the app secret is rejected ("+msg+")",
			"copy the App Secret from 开发者后台 → 凭证与基础信息 into PUNCHBOT_FEISHU_APP_SECRET; resetting it there invalidates the old one")
	case 10003, 10013:
		return fail(checkFeishuTo, "the app id is rejected ("+msg+")",
			"set PUNCHBOT_FEISHU_APP_ID to the App ID (cli_…) in 开发者后台 → 凭证与基础信息; an app made on Lark needs PUNCHBOT_FEISHU_BASE_URL=https://open.larksuite.com")
	}
	return fail(checkFeishuTo, msg, "check PUNCHBOT_FEISHU_APP_ID and PUNCHBOT_FEISHU_APP_SECRET against 开发者后台 → 凭证与基础信息")
}

// slackAuthTest is the part of auth.test's answer doctor reads
// (https://docs.slack.dev/reference/methods/auth.test).
type slackAuthTest struct {
	OK     bool   `json:"ok"`
	Error  string `json:"error"`
	Team   string `json:"team"`
	TeamID string `json:"team_id"`
	User   string `json:"user"`
}

// slack calls auth.test with the bot token and compares the scopes Slack
// reports in the X-OAuth-Scopes response header — every Web API answer
// carries the token's scopes there ("Working with scopes",
// https://api.slack.com/legacy/oauth-scopes; slack-go/slack#1076) — with the
// manifest's. slack-go's AuthTest drops the headers, hence a plain request.
func (d *doctorRun) slack(ctx context.Context) []checkResult {
	c := d.cfg.Slack
	if r, bad := d.configFailure(checkSlackTok, "set the PUNCHBOT_SLACK_* variables named above"); bad {
		return []checkResult{r, skip(checkSlackSco, "not checked with an invalid configuration")}
	}
	if c.SigningSecret == "" {
		return []checkResult{skip("slack", "not configured (PUNCHBOT_SLACK_SIGNING_SECRET is empty)")}
	}
	const tokenFix = "set PUNCHBOT_SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…) in api.slack.com/apps → (your app) → OAuth & Permissions"
	noScopes := skip(checkSlackSco, "not checked without a valid token")
	if strings.HasPrefix(c.BotToken, "xoxp-") {
		return []checkResult{fail(checkSlackTok, "PUNCHBOT_SLACK_BOT_TOKEN is a user token (xoxp-), which acts as the person who installed the app", tokenFix), noScopes}
	}
	ctx, cancel := context.WithTimeout(ctx, doctorPlatformTimeout)
	defer cancel()
	endpoint := strings.TrimRight(c.APIURL, "/") + "/auth.test"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, nil)
	if err != nil {
		return []checkResult{fail(checkSlackTok, err.Error(), "fix PUNCHBOT_SLACK_API_URL"), noScopes}
	}
	req.Header.Set("Authorization", "Bearer "+c.BotToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := d.hc.Do(req)
	if err != nil {
		return []checkResult{fail(checkSlackTok, fmt.Sprintf("cannot reach %s: %v", endpoint, err),
			"allow outbound HTTPS from this host to slack.com, or fix PUNCHBOT_SLACK_API_URL"), noScopes}
	}
	defer resp.Body.Close()
	var r slackAuthTest
	decodeErr := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&r)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return []checkResult{fail(checkSlackTok, "auth.test is rate limited (HTTP 429, Retry-After "+resp.Header.Get("Retry-After")+")",
			"run doctor again in a minute"), noScopes}
	case resp.StatusCode != http.StatusOK || decodeErr != nil:
		return []checkResult{fail(checkSlackTok, fmt.Sprintf("%s answered HTTP %d, not Slack's JSON", endpoint, resp.StatusCode),
			"fix PUNCHBOT_SLACK_API_URL (default https://slack.com/api/)"), noScopes}
	case !r.OK:
		fix := tokenFix
		switch r.Error {
		case "token_revoked", "token_expired", "account_inactive", "app_uninstalled":
			fix = "reinstall the app to the workspace (OAuth & Permissions → Reinstall to Workspace) and " + strings.TrimPrefix(tokenFix, "set ") + " it issues"
		}
		return []checkResult{fail(checkSlackTok, "auth.test answered "+r.Error, fix), noScopes}
	}
	results := []checkResult{ok(checkSlackTok, "bot user %s in workspace %q (%s)", r.User, r.Team, r.TeamID)}
	return append(results, slackScopes(resp.Header))
}

func slackScopes(h http.Header) checkResult {
	need := slack.RequiredScopes()
	raw, present := h["X-Oauth-Scopes"]
	if !present {
		return fail(checkSlackSco, "the answer has no X-OAuth-Scopes header, so the granted scopes are unknown",
			"call Slack directly, or let the proxy in PUNCHBOT_SLACK_API_URL pass the X-OAuth-Scopes header")
	}
	var granted []string
	for _, s := range strings.Split(strings.Join(raw, ","), ",") {
		if s = strings.TrimSpace(s); s != "" {
			granted = append(granted, s)
		}
	}
	var missing, extra []string
	for _, s := range need {
		if !slices.Contains(granted, s) {
			missing = append(missing, s)
		}
	}
	for _, s := range granted {
		if !slices.Contains(need, s) {
			extra = append(extra, s)
		}
	}
	if len(missing) > 0 {
		return fail(checkSlackSco, fmt.Sprintf("the token lacks %s (granted: %s)", strings.Join(missing, ", "), strings.Join(granted, ", ")),
			"add them under api.slack.com/apps → (your app) → OAuth & Permissions → Bot Token Scopes (or paste bots/slack/manifest.yaml again), then reinstall the app to the workspace: a token gets new scopes only on reinstall")
	}
	detail := fmt.Sprintf("all %d scopes of bots/slack/manifest.yaml are granted (%s)", len(need), strings.Join(need, ", "))
	if len(extra) > 0 {
		detail += "; also granted, unused: " + strings.Join(extra, ", ")
	}
	return ok(checkSlackSco, "%s", detail)
}
