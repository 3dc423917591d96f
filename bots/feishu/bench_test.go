package feishu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
)

// benchWriter is a reusable ResponseWriter, so the benchmark counts the
// handler's allocations rather than the recorder's.
type benchWriter struct {
	h      http.Header
	status int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *benchWriter) WriteHeader(status int)      { w.status = status }

// BenchmarkServeLocationEvent measures the hot path Feishu drives at
// punch-in time: a signed, encrypted im.message.receive_v1 location event
// through Bot.ServeHTTP, each with its own event id, against a core that
// answers at once, so the figure is the bot's own cost.
func BenchmarkServeLocationEvent(b *testing.B) {
	h := MustHarness(b, func(_ *Config, d *Deps) { d.Core = coreStub{} })
	lat, lng := gcj(0, 0)
	ts := strconv.FormatInt(h.clock.Now().Unix(), 10)
	reqs := make([]*http.Request, b.N)
	for i := range reqs {
		plain, _ := json.Marshal(h.event(msgEvent{eventID: fmt.Sprintf("ev-bench-%d", i), openID: aliceOpenID, msgType: "location", content: locContent("望京SOHO", lat, lng)}))
		iv := bytes.Repeat([]byte{byte(i)}, 16)
		body, _ := json.Marshal(map[string]string{"encrypt": larkEncrypt(plain, testKey, iv)})
		nonce := "nonce-" + strconv.Itoa(i)
		r, _ := http.NewRequest(http.MethodPost, "/feishu/events", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-Lark-Request-Timestamp", ts)
		r.Header.Set("X-Lark-Request-Nonce", nonce)
		r.Header.Set("X-Lark-Signature", larkSig(ts, nonce, testKey, body))
		reqs[i] = r
	}
	w := &benchWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clear(w.h)
		h.bot.ServeHTTP(w, reqs[i])
		if w.status != http.StatusOK {
			b.Fatalf("status %d, want 200", w.status)
		}
	}
}
