package wecom

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// Official vectors W1 and W2 (PLATFORMS.md section 2).
const (
	vecToken     = "QDG6eK"
	vecAESKey    = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	vecCorpID    = "wx5823bf96d3bd56c7"
	w1Signature  = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
	w1Timestamp  = "1409659589"
	w1Nonce      = "263014780"
	w1EchoURL    = "P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D"
	w1Echo       = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
	w1Plain      = "1616140317555161061"
	w2Signature  = "477715d11cdb4164915debcba66cb864d751f3e6"
	w2Timestamp  = "1409659813"
	w2Nonce      = "1372623149"
	w2Encrypt    = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
	w2Plain      = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<FromUserName><![CDATA[mycreate]]></FromUserName>\n<CreateTime>1409659813</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[hello]]></Content>\n<MsgId>4561255354251345929</MsgId>\n<AgentID>218</AgentID>\n</xml>"
	w2Random     = "0960688932c47ef1"
	w2BodyFormat = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[%s]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"
)

// Test application credentials for the flows the tests build themselves.
const (
	testCorpID  = "ww0123456789abcdef"
	testAgentID = 1000002
	testSecret  = "test-secret-do-not-log"
	testToken   = "punchtoken"
	testAESKey  = "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM"
	testUser    = "zhangsan"
)

// The site is stored in WGS-84 (望京SOHO, roughly); WeCom reports GCJ-02.
const (
	siteLat, siteLng = 39.99636, 116.48043
	siteRadiusM      = 200
	siteName         = "望京SOHO"
)

// start is a Monday morning in Beijing.
var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// testClock is a settable clock shared by the bot, the core and the fakes.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// apiCall is one request the fake WeCom API received.
type apiCall struct {
	Method string
	Path   string
	Query  url.Values
	Body   []byte
}

// fakeWeCom speaks the three WeCom APIs the bot uses. It issues tokens
// tok-1, tok-2, …; script queues errcodes per path, answered before the
// normal response; expired marks tokens WeCom has revoked early.
type fakeWeCom struct {
	srv *httptest.Server
	now func() time.Time

	mu        sync.Mutex
	calls     []apiCall
	issued    int
	valid     map[string]bool
	script    map[string][]int
	expiresIn int64
	status    int // non-zero: answer every call with this HTTP status
}

func newFakeWeCom(t testing.TB, now func() time.Time) *fakeWeCom {
	t.Helper()
	f := &fakeWeCom{now: now, valid: map[string]bool{}, script: map[string][]int{}, expiresIn: 7200}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// Fail queues errcodes for the next calls to path.
func (f *fakeWeCom) Fail(path string, codes ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script[path] = append(f.script[path], codes...)
}

// Revoke invalidates every token issued so far.
func (f *fakeWeCom) Revoke() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.valid = map[string]bool{}
}

func (f *fakeWeCom) Calls() []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]apiCall(nil), f.calls...)
}

// CallsTo returns the calls to one path.
func (f *fakeWeCom) CallsTo(path string) []apiCall {
	var out []apiCall
	for _, c := range f.Calls() {
		if c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeWeCom) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, apiCall{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: body})
	w.Header().Set("Content-Type", "application/json")
	if f.status != 0 {
		w.WriteHeader(f.status)
		return
	}
	answer := func(v map[string]any) { _ = json.NewEncoder(w).Encode(v) }
	if codes := f.script[r.URL.Path]; len(codes) > 0 {
		f.script[r.URL.Path] = codes[1:]
		answer(map[string]any{"errcode": codes[0], "errmsg": "scripted error " + strconv.Itoa(codes[0])})
		return
	}
	switch r.URL.Path {
	case "/cgi-bin/gettoken":
		if r.Method != http.MethodGet || r.URL.Query().Get("corpid") != testCorpID || r.URL.Query().Get("corpsecret") != testSecret {
			answer(map[string]any{"errcode": 40001, "errmsg": "invalid credential"})
			return
		}
		f.issued++
		tok := fmt.Sprintf("tok-%d", f.issued)
		f.valid[tok] = true
		answer(map[string]any{"errcode": 0, "errmsg": "ok", "access_token": tok, "expires_in": f.expiresIn})
	case "/cgi-bin/message/send", "/cgi-bin/message/update_template_card":
		if r.Method != http.MethodPost {
			answer(map[string]any{"errcode": 43002, "errmsg": "require POST method"})
			return
		}
		if !f.valid[r.URL.Query().Get("access_token")] {
			answer(map[string]any{"errcode": 42001, "errmsg": "access_token expired"})
			return
		}
		var req map[string]any
		if err := json.Unmarshal(body, &req); err != nil {
			answer(map[string]any{"errcode": 47001, "errmsg": "data format error"})
			return
		}
		if r.URL.Path == "/cgi-bin/message/update_template_card" {
			answer(map[string]any{"errcode": 0, "errmsg": "ok", "invaliduser": ""})
			return
		}
		res := map[string]any{"errcode": 0, "errmsg": "ok", "msgid": fmt.Sprintf("msg-%d", len(f.calls))}
		if req["msgtype"] == "template_card" {
			res["response_code"] = fmt.Sprintf("RESPONSE_CODE_%d", len(f.calls))
		}
		if req["touser"] == "ghost" {
			res["invaliduser"] = "ghost"
		}
		answer(res)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// env is a bot wired to a real core.Service over the in-memory fakes, with
// one employee (zhangsan) bound to a WeCom account and one site.
type env struct {
	t     testing.TB
	clock *testClock
	store *coretest.MemStore
	kv    *coretest.MemKV
	svc   *core.Service
	bot   *Bot
	mux   *http.ServeMux
	fake  *fakeWeCom
	enc   *Crypto // the test's own crypto, playing WeCom
	seq   int
	// inline holds the replies the bot answered in the HTTP response
	// (passive replies), as the core returned them.
	inline *inlineLog
}

// inlineLog records the core's replies to commands answered inline.
type inlineLog struct {
	mu      sync.Mutex
	replies []core.Reply
}

type envOptions struct {
	noSessions bool
	core       func(*core.Service) coreFunc // wraps the service, for failure tests
}

// coreFunc adapts a function to bots.Core.
type coreFunc func(ctx context.Context, cmd core.Command) (core.Reply, error)

func (f coreFunc) Handle(ctx context.Context, cmd core.Command) (core.Reply, error) {
	return f(ctx, cmd)
}

func newEnv(t testing.TB, opts envOptions) *env {
	t.Helper()
	ctx := context.Background()
	clock := &testClock{t: start}
	store := coretest.NewMemStore()
	kv := coretest.NewMemKV(clock.Now)
	svc := core.NewService(store, kv, kv, core.DefaultConfig(), clock.Now)
	org := core.Org{
		Name:  "Test Co",
		Sites: []core.OrgSite{{Site: core.Site{ID: "wangjing", Name: siteName, Lat: siteLat, Lng: siteLng, RadiusM: siteRadiusM}}},
		Employees: []core.Employee{{
			ID: "e1", Name: "张三", Active: true, SiteIDs: []string{"wangjing"},
			Identities: []core.Identity{{Platform: core.PlatformWeCom, Tenant: testCorpID, UserID: testUser}},
		}},
	}
	if err := org.Prepare(); err != nil {
		t.Fatalf("org.Prepare: %v", err)
	}
	if _, err := store.ApplyOrg(ctx, org, core.AuditEntry{At: start, Actor: "test", Action: "org.applied"}); err != nil {
		t.Fatalf("ApplyOrg: %v", err)
	}
	fake := newFakeWeCom(t, clock.Now)
	var c interface {
		Handle(context.Context, core.Command) (core.Reply, error)
	} = svc
	if opts.core != nil {
		c = opts.core(svc)
	}
	inline := &inlineLog{}
	inner := c
	c = coreFunc(func(ctx context.Context, cmd core.Command) (core.Reply, error) {
		r, err := inner.Handle(ctx, cmd)
		if err == nil && cmd.ReplyInline {
			inline.mu.Lock()
			inline.replies = append(inline.replies, r)
			inline.mu.Unlock()
		}
		return r, err
	})
	deps := Deps{Core: c, Sessions: kv, Now: clock.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), HTTPClient: fake.srv.Client()}
	if opts.noSessions {
		deps.Sessions = nil
	}
	bot, err := New(Config{CorpID: testCorpID, AgentID: strconv.Itoa(testAgentID), Secret: testSecret, Token: testToken, EncodingAESKey: testAESKey, APIURL: fake.srv.URL}, deps)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux := http.NewServeMux()
	bot.Register(mux)
	enc, err := NewCrypto(testToken, testAESKey, testCorpID)
	if err != nil {
		t.Fatalf("NewCrypto: %v", err)
	}
	return &env{t: t, clock: clock, store: store, kv: kv, svc: svc, bot: bot, mux: mux, fake: fake, enc: enc, inline: inline}
}

// sealed is an encrypted, signed callback as WeCom would deliver it.
type sealed struct {
	query url.Values
	body  string
}

// seal encrypts plaintext XML for the test corp and signs it with the
// current time, the way WeCom does.
func (e *env) seal(plain string) sealed {
	e.t.Helper()
	e.seq++
	random := []byte(fmt.Sprintf("rnd%013d", e.seq))
	enc, err := e.enc.Encrypt([]byte(plain), random)
	if err != nil {
		e.t.Fatalf("Encrypt: %v", err)
	}
	ts := strconv.FormatInt(e.clock.Now().Unix(), 10)
	nonce := strconv.Itoa(100000 + e.seq)
	q := url.Values{"msg_signature": {e.enc.Sign(ts, nonce, enc)}, "timestamp": {ts}, "nonce": {nonce}}
	return sealed{query: q, body: fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><Encrypt><![CDATA[%s]]></Encrypt><AgentID><![CDATA[%d]]></AgentID></xml>", testCorpID, enc, testAgentID)}
}

// deliver posts a sealed callback through the real handler.
func (e *env) deliver(s sealed) *httptest.ResponseRecorder {
	e.t.Helper()
	return serve(e.mux, http.MethodPost, CallbackPath+"?"+s.query.Encode(), s.body)
}

// post seals and delivers plaintext, failing the test unless WeCom gets 200.
func (e *env) post(plain string) {
	e.t.Helper()
	if rec := e.deliver(e.seal(plain)); rec.Code != http.StatusOK {
		e.t.Fatalf("POST %s: got status %d (%s), want 200", firstLine(plain), rec.Code, rec.Body.String())
	}
}

func serve(h http.Handler, method, target, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func firstLine(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// punches returns every stored punch.
func (e *env) punches() []core.Punch {
	e.t.Helper()
	ps, err := e.store.ListPunches(context.Background(), core.PunchFilter{})
	if err != nil {
		e.t.Fatalf("ListPunches: %v", err)
	}
	return ps
}

// replies returns every reply the user got: answered inline (passive
// replies), then queued in the outbox.
func (e *env) replies() []core.Reply {
	e.t.Helper()
	e.inline.mu.Lock()
	out := append([]core.Reply(nil), e.inline.replies...)
	e.inline.mu.Unlock()
	for _, m := range e.store.Outbox() {
		var r core.Reply
		if err := json.Unmarshal(m.Payload, &r); err != nil {
			e.t.Fatalf("outbox payload: %v", err)
		}
		out = append(out, r)
	}
	return out
}

// unix is CreateTime for a message sent d before now.
func (e *env) unix(ago time.Duration) int64 { return e.clock.Now().Add(-ago).Unix() }

// Plaintext builders, in the shapes of PLATFORMS.md section 3.

func textXML(from, content, msgID string, ct int64) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content><MsgId>%s</MsgId><AgentID>%d</AgentID></xml>",
		testCorpID, from, ct, content, msgID, testAgentID)
}

func locationXML(from string, lat, lng float64, label, msgID string, ct int64) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[location]]></MsgType><Location_X>%.6f</Location_X><Location_Y>%.6f</Location_Y><Scale>15</Scale><Label><![CDATA[%s]]></Label><MsgId>%s</MsgId><AgentID>%d</AgentID><AppType><![CDATA[wxwork]]></AppType></xml>",
		testCorpID, from, ct, lat, lng, label, msgID, testAgentID)
}

func locationEventXML(from string, lat, lng, precision float64, ct int64) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><AgentID>%d</AgentID><Event><![CDATA[LOCATION]]></Event><Latitude>%.6f</Latitude><Longitude>%.6f</Longitude><Precision>%g</Precision><AppType><![CDATA[wxwork]]></AppType></xml>",
		testCorpID, from, ct, testAgentID, lat, lng, precision)
}

func clickXML(from, key string, ct int64) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[click]]></Event><EventKey><![CDATA[%s]]></EventKey><AgentID>%d</AgentID></xml>",
		testCorpID, from, ct, key, testAgentID)
}

func locationSelectXML(from, key string, lat, lng float64, ct int64) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[location_select]]></Event><EventKey><![CDATA[%s]]></EventKey><SendLocationInfo><Location_X><![CDATA[%.6f]]></Location_X><Location_Y><![CDATA[%.6f]]></Location_Y><Scale><![CDATA[15]]></Scale><Label><![CDATA[北京市朝阳区望京街]]></Label><Poiname><![CDATA[望京SOHO T1]]></Poiname></SendLocationInfo><AgentID>%d</AgentID></xml>",
		testCorpID, from, ct, key, lat, lng, testAgentID)
}

// gcjNear returns the GCJ-02 coordinates (what WeCom reports) of a point
// north of the site by the given metres.
func gcjNear(northM float64) (lat, lng float64) {
	return core.WGS84ToGCJ02(siteLat+northM/111320, siteLng)
}

// mustJSON decodes a recorded request body.
func mustJSON(tb testing.TB, b []byte) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatalf("request body %q is not JSON: %v", b, err)
	}
	return m
}

// mustRun drains the outbox once through the bot.
func (e *env) mustRun() int {
	e.t.Helper()
	w := core.OutboxWorker{Store: e.store, Senders: map[core.Platform]core.Sender{core.PlatformWeCom: e.bot}, Now: e.clock.Now,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	n, err := w.RunOnce(context.Background())
	if err != nil {
		e.t.Fatalf("OutboxWorker.RunOnce: %v", err)
	}
	return n
}
