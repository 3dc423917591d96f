package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// InTx calls that wait for the writer together commit together, and each
// still gets exactly the outcome it would have had alone.
func TestGroupCommitIsolatesMembers(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	event := func(id string) core.EventRecord {
		return core.EventRecord{Source: "group", EventID: id, Reply: core.Reply{Outcome: core.OutcomeAccepted}, CreatedAt: time.Now()}
	}
	// The first call holds the writer until the others have queued.
	release := make(chan struct{})
	holding := make(chan struct{})
	firstDone := make(chan error, 1)
	go func() {
		firstDone <- s.InTx(ctx, func(tx core.Tx) error {
			close(holding)
			<-release
			return tx.InsertEvent(ctx, event("first"))
		})
	}()
	<-holding

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	errOwn := errors.New("the member's own failure")
	type member struct {
		name string
		ctx  context.Context
		fn   func(tx core.Tx) error
		want func(err error, panicked any) error // nil when as expected
		kept bool
	}
	ok := func(err error, p any) error {
		if err != nil || p != nil {
			return fmt.Errorf("err %v, panic %v; want success", err, p)
		}
		return nil
	}
	members := []member{
		{name: "a", ctx: ctx, kept: true, want: ok},
		{name: "fails after writing", ctx: ctx, fn: func(tx core.Tx) error {
			if err := tx.InsertEvent(ctx, event("fails after writing")); err != nil {
				return err
			}
			return errOwn
		}, want: func(err error, p any) error {
			if !errors.Is(err, errOwn) || p != nil {
				return fmt.Errorf("err %v, panic %v; want its own error", err, p)
			}
			return nil
		}},
		{name: "b", ctx: ctx, kept: true, want: ok},
		{name: "panics after writing", ctx: ctx, fn: func(tx core.Tx) error {
			if err := tx.InsertEvent(ctx, event("panics after writing")); err != nil {
				return err
			}
			panic("member panic")
		}, want: func(err error, p any) error {
			if p != "member panic" {
				return fmt.Errorf("err %v, panic %v; want its panic on its own goroutine", err, p)
			}
			return nil
		}},
		{name: "duplicate of a", ctx: ctx, fn: func(tx core.Tx) error { return tx.InsertEvent(ctx, event("a")) }, want: func(err error, p any) error {
			if core.ErrorCode(err) != core.ECONFLICT {
				return fmt.Errorf("err %v, panic %v; want ECONFLICT", err, p)
			}
			return nil
		}},
		{name: "cancelled before its turn", ctx: cancelled, want: func(err error, p any) error {
			if core.ErrorCode(err) != core.EUNAVAILABLE {
				return fmt.Errorf("err %v, panic %v; want EUNAVAILABLE", err, p)
			}
			return nil
		}},
		{name: "c", ctx: ctx, kept: true, want: ok},
	}
	commitsBefore := s.writes.commits.Load()
	var wg sync.WaitGroup
	problems := make([]error, len(members))
	for i, m := range members {
		if m.fn == nil {
			m.fn = func(tx core.Tx) error { return tx.InsertEvent(m.ctx, event(m.name)) }
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			var p any
			func() {
				defer func() { p = recover() }()
				err = s.InTx(m.ctx, m.fn)
			}()
			problems[i] = m.want(err, p)
		}()
		waitQueued(t, s, i+1) // queue them in order
	}
	close(release)
	if err := <-firstDone; err != nil {
		t.Fatalf("first call: %v", err)
	}
	wg.Wait()
	for i, m := range members {
		if problems[i] != nil {
			t.Errorf("%s: %v", m.name, problems[i])
		}
		_, err := s.EventReply(ctx, "group", m.name)
		if kept := err == nil; kept != m.kept {
			t.Errorf("%s: event kept = %v (%v), want %v", m.name, kept, err, m.kept)
		}
	}
	if got := s.writes.commits.Load() - commitsBefore; got != 2 {
		t.Errorf("commits = %d, want 2: the first call's, then one for everything queued behind it", got)
	}
}

// A write that may not share a transaction runs alone, in queue order.
func TestWritesOutsideInTxRunAlone(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	release := make(chan struct{})
	holding := make(chan struct{})
	go s.InTx(ctx, func(core.Tx) error { close(holding); <-release; return nil })
	<-holding
	var order []string
	var mu sync.Mutex
	note := func(what string) {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, what)
	}
	var wg sync.WaitGroup
	queue := func(what string, alone bool, queued int) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if alone {
				err = s.writeTx(ctx, func(txConn) error { note(what); return nil })
			} else {
				err = s.InTx(ctx, func(core.Tx) error { note(what); return nil })
			}
			if err != nil {
				t.Errorf("%s: %v", what, err)
			}
		}()
		waitQueued(t, s, queued)
	}
	before := s.writes.commits.Load()
	queue("tx1", false, 1)
	queue("alone", true, 2)
	queue("tx2", false, 3)
	close(release)
	wg.Wait()
	if fmt.Sprint(order) != "[tx1 alone tx2]" {
		t.Errorf("order = %v, want [tx1 alone tx2]", order)
	}
	if got := s.writes.commits.Load() - before; got != 4 {
		t.Errorf("commits = %d, want 4 (the holder, tx1, the write alone, tx2)", got)
	}
}

// waitQueued waits until n writes wait in s's queue.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		s.writes.mu.Lock()
		queued := len(s.writes.queue)
		s.writes.mu.Unlock()
		if queued == n {
			return
		}
	}
	t.Fatalf("%d writes never queued", n)
}
