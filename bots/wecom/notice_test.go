package wecom

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// noticeAPI is a fake WeCom API for batch sends: message/send answers
// "invaliduser" for ids starting with "ghost", appchat/send accepts any
// chat, and limited makes the next calls fail with 45009.
type noticeAPI struct {
	srv *httptest.Server
	now func() time.Time

	mu      sync.Mutex
	sends   []map[string]any
	chats   []map[string]any
	got     map[string]int // deliveries per user id
	limited int
	times   []time.Time
}

func newNoticeAPI(t testing.TB, now func() time.Time) *noticeAPI {
	t.Helper()
	a := &noticeAPI{now: now, got: map[string]int{}}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *noticeAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	defer a.mu.Unlock()
	answer := func(v map[string]any) { _ = json.NewEncoder(w).Encode(v) }
	if r.URL.Path == "/cgi-bin/gettoken" {
		answer(map[string]any{"errcode": 0, "access_token": "tok", "expires_in": 7200})
		return
	}
	a.times = append(a.times, a.now())
	if a.limited > 0 {
		a.limited--
		answer(map[string]any{"errcode": 45009, "errmsg": "api freq out of limit"})
		return
	}
	var req map[string]any
	_ = json.Unmarshal(body, &req)
	switch r.URL.Path {
	case "/cgi-bin/message/send":
		a.sends = append(a.sends, req)
		var invalid []string
		for _, u := range strings.Split(req["touser"].(string), "|") {
			if strings.HasPrefix(u, "ghost") {
				invalid = append(invalid, u)
				continue
			}
			a.got[u]++
		}
		answer(map[string]any{"errcode": 0, "errmsg": "ok", "invaliduser": strings.Join(invalid, "|"), "msgid": "m"})
	case "/cgi-bin/appchat/send":
		a.chats = append(a.chats, req)
		a.got["chat:"+req["chatid"].(string)]++
		answer(map[string]any{"errcode": 0, "errmsg": "ok"})
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// vclock is a settable clock whose sleeps advance it.
type vclock struct{ testClock }

func (v *vclock) Sleep(ctx context.Context, d time.Duration) error {
	v.Advance(d)
	return ctx.Err()
}

func newNoticeBot(t testing.TB, api *noticeAPI, now func() time.Time) *Bot {
	t.Helper()
	b, err := New(Config{CorpID: testCorpID, AgentID: strconv.Itoa(testAgentID), Secret: testSecret, Token: testToken, EncodingAESKey: testAESKey, APIURL: api.srv.URL},
		Deps{Core: coreFunc(func(context.Context, core.Command) (core.Reply, error) { return core.Reply{}, nil }), Now: now,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), HTTPClient: api.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mustQueueNotices queues one firing's deliveries of n to users u0…, plus
// the extra recipients.
func mustQueueNotices(t testing.TB, store *coretest.MemStore, n core.Notice, at time.Time, users int, extra ...core.Recipient) int64 {
	t.Helper()
	ctx := context.Background()
	f, _, err := store.BeginFiring(ctx, core.Firing{ReminderID: n.Reminder, Kind: n.Kind, FireAt: at, CreatedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	var ds []core.Delivery
	for i := range users {
		to := core.Recipient{Platform: core.PlatformWeCom, UserID: fmt.Sprint("u", i), EmployeeID: fmt.Sprint("e", i), Lang: "zh"}
		ds = append(ds, core.Delivery{Recipient: to, Notice: &n, Key: core.DeliveryKey(n.Reminder, at, to)})
	}
	for _, to := range extra {
		ds = append(ds, core.Delivery{Recipient: to, Notice: &n, Key: core.DeliveryKey(n.Reminder, at, to)})
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

func TestNoticeBatchesUpTo1000Users(t *testing.T) {
	clock := &vclock{testClock{t: start}}
	api := newNoticeAPI(t, clock.Now)
	bot := newNoticeBot(t, api, clock.Now)
	store := coretest.NewMemStore()
	n := core.Notice{Reminder: "policy", Kind: core.ReminderBroadcast, Text: "**新考勤制度** 下周一生效", Markdown: true, FireAt: start}
	firing := mustQueueNotices(t, store, n, start, 1500,
		core.Recipient{Platform: core.PlatformWeCom, UserID: "ghost1", EmployeeID: "g1"},
		core.Recipient{Platform: core.PlatformWeCom, ChatID: "wrkSFfCgAAxxx"})
	w := core.OutboxWorker{Store: store, Senders: map[core.Platform]core.Sender{core.PlatformWeCom: bot}, Now: clock.Now, Log: slog.New(slog.DiscardHandler),
		Limits: map[core.Platform]*core.TokenBucket{core.PlatformWeCom: core.NewTokenBucket(DefaultNoticeRate, DefaultNoticeBurst, clock.Now, clock.Sleep)}}
	for range 4 {
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(api.sends) != 2 || len(api.chats) != 1 {
		t.Fatalf("%d message/send and %d appchat/send calls, want 2 and 1", len(api.sends), len(api.chats))
	}
	sizes := []int{len(strings.Split(api.sends[0]["touser"].(string), "|")), len(strings.Split(api.sends[1]["touser"].(string), "|"))}
	if sizes[0] != 1000 || sizes[1] != 501 {
		t.Errorf("touser sizes = %v, want [1000 501]", sizes)
	}
	body := api.sends[0]
	if body["msgtype"] != "markdown" || body["markdown"].(map[string]any)["content"] != n.Text || body["enable_duplicate_check"] != float64(1) || body["agentid"] != float64(testAgentID) {
		t.Errorf("send body = %v, want the markdown text with duplicate check via the agent", body)
	}
	if api.chats[0]["chatid"] != "wrkSFfCgAAxxx" || api.chats[0]["msgtype"] != "markdown" {
		t.Errorf("appchat body = %v", api.chats[0])
	}
	for u, k := range api.got {
		if k != 1 {
			t.Errorf("%s received %d copies", u, k)
		}
	}
	counts, _ := store.FiringCounts(context.Background(), []int64{firing})
	if c := counts[firing]; c.Sent != 1501 || c.Failed != 1 || c.Pending != 0 {
		t.Errorf("counts = %+v, want 1501 sent and the ghost failed", c)
	}
	for _, m := range store.Outbox() {
		if strings.Contains(m.Route, "ghost1") && !strings.Contains(m.LastError, "cannot receive") {
			t.Errorf("ghost's delivery = %+v, want the reason recorded", m)
		}
	}
}

func TestNoticeRendersPerRecipient(t *testing.T) {
	clock := &vclock{testClock{t: start}}
	api := newNoticeAPI(t, clock.Now)
	bot := newNoticeBot(t, api, clock.Now)
	shanghai := time.FixedZone("CST", 8*3600)
	zh := core.Notice{Reminder: "in10", Kind: core.ReminderPunchIn, FireAt: start, Lang: "zh", TimeZone: "Asia/Shanghai", ShiftDate: "2026-03-02",
		ShiftStart: time.Date(2026, 3, 2, 9, 0, 0, 0, shanghai)}
	en := zh
	en.Lang = "en"
	mk := func(id int64, user string, n core.Notice) core.OutboxMessage {
		route, _ := json.Marshal(core.Recipient{Platform: core.PlatformWeCom, UserID: user})
		payload, _ := json.Marshal(n)
		return core.OutboxMessage{ID: id, Platform: core.PlatformWeCom, Kind: core.OutboxNotice, Route: string(route), Payload: payload}
	}
	msgs := []core.OutboxMessage{mk(1, "a", zh), mk(2, "b", en), mk(3, "c", zh), {ID: 4, Platform: core.PlatformWeCom, Kind: core.OutboxNotice, Route: `{}`, Payload: []byte(`{}`)}}
	groups := bot.Group(msgs)
	if len(groups) != 3 || len(groups[0]) != 2 || groups[0][1].ID != 3 {
		t.Fatalf("groups = %v, want [a c] [b] [bad]", groups)
	}
	errs := bot.SendGroup(context.Background(), groups[2])
	if core.ErrorCode(errs[0]) != core.EINVALID {
		t.Errorf("a notice without a recipient: %v, want EINVALID", errs[0])
	}
	for _, g := range groups[:2] {
		for _, err := range bot.SendGroup(context.Background(), g) {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := api.sends[0]["text"].(map[string]any)["content"].(string); !strings.Contains(got, "上班打卡提醒") || !strings.Contains(got, "09:00") {
		t.Errorf("zh text = %q", got)
	}
	if got := api.sends[1]["text"].(map[string]any)["content"].(string); !strings.Contains(got, "Clock-in reminder") || !strings.Contains(got, "09:00") {
		t.Errorf("en text = %q", got)
	}
}

func TestNoticeRateLimit45009SlowsDown(t *testing.T) {
	clock := &vclock{testClock{t: start}}
	api := newNoticeAPI(t, clock.Now)
	api.limited = 1
	bot := newNoticeBot(t, api, clock.Now)
	store := coretest.NewMemStore()
	// Per-employee texts differ, so each goes in its own call.
	firing := func() int64 {
		f, _, _ := store.BeginFiring(context.Background(), core.Firing{ReminderID: "in10", Kind: core.ReminderPunchIn, FireAt: start, CreatedAt: start})
		var ds []core.Delivery
		for i := range 5 {
			n := &core.Notice{Reminder: "in10", Kind: core.ReminderPunchIn, FireAt: start, ShiftDate: fmt.Sprint("2026-03-0", i+1)}
			to := core.Recipient{Platform: core.PlatformWeCom, UserID: fmt.Sprint("u", i), EmployeeID: fmt.Sprint("e", i)}
			ds = append(ds, core.Delivery{Recipient: to, Notice: n, Key: core.DeliveryKey("in10", start, to)})
		}
		msgs, _ := core.DeliveryMessages(ds, f.ID, start)
		if _, err := store.EnqueueDeliveries(context.Background(), f.ID, msgs); err != nil {
			t.Fatal(err)
		}
		return f.ID
	}()
	bucket := core.NewTokenBucket(10, 5, clock.Now, clock.Sleep)
	w := core.OutboxWorker{Store: store, Senders: map[core.Platform]core.Sender{core.PlatformWeCom: bot}, Now: clock.Now, Log: slog.New(slog.DiscardHandler),
		Limits: map[core.Platform]*core.TokenBucket{core.PlatformWeCom: bucket}}
	for range 10 {
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		clock.Advance(10 * time.Second)
	}
	counts, _ := store.FiringCounts(context.Background(), []int64{firing})
	if c := counts[firing]; c.Sent != 5 {
		t.Fatalf("counts = %+v, want all 5 sent", c)
	}
	for u, k := range api.got {
		if k != 1 {
			t.Errorf("%s received %d copies", u, k)
		}
	}
	if bucket.Throttles() != 1 {
		t.Errorf("throttles = %d, want 1", bucket.Throttles())
	}
	// WeCom's 45009 blocks for a minute: nothing was called in between.
	if gap := api.times[1].Sub(api.times[0]); gap < time.Minute {
		t.Errorf("the call after 45009 came %s later, want at least a minute", gap)
	}
}
