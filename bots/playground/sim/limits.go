package sim

import (
	"sync"
	"time"
)

// window is a sliding-window rate limit per key: at most n calls in any
// span of per, as the platforms state their limits ("30 per minute per
// member", "50 per second per app"). A refused call is not counted.
type window struct {
	n   int
	per time.Duration
	now func() time.Time

	mu   sync.Mutex
	hits map[string][]time.Time
}

func newWindow(n int, per time.Duration, now func() time.Time) *window {
	return &window{n: n, per: per, now: now, hits: map[string][]time.Time{}}
}

// allow records a call for key if the window has room; retry is how long
// until it would have.
func (w *window) allow(key string) (ok bool, retry time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	h := w.hits[key]
	for len(h) > 0 && now.Sub(h[0]) >= w.per {
		h = h[1:]
	}
	if len(h) >= w.n {
		w.hits[key] = h
		return false, w.per - now.Sub(h[0])
	}
	w.hits[key] = append(h, now)
	return true, 0
}

// limits checks several windows at once: a call passes only if every one
// has room, and is counted in all of them then.
type limits []*window

func (ls limits) allow(keys ...string) (ok bool, retry time.Duration) {
	for i, w := range ls {
		ok, r := w.allow(keys[i])
		if !ok {
			// Give back what the earlier windows counted.
			for j, back := range ls[:i] {
				back.unallow(keys[j])
			}
			return false, r
		}
	}
	return true, 0
}

func (w *window) unallow(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if h := w.hits[key]; len(h) > 0 {
		w.hits[key] = h[:len(h)-1]
	}
}
