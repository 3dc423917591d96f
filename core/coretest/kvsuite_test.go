package coretest_test

import (
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core/coretest"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestMemKVConformance(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 3, 1, 23, 59, 59, 0, time.UTC)}
	coretest.RunKVSuite(t, func(t *testing.T) coretest.KV { return coretest.NewMemKV(clock.Now) }, clock.Advance)
}
