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

	"github.com/punchbot/punchbot/bots"
	punchslack "github.com/punchbot/punchbot/bots/slack"
	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// slackNoticeAPI fakes conversations.open and chat.postMessage. The first
// limited posts are answered 429 with Retry-After: 1.
type slackNoticeAPI struct {
	srv *httptest.Server

	mu      sync.Mutex
	opens   map[string]int
	posts   []map[string]string
	got     map[string]int
	limited int
	times   []time.Time
	last429 time.Time
	views   []string
}

func newSlackNoticeAPI(t testing.TB) *slackNoticeAPI {
	t.Helper()
	a := &slackNoticeAPI{opens: map[string]int{}, got: map[string]int{}}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *slackNoticeAPI) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	r.Form, _ = url.ParseQuery(string(raw))
	a.mu.Lock()
	defer a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	reply := func(v any) { _ = json.NewEncoder(w).Encode(v) }
	switch r.URL.Path {
	case "/conversations.open":
		user := r.Form.Get("users")
		a.opens[user]++
		if user == "UGONE" {
			reply(map[string]any{"ok": false, "error": "user_not_found"})
			return
		}
		reply(map[string]any{"ok": true, "channel": map[string]any{"id": "D" + user}})
	case "/views.open":
		a.views = append(a.views, string(raw)) // views.open takes JSON
		reply(map[string]any{"ok": true, "view": map[string]any{"id": "V1"}})
	case "/chat.postMessage":
		a.times = append(a.times, time.Now())
		if a.limited > 0 {
			a.limited--
			a.last429 = time.Now()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			reply(map[string]any{"ok": false, "error": "ratelimited"})
			return
		}
		post := map[string]string{"channel": r.Form.Get("channel"), "text": r.Form.Get("text"), "blocks": r.Form.Get("blocks")}
		a.posts = append(a.posts, post)
		a.got[post["channel"]]++
		reply(map[string]any{"ok": true, "channel": post["channel"], "ts": fmt.Sprintf("1.%d", len(a.posts))})
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func newSlackNoticeBot(t testing.TB, api *slackNoticeAPI) *punchslack.Bot {
	t.Helper()
	b, err := punchslack.New(punchslack.Config{SigningSecret: "s", BotToken: "xoxb-test", APIURL: api.srv.URL + "/"},
		punchslack.Deps{Core: coreFunc(func(context.Context, core.Command) (core.Reply, error) { return core.Reply{}, nil }), Links: noLinks{},
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type noLinks struct{}

func (noLinks) PunchLink(context.Context, bots.LinkRequest) (string, error) { return "", nil }

func queueSlackNotices(t testing.TB, store *coretest.MemStore, at time.Time, n *core.Notice, tos ...core.Recipient) int64 {
	t.Helper()
	ctx := context.Background()
	f, _, err := store.BeginFiring(ctx, core.Firing{ReminderID: n.Reminder, Kind: n.Kind, FireAt: at, CreatedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	var ds []core.Delivery
	for _, to := range tos {
		ds = append(ds, core.Delivery{Recipient: to, Notice: n, Key: core.DeliveryKey(n.Reminder, at, to)})
	}
	msgs, err := core.DeliveryMessages(ds, f.ID, at)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.EnqueueDeliveries(ctx, f.ID, msgs); err != nil {
		t.Fatal(err)
	}
	return f.ID
}

func TestNoticeDMsAndChannels(t *testing.T) {
	api := newSlackNoticeAPI(t)
	bot := newSlackNoticeBot(t, api)
	store := coretest.NewMemStore()
	at := time.Now().Add(-time.Minute)
	n := &core.Notice{Reminder: "policy", Kind: core.ReminderBroadcast, Text: "**Heads up:** see [the policy](https://example.com/p)", Markdown: true, FireAt: at}
	firing := queueSlackNotices(t, store, at, n,
		core.Recipient{Platform: core.PlatformSlack, UserID: "U1", EmployeeID: "e1"},
		core.Recipient{Platform: core.PlatformSlack, UserID: "U2", EmployeeID: "e2"},
		core.Recipient{Platform: core.PlatformSlack, UserID: "UGONE", EmployeeID: "e3"},
		core.Recipient{Platform: core.PlatformSlack, ChatID: "C1"})
	// A second firing to U1 reuses the DM channel.
	later := &core.Notice{Reminder: "in10", Kind: core.ReminderPunchIn, FireAt: at, Lang: "en", TimeZone: "UTC", ShiftDate: "2026-11-27", ShiftStart: at.Add(10 * time.Minute)}
	queueSlackNotices(t, store, at, later, core.Recipient{Platform: core.PlatformSlack, UserID: "U1", EmployeeID: "e1", Lang: "en"})
	w := core.OutboxWorker{Store: store, Senders: map[core.Platform]core.Sender{core.PlatformSlack: bot}, Log: slog.New(slog.DiscardHandler),
		Limits: map[core.Platform]*core.TokenBucket{core.PlatformSlack: core.NewTokenBucket(100, 10, nil, nil)}}
	if _, err := w.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if api.opens["U1"] != 1 || api.opens["U2"] != 1 || api.opens["C1"] != 0 {
		t.Errorf("conversations.open calls = %v, want one per person, none for the channel", api.opens)
	}
	if api.got["DU1"] != 2 || api.got["DU2"] != 1 || api.got["C1"] != 1 || api.got["DUGONE"] != 0 {
		t.Errorf("posts per channel = %v", api.got)
	}
	first := api.posts[0]
	var blocks []struct {
		Text struct{ Type, Text string }
	}
	if err := json.Unmarshal([]byte(first["blocks"]), &blocks); err != nil || len(blocks) != 1 {
		t.Fatalf("blocks %s: %v", first["blocks"], err)
	}
	if b := blocks[0].Text; b.Type != "mrkdwn" || b.Text != "*Heads up:* see <https://example.com/p|the policy>" {
		t.Errorf("block text = %+v, want the markdown as mrkdwn", b)
	}
	var reminder map[string]string
	for _, p := range api.posts {
		if strings.Contains(p["text"], "Clock-in reminder") {
			reminder = p
		}
	}
	if reminder == nil || !strings.Contains(reminder["blocks"], `"header"`) {
		t.Errorf("reminder post = %v, want an English reminder with a header", reminder)
	}
	counts, _ := store.FiringCounts(context.Background(), []int64{firing})
	if c := counts[firing]; c.Sent != 3 || c.Failed != 1 {
		t.Errorf("counts = %+v, want 3 sent and the unknown user failed", c)
	}
}

func TestNotice429RetryAfterSlowsDown(t *testing.T) {
	api := newSlackNoticeAPI(t)
	api.limited = 3
	bot := newSlackNoticeBot(t, api)
	store := coretest.NewMemStore()
	at := time.Now().Add(-time.Minute)
	n := &core.Notice{Reminder: "policy", Kind: core.ReminderBroadcast, Text: "hello", FireAt: at}
	var tos []core.Recipient
	for i := range 20 {
		tos = append(tos, core.Recipient{Platform: core.PlatformSlack, UserID: fmt.Sprint("U", i), EmployeeID: fmt.Sprint("e", i)})
	}
	firing := queueSlackNotices(t, store, at, n, tos...)
	bucket := core.NewTokenBucket(200, 5, nil, nil)
	w := &core.OutboxWorker{Store: store, Senders: map[core.Platform]core.Sender{core.PlatformSlack: bot}, Log: slog.New(slog.DiscardHandler),
		Limits: map[core.Platform]*core.TokenBucket{core.PlatformSlack: bucket}, Concurrency: 4}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() {
		w.Run(ctx, 20*time.Millisecond)
		close(done)
	}()
	for ctx.Err() == nil {
		counts, _ := store.FiringCounts(context.Background(), []int64{firing})
		if counts[firing].Sent == 20 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	counts, _ := store.FiringCounts(context.Background(), []int64{firing})
	if c := counts[firing]; c.Sent != 20 {
		t.Fatalf("counts = %+v, want all 20 sent", c)
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	for ch, k := range api.got {
		if k != 1 {
			t.Errorf("%s got %d copies", ch, k)
		}
	}
	if bucket.Throttles() < 1 {
		t.Errorf("never throttled")
	}
	// Calls already in flight when the 429 came back may land; nothing
	// new starts until Retry-After has passed.
	inFlight := 0
	for _, tm := range api.times {
		if tm.After(api.last429) && tm.Before(api.last429.Add(900*time.Millisecond)) {
			inFlight++
		}
	}
	if inFlight > 3 {
		t.Errorf("%d posts within a second after the last 429, want at most the 3 other calls in flight", inFlight)
	}
}

// stubMakeups stands in for the make-up flow, so the notice offers the
// button.
type stubMakeups struct{}

func (stubMakeups) RecordCardRef(context.Context, core.CardRef) error { return nil }
func (stubMakeups) CardRef(context.Context, int64, core.Platform, string) (core.CardRef, error) {
	return core.CardRef{}, core.Errorf(core.ENOTFOUND, "none")
}
func (stubMakeups) MayDecide(context.Context, core.Identity, int64) error { return nil }

func TestMissedPunchButtonOpensPrefilledForm(t *testing.T) {
	api := newSlackNoticeAPI(t)
	bot, err := punchslack.New(punchslack.Config{SigningSecret: "s", BotToken: "xoxb-test", APIURL: api.srv.URL + "/"},
		punchslack.Deps{Core: coreFunc(func(context.Context, core.Command) (core.Reply, error) { return core.Reply{}, nil }), Links: noLinks{},
			Makeups: stubMakeups{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	n := core.Notice{Reminder: "missed", Kind: core.ReminderMissedPunch, Lang: "zh", TimeZone: "Asia/Shanghai", ShiftDate: "2026-11-26",
		Missing: []core.MissingSlot{{Date: "2026-11-26", Kind: core.KindOut, At: time.Date(2026, 11, 26, 18, 0, 0, 0, sh)}}}
	payload, _ := json.Marshal(n)
	route, _ := json.Marshal(core.Recipient{Platform: core.PlatformSlack, UserID: "U1", Lang: "zh"})
	if err := bot.Send(context.Background(), core.OutboxMessage{ID: 1, Platform: core.PlatformSlack, Kind: core.OutboxNotice, Route: string(route), Payload: payload}); err != nil {
		t.Fatal(err)
	}
	post := api.posts[0]
	if !strings.Contains(post["text"], "补卡 2026-11-26 18:00 下班") || !strings.Contains(post["blocks"], punchslack.ActionNoticeMakeup) || !strings.Contains(post["blocks"], "申请补卡") {
		t.Fatalf("post = %v, want the hint and the button", post)
	}
	var blocks []struct {
		Type     string
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	_ = json.Unmarshal([]byte(post["blocks"]), &blocks)
	value := ""
	for _, b := range blocks {
		for _, e := range b.Elements {
			if e.ActionID == punchslack.ActionNoticeMakeup {
				value = e.Value
			}
		}
	}
	cb := map[string]any{"type": "block_actions", "trigger_id": "trig-1", "team": map[string]any{"id": "T1"}, "user": map[string]any{"id": "U1"},
		"actions": []any{map[string]any{"action_id": punchslack.ActionNoticeMakeup, "block_id": "notice_actions", "value": value, "type": "button"}}}
	raw, _ := json.Marshal(cb)
	body := "payload=" + url.QueryEscape(string(raw))
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req := httptest.NewRequest(http.MethodPost, "/slack/interactions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", punchslack.Sign("s", ts, []byte(body)))
	mux := http.NewServeMux()
	bot.Register(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || len(api.views) != 1 {
		t.Fatalf("click = %d, %d views opened; want the form", rec.Code, len(api.views))
	}
	for _, want := range []string{`"initial_date":"2026-11-26"`, `"initial_time":"18:00"`, `"value":"out"`, "makeup_request"} {
		if !strings.Contains(api.views[0], want) {
			t.Errorf("form %s lacks %s", api.views[0], want)
		}
	}
}
