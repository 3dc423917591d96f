package slack_test

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

	"github.com/slack-go/slack/slacktest"

	"github.com/punchbot/punchbot/bots"
	punchslack "github.com/punchbot/punchbot/bots/slack"
	"github.com/punchbot/punchbot/bots/web"
	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

const signingSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// Site hq is Tiananmen Square (WGS-84); "inside" is 77 m from its centre,
// "outside" about 1.9 km.
var (
	inside  = url.Values{"lat": {"39.9087"}, "lng": {"116.3984"}, "accuracy": {"20"}}
	outside = url.Values{"lat": {"39.8950"}, "lng": {"116.4100"}, "accuracy": {"20"}}
)

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

// call is one request the fake Slack received.
type call struct {
	Method string
	Form   url.Values     // form-encoded Web API calls
	JSON   map[string]any // JSON calls (views.open, response_url)
}

// text is the message text of a call, whichever encoding it used.
func (c call) text() string {
	if c.Form != nil {
		return c.Form.Get("text")
	}
	s, _ := c.JSON["text"].(string)
	return s
}

// blocks is the raw block JSON of a call.
func (c call) blocks() string {
	if c.Form != nil {
		return c.Form.Get("blocks")
	}
	b, _ := json.Marshal(c.JSON["blocks"])
	return string(b)
}

// recorder keeps calls and can make a method fail.
type recorder struct {
	mu    sync.Mutex
	calls []call
	fail  map[string]func(http.ResponseWriter) // method → failure to answer with
	seq   int
}

func (r *recorder) record(c call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
}

func (r *recorder) Calls(method string) []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []call
	for _, c := range r.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

func (r *recorder) failing(method string) func(http.ResponseWriter) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fail[method]
}

func (r *recorder) nextTS() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	return fmt.Sprintf("1772412900.%06d", r.seq)
}

// formHandler records a form-encoded Web API call and answers like Slack.
func (r *recorder) formHandler(method string) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		form, _ := url.ParseQuery(string(body))
		r.record(call{Method: method, Form: form})
		if fail := r.failing(method); fail != nil {
			fail(w)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		ts := form.Get("ts")
		if ts == "" {
			ts = r.nextTS()
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": form.Get("channel"), "ts": ts, "message_ts": ts, "text": form.Get("text")})
	}
}

// jsonHandler records a JSON call (views.open, response_url).
func (r *recorder) jsonHandler(method string) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		var m map[string]any
		_ = json.NewDecoder(req.Body).Decode(&m)
		r.record(call{Method: method, JSON: m})
		if fail := r.failing(method); fail != nil {
			fail(w)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}
}

// env is punchbot's Slack bot and location page over a real core with the
// in-memory fakes, slacktest as Slack's Web API, and a response_url server.
type env struct {
	t       testing.TB
	store   *coretest.MemStore
	kv      *coretest.MemKV
	clock   *clock
	slack   *recorder
	hooks   *recorder
	hookURL string
	app     *httptest.Server
	bot     *punchslack.Bot
	worker  *core.OutboxWorker
	svc     *core.Service
	calls   int // core calls
	callsMu sync.Mutex
	// failures is how many of the next core calls fail as if the process
	// died before the punch committed.
	failures int
	// lastPage is the HTML of the location page punchAt opened last.
	lastPage string
}

func MustEnv(t testing.TB) *env {
	t.Helper()
	sh, _ := time.LoadLocation("Asia/Shanghai")
	e := &env{t: t, clock: &clock{t: time.Date(2026, 3, 2, 8, 55, 0, 0, sh)}, slack: &recorder{}, hooks: &recorder{}}
	e.store, e.kv = coretest.NewMemStore(), coretest.NewMemKV(e.clock.Now)
	org := core.Org{
		Name: "acme", TimeZone: "Asia/Shanghai",
		Sites: []core.OrgSite{{Site: core.Site{ID: "hq", Name: "HQ", Lat: 39.9087, Lng: 116.3975, RadiusM: 300}}},
		Schedules: []core.Schedule{{ID: "std", WorkDays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
			StartMin: 9 * 60, EndMin: 18 * 60, CheckInOpensMin: 120, CheckOutClosesMin: 360}},
		Employees: []core.Employee{
			{ID: "e1", Name: "Ann Lee", Lang: "en", Active: true, ScheduleID: "std", SiteIDs: []string{"hq"},
				Identities: []core.Identity{{Platform: core.PlatformSlack, Tenant: "T1", UserID: "U1"}}},
			{ID: "e2", Name: "李雷", Lang: "zh", Active: true, ScheduleID: "std", SiteIDs: []string{"hq"},
				Identities: []core.Identity{{Platform: core.PlatformSlack, Tenant: "T1", UserID: "U2"}}},
			// Remote staff with no site may punch anywhere: no link needed.
			{ID: "e3", Name: "Rita Remote", Lang: "en", Active: true, ScheduleID: "std",
				Identities: []core.Identity{{Platform: core.PlatformSlack, Tenant: "T1", UserID: "U3"}}},
		},
	}
	if err := org.Prepare(); err != nil {
		t.Fatalf("org: %v", err)
	}
	if _, err := e.store.ApplyOrg(context.Background(), org, core.AuditEntry{At: e.clock.Now(), Actor: "test", Action: "org.applied"}); err != nil {
		t.Fatal(err)
	}
	svc := core.NewService(e.store, e.kv, e.kv, core.DefaultConfig(), e.clock.Now)
	e.svc = svc
	counted := coreFunc(func(ctx context.Context, cmd core.Command) (core.Reply, error) {
		e.callsMu.Lock()
		e.calls++
		fail := e.failures > 0
		if fail {
			e.failures--
		}
		e.callsMu.Unlock()
		if fail {
			return core.Reply{}, core.Errorf(core.EUNAVAILABLE, "the process died before COMMIT")
		}
		return svc.Handle(ctx, cmd)
	})

	fake := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", e.slack.formHandler("chat.postMessage"))
		c.Handle("/chat.postEphemeral", e.slack.formHandler("chat.postEphemeral"))
		c.Handle("/chat.update", e.slack.formHandler("chat.update"))
		c.Handle("/views.open", e.slack.jsonHandler("views.open"))
	})
	fake.Start()
	t.Cleanup(fake.Stop)
	hooks := httptest.NewServer(e.hooks.jsonHandler("response_url"))
	t.Cleanup(hooks.Close)
	e.hookURL = hooks.URL + "/commands/T1/1/abc"

	e.app = httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(e.app.Close)
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	pages, err := web.New(web.Config{Secret: []byte("0123456789abcdef0123456789abcdef"), PublicURL: e.app.URL}, web.Deps{Core: counted, Now: e.clock.Now, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	e.bot, err = punchslack.New(punchslack.Config{SigningSecret: signingSecret, BotToken: "xoxb-test", APIURL: fake.GetAPIURL()},
		punchslack.Deps{Core: counted, Links: pages, Now: e.clock.Now, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	e.bot.Register(mux)
	pages.Register(mux)
	e.app.Config.Handler = mux
	e.worker = &core.OutboxWorker{Store: e.store, Senders: map[core.Platform]core.Sender{core.PlatformSlack: e.bot}, Now: e.clock.Now, Log: log}
	return e
}

type coreFunc func(context.Context, core.Command) (core.Reply, error)

func (f coreFunc) Handle(ctx context.Context, cmd core.Command) (core.Reply, error) {
	return f(ctx, cmd)
}

func (e *env) coreCalls() int {
	e.callsMu.Lock()
	defer e.callsMu.Unlock()
	return e.calls
}

// post sends a signed request stamped with the test clock.
func (e *env) post(path, contentType, body string, hdr ...string) *http.Response {
	e.t.Helper()
	ts := strconv.FormatInt(e.clock.Now().Unix(), 10)
	return e.postSigned(path, contentType, body, ts, punchslack.Sign(signingSecret, ts, []byte(body)), hdr...)
}

func (e *env) postSigned(path, contentType, body, ts, sig string, hdr ...string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.app.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if ts != "" {
		req.Header.Set("X-Slack-Request-Timestamp", ts)
	}
	if sig != "" {
		req.Header.Set("X-Slack-Signature", sig)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("POST %s: %v", path, err)
	}
	return resp
}

func slashBody(team, user, text string, trigger int) string {
	return url.Values{
		"token": {"legacy"}, "team_id": {team}, "team_domain": {"acme"}, "channel_id": {"C1"}, "channel_name": {"general"},
		"user_id": {user}, "user_name": {"someone"}, "command": {"/punch"}, "text": {text},
		"response_url": {"RESPONSE_URL"}, "trigger_id": {fmt.Sprintf("1000.%d.abc", trigger)}, "api_app_id": {"A1"},
	}.Encode()
}

// slash runs /punch and decodes the ephemeral answer.
func (e *env) slash(team, user, text string) (int, map[string]any, string) {
	e.t.Helper()
	body := strings.Replace(slashBody(team, user, text, e.coreCalls()+int(e.clock.Now().UnixNano()%1000)), "RESPONSE_URL", url.QueryEscape(e.hookURL), 1)
	resp := e.post("/slack/commands", "application/x-www-form-urlencoded", body)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var msg map[string]any
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &msg); err != nil {
			e.t.Fatalf("slash answer %q: %v", raw, err)
		}
	}
	return resp.StatusCode, msg, string(raw)
}

// linkIn finds the location page URL among a message's buttons.
func (e *env) linkIn(blocks string) string {
	e.t.Helper()
	var v any
	if err := json.Unmarshal([]byte(blocks), &v); err != nil {
		e.t.Fatalf("blocks %q: %v", blocks, err)
	}
	var found string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if u, ok := x["url"].(string); ok && strings.HasPrefix(u, e.app.URL+"/l/") {
				found = u
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(v)
	if found == "" {
		e.t.Fatalf("no location link in blocks %s", blocks)
	}
	return found
}

// punchAt opens the page at link and posts a position as the page's script
// does, returning the JSON answer.
func (e *env) punchAt(link string, pos url.Values) (int, map[string]any) {
	e.t.Helper()
	resp, err := http.Get(link)
	if err != nil {
		e.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s = %d", link, resp.StatusCode)
	}
	e.lastPage = string(page)
	req, _ := http.NewRequest(http.MethodPost, link, strings.NewReader(pos.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var res map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, res
}

func (e *env) runOutbox() int {
	e.t.Helper()
	n, err := e.worker.RunOnce(context.Background())
	if err != nil {
		e.t.Fatalf("outbox: %v", err)
	}
	return n
}

func (e *env) punches() []core.Punch {
	e.t.Helper()
	ps, err := e.store.ListPunches(context.Background(), core.PunchFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	return ps
}

func TestSlashPunchThroughTheLocationPage(t *testing.T) {
	tests := []struct {
		name, user, employee, pageName string
		pos                            url.Values
		outcome                        core.Outcome
		ack, button, result            string
	}{
		{"inside, English", "U1", "e1", "Ann Lee", inside, core.OutcomeAccepted,
			"finish your clock-in", "Share my location", "Clock-in recorded at 08:55 · HQ 77 m"},
		{"outside, English", "U1", "e1", "Ann Lee", outside, core.OutcomeRejected,
			"finish your clock-in", "Share my location", "outside the punch area: 1.9 km from HQ, allowed 300 m"},
		{"inside, Chinese alias", "U2", "e2", "李雷", inside, core.OutcomeAccepted,
			"以完成上班打卡", "发送我的位置", "上班打卡成功 08:55 · HQ 77 m"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := MustEnv(t)
			text := "in"
			if tc.user == "U2" {
				text = "上班"
			}
			status, ack, raw := e.slash("T1", tc.user, text)
			if status != http.StatusOK || ack["response_type"] != "ephemeral" {
				t.Fatalf("ack = %d %s, want 200 ephemeral", status, raw)
			}
			if !strings.Contains(raw, tc.ack) || !strings.Contains(raw, tc.button) {
				t.Errorf("ack %s lacks %q or the %q button", raw, tc.ack, tc.button)
			}
			blocks, _ := json.Marshal(ack["blocks"])
			link := e.linkIn(string(blocks))
			if ps := e.punches(); len(ps) != 0 || len(e.store.Outbox()) != 0 {
				t.Fatalf("before the page: punches %d, outbox %d; want none (the ack itself is the reply)", len(ps), len(e.store.Outbox()))
			}

			code, res := e.punchAt(link, tc.pos)
			if !strings.Contains(e.lastPage, tc.pageName) {
				t.Errorf("page does not show %q", tc.pageName)
			}
			if code != http.StatusOK || res["status"] != string(tc.outcome) || !strings.Contains(res["headline"].(string), tc.result) {
				t.Errorf("page result = %d %v, want %s with %q", code, res, tc.outcome, tc.result)
			}
			ps := e.punches()
			if len(ps) != 1 || ps[0].EmployeeID != tc.employee || ps[0].Outcome != tc.outcome || ps[0].Source != "web" || ps[0].Kind != core.KindIn {
				t.Fatalf("punches = %+v, want one %s web clock-in of %s", ps, tc.outcome, tc.employee)
			}

			if n := e.runOutbox(); n != 1 {
				t.Fatalf("outbox sent %d, want 1", n)
			}
			hooks := e.hooks.Calls("response_url")
			if len(hooks) != 1 {
				t.Fatalf("response_url calls = %d, want 1", len(hooks))
			}
			h := hooks[0]
			if h.JSON["replace_original"] != true || !strings.Contains(h.text(), tc.result) || !strings.Contains(h.blocks(), tc.result) {
				t.Errorf("response_url got %v, want the ack replaced by %q", h.JSON, tc.result)
			}
			if strings.Contains(h.blocks(), "/l/") {
				t.Errorf("the updated message still carries the link: %s", h.blocks())
			}
			if len(e.slack.Calls("")) != 0 {
				t.Errorf("Web API calls = %+v, want none for a slash command", e.slack.Calls(""))
			}
		})
	}
}

func TestSlashAnswersDirectly(t *testing.T) {
	tests := []struct {
		name, team, user, text string
		want                   []string
		punches                int
		buttons                bool
	}{
		{"no-site employee punches at once", "T1", "U3", "in", []string{"Clock-in recorded at 08:55"}, 1, false},
		{"empty text punches by context", "T1", "U3", "", []string{"Clock-in recorded at 08:55"}, 1, false},
		{"status", "T1", "U1", "status", []string{"📋 2026-03-02: in —, out —"}, 0, false},
		{"status in Chinese", "T1", "U2", "状态", []string{"📋 2026-03-02：上班 —，下班 —"}, 0, false},
		{"help", "T1", "U1", "help", []string{"Commands:", "Clock in", "punch_in"}, 0, true},
		{"not understood", "T1", "U1", "dance", []string{"did not understand “dance”", "Commands:"}, 0, true},
		{"link verb without a console", "T1", "U1", "mydata", []string{"Commands:"}, 0, true},
		{"unknown user", "T1", "U9", "in", []string{"not registered with punchbot", "ask HR"}, 0, false},
		{"known user id in another workspace", "T2", "U1", "in", []string{"not registered with punchbot"}, 0, false},
		{"unknown user in Chinese", "T1", "U9", "上班", []string{"还没有登记到 punchbot", "联系 HR"}, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := MustEnv(t)
			status, ack, raw := e.slash(tc.team, tc.user, tc.text)
			if status != http.StatusOK || ack["response_type"] != "ephemeral" {
				t.Fatalf("ack = %d %s, want 200 ephemeral", status, raw)
			}
			for _, w := range tc.want {
				if !strings.Contains(raw, w) {
					t.Errorf("ack %s lacks %q", raw, w)
				}
			}
			if strings.Contains(raw, "/l/") {
				t.Errorf("ack carries a location link: %s", raw)
			}
			if ps := e.punches(); len(ps) != tc.punches {
				t.Errorf("punches = %d, want %d", len(ps), tc.punches)
			}
			if out := e.store.Outbox(); len(out) != 0 {
				t.Errorf("outbox = %+v, want nothing queued for a slash command", out)
			}
		})
	}
}

func eventBody(team, eventID string, inner string) string {
	return fmt.Sprintf(`{"token":"legacy","team_id":%q,"api_app_id":"A1","event":%s,"type":"event_callback","event_id":%q,"event_time":1772412900,"authed_users":["UBOT"]}`, team, inner, eventID)
}

func dm(user, text string) string {
	return fmt.Sprintf(`{"type":"message","channel":"D1","user":%q,"text":%q,"ts":"1772412900.000100","event_ts":"1772412900.000100","channel_type":"im"}`, user, text)
}

func TestDirectMessagePunchUpdatesTheLinkMessage(t *testing.T) {
	e := MustEnv(t)
	body := eventBody("T1", "Ev1", dm("U1", "clock in"))
	for retry := range 3 {
		hdr := []string{}
		if retry > 0 {
			hdr = []string{"X-Slack-Retry-Num", strconv.Itoa(retry), "X-Slack-Retry-Reason", "http_timeout"}
		}
		resp := e.post("/slack/events", "application/json", body, hdr...)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("delivery %d = %d, want 200", retry, resp.StatusCode)
		}
	}
	if out := e.store.Outbox(); len(out) != 1 {
		t.Fatalf("outbox = %d messages after three deliveries, want 1", len(out))
	}
	if n := e.runOutbox(); n != 1 {
		t.Fatalf("outbox sent %d, want 1", n)
	}
	posts, updates := e.slack.Calls("chat.postMessage"), e.slack.Calls("chat.update")
	if len(posts) != 1 || len(updates) != 1 {
		t.Fatalf("postMessage %d, update %d; want the DM posted then given its button", len(posts), len(updates))
	}
	if posts[0].Form.Get("channel") != "D1" || strings.Contains(posts[0].Form.Get("blocks"), "/l/") {
		t.Errorf("first post = %v, want a button-less message in D1", posts[0].Form)
	}
	ts := updates[0].Form.Get("ts")
	if updates[0].Form.Get("channel") != "D1" || ts == "" || posts[0].Form.Get("token") != "xoxb-test" {
		t.Errorf("update = %v, want D1 with the posted ts and the bot token", updates[0].Form)
	}
	link := e.linkIn(updates[0].Form.Get("blocks"))

	code, res := e.punchAt(link, inside)
	if code != http.StatusOK || res["status"] != "accepted" {
		t.Fatalf("page result = %d %v, want accepted", code, res)
	}
	if n := e.runOutbox(); n != 1 {
		t.Fatalf("outbox sent %d, want 1", n)
	}
	updates = e.slack.Calls("chat.update")
	if len(updates) != 2 {
		t.Fatalf("chat.update calls = %d, want 2", len(updates))
	}
	last := updates[1].Form
	if last.Get("channel") != "D1" || last.Get("ts") != ts || !strings.Contains(last.Get("text"), "Clock-in recorded at 08:55") || strings.Contains(last.Get("blocks"), "/l/") {
		t.Errorf("result update = %v, want the link message %s replaced by the clock-in", last, ts)
	}
	if ps := e.punches(); len(ps) != 1 {
		t.Errorf("punches = %d, want 1", len(ps))
	}
}

func TestEventRetriesMakeOnePunch(t *testing.T) {
	e := MustEnv(t)
	body := eventBody("T1", "Ev9", dm("U3", "上班打卡"))
	for retry := range 4 {
		hdr := []string{}
		if retry > 0 {
			hdr = []string{"X-Slack-Retry-Num", strconv.Itoa(retry), "X-Slack-Retry-Reason", "http_timeout"}
		}
		resp := e.post("/slack/events", "application/json", body, hdr...)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("delivery %d = %d, want 200", retry, resp.StatusCode)
		}
		e.clock.Add(time.Minute)
	}
	ps := e.punches()
	if len(ps) != 1 || ps[0].EmployeeID != "e3" || ps[0].EventID != "Ev9" || ps[0].Source != "slack" || ps[0].Outcome != core.OutcomeAccepted {
		t.Fatalf("punches = %+v, want one accepted punch for event Ev9", ps)
	}
	if n := e.runOutbox(); n != 1 {
		t.Fatalf("outbox sent %d, want 1", n)
	}
	posts := e.slack.Calls("chat.postMessage")
	if len(posts) != 1 || posts[0].Form.Get("channel") != "D1" || !strings.Contains(posts[0].Form.Get("text"), "Clock-in recorded at 08:55") {
		t.Errorf("posts = %+v, want one clock-in reply in D1", posts)
	}
}

func TestMentionsAnswerPrivately(t *testing.T) {
	e := MustEnv(t)
	mention := `{"type":"app_mention","user":"U1","text":"<@UBOT> in","ts":"1772412900.000200","channel":"C7","event_ts":"1772412900.000200"}`
	resp := e.post("/slack/events", "application/json", eventBody("T1", "Ev2", mention))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mention = %d", resp.StatusCode)
	}
	e.runOutbox()
	eph := e.slack.Calls("chat.postEphemeral")
	if len(eph) != 1 || eph[0].Form.Get("channel") != "C7" || eph[0].Form.Get("user") != "U1" {
		t.Fatalf("ephemeral posts = %+v, want one to U1 in C7", eph)
	}
	if len(e.slack.Calls("chat.postMessage")) != 0 {
		t.Errorf("a personal link was posted publicly")
	}
	link := e.linkIn(eph[0].Form.Get("blocks"))
	if code, res := e.punchAt(link, outside); code != http.StatusOK || res["status"] != "rejected" {
		t.Fatalf("page = %d %v, want rejected", code, res)
	}
	e.runOutbox()
	eph = e.slack.Calls("chat.postEphemeral")
	if len(eph) != 2 || eph[1].Form.Get("user") != "U1" || !strings.Contains(eph[1].Form.Get("text"), "1.9 km from HQ") {
		t.Errorf("result = %+v, want an ephemeral rejection with the distance", eph)
	}
}

func TestURLVerificationAndIgnoredEvents(t *testing.T) {
	e := MustEnv(t)
	resp := e.post("/slack/events", "application/json", `{"token":"legacy","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(got) != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("url_verification = %d %q, want the challenge", resp.StatusCode, got)
	}
	ignored := []string{
		`{"type":"message","subtype":"bot_message","bot_id":"B1","channel":"D1","text":"in","ts":"1.1","channel_type":"im"}`,
		`{"type":"message","subtype":"message_changed","channel":"D1","ts":"1.1","channel_type":"im","message":{"type":"message","user":"U1","text":"in","ts":"1.1"}}`,
		`{"type":"message","user":"U1","channel":"C1","text":"in","ts":"1.1","channel_type":"channel"}`,
		`{"type":"app_mention","user":"U1","bot_id":"B1","text":"<@UBOT> in","ts":"1.1","channel":"C1"}`,
		`{"type":"reaction_added","user":"U1","reaction":"thumbsup","item":{"type":"message","channel":"C1","ts":"1.1"},"event_ts":"1.1"}`,
	}
	for i, inner := range ignored {
		resp := e.post("/slack/events", "application/json", eventBody("T1", fmt.Sprintf("EvIgn%d", i), inner))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("ignored event %d = %d, want 200", i, resp.StatusCode)
		}
	}
	if n := e.coreCalls(); n != 0 {
		t.Errorf("core calls = %d, want 0", n)
	}
}

func interactionBody(payload string) string {
	return url.Values{"payload": {payload}}.Encode()
}

func blockAction(e *env, user, actionID, trigger string) string {
	return fmt.Sprintf(`{"type":"block_actions","user":{"id":%q,"username":"x","name":"x","team_id":"T1"},"api_app_id":"A1","token":"legacy","trigger_id":%q,
"team":{"id":"T1","domain":"acme"},"container":{"type":"message","message_ts":"1772412900.000300","channel_id":"C1","is_ephemeral":true},
"channel":{"id":"C1","name":"general"},"response_url":%q,
"actions":[{"action_id":%q,"block_id":"b1","type":"button","text":{"type":"plain_text","text":"x"},"value":"v","action_ts":"1772412901.000200"}],"state":{"values":{}}}`,
		user, trigger, e.hookURL, actionID)
}

func TestButtons(t *testing.T) {
	e := MustEnv(t)
	// The URL button to the page: Slack reports the click, nothing to do.
	resp := e.post("/slack/interactions", "application/x-www-form-urlencoded", interactionBody(blockAction(e, "U1", punchslack.ActionOpenLocation, "1.1.a")))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || e.coreCalls() != 0 {
		t.Fatalf("url button = %d with %d core calls, want 200 and none", resp.StatusCode, e.coreCalls())
	}
	// The "Clock in" button of the help message, delivered twice.
	for range 2 {
		resp = e.post("/slack/interactions", "application/x-www-form-urlencoded", interactionBody(blockAction(e, "U1", punchslack.ActionPunchIn, "2.2.b")))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("punch button = %d, want 200", resp.StatusCode)
		}
	}
	// The copy reaches the core, whose event record answers it: one reply.
	if n := e.runOutbox(); n != 1 {
		t.Fatalf("outbox sent %d, want 1", n)
	}
	hooks := e.hooks.Calls("response_url")
	if len(hooks) != 1 || hooks[0].JSON["replace_original"] != true {
		t.Fatalf("response_url calls = %+v, want the help message replaced by the link", hooks)
	}
	link := e.linkIn(hooks[0].blocks())
	if code, res := e.punchAt(link, inside); code != http.StatusOK || res["status"] != "accepted" {
		t.Fatalf("page = %d %v, want accepted", code, res)
	}
	e.runOutbox()
	hooks = e.hooks.Calls("response_url")
	if len(hooks) != 2 || !strings.Contains(hooks[1].text(), "Clock-in recorded") {
		t.Errorf("response_url calls = %+v, want the link replaced by the result", hooks)
	}
}

// TestRefusedRequestsChangeNothing covers forged, stale and malformed
// requests on every endpoint and forged, expired and replayed links.
func TestRefusedRequestsChangeNothing(t *testing.T) {
	e := MustEnv(t)
	form, js := "application/x-www-form-urlencoded", "application/json"
	cmd := strings.Replace(slashBody("T1", "U1", "in", 1), "RESPONSE_URL", url.QueryEscape(e.hookURL), 1)
	ev := eventBody("T1", "EvX", dm("U1", "in"))
	act := interactionBody(blockAction(e, "U1", punchslack.ActionPunchIn, "9.9.z"))
	now := e.clock.Now().Unix()
	ts := strconv.FormatInt(now, 10)
	stale := strconv.FormatInt(now-6*60, 10)
	future := strconv.FormatInt(now+6*60, 10)
	sign := func(ts, body string) string { return punchslack.Sign(signingSecret, ts, []byte(body)) }

	tests := []struct {
		name, path, ctype, body, ts, sig string
		status                           int
	}{
		{"command, forged signature", "/slack/commands", form, cmd, ts, punchslack.Sign("not-the-secret", ts, []byte(cmd)), http.StatusUnauthorized},
		{"command, body changed after signing", "/slack/commands", form, strings.Replace(cmd, "U1", "U2", 1), ts, sign(ts, cmd), http.StatusUnauthorized},
		{"command, stale timestamp", "/slack/commands", form, cmd, stale, sign(stale, cmd), http.StatusUnauthorized},
		{"command, future timestamp", "/slack/commands", form, cmd, future, sign(future, cmd), http.StatusUnauthorized},
		{"command, unsigned", "/slack/commands", form, cmd, "", "", http.StatusUnauthorized},
		{"command, no team", "/slack/commands", form, "user_id=U1&text=in", ts, sign(ts, "user_id=U1&text=in"), http.StatusBadRequest},
		{"command, bad form", "/slack/commands", form, "text=%zz", ts, sign(ts, "text=%zz"), http.StatusBadRequest},
		{"event, forged signature", "/slack/events", js, ev, ts, punchslack.Sign("not-the-secret", ts, []byte(ev)), http.StatusUnauthorized},
		{"event, stale timestamp", "/slack/events", js, ev, stale, sign(stale, ev), http.StatusUnauthorized},
		{"event, not JSON", "/slack/events", js, "{not json", ts, sign(ts, "{not json"), http.StatusBadRequest},
		{"event, no event id", "/slack/events", js, strings.Replace(ev, `"event_id":"EvX",`, "", 1), ts, sign(ts, strings.Replace(ev, `"event_id":"EvX",`, "", 1)), http.StatusBadRequest},
		{"interaction, forged signature", "/slack/interactions", form, act, ts, punchslack.Sign("not-the-secret", ts, []byte(act)), http.StatusUnauthorized},
		{"interaction, stale timestamp", "/slack/interactions", form, act, stale, sign(stale, act), http.StatusUnauthorized},
		{"interaction, no payload", "/slack/interactions", form, "x=1", ts, sign(ts, "x=1"), http.StatusBadRequest},
		{"interaction, payload not JSON", "/slack/interactions", form, "payload=%7Bnope", ts, sign(ts, "payload=%7Bnope"), http.StatusBadRequest},
		{"command, body over 1 MiB", "/slack/commands", form, cmd + "&pad=" + strings.Repeat("x", 1<<20), ts, sign(ts, cmd+"&pad="+strings.Repeat("x", 1<<20)), http.StatusRequestEntityTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.postSigned(tc.path, tc.ctype, tc.body, tc.ts, tc.sig)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
	if n := e.coreCalls(); n != 0 {
		t.Errorf("core calls = %d, want 0: refused requests must not reach the core", n)
	}

	// Links: tampered, expired and replayed.
	_, ack, _ := e.slash("T1", "U1", "in")
	blocks, _ := json.Marshal(ack["blocks"])
	link := e.linkIn(string(blocks))
	payload, sig, _ := strings.Cut(strings.TrimPrefix(link, e.app.URL+"/l/"), ".")
	_, ack2, _ := e.slash("T1", "U2", "in")
	blocks2, _ := json.Marshal(ack2["blocks"])
	link2 := e.linkIn(string(blocks2))
	payload2, _, _ := strings.Cut(strings.TrimPrefix(link2, e.app.URL+"/l/"), ".")
	post := func(u string) int {
		req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(inside.Encode()))
		req.Header.Set("Content-Type", form)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(e.app.URL + "/l/" + payload2 + "." + sig); got != http.StatusForbidden {
		t.Errorf("tampered link = %d, want 403", got)
	}
	if got := post(e.app.URL + "/l/" + payload + "." + sig[:10]); got != http.StatusBadRequest {
		t.Errorf("cut link = %d, want 400", got)
	}
	if ps := e.punches(); len(ps) != 0 {
		t.Fatalf("punches after refused links = %+v, want none", ps)
	}
	if got := post(link); got != http.StatusOK {
		t.Fatalf("first use = %d, want 200", got)
	}
	if got := post(link); got != http.StatusConflict {
		t.Errorf("replayed link = %d, want 409", got)
	}
	e.clock.Add(11 * time.Minute)
	if got := post(link2); got != http.StatusGone {
		t.Errorf("expired link = %d, want 410", got)
	}
	if ps := e.punches(); len(ps) != 1 || ps[0].EmployeeID != "e1" {
		t.Errorf("punches = %+v, want only the first use", ps)
	}
	if out := e.store.Outbox(); len(out) != 1 {
		t.Errorf("outbox = %d, want 1", len(out))
	}
}

func TestSendHonoursRateLimits(t *testing.T) {
	e := MustEnv(t)
	e.slack.fail = map[string]func(http.ResponseWriter){"chat.postMessage": func(w http.ResponseWriter) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusTooManyRequests)
	}}
	resp := e.post("/slack/events", "application/json", eventBody("T1", "Ev5", dm("U1", "status")))
	resp.Body.Close()
	if n := e.runOutbox(); n != 0 {
		t.Fatalf("sent %d while rate limited, want 0", n)
	}
	out := e.store.Outbox()
	if len(out) != 1 || out[0].Status != core.OutboxPending || out[0].Attempts != 1 || !out[0].NextAttempt.Equal(e.clock.Now().Add(7*time.Second)) {
		t.Fatalf("outbox = %+v, want pending, retried after Slack's 7 s", out)
	}
	err := e.bot.Send(context.Background(), out[0])
	if core.ErrorCode(err) != core.ERATELIMIT || core.RetryAfter(err) != 7*time.Second {
		t.Errorf("Send error = %v (retry after %v), want ERATELIMIT after 7s", err, core.RetryAfter(err))
	}

	e.slack.mu.Lock()
	e.slack.fail = map[string]func(http.ResponseWriter){"chat.postMessage": func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":false,"error":"channel_not_found"}`)
	}}
	e.slack.mu.Unlock()
	if err := e.bot.Send(context.Background(), out[0]); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("Send to a missing channel = %v, want EINVALID (never retried)", err)
	}
	e.slack.mu.Lock()
	e.slack.fail = map[string]func(http.ResponseWriter){"chat.postMessage": func(w http.ResponseWriter) { w.WriteHeader(http.StatusBadGateway) }}
	e.slack.mu.Unlock()
	if err := e.bot.Send(context.Background(), out[0]); core.ErrorCode(err) != core.EUNAVAILABLE {
		t.Errorf("Send during a Slack outage = %v, want EUNAVAILABLE (retried)", err)
	}
}

func TestSendRefusesBadMessages(t *testing.T) {
	e := MustEnv(t)
	reply, _ := json.Marshal(core.Reply{Outcome: core.OutcomeHelp, Lang: "en"})
	tests := []struct {
		name string
		m    core.OutboxMessage
	}{
		{"route not JSON", core.OutboxMessage{Kind: "reply", Route: "C1", Payload: reply}},
		{"route without address", core.OutboxMessage{Kind: "reply", Route: `{"user":"U1"}`, Payload: reply}},
		{"reply not JSON", core.OutboxMessage{Kind: "reply", Route: `{"channel":"C1"}`, Payload: json.RawMessage(`"x"`)}},
		{"reminder without text", core.OutboxMessage{Kind: "reminder", Route: `{"channel":"C1"}`, Payload: json.RawMessage(`{}`)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := e.bot.Send(context.Background(), tc.m); core.ErrorCode(err) != core.EINVALID {
				t.Errorf("Send = %v, want EINVALID", err)
			}
		})
	}
	if len(e.slack.Calls("")) != 0 {
		t.Errorf("Slack was called for invalid messages")
	}
	text, _ := json.Marshal(punchslack.TextPayload{Text: "Remember to clock out"})
	if err := e.bot.Send(context.Background(), core.OutboxMessage{Kind: "reminder", Route: punchslack.Route{Channel: "U1"}.Encode(), Payload: text}); err != nil {
		t.Fatalf("Send reminder: %v", err)
	}
	if c := e.slack.Calls("chat.postMessage"); len(c) != 1 || c[0].Form.Get("channel") != "U1" || c[0].Form.Get("text") != "Remember to clock out" {
		t.Errorf("reminder post = %+v", c)
	}
}

func TestNewRefusesIncompleteConfig(t *testing.T) {
	c := coreFunc(func(context.Context, core.Command) (core.Reply, error) { return core.Reply{}, nil })
	var links bots.LinkIssuer = linkFunc(func(context.Context, bots.LinkRequest) (string, error) { return "", nil })
	tests := []struct {
		name string
		cfg  punchslack.Config
		deps punchslack.Deps
	}{
		{"no signing secret", punchslack.Config{BotToken: "x"}, punchslack.Deps{Core: c, Links: links}},
		{"no bot token", punchslack.Config{SigningSecret: "s"}, punchslack.Deps{Core: c, Links: links}},
		{"no core", punchslack.Config{SigningSecret: "s", BotToken: "x"}, punchslack.Deps{Links: links}},
		{"no link issuer", punchslack.Config{SigningSecret: "s", BotToken: "x"}, punchslack.Deps{Core: c}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := punchslack.New(tc.cfg, tc.deps); core.ErrorCode(err) != core.EINVALID {
				t.Errorf("New = %v, want EINVALID", err)
			}
		})
	}
}

type linkFunc func(context.Context, bots.LinkRequest) (string, error)

func (f linkFunc) PunchLink(ctx context.Context, r bots.LinkRequest) (string, error) {
	return f(ctx, r)
}
