package core_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// virtualTime is a clock whose sleeps advance it instantly.
type virtualTime struct{ testClock }

func (v *virtualTime) Sleep(ctx context.Context, d time.Duration) error {
	v.Set(v.Now().Add(d))
	return ctx.Err()
}

func TestTokenBucket(t *testing.T) {
	v := &virtualTime{}
	start := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	v.Set(start)
	b := core.NewTokenBucket(10, 5, v.Now, v.Sleep)
	ctx := context.Background()
	take := func(n int) time.Duration {
		t.Helper()
		from := v.Now()
		for range n {
			if err := b.Wait(ctx); err != nil {
				t.Fatal(err)
			}
		}
		return v.Now().Sub(from)
	}
	if d := take(5); d != 0 {
		t.Errorf("the burst of 5 took %s, want no wait", d)
	}
	if d := take(10); d < 990*time.Millisecond || d > 1010*time.Millisecond {
		t.Errorf("10 more at 10/s took %s, want about 1 s", d)
	}
	// The platform says "too many": nothing goes for its wait, then at half
	// the rate.
	b.Throttle(3 * time.Second)
	if p := b.PausedFor(); p != 3*time.Second {
		t.Errorf("paused for %s, want 3 s", p)
	}
	b.Throttle(time.Second) // a second answer from a call in flight
	if b.Throttles() != 1 {
		t.Errorf("throttles = %d, want 1 per episode", b.Throttles())
	}
	if d := take(1); d < 3*time.Second {
		t.Errorf("first call after a throttle waited %s, want at least the 3 s pause", d)
	}
	if d := take(5); d < 900*time.Millisecond {
		t.Errorf("5 calls after a throttle took %s, want the halved rate (about 1 s)", d)
	}
	// It recovers: after a long quiet spell the full burst and rate return.
	v.Set(v.Now().Add(time.Minute))
	if d := take(5); d != 0 {
		t.Errorf("burst after recovery took %s, want none", d)
	}
	if d := take(10); d > 1010*time.Millisecond {
		t.Errorf("10 calls after recovery took %s, want the full rate again", d)
	}
	// A deadline before the next token gives the work back at once.
	b.Throttle(time.Hour)
	if err := b.WaitBefore(ctx, v.Now().Add(time.Minute)); err != core.ErrWouldExceedDeadline {
		t.Errorf("WaitBefore a deadline inside a pause = %v, want ErrWouldExceedDeadline", err)
	}
}

// batchFake is a BatchSender that groups messages with the same payload,
// up to size per call, and scripts one answer per call.
type batchFake struct {
	mu      sync.Mutex
	size    int
	answers []error // per call; nil entries (or none left) mean success
	calls   [][]int64
	got     map[int64]int
	now     func() time.Time
	times   []time.Time
}

func (f *batchFake) Send(ctx context.Context, m core.OutboxMessage) error {
	return f.SendGroup(ctx, []core.OutboxMessage{m})[0]
}
func (f *batchFake) MaxBatch() int { return 100 }
func (f *batchFake) Group(msgs []core.OutboxMessage) [][]core.OutboxMessage {
	var out [][]core.OutboxMessage
	index := map[string]int{}
	for _, m := range msgs {
		i, ok := index[string(m.Payload)]
		if !ok || len(out[i]) >= f.size || m.Kind == "reply" {
			out = append(out, nil)
			i = len(out) - 1
			index[string(m.Payload)] = i
		}
		out[i] = append(out[i], m)
	}
	return out
}
func (f *batchFake) SendGroup(ctx context.Context, group []core.OutboxMessage) []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []int64
	for _, m := range group {
		ids = append(ids, m.ID)
	}
	f.calls = append(f.calls, ids)
	f.times = append(f.times, f.now())
	var err error
	if len(f.answers) > 0 {
		err, f.answers = f.answers[0], f.answers[1:]
	}
	errs := make([]error, len(group))
	for i, m := range group {
		errs[i] = err
		if err == nil {
			f.got[m.ID]++
		}
	}
	return errs
}

func mustEnqueueBroadcast(tb testing.TB, s *coretest.MemStore, platform core.Platform, n int, at time.Time) int64 {
	tb.Helper()
	ctx := context.Background()
	f, _, err := s.BeginFiring(ctx, core.Firing{ReminderID: "all", Kind: core.ReminderBroadcast, FireAt: at, CreatedAt: at})
	if err != nil {
		tb.Fatal(err)
	}
	var msgs []core.OutboxMessage
	for i := range n {
		to := core.Recipient{Platform: platform, UserID: fmt.Sprint("u", i), EmployeeID: fmt.Sprint("e", i)}
		route, _ := json.Marshal(to)
		msgs = append(msgs, core.OutboxMessage{Platform: platform, Route: string(route), Kind: core.OutboxNotice,
			Payload: json.RawMessage(`{"text":"hi"}`), DedupeKey: core.DeliveryKey("all", at, to), CreatedAt: at, NextAttempt: at})
	}
	if _, err := s.EnqueueDeliveries(ctx, f.ID, msgs); err != nil {
		tb.Fatal(err)
	}
	return f.ID
}

func TestOutboxWorkerBatchesAndRepliesFirst(t *testing.T) {
	v := &virtualTime{}
	at := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	v.Set(at)
	store := coretest.NewMemStore()
	firing := mustEnqueueBroadcast(t, store, core.PlatformWeCom, 250, at)
	// A reply arrives after the broadcast was queued.
	if err := store.InTx(context.Background(), func(tx core.Tx) error {
		return tx.EnqueueOutbox(context.Background(), core.OutboxMessage{Platform: core.PlatformWeCom, Route: `{"touser":"x"}`, Kind: "reply", Payload: json.RawMessage(`{}`), CreatedAt: at, NextAttempt: at})
	}); err != nil {
		t.Fatal(err)
	}
	fake := &batchFake{size: 100, got: map[int64]int{}, now: v.Now}
	w := &core.OutboxWorker{Store: store, Senders: map[core.Platform]core.Sender{core.PlatformWeCom: fake}, Now: v.Now,
		Limits: map[core.Platform]*core.TokenBucket{core.PlatformWeCom: core.NewTokenBucket(2, 1, v.Now, v.Sleep)}}
	for range 5 {
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(fake.calls) < 4 || len(fake.calls) > 5 || len(fake.calls[0]) != 1 {
		t.Fatalf("calls = %d (first with %d messages), want the reply alone first, then 250 in 3 or 4 calls", len(fake.calls), len(fake.calls[0]))
	}
	for _, c := range fake.calls[1:] {
		if len(c) > 100 {
			t.Errorf("a call carried %d messages, want at most 100", len(c))
		}
	}
	// The reply is not paced; the deliveries are.
	for i := 2; i < len(fake.times); i++ {
		if gap := fake.times[i].Sub(fake.times[i-1]); gap < 499*time.Millisecond {
			t.Errorf("calls %d and %d %s apart, want ≥ 0.5 s at 2/s", i-1, i, gap)
		}
	}
	counts, _ := store.FiringCounts(context.Background(), []int64{firing})
	if c := counts[firing]; c.Sent != 250 || c.Pending != 0 {
		t.Errorf("counts = %+v, want 250 sent", c)
	}
	for id, n := range fake.got {
		if n != 1 {
			t.Errorf("message %d sent %d times", id, n)
		}
	}
}

func TestOutboxWorkerRateLimitedGivesBackUntried(t *testing.T) {
	v := &virtualTime{}
	at := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	v.Set(at)
	store := coretest.NewMemStore()
	firing := mustEnqueueBroadcast(t, store, core.PlatformSlack, 30, at)
	limited := &core.Error{Code: core.ERATELIMIT, Message: "slack rate limit", RetryAfter: 2 * time.Minute}
	fake := &batchFake{size: 1, got: map[int64]int{}, now: v.Now, answers: []error{nil, nil, limited}}
	bucket := core.NewTokenBucket(100, 10, v.Now, v.Sleep)
	w := &core.OutboxWorker{Store: store, Senders: map[core.Platform]core.Sender{core.PlatformSlack: fake}, Now: v.Now,
		Limits: map[core.Platform]*core.TokenBucket{core.PlatformSlack: bucket}}
	sent, err := w.RunOnce(context.Background())
	if err != nil || sent != 2 {
		t.Fatalf("first round sent %d, %v; want 2 before the limit", sent, err)
	}
	var limitedMsg, untried core.OutboxMessage
	for _, m := range store.Outbox() {
		switch {
		case m.Attempts == 1 && m.Status == core.OutboxPending:
			limitedMsg = m
		case m.Attempts == 0 && untried.ID == 0:
			untried = m
		}
	}
	if !strings.Contains(limitedMsg.LastError, "rate limit") || !limitedMsg.NextAttempt.Equal(at.Add(2*time.Minute)) {
		t.Errorf("the limited message = %+v, want one attempt and the platform's 2 min wait", limitedMsg)
	}
	if untried.ID == 0 || untried.NextAttempt.Before(at.Add(2*time.Minute)) {
		t.Errorf("an untried message = %+v, want no attempt counted and not due before the pause ends", untried)
	}
	// Nothing goes while paused; afterwards everything goes, once.
	if n, _ := w.RunOnce(context.Background()); n != 0 {
		t.Errorf("sent %d while paused, want 0", n)
	}
	v.Set(at.Add(2*time.Minute + time.Second))
	for range 5 {
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	counts, _ := store.FiringCounts(context.Background(), []int64{firing})
	if c := counts[firing]; c.Sent != 30 {
		t.Errorf("counts = %+v, want all 30 sent", c)
	}
	for id, n := range fake.got {
		if n != 1 {
			t.Errorf("message %d sent %d times", id, n)
		}
	}
	if bucket.Throttles() != 1 {
		t.Errorf("throttles = %d, want 1", bucket.Throttles())
	}
}

// blockingSender holds every send until released, to stop a worker in the
// middle of a call.
type blockingSender struct {
	started chan struct{}
	release chan struct{}
	mu      sync.Mutex
	sent    int
}

func (b *blockingSender) Send(ctx context.Context, m core.OutboxMessage) error {
	b.started <- struct{}{}
	select {
	case <-b.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	b.mu.Lock()
	b.sent++
	b.mu.Unlock()
	return nil
}

func TestOutboxWorkerFinishesInFlightSendOnShutdown(t *testing.T) {
	at := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	store := coretest.NewMemStore()
	mustEnqueueBroadcast(t, store, core.PlatformFeishu, 3, at)
	s := &blockingSender{started: make(chan struct{}, 3), release: make(chan struct{})}
	w := &core.OutboxWorker{Store: store, Senders: map[core.Platform]core.Sender{core.PlatformFeishu: s}, Now: func() time.Time { return at }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		w.Run(ctx, 10*time.Millisecond)
		close(done)
	}()
	<-s.started
	cancel()
	close(s.release)
	<-done
	var sent, pending int
	for _, m := range store.Outbox() {
		switch {
		case m.Status == core.OutboxSent:
			sent++
		case m.Status == core.OutboxPending && m.Attempts == 0:
			pending++
		}
	}
	if sent != 1 || s.sent != 1 || pending != 2 {
		t.Errorf("after shutdown: %d recorded sent (%d really sent), %d untouched; want the call in flight finished and recorded, the rest left", sent, s.sent, pending)
	}
}
