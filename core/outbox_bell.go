package core

import (
	"context"
	"sync"
	"time"
)

// OutboxBell wakes this process's idle outbox loops as soon as a
// transaction that may have queued a message commits, so a confirmation
// goes out within a claim's round trip of the punch rather than at the
// loop's next poll. Loops on other replicas still find the message at
// their next poll; the bell only saves the wait, it never decides
// delivery. The zero value is ready; a nil bell never rings.
type OutboxBell struct {
	mu sync.Mutex
	ch chan struct{} // closed by Ring; nil until a loop waits
}

// Ring wakes every loop waiting on the bell. It never blocks.
func (b *OutboxBell) Ring() {
	if b == nil {
		return
	}
	b.mu.Lock()
	if b.ch != nil {
		close(b.ch)
		b.ch = nil
	}
	b.mu.Unlock()
}

// rung returns a channel closed by the next Ring. A loop takes it before
// it claims, so a message committed between the claim and the wait still
// wakes it. A nil bell's channel is nil: it never fires.
func (b *OutboxBell) rung() <-chan struct{} {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch == nil {
		b.ch = make(chan struct{})
	}
	return b.ch
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

// RingOnCommit makes the service's transactions that may queue a message
// (a punch's confirmation, a request's cards and notices) ring bell, the
// one this process's OutboxWorker listens to, once they commit. Reads, and
// writes that tell nobody, use store.InTx and do not ring: the senders
// themselves read views and card references, and a ring there would send
// every loop to claim again for nothing. A ring that finds nothing costs
// one empty claim; a missing one, a wait for the next poll.
func (s *Service) RingOnCommit(bell *OutboxBell) { s.bell = bell }

// inTx is store.InTx for a transaction that may queue an outbox message:
// once it committed, the outbox bell rings.
func (s *Service) inTx(ctx context.Context, fn func(Tx) error) error {
	if err := s.store.InTx(ctx, fn); err != nil {
		return err
	}
	s.bell.Ring()
	return nil
}
