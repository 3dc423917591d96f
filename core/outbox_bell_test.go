package core_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// claimWatcher is a MemStore that reports each claim of replies, so a test
// knows when the worker's loop has found nothing and gone idle, and counts
// them per platform.
type claimWatcher struct {
	*coretest.MemStore
	claims chan struct{}
	mu     *sync.Mutex
	count  map[core.Platform]int
}

func newClaimWatcher(m *coretest.MemStore) claimWatcher {
	return claimWatcher{m, make(chan struct{}, 1), &sync.Mutex{}, map[core.Platform]int{}}
}

func (c claimWatcher) replyClaims(p core.Platform) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count[p]
}

func (c claimWatcher) ClaimOutboxLane(ctx context.Context, p core.Platform, lane core.OutboxLane, limit int, now time.Time, lease time.Duration) ([]core.OutboxMessage, error) {
	msgs, err := c.MemStore.ClaimOutboxLane(ctx, p, lane, limit, now, lease)
	if lane == core.LaneReplies {
		c.mu.Lock()
		c.count[p]++
		c.mu.Unlock()
		select {
		case c.claims <- struct{}{}:
		default:
		}
	}
	return msgs, err
}

// reportingSender says on sent when it sends.
type reportingSender struct{ sent chan int64 }

func (s reportingSender) Send(ctx context.Context, m core.OutboxMessage) error {
	s.sent <- m.ID
	return nil
}

// A punch's confirmation leaves as soon as the punch commits, not at the
// idle worker's next poll (an hour here); without the bell it waits.
func TestOutboxBellWakesIdleWorker(t *testing.T) {
	tests := []struct {
		name     string
		ring     bool
		wantSent bool
	}{
		{"the service rings the worker's bell", true, true},
		{"no bell: the message waits for the poll", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.clock.Set(sh(t, "2026-11-26 08:50:00"))
			bell := &core.OutboxBell{}
			if tc.ring {
				h.svc.RingOnCommit(bell)
			}
			store := newClaimWatcher(h.store)
			sender := reportingSender{make(chan int64, 4)}
			w := &core.OutboxWorker{Store: store, Senders: map[core.Platform]core.Sender{core.PlatformWeCom: sender}, Now: h.clock.Now, Bell: bell}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); w.Run(ctx, time.Hour) }()
			defer func() { cancel(); <-done }()

			select {
			case <-store.claims: // the first claim found nothing: idle from here
			case <-time.After(5 * time.Second):
				t.Fatal("the worker never claimed")
			}
			h.punch(t, "zhangsan", core.KindIn, sh(t, "2026-11-26 08:50:00"), north(office, 10), "e-bell")
			wait := 5 * time.Second
			if !tc.wantSent {
				wait = 300 * time.Millisecond
			}
			select {
			case id := <-sender.sent:
				if !tc.wantSent {
					t.Errorf("message %d sent before the worker's poll, with no bell to wake it", id)
				}
			case <-time.After(wait):
				if tc.wantSent {
					t.Errorf("confirmation not sent within %s of the commit, want at once", wait)
				}
			}
		})
	}
}

// A ring is for the platforms the transaction queued messages for: a WeCom
// punch wakes the WeCom loop and leaves the idle Feishu loop asleep, which
// would otherwise claim for nothing after every punch of the company.
func TestOutboxBellRingsOnlyQueuedPlatforms(t *testing.T) {
	h := newHarness(t, nil)
	h.clock.Set(sh(t, "2026-11-26 08:50:00"))
	bell := &core.OutboxBell{}
	h.svc.RingOnCommit(bell)
	store := newClaimWatcher(h.store)
	wecom, feishu := reportingSender{make(chan int64, 4)}, reportingSender{make(chan int64, 4)}
	w := &core.OutboxWorker{Store: store, Senders: map[core.Platform]core.Sender{core.PlatformWeCom: wecom, core.PlatformFeishu: feishu}, Now: h.clock.Now, Bell: bell}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx, time.Hour) }()
	defer func() { cancel(); <-done }()

	deadline := time.Now().Add(5 * time.Second)
	for store.replyClaims(core.PlatformWeCom) == 0 || store.replyClaims(core.PlatformFeishu) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the loops never claimed")
		}
		time.Sleep(time.Millisecond)
	}
	feishuBefore := store.replyClaims(core.PlatformFeishu)
	h.punch(t, "zhangsan", core.KindIn, sh(t, "2026-11-26 08:50:00"), north(office, 10), "e-bell-wecom")
	select {
	case <-wecom.sent:
	case <-time.After(5 * time.Second):
		t.Fatal("the WeCom confirmation was not sent at once")
	}
	time.Sleep(100 * time.Millisecond) // room for a wrongly woken loop to claim
	if got := store.replyClaims(core.PlatformFeishu); got != feishuBefore {
		t.Errorf("Feishu loop claimed replies %d times after a WeCom punch, want 0 (it was not rung)", got-feishuBefore)
	}
}
