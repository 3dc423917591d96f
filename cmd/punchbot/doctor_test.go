package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/bots/slack"
)

// fakePlatforms speaks the three platforms' response formats for the calls
// doctor makes. Zero values answer as a correctly configured tenant does.
type fakePlatforms struct {
	wecomTokenErr int // errcode for gettoken
	wecomAgentErr int // errcode for agent/get
	feishuToken   int // code for tenant_access_token/internal
	slackError    string
	slackScopes   []string // granted scopes; nil grants the manifest's
}

// wecomErrmsg are errmsgs as WeCom words them: the code's text, a hint and
// the caller's address (全局错误码, https://developer.work.weixin.qq.com/document/path/90313).
var wecomErrmsg = map[int]string{
	40001: "invalid credential, hint: [1764640000_11_abcdef], from ip: 203.0.113.7, more info at https://open.work.weixin.qq.com/devtool/query?e=40001",
	40013: "invalid corpid, hint: [1764640000_11_abcdef], from ip: 203.0.113.7, more info at https://open.work.weixin.qq.com/devtool/query?e=40013",
	60020: "not allow to access from your ip, hint: [1764640000_11_abcdef], from ip: 203.0.113.7, more info at https://open.work.weixin.qq.com/devtool/query?e=60020",
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// start serves the fakes and returns their base URLs as the PUNCHBOT_*
// variables expect them.
func (f fakePlatforms) start(t *testing.T) (wecomURL, feishuURL, slackURL string) {
	t.Helper()
	wecomErr := func(w http.ResponseWriter, code int) {
		writeJSON(w, http.StatusOK, map[string]any{"errcode": code, "errmsg": wecomErrmsg[code]})
	}
	wc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch r.URL.Path {
		case "/cgi-bin/gettoken": // document/path/91039
			if f.wecomTokenErr != 0 {
				wecomErr(w, f.wecomTokenErr)
				return
			}
			if q.Get("corpid") != "wwtestcorp" || q.Get("corpsecret") != "wecom-secret" {
				wecomErr(w, 40001)
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": "accesstoken000001", "expires_in": 7200})
		case "/cgi-bin/agent/get": // document/path/90227
			if f.wecomAgentErr != 0 {
				wecomErr(w, f.wecomAgentErr)
				return
			}
			if q.Get("access_token") != "accesstoken000001" || q.Get("agentid") != "1000002" {
				wecomErr(w, 40014)
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok", "agentid": 1000002, "name": "打卡助手",
				"allow_userinfos": map[string]any{"user": []any{}}, "close": 0, "report_location_flag": 1, "isreportenter": 0})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(wc.Close)

	fs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/open-apis/auth/v3/tenant_access_token/internal": // 自建应用获取 tenant_access_token
			var body map[string]string
			_ = json.NewDecoder(r.Body).Decode(&body)
			switch {
			case f.feishuToken == 10014 || body["app_id"] != "cli_doctor" || body["app_secret"] != "feishu-secret":
				writeJSON(w, http.StatusBadRequest, map[string]any{"code": 10014, "msg": "app secret invalid"})
			case f.feishuToken != 0:
				writeJSON(w, http.StatusBadRequest, map[string]any{"code": f.feishuToken, "msg": "invalid param"})
			default:
				writeJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "ok", "tenant_access_token": "t-doctor", "expire": 7200})
			}
		case "/open-apis/bot/v3/info": // 获取机器人信息; the bot sits at the top level, not in "data"
			if r.Header.Get("Authorization") != "Bearer t-doctor" {
				writeJSON(w, http.StatusBadRequest, map[string]any{"code": 99991663, "msg": "Invalid access token for authorization."})
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "ok", "bot": map[string]any{
				"activate_status": 2, "app_name": "punchbot", "avatar_url": "", "ip_white_list": []string{}, "open_id": "ou_doctorbot"}})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(fs.Close)

	sl := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/auth.test" || r.Method != http.MethodPost {
			writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "unknown_method"})
			return
		}
		if f.slackError != "" || r.Header.Get("Authorization") != "Bearer xoxb-doctor" {
			e := f.slackError
			if e == "" {
				e = "invalid_auth"
			}
			writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": e})
			return
		}
		scopes := f.slackScopes
		if scopes == nil {
			scopes = slack.RequiredScopes()
		}
		w.Header().Set("X-OAuth-Scopes", strings.Join(scopes, ","))
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "url": "https://acme.slack.com/", "team": "Acme", "user": "punchbot",
			"team_id": "T0DOCTOR", "user_id": "U0DOCTOR", "bot_id": "B0DOCTOR"})
	}))
	t.Cleanup(sl.Close)
	return wc.URL, fs.URL, sl.URL + "/"
}

// healthServer answers /healthz as serve does.
func healthServer(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, "ok\n")
	}))
	t.Cleanup(s.Close)
	return s
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// doctorEnv is a complete, correct production environment pointed at the
// fakes, with the public URL on a loopback health server.
func doctorEnv(t *testing.T, f fakePlatforms) map[string]string {
	t.Helper()
	wc, fs, sl := f.start(t)
	return map[string]string{
		"PUNCHBOT_SECRET":                 "0123456789abcdef0123456789abcdef",
		"PUNCHBOT_PUBLIC_URL":             healthServer(t).URL,
		"PUNCHBOT_DB_PATH":                filepath.Join(t.TempDir(), "punchbot.db"),
		"PUNCHBOT_REDIS_URL":              os.Getenv("PUNCHBOT_TEST_REDIS_URL"),
		"PUNCHBOT_WECOM_CORP_ID":          "wwtestcorp",
		"PUNCHBOT_WECOM_AGENT_ID":         "1000002",
		"PUNCHBOT_WECOM_SECRET":           "wecom-secret",
		"PUNCHBOT_WECOM_TOKEN":            "wecom-token",
		"PUNCHBOT_WECOM_ENCODING_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
		"PUNCHBOT_WECOM_API_URL":          wc,
		"PUNCHBOT_FEISHU_APP_ID":          "cli_doctor",
		"PUNCHBOT_FEISHU_APP_SECRET":      "feishu-secret",
		"PUNCHBOT_FEISHU_BASE_URL":        fs,
		"PUNCHBOT_SLACK_SIGNING_SECRET":   "slack-signing-secret",
		"PUNCHBOT_SLACK_BOT_TOKEN":        "xoxb-doctor",
		"PUNCHBOT_SLACK_API_URL":          sl,
	}
}

// runDoctor runs doctor as run does and returns the exit code run would
// return with the printed report.
func runDoctor(t *testing.T, vars map[string]string, hc *http.Client) (int, string) {
	t.Helper()
	getenv := func(k string) string { return vars[k] }
	cfg, cfgErr := loadConfig(getenv)
	var out bytes.Buffer
	err := doctor(context.Background(), cfg, cfgErr, getenv, &out, doctorDeps{HTTPClient: hc})
	if err != nil {
		return 1, out.String()
	}
	return 0, out.String()
}

// reportLine is one parsed line of doctor's output.
type reportLine struct{ status, check, text string }

func parseReport(t *testing.T, out string) []reportLine {
	t.Helper()
	var lines []reportLine
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		status, rest, _ := strings.Cut(l, " ")
		check, _, found := strings.Cut(strings.TrimLeft(rest, " "), ": ")
		if !found || (status != checkOK && status != checkFail && status != checkSkip) {
			t.Fatalf("line %q is not `<ok|FAIL|skip> <check>: <detail>`", l)
		}
		lines = append(lines, reportLine{status, check, l})
	}
	return lines
}

// redirectTo is a client that connects every host:port in hosts to addr, so
// a public URL with a real-looking name reaches a loopback server.
func redirectTo(addr string, hosts ...string) *http.Client {
	d := &net.Dialer{Timeout: 2 * time.Second}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
			if slices.Contains(hosts, a) {
				a = addr
			}
			return d.DialContext(ctx, network, a)
		},
	}}
}

func TestDoctor(t *testing.T) {
	required := slack.RequiredScopes()
	if len(required) < 2 {
		t.Fatalf("bots/slack.RequiredScopes() = %v; the test drops one of several", required)
	}
	dropped := required[len(required)-1]

	tests := []struct {
		name  string
		fakes fakePlatforms
		env   map[string]string // overrides of doctorEnv; "" deletes
		// client builds doctor's HTTP client from the health server's
		// address; nil uses a plain one.
		client func(healthAddr string) *http.Client
		// wantFail lists each failing check with words its line must
		// contain: what is wrong and what to fix.
		wantFail map[string][]string
	}{
		{name: "all green"},
		{
			name:     "wecom bad secret",
			fakes:    fakePlatforms{wecomTokenErr: 40001},
			wantFail: map[string][]string{checkWeComTok: {"errcode 40001", "rejects the secret", "PUNCHBOT_WECOM_SECRET"}},
		},
		{
			name:     "wecom bad corp id",
			fakes:    fakePlatforms{wecomTokenErr: 40013},
			wantFail: map[string][]string{checkWeComTok: {"errcode 40013", "PUNCHBOT_WECOM_CORP_ID", "企业ID"}},
		},
		{
			name:     "wecom untrusted IP",
			fakes:    fakePlatforms{wecomAgentErr: 60020},
			wantFail: map[string][]string{checkWeComApp: {"errcode 60020", "add 203.0.113.7", "企业可信IP"}},
		},
		{
			name:     "feishu bad app secret",
			fakes:    fakePlatforms{feishuToken: 10014},
			wantFail: map[string][]string{checkFeishuTo: {"code 10014", "app secret invalid", "PUNCHBOT_FEISHU_APP_SECRET", "凭证与基础信息"}},
		},
		{
			name:     "feishu bad app id",
			fakes:    fakePlatforms{feishuToken: 10003},
			wantFail: map[string][]string{checkFeishuTo: {"code 10003", "PUNCHBOT_FEISHU_APP_ID"}},
		},
		{
			name:     "slack invalid_auth",
			fakes:    fakePlatforms{slackError: "invalid_auth"},
			wantFail: map[string][]string{checkSlackTok: {"invalid_auth", "Bot User OAuth Token", "PUNCHBOT_SLACK_BOT_TOKEN"}},
		},
		{
			name:     "slack token revoked",
			fakes:    fakePlatforms{slackError: "token_revoked"},
			wantFail: map[string][]string{checkSlackTok: {"token_revoked", "reinstall"}},
		},
		{
			name:     "slack missing scope",
			fakes:    fakePlatforms{slackScopes: required[:len(required)-1]},
			wantFail: map[string][]string{checkSlackSco: {"lacks " + dropped, "Bot Token Scopes", "reinstall"}},
		},
		{
			name: "http public URL",
			env:  map[string]string{"PUNCHBOT_PUBLIC_URL": "http://punch.example.com"},
			client: func(healthAddr string) *http.Client {
				return redirectTo(healthAddr, "punch.example.com:80")
			},
			wantFail: map[string][]string{checkPublic: {"http://punch.example.com is not https", "secure context", "behind TLS", "PUNCHBOT_PUBLIC_URL=https://"}},
		},
		{
			name:     "public URL not set",
			env:      map[string]string{"PUNCHBOT_PUBLIC_URL": ""},
			wantFail: map[string][]string{checkPublic: {"PUNCHBOT_PUBLIC_URL is not set", "https://"}},
		},
		{
			name:     "unreachable public URL",
			env:      map[string]string{"PUNCHBOT_PUBLIC_URL": "http://" + closedPort(t)},
			wantFail: map[string][]string{checkHealthz: {"GET http://127.0.0.1:", "/healthz", "start punchbot serve"}},
		},
		{
			name:     "redis down",
			env:      map[string]string{"PUNCHBOT_REDIS_URL": "redis://" + closedPort(t) + "/0"},
			wantFail: map[string][]string{checkRedis: {"PING to redis://127.0.0.1:", "PUNCHBOT_REDIS_URL"}},
		},
		{
			name:     "secret not set",
			env:      map[string]string{"PUNCHBOT_SECRET": ""},
			wantFail: map[string][]string{checkSecret: {"not set", "restart", "replica", "PUNCHBOT_SECRET"}},
		},
		{
			name:     "secret too short",
			env:      map[string]string{"PUNCHBOT_SECRET": "short"},
			wantFail: map[string][]string{checkSecret: {"at least 32 characters", "PUNCHBOT_SECRET"}},
		},
		{
			// The link signer (bots/web) wants 32 bytes; config says so.
			name:     "secret shorter than the link signer needs",
			env:      map[string]string{"PUNCHBOT_SECRET": "0123456789abcdefghij"},
			wantFail: map[string][]string{checkSecret: {"at least 32", "openssl rand -hex 32"}},
		},
		{
			name:     "other configuration error",
			env:      map[string]string{"PUNCHBOT_TIMEZONE": "Mars/Olympus"},
			wantFail: map[string][]string{checkConfig: {"PUNCHBOT_TIMEZONE", "Mars/Olympus", "fix the variable"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := doctorEnv(t, tt.fakes)
			// The health server doctorEnv started keeps answering; a
			// client can send an overriding public URL's host there.
			healthAddr := strings.TrimPrefix(vars["PUNCHBOT_PUBLIC_URL"], "http://")
			maps.Copy(vars, tt.env)
			var hc *http.Client
			if tt.client != nil {
				hc = tt.client(healthAddr)
			}
			code, out := runDoctor(t, vars, hc)
			lines := parseReport(t, out)

			wantCode := 0
			if len(tt.wantFail) > 0 {
				wantCode = 1
			}
			if code != wantCode {
				t.Errorf("exit code = %d, want %d\n%s", code, wantCode, out)
			}
			var gotFail []string
			for _, l := range lines {
				if l.status == checkFail {
					gotFail = append(gotFail, l.check)
				}
			}
			wantChecks := slices.Sorted(maps.Keys(tt.wantFail))
			if slices.Sort(gotFail); !slices.Equal(gotFail, wantChecks) {
				t.Errorf("failed checks = %q, want %q\n%s", gotFail, wantChecks, out)
			}
			for _, l := range lines {
				for _, w := range tt.wantFail[l.check] {
					if l.status == checkFail && !strings.Contains(l.text, w) {
						t.Errorf("line %q lacks %q", l.text, w)
					}
				}
				if l.status == checkFail && !strings.Contains(l.text, " — ") {
					t.Errorf("line %q does not say what to fix after ' — '", l.text)
				}
			}
		})
	}
}

// TestDoctorAllGreen checks that a correct environment gets an ok line for
// every check, in order, and that each names what it found.
func TestDoctorAllGreen(t *testing.T) {
	vars := doctorEnv(t, fakePlatforms{})
	code, out := runDoctor(t, vars, nil)
	if code != 0 {
		t.Fatalf("exit code = %d, want 0\n%s", code, out)
	}
	want := []struct{ status, check, contains string }{
		{checkOK, checkConfig, "valid"},
		{checkOK, checkSecret, "32 characters"},
		{checkOK, checkPublic, vars["PUNCHBOT_PUBLIC_URL"]},
		{checkOK, checkHealthz, "answered 200"},
		{checkOK, checkDatabase, "SQLite file"},
		{checkSkip, checkRedis, "not configured"},
		{checkOK, checkWeComTok, "wwtestcorp"},
		{checkOK, checkWeComApp, `1000002 "打卡助手" belongs to the secret; 上报地理位置 on`},
		{checkOK, checkFeishuTo, "cli_doctor"},
		{checkOK, checkFeishuBo, "ou_doctorbot"},
		{checkOK, checkSlackTok, `bot user punchbot in workspace "Acme" (T0DOCTOR)`},
		{checkOK, checkSlackSco, "are granted"},
	}
	if vars["PUNCHBOT_REDIS_URL"] != "" {
		want[5] = struct{ status, check, contains string }{checkOK, checkRedis, "PING"}
	}
	lines := parseReport(t, out)
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d\n%s", len(lines), len(want), out)
	}
	for i, w := range want {
		if got := lines[i]; got.status != w.status || got.check != w.check || !strings.Contains(got.text, w.contains) {
			t.Errorf("line %d = %q, want %s %s: …%s…", i, got.text, w.status, w.check, w.contains)
		}
	}
}

// TestDoctorCommand runs doctor through run: the usage lists it, a broken
// environment exits 1 with the checks on stdout, a correct one exits 0.
func TestDoctorCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	run(context.Background(), []string{"help"}, env(), &out, &errOut)
	if !strings.Contains(out.String(), "punchbot doctor") {
		t.Errorf("usage lacks punchbot doctor:\n%s", out.String())
	}

	out.Reset()
	// No secret and no public URL, which serve would accept with a
	// warning, and a configuration error serve would refuse: doctor still
	// runs every check.
	broken := env("PUNCHBOT_DB_PATH", filepath.Join(t.TempDir(), "p.db"), "PUNCHBOT_LOG_LEVEL", "loud")
	if code := run(context.Background(), []string{"doctor"}, broken, &out, &errOut); code != 1 {
		t.Errorf("doctor on a broken environment = %d, want 1\n%s%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{"FAIL config: PUNCHBOT_LOG_LEVEL", "FAIL secret:", "FAIL public URL:", "skip public URL /healthz:", "ok   database:", "skip wecom:", "skip feishu:", "skip slack:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(errOut.String(), "punchbot doctor: 3 of ") {
		t.Errorf("stderr = %q, want the number of failed checks", errOut.String())
	}

	out.Reset()
	errOut.Reset()
	vars := doctorEnv(t, fakePlatforms{})
	if code := run(context.Background(), []string{"doctor"}, func(k string) string { return vars[k] }, &out, &errOut); code != 0 {
		t.Errorf("doctor on a correct environment = %d, want 0\n%s%s", code, out.String(), errOut.String())
	}
}

// TestDoctorPostgres checks the schema gate: an empty database fails with
// the migrate command as the fix, a migrated one passes.
func TestDoctorPostgres(t *testing.T) {
	dbURL := pgURL(t)
	vars := map[string]string{
		"PUNCHBOT_DATABASE_URL": dbURL,
		"PUNCHBOT_SECRET":       "0123456789abcdef0123456789abcdef",
		"PUNCHBOT_PUBLIC_URL":   healthServer(t).URL,
	}
	database := func() reportLine {
		t.Helper()
		_, out := runDoctor(t, vars, nil)
		for _, l := range parseReport(t, out) {
			if l.check == checkDatabase {
				return l
			}
		}
		t.Fatalf("no database line in\n%s", out)
		return reportLine{}
	}
	if got := database(); got.status != checkFail || !strings.Contains(got.text, "run `punchbot migrate`") {
		t.Errorf("empty schema: %q, want a FAIL that says to run punchbot migrate", got.text)
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"migrate"}, func(k string) string { return vars[k] }, &out, &errOut); code != 0 {
		t.Fatalf("migrate = %d %s", code, errOut.String())
	}
	if got := database(); got.status != checkOK || !strings.Contains(got.text, "is current") {
		t.Errorf("migrated schema: %q, want ok … is current", got.text)
	}
	unreachable := "postgres://postgres@" + closedPort(t) + "/test?sslmode=disable"
	vars["PUNCHBOT_DATABASE_URL"] = unreachable
	if got := database(); got.status != checkFail || !strings.Contains(got.text, "PUNCHBOT_DATABASE_URL") {
		t.Errorf("unreachable database: %q, want a FAIL naming PUNCHBOT_DATABASE_URL", got.text)
	}
}

// TestDoctorRedisAnswers needs a real Redis.
func TestDoctorRedisAnswers(t *testing.T) {
	redisURL := os.Getenv("PUNCHBOT_TEST_REDIS_URL")
	if redisURL == "" {
		t.Skip("PUNCHBOT_TEST_REDIS_URL is not set; skipping the Redis check against a real server")
	}
	vars := doctorEnv(t, fakePlatforms{})
	vars["PUNCHBOT_REDIS_URL"] = redisURL
	code, out := runDoctor(t, vars, nil)
	if code != 0 || !strings.Contains(out, "ok   redis: PING to ") {
		t.Errorf("doctor with Redis up = %d\n%s", code, out)
	}
}

func TestPublicURLInsecure(t *testing.T) {
	tests := []struct {
		url  string
		want bool
	}{
		{"https://punch.example.com", false},
		{"https://10.0.0.5:8443", false},
		{"http://punch.example.com", true},
		{"http://10.0.0.5:8080", true},
		{"http://localhost:8080", false},
		{"http://app.localhost:8080", false},
		{"http://127.0.0.1:8080", false},
		{"http://[::1]:8080", false},
		{"http://127.0.0.2", false}, // all of 127/8 is loopback for browsers too
		{"http://[::ffff:10.0.0.5]", true},
	}
	for _, tt := range tests {
		if got := publicURLInsecure(tt.url); got != tt.want {
			t.Errorf("publicURLInsecure(%q) = %v, want %v", tt.url, got, tt.want)
		}
	}
}

// lockedBuffer is a log sink written by serve's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestPublicURLWarning starts serve and reads its startup log: a public URL
// that is not https, except on a loopback host, gets a WARN that says why.
func TestPublicURLWarning(t *testing.T) {
	tests := []struct {
		url      string
		wantWarn bool
	}{
		{"http://punch.example.com", true},
		{"https://punch.example.com", false},
		{"http://localhost:8080", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			cfg, err := loadConfig(env("PUNCHBOT_PUBLIC_URL", tt.url, "PUNCHBOT_SECRET", "0123456789abcdef0123456789abcdef",
				"PUNCHBOT_DB_PATH", filepath.Join(t.TempDir(), "p.db")))
			if err != nil {
				t.Fatal(err)
			}
			cfg.Addr = "127.0.0.1:0"
			var logs lockedBuffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// Listening comes after the startup warnings, so stopping
			// there sees all of them.
			if err := serve(ctx, cfg, log, io.Discard, func(string, *server) { cancel() }); err != nil {
				t.Fatalf("serve: %v", err)
			}
			var got []string
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, "level=WARN") && strings.Contains(l, "PUNCHBOT_PUBLIC_URL") {
					got = append(got, l)
				}
			}
			if !tt.wantWarn {
				if len(got) != 0 {
					t.Errorf("warnings = %q, want none", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0], "secure context") || !strings.Contains(got[0], "public_url="+tt.url) {
				t.Errorf("warnings = %q, want one that says browsers refuse a position outside a secure context and names %s", got, tt.url)
			}
		})
	}
}
