package feishu

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/punchbot/punchbot/core"
)

func TestEncryptedOnly(t *testing.T) {
	for _, tc := range []struct {
		body   string
		want   string
		wantOK bool
	}{
		{`{"encrypt":"P37w+VZI="}`, "P37w+VZI=", true},
		{" \n{\"encrypt\":\"abc\"}\r\n", "abc", true},
		{`{"encrypt":"abc"  }`, "abc", true},
		{`{"encrypt":"a\/b"}`, "", false}, // an escape: left to the decoder
		{`{"encrypt": "abc"}`, "", false},
		{`{"encrypt":"abc","schema":"2.0"}`, "", false},
		{`{"encrypt":"abc"`, "", false},
		{`{"encrypt":"abc"}}`, "", false},
		{`{"schema":"2.0"}`, "", false},
		{``, "", false},
	} {
		got, ok := encryptedOnly([]byte(tc.body))
		if string(got) != tc.want || ok != tc.wantOK {
			t.Errorf("encryptedOnly(%q) = %q, %v; want %q, %v", tc.body, got, ok, tc.want, tc.wantOK)
		}
	}
}

// TestEveryEnvelopeShapeReachesTheCore sends one location event in each
// form Feishu may use: the plain {"encrypt":…} read without a decoder, the
// same with JSON escapes and spacing that only a decoder understands, and
// plaintext for an app without an Encrypt Key.
func TestEveryEnvelopeShapeReachesTheCore(t *testing.T) {
	for _, tc := range []struct {
		name  string
		noKey bool
		body  func(h *harness, plain []byte) []byte
	}{
		{"encrypt only", false, func(h *harness, plain []byte) []byte {
			buf, _ := json.Marshal(map[string]string{"encrypt": larkEncrypt(plain, testKey, make([]byte, 16))})
			return buf
		}},
		{"encrypt with escapes", false, func(h *harness, plain []byte) []byte {
			enc := larkEncrypt(plain, testKey, []byte("0123456789abcdef"))
			return []byte(`{ "encrypt" : "` + strings.ReplaceAll(enc, "/", `\/`) + `" }`)
		}},
		{"plaintext app", true, func(h *harness, plain []byte) []byte { return plain }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := MustHarness(t, func(c *Config, _ *Deps) {
				if tc.noKey {
					c.EncryptKey = ""
				}
			})
			lat, lng := gcj(0, 0)
			plain, _ := json.Marshal(h.event(msgEvent{openID: aliceOpenID, msgType: "location", content: locContent("office", lat, lng)}))
			d := delivery{raw: tc.body(h, plain)}
			if tc.noKey {
				d.noSig = true
			}
			if rec := h.post(nil, d); rec.Code != http.StatusOK {
				t.Fatalf("status = %d (%s), want 200", rec.Code, rec.Body)
			}
			if got := len(h.punches()); got != 1 {
				t.Fatalf("%d punches, want 1", got)
			}
		})
	}
}

// TestEventShapeMattersOnlyForHandledTypes: a body whose "message" is not an
// object is malformed for im.message.receive_v1 (400, so it is not retried
// forever), but another event type may use the key differently and is just
// acknowledged.
func TestEventShapeMattersOnlyForHandledTypes(t *testing.T) {
	for _, tc := range []struct {
		eventType  string
		wantStatus int
	}{
		{"im.message.receive_v1", http.StatusBadRequest},
		{"card.action.trigger", http.StatusBadRequest},
		{"im.chat.updated_v1", http.StatusOK},
	} {
		t.Run(tc.eventType, func(t *testing.T) {
			h := MustHarness(t)
			ev := h.event(msgEvent{openID: aliceOpenID, msgType: "text", content: textContent("上班"), eventType: tc.eventType})
			ev["event"] = map[string]any{"message": "a string", "action": 7}
			if rec := h.post(ev, delivery{}); rec.Code != tc.wantStatus {
				t.Fatalf("status = %d (%s), want %d", rec.Code, rec.Body, tc.wantStatus)
			}
			if got := len(h.store.Outbox()); got != 0 {
				t.Errorf("%d replies queued, want 0", got)
			}
		})
	}
}

// recordingCore keeps every command it is handed, safely across goroutines.
type recordingCore struct {
	mu   sync.Mutex
	cmds map[string]core.Command
}

func (c *recordingCore) Handle(_ context.Context, cmd core.Command) (core.Reply, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cmds[cmd.EventID] = cmd
	return core.Reply{}, nil
}

// TestConcurrentEventsKeepTheirOwnData delivers events concurrently: the
// body and plaintext buffers are recycled between requests, so any field
// decoded without a copy would show another event's data here (run it
// with -race as well).
func TestConcurrentEventsKeepTheirOwnData(t *testing.T) {
	rc := &recordingCore{cmds: map[string]core.Command{}}
	h := MustHarness(t, func(_ *Config, d *Deps) { d.Core = rc })
	const n = 200
	ts := strconv.FormatInt(h.clock.Now().Unix(), 10)
	reqs := make([]*http.Request, n)
	for i := range reqs {
		id := fmt.Sprintf("ev-par-%d", i)
		plain, _ := json.Marshal(h.event(msgEvent{eventID: id, openID: fmt.Sprintf("ou_user%d", i), msgType: "location",
			content: locContent(strings.Repeat("x", i), 30+float64(i)/1000, 116)}))
		body, _ := json.Marshal(map[string]string{"encrypt": larkEncrypt(plain, testKey, bytes.Repeat([]byte{byte(i)}, 16))})
		r := httptest.NewRequest(http.MethodPost, "/feishu/events", bytes.NewReader(body))
		nonce := "n" + strconv.Itoa(i)
		r.Header.Set("X-Lark-Request-Timestamp", ts)
		r.Header.Set("X-Lark-Request-Nonce", nonce)
		r.Header.Set("X-Lark-Signature", larkSig(ts, nonce, testKey, body))
		reqs[i] = r
	}
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i, r := range reqs {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			h.bot.ServeHTTP(rec, r)
			codes[i] = rec.Code
		})
	}
	wg.Wait()
	for i := range n {
		id := fmt.Sprintf("ev-par-%d", i)
		cmd, ok := rc.cmds[id]
		if codes[i] != http.StatusOK || !ok {
			t.Fatalf("%s: status %d, reached the core %v", id, codes[i], ok)
		}
		wantLat := 30 + float64(i)/1000
		if cmd.Actor.UserID != fmt.Sprintf("ou_user%d", i) || cmd.Location == nil || cmd.Location.Label != strings.Repeat("x", i) || math.Abs(cmd.Location.Lat-wantLat) > 1e-6 {
			t.Errorf("%s: command %+v (location %+v), want user ou_user%d at %.3f", id, cmd, cmd.Location, i, wantLat)
		}
	}
}
