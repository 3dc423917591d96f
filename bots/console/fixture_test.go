package console

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

const testAdminToken = "console-admin-token-0123456789"

// testClock is a settable clock shared by the console, the core and the KV.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// at is a Shanghai wall-clock time.
func at(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// hq and branch are the two sites; north returns a point metres north of one.
var (
	hq     = core.Site{ID: "hq", Name: "望京SOHO", Lat: 39.9965, Lng: 116.4803, RadiusM: 300}
	branch = core.Site{ID: "sh", Name: "张江", Lat: 31.2055, Lng: 121.6025, RadiusM: 200}
)

func north(s core.Site, m float64) (lat, lng float64) { return s.Lat + m/111320, s.Lng }

// testOrg: HR H1; manager M1 with E1 and E2 (and, through E2's team lead
// role, nobody else); manager M2 with E3; X1 has left.
func testOrg(tb testing.TB) core.Org {
	tb.Helper()
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	day := core.Schedule{ID: "day", Name: "标准班", WorkDays: weekdays, StartMin: 9 * 60, EndMin: 18 * 60, CheckInOpensMin: 120, CheckOutClosesMin: 360,
		LateGraceMin: 5, SeriousLateMin: 30, OutOfRange: core.OutOfRangeReject}
	field := day
	field.ID, field.OutOfRange = "field", core.OutOfRangeField
	id := func(user string) []core.Identity {
		return []core.Identity{{Platform: core.PlatformWeCom, Tenant: "corp", UserID: user}}
	}
	org := core.Org{
		Name: "Acme", Lang: "zh", TimeZone: "Asia/Shanghai",
		Sites:     []core.OrgSite{{Site: hq}, {Site: branch}},
		Schedules: []core.Schedule{day, field},
		Employees: []core.Employee{
			{ID: "H1", Name: "赵敏", Department: "人力资源", Role: core.RoleHR, Active: true, ScheduleID: "day", SiteIDs: []string{"hq"}, Identities: id("zhaomin")},
			{ID: "M1", Name: "王经理", Department: "研发", Role: core.RoleManager, Active: true, ScheduleID: "day", SiteIDs: []string{"hq"}, Identities: id("wang")},
			{ID: "M2", Name: "Maria Gomez", Lang: "en", Department: "Sales", Role: core.RoleManager, Active: true, ScheduleID: "day", SiteIDs: []string{"sh"}, Identities: id("maria")},
			{ID: "E1", Name: "张三", Department: "研发", ManagerID: "M1", Active: true, ScheduleID: "day", SiteIDs: []string{"hq"}, Identities: id("zhangsan")},
			{ID: "E2", Name: "李四", Department: "研发", ManagerID: "M1", Active: true, ScheduleID: "day", SiteIDs: []string{"hq"}, Identities: id("lisi")},
			{ID: "E3", Name: "Alice Chen", Lang: "en", Department: "Sales", ManagerID: "M2", Active: true, ScheduleID: "field", SiteIDs: []string{"sh"}, Identities: id("alice")},
			{ID: "X1", Name: "离职员工", Department: "研发", ManagerID: "M1", Active: false, ScheduleID: "day", SiteIDs: []string{"hq"}, Identities: id("gone")},
		},
		Makeup: core.MakeupPolicy{MonthlyQuota: 5, DeadlineDays: 30},
		Reminders: []core.Reminder{
			{ID: "morning", Kind: core.ReminderPunchIn, MinutesBefore: 10, Enabled: true, Audience: core.Audience{Everyone: true}},
			{ID: "weekly", Kind: core.ReminderBroadcast, Cron: "CRON_TZ=Asia/Shanghai 0 9 * * MON", Text: "请提交周报", Enabled: true, Audience: core.Audience{Departments: []string{"研发"}}},
		},
	}
	if err := org.Prepare(); err != nil {
		tb.Fatal(err)
	}
	return org
}

// fixture is a console on the in-memory store with a real core (for the
// make-up rules) and a fixed clock: Thursday 26 November 2026, 10:30.
type fixture struct {
	store   *coretest.MemStore
	kv      *coretest.MemKV
	svc     *core.Service
	clock   *testClock
	console *Console
	srv     *httptest.Server
}

// MustFixture builds the console and seeds a realistic morning: E1 on time,
// E2 late with a rejected attempt far away before, E3 a field punch, M1
// flagged; earlier days with a missing check-out; pending make-ups.
func MustFixture(tb testing.TB, withMakeups bool, mutate ...func(*Config, *Deps)) *fixture {
	tb.Helper()
	f := &fixture{store: coretest.NewMemStore(), clock: &testClock{}}
	f.clock.Set(at(tb, "2026-11-26 10:30"))
	f.kv = coretest.NewMemKV(f.clock.Now)
	f.svc = core.NewService(f.store, f.kv, f.kv, core.DefaultConfig(), f.clock.Now)
	if _, err := f.store.ApplyOrg(context.Background(), testOrg(tb), core.AuditEntry{At: f.clock.Now(), Actor: "admin", Action: "org.applied"}); err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	f.srv = httptest.NewServer(mux)
	tb.Cleanup(f.srv.Close)
	deps := Deps{Store: f.store, Used: f.kv, Sessions: f.kv, Now: f.clock.Now, Log: slog.New(slog.DiscardHandler)}
	if withMakeups {
		deps.Makeups = f.svc
	}
	cfg := Config{Secret: []byte("0123456789abcdef0123456789abcdef"), PublicURL: f.srv.URL, AdminToken: testAdminToken, Zone: shanghai,
		RemindersAPI: "/api/v1/reminders"}
	for _, m := range mutate {
		m(&cfg, &deps)
	}
	var err error
	f.console, err = New(cfg, deps)
	if err != nil {
		tb.Fatal(err)
	}
	f.console.Register(mux)
	f.seed(tb)
	return f
}

func (f *fixture) seed(tb testing.TB) {
	tb.Helper()
	p := func(emp string, kind core.PunchKind, when string, site core.Site, metres float64, outcome core.Outcome) core.Punch {
		t := at(tb, when)
		lat, lng := north(site, metres)
		pu := core.Punch{EmployeeID: emp, Kind: kind, At: t, ReceivedAt: t, ShiftDate: when[:10], Source: "wecom", HasLocation: true,
			Lat: lat, Lng: lng, AccuracyM: 20, SiteID: site.ID, DistanceM: metres, Outcome: outcome, TimeResult: core.TimeNormal}
		if outcome == core.OutcomeRejected {
			pu.Reasons = []string{core.ReasonOutOfRange}
		}
		return pu
	}
	late := p("E2", core.KindIn, "2026-11-26 09:20", hq, 120, core.OutcomeAccepted)
	late.TimeResult, late.LateMin = core.TimeLate, 20
	fieldIn := p("E3", core.KindIn, "2026-11-26 08:50", branch, 1800, core.OutcomeField)
	fieldIn.Reasons = []string{core.ReasonOutOfRange}
	flagged := p("M1", core.KindIn, "2026-11-26 08:40", hq, 30, core.OutcomeAccepted)
	flagged.Flags = []string{core.FlagOfflineDelay}
	punches := []core.Punch{
		p("E1", core.KindIn, "2026-11-26 08:55", hq, 40, core.OutcomeAccepted),
		p("E2", core.KindIn, "2026-11-26 09:05", hq, 2500, core.OutcomeRejected),
		late, fieldIn, flagged,
		p("E1", core.KindIn, "2026-11-25 08:58", hq, 25, core.OutcomeAccepted), // no check-out on the 25th
		p("E3", core.KindIn, "2026-11-25 09:00", branch, 50, core.OutcomeAccepted),
		p("E3", core.KindOut, "2026-11-25 18:10", branch, 60, core.OutcomeAccepted),
		p("X1", core.KindIn, "2026-11-02 09:00", hq, 10, core.OutcomeAccepted),
		p("X1", core.KindOut, "2026-11-02 18:00", hq, 10, core.OutcomeAccepted),
	}
	err := f.store.InTx(context.Background(), func(tx core.Tx) error {
		for i := range punches {
			if err := tx.InsertPunch(context.Background(), &punches[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	// Pending requests: E1 forgot to check out on the 25th (approver M1),
	// E3 on the 24th (approver M2).
	for _, r := range []struct {
		emp, date, clock, reason string
		kind                     core.PunchKind
	}{
		{"E1", "2026-11-25", "18:05", "忘记打卡", core.KindOut},
		{"E3", "2026-11-24", "09:00", "client visit", core.KindIn},
	} {
		if _, err := f.svc.RequestMakeup(context.Background(), r.emp, core.MakeupArgs{Date: r.date, Clock: r.clock, Kind: r.kind, Reason: r.reason}, core.PlatformWeCom); err != nil {
			tb.Fatalf("RequestMakeup(%s): %v", r.emp, err)
		}
	}
}

// makeupID returns the id of an employee's first make-up request.
func (f *fixture) makeupID(tb testing.TB, emp string) int64 {
	tb.Helper()
	var ms []core.MakeupRequest
	err := f.store.InTx(context.Background(), func(tx core.Tx) error {
		var err error
		ms, err = tx.ListMakeups(context.Background(), core.MakeupFilter{EmployeeID: emp})
		return err
	})
	if err != nil || len(ms) == 0 {
		tb.Fatalf("make-ups of %s: %v, %v", emp, ms, err)
	}
	return ms[0].ID
}

// client is a browser-like HTTP client with its own cookie jar that does
// not follow redirects, so tests see them.
type client struct {
	f    *fixture
	http *http.Client
	who  string
}

func (f *fixture) newClient(tb testing.TB, who string) *client {
	tb.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return &client{f: f, who: who, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// response is a finished request.
type response struct {
	Status   int
	Body     string
	Header   http.Header
	Location string
}

func (c *client) do(tb testing.TB, method, path string, form url.Values, header ...string) response {
	tb.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.f.srv.URL+path, body)
	if err != nil {
		tb.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.http.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	buf, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return response{Status: res.StatusCode, Body: string(buf), Header: res.Header, Location: res.Header.Get("Location")}
}

func (c *client) get(tb testing.TB, path string) response {
	tb.Helper()
	return c.do(tb, http.MethodGet, path, nil)
}

// csrf reads the session's CSRF token off a page.
func (c *client) csrf(tb testing.TB) string {
	tb.Helper()
	body := c.get(tb, "/reports").Body
	const marker = `name="csrf" value="`
	i := strings.Index(body, marker)
	if i < 0 {
		tb.Fatalf("%s: no CSRF token on the page", c.who)
	}
	rest := body[i+len(marker):]
	return rest[:strings.IndexByte(rest, '"')]
}

// post sends a form with the session's CSRF token.
func (c *client) post(tb testing.TB, path string, form url.Values) response {
	tb.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", c.csrf(tb))
	return c.do(tb, http.MethodPost, path, form)
}

// MustSignIn returns a client signed in as who: "admin" through the token
// form, anyone else through a one-time link.
func (f *fixture) MustSignIn(tb testing.TB, who string) *client {
	tb.Helper()
	c := f.newClient(tb, who)
	if who == "admin" {
		page := c.get(tb, "/login")
		form := formToken(tb, page.Body)
		res := c.do(tb, http.MethodPost, "/login", url.Values{"form": {form}, "token": {testAdminToken}, "next": {"/"}})
		if res.Status != http.StatusSeeOther || res.Location != "/" {
			tb.Fatalf("admin sign-in: %d %s %s", res.Status, res.Location, res.Body)
		}
		return c
	}
	link := f.MustLink(tb, who, core.LinkConsole)
	res := c.do(tb, http.MethodPost, strings.TrimPrefix(link, f.srv.URL), url.Values{})
	if res.Status != http.StatusSeeOther {
		tb.Fatalf("sign-in of %s: %d %s", who, res.Status, res.Body)
	}
	return c
}

// MustLink signs a link for an employee.
func (f *fixture) MustLink(tb testing.TB, who, purpose string) string {
	tb.Helper()
	e, err := f.store.Employee(context.Background(), who)
	if err != nil {
		tb.Fatal(err)
	}
	link, _, err := f.console.SignLink(context.Background(), e, purpose)
	if err != nil {
		tb.Fatal(err)
	}
	return link
}

func formToken(tb testing.TB, body string) string {
	tb.Helper()
	const marker = `name="form" value="`
	i := strings.Index(body, marker)
	if i < 0 {
		tb.Fatalf("no form token on the sign-in page: %s", body)
	}
	rest := body[i+len(marker):]
	return rest[:strings.IndexByte(rest, '"')]
}

// audits returns the audit entries matching f.
func (f *fixture) audits(tb testing.TB, filter core.AuditFilter) []core.AuditEntry {
	tb.Helper()
	es, err := f.store.FindAudit(context.Background(), filter)
	if err != nil {
		tb.Fatal(err)
	}
	return es
}
