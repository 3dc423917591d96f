package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"
)

// The fake platforms below speak just enough of the WeCom, Feishu and Slack
// send APIs for `punchbot bench broadcast` and the delivery tests: they
// enforce a rate limit the way each platform answers it (WeCom errcode
// 45009, Feishu code 99991400 with x-ogw-ratelimit-reset, Slack HTTP 429
// with Retry-After) and count what each recipient received, so duplicates
// and losses can be checked. They never leave the process.

// loadLimiter is a token bucket that answers at once: a call over the
// limit is refused, as a platform gateway does.
type loadLimiter struct {
	now    func() time.Time
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newLoadLimiter(rate float64, burst int, now func() time.Time) *loadLimiter {
	if rate <= 0 {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	return &loadLimiter{now: now, rate: rate, burst: float64(max(burst, 1)), tokens: float64(max(burst, 1)), last: now()}
}

// allow takes a token if there is one.
func (l *loadLimiter) allow() bool {
	if l == nil {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.tokens = min(l.burst, l.tokens+max(0, now.Sub(l.last).Seconds())*l.rate)
	l.last = now
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}

// loadTally counts deliveries per recipient and calls over time.
type loadTally struct {
	now      func() time.Time
	mu       sync.Mutex
	got      map[string]int
	calls    int
	limited  int
	firstAt  time.Time
	lastAt   time.Time
	callTime []time.Time
	refused  []time.Time
	delivers []time.Time // one entry per recipient reached
}

func newLoadTally(now func() time.Time) *loadTally {
	if now == nil {
		now = time.Now
	}
	return &loadTally{now: now, got: map[string]int{}}
}

// record notes one accepted call reaching recipients.
func (t *loadTally) record(recipients ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if t.firstAt.IsZero() {
		t.firstAt = now
	}
	t.lastAt = now
	t.calls++
	t.callTime = append(t.callTime, now)
	for _, r := range recipients {
		t.got[r]++
		t.delivers = append(t.delivers, now)
	}
}

func (t *loadTally) refuse() {
	t.mu.Lock()
	t.limited++
	t.refused = append(t.refused, t.now())
	t.mu.Unlock()
}

// times returns when calls were accepted and when they were refused.
func (t *loadTally) times() (accepted, refused []time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]time.Time(nil), t.callTime...), append([]time.Time(nil), t.refused...)
}

// loadStats summarises a tally.
type loadStats struct {
	Calls, Limited, Recipients, Deliveries, Duplicates int
	First, Last                                        time.Time
}

func (t *loadTally) stats() loadStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := loadStats{Calls: t.calls, Limited: t.limited, Recipients: len(t.got), First: t.firstAt, Last: t.lastAt}
	for _, n := range t.got {
		s.Deliveries += n
		if n > 1 {
			s.Duplicates += n - 1
		}
	}
	return s
}

// count returns how often one recipient was reached.
func (t *loadTally) count(recipient string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.got[recipient]
}

// window counts calls and deliveries in [from, from+d).
func (t *loadTally) window(from time.Time, d time.Duration) (calls, deliveries int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	end := from.Add(d)
	for _, c := range t.callTime {
		if !c.Before(from) && c.Before(end) {
			calls++
		}
	}
	for _, c := range t.delivers {
		if !c.Before(from) && c.Before(end) {
			deliveries++
		}
	}
	return calls, deliveries
}

func writeLoadJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// loadPlatform is one fake platform: the server answering its API, its
// rate limit and the tally of what it delivered.
type loadPlatform struct {
	*loadTally
	srv   *httptest.Server
	limit *loadLimiter
}

func newLoadPlatform(rate float64, burst int, now func() time.Time, serve func(*loadPlatform, http.ResponseWriter, *http.Request)) *loadPlatform {
	f := &loadPlatform{loadTally: newLoadTally(now), limit: newLoadLimiter(rate, burst, now)}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serve(f, w, r) }))
	return f
}

// newLoadWeCom fakes message/send and appchat/send behind gettoken.
func newLoadWeCom(rate float64, burst int, now func() time.Time) *loadPlatform {
	return newLoadPlatform(rate, burst, now, serveLoadWeCom)
}

func serveLoadWeCom(f *loadPlatform, w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/cgi-bin/gettoken" {
		writeLoadJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": "fake-token", "expires_in": 7200})
		return
	}
	var req struct {
		ToUser string `json:"touser"`
		ChatID string `json:"chatid"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4<<20)).Decode(&req); err != nil {
		writeLoadJSON(w, http.StatusOK, map[string]any{"errcode": 47001, "errmsg": "data format error"})
		return
	}
	if !f.limit.allow() {
		f.refuse()
		writeLoadJSON(w, http.StatusOK, map[string]any{"errcode": 45009, "errmsg": "reach max api daily quota limit"})
		return
	}
	switch r.URL.Path {
	case "/cgi-bin/message/send":
		f.record(strings.Split(req.ToUser, "|")...)
		writeLoadJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": "fake"})
	case "/cgi-bin/appchat/send":
		f.record("chat:" + req.ChatID)
		writeLoadJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok"})
	default:
		writeLoadJSON(w, http.StatusNotFound, map[string]any{"errcode": 404})
	}
}

// newLoadFeishu fakes the tenant token, im/v1/messages and
// message/v4/batch_send.
func newLoadFeishu(rate float64, burst int, now func() time.Time) *loadPlatform {
	return newLoadPlatform(rate, burst, now, serveLoadFeishu)
}

func serveLoadFeishu(f *loadPlatform, w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/open-apis/auth/v3/tenant_access_token/internal" {
		writeLoadJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "ok", "tenant_access_token": "t-fake", "expire": 7200})
		return
	}
	var req struct {
		ReceiveID string   `json:"receive_id"`
		OpenIDs   []string `json:"open_ids"`
		UserIDs   []string `json:"user_ids"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4<<20)).Decode(&req); err != nil {
		writeLoadJSON(w, http.StatusBadRequest, map[string]any{"code": 9499, "msg": "bad request"})
		return
	}
	if !f.limit.allow() {
		f.refuse()
		w.Header().Set("x-ogw-ratelimit-reset", "1")
		writeLoadJSON(w, http.StatusBadRequest, map[string]any{"code": 99991400, "msg": "request trigger frequency limit"})
		return
	}
	switch r.URL.Path {
	case "/open-apis/im/v1/messages":
		f.record(req.ReceiveID)
		writeLoadJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "success", "data": map[string]any{"message_id": "om_fake"}})
	case "/open-apis/message/v4/batch_send/":
		f.record(append(req.OpenIDs, req.UserIDs...)...)
		writeLoadJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "ok", "data": map[string]any{"message_id": "bm_fake"}})
	default:
		writeLoadJSON(w, http.StatusNotFound, map[string]any{"code": 404, "msg": "not found"})
	}
}

// newLoadSlack fakes conversations.open and chat.postMessage; the limit
// applies to posts (conversations.open is not what a broadcast is limited
// by).
func newLoadSlack(rate float64, burst int, now func() time.Time) *loadPlatform {
	return newLoadPlatform(rate, burst, now, serveLoadSlack)
}

func serveLoadSlack(f *loadPlatform, w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	form, _ := url.ParseQuery(string(body))
	switch r.URL.Path {
	case "/conversations.open":
		writeLoadJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": map[string]any{"id": "D" + form.Get("users")}})
	case "/chat.postMessage":
		if !f.limit.allow() {
			f.refuse()
			w.Header().Set("Retry-After", "1")
			writeLoadJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
			return
		}
		ch := form.Get("channel")
		f.record(ch)
		writeLoadJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": ch, "ts": fmt.Sprintf("%d.000100", time.Now().UnixNano())})
	default:
		writeLoadJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "unknown_method"})
	}
}
