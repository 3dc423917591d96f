package core_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

func TestTokenBucketAvailable(t *testing.T) {
	v := &virtualTime{}
	v.Set(time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC))
	b := core.NewTokenBucket(10, 5, v.Now, v.Sleep)
	ctx := context.Background()
	steps := []struct {
		name string
		do   func()
		want int
	}{
		{"full", func() {}, 5},
		{"after three calls", func() {
			for range 3 {
				b.Wait(ctx)
			}
		}, 2},
		{"a tenth of a second later", func() { v.Set(v.Now().Add(100 * time.Millisecond)) }, 3},
		{"never above the burst", func() { v.Set(v.Now().Add(time.Hour)) }, 5},
		{"paused by the platform", func() { b.Throttle(time.Second) }, 0},
	}
	for _, s := range steps {
		s.do()
		if got := b.Available(); got != s.want {
			t.Errorf("%s: Available() = %d, want %d", s.name, got, s.want)
		}
	}
}

// budgetFake is a batchFake that is also a BudgetGrouper and notes the
// calls the worker said its bucket held.
type budgetFake struct {
	*batchFake
	told []int
}

func (f *budgetFake) GroupWithin(msgs []core.OutboxMessage, calls int) [][]core.OutboxMessage {
	f.told = append(f.told, calls)
	return f.Group(msgs)
}

func TestOutboxWorkerTellsTheBucketToABudgetGrouper(t *testing.T) {
	tests := []struct {
		name   string
		bucket *core.TokenBucket
		want   int
	}{
		{"a bucket of 7", core.NewTokenBucket(1, 7, nil, nil), 7},
		{"no bucket", nil, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := coretest.NewMemStore()
			at := time.Now().Add(-time.Minute)
			if err := store.InTx(context.Background(), func(tx core.Tx) error {
				return tx.EnqueueOutbox(context.Background(), core.OutboxMessage{Platform: core.PlatformFeishu, Route: `{}`, Kind: "reply",
					Payload: json.RawMessage(`{}`), CreatedAt: at, NextAttempt: at})
			}); err != nil {
				t.Fatal(err)
			}
			fake := &budgetFake{batchFake: &batchFake{size: 10, got: map[int64]int{}, now: time.Now}}
			w := &core.OutboxWorker{Store: store, Senders: map[core.Platform]core.Sender{core.PlatformFeishu: fake}}
			if tt.bucket != nil {
				w.Limits = map[core.Platform]*core.TokenBucket{core.PlatformFeishu: tt.bucket}
			}
			if _, err := w.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			if len(fake.told) != 1 || fake.told[0] != tt.want {
				t.Errorf("GroupWithin told %v calls, want [%d]", fake.told, tt.want)
			}
			if len(fake.got) != 1 {
				t.Errorf("%d messages sent, want 1", len(fake.got))
			}
		})
	}
}
