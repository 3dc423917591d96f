package core

import (
	"context"
	"slices"
	"sync"
	"time"
)

// OutboxBell wakes this process's idle outbox loops as soon as a
// transaction that queued a message for their platform commits, so a
// confirmation goes out within a claim's round trip of the punch rather
// than at the loop's next poll. Loops on other replicas still find the
// message at their next poll; the bell only saves the wait, it never
// decides delivery. Each platform has its own ring: a Feishu punch does not
// send the WeCom and Slack loops to claim for nothing. The zero value is
// ready; a nil bell never rings.
type OutboxBell struct {
	mu sync.Mutex
	ch map[Platform]chan struct{} // closed by Ring; absent until a loop waits
}

// Ring wakes every loop waiting on the bell for one of platforms. It never
// blocks.
func (b *OutboxBell) Ring(platforms ...Platform) {
	if b == nil {
		return
	}
	b.mu.Lock()
	for _, p := range platforms {
		if ch, ok := b.ch[p]; ok {
			close(ch)
			delete(b.ch, p)
		}
	}
	b.mu.Unlock()
}

// rung returns a channel closed by the next Ring for platform. A loop
// takes it before it claims, so a message committed between the claim and
// the wait still wakes it. A nil bell's channel is nil: it never fires.
func (b *OutboxBell) rung(platform Platform) <-chan struct{} {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch == nil {
		b.ch = map[Platform]chan struct{}{}
	}
	ch, ok := b.ch[platform]
	if !ok {
		ch = make(chan struct{})
		b.ch[platform] = ch
	}
	return ch
}

// idle waits d, or less when rung fires; it returns ctx's error when ctx
// ends first.
func idle(ctx context.Context, d time.Duration, rung <-chan struct{}) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	case <-rung:
		return nil
	}
}

// RingOnCommit makes the service's transactions ring bell, the one this
// process's OutboxWorker listens to, once they commit, for the platforms
// they queued messages for (a punch's confirmation, a request's cards and
// notices). A transaction that queued nothing rings nothing, so every
// transaction of the service goes through inTx and none has to be chosen
// by hand. A ring that finds nothing costs one empty claim; a missing
// one, a wait for the next poll.
func (s *Service) RingOnCommit(bell *OutboxBell) { s.bell = bell }

// inTx is store.InTx, and once the transaction committed, the outbox
// bell for the platforms of the messages it queued.
func (s *Service) inTx(ctx context.Context, fn func(Tx) error) error {
	if s.bell == nil {
		return s.store.InTx(ctx, fn)
	}
	var queued []Platform
	err := s.store.InTx(ctx, func(tx Tx) error {
		return fn(&queueingTx{Tx: tx, queued: &queued})
	})
	if err != nil {
		return err
	}
	s.bell.Ring(queued...)
	return nil
}

// queueingTx is a transaction that notes the platform of every message it
// queues, for the bell to ring once it commits.
type queueingTx struct {
	Tx
	queued *[]Platform
}

func (t *queueingTx) EnqueueOutbox(ctx context.Context, m OutboxMessage) error {
	if err := t.Tx.EnqueueOutbox(ctx, m); err != nil {
		return err
	}
	if !slices.Contains(*t.queued, m.Platform) {
		*t.queued = append(*t.queued, m.Platform)
	}
	return nil
}

// PutCardRef and CardRefs keep the store's MakeupTx (makeup_service.go)
// visible through the wrapper.
func (t *queueingTx) PutCardRef(ctx context.Context, ref CardRef) error {
	mt, err := makeupTx(t.Tx)
	if err != nil {
		return err
	}
	return mt.PutCardRef(ctx, ref)
}

func (t *queueingTx) CardRefs(ctx context.Context, requestID int64) ([]CardRef, error) {
	mt, err := makeupTx(t.Tx)
	if err != nil {
		return nil, err
	}
	return mt.CardRefs(ctx, requestID)
}
