package feishu

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// queueReplies puts one confirmation per route into the outbox, as the
// core does for a punch: the reply with its own distance to the site.
func queueReplies(t testing.TB, store *coretest.MemStore, at time.Time, routes []route, reply func(i int) core.Reply) {
	t.Helper()
	ctx := context.Background()
	if err := store.InTx(ctx, func(tx core.Tx) error {
		for i, rt := range routes {
			rtJSON, _ := json.Marshal(rt)
			payload, _ := json.Marshal(reply(i))
			if err := tx.EnqueueOutbox(ctx, core.OutboxMessage{Platform: core.PlatformFeishu, Route: string(rtJSON), Kind: "reply",
				Payload: payload, DedupeKey: fmt.Sprint("reply-", i), CreatedAt: at, NextAttempt: at}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func p2p(i int) route {
	id := fmt.Sprintf("ou_%03d", i)
	return route{MessageID: fmt.Sprintf("om_%03d", i), ReceiveID: id, ReceiveIDType: "open_id", User: id}
}

// clockIn is an on-time clock-in at 09:02 Shanghai, i metres from the site.
func clockIn(i int) core.Reply {
	return core.Reply{Outcome: core.OutcomeAccepted, Kind: core.KindIn, Lang: "zh", TimeZone: "Asia/Shanghai",
		At: time.Date(2026, 12, 3, 1, 2, 30, 0, time.UTC), ShiftDate: "2026-12-03", TimeResult: core.TimeNormal,
		SiteName: "上海总部", DistanceM: float64(10 + i), RadiusM: 200, EmployeeID: fmt.Sprint("e", i)}
}

func runOutbox(t testing.TB, store *coretest.MemStore, bot *Bot) {
	t.Helper()
	w := core.OutboxWorker{Store: store, Senders: map[core.Platform]core.Sender{core.PlatformFeishu: bot}, Log: slog.New(slog.DiscardHandler),
		Limits: map[core.Platform]*core.TokenBucket{core.PlatformFeishu: core.NewTokenBucket(1000, 100, nil, nil)}}
	for range 5 {
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRushConfirmationsShareBatchSend(t *testing.T) {
	api := newNoticeAPI(t)
	bot := newNoticeBot(t, api)
	store := coretest.NewMemStore()
	at := time.Now().Add(-time.Minute)
	var routes []route
	for i := range 450 {
		routes = append(routes, p2p(i))
	}
	// Three that cannot share a card: an answer in a group chat, one late
	// clock-in (the only one with its late minutes) and a rejection.
	group := p2p(450)
	group.ReceiveID, group.ReceiveIDType = "oc_team", "chat_id"
	routes = append(routes, group, p2p(451), p2p(452))
	queueReplies(t, store, at, routes, func(i int) core.Reply {
		r := clockIn(i)
		switch i {
		case 451:
			r.TimeResult, r.LateMin = core.TimeLate, 7
		case 452:
			r.Outcome, r.Reasons = core.OutcomeRejected, []string{core.ReasonNoLocation}
		}
		return r
	})
	runOutbox(t, store, bot)

	// 450 twins claimed in one round: 200 + 200 + 50.
	if len(api.batches) != 3 {
		t.Fatalf("%d batch_send calls, want 3 (450 twins, up to 200 each)", len(api.batches))
	}
	for _, b := range api.batches {
		card, _ := json.Marshal(b["card"])
		if b["msg_type"] != "interactive" || len(b["open_ids"].([]any)) > 200 {
			t.Errorf("batch body = %v, want a card to at most 200 open ids", b)
		}
		// One card for many: the time and the line, nothing of one person.
		for _, want := range []string{"上班打卡成功", "09:02"} {
			if !strings.Contains(string(card), want) {
				t.Errorf("shared card %s lacks %q", card, want)
			}
		}
		for _, not := range []string{"上海总部", "距离", `"update_multi":true`} {
			if strings.Contains(string(card), not) {
				t.Errorf("shared card %s has %q, which differs per person or cannot be done for a batch", card, not)
			}
		}
	}
	// The rest answer their messages one by one, with site and distance.
	if len(api.replies) != 3 {
		t.Fatalf("%d replies, want 3 (group chat, late, rejected)", len(api.replies))
	}
	for _, r := range api.replies {
		if c, _ := r["content"].(string); r["message_id"] == "om_450" && !strings.Contains(c, "上海总部") {
			t.Errorf("group-chat reply %v lacks the site", r)
		}
	}
	for id, n := range api.got {
		if n != 1 {
			t.Errorf("%s received %d confirmations, want 1", id, n)
		}
	}
	if len(api.got) != 453 {
		t.Errorf("%d people answered, want 453", len(api.got))
	}
	if left, _ := store.ClaimOutbox(context.Background(), core.PlatformFeishu, 1000, at.Add(time.Hour), time.Minute); len(left) != 0 {
		t.Errorf("%d confirmations still due, want none", len(left))
	}
	// Every card Group drew was taken by the call that sent it, the lone
	// ones' included: nothing stays behind after the rush.
	if n := len(bot.drawn.cards); n != 0 {
		t.Errorf("%d drawn cards kept after every confirmation was sent, want 0", n)
	}
}

func TestDrawnRushIsBounded(t *testing.T) {
	var d drawnRush
	card := rushCard{idType: "open_id", id: "ou_1", msg: Message{MsgType: "interactive", Content: "{}"}}
	d.put(map[int64]rushCard{1: card})
	if got, ok := d.take(1); !ok || got != card {
		t.Fatalf("take(1) = %v, %t; want the card put", got, ok)
	}
	if _, ok := d.take(1); ok {
		t.Errorf("take(1) again found a card; want it forgotten once taken")
	}
	full := map[int64]rushCard{}
	for i := range int64(drawnRushMax) {
		full[i] = card
	}
	d.put(full)
	d.put(map[int64]rushCard{-1: card})
	if got := len(d.cards); got != 1 {
		t.Errorf("%d cards held after going past %d, want 1 (cleared, then the new one)", got, drawnRushMax)
	}
}

func TestFewConfirmationsStayReplies(t *testing.T) {
	api := newNoticeAPI(t)
	bot := newNoticeBot(t, api)
	store := coretest.NewMemStore()
	at := time.Now().Add(-time.Minute)
	var routes []route
	for i := range rushReplies {
		routes = append(routes, p2p(i))
	}
	queueReplies(t, store, at, routes, clockIn)
	runOutbox(t, store, bot)
	if len(api.batches) != 0 {
		t.Errorf("%d batch_send calls for %d confirmations, want none outside a rush", len(api.batches), rushReplies)
	}
	if len(api.replies) != rushReplies {
		t.Fatalf("%d replies, want %d", len(api.replies), rushReplies)
	}
	for _, r := range api.replies {
		if c, _ := r["content"].(string); !strings.Contains(c, "上海总部") || !strings.Contains(c, "距离") {
			t.Errorf("reply %v lacks the site and distance", r)
		}
	}
}

func TestRushBatchRefusalsFailOnlyThoseIDs(t *testing.T) {
	api := newNoticeAPI(t)
	bot := newNoticeBot(t, api)
	var group []core.OutboxMessage
	for i := range 3 {
		rt := p2p(i)
		if i == 1 {
			rt.ReceiveID, rt.User = "ou_ghost", "ou_ghost"
		}
		rtJSON, _ := json.Marshal(rt)
		payload, _ := json.Marshal(clockIn(i))
		group = append(group, core.OutboxMessage{ID: int64(i + 1), Platform: core.PlatformFeishu, Kind: "reply", Route: string(rtJSON), Payload: payload})
	}
	errs := bot.SendGroup(context.Background(), group)
	for i, err := range errs {
		if got, want := core.ErrorCode(err), map[bool]string{true: core.EINVALID, false: ""}[i == 1]; got != want {
			t.Errorf("message %d: error %v (code %q), want code %q", i, err, got, want)
		}
	}
	// A reply whose card is not its twins' is refused as a whole.
	late := clockIn(9)
	late.TimeResult, late.LateMin = core.TimeLate, 3
	payload, _ := json.Marshal(late)
	mixed := append(group[:1:1], core.OutboxMessage{ID: 9, Platform: core.PlatformFeishu, Kind: "reply", Route: group[2].Route, Payload: payload})
	for i, err := range bot.SendGroup(context.Background(), mixed) {
		if core.ErrorCode(err) != core.EINVALID {
			t.Errorf("mixed batch message %d: error %v, want EINVALID", i, err)
		}
	}
	if len(api.batches) != 1 {
		t.Errorf("%d batch_send calls, want 1 (the mixed batch sends nothing)", len(api.batches))
	}
}

// scopeMissingBody is Feishu's answer to batch_send for an app without
// im:message:send_multi_users (trouble-shooting doc of 99991672).
const scopeMissingBody = `{"code":99991672,"msg":"Access denied. One of the following scopes is required: [im:message:send_multi_users].","error":{"permission_violations":[{"type":"action_scope_required","subject":"im:message:send_multi_users"}]}}`

func TestRushWithoutBatchScopeRepliesOneByOne(t *testing.T) {
	api := newNoticeAPI(t)
	api.noBatch = true
	bot := newNoticeBot(t, api)
	store := coretest.NewMemStore()
	at := time.Now().Add(-time.Minute)
	var routes []route
	for i := range 100 {
		routes = append(routes, p2p(i))
	}
	queueReplies(t, store, at, routes, clockIn)
	w := core.OutboxWorker{Store: store, Senders: map[core.Platform]core.Sender{core.PlatformFeishu: bot}, Log: slog.New(slog.DiscardHandler),
		// A rush: more confirmations than the bucket's 50 calls at once.
		Limits:      map[core.Platform]*core.TokenBucket{core.PlatformFeishu: core.NewTokenBucket(1000, 50, nil, nil)},
		ConfigRetry: time.Millisecond}
	for range 5 {
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	if len(api.batches) != 1 {
		t.Errorf("%d batch_send calls, want 1 refused, then none", len(api.batches))
	}
	if len(api.replies) != 100 {
		t.Errorf("%d replies after the refusal, want all 100 one by one", len(api.replies))
	}
	for id, n := range api.got {
		if n != 1 {
			t.Errorf("%s received %d confirmations, want 1", id, n)
		}
	}
}

// TestOwnMessageAgreesWithReplyMessage: the rush decides from ownMessage,
// without rendering, whether a confirmation's message is RenderReply's.
// Whenever ownMessage says no, replyMessage must send exactly RenderReply's
// message, or a rush would send a twin card in place of buttons or of a
// filed request's card.
func TestOwnMessageAgreesWithReplyMessage(t *testing.T) {
	filed := core.Reply{Outcome: core.OutcomeMakeupFiled, Lang: "en",
		Makeup: &core.MakeupView{Request: core.MakeupRequest{ID: 7, EmployeeID: "e1", Kind: core.KindIn, ShiftDate: "2026-12-03"}}}
	batch := core.Reply{Outcome: core.OutcomeMakeupPendingList, Lang: "zh",
		Batch: &core.MakeupBatch{All: true, Decision: core.MakeupApproved, Items: []core.BatchItem{{ID: 3}}}}
	with := func(r core.Reply, o core.Outcome) core.Reply { r.Outcome = o; return r }
	cases := []struct {
		name string
		r    core.Reply
		rt   route
		want bool
	}{
		{"accepted", clockIn(1), p2p(1), false},
		{"field", with(clockIn(2), core.OutcomeField), p2p(2), false},
		{"rejected", with(clockIn(3), core.OutcomeRejected), p2p(3), false},
		{"help", core.Reply{Outcome: core.OutcomeHelp, Lang: "zh"}, p2p(4), false},
		{"help for what was said", core.Reply{Outcome: core.OutcomeHelp, Lang: "en"}, route{ReceiveID: "ou_5", ReceiveIDType: "open_id", Said: "clock inn"}, true},
		{"help for a voice message", core.Reply{Outcome: core.OutcomeHelp, Lang: "zh"}, route{ReceiveID: "ou_6", ReceiveIDType: "open_id", Voice: true}, true},
		{"confirm", core.Reply{Outcome: core.OutcomeConfirm, Lang: "zh", Kind: core.KindOut}, p2p(7), true},
		{"batch decision", batch, p2p(8), true},
		{"filed request", filed, p2p(9), true},
		{"batch list without a decision", core.Reply{Outcome: core.OutcomeMakeupPendingList, Lang: "zh", Batch: &core.MakeupBatch{}}, p2p(10), false},
	}
	for _, c := range cases {
		got := c.rt.ownMessage(c.r)
		if got != c.want {
			t.Errorf("%s: ownMessage = %v, want %v", c.name, got, c.want)
		}
		if msg, filedID := replyMessage(c.r, c.rt); !got && (filedID != 0 || msg != RenderReply(c.r, c.rt.Lang)) {
			t.Errorf("%s: ownMessage = false, but replyMessage sends %s %.80s (filed %d), not RenderReply's", c.name, msg.MsgType, msg.Content, filedID)
		}
	}
}

func TestMayRushCountsOnlyReplies(t *testing.T) {
	replies := func(n int, kind string, firing int64) []core.OutboxMessage {
		var msgs []core.OutboxMessage
		for range n {
			msgs = append(msgs, core.OutboxMessage{Kind: kind, FiringID: firing})
		}
		return msgs
	}
	tests := []struct {
		name  string
		msgs  []core.OutboxMessage
		calls int
		want  bool
	}{
		{"a burst of replies", replies(rushReplies, "reply", 0), rushReplies, false},
		{"one more than a burst", replies(rushReplies+1, "reply", 0), rushReplies, true},
		{"reminder deliveries", replies(rushReplies+1, "reply", 7), rushReplies, false},
		{"notices and a burst of replies", append(replies(rushReplies, "reply", 0), replies(5, core.OutboxNotice, 0)...), rushReplies, false},
		{"three replies, two calls left", replies(3, "reply", 0), 2, true},
		{"three replies, three calls left", replies(3, "reply", 0), 3, false},
		{"one reply, the bucket dry", replies(1, "reply", 0), 0, true},
	}
	for _, tt := range tests {
		if got := mayRush(tt.msgs, tt.calls); got != tt.want {
			t.Errorf("%s: mayRush(%d calls) = %v, want %v", tt.name, tt.calls, got, tt.want)
		}
	}
}

// The worker's bucket, not the claim's size, decides: twins share a call
// as soon as the bucket cannot pay for each of them, and go one by one,
// with their site and distance, while it can.
func TestRushFollowsTheBucket(t *testing.T) {
	tests := []struct {
		name         string
		twins, burst int
		wantBatches  int
		wantReplies  int
	}{
		{"the bucket pays for each", 5, 5, 0, 5},
		{"one more than the bucket holds", 6, 5, 1, 0},
		{"a small claim, a dry bucket", 3, 1, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newNoticeAPI(t)
			bot := newNoticeBot(t, api)
			store := coretest.NewMemStore()
			at := time.Now().Add(-time.Minute)
			var routes []route
			for i := range tt.twins {
				routes = append(routes, p2p(i))
			}
			queueReplies(t, store, at, routes, clockIn)
			w := core.OutboxWorker{Store: store, Senders: map[core.Platform]core.Sender{core.PlatformFeishu: bot}, Log: slog.New(slog.DiscardHandler),
				Limits: map[core.Platform]*core.TokenBucket{core.PlatformFeishu: core.NewTokenBucket(1000, tt.burst, nil, nil)}}
			if _, err := w.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			if len(api.batches) != tt.wantBatches || len(api.replies) != tt.wantReplies {
				t.Errorf("%d twins, a bucket of %d: %d batch_send calls and %d replies, want %d and %d",
					tt.twins, tt.burst, len(api.batches), len(api.replies), tt.wantBatches, tt.wantReplies)
			}
			if len(api.got) != tt.twins {
				t.Errorf("%d people answered, want %d", len(api.got), tt.twins)
			}
		})
	}
}
