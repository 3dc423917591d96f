package coretest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

func stOutbox(t *testing.T, s Store) {
	ctx := context.Background()
	now := stNow
	enqueue := func(msgs ...core.OutboxMessage) {
		t.Helper()
		stMustInTx(t, s, func(tx core.Tx) error {
			for _, m := range msgs {
				if err := tx.EnqueueOutbox(ctx, m); err != nil {
					return err
				}
			}
			return nil
		})
	}
	msg := func(p core.Platform, key string, next time.Time) core.OutboxMessage {
		return core.OutboxMessage{Platform: p, Route: `{"channel":"C1","ts":"1.2"}`, Kind: "reply", Payload: json.RawMessage(`{"Outcome":"accepted","n":1}`),
			DedupeKey: key, NextAttempt: next, Status: core.OutboxPending, CreatedAt: now.Add(-time.Second)}
	}
	first := msg(core.PlatformSlack, "k1", now)
	first.FiringID = 7
	enqueue(first, msg(core.PlatformSlack, "", now.Add(-time.Minute)))
	// A duplicate key is skipped without error, in the same or a later
	// transaction, whatever its content.
	dup := msg(core.PlatformSlack, "k1", now)
	dup.Payload = json.RawMessage(`{"other":true}`)
	enqueue(dup, msg(core.PlatformWeCom, "k2", now), msg(core.PlatformSlack, "later", now.Add(time.Hour)))
	enqueue(msg(core.PlatformWeCom, "k2", now))
	// A message without a next attempt time is due at once.
	enqueue(core.OutboxMessage{Platform: core.PlatformFeishu, Kind: "card", Payload: json.RawMessage(`[1,2]`), CreatedAt: now})

	if d := stMustDepth(t, s); d != 5 {
		t.Errorf("depth = %d, want 5 (duplicates skipped)", d)
	}
	claim := func(p core.Platform, limit int, at time.Time) []core.OutboxMessage {
		t.Helper()
		ms, err := s.ClaimOutbox(ctx, p, limit, at, time.Minute)
		if err != nil {
			t.Fatalf("ClaimOutbox(%s): %v", p, err)
		}
		return ms
	}
	keys := func(ms []core.OutboxMessage) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.DedupeKey)
		}
		return out
	}

	got := claim(core.PlatformSlack, 10, now)
	stDiff(t, "first claim (due slack messages, oldest first)", keys(got), []string{"k1", ""})
	if len(got) == 2 {
		want := first
		want.ID = got[0].ID
		stDiff(t, "claimed message", stNormOutbox(got[0]), stNormOutbox(want))
	}
	if again := claim(core.PlatformSlack, 10, now.Add(30*time.Second)); len(again) != 0 {
		t.Errorf("claim while leased = %v, want none", keys(again))
	}
	if f := claim(core.PlatformFeishu, 10, now); len(f) != 1 || f[0].Status != core.OutboxPending || string(f[0].Payload) != `[1,2]` {
		t.Errorf("claim of a message without next attempt = %+v, want it", f)
	}
	if w := claim(core.PlatformWeCom, 1, now); len(w) != 1 || w[0].DedupeKey != "k2" {
		t.Errorf("wecom claim = %v, want [k2]", keys(w))
	}

	// The lease runs out: the same messages can be claimed again, with a
	// limit.
	expired := claim(core.PlatformSlack, 1, now.Add(61*time.Second))
	stDiff(t, "claim after lease expiry, limit 1", keys(expired), []string{"k1"})

	sent := got[0]
	sent.Attempts, sent.Status, sent.SentAt = 1, core.OutboxSent, now.Add(62*time.Second)
	if err := s.FinishOutbox(ctx, sent); err != nil {
		t.Fatalf("FinishOutbox(sent): %v", err)
	}
	retry := got[1]
	retry.Attempts, retry.LastError, retry.NextAttempt = 1, "slack: ratelimited", now.Add(5*time.Minute)
	if err := s.FinishOutbox(ctx, retry); err != nil {
		t.Fatalf("FinishOutbox(retry): %v", err)
	}
	if d := stMustDepth(t, s); d != 4 {
		t.Errorf("depth after one sent = %d, want 4", d)
	}
	// Finishing releases the lease, but the retry waits for its time.
	if c := claim(core.PlatformSlack, 10, now.Add(2*time.Minute)); len(c) != 0 {
		t.Errorf("claim before the retry time = %v, want none", keys(c))
	}
	c := claim(core.PlatformSlack, 10, now.Add(5*time.Minute))
	stDiff(t, "claim at the retry time", keys(c), []string{""})
	if len(c) == 1 {
		want := retry
		stDiff(t, "retried message", stNormOutbox(c[0]), stNormOutbox(want))
	}
	failed := c[0]
	failed.Attempts, failed.Status, failed.LastError = 8, core.OutboxFailed, "gave up"
	if err := s.FinishOutbox(ctx, failed); err != nil {
		t.Fatalf("FinishOutbox(failed): %v", err)
	}
	if d := stMustDepth(t, s); d != 3 {
		t.Errorf("depth after one failed = %d, want 3", d)
	}
	if c := claim(core.PlatformSlack, 10, now.Add(2*time.Hour)); !slices.Equal(keys(c), []string{"later"}) {
		t.Errorf("final slack claim = %v, want [later]: sent and failed messages are never claimed", keys(c))
	}
}

func stOutboxConcurrentClaims(t *testing.T, s Store) {
	ctx := context.Background()
	const n = 40
	stMustInTx(t, s, func(tx core.Tx) error {
		for i := range n {
			m := core.OutboxMessage{Platform: core.PlatformSlack, Kind: "reply", Payload: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i)),
				DedupeKey: fmt.Sprintf("c-%d", i), NextAttempt: stNow, Status: core.OutboxPending, CreatedAt: stNow}
			if err := tx.EnqueueOutbox(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	claimEachOnce(t, "ClaimOutbox", n, func() ([]core.OutboxMessage, error) {
		return s.ClaimOutbox(ctx, core.PlatformSlack, 3, stNow, time.Hour)
	})
}

// claimEachOnce runs claim on 4 goroutines until it returns nothing and
// checks that the n queued messages were each claimed exactly once.
func claimEachOnce(t *testing.T, what string, n int, claim func() ([]core.OutboxMessage, error)) {
	t.Helper()
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ms, err := claim()
				if err != nil {
					errs <- err
					return
				}
				if len(ms) == 0 {
					return
				}
				mu.Lock()
				for _, m := range ms {
					seen[m.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent %s: %v", what, err)
	}
	if len(seen) != n {
		t.Errorf("%s claimed %d distinct messages, want %d", what, len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("%s claimed message %d %d times, want once", what, id, k)
		}
	}
}
