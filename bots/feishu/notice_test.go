package feishu

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// noticeAPI is a fake Open Platform for notices: the tenant token, message
// create (keyed by uuid, as the platform deduplicates), reply and batch_send, which
// refuses ids starting with "ou_ghost". limited answers the next calls with
// the gateway's 99991400 and a reset header.
type noticeAPI struct {
	srv *httptest.Server

	mu      sync.Mutex
	creates []map[string]any
	replies []map[string]any // with "message_id": the message answered
	batches []map[string]any
	got     map[string]int
	uuids   map[string]bool
	limited int
	// noBatch answers batch_send as Feishu does without
	// im:message:send_multi_users.
	noBatch bool
	times   []time.Time
}

func newNoticeAPI(t testing.TB) *noticeAPI {
	t.Helper()
	a := &noticeAPI{got: map[string]int{}, uuids: map[string]bool{}}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *noticeAPI) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	a.mu.Lock()
	defer a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	reply := func(v any) { _ = json.NewEncoder(w).Encode(v) }
	if r.URL.Path == "/open-apis/auth/v3/tenant_access_token/internal" {
		reply(map[string]any{"code": 0, "tenant_access_token": "t-1", "expire": 7200})
		return
	}
	a.times = append(a.times, time.Now())
	if a.limited > 0 {
		a.limited--
		w.Header().Set("x-ogw-ratelimit-reset", "1")
		w.WriteHeader(http.StatusBadRequest)
		reply(map[string]any{"code": 99991400, "msg": "request trigger frequency limit"})
		return
	}
	switch r.URL.Path {
	case "/open-apis/im/v1/messages":
		a.creates = append(a.creates, body)
		if uuid, _ := body["uuid"].(string); !a.uuids[uuid] {
			a.uuids[uuid] = true
			a.got[body["receive_id"].(string)]++
		}
		reply(map[string]any{"code": 0, "data": map[string]any{"message_id": "om_1"}})
	case "/open-apis/message/v4/batch_send/":
		a.batches = append(a.batches, body)
		if a.noBatch {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, scopeMissingBody)
			return
		}
		var invalid []string
		for _, id := range body["open_ids"].([]any) {
			if strings.HasPrefix(id.(string), "ou_ghost") {
				invalid = append(invalid, id.(string))
				continue
			}
			a.got[id.(string)]++
		}
		reply(map[string]any{"code": 0, "data": map[string]any{"message_id": "bm_1", "invalid_open_ids": invalid}})
	default:
		if id, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/open-apis/im/v1/messages/"), "/reply"); ok && !strings.Contains(id, "/") {
			body["message_id"] = id
			a.replies = append(a.replies, body)
			a.got[id]++
			reply(map[string]any{"code": 0, "data": map[string]any{"message_id": "om_r"}})
			return
		}
		w.WriteHeader(http.StatusNotFound)
		reply(map[string]any{"code": 404})
	}
}

func newNoticeBot(t testing.TB, api *noticeAPI) *Bot {
	t.Helper()
	b, err := New(Config{AppID: "cli_test", AppSecret: "secret", VerificationToken: "v", BaseURL: api.srv.URL},
		Deps{Core: coreStub{}, HTTPClient: api.srv.Client(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type coreStub struct{}

func (coreStub) Handle(context.Context, core.Command) (core.Reply, error) { return core.Reply{}, nil }

func queueNotices(t testing.TB, store *coretest.MemStore, at time.Time, ds []core.Delivery) int64 {
	t.Helper()
	ctx := context.Background()
	f, _, err := store.BeginFiring(ctx, core.Firing{ReminderID: ds[0].Notice.Reminder, Kind: ds[0].Notice.Kind, FireAt: at, CreatedAt: at})
	if err != nil {
		t.Fatal(err)
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

func noticeTo(n *core.Notice, at time.Time, to core.Recipient) core.Delivery {
	return core.Delivery{Recipient: to, Notice: n, Key: core.DeliveryKey(n.Reminder, at, to)}
}

func TestBroadcastUsesBatchSend(t *testing.T) {
	api := newNoticeAPI(t)
	bot := newNoticeBot(t, api)
	store := coretest.NewMemStore()
	at := time.Now().Add(-time.Minute)
	n := &core.Notice{Reminder: "policy", Kind: core.ReminderBroadcast, Text: "**新制度** 下周生效", Markdown: true, FireAt: at}
	var ds []core.Delivery
	for i := range 450 {
		ds = append(ds, noticeTo(n, at, core.Recipient{Platform: core.PlatformFeishu, UserID: fmt.Sprintf("ou_%03d", i), EmployeeID: fmt.Sprint("e", i)}))
	}
	ds = append(ds,
		noticeTo(n, at, core.Recipient{Platform: core.PlatformFeishu, UserID: "ou_ghost", EmployeeID: "g"}),
		noticeTo(n, at, core.Recipient{Platform: core.PlatformFeishu, UserID: "u123", EmployeeID: "tenant-id"}),
		noticeTo(n, at, core.Recipient{Platform: core.PlatformFeishu, ChatID: "oc_all"}))
	firing := queueNotices(t, store, at, ds)
	w := core.OutboxWorker{Store: store, Senders: map[core.Platform]core.Sender{core.PlatformFeishu: bot}, Log: slog.New(slog.DiscardHandler),
		Limits: map[core.Platform]*core.TokenBucket{core.PlatformFeishu: core.NewTokenBucket(1000, 100, nil, nil)}}
	for range 5 {
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(api.batches) != 3 {
		t.Errorf("%d batch_send calls, want 3 (451 open ids in 200s)", len(api.batches))
	}
	for _, b := range api.batches {
		if b["msg_type"] != "interactive" || b["card"] == nil || len(b["open_ids"].([]any)) > 200 {
			t.Errorf("batch body = %v, want a card to at most 200 open ids", b)
		}
	}
	// The user_id and the chat go one by one, with a uuid.
	if len(api.creates) != 2 {
		t.Fatalf("%d message creates, want 2", len(api.creates))
	}
	for _, c := range api.creates {
		if c["uuid"] == "" || !strings.HasPrefix(c["uuid"].(string), "punchbot-n-") {
			t.Errorf("create body = %v, want a uuid", c)
		}
	}
	for id, k := range api.got {
		if k != 1 {
			t.Errorf("%s received %d copies", id, k)
		}
	}
	if len(api.got) != 452 {
		t.Errorf("%d recipients reached, want 452", len(api.got))
	}
	counts, _ := store.FiringCounts(context.Background(), []int64{firing})
	if c := counts[firing]; c.Sent != 452 || c.Failed != 1 {
		t.Errorf("counts = %+v, want 452 sent and the ghost failed", c)
	}
}

func TestNoticeRateLimitSlowsDown(t *testing.T) {
	api := newNoticeAPI(t)
	api.limited = 2
	bot := newNoticeBot(t, api)
	store := coretest.NewMemStore()
	at := time.Now().Add(-time.Minute)
	var ds []core.Delivery
	for i := range 6 {
		n := &core.Notice{Reminder: "in10", Kind: core.ReminderPunchIn, FireAt: at, Lang: "en", ShiftDate: fmt.Sprint("2026-11-", 20+i)}
		ds = append(ds, noticeTo(n, at, core.Recipient{Platform: core.PlatformFeishu, UserID: fmt.Sprint("ou_", i), EmployeeID: fmt.Sprint("e", i)}))
	}
	firing := queueNotices(t, store, at, ds)
	bucket := core.NewTokenBucket(100, 10, nil, nil)
	w := &core.OutboxWorker{Store: store, Senders: map[core.Platform]core.Sender{core.PlatformFeishu: bot}, Log: slog.New(slog.DiscardHandler),
		Limits: map[core.Platform]*core.TokenBucket{core.PlatformFeishu: bucket}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() {
		w.Run(ctx, 20*time.Millisecond)
		close(done)
	}()
	for ctx.Err() == nil {
		counts, _ := store.FiringCounts(context.Background(), []int64{firing})
		if counts[firing].Sent == 6 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	counts, _ := store.FiringCounts(context.Background(), []int64{firing})
	if c := counts[firing]; c.Sent != 6 {
		t.Fatalf("counts = %+v, want all 6 sent", c)
	}
	for id, k := range api.got {
		if k != 1 {
			t.Errorf("%s received %d copies", id, k)
		}
	}
	if bucket.Throttles() < 1 {
		t.Errorf("the bucket was never throttled")
	}
	// After each 99991400 nothing was called for the second the gateway
	// asked for.
	api.mu.Lock()
	defer api.mu.Unlock()
	for i := 1; i <= 2; i++ {
		if gap := api.times[i].Sub(api.times[i-1]); gap < 900*time.Millisecond {
			t.Errorf("call %d came %s after a rate-limited one, want about a second", i, gap)
		}
	}
	if !strings.Contains(api.creates[0]["content"].(string), "Clock-in reminder") {
		t.Errorf("content = %v, want the English reminder", api.creates[0]["content"])
	}
}
