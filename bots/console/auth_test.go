package console

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

func TestNewChecksConfig(t *testing.T) {
	f := MustFixture(t, false)
	deps := Deps{Store: f.store, Used: f.kv}
	good := Config{Secret: []byte("0123456789abcdef0123456789abcdef"), PublicURL: "https://punch.example.com"}
	tests := []struct {
		name string
		cfg  Config
		deps Deps
	}{
		{"short secret", Config{Secret: []byte("short"), PublicURL: good.PublicURL}, deps},
		{"relative URL", Config{Secret: good.Secret, PublicURL: "/console"}, deps},
		{"URL with query", Config{Secret: good.Secret, PublicURL: "https://x.example/?a=1"}, deps},
		{"no deduper", good, Deps{Store: f.store}},
		{"negative TTL", Config{Secret: good.Secret, PublicURL: good.PublicURL, LinkTTL: -time.Second}, deps},
	}
	for _, tc := range tests {
		if _, err := New(tc.cfg, tc.deps); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("%s: New error = %v, want invalid", tc.name, err)
		}
	}
	if _, err := New(good, deps); err != nil {
		t.Errorf("good config: %v", err)
	}
}

func TestUnauthenticatedGoesToSignIn(t *testing.T) {
	f := MustFixture(t, false)
	c := f.newClient(t, "nobody")
	for _, path := range []string{"/", "/plot", "/exceptions?kind=k_late", "/makeups", "/reports", "/reminders", "/audit", "/me", "/people/E1", "/reports/download?month=2026-11"} {
		res := c.get(t, path)
		if res.Status != http.StatusSeeOther || res.Location != "/login?next="+url.QueryEscape(path) {
			t.Errorf("GET %s = %d → %q, want a redirect to the sign-in page", path, res.Status, res.Location)
		}
	}
	if res := c.do(t, http.MethodPost, "/makeups/1/decide", url.Values{"decision": {"approved"}}); res.Status != http.StatusUnauthorized {
		t.Errorf("POST without a session = %d, want 401", res.Status)
	}
}

func TestAdminTokenSignIn(t *testing.T) {
	f := MustFixture(t, false)
	c := f.newClient(t, "admin")
	page := c.get(t, "/login?next=/audit")
	if page.Status != http.StatusOK || !strings.Contains(page.Body, `name="next" value="/audit"`) {
		t.Fatalf("sign-in page: %d %s", page.Status, page.Body)
	}
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP = %q", csp)
	}
	form := formToken(t, page.Body)

	tests := []struct {
		name     string
		values   url.Values
		header   []string
		status   int
		location string
	}{
		{"no form token", url.Values{"token": {testAdminToken}}, nil, http.StatusForbidden, ""},
		{"wrong form token", url.Values{"form": {"x"}, "token": {testAdminToken}}, nil, http.StatusForbidden, ""},
		{"cross-site", url.Values{"form": {form}, "token": {testAdminToken}}, []string{"Origin", "https://evil.example"}, http.StatusForbidden, ""},
		{"wrong token", url.Values{"form": {form}, "token": {"guess"}, "next": {"/audit"}}, nil, http.StatusSeeOther, "/login?failed=1&next=%2Faudit"},
		{"open redirect refused", url.Values{"form": {form}, "token": {testAdminToken}, "next": {"//evil.example/x"}}, nil, http.StatusSeeOther, "/"},
	}
	for _, tc := range tests {
		res := c.do(t, http.MethodPost, "/login", tc.values, tc.header...)
		if res.Status != tc.status || (tc.location != "" && res.Location != tc.location) {
			t.Errorf("%s: %d → %q, want %d → %q", tc.name, res.Status, res.Location, tc.status, tc.location)
		}
	}
	// The last case signed in (the redirect target was made safe).
	ck := findCookie(c, f, sessionCookie)
	if ck == nil {
		t.Fatal("no session cookie after signing in")
	}
	if res := c.get(t, "/audit"); res.Status != http.StatusOK || !strings.Contains(res.Body, "console.signed_in") {
		t.Errorf("audit page after sign-in: %d", res.Status)
	}
	if n := len(f.audits(t, core.AuditFilter{Action: "console.signed_in", Actor: core.ActorAdmin})); n != 1 {
		t.Errorf("sign-ins audited: %d, want 1", n)
	}
}

func findCookie(c *client, f *fixture, name string) *http.Cookie {
	u, _ := url.Parse(f.srv.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

func TestSessionCookieAttributes(t *testing.T) {
	f := MustFixture(t, false)
	c := f.newClient(t, "E1")
	link := f.MustLink(t, "E1", core.LinkConsole)
	res := c.do(t, http.MethodPost, strings.TrimPrefix(link, f.srv.URL), url.Values{})
	set := res.Header.Get("Set-Cookie")
	for _, want := range []string{sessionCookie + "=", "HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"} {
		if !strings.Contains(set, want) {
			t.Errorf("Set-Cookie %q lacks %q", set, want)
		}
	}
}

func TestLinkSignIn(t *testing.T) {
	f := MustFixture(t, false)
	link := f.MustLink(t, "E1", core.LinkConsole)
	path := strings.TrimPrefix(link, f.srv.URL)
	if !strings.HasPrefix(path, "/auth/") {
		t.Fatalf("link %s is not under /auth/", link)
	}
	c := f.newClient(t, "E1")

	// Opening the link (or a chat app fetching a preview) uses nothing up.
	for range 2 {
		res := c.get(t, path)
		if res.Status != http.StatusOK || !strings.Contains(res.Body, "张三") || !strings.Contains(res.Body, `id="continue"`) {
			t.Fatalf("link page: %d %s", res.Status, res.Body)
		}
	}
	res := c.do(t, http.MethodPost, path, url.Values{})
	if res.Status != http.StatusSeeOther || res.Location != "/" {
		t.Fatalf("redeem: %d → %q", res.Status, res.Location)
	}
	if res := c.get(t, "/"); res.Status != http.StatusOK || !strings.Contains(res.Body, `id="who">张三`) {
		t.Errorf("today after link sign-in: %d", res.Status)
	}
	// Single use: a second redemption, from any browser, is refused.
	other := f.newClient(t, "thief")
	if res := other.do(t, http.MethodPost, path, url.Values{}); res.Status != http.StatusConflict || !strings.Contains(res.Body, "已经用过") {
		t.Errorf("second redemption = %d %s, want 409", res.Status, res.Body)
	}
	if findCookie(other, f, sessionCookie) != nil {
		t.Errorf("the second redemption got a session")
	}

	// A mydata link lands on the employee's own page.
	c2 := f.newClient(t, "E3")
	res = c2.do(t, http.MethodPost, strings.TrimPrefix(f.MustLink(t, "E3", core.LinkMyData), f.srv.URL), url.Values{})
	if res.Status != http.StatusSeeOther || res.Location != "/me" {
		t.Errorf("mydata redeem = %d → %q, want /me", res.Status, res.Location)
	}

	tampered := path[:len(path)-3] + "AAA"
	if res := c.get(t, tampered); res.Status != http.StatusForbidden {
		t.Errorf("tampered link = %d, want 403", res.Status)
	}
	if res := c.do(t, http.MethodPost, "/auth/garbage", url.Values{}); res.Status != http.StatusBadRequest {
		t.Errorf("malformed link = %d, want 400", res.Status)
	}
	cross := f.newClient(t, "x")
	if res := cross.do(t, http.MethodPost, strings.TrimPrefix(f.MustLink(t, "E2", core.LinkConsole), f.srv.URL), url.Values{}, "Origin", "https://evil.example"); res.Status != http.StatusForbidden {
		t.Errorf("cross-site redemption = %d, want 403", res.Status)
	}
	expiring := strings.TrimPrefix(f.MustLink(t, "E2", core.LinkConsole), f.srv.URL)
	f.clock.Set(f.clock.Now().Add(DefaultLinkTTL + time.Second))
	if res := c.get(t, expiring); res.Status != http.StatusGone || !strings.Contains(res.Body, "已过期") {
		t.Errorf("expired link = %d, want 410", res.Status)
	}
	if n := len(f.audits(t, core.AuditFilter{Action: "console.signed_in"})); n != 2 {
		t.Errorf("sign-ins audited: %d, want 2", n)
	}
}

func TestLinkOfInactiveEmployee(t *testing.T) {
	f := MustFixture(t, false)
	// X1 is inactive: a link signed for them (say before they left) fails.
	link, _, err := f.console.SignLink(t.Context(), core.Employee{ID: "X1"}, core.LinkConsole)
	if err != nil {
		t.Fatal(err)
	}
	c := f.newClient(t, "X1")
	if res := c.do(t, http.MethodPost, strings.TrimPrefix(link, f.srv.URL), url.Values{}); res.Status != http.StatusForbidden {
		t.Errorf("inactive redemption = %d, want 403", res.Status)
	}
	if _, _, err := f.console.SignLink(t.Context(), core.Employee{ID: "E1"}, "root"); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("bad purpose: %v", err)
	}
}

func TestDeactivationEndsSession(t *testing.T) {
	f := MustFixture(t, false)
	c := f.MustSignIn(t, "E2")
	if res := c.get(t, "/"); res.Status != http.StatusOK {
		t.Fatalf("today: %d", res.Status)
	}
	org := testOrg(t)
	for i := range org.Employees {
		if org.Employees[i].ID == "E2" {
			org.Employees[i].Active = false
		}
	}
	if _, err := f.store.ApplyOrg(t.Context(), org, core.AuditEntry{Action: "org.applied"}); err != nil {
		t.Fatal(err)
	}
	if res := c.get(t, "/"); res.Status != http.StatusUnauthorized || !strings.Contains(res.Body, "已停用") {
		t.Errorf("today after deactivation = %d, want 401", res.Status)
	}
}

func TestLogoutRevokesTheCookie(t *testing.T) {
	f := MustFixture(t, false)
	c := f.MustSignIn(t, "admin")
	stolen := *findCookie(c, f, sessionCookie)
	if res := c.do(t, http.MethodPost, "/logout", url.Values{"csrf": {"wrong"}}); res.Status != http.StatusForbidden {
		t.Errorf("logout without the CSRF token = %d, want 403", res.Status)
	}
	if res := c.post(t, "/logout", nil); res.Status != http.StatusSeeOther || res.Location != "/login" {
		t.Fatalf("logout = %d → %q", res.Status, res.Location)
	}
	if findCookie(c, f, sessionCookie) != nil {
		t.Errorf("the session cookie survived sign-out")
	}
	// A copy of the cookie taken before sign-out no longer works.
	thief := f.newClient(t, "thief")
	u, _ := url.Parse(f.srv.URL)
	thief.http.Jar.SetCookies(u, []*http.Cookie{&stolen})
	if res := thief.get(t, "/"); res.Status != http.StatusSeeOther {
		t.Errorf("signed-out cookie = %d, want a redirect to sign in", res.Status)
	}
}

func TestForgedSessionCookie(t *testing.T) {
	f := MustFixture(t, false)
	c := f.newClient(t, "forger")
	forged, err := seal([]byte("another key 0123456789abcdef0123"), session{V: sessionVersion, Admin: true, SID: "x", Exp: f.clock.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(f.srv.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: forged, Path: "/"}})
	if res := c.get(t, "/audit"); res.Status != http.StatusSeeOther {
		t.Errorf("forged admin session = %d, want a redirect to sign in", res.Status)
	}
	// A link token is no session: the keys differ.
	link := f.MustLink(t, "H1", core.LinkConsole)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: strings.TrimPrefix(link, f.srv.URL+"/auth/"), Path: "/"}})
	if res := c.get(t, "/"); res.Status != http.StatusSeeOther {
		t.Errorf("link token as a cookie = %d, want a redirect to sign in", res.Status)
	}
	// An expired session is refused.
	s := f.MustSignIn(t, "E1")
	f.clock.Set(f.clock.Now().Add(DefaultSessionTTL + time.Minute))
	if res := s.get(t, "/"); res.Status != http.StatusSeeOther {
		t.Errorf("expired session = %d, want a redirect to sign in", res.Status)
	}
}
