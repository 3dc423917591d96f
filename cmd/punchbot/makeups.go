package main

import (
	"context"
	"time"
)

// makeupExpiryInterval is how often pending make-up requests are checked
// against the policy's expiry; a request expires at most this late.
const makeupExpiryInterval = time.Minute

// expireMakeups expires overdue make-up requests now and then every
// makeupExpiryInterval until ctx ends; the returned channel closes when it
// has stopped. Every replica runs it: each request is expired in its own
// transaction, and another replica finds it closed and skips it.
func (s *server) expireMakeups(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(makeupExpiryInterval)
		defer t.Stop()
		for {
			n, err := s.svc.ExpireMakeups(ctx)
			if err != nil && ctx.Err() == nil {
				s.log.Error("expiring make-up requests failed", "err", err)
			}
			if n > 0 {
				s.log.Info("make-up requests expired", "count", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return done
}
