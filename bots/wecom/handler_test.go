package wecom

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// vectorBot is a bot with the credentials of the official vectors.
func vectorBot(t *testing.T, at string) (*http.ServeMux, *coretest.MemStore) {
	t.Helper()
	sec, _ := strconv.ParseInt(at, 10, 64)
	now := func() time.Time { return time.Unix(sec, 0) }
	store := coretest.NewMemStore()
	kv := coretest.NewMemKV(now)
	svc := core.NewService(store, kv, kv, core.DefaultConfig(), now)
	bot, err := New(Config{CorpID: vecCorpID, AgentID: "218", Secret: "s", Token: vecToken, EncodingAESKey: vecAESKey},
		Deps{Core: svc, Sessions: kv, Now: now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux := http.NewServeMux()
	bot.Register(mux)
	return mux, store
}

func TestOfficialVectorsThroughHandler(t *testing.T) {
	t.Run("W1 URL verification", func(t *testing.T) {
		mux, _ := vectorBot(t, w1Timestamp)
		target := fmt.Sprintf("%s?msg_signature=%s&timestamp=%s&nonce=%s&echostr=%s", CallbackPath, w1Signature, w1Timestamp, w1Nonce, w1EchoURL)
		rec := serve(mux, http.MethodGet, target, "")
		if rec.Code != http.StatusOK || rec.Body.String() != w1Plain {
			t.Errorf("GET W1: got %d %q, want 200 %q", rec.Code, rec.Body.String(), w1Plain)
		}
	})
	// W2 ("hello" from mycreate, who is in no org file) is answered with
	// a passive reply: TestOfficialVectorAnsweredWithPassiveReply.
}

func TestTextPunchThenLocation(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.post(textXML(testUser, "上班", "1001", e.unix(2*time.Second)))
	if ps := e.punches(); len(ps) != 0 {
		t.Fatalf("after 上班 without a location: %d punches, want 0", len(ps))
	}
	rs := e.replies()
	if len(rs) != 1 || rs[0].Outcome != core.OutcomeNeedLocation || rs[0].Kind != core.KindIn {
		t.Fatalf("replies after 上班 = %+v, want one need_location for in", rs)
	}
	if text := RenderReply(rs[0], ""); !strings.Contains(text, "位置打卡") || !strings.Contains(text, "上班打卡") {
		t.Errorf("need-location text %q: want the 上班打卡 intent and the menu's 位置打卡 button", text)
	}

	e.clock.Advance(40 * time.Second)
	lat, lng := gcjNear(30)
	e.post(locationXML(testUser, lat, lng, "望京SOHO", "1002", e.unix(time.Second)))
	ps := e.punches()
	if len(ps) != 1 {
		t.Fatalf("after the location: %d punches, want exactly 1", len(ps))
	}
	p := ps[0]
	if p.Kind != core.KindIn || p.Outcome != core.OutcomeAccepted || p.SiteID != "wangjing" || p.Label != "望京SOHO" {
		t.Errorf("punch = kind %s outcome %s site %s label %q, want an accepted in at wangjing labelled 望京SOHO", p.Kind, p.Outcome, p.SiteID, p.Label)
	}
	if want := e.clock.Now().Add(-time.Second).Truncate(time.Second); !p.At.Equal(want) {
		t.Errorf("punch time = %v, want CreateTime %v", p.At, want)
	}
	if p.EventID != "msg:1002" || p.Source != "wecom" {
		t.Errorf("punch event = %s/%s, want wecom/msg:1002", p.Source, p.EventID)
	}
}

func TestLocationInsideAndOutsideSite(t *testing.T) {
	tests := []struct {
		name        string
		northM      float64
		wantOutcome core.Outcome
		wantText    []string
	}{
		// 150 m from a 200 m site, given in GCJ-02: if the datum were
		// ignored the ~500 m GCJ offset would put it outside.
		{"inside, GCJ-02 input near a WGS-84 site", 150, core.OutcomeAccepted, []string{"上班打卡成功", siteName}},
		{"outside by 2 km", 2000, core.OutcomeRejected, []string{"不在打卡范围内", "距 " + siteName + " 2.0 km", "允许 200 m"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			lat, lng := gcjNear(tt.northM)
			if d := core.DistanceM(lat, lng, siteLat, siteLng); tt.northM < siteRadiusM && d < siteRadiusM+100 {
				t.Fatalf("test setup: GCJ-02 point only %.0f m from the WGS-84 site; the datum check would prove nothing", d)
			}
			e.post(locationXML(testUser, lat, lng, "", "2001", e.unix(time.Second)))
			ps := e.punches()
			if len(ps) != 1 || ps[0].Outcome != tt.wantOutcome {
				t.Fatalf("punches = %+v, want one %s", ps, tt.wantOutcome)
			}
			if math.Abs(ps[0].DistanceM-tt.northM) > 5 {
				t.Errorf("distance = %.1f m, want about %.0f m", ps[0].DistanceM, tt.northM)
			}
			rs := e.replies()
			if len(rs) != 1 {
				t.Fatalf("%d replies, want 1", len(rs))
			}
			text := RenderReply(rs[0], "")
			for _, w := range tt.wantText {
				if !strings.Contains(text, w) {
					t.Errorf("reply %q does not contain %q", text, w)
				}
			}
		})
	}
}

func TestLocationEventThenPunch(t *testing.T) {
	e := newEnv(t, envOptions{})
	lat, lng := gcjNear(50)
	e.post(locationEventXML(testUser, lat, lng, 30, e.unix(0)))
	if n := len(e.store.Outbox()); n != 0 {
		t.Errorf("the LOCATION event queued %d replies, want none", n)
	}
	e.clock.Advance(time.Minute)
	e.post(textXML(testUser, "打卡", "3001", e.unix(time.Second)))
	ps := e.punches()
	if len(ps) != 1 {
		t.Fatalf("%d punches, want 1", len(ps))
	}
	p := ps[0]
	wLat, wLng := core.GCJ02ToWGS84(lat, lng)
	if !p.HasLocation || math.Abs(p.Lat-wLat) > 1e-6 || math.Abs(p.Lng-wLng) > 1e-6 || p.AccuracyM != 30 {
		t.Errorf("punch at %v,%v ±%v, want the reported %v,%v ±30 (WGS-84)", p.Lat, p.Lng, p.AccuracyM, wLat, wLng)
	}
	if p.Outcome != core.OutcomeAccepted || p.Kind != core.KindIn {
		t.Errorf("punch = %s %s, want accepted in", p.Outcome, p.Kind)
	}
	if rs := e.replies(); len(rs) != 1 || rs[0].Outcome != core.OutcomeAccepted {
		t.Errorf("replies = %+v, want one accepted", rs)
	}
}

func TestRetriesCreateOnePunch(t *testing.T) {
	tests := []struct {
		name string
		opts envOptions
	}{
		{"with the session fast path", envOptions{}},
		{"core idempotency alone", envOptions{noSessions: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.opts)
			lat, lng := gcjNear(20)
			s := e.seal(locationXML(testUser, lat, lng, "", "4001", e.unix(time.Second)))
			var answers []string
			for i := range 3 {
				answers = append(answers, mustOpenPassive(t, e.enc, e.deliver(s)).Msg.Content)
				if answers[i] != answers[0] {
					t.Errorf("delivery %d answered %q, want %q", i+1, answers[i], answers[0])
				}
				e.clock.Advance(5 * time.Second)
			}
			if ps := e.punches(); len(ps) != 1 {
				t.Errorf("%d punches after three deliveries, want 1", len(ps))
			}
			// The reply travelled in the answers: nothing to send.
			if n := len(e.store.Outbox()); n != 0 {
				t.Errorf("%d outbox messages after three deliveries, want 0", n)
			}
			if n := len(e.fake.CallsTo("/cgi-bin/message/send")); n != 0 {
				t.Errorf("WeCom received %d message/send calls, want 0", n)
			}
		})
	}
}

func TestMenuEvents(t *testing.T) {
	lat, lng := gcjNear(10)
	tests := []struct {
		name        string
		plain       func(e *env) string
		wantPunches int
		wantKind    core.PunchKind
		wantOutcome core.Outcome // of the one reply; "" for no reply
	}{
		{"click punch_in asks for a location", func(e *env) string { return clickXML(testUser, KeyPunchIn, e.unix(0)) }, 0, "", core.OutcomeNeedLocation},
		{"click status", func(e *env) string { return clickXML(testUser, KeyStatus, e.unix(0)) }, 0, "", core.OutcomeStatus},
		{"click help", func(e *env) string { return clickXML(testUser, KeyHelp, e.unix(0)) }, 0, "", core.OutcomeHelp},
		{"click unknown key is ignored", func(e *env) string { return clickXML(testUser, "open_portal", e.unix(0)) }, 0, "", ""},
		{"location_select punch_out", func(e *env) string { return locationSelectXML(testUser, KeyPunchOut, lat, lng, e.unix(0)) }, 1, core.KindOut, core.OutcomeAccepted},
		{"location_select auto", func(e *env) string { return locationSelectXML(testUser, "punch_location", lat, lng, e.unix(0)) }, 1, core.KindIn, core.OutcomeAccepted},
		{"unknown text gets help", func(e *env) string { return textXML(testUser, "你好", "5001", e.unix(0)) }, 0, "", core.OutcomeHelp},
		{"status text", func(e *env) string { return textXML(testUser, "状态", "5002", e.unix(0)) }, 0, "", core.OutcomeStatus},
		{"unknown user", func(e *env) string { return locationXML("lisi", lat, lng, "", "5003", e.unix(0)) }, 0, "", core.OutcomeUnknownUser},
		{"enter_agent event ignored", func(e *env) string {
			return strings.Replace(clickXML(testUser, "", e.unix(0)), "CDATA[click]", "CDATA[enter_agent]", 1)
		}, 0, "", ""},
		{"template_card_event ignored until make-up cards exist", func(e *env) string {
			return strings.Replace(docCardEvent, "1700000000", strconv.FormatInt(e.unix(0), 10), 1)
		}, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			e.post(tt.plain(e))
			ps := e.punches()
			if len(ps) != tt.wantPunches {
				t.Fatalf("%d punches, want %d", len(ps), tt.wantPunches)
			}
			if tt.wantPunches == 1 && (ps[0].Kind != tt.wantKind || ps[0].Label != "望京SOHO T1") {
				t.Errorf("punch kind %s label %q, want %s labelled with the POI name", ps[0].Kind, ps[0].Label, tt.wantKind)
			}
			rs := e.replies()
			if tt.wantOutcome == "" {
				if len(rs) != 0 {
					t.Errorf("replies = %+v, want none", rs)
				}
				return
			}
			if len(rs) != 1 || rs[0].Outcome != tt.wantOutcome {
				t.Errorf("replies = %+v, want one %s", rs, tt.wantOutcome)
			}
		})
	}
}

// A menu-picked location may come with the same position as a message; the
// pair is one punch, whichever comes first, while two deliberate shares are
// two, and WeCom's retry of the first is not taken for its echo.
func TestLocationSelectEcho(t *testing.T) {
	lat, lng := gcjNear(10)
	pick := func(e *env) string { return locationSelectXML(testUser, KeyPunchIn, lat, lng, e.unix(0)) }
	message := func(id string) func(e *env) string {
		return func(e *env) string { return locationXML(testUser, lat, lng, "", id, e.unix(0)) }
	}
	type delivery struct {
		after time.Duration
		xml   func(e *env) string // nil: WeCom's retry of the delivery before
	}
	tests := []struct {
		name        string
		deliveries  []delivery
		wantPunches int
	}{
		{"menu pick, then its echoed message", []delivery{{0, pick}, {time.Second, message("6001")}}, 1},
		{"message, then the menu pick echoing it", []delivery{{0, message("6001")}, {time.Second, pick}}, 1},
		{"a retry of the pick, then its echo", []delivery{{0, pick}, {time.Second, nil}, {time.Second, message("6001")}}, 1},
		{"two messages are two shares", []delivery{{0, message("6001")}, {time.Second, message("6002")}}, 2},
		{"a share after the echo window", []delivery{{0, pick}, {time.Second, message("6001")}, {2 * time.Minute, message("6002")}}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			var last string
			for _, d := range tt.deliveries {
				e.clock.Advance(d.after)
				if d.xml != nil {
					last = d.xml(e)
				}
				e.post(last)
			}
			if ps := e.punches(); len(ps) != tt.wantPunches {
				t.Errorf("%d punches, want %d: %+v", len(ps), tt.wantPunches, ps)
			}
		})
	}
}

func TestMsgIDForms(t *testing.T) {
	lat, lng := gcjNear(10)
	e := newEnv(t, envOptions{})
	e.post(locationXML(testUser, lat, lng, "", "CAIQg/PKxgYY2sC9tpuAgAMg9/zKaw==", e.unix(0)))
	e.clock.Advance(time.Minute)
	e.post(strings.NewReplacer("<![CDATA[", "", "]]>", "").Replace(locationXML(testUser, lat, lng, "", "7349210001", e.unix(0))))
	ps := e.punches()
	if len(ps) != 2 {
		t.Fatalf("%d punches, want 2", len(ps))
	}
	if ps[0].EventID != "msg:CAIQg/PKxgYY2sC9tpuAgAMg9/zKaw==" || ps[1].EventID != "msg:7349210001" {
		t.Errorf("event ids = %q, %q; want the string and the numeric MsgId", ps[0].EventID, ps[1].EventID)
	}
	if ps[1].Kind != core.KindOut {
		t.Errorf("second punch kind = %s, want out", ps[1].Kind)
	}
}

func TestRejectedCallbacksStoreNothing(t *testing.T) {
	lat, lng := gcjNear(10)
	type req struct {
		method, target, body string
	}
	tests := []struct {
		name  string
		build func(e *env) req
		want  int
	}{
		{"bad signature", func(e *env) req {
			s := e.seal(locationXML(testUser, lat, lng, "", "8001", e.unix(0)))
			s.query.Set("msg_signature", strings.Repeat("0", 40))
			return req{http.MethodPost, CallbackPath + "?" + s.query.Encode(), s.body}
		}, http.StatusForbidden},
		{"signature over another nonce", func(e *env) req {
			s := e.seal(locationXML(testUser, lat, lng, "", "8002", e.unix(0)))
			s.query.Set("nonce", "999")
			return req{http.MethodPost, CallbackPath + "?" + s.query.Encode(), s.body}
		}, http.StatusForbidden},
		{"stale timestamp", func(e *env) req {
			e.clock.Advance(-6 * time.Minute)
			s := e.seal(locationXML(testUser, lat, lng, "", "8003", e.unix(0)))
			e.clock.Advance(6 * time.Minute)
			return req{http.MethodPost, CallbackPath + "?" + s.query.Encode(), s.body}
		}, http.StatusBadRequest},
		{"timestamp from the future", func(e *env) req {
			e.clock.Advance(6 * time.Minute)
			s := e.seal(locationXML(testUser, lat, lng, "", "8004", e.unix(0)))
			e.clock.Advance(-6 * time.Minute)
			return req{http.MethodPost, CallbackPath + "?" + s.query.Encode(), s.body}
		}, http.StatusBadRequest},
		{"wrong receiveid", func(e *env) req {
			other := mustCrypto(e.t, testToken, testAESKey, "wwanothercorp")
			enc := other.mustEncrypt(e.t, locationXML(testUser, lat, lng, "", "8005", e.unix(0)))
			ts := strconv.FormatInt(e.clock.Now().Unix(), 10)
			target := fmt.Sprintf("%s?msg_signature=%s&timestamp=%s&nonce=1", CallbackPath, other.Sign(ts, "1", enc), ts)
			return req{http.MethodPost, target, "<xml><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"}
		}, http.StatusBadRequest},
		{"broken envelope XML", func(e *env) req {
			s := e.seal(locationXML(testUser, lat, lng, "", "8006", e.unix(0)))
			return req{http.MethodPost, CallbackPath + "?" + s.query.Encode(), s.body[:len(s.body)/2]}
		}, http.StatusBadRequest},
		{"broken plaintext XML", func(e *env) req {
			s := e.seal("<xml><FromUserName>zhangsan</FromUserName><MsgType>location")
			return req{http.MethodPost, CallbackPath + "?" + s.query.Encode(), s.body}
		}, http.StatusBadRequest},
		{"garbage Encrypt, correctly signed", func(e *env) req {
			ts := strconv.FormatInt(e.clock.Now().Unix(), 10)
			enc := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
			target := fmt.Sprintf("%s?msg_signature=%s&timestamp=%s&nonce=1", CallbackPath, e.enc.Sign(ts, "1", enc), ts)
			return req{http.MethodPost, target, "<xml><Encrypt>" + enc + "</Encrypt></xml>"}
		}, http.StatusBadRequest},
		{"missing query parameters", func(e *env) req {
			s := e.seal(locationXML(testUser, lat, lng, "", "8007", e.unix(0)))
			return req{http.MethodPost, CallbackPath, s.body}
		}, http.StatusBadRequest},
		{"body over 1 MiB", func(e *env) req {
			s := e.seal(locationXML(testUser, lat, lng, "", "8008", e.unix(0)))
			return req{http.MethodPost, CallbackPath + "?" + s.query.Encode(), s.body + strings.Repeat(" ", 1<<20)}
		}, http.StatusRequestEntityTooLarge},
		{"unknown MsgType is acknowledged and ignored", func(e *env) req {
			s := e.seal(strings.Replace(textXML(testUser, "上班", "8009", e.unix(0)), "CDATA[text]", "CDATA[hologram]", 1))
			return req{http.MethodPost, CallbackPath + "?" + s.query.Encode(), s.body}
		}, http.StatusOK},
		{"image message is acknowledged and ignored", func(e *env) req {
			s := e.seal(strings.Replace(textXML(testUser, "x", "8010", e.unix(0)), "CDATA[text]", "CDATA[image]", 1))
			return req{http.MethodPost, CallbackPath + "?" + s.query.Encode(), s.body}
		}, http.StatusOK},
		{"GET with a bad signature", func(e *env) req {
			ts := strconv.FormatInt(e.clock.Now().Unix(), 10)
			return req{http.MethodGet, fmt.Sprintf("%s?msg_signature=%s&timestamp=%s&nonce=1&echostr=%s", CallbackPath, strings.Repeat("a", 40), ts, w1EchoURL), ""}
		}, http.StatusForbidden},
		{"GET without echostr", func(e *env) req {
			return req{http.MethodGet, CallbackPath + "?msg_signature=x&timestamp=1&nonce=1", ""}
		}, http.StatusBadRequest},
		{"PUT", func(e *env) req { return req{http.MethodPut, CallbackPath, ""} }, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			r := tt.build(e)
			rec := serve(e.mux, r.method, r.target, r.body)
			if rec.Code != tt.want {
				t.Errorf("status = %d (%s), want %d", rec.Code, strings.TrimSpace(rec.Body.String()), tt.want)
			}
			if ps := e.punches(); len(ps) != 0 {
				t.Errorf("stored %d punches, want 0", len(ps))
			}
			if out := e.store.Outbox(); len(out) != 0 {
				t.Errorf("queued %d replies, want 0", len(out))
			}
			if keys := e.kv.Keys(""); len(keys) != 0 {
				t.Errorf("session keys %v, want none", keys)
			}
		})
	}
}

// A store failure is not acknowledged: WeCom gets a 500 and its retry,
// once the store is back, is processed in full.
func TestCoreFailureIsRetried(t *testing.T) {
	failures := 1
	e := newEnv(t, envOptions{core: func(svc *core.Service) coreFunc {
		return func(ctx context.Context, cmd core.Command) (core.Reply, error) {
			if failures > 0 {
				failures--
				return core.Reply{}, core.Errorf(core.EUNAVAILABLE, "database is down")
			}
			return svc.Handle(ctx, cmd)
		}
	}})
	lat, lng := gcjNear(10)
	s := e.seal(locationXML(testUser, lat, lng, "", "9001", e.unix(0)))
	if rec := e.deliver(s); rec.Code != http.StatusInternalServerError {
		t.Fatalf("first delivery with the store down: status %d, want 500", rec.Code)
	}
	if ps := e.punches(); len(ps) != 0 {
		t.Fatalf("%d punches after a failure, want 0", len(ps))
	}
	e.clock.Advance(5 * time.Second)
	if rec := e.deliver(s); rec.Code != http.StatusOK {
		t.Fatalf("retry: status %d, want 200", rec.Code)
	}
	if ps := e.punches(); len(ps) != 1 {
		t.Errorf("%d punches after the retry, want 1", len(ps))
	}
}

func TestNewValidatesConfig(t *testing.T) {
	good := Config{CorpID: testCorpID, AgentID: "1000002", Secret: testSecret, Token: testToken, EncodingAESKey: testAESKey}
	deps := Deps{Core: coreFunc(func(context.Context, core.Command) (core.Reply, error) { return core.Reply{}, nil })}
	if b, err := New(good, deps); err != nil || b.Client().base != DefaultAPIURL || b.Client().AgentID() != 1000002 {
		t.Fatalf("New(good) = %v; want a bot on %s with agent 1000002", err, DefaultAPIURL)
	}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"no corp id", func(c *Config) { c.CorpID = "" }, "PUNCHBOT_WECOM_CORP_ID"},
		{"agent id not a number", func(c *Config) { c.AgentID = "abc" }, "PUNCHBOT_WECOM_AGENT_ID"},
		{"agent id zero", func(c *Config) { c.AgentID = "0" }, "PUNCHBOT_WECOM_AGENT_ID"},
		{"no secret", func(c *Config) { c.Secret = "" }, "PUNCHBOT_WECOM_SECRET"},
		{"no token", func(c *Config) { c.Token = "" }, "PUNCHBOT_WECOM_TOKEN"},
		{"AES key 42 chars", func(c *Config) { c.EncodingAESKey = testAESKey[:42] }, "PUNCHBOT_WECOM_ENCODING_AES_KEY"},
		{"API URL without scheme", func(c *Config) { c.APIURL = "qyapi.weixin.qq.com" }, "PUNCHBOT_WECOM_API_URL"},
	}
	for _, tt := range tests {
		cfg := good
		tt.mutate(&cfg)
		_, err := New(cfg, deps)
		if core.ErrorCode(err) != core.EINVALID || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: New error %v, want EINVALID naming %s", tt.name, err, tt.want)
		}
	}
	if _, err := New(good, Deps{}); err == nil {
		t.Errorf("New without a core: no error, want one")
	}
}

// BenchmarkReceive measures the bot's own share of a callback: signature,
// timestamp, decryption, parsing and translation, with a core that answers
// at once.
func BenchmarkReceive(b *testing.B) {
	e := newEnv(b, envOptions{noSessions: true, core: func(*core.Service) coreFunc {
		return func(context.Context, core.Command) (core.Reply, error) { return core.Reply{}, nil }
	}})
	lat, lng := gcjNear(10)
	s := e.seal(locationXML(testUser, lat, lng, "望京SOHO", "12001", e.unix(0)))
	target := CallbackPath + "?" + s.query.Encode()
	b.ReportAllocs()
	for b.Loop() {
		if rec := serve(e.mux, http.MethodPost, target, s.body); rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
