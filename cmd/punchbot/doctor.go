package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/punchbot/punchbot/adapters/redis"
	"github.com/punchbot/punchbot/adapters/sqlite"
	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/bots/feishu"
	"github.com/punchbot/punchbot/bots/slack"
	"github.com/punchbot/punchbot/bots/web"
	"github.com/punchbot/punchbot/bots/wecom"
	"github.com/punchbot/punchbot/core"
)

// punchbot doctor checks a deployment against the real services with the
// configuration serve would use, and says for each problem what to fix. It
// exists because every test in this repository talks to fakes: a wrong
// secret, a missing scope or an untrusted IP passes them all and only shows
// in a real tenant, as replies that never arrive.

// Timeouts of one check. The public URL is this server's own, so a slow
// answer is already a finding; the platforms get the time a send would.
const (
	doctorHealthzTimeout  = 5 * time.Second
	doctorStoreTimeout    = 5 * time.Second
	doctorPlatformTimeout = 15 * time.Second
)

// insecureContextWhy is why a public URL must be https, for the startup
// warning and doctor alike: the location page asks the browser for a
// position, and browsers expose the Geolocation API only in a secure context
// (https, or a loopback host) — https://developer.chrome.com/blog/geolocation-on-secure-contexts-only,
// https://w3c.github.io/webappsec-secure-contexts/#is-origin-trustworthy.
const insecureContextWhy = "browsers refuse the location page a position outside a secure context (https, or localhost)"

// publicURLInsecure reports whether browsers would treat pages under raw as
// not a secure context: anything but https, except loopback hosts, which the
// Secure Contexts spec counts as potentially trustworthy.
func publicURLInsecure(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "https" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err != nil || !ip.IsLoopback()
}

// doctorDeps are what tests replace: the HTTP client carries every call to
// the platforms and to the public URL.
type doctorDeps struct {
	HTTPClient *http.Client // a 10 s client on the default transport when nil
}

// Check outcomes as printed; String pads them to FAIL's width so the check
// names line up.
const (
	checkOK   = "ok"
	checkFail = "FAIL"
	checkSkip = "skip"
)

// checkResult is one line of the report.
type checkResult struct {
	status string
	name   string
	detail string // what was found; for FAIL, what is wrong
	fix    string // for FAIL, what to do about it
}

func (r checkResult) String() string {
	if r.status == checkFail {
		return fmt.Sprintf("FAIL %s: %s — %s", r.name, r.detail, r.fix)
	}
	return fmt.Sprintf("%-4s %s: %s", r.status, r.name, r.detail)
}

func ok(name, format string, args ...any) checkResult {
	return checkResult{status: checkOK, name: name, detail: fmt.Sprintf(format, args...)}
}

func skip(name, format string, args ...any) checkResult {
	return checkResult{status: checkSkip, name: name, detail: fmt.Sprintf(format, args...)}
}

func fail(name, detail, fix string) checkResult {
	return checkResult{status: checkFail, name: name, detail: detail, fix: fix}
}

// Check names. Configuration errors about a check's own variables are
// reported on that check's line instead of on a line of their own.
const (
	checkConfig   = "config"
	checkSecret   = "secret"
	checkPublic   = "public URL"
	checkHealthz  = "public URL /healthz"
	checkDatabase = "database"
	checkRedis    = "redis"
	checkWeComTok = "wecom token"
	checkWeComApp = "wecom agent"
	checkFeishuTo = "feishu token"
	checkFeishuBo = "feishu bot"
	checkSlackTok = "slack token"
	checkSlackSco = "slack scopes"
)

// configOwners maps the variable a configuration error names to the check
// whose line reports it.
var configOwners = []struct{ prefix, check string }{
	{"PUNCHBOT_SECRET:", checkSecret},
	{"PUNCHBOT_PUBLIC_URL:", checkPublic},
	{"PUNCHBOT_DATABASE_URL:", checkDatabase},
	{"PUNCHBOT_REDIS_URL:", checkRedis},
	{"PUNCHBOT_WECOM_", checkWeComTok},
	{"PUNCHBOT_FEISHU_", checkFeishuTo},
	{"PUNCHBOT_SLACK_", checkSlackTok},
}

// doctor prints one line per check and returns an error, so that run exits
// non-zero, when any check failed. cfgErr is loadConfig's error: doctor runs
// on a configuration serve would refuse, to report everything in one go.
func doctor(ctx context.Context, cfg config, cfgErr error, getenv func(string) string, stdout io.Writer, deps doctorDeps) error {
	hc := deps.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	d := &doctorRun{cfg: cfg, hc: hc, cfgErrs: map[string][]string{}}
	for _, e := range splitErrors(cfgErr) {
		owner := checkConfig
		for _, o := range configOwners {
			if strings.HasPrefix(e, o.prefix) {
				owner = o.check
				break
			}
		}
		d.cfgErrs[owner] = append(d.cfgErrs[owner], e)
	}

	var results []checkResult
	if errs := d.cfgErrs[checkConfig]; len(errs) > 0 {
		for _, e := range errs {
			results = append(results, fail(checkConfig, e, "fix the variable; serve refuses to start until it is"))
		}
	} else {
		results = append(results, ok(checkConfig, "PUNCHBOT_* variables are valid"))
	}
	results = append(results, d.secret())
	results = append(results, d.publicURL(ctx, strings.TrimSpace(getenv("PUNCHBOT_PUBLIC_URL")) != "")...)
	results = append(results, d.database(ctx), d.redis(ctx))
	results = append(results, d.wecom(ctx)...)
	results = append(results, d.feishu(ctx)...)
	results = append(results, d.slack(ctx)...)

	failed, skipped := 0, 0
	for _, r := range results {
		fmt.Fprintln(stdout, r)
		switch r.status {
		case checkFail:
			failed++
		case checkSkip:
			skipped++
		}
	}
	if failed > 0 {
		return errors.New(doctorSummary(failed, skipped, len(results)))
	}
	return nil
}

// doctorSummary counts the failed checks among those that ran: a skipped
// check (a platform not configured) neither passed nor failed, and
// counting it made "2 of 9 checks failed" of a run where only 4 ran.
func doctorSummary(failed, skipped, total int) string {
	msg := fmt.Sprintf("%d of %d checks failed", failed, total-skipped)
	if skipped > 0 {
		msg += fmt.Sprintf(" (%d skipped)", skipped)
	}
	return msg
}

// splitErrors undoes errors.Join, as loadConfig reports one error per
// variable.
func splitErrors(err error) []string {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range j.Unwrap() {
			out = append(out, splitErrors(e)...)
		}
		return out
	}
	return []string{err.Error()}
}

type doctorRun struct {
	cfg     config
	hc      *http.Client
	cfgErrs map[string][]string // configuration errors by the check that reports them
}

// configFailure returns the FAIL line for check's configuration errors, if
// it has any; the check itself is then not attempted.
func (d *doctorRun) configFailure(check, fix string) (checkResult, bool) {
	errs := d.cfgErrs[check]
	if len(errs) == 0 {
		return checkResult{}, false
	}
	return fail(check, strings.Join(errs, "; "), fix), true
}

// secret applies loadConfig's rule (it reports a short secret, so doctor
// does not restate the length) and the link signer's, and adds that a
// generated secret is not for production.
func (d *doctorRun) secret() checkResult {
	const fix = "set PUNCHBOT_SECRET to one long random value shared by every replica, e.g. `openssl rand -hex 32`"
	if r, bad := d.configFailure(checkSecret, fix); bad {
		return r
	}
	if d.cfg.secretGenerated {
		return fail(checkSecret, "PUNCHBOT_SECRET is not set, so serve signs location links with a random key of its own: links break on every restart and on every other replica", fix)
	}
	// The link signer has its own, stricter minimum; asking it keeps doctor
	// in step with what serve will accept. The URL is a placeholder so that
	// any refusal is about the secret.
	if _, err := web.New(web.Config{Secret: []byte(d.cfg.Secret), PublicURL: "https://doctor.invalid"}, web.Deps{Core: unusedCore{}}); err != nil {
		return fail(checkSecret, fmt.Sprintf("PUNCHBOT_SECRET is %d characters, and serve will refuse it: %v", len(d.cfg.Secret), err), fix)
	}
	return ok(checkSecret, "PUNCHBOT_SECRET is set (%d characters)", len(d.cfg.Secret))
}

// unusedCore satisfies web.New's need for a core; doctor never serves a page.
type unusedCore struct{ bots.Core }

// publicURL checks the address links are built on and then fetches /healthz
// through it, which proves DNS, TLS and the proxy route to this server.
func (d *doctorRun) publicURL(ctx context.Context, set bool) []checkResult {
	const httpsFix = "serve punchbot behind TLS (a reverse proxy or load balancer with a certificate) and set PUNCHBOT_PUBLIC_URL=https://…"
	if r, bad := d.configFailure(checkPublic, httpsFix); bad {
		return []checkResult{r, skip(checkHealthz, "not checked without a valid public URL")}
	}
	pub := d.cfg.PublicURL
	var first checkResult
	switch {
	case !set:
		return []checkResult{
			fail(checkPublic, fmt.Sprintf("PUNCHBOT_PUBLIC_URL is not set, so links sent to staff point at %s", pub),
				"set it to the https:// address staff's phones reach, e.g. https://punch.example.com"),
			skip(checkHealthz, "not checked without a public URL"),
		}
	case publicURLInsecure(pub):
		first = fail(checkPublic, fmt.Sprintf("%s is not https: %s", pub, insecureContextWhy), httpsFix)
	default:
		first = ok(checkPublic, "%s", pub)
	}
	return []checkResult{first, d.healthz(ctx, pub)}
}

func (d *doctorRun) healthz(ctx context.Context, pub string) checkResult {
	ctx, cancel := context.WithTimeout(ctx, doctorHealthzTimeout)
	defer cancel()
	target := pub + "/healthz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fail(checkHealthz, err.Error(), "fix PUNCHBOT_PUBLIC_URL")
	}
	start := time.Now()
	resp, err := d.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is already on the line
		}
		var cert *tls.CertificateVerificationError
		if errors.As(err, &cert) {
			return fail(checkHealthz, fmt.Sprintf("GET %s: %v", target, err),
				"install a certificate browsers trust for "+req.URL.Hostname()+" (and its intermediates) on the TLS endpoint")
		}
		return fail(checkHealthz, fmt.Sprintf("GET %s: %v", target, err),
			"start punchbot serve where this URL leads, and check DNS, the firewall and that the proxy forwards to PUNCHBOT_ADDR ("+d.cfg.Addr+")")
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fail(checkHealthz, fmt.Sprintf("GET %s answered HTTP %d, not 200", target, resp.StatusCode),
			"point the proxy for this URL at punchbot's PUNCHBOT_ADDR ("+d.cfg.Addr+") and check that punchbot serve is running")
	}
	return ok(checkHealthz, "GET %s answered 200 in %s", target, time.Since(start).Round(time.Millisecond))
}

// database opens the store as serve does. On SQLite an existing file is
// opened, which migrates it just as serve's start would; a missing one is
// left for serve to create.
func (d *doctorRun) database(ctx context.Context) checkResult {
	const pgFix = "check PUNCHBOT_DATABASE_URL (host, port, user, password, database, sslmode) and that PostgreSQL accepts connections from this host"
	if r, bad := d.configFailure(checkDatabase, pgFix); bad {
		return r
	}
	ctx, cancel := context.WithTimeout(ctx, doctorStoreTimeout)
	defer cancel()
	if d.cfg.DatabaseURL == "" {
		return d.sqlite(ctx)
	}
	where := maskURL(d.cfg.DatabaseURL)
	s, err := openPostgres(ctx, d.cfg.DatabaseURL)
	if err != nil {
		return fail(checkDatabase, fmt.Sprintf("PostgreSQL %s: %v", where, err), pgFix)
	}
	defer s.Close()
	if err := s.CheckSchema(ctx); err != nil {
		if core.ErrorCode(err) == core.EUNAVAILABLE && strings.Contains(err.Error(), "punchbot migrate") {
			return fail(checkDatabase, fmt.Sprintf("PostgreSQL %s: %v", where, err), "run `punchbot migrate` with this environment")
		}
		return fail(checkDatabase, fmt.Sprintf("PostgreSQL %s: checking the schema: %v", where, err), pgFix)
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return fail(checkDatabase, fmt.Sprintf("PostgreSQL %s: reading the schema version: %v", where, err), pgFix)
	}
	return ok(checkDatabase, "PostgreSQL %s answers; schema version %d is current", where, v)
}

func (d *doctorRun) sqlite(ctx context.Context) checkResult {
	path := d.cfg.DBPath
	fix := "check PUNCHBOT_DB_PATH and that this user can read and write " + path + " and its directory (or set PUNCHBOT_DATABASE_URL for PostgreSQL)"
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		// Creating it here would leave an empty store behind wherever
		// doctor happened to run; checking the directory is enough.
		dir := filepath.Dir(path)
		f, err := os.CreateTemp(dir, ".punchbot-doctor-*")
		if err != nil {
			return fail(checkDatabase, fmt.Sprintf("SQLite file %s does not exist and its directory is not writable: %v", path, err), fix)
		}
		f.Close()
		os.Remove(f.Name())
		return ok(checkDatabase, "SQLite file %s does not exist yet; serve creates it (embedded store: one replica only)", path)
	}
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		return fail(checkDatabase, fmt.Sprintf("SQLite file %s does not open: %v", path, err), fix)
	}
	defer s.Close()
	if err := s.Ping(ctx); err != nil {
		return fail(checkDatabase, fmt.Sprintf("SQLite file %s: %v", path, err), fix)
	}
	return ok(checkDatabase, "SQLite file %s opens (embedded store: one replica only)", path)
}

func (d *doctorRun) redis(ctx context.Context) checkResult {
	const fix = "check PUNCHBOT_REDIS_URL (host, port, password, rediss:// for TLS) and that Redis accepts connections from this host; while it is down serve punches on in-process state, but replicas stop sharing rate limits, sessions and the scheduler lock"
	if r, bad := d.configFailure(checkRedis, fix); bad {
		return r
	}
	if d.cfg.RedisURL == "" {
		return skip(checkRedis, "not configured: rate limits, sessions and locks are in-process (one replica only)")
	}
	where := maskURL(d.cfg.RedisURL)
	k, err := redis.Dial(d.cfg.RedisURL, "punchbot:")
	if err != nil {
		return fail(checkRedis, fmt.Sprintf("%s: %v", where, err), fix)
	}
	defer k.Close()
	ctx, cancel := context.WithTimeout(ctx, doctorStoreTimeout)
	defer cancel()
	start := time.Now()
	if err := k.Ping(ctx); err != nil {
		return fail(checkRedis, fmt.Sprintf("PING to %s: %v", where, err), fix)
	}
	return ok(checkRedis, "PING to %s answered in %s", where, time.Since(start).Round(time.Millisecond))
}

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
