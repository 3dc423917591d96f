package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/punchbot/punchbot/bots/feishu"
	"github.com/punchbot/punchbot/bots/playground/sim"
	"github.com/punchbot/punchbot/bots/slack"
	"github.com/punchbot/punchbot/bots/wecom"
	"github.com/punchbot/punchbot/core"
)

// The load generator of `punchbot bench webhook` and of the outside-in
// tests: an organisation shaped like a real one, platform callbacks signed
// and encrypted exactly as WeCom, Feishu and Slack send them, and closed-
// and open-loop drivers that time every answer. Everything here talks to
// 127.0.0.1 only.

// loadCreds are the credentials of a load run, shared by the server under
// test and the callbacks signed for it.
type loadCreds struct {
	FeishuAppID, FeishuSecret, FeishuToken, FeishuKey, FeishuTenant string
	WeComCorp, WeComAgent, WeComSecret, WeComToken, WeComAESKey     string
	SlackSecret, SlackToken, SlackTeam                              string
}

// testCreds are made up; they authenticate nothing outside a load run.
var testCreds = loadCreds{
	FeishuAppID: "cli_load", FeishuSecret: "feishu-app-secret", FeishuToken: "vt-load-token", FeishuKey: "load-encrypt-key", FeishuTenant: "tk_load",
	WeComCorp: "wwload", WeComAgent: "1000002", WeComSecret: "wecom-secret", WeComToken: "wecomtoken", WeComAESKey: "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM",
	SlackSecret: "slack-signing-secret-for-load", SlackToken: "xoxb-load", SlackTeam: "TLOAD",
}

// env returns the PUNCHBOT_* variables that enable platform p with these
// credentials, its API pointed at the fake at api (a replySink).
func (c loadCreds) env(p core.Platform, api string) map[string]string {
	switch p {
	case core.PlatformFeishu:
		return map[string]string{"PUNCHBOT_FEISHU_APP_ID": c.FeishuAppID, "PUNCHBOT_FEISHU_APP_SECRET": c.FeishuSecret,
			"PUNCHBOT_FEISHU_VERIFICATION_TOKEN": c.FeishuToken, "PUNCHBOT_FEISHU_ENCRYPT_KEY": c.FeishuKey, "PUNCHBOT_FEISHU_BASE_URL": api}
	case core.PlatformWeCom:
		return map[string]string{"PUNCHBOT_WECOM_CORP_ID": c.WeComCorp, "PUNCHBOT_WECOM_AGENT_ID": c.WeComAgent, "PUNCHBOT_WECOM_SECRET": c.WeComSecret,
			"PUNCHBOT_WECOM_TOKEN": c.WeComToken, "PUNCHBOT_WECOM_ENCODING_AES_KEY": c.WeComAESKey, "PUNCHBOT_WECOM_API_URL": api}
	case core.PlatformSlack:
		return map[string]string{"PUNCHBOT_SLACK_SIGNING_SECRET": c.SlackSecret, "PUNCHBOT_SLACK_BOT_TOKEN": c.SlackToken, "PUNCHBOT_SLACK_API_URL": api + "/slack/api/"}
	}
	return nil
}

// loadOrg is the organisation of a load run: employees each bound to the
// platform, each with sitesPer sites out of a shared pool of offices.
// Prefix makes employee and user ids unique to the run, so that runs
// sharing a Redis never share a rate-limit key.
type loadOrg struct {
	Platform  core.Platform
	Prefix    string
	Employees int
	SitesPer  int
	Creds     loadCreds
}

// loadSitePool is how many distinct offices the employees share.
const loadSitePool = 1000

func (o loadOrg) pool() int { return max(1, min(loadSitePool, o.Employees*o.SitesPer)) }

// EmployeeID is employee e's id.
func (o loadOrg) EmployeeID(e int) string { return fmt.Sprintf("%s-%05d", o.Prefix, e) }

// UserID is employee e's account on the platform.
func (o loadOrg) UserID(e int) string {
	switch o.Platform {
	case core.PlatformFeishu:
		return fmt.Sprintf("ou_%s_%05d", o.Prefix, e)
	case core.PlatformSlack:
		return strings.ToUpper(fmt.Sprintf("U%s%05d", o.Prefix, e))
	}
	return fmt.Sprintf("%s_%05d", o.Prefix, e)
}

func (o loadOrg) tenant() string {
	switch o.Platform {
	case core.PlatformFeishu:
		return o.Creds.FeishuTenant
	case core.PlatformSlack:
		return o.Creds.SlackTeam
	}
	return o.Creds.WeComCorp
}

// sitePos is office j of the pool, about a kilometre from its neighbours,
// in the datum the platform reports: GCJ-02 for the Chinese platforms
// (declared so in the org file, as an admin copying from AMap would),
// WGS-84 for the browser page Slack users punch from.
func sitePos(j int) (lat, lng float64) {
	return 31.1 + float64(j/40)*0.01, 121.2 + float64(j%40)*0.01
}

// site is the index in the pool of employee e's k-th site.
func (o loadOrg) site(e, k int) int { return (e*o.SitesPer + k) % o.pool() }

// Position is where employee e punches: their last site, a few metres off.
func (o loadOrg) Position(e int) (lat, lng float64) {
	lat, lng = sitePos(o.site(e, o.SitesPer-1))
	return lat + 2e-5, lng
}

// Org is the organisation to apply: no schedule, so every punch is judged
// by place alone and stored whatever the hour the run happens at.
func (o loadOrg) Org() core.Org {
	org := core.Org{Name: "load " + o.Prefix, TimeZone: "Asia/Shanghai"}
	datum := core.GCJ02
	if o.Platform == core.PlatformSlack {
		datum = core.WGS84
	}
	for j := range o.pool() {
		lat, lng := sitePos(j)
		id := fmt.Sprintf("site-%04d", j)
		org.Sites = append(org.Sites, core.OrgSite{Site: core.Site{ID: id, Name: "Office " + strconv.Itoa(j), Lat: lat, Lng: lng, RadiusM: 200}, Datum: datum})
	}
	org.Employees = make([]core.Employee, o.Employees)
	for e := range org.Employees {
		emp := core.Employee{ID: o.EmployeeID(e), Name: "员工 " + strconv.Itoa(e), Lang: "zh", Active: true, Department: "Ops",
			Identities: []core.Identity{{Platform: o.Platform, Tenant: o.tenant(), UserID: o.UserID(e)}}}
		for k := range o.SitesPer {
			emp.SiteIDs = append(emp.SiteIDs, fmt.Sprintf("site-%04d", o.site(e, k)))
		}
		org.Employees[e] = emp
	}
	return org
}

// loadEvent is one punch the generator sends, possibly several times: a
// platform resends the same event (same id, same message) until it is
// acknowledged.
type loadEvent struct {
	Seq      int
	Employee int
	ID       string    // the platform's event id: Feishu event_id, WeCom MsgId, Slack trigger_id
	At       time.Time // when the user sent it
}

// stepResult is one HTTP exchange.
type stepResult struct {
	Route      string
	Status     int // 0: no answer (connection refused, reset, timeout)
	RetryAfter string
	Latency    time.Duration
	Err        error
}

// opResult is one delivery of an event: one request (Feishu, WeCom) or two
// (Slack: the slash command, then the location page it links to).
type opResult struct {
	Event   loadEvent
	Start   time.Time
	Latency time.Duration
	Steps   []stepResult
}

// Last is the exchange that decided the outcome.
func (r opResult) Last() stepResult {
	if len(r.Steps) == 0 {
		return stepResult{}
	}
	return r.Steps[len(r.Steps)-1]
}

// Acked reports whether the platform was told the event was received.
func (r opResult) Acked() bool { s := r.Last().Status; return s >= 200 && s < 300 }

// webhookClient sends an organisation's callbacks to one server.
type webhookClient struct {
	Base   string // http://127.0.0.1:port
	Org    loadOrg
	Run    string // makes event ids unique to the run
	HTTP   *http.Client
	Sink   string // the fake platform API; Slack's response_url points there
	crypto *wecom.Crypto
	msgID  int64 // WeCom MsgIds of the run start here
}

// newWebhookClient returns a client for org's platform. run must be unique
// among runs sharing a database or a Redis.
func newWebhookClient(base string, org loadOrg, run, sink string) (*webhookClient, error) {
	c := &webhookClient{Base: base, Org: org, Run: run, Sink: sink, HTTP: newLoadHTTPClient()}
	if org.Platform == core.PlatformWeCom {
		cr, err := wecom.NewCrypto(org.Creds.WeComToken, org.Creds.WeComAESKey, org.Creds.WeComCorp)
		if err != nil {
			return nil, err
		}
		c.crypto = cr
		// MsgIds are numbers; derive a run-unique range from the run name.
		h := sha256.Sum256([]byte(run))
		c.msgID = int64(binary.BigEndian.Uint32(h[:4]))*1_000_000 + 1_000_000_000_000
	}
	return c, nil
}

// newLoadHTTPClient keeps enough idle connections for an open loop at a few
// thousand requests per second, so the generator measures the server, not
// TCP handshakes.
func newLoadHTTPClient() *http.Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        4096,
		MaxIdleConnsPerHost: 4096,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// Event is the seq-th event of the run: employee seq mod the organisation,
// so consecutive events come from distinct employees.
func (c *webhookClient) Event(seq int) loadEvent {
	id := fmt.Sprintf("%s-%d", c.Run, seq)
	if c.Org.Platform == core.PlatformWeCom {
		id = strconv.FormatInt(c.msgID+int64(seq), 10)
	}
	return loadEvent{Seq: seq, Employee: seq % c.Org.Employees, ID: id, At: time.Now()}
}

// StoredEventID is the event id the punch is stored under, "" when the
// platform gives none before the punch (Slack's location page nonce).
func (c *webhookClient) StoredEventID(ev loadEvent) string {
	switch c.Org.Platform {
	case core.PlatformFeishu:
		return ev.ID
	case core.PlatformWeCom:
		return "msg:" + ev.ID
	}
	return ""
}

// Deliver sends ev once, as the platform would (again, for a resend), and
// times it.
func (c *webhookClient) Deliver(ctx context.Context, ev loadEvent) opResult {
	res := opResult{Event: ev, Start: time.Now()}
	req, route, err := c.request(ctx, ev)
	if err != nil {
		res.Steps = append(res.Steps, stepResult{Route: route, Err: err})
		return res
	}
	step, body := c.exchange(req, route, c.Org.Platform == core.PlatformSlack)
	res.Steps = append(res.Steps, step)
	if c.Org.Platform == core.PlatformSlack && step.Status == http.StatusOK {
		// The slash command answers with a one-time link to the location
		// page; the browser then posts the position to it.
		res.Steps = append(res.Steps, c.followLink(ctx, ev, body))
	}
	res.Latency = time.Since(res.Start)
	return res
}

func (c *webhookClient) exchange(req *http.Request, route string, keep bool) (stepResult, []byte) {
	start := time.Now()
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return stepResult{Route: route, Err: err, Latency: time.Since(start)}, nil
	}
	var body []byte
	if keep {
		body, _ = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	} else {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	}
	resp.Body.Close()
	return stepResult{Route: route, Status: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After"), Latency: time.Since(start)}, body
}

var linkPath = regexp.MustCompile(`/l/[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+`)

func (c *webhookClient) followLink(ctx context.Context, ev loadEvent, answer []byte) stepResult {
	const route = "POST /l/{token}"
	path := linkPath.Find(answer)
	if path == nil {
		return stepResult{Route: route, Err: fmt.Errorf("the /punch answer carries no location link: %.200s", answer)}
	}
	lat, lng := c.Org.Position(ev.Employee)
	form := url.Values{"lat": {strconv.FormatFloat(lat, 'f', 6, 64)}, "lng": {strconv.FormatFloat(lng, 'f', 6, 64)}, "accuracy": {"12"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Base+string(path), strings.NewReader(form.Encode()))
	if err != nil {
		return stepResult{Route: route, Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	step, _ := c.exchange(req, route, false)
	return step
}

// request builds the platform's callback for ev, signed now.
func (c *webhookClient) request(ctx context.Context, ev loadEvent) (*http.Request, string, error) {
	switch c.Org.Platform {
	case core.PlatformFeishu:
		return c.feishuRequest(ctx, ev)
	case core.PlatformWeCom:
		return c.wecomRequest(ctx, ev)
	case core.PlatformSlack:
		return c.slackRequest(ctx, ev)
	}
	return nil, "", fmt.Errorf("no callbacks for platform %q", c.Org.Platform)
}

// feishuEvent is the schema 2.0 envelope of im.message.receive_v1
// (PLATFORMS.md §5.1, §6).
type feishuEvent struct {
	Schema string `json:"schema"`
	Header struct {
		EventID    string `json:"event_id"`
		EventType  string `json:"event_type"`
		CreateTime string `json:"create_time"`
		Token      string `json:"token"`
		AppID      string `json:"app_id"`
		TenantKey  string `json:"tenant_key"`
	} `json:"header"`
	Event struct {
		Sender struct {
			SenderID struct {
				OpenID string `json:"open_id"`
			} `json:"sender_id"`
			SenderType string `json:"sender_type"`
			TenantKey  string `json:"tenant_key"`
		} `json:"sender"`
		Message struct {
			MessageID   string `json:"message_id"`
			CreateTime  string `json:"create_time"`
			ChatID      string `json:"chat_id"`
			ChatType    string `json:"chat_type"`
			MessageType string `json:"message_type"`
			Content     string `json:"content"`
		} `json:"message"`
	} `json:"event"`
}

// FeishuBody is the encrypted body of ev's location message: the same
// bytes' plaintext on every delivery, as Feishu resends one event.
func (c *webhookClient) FeishuBody(ev loadEvent, iv []byte) ([]byte, error) {
	cr := c.Org.Creds
	var e feishuEvent
	ms := strconv.FormatInt(ev.At.UnixMilli(), 10)
	e.Schema = "2.0"
	e.Header.EventID, e.Header.EventType, e.Header.CreateTime = ev.ID, "im.message.receive_v1", ms
	e.Header.Token, e.Header.AppID, e.Header.TenantKey = cr.FeishuToken, cr.FeishuAppID, cr.FeishuTenant
	e.Event.Sender.SenderID.OpenID = c.Org.UserID(ev.Employee)
	e.Event.Sender.SenderType, e.Event.Sender.TenantKey = "user", cr.FeishuTenant
	m := &e.Event.Message
	m.MessageID, m.CreateTime, m.ChatID, m.ChatType, m.MessageType = "om_"+ev.ID, ms, "oc_"+c.Org.UserID(ev.Employee), "p2p", "location"
	lat, lng := c.Org.Position(ev.Employee)
	content, _ := json.Marshal(map[string]string{"name": "Office", "longitude": strconv.FormatFloat(lng, 'f', 6, 64), "latitude": strconv.FormatFloat(lat, 'f', 6, 64)})
	m.Content = string(content)
	plain, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]string{"encrypt": sim.FeishuEncrypt(plain, cr.FeishuKey, iv)})
}

// iv16 derives a distinct 16-byte IV or random prefix per delivery; a load
// run needs uniqueness, not secrecy.
func iv16(seed string) []byte {
	h := sha256.Sum256([]byte(seed))
	return h[:16]
}

var deliveries atomic.Int64 // distinct nonces across goroutines

func (c *webhookClient) feishuRequest(ctx context.Context, ev loadEvent) (*http.Request, string, error) {
	const route = "POST /feishu/events"
	n := deliveries.Add(1)
	body, err := c.FeishuBody(ev, iv16(ev.ID+strconv.FormatInt(n, 10)))
	if err != nil {
		return nil, route, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Base+"/feishu/events", bytes.NewReader(body))
	if err != nil {
		return nil, route, err
	}
	// PLATFORMS.md §5.4: sha256(timestamp + nonce + encrypt_key + body).
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), "n"+strconv.FormatInt(n, 36)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("X-Lark-Request-Timestamp", ts)
	req.Header.Set("X-Lark-Request-Nonce", nonce)
	req.Header.Set("X-Lark-Signature", feishu.Signature(ts, nonce, c.Org.Creds.FeishuKey, body))
	return req, route, nil
}

func (c *webhookClient) wecomRequest(ctx context.Context, ev loadEvent) (*http.Request, string, error) {
	const route = "POST /wecom/callback"
	cr := c.Org.Creds
	lat, lng := c.Org.Position(ev.Employee)
	// PLATFORMS.md §3.2: Location_X is the latitude.
	msg := fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime>`+
		`<MsgType><![CDATA[location]]></MsgType><Location_X>%.6f</Location_X><Location_Y>%.6f</Location_Y><Scale>15</Scale>`+
		`<Label><![CDATA[Office]]></Label><MsgId>%s</MsgId><AgentID>%s</AgentID><AppType><![CDATA[wxwork]]></AppType></xml>`,
		cr.WeComCorp, c.Org.UserID(ev.Employee), ev.At.Unix(), lat, lng, ev.ID, cr.WeComAgent)
	n := deliveries.Add(1)
	enc, err := c.crypto.Encrypt([]byte(msg), iv16(ev.ID+strconv.FormatInt(n, 10)))
	if err != nil {
		return nil, route, err
	}
	body := fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><Encrypt><![CDATA[%s]]></Encrypt><AgentID><![CDATA[%s]]></AgentID></xml>`, cr.WeComCorp, enc, cr.WeComAgent)
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), strconv.FormatInt(n, 10)
	// PLATFORMS.md §1.3: exactly msg_signature, timestamp and nonce.
	q := "msg_signature=" + c.crypto.Sign(ts, nonce, enc) + "&timestamp=" + ts + "&nonce=" + nonce
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Base+wecom.CallbackPath+"?"+q, strings.NewReader(body))
	if err != nil {
		return nil, route, err
	}
	req.Header.Set("Content-Type", "text/xml")
	return req, route, nil
}

func (c *webhookClient) slackRequest(ctx context.Context, ev loadEvent) (*http.Request, string, error) {
	const route = "POST /slack/commands"
	cr := c.Org.Creds
	user := c.Org.UserID(ev.Employee)
	form := url.Values{
		"token": {"legacy"}, "team_id": {cr.SlackTeam}, "team_domain": {"load"}, "channel_id": {"D" + user}, "channel_name": {"directmessage"},
		"user_id": {user}, "user_name": {strings.ToLower(user)}, "command": {"/punch"}, "text": {""},
		"response_url": {c.Sink + "/slack/response/" + ev.ID}, "trigger_id": {ev.ID}, "api_app_id": {"ALOAD"},
	}
	body := []byte(form.Encode())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Base+"/slack/commands", bytes.NewReader(body))
	if err != nil {
		return nil, route, err
	}
	// PLATFORMS.md §8: v0 HMAC-SHA256 over "v0:" + timestamp + ":" + body.
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slack.Sign(cr.SlackSecret, ts, body))
	return req, route, nil
}

// loadRun is what a driver saw.
type loadRun struct {
	Results []opResult
	Elapsed time.Duration
	// Offered is the rate at which deliveries started.
	Offered float64
}

// runClosedLoop delivers events first, first+1, … with conc callers, each
// sending its next event when the previous one is answered (or, if it was
// refused with Retry-After, that much later), until n events or d have
// passed, whichever comes first.
func runClosedLoop(ctx context.Context, conc, first, n int, d time.Duration, deliver func(context.Context, int) opResult) loadRun {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var next atomic.Int64
	results := make([][]opResult, conc)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range conc {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				r := deliver(context.WithoutCancel(ctx), first+i)
				results[w] = append(results[w], r)
				if pause := retryPause(r); pause > 0 {
					// A caller told to come back later does, as the
					// platforms do, rather than spin on refusals and
					// steal the server's CPU.
					select {
					case <-time.After(pause):
					case <-ctx.Done():
					}
				}
			}
		})
	}
	wg.Wait()
	run := loadRun{Elapsed: time.Since(start)}
	for _, r := range results {
		run.Results = append(run.Results, r...)
	}
	run.Offered = float64(len(run.Results)) / run.Elapsed.Seconds()
	return run
}

// retryPause is the Retry-After of a refused delivery, at most a second.
func retryPause(r opResult) time.Duration {
	last := r.Last()
	if r.Acked() || last.RetryAfter == "" {
		return 0
	}
	sec, err := strconv.Atoi(last.RetryAfter)
	if err != nil || sec < 0 {
		return 0
	}
	return min(time.Duration(sec)*time.Second, time.Second)
}

// runOpenLoop starts deliveries at rate per second whatever the answers,
// as platforms push, until n events or d have passed. At most maxOpen are
// outstanding; a start that finds none free waits, which lowers Offered
// below rate and shows the generator, not the server, was the limit.
func runOpenLoop(ctx context.Context, rate float64, first, n int, d time.Duration, maxOpen int, deliver func(context.Context, int) opResult) loadRun {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	interval := time.Duration(float64(time.Second) / rate)
	open := make(chan struct{}, maxOpen)
	var mu sync.Mutex
	var results []opResult
	var wg sync.WaitGroup
	start := time.Now()
	started := 0
	for i := 0; i < n && ctx.Err() == nil; i++ {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				break
			}
		}
		select {
		case open <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		started++
		wg.Go(func() {
			defer func() { <-open }()
			r := deliver(context.WithoutCancel(ctx), first+i)
			mu.Lock()
			results = append(results, r)
			mu.Unlock()
		})
	}
	startSpan := time.Since(start)
	wg.Wait()
	sort.Slice(results, func(a, b int) bool { return results[a].Event.Seq < results[b].Event.Seq })
	return loadRun{Results: results, Elapsed: time.Since(start), Offered: float64(started) / max(startSpan.Seconds(), 1e-9)}
}

// loadSummary is a run's figures.
type loadSummary struct {
	Sent, Acked        int
	AckedPerSec        float64
	P50, P90, P99, Max time.Duration // of acknowledged deliveries
	MaxAny             time.Duration // of every answered request
	ByStatus           map[int]int   // non-2xx answers
	NoAnswer           int
	FirstErr           error
	Steps              map[string][]time.Duration // per route, answered requests
}

func summarize(run loadRun) loadSummary {
	s := loadSummary{Sent: len(run.Results), ByStatus: map[int]int{}, Steps: map[string][]time.Duration{}}
	var acked []time.Duration
	for _, r := range run.Results {
		for _, st := range r.Steps {
			if st.Status != 0 {
				s.Steps[st.Route] = append(s.Steps[st.Route], st.Latency)
				s.MaxAny = max(s.MaxAny, st.Latency)
			}
		}
		last := r.Last()
		switch {
		case r.Acked():
			s.Acked++
			acked = append(acked, r.Latency)
		case last.Status == 0:
			s.NoAnswer++
			if s.FirstErr == nil {
				s.FirstErr = last.Err
			}
		default:
			s.ByStatus[last.Status]++
		}
	}
	s.AckedPerSec = float64(s.Acked) / max(run.Elapsed.Seconds(), 1e-9)
	s.P50, s.P90, s.P99, s.Max = percentile(acked, 0.50), percentile(acked, 0.90), percentile(acked, 0.99), percentile(acked, 1)
	return s
}

// percentile is the nearest-rank percentile; it sorts d.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	i := int(p*float64(len(d))+0.999999) - 1
	return d[min(max(i, 0), len(d)-1)]
}

func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 1, 64) + " ms" }

// Format renders the summary in the bench's one-screen style.
func (s loadSummary) Format(w io.Writer, run loadRun) {
	fmt.Fprintf(w, "sent:    %d deliveries in %s (offered %.0f/s)\n", s.Sent, run.Elapsed.Round(time.Millisecond), run.Offered)
	fmt.Fprintf(w, "acked:   %d, %.1f acknowledged/s\n", s.Acked, s.AckedPerSec)
	fmt.Fprintf(w, "latency: p50 %s, p90 %s, p99 %s, max %s (acknowledged); max of any answer %s\n", ms(s.P50), ms(s.P90), ms(s.P99), ms(s.Max), ms(s.MaxAny))
	routes := make([]string, 0, len(s.Steps))
	for r := range s.Steps {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	if len(routes) > 1 {
		for _, r := range routes {
			d := s.Steps[r]
			fmt.Fprintf(w, "         %s: p50 %s, p99 %s, max %s\n", r, ms(percentile(d, .5)), ms(percentile(d, .99)), ms(percentile(d, 1)))
		}
	}
	codes := make([]int, 0, len(s.ByStatus))
	for c := range s.ByStatus {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d×%d", c, s.ByStatus[c]))
	}
	if s.NoAnswer > 0 {
		parts = append(parts, fmt.Sprintf("no answer×%d (%v)", s.NoAnswer, s.FirstErr))
	}
	if len(parts) == 0 {
		parts = []string{"none"}
	}
	fmt.Fprintf(w, "non-2xx: %s\n", strings.Join(parts, ", "))
}

// replySink is a fake of the platforms' send APIs that accepts everything,
// so the outbox drains during a run; the rate-limited fakes of
// loadplatforms.go are for the broadcast benchmark. It counts calls.
type replySink struct {
	srv   *httptest.Server
	calls atomic.Int64
}

func newReplySink() *replySink {
	k := &replySink{}
	k.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 4<<20))
		k.calls.Add(1)
		p := r.URL.Path
		switch {
		case p == "/open-apis/auth/v3/tenant_access_token/internal":
			writeLoadJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "ok", "tenant_access_token": "t-sink", "expire": 7200})
		case p == "/open-apis/bot/v3/info":
			writeLoadJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "ok", "bot": map[string]any{"open_id": "ou_bot"}})
		case strings.HasPrefix(p, "/open-apis/"):
			writeLoadJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "success", "data": map[string]any{"message_id": "om_sink"}})
		case p == "/cgi-bin/gettoken":
			writeLoadJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": "sink-token", "expires_in": 7200})
		case strings.HasPrefix(p, "/cgi-bin/"):
			writeLoadJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": "sink"})
		case strings.HasPrefix(p, "/slack/"):
			writeLoadJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": "DSINK", "ts": "1700000000.000100"})
		default:
			http.NotFound(w, r)
		}
	}))
	return k
}

func (k *replySink) URL() string { return k.srv.URL }
func (k *replySink) Close()      { k.srv.Close() }
