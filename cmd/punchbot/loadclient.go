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
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/punchbot/punchbot/bots/feishu"
	"github.com/punchbot/punchbot/bots/playground/sim"
	"github.com/punchbot/punchbot/bots/slack"
	"github.com/punchbot/punchbot/bots/wecom"
	"github.com/punchbot/punchbot/core"
)

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
