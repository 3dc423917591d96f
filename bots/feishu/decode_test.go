package feishu

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
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
