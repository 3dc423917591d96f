package feishu

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

const (
	testAppID    = "cli_test"
	testSecret   = "secret"
	testToken    = "vtoken-123"
	testKey      = "encrypt-key-456"
	testTenant   = "tk_acme"
	aliceOpenID  = "ou_alice"
	bobUserID    = "u_bob" // bound by user_id only in the org file
	strangerOpen = "ou_stranger"
)

// Office site, declared in WGS-84. Its GCJ-02 twin is what a Feishu client
// in mainland China reports for the same spot (~500 m away in raw degrees).
var office = struct{ lat, lng float64 }{39.99650, 116.47000}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// harness is a bot wired to a real core.Service over the in-memory store,
// with its outbound calls going to a fake Feishu API.
type harness struct {
	tb    testing.TB
	clock *clock
	store *coretest.MemStore
	crash *crashingStore // the core's view of store; see crash_test.go
	kv    *coretest.MemKV
	api   *fakeAPI
	bot   *Bot
	mux   *http.ServeMux
	seq   int
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// MustHarness builds the fixture at 08:58 on Wednesday 2026-11-25, Beijing.
func MustHarness(tb testing.TB, mutate ...func(*Config, *Deps)) *harness {
	tb.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		tb.Fatalf("load zone: %v", err)
	}
	clk := &clock{t: time.Date(2026, 11, 25, 8, 58, 0, 0, loc)}
	store := coretest.NewMemStore()
	kv := coretest.NewMemKV(clk.Now)
	org := core.Org{
		Name: "Acme", Lang: "zh", TimeZone: "Asia/Shanghai",
		Sites: []core.OrgSite{{Site: core.Site{ID: "wj", Name: "望京SOHO", Lat: office.lat, Lng: office.lng, RadiusM: 200}, Datum: core.WGS84}},
		Schedules: []core.Schedule{{ID: "std", Name: "Standard", WorkDays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
			StartMin: 9 * 60, EndMin: 18 * 60, CheckInOpensMin: 120, CheckOutClosesMin: 360, LateGraceMin: 5, OutOfRange: core.OutOfRangeReject}},
		Employees: []core.Employee{
			{ID: "E1", Name: "Alice", Lang: "zh", Active: true, ScheduleID: "std", SiteIDs: []string{"wj"},
				Identities: []core.Identity{{Platform: core.PlatformFeishu, Tenant: testTenant, UserID: aliceOpenID}}},
			{ID: "E2", Name: "Bob", Lang: "en", Active: true, ScheduleID: "std", SiteIDs: []string{"wj"},
				Identities: []core.Identity{{Platform: core.PlatformFeishu, UserID: bobUserID}}},
		},
	}
	if err := org.Prepare(); err != nil {
		tb.Fatalf("org.Prepare: %v", err)
	}
	if _, err := store.ApplyOrg(context.Background(), org, core.AuditEntry{At: clk.Now(), Actor: "admin", Action: "org.applied"}); err != nil {
		tb.Fatalf("ApplyOrg: %v", err)
	}
	crash := &crashingStore{MemStore: store}
	svc := core.NewService(crash, kv, kv, core.DefaultConfig(), clk.Now)
	api := newFakeAPI(tb)
	cfg := Config{AppID: testAppID, AppSecret: testSecret, VerificationToken: testToken, EncryptKey: testKey, BaseURL: api.URL()}
	deps := Deps{Core: svc, Sessions: kv, Now: clk.Now, Log: discardLog(), HTTPClient: api.srv.Client()}
	for _, m := range mutate {
		m(&cfg, &deps)
	}
	bot, err := New(cfg, deps)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	mux := http.NewServeMux()
	bot.Register(mux)
	return &harness{tb: tb, clock: clk, store: store, crash: crash, kv: kv, api: api, bot: bot, mux: mux}
}

// larkEncrypt is PLATFORMS.md Appendix A: iv ‖ AES-256-CBC(sha256(key)), base64.
func larkEncrypt(plain []byte, encryptKey string, iv []byte) string {
	k := sha256.Sum256([]byte(encryptKey))
	blk, _ := aes.NewCipher(k[:])
	pad := 16 - len(plain)%16
	p := append(append([]byte{}, plain...), bytes.Repeat([]byte{byte(pad)}, pad)...)
	out := make([]byte, len(p))
	cipher.NewCBCEncrypter(blk, iv).CryptBlocks(out, p)
	return base64.StdEncoding.EncodeToString(append(append([]byte{}, iv...), out...))
}

// larkSig is PLATFORMS.md Appendix A, written independently of the SDK.
func larkSig(ts, nonce, encryptKey string, body []byte) string {
	h := sha256.Sum256(append([]byte(ts+nonce+encryptKey), body...))
	return hex.EncodeToString(h[:])
}

// delivery describes how a callback is sent.
type delivery struct {
	plaintext bool          // send the JSON as is instead of {"encrypt": …}
	skew      time.Duration // timestamp offset from the clock
	badSig    bool
	noSig     bool
	key       string // encrypt key to use; default testKey
	raw       []byte // send these bytes as the (signed) body
}

// post delivers a callback through the real HTTP handler.
func (h *harness) post(payload any, d delivery) *httptest.ResponseRecorder {
	h.tb.Helper()
	key := d.key
	if key == "" {
		key = testKey
	}
	body := d.raw
	if body == nil {
		plain, err := json.Marshal(payload)
		if err != nil {
			h.tb.Fatalf("marshal payload: %v", err)
		}
		body = plain
		if !d.plaintext {
			iv := bytes.Repeat([]byte{byte(h.seq + 1)}, 16)
			body, _ = json.Marshal(map[string]string{"encrypt": larkEncrypt(plain, key, iv)})
		}
	}
	h.seq++
	ts := strconv.FormatInt(h.clock.Now().Add(d.skew).Unix(), 10)
	nonce := fmt.Sprintf("nonce-%d", h.seq)
	req := httptest.NewRequest(http.MethodPost, "/feishu/events", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Lark-Request-Timestamp", ts)
	req.Header.Set("X-Lark-Request-Nonce", nonce)
	if !d.noSig {
		sig := larkSig(ts, nonce, key, body)
		if d.badSig {
			sig = larkSig(ts, nonce, key+"x", body)
		}
		req.Header.Set("X-Lark-Signature", sig)
	}
	rec := httptest.NewRecorder()
	h.mux.ServeHTTP(rec, req)
	return rec
}

// msgEvent is an im.message.receive_v1 envelope as Feishu sends it.
type msgEvent struct {
	eventID, messageID string
	openID, userID     string
	chatType, msgType  string
	content            any // marshalled into the content string
	mentions           []map[string]any
	sentAt             time.Time
	token              string
	eventType          string
}

func (h *harness) event(e msgEvent) map[string]any {
	if e.eventID == "" {
		h.seq++
		e.eventID = fmt.Sprintf("ev-%d", h.seq)
	}
	if e.messageID == "" {
		e.messageID = "om_" + e.eventID
	}
	if e.chatType == "" {
		e.chatType = "p2p"
	}
	if e.sentAt.IsZero() {
		e.sentAt = h.clock.Now().Add(-2 * time.Second)
	}
	if e.token == "" {
		e.token = testToken
	}
	if e.eventType == "" {
		e.eventType = "im.message.receive_v1"
	}
	content, _ := json.Marshal(e.content)
	senderID := map[string]any{"union_id": "on_" + e.openID}
	if e.openID != "" {
		senderID["open_id"] = e.openID
	}
	if e.userID != "" {
		senderID["user_id"] = e.userID
	}
	ms := strconv.FormatInt(e.sentAt.UnixMilli(), 10)
	msg := map[string]any{
		"message_id": e.messageID, "chat_id": "oc_chat1", "chat_type": e.chatType, "message_type": e.msgType,
		"content": string(content), "create_time": ms, "update_time": ms,
	}
	if e.mentions != nil {
		msg["mentions"] = e.mentions
	}
	return map[string]any{
		"schema": "2.0",
		"header": map[string]any{"event_id": e.eventID, "event_type": e.eventType, "create_time": ms, "token": e.token, "app_id": testAppID, "tenant_key": testTenant},
		"event": map[string]any{
			"sender":  map[string]any{"sender_id": senderID, "sender_type": "user", "tenant_key": testTenant},
			"message": msg,
		},
	}
}

func textContent(t string) map[string]string { return map[string]string{"text": t} }

// locContent is a location message body; Feishu sends the numbers as strings.
func locContent(name string, lat, lng float64) map[string]string {
	return map[string]string{"name": name, "latitude": strconv.FormatFloat(lat, 'f', 6, 64), "longitude": strconv.FormatFloat(lng, 'f', 6, 64)}
}

// gcj returns the GCJ-02 coordinates of a point north/east of the office by
// the given metres, as a phone in China would report them.
func gcj(northM, eastM float64) (float64, float64) {
	lat := office.lat + northM/111320
	lng := office.lng + eastM/(111320*0.766) // cos(40°)
	return core.WGS84ToGCJ02(lat, lng)
}

func (h *harness) punches() []core.Punch {
	h.tb.Helper()
	ps, err := h.store.ListPunches(context.Background(), core.PunchFilter{})
	if err != nil {
		h.tb.Fatalf("ListPunches: %v", err)
	}
	return ps
}

// runOutbox runs one pass of the real outbox worker with the bot as sender.
func (h *harness) runOutbox() int {
	h.tb.Helper()
	w := &core.OutboxWorker{Store: h.store, Senders: map[core.Platform]core.Sender{core.PlatformFeishu: h.bot}, Now: h.clock.Now, Log: discardLog()}
	n, err := w.RunOnce(context.Background())
	if err != nil {
		h.tb.Fatalf("RunOnce: %v", err)
	}
	return n
}

// sentContent decodes the content string of a recorded message request.
func sentContent(tb testing.TB, c apiCall) map[string]any {
	tb.Helper()
	s, ok := c.Body["content"].(string)
	if !ok {
		tb.Fatalf("content is %T, want a JSON string", c.Body["content"])
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		tb.Fatalf("content %q is not JSON: %v", s, err)
	}
	return v
}
