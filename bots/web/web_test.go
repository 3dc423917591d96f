package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// Site hq is Tiananmen Square (WGS-84); "inside" is 80 m east of it and
// "outside" about 1.9 km south-east.
const (
	hqLat, hqLng           = 39.9087, 116.3975
	insideLat, insideLng   = 39.9087, 116.3984
	outsideLat, outsideLng = 39.8950, 116.4100
	testRoute              = `{"response_url":"https://hooks.slack.test/r/1","replace_original":true}`
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	store *coretest.MemStore
	kv    *coretest.MemKV
	clock *clock
	pages *Pages
	srv   *httptest.Server
}

// MustFixture wires a real core.Service over the in-memory fakes, the pages
// and an HTTP server, at 08:55 on Monday 2 March 2026 in Shanghai.
func MustFixture(tb testing.TB, cfg Config, edits ...func(*core.Org)) *fixture {
	tb.Helper()
	sh, _ := time.LoadLocation("Asia/Shanghai")
	clk := &clock{t: time.Date(2026, 3, 2, 8, 55, 0, 0, sh)}
	store, kv := coretest.NewMemStore(), coretest.NewMemKV(clk.Now)
	org := core.Org{
		Name: "acme", TimeZone: "Asia/Shanghai",
		Sites: []core.OrgSite{{Site: core.Site{ID: "hq", Name: "HQ", Lat: hqLat, Lng: hqLng, RadiusM: 300}}},
		Schedules: []core.Schedule{{ID: "std", WorkDays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
			StartMin: 9 * 60, EndMin: 18 * 60, CheckInOpensMin: 120, CheckOutClosesMin: 360}},
		Employees: []core.Employee{
			{ID: "e1", Name: "Ann Lee", Lang: "en", Active: true, ScheduleID: "std", SiteIDs: []string{"hq"},
				Identities: []core.Identity{{Platform: core.PlatformSlack, Tenant: "T1", UserID: "U1"}}},
			{ID: "e2", Name: "李雷", Lang: "zh", Active: true, ScheduleID: "std", SiteIDs: []string{"hq"},
				Identities: []core.Identity{{Platform: core.PlatformSlack, Tenant: "T1", UserID: "U2"}}},
		},
	}
	for _, edit := range edits {
		edit(&org)
	}
	if err := org.Prepare(); err != nil {
		tb.Fatalf("org: %v", err)
	}
	if _, err := store.ApplyOrg(context.Background(), org, core.AuditEntry{At: clk.Now(), Actor: "test", Action: "org.applied"}); err != nil {
		tb.Fatalf("apply org: %v", err)
	}
	svc := core.NewService(store, kv, kv, core.DefaultConfig(), clk.Now)
	srv := httptest.NewServer(http.NotFoundHandler())
	tb.Cleanup(srv.Close)
	cfg.Secret, cfg.PublicURL = testSecret, srv.URL
	pages, err := New(cfg, Deps{Core: svc, Now: clk.Now})
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	mux := http.NewServeMux()
	pages.Register(mux)
	srv.Config.Handler = mux
	return &fixture{store: store, kv: kv, clock: clk, pages: pages, srv: srv}
}

// MustLink issues a link for Slack user id with a reply route.
func (f *fixture) MustLink(tb testing.TB, user, name, lang string, intent core.PunchKind) string {
	tb.Helper()
	link, err := f.pages.PunchLink(context.Background(), bots.LinkRequest{
		Actor: core.Identity{Platform: core.PlatformSlack, Tenant: "T1", UserID: user}, Name: name, Lang: lang, Intent: intent,
		ReplyPlatform: core.PlatformSlack, ReplyRoute: testRoute,
	})
	if err != nil {
		tb.Fatalf("PunchLink: %v", err)
	}
	if !strings.HasPrefix(link, f.srv.URL+"/l/") {
		tb.Fatalf("link %q is not under %s/l/", link, f.srv.URL)
	}
	return link
}

func (f *fixture) punches(tb testing.TB) []core.Punch {
	tb.Helper()
	ps, err := f.store.ListPunches(context.Background(), core.PunchFilter{})
	if err != nil {
		tb.Fatalf("ListPunches: %v", err)
	}
	return ps
}

// nothingStored fails unless no punch, event reply or outbox message exists.
func (f *fixture) nothingStored(tb testing.TB) {
	tb.Helper()
	if ps := f.punches(tb); len(ps) != 0 {
		tb.Errorf("punches = %+v, want none", ps)
	}
	if out := f.store.Outbox(); len(out) != 0 {
		tb.Errorf("outbox = %+v, want none", out)
	}
}

// MustPost posts a form to link asking for JSON, and decodes the answer.
func MustPost(tb testing.TB, link string, form url.Values) (int, result) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, link, strings.NewReader(form.Encode()))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("POST %s: %v", link, err)
	}
	defer resp.Body.Close()
	var res result
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		tb.Fatalf("POST %s: decode: %v", link, err)
	}
	return resp.StatusCode, res
}

// MustGet fetches a page.
func MustGet(tb testing.TB, link string) (*http.Response, string) {
	tb.Helper()
	resp, err := http.Get(link)
	if err != nil {
		tb.Fatalf("GET %s: %v", link, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp, string(body)
}

func at(lat, lng, acc string) url.Values {
	return url.Values{"lat": {lat}, "lng": {lng}, "accuracy": {acc}}
}

func TestTokenRoundTripAndRefusals(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	good := claims{Plat: core.PlatformSlack, Tenant: "T1", User: "U1", Name: "Ann", Lang: "en", Intent: core.KindIn,
		RPlat: core.PlatformSlack, RRoute: testRoute, Expires: now.Add(10 * time.Minute).Unix(), Nonce: "n1"}
	tok, err := sign(testSecret, good)
	if err != nil {
		t.Fatal(err)
	}
	got, err := parse(testSecret, tok, now)
	if err != nil {
		t.Fatalf("parse(valid) = %v", err)
	}
	good.V = tokenVersion
	if got != good {
		t.Errorf("parse = %+v, want %+v", got, good)
	}
	payload, sig, _ := strings.Cut(tok, ".")
	other, _ := sign(testSecret, claims{Plat: core.PlatformSlack, User: "U2", Expires: good.Expires, Nonce: "n2"})
	otherPayload, _, _ := strings.Cut(other, ".")
	flipped := []byte(payload)
	flipped[5] ^= 1
	wrongKey, _ := sign([]byte("another-secret-another-secret-xx"), good)
	noNonce, _ := sign(testSecret, claims{Plat: core.PlatformSlack, User: "U1", Expires: good.Expires})

	tests := []struct {
		name  string
		token string
		now   time.Time
		want  error
	}{
		{"expired at the second", tok, now.Add(10 * time.Minute), errExpired},
		{"expired later", tok, now.Add(time.Hour), errExpired},
		{"still valid a second before", tok, now.Add(10*time.Minute - time.Second), nil},
		{"payload swapped for another user's", otherPayload + "." + sig, now, errTampered},
		{"payload byte flipped", string(flipped) + "." + sig, now, errTampered},
		{"signed with another secret", wrongKey, now, errTampered},
		{"signature truncated", payload + "." + sig[:20], now, errMalformed},
		{"no signature", payload, now, errMalformed},
		{"empty", "", now, errMalformed},
		{"extra dot", tok + ".x", now, errMalformed},
		{"not base64", payload + ".!!!!", now, errMalformed},
		{"signed but missing nonce", noNonce, now, errMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(testSecret, tc.token, tc.now)
			if !errors.Is(err, tc.want) {
				t.Errorf("parse error = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	svc := coreFunc(func(context.Context, core.Command) (core.Reply, error) { return core.Reply{}, nil })
	tests := []struct {
		name string
		cfg  Config
		deps Deps
	}{
		{"short secret", Config{Secret: []byte("short"), PublicURL: "https://p.example"}, Deps{Core: svc}},
		{"relative URL", Config{Secret: testSecret, PublicURL: "/punch"}, Deps{Core: svc}},
		{"ftp URL", Config{Secret: testSecret, PublicURL: "ftp://p.example"}, Deps{Core: svc}},
		{"URL with query", Config{Secret: testSecret, PublicURL: "https://p.example/?a=1"}, Deps{Core: svc}},
		{"no core", Config{Secret: testSecret, PublicURL: "https://p.example"}, Deps{}},
		{"negative TTL", Config{Secret: testSecret, PublicURL: "https://p.example", TTL: -time.Second}, Deps{Core: svc}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cfg, tc.deps); core.ErrorCode(err) != core.EINVALID {
				t.Errorf("New error = %v, want EINVALID", err)
			}
		})
	}
	p, err := New(Config{Secret: testSecret, PublicURL: "https://p.example/base/"}, Deps{Core: svc})
	if err != nil {
		t.Fatal(err)
	}
	link, err := p.PunchLink(context.Background(), bots.LinkRequest{Actor: core.Identity{Platform: core.PlatformSlack, UserID: "U1"}})
	if err != nil || !strings.HasPrefix(link, "https://p.example/base/l/") {
		t.Errorf("PunchLink = %q, %v; want a link under https://p.example/base/l/", link, err)
	}
	for _, req := range []bots.LinkRequest{
		{Actor: core.Identity{Platform: core.PlatformSlack}},
		{Actor: core.Identity{UserID: "U1"}},
		{Actor: core.Identity{Platform: core.PlatformSlack, UserID: "U1"}, Intent: "sideways"},
	} {
		if _, err := p.PunchLink(context.Background(), req); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("PunchLink(%+v) error = %v, want EINVALID", req, err)
		}
	}
}

// coreFunc adapts a function to bots.Core.
type coreFunc func(context.Context, core.Command) (core.Reply, error)

func (f coreFunc) Handle(ctx context.Context, cmd core.Command) (core.Reply, error) {
	return f(ctx, cmd)
}

func TestGetShowsWhoAndWhat(t *testing.T) {
	f := MustFixture(t, Config{})
	tests := []struct {
		user, name, lang string
		intent           core.PunchKind
		want             []string
	}{
		{"U1", "Ann Lee", "en", core.KindIn, []string{`<html lang="en">`, "Ann Lee", "Clock in", "Try again", `data-state="ready"`}},
		{"U2", "李雷", "zh", core.KindOut, []string{`<html lang="zh">`, "李雷", "下班打卡", "重试"}},
		{"U1", `<script>alert(1)</script>`, "en", core.KindAuto, []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "Punch in or out"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := MustGet(t, f.MustLink(t, tc.user, tc.name, tc.lang, tc.intent))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200", resp.StatusCode)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if strings.Contains(body, "<script>alert") {
				t.Errorf("page contains the unescaped name")
			}
			csp := resp.Header.Get("Content-Security-Policy")
			m := regexp.MustCompile(`script-src 'nonce-([^']+)'`).FindStringSubmatch(csp)
			if m == nil || !strings.Contains(body, `<script nonce="`+m[1]+`">`) {
				t.Errorf("CSP %q does not allow the page's script", csp)
			}
			for _, h := range []string{"default-src 'none'", "connect-src 'self'", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, h) {
					t.Errorf("CSP %q lacks %q", csp, h)
				}
			}
			if got := resp.Header.Get("Referrer-Policy"); got != "no-referrer" {
				t.Errorf("Referrer-Policy = %q, want no-referrer (the link is the credential)", got)
			}
			if strings.Contains(body, "http://") || strings.Contains(body, "https://") {
				t.Errorf("page references an external URL")
			}
		})
	}
	f.nothingStored(t)
}

func TestPostInsideRecordsOnePunchAndQueuesTheReply(t *testing.T) {
	f := MustFixture(t, Config{})
	link := f.MustLink(t, "U1", "Ann Lee", "en", core.KindIn)
	status, res := MustPost(t, link, at("39.9087", "116.3984", "25"))
	if status != http.StatusOK || res.State != "accepted" || res.Retry {
		t.Fatalf("POST = %d %+v, want 200 accepted", status, res)
	}
	if !strings.Contains(res.Headline, "Clock-in recorded at 08:55") || !strings.Contains(res.Headline, "HQ") {
		t.Errorf("headline = %q, want the clock-in at 08:55 at HQ", res.Headline)
	}
	ps := f.punches(t)
	if len(ps) != 1 {
		t.Fatalf("punches = %d, want 1", len(ps))
	}
	p := ps[0]
	tok := strings.TrimPrefix(link, f.srv.URL+"/l/")
	c, _ := parse(testSecret, tok, f.clock.Now())
	if p.EmployeeID != "e1" || p.Kind != core.KindIn || p.Outcome != core.OutcomeAccepted || p.Source != "web" ||
		p.EventID != "web:"+c.Nonce || p.ClientIP != "127.0.0.1" || p.SiteID != "hq" || p.AccuracyM != 25 || !p.HasLocation {
		t.Errorf("punch = %+v, want e1 in accepted from web at hq with event web:%s and client 127.0.0.1", p, c.Nonce)
	}
	out := f.store.Outbox()
	if len(out) != 1 || out[0].Platform != core.PlatformSlack || out[0].Route != testRoute || out[0].Kind != "reply" {
		t.Fatalf("outbox = %+v, want one Slack reply to the link's route", out)
	}
	var r core.Reply
	if err := json.Unmarshal(out[0].Payload, &r); err != nil || r.Outcome != core.OutcomeAccepted {
		t.Errorf("queued reply = %+v (%v), want accepted", r, err)
	}

	// The same link again: a clear answer, and nothing new stored.
	status, res = MustPost(t, link, at("39.9087", "116.3984", "25"))
	if status != http.StatusConflict || res.State != stateUsed || !strings.Contains(res.Headline, "already used") {
		t.Errorf("replay = %d %+v, want 409 used", status, res)
	}
	if ps := f.punches(t); len(ps) != 1 {
		t.Errorf("punches after replay = %d, want 1", len(ps))
	}
	if out := f.store.Outbox(); len(out) != 1 {
		t.Errorf("outbox after replay = %d, want 1", len(out))
	}
}

func TestPostOutsideIsRejectedWithTheDistance(t *testing.T) {
	f := MustFixture(t, Config{})
	tests := []struct {
		user, name, lang string
		want             string
	}{
		{"U1", "Ann Lee", "en", "outside the punch area: 1.9 km from HQ, allowed 300 m"},
		{"U2", "李雷", "zh", "不在打卡范围内：距 HQ 1.9 km，允许 300 m"},
	}
	for _, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			status, res := MustPost(t, f.MustLink(t, tc.user, tc.name, tc.lang, core.KindIn), at("39.8950", "116.4100", "20"))
			if status != http.StatusOK || res.State != "rejected" || !strings.Contains(res.Headline, tc.want) {
				t.Errorf("POST = %d %+v, want rejected with %q", status, res, tc.want)
			}
		})
	}
	for _, p := range f.punches(t) {
		if p.Outcome != core.OutcomeRejected || p.DistanceM < 1800 || p.DistanceM > 2000 {
			t.Errorf("punch = %+v, want rejected about 1.9 km away", p)
		}
	}
}

func TestRefusedRequestsStoreNothing(t *testing.T) {
	f := MustFixture(t, Config{})
	link := f.MustLink(t, "U1", "Ann Lee", "en", core.KindIn)
	payload, sig, _ := strings.Cut(strings.TrimPrefix(link, f.srv.URL+"/l/"), ".")
	forged, _ := sign([]byte("not-the-server-secret-not-the-se"), claims{Plat: core.PlatformSlack, Tenant: "T1", User: "U1", Expires: f.clock.Now().Add(time.Hour).Unix(), Nonce: "x"})
	other := f.MustLink(t, "U2", "李雷", "zh", core.KindIn)
	otherPayload, _, _ := strings.Cut(strings.TrimPrefix(other, f.srv.URL+"/l/"), ".")
	good := at("39.9087", "116.3984", "25")

	tests := []struct {
		name   string
		link   string
		form   url.Values
		status int
		state  string
	}{
		{"forged signature", f.srv.URL + "/l/" + forged, good, http.StatusForbidden, stateInvalid},
		{"tampered payload", f.srv.URL + "/l/" + otherPayload + "." + sig, good, http.StatusForbidden, stateInvalid},
		{"truncated link", f.srv.URL + "/l/" + payload, good, http.StatusBadRequest, stateInvalid},
		{"latitude not a number", link, at("abc", "116.3984", "25"), http.StatusBadRequest, stateBadRequest},
		{"latitude out of range", link, at("91", "116.3984", "25"), http.StatusBadRequest, stateBadRequest},
		{"longitude missing", link, url.Values{"lat": {"39.9"}}, http.StatusBadRequest, stateBadRequest},
		{"NaN", link, at("NaN", "116.3984", "25"), http.StatusBadRequest, stateBadRequest},
		{"infinite", link, at("39.9", "+Inf", "25"), http.StatusBadRequest, stateBadRequest},
		{"null island", link, at("0", "0", "25"), http.StatusBadRequest, stateBadRequest},
		{"negative accuracy", link, at("39.9087", "116.3984", "-5"), http.StatusBadRequest, stateBadRequest},
		{"accuracy not a number", link, at("39.9087", "116.3984", "close"), http.StatusBadRequest, stateBadRequest},
		{"body over 1 MiB", link, url.Values{"lat": {"39.9087"}, "lng": {"116.3984"}, "pad": {strings.Repeat("x", 1<<20)}}, http.StatusRequestEntityTooLarge, stateBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, res := MustPost(t, tc.link, tc.form)
			if status != tc.status || res.State != tc.state || res.Headline == "" {
				t.Errorf("POST = %d %+v, want %d %s with a message", status, res, tc.status, tc.state)
			}
		})
	}
	// Expired: the link is eleven minutes old.
	f.clock.Add(11 * time.Minute)
	status, res := MustPost(t, link, good)
	if status != http.StatusGone || res.State != stateExpired || !strings.Contains(res.Headline, "expired") {
		t.Errorf("expired POST = %d %+v, want 410 expired", status, res)
	}
	resp, body := MustGet(t, link)
	if resp.StatusCode != http.StatusGone || !strings.Contains(body, "Link expired") || !strings.Contains(body, `data-state="expired"`) {
		t.Errorf("expired GET = %d, want 410 with a clear page", resp.StatusCode)
	}
	resp, body = MustGet(t, f.srv.URL+"/l/"+otherPayload+"."+sig)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `data-state="invalid"`) {
		t.Errorf("tampered GET = %d, want 403 invalid page", resp.StatusCode)
	}
	f.nothingStored(t)
}

func TestPostJSONBody(t *testing.T) {
	f := MustFixture(t, Config{})
	tests := []struct {
		name   string
		body   string
		status int
	}{
		{"numbers", `{"lat":39.9087,"lng":116.3984,"accuracy":12}`, http.StatusOK},
		{"strings", `{"lat":"39.9087","lng":"116.3984"}`, http.StatusOK},
		{"bool", `{"lat":true,"lng":116.3984}`, http.StatusBadRequest},
		{"truncated", `{"lat":39.9`, http.StatusBadRequest},
		{"two objects", `{"lat":39.9087,"lng":116.3984}{}`, http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			link := f.MustLink(t, "U1", "Ann Lee", "en", core.KindIn)
			req, _ := http.NewRequest(http.MethodPost, link, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.status)
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Errorf("a POST without Accept: application/json got %q, want the HTML page", resp.Header.Get("Content-Type"))
			}
		})
	}
	if ps := f.punches(t); len(ps) != 2 {
		t.Errorf("punches = %d, want 2 (the two valid bodies)", len(ps))
	}
}

func TestCoreFailureKeepsTheLinkUsable(t *testing.T) {
	calls := 0
	fail := true
	svc := coreFunc(func(ctx context.Context, cmd core.Command) (core.Reply, error) {
		calls++
		if fail {
			return core.Reply{}, core.Errorf(core.EUNAVAILABLE, "database down")
		}
		return core.Reply{Outcome: core.OutcomeAccepted, Kind: cmd.Punch, Lang: "en"}, nil
	})
	p, err := New(Config{Secret: testSecret, PublicURL: "http://x.test"}, Deps{Core: svc})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	p.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	link, _ := p.PunchLink(context.Background(), bots.LinkRequest{Actor: core.Identity{Platform: core.PlatformSlack, UserID: "U1"}, Lang: "en", Intent: core.KindIn})
	link = srv.URL + strings.TrimPrefix(link, "http://x.test")
	status, res := MustPost(t, link, at("39.9087", "116.3984", "25"))
	if status != http.StatusServiceUnavailable || !res.Retry || !strings.Contains(res.Headline, "nothing was recorded") {
		t.Errorf("POST during outage = %d %+v, want 503 with retry and 'nothing was recorded'", status, res)
	}
	fail = false
	if status, res := MustPost(t, link, at("39.9087", "116.3984", "25")); status != http.StatusOK || res.State != "accepted" {
		t.Errorf("retry after outage = %d %+v, want 200 accepted", status, res)
	}
	if calls != 2 {
		t.Errorf("core calls = %d, want 2", calls)
	}
}

func TestClientIP(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name    string
		proxies []netip.Prefix
		remote  string
		xff     []string
		want    string
	}{
		{"peer without proxies", nil, "203.0.113.7:5555", nil, "203.0.113.7"},
		{"forwarded header ignored without trusted proxies", nil, "203.0.113.7:5555", []string{"192.168.1.10"}, "203.0.113.7"},
		{"forwarded header ignored from an untrusted peer", proxies, "203.0.113.7:5555", []string{"192.168.1.10"}, "203.0.113.7"},
		{"trusted proxy", proxies, "10.1.2.3:80", []string{"198.51.100.4"}, "198.51.100.4"},
		{"spoofed left-most hop skipped", proxies, "10.1.2.3:80", []string{"192.168.1.10, 198.51.100.4"}, "198.51.100.4"},
		{"chain of trusted proxies", proxies, "10.1.2.3:80", []string{"198.51.100.4, 10.9.9.9"}, "198.51.100.4"},
		{"two header lines", proxies, "10.1.2.3:80", []string{"192.168.1.10", "198.51.100.4"}, "198.51.100.4"},
		{"garbage hop stops the walk", proxies, "10.1.2.3:80", []string{"198.51.100.4, junk"}, "10.1.2.3"},
		{"IPv4-mapped IPv6 peer", nil, "[::ffff:203.0.113.7]:80", nil, "203.0.113.7"},
		{"IPv6 peer", nil, "[2001:db8::1]:80", nil, "2001:db8::1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &Pages{proxies: tc.proxies}
			r := httptest.NewRequest(http.MethodPost, "/l/x", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := p.clientIP(r); got != tc.want {
				t.Errorf("clientIP = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestOfficeIPCountsAsOnSite shows why X-Forwarded-For is only read from a
// trusted proxy: an office range places a punch on site.
func TestOfficeIPCountsAsOnSite(t *testing.T) {
	f := MustFixture(t, Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	org := core.Org{Name: "acme", TimeZone: "Asia/Shanghai",
		Sites: []core.OrgSite{{Site: core.Site{ID: "hq", Name: "HQ", Lat: hqLat, Lng: hqLng, RadiusM: 300, IPRanges: []string{"198.51.100.0/24"}}}}}
	if err := org.Prepare(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.ApplyOrg(context.Background(), org, core.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	link := f.MustLink(t, "U1", "Ann Lee", "en", core.KindIn)
	req, _ := http.NewRequest(http.MethodPost, link, strings.NewReader(at("39.8950", "116.4100", "20").Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Forwarded-For", "198.51.100.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ps := f.punches(t)
	if len(ps) != 1 || ps[0].Outcome != core.OutcomeAccepted || ps[0].ClientIP != "198.51.100.4" {
		t.Fatalf("punches = %+v, want one accepted from office IP 198.51.100.4", ps)
	}
}

// A clock-out asked from the page that needs confirming is not recorded;
// the page says where the question waits, because its link is spent and
// the buttons are in the chat.
func TestEarlyClockOutFromThePageSaysToConfirmInTheChat(t *testing.T) {
	f := MustFixture(t, Config{}, func(o *core.Org) { o.Schedules[0].ConfirmWithinMin = 10 })
	if status, res := MustPost(t, f.MustLink(t, "U1", "Ann Lee", "en", core.KindIn), at("39.9087", "116.3984", "25")); status != http.StatusOK || res.State != "accepted" {
		t.Fatalf("clock-in POST = %d %+v, want 200 accepted", status, res)
	}
	f.clock.Add(5 * time.Minute)
	status, res := MustPost(t, f.MustLink(t, "U1", "Ann Lee", "en", core.KindOut), at("39.9087", "116.3984", "25"))
	if status != http.StatusOK || res.State != string(core.OutcomeConfirm) {
		t.Fatalf("clock-out POST = %d %+v, want 200 %s", status, res, core.OutcomeConfirm)
	}
	if !strings.Contains(res.Headline, "Confirm clock-out?") || !strings.Contains(res.Headline, "Go back to the chat") {
		t.Errorf("headline = %q, want the question and where to answer it", res.Headline)
	}
	if ps := f.punches(t); len(ps) != 1 {
		t.Errorf("punches = %d, want only the clock-in", len(ps))
	}
}
