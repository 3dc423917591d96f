package core_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// limitedPlatform is a Sender playing a platform's gateway: it refuses a
// call beyond its sliding windows (or when scripted to) with ERATELIMIT,
// and records when each message went.
type limitedPlatform struct {
	mu      sync.Mutex
	now     func() time.Time
	windows []core.SendWindow
	script  map[int]*core.Error // call number (1-based) → scripted refusal
	calls   []time.Time
	sentAt  map[int64]time.Time
	kinds   map[int64]string
	sends   map[int64]int
	refused []time.Time
	metered bool // Metered's answer, when it is used as a MeteredSender
}

func newLimitedPlatform(now func() time.Time, windows ...core.SendWindow) *limitedPlatform {
	return &limitedPlatform{now: now, windows: windows, script: map[int]*core.Error{}, sentAt: map[int64]time.Time{}, kinds: map[int64]string{}, sends: map[int64]int{}}
}

func (p *limitedPlatform) Send(ctx context.Context, m core.OutboxMessage) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	n := len(p.calls) + len(p.refused) + 1
	if e, ok := p.script[n]; ok {
		p.refused = append(p.refused, now)
		return e
	}
	for _, w := range p.windows {
		in := 0
		for _, c := range p.calls {
			if now.Sub(c) < w.Per {
				in++
			}
		}
		if in >= w.Limit {
			p.refused = append(p.refused, now)
			return &core.Error{Code: core.ERATELIMIT, Message: "over the limit", RetryAfter: time.Second}
		}
	}
	p.calls = append(p.calls, now)
	p.sentAt[m.ID], p.kinds[m.ID] = now, m.Kind
	p.sends[m.ID]++
	return nil
}

// maxIn is the most calls any sliding window of d held.
func (p *limitedPlatform) maxIn(d time.Duration) int {
	most := 0
	for i, c := range p.calls {
		n := 0
		for _, o := range p.calls[i:] {
			if o.Sub(c) < d {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

func mustEnqueueReplies(tb testing.TB, s *coretest.MemStore, platform core.Platform, n int, at time.Time) {
	tb.Helper()
	err := s.InTx(context.Background(), func(tx core.Tx) error {
		for i := range n {
			if err := tx.EnqueueOutbox(context.Background(), core.OutboxMessage{Platform: platform, Route: fmt.Sprintf(`{"to":"r%d"}`, i), Kind: "reply",
				Payload: json.RawMessage(`{}`), DedupeKey: fmt.Sprint("reply:", i), CreatedAt: at, NextAttempt: at}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// drainAll runs the worker round after round, as its loop would, until
// nothing is pending or rounds run out.
func drainAll(tb testing.TB, w *core.OutboxWorker, store *coretest.MemStore, v *virtualTime, rounds int) {
	tb.Helper()
	for range rounds {
		if _, err := w.RunOnce(context.Background()); err != nil {
			tb.Fatal(err)
		}
		if n, _ := store.OutboxDepth(context.Background()); n == 0 {
			return
		}
		v.Set(v.Now().Add(time.Second)) // the loop's idle interval
	}
}

// TestOutboxPacesRepliesAndBroadcasts: N replies and M broadcast
// deliveries to one platform go out within its documented windows (here
// 5 a second and 20 a minute, shared through a RateLimiter as across
// replicas), replies first, and the platform never has to refuse a call.
func TestOutboxPacesRepliesAndBroadcasts(t *testing.T) {
	const replies, deliveries = 30, 15
	windows := []core.SendWindow{{Limit: 5, Per: time.Second}, {Limit: 20, Per: time.Minute}}
	v := &virtualTime{}
	at := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	v.Set(at)
	store := coretest.NewMemStore()
	mustEnqueueBroadcast(t, store, core.PlatformFeishu, deliveries, at)
	mustEnqueueReplies(t, store, core.PlatformFeishu, replies, at)
	fake := newLimitedPlatform(v.Now, windows...)
	w := &core.OutboxWorker{Store: store, Senders: map[core.Platform]core.Sender{core.PlatformFeishu: fake}, Now: v.Now, Sleep: v.Sleep, Log: quietLog(),
		Limits:  map[core.Platform]*core.TokenBucket{core.PlatformFeishu: core.NewTokenBucket(5, 5, v.Now, v.Sleep)},
		Shared:  coretest.NewMemKV(v.Now),
		Windows: map[core.Platform][]core.SendWindow{core.PlatformFeishu: windows}, Apps: map[core.Platform]string{core.PlatformFeishu: "cli_test"}}
	drainAll(t, w, store, v, 100)

	if got := len(fake.calls); got != replies+deliveries {
		t.Fatalf("%d messages delivered, want %d", got, replies+deliveries)
	}
	if len(fake.refused) != 0 {
		t.Errorf("the platform refused %d calls, want 0: the worker stays inside the limits", len(fake.refused))
	}
	for _, win := range windows {
		if got := fake.maxIn(win.Per); got > win.Limit {
			t.Errorf("%d calls in one %s, want at most %d", got, win.Per, win.Limit)
		}
	}
	var lastReply, firstDelivery time.Time
	for id, when := range fake.sentAt {
		if fake.kinds[id] == "reply" {
			if when.After(lastReply) {
				lastReply = when
			}
		} else if firstDelivery.IsZero() || when.Before(firstDelivery) {
			firstDelivery = when
		}
		if fake.sends[id] != 1 {
			t.Errorf("message %d sent %d times", id, fake.sends[id])
		}
	}
	if lastReply.After(firstDelivery) {
		t.Errorf("last reply at %s, first delivery at %s: want every reply first", lastReply.Sub(at), firstDelivery.Sub(at))
	}
	// 45 calls at 20 a minute: the last goes two minutes in, not sooner.
	if got, want := fake.calls[len(fake.calls)-1].Sub(at), 2*time.Minute; got < want {
		t.Errorf("the last call went %s in, want at least %s at 20 a minute", got, want)
	}
}

// TestOutboxBacksOffOnRateLimitAnswers: a platform's "too many requests"
// (Slack HTTP 429 with Retry-After, Feishu 99991400 with
// x-ogw-ratelimit-reset, WeCom 45009, as the bots translate them: ERATELIMIT
// with the wait) pauses that platform for the wait, and the refused reply
// is delivered afterwards, once.
func TestOutboxBacksOffOnRateLimitAnswers(t *testing.T) {
	tests := []struct {
		name     string
		platform core.Platform
		wait     time.Duration
	}{
		{"slack 429 Retry-After 3", core.PlatformSlack, 3 * time.Second},
		{"feishu 99991400 reset 5", core.PlatformFeishu, 5 * time.Second},
		{"wecom 45009 minute block", core.PlatformWeCom, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &virtualTime{}
			at := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
			v.Set(at)
			store := coretest.NewMemStore()
			mustEnqueueReplies(t, store, tt.platform, 10, at)
			fake := newLimitedPlatform(v.Now)
			fake.script[3] = &core.Error{Code: core.ERATELIMIT, Message: "rate limited", RetryAfter: tt.wait}
			bucket := core.NewTokenBucket(10, 2, v.Now, v.Sleep)
			w := &core.OutboxWorker{Store: store, Senders: map[core.Platform]core.Sender{tt.platform: fake}, Now: v.Now, Sleep: v.Sleep, Log: quietLog(),
				Limits: map[core.Platform]*core.TokenBucket{tt.platform: bucket}}
			drainAll(t, w, store, v, 200)
			if got := len(fake.calls); got != 10 {
				t.Fatalf("%d of 10 replies delivered", got)
			}
			if len(fake.refused) != 1 {
				t.Fatalf("%d refusals, want the scripted 1", len(fake.refused))
			}
			refusedAt := fake.refused[0]
			for _, c := range fake.calls {
				if c.After(refusedAt) && c.Sub(refusedAt) < tt.wait {
					t.Errorf("a call went %s after the refusal, want none within the platform's %s", c.Sub(refusedAt), tt.wait)
				}
			}
			for id, n := range fake.sends {
				if n != 1 {
					t.Errorf("message %d sent %d times", id, n)
				}
			}
			if bucket.Throttles() != 1 {
				t.Errorf("throttles = %d, want 1", bucket.Throttles())
			}
			for _, m := range store.Outbox() {
				if m.Status != core.OutboxSent {
					t.Errorf("message %d is %s, want sent", m.ID, m.Status)
				}
			}
		})
	}
}

// meteredPlatform is a limitedPlatform whose messages are all outside the
// platform's API limits (as Slack's response_url is).
type meteredPlatform struct{ *limitedPlatform }

func (p meteredPlatform) Metered(core.OutboxMessage) bool { return p.metered }

func TestOutboxDoesNotPaceUnmeteredMessages(t *testing.T) {
	for _, m := range []bool{true, false} {
		v := &virtualTime{}
		at := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
		v.Set(at)
		store := coretest.NewMemStore()
		mustEnqueueReplies(t, store, core.PlatformSlack, 10, at)
		fake := meteredPlatform{newLimitedPlatform(v.Now)}
		fake.metered = m
		w := &core.OutboxWorker{Store: store, Senders: map[core.Platform]core.Sender{core.PlatformSlack: fake}, Now: v.Now, Sleep: v.Sleep, Log: quietLog(),
			Limits: map[core.Platform]*core.TokenBucket{core.PlatformSlack: core.NewTokenBucket(1, 1, v.Now, v.Sleep)}}
		drainAll(t, w, store, v, 50)
		took := fake.calls[len(fake.calls)-1].Sub(at)
		if want := map[bool]time.Duration{true: 9 * time.Second, false: 0}[m]; (m && took < want) || (!m && took != 0) {
			t.Errorf("metered %t: 10 calls took %s, want %s", m, took, want)
		}
	}
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
