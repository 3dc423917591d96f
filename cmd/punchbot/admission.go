package main

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/punchbot/punchbot/adapters/postgres"
)

// Admission control. A replica past its capacity that queues callbacks
// answers all of them late: each waits behind the others until the bots'
// own timeouts (Feishu 2.5 s, WeCom 4 s, Slack 2.5 s) turn it into a 500,
// the platform retries, and the retries add to the load that caused it. So
// the punch work in flight is bounded, and a callback past the bound is
// answered at once with the platform's retry-later signal, 503 with
// Retry-After, while the replica keeps answering the rest within their
// deadlines:
//   - Feishu retries a push that was not answered 200 (PLATFORMS.md §5.4,
//     "failed pushes are retried"; dedupe is by header.event_id, so the
//     retry punches once);
//   - WeCom retries a callback it got no answer to within 5 s
//     (PLATFORMS.md §1.5); a 503 is such a non-answer for its delivery log;
//   - Slack retries Events API deliveries answered non-2xx
//     (X-Slack-Retry-Reason http_error, PLATFORMS.md §8); slash commands
//     and button clicks are not retried, the user sees Slack's error and
//     repeats the command, which is the honest answer when nothing was
//     recorded;
//   - the location page's script offers to try again on a 503.
//
// The bound covers the whole request, from reading the body to the
// response, because on a 2-core replica decryption and decoding cost as
// much as the transaction.

// Admission limits.
const (
	// admissionWait is how long a callback past the bound may wait for a
	// slot while the replica is shedding. A few milliseconds absorb the
	// jitter of a replica at its capacity without making a shed request
	// late or letting an overload build a standing queue.
	admissionWait = 20 * time.Millisecond
	// admissionPatience is how long it may wait while the replica is not
	// shedding: a stall of a few hundred milliseconds (the host's other
	// tenants, a checkpoint) is ridden out, the answers late but well
	// inside every platform's deadline, rather than turned into 503s at
	// half the capacity, which cost the user more than the stall: Feishu
	// resends a refused push after 5 s, and a refused Slack slash command
	// is an error the user sees. A callback that waited this long in vain
	// means an overload, not a stall, and for shedMemory every wait is
	// admissionWait again.
	admissionPatience = 300 * time.Millisecond
	shedMemory        = time.Second
	// sqliteInflight bounds an embedded store: its writer commits up to 64
	// punches in one transaction (adapters/sqlite writeGroupMax), so twice
	// that keeps one group filling while the other commits.
	sqliteInflight = 128
	// minInflight is the least cap on PostgreSQL. The slots cover the
	// parts of a callback that hold no connection (decryption, JSON, the
	// Redis round trips, the response), which on a small replica take as
	// long as the transaction: with only twice the default pool of four
	// connections, a replica that had just restarted shed at 150/s. The
	// adaptive bound (see admission) keeps a larger cap from making
	// answers late.
	minInflight = 64
)

// admittedRoutes are the mux patterns of the callbacks that do punch work,
// keyed by method and path prefix; their pattern is the metric's route
// label.
var admittedRoutes = []struct{ method, prefix, pattern string }{
	{http.MethodPost, "/feishu/events", "POST /feishu/events"},
	{http.MethodPost, "/wecom/callback", "POST /wecom/callback"},
	{http.MethodPost, "/slack/commands", "POST /slack/commands"},
	{http.MethodPost, "/slack/interactions", "POST /slack/interactions"},
	{http.MethodPost, "/slack/events", "POST /slack/events"},
	{http.MethodPost, "/l/", "POST /l/{token}"},
}

// admittedRoute returns the route label of a request that needs a slot.
func admittedRoute(r *http.Request) (string, bool) {
	if r.Method != http.MethodPost {
		return "", false
	}
	for _, a := range admittedRoutes {
		if a.prefix == r.URL.Path || (strings.HasSuffix(a.prefix, "/") && strings.HasPrefix(r.URL.Path, a.prefix)) {
			return a.pattern, true
		}
	}
	return "", false
}

// defaultInflight derives the bound from the store's connection pool: with
// twice as many callbacks in flight as connections, every connection has
// the next punch waiting while the others decrypt and parse, and none waits
// in the pool's queue for more than about one transaction. Small pools get
// minInflight.
func defaultInflight(cfg config) int {
	if cfg.DatabaseURL == "" {
		return sqliteInflight
	}
	// The same parse the store makes (pool_max_conns, default
	// postgres.DefaultPoolConns), so the bound follows the URL without
	// asking the store.
	pc, err := postgres.ParsePoolConfig(cfg.DatabaseURL)
	if err != nil {
		return minInflight
	}
	return max(minInflight, 2*int(pc.MaxConns))
}

// admission bounds the callbacks in flight. The bound in force floats
// between admissionFloor and the configured one: a fixed number of slots
// means a fixed queue, and the time a callback waits in it is that number
// over the replica's throughput, which on a shared 2-core machine varies
// fivefold (a replica measured at 300 punches/s answered 150/s while its
// load generator competed for the CPU, and 64 slots then meant answers
// after more than a second). So, as TCP does with its window, the bound
// shrinks by a quarter when admitted callbacks take longer than
// admissionTarget and grows by one slot per bound's worth of callbacks
// answered in time: the time in flight stays near the target whatever the
// throughput, and the configured bound only caps it.
type admission struct {
	max      float64
	floor    float64
	wait     time.Duration // for a slot while shedding
	patience time.Duration // for a slot otherwise (admissionPatience)
	target   time.Duration
	shed     func(route string) // counts a refused request
	now      func() time.Time
	freed    chan struct{} // wakes one waiter when a slot is released

	mu       sync.Mutex
	inflight int
	limit    float64
	lastCut  time.Time
	lastShed time.Time // when a callback last waited in vain
}

// Adaptive bound.
const (
	// admissionTarget is the time in flight above which the bound shrinks.
	// The bound reacts to answers already late, so the tail of an
	// overload runs to several times the target: at 250 ms, answers under
	// twice the capacity reached 1.1 s on a busy 2-core machine; at 150 ms
	// they stay well inside 1 s.
	admissionTarget = 150 * time.Millisecond
	// admissionFloor keeps enough callbacks in flight to use two cores and
	// a few connections even when every answer is slow.
	admissionFloor = 8
)

func newAdmission(limit int, wait time.Duration, shed func(route string)) *admission {
	if shed == nil {
		shed = func(string) {}
	}
	limit = max(limit, 1)
	return &admission{max: float64(limit), floor: float64(min(limit, admissionFloor)), limit: float64(limit),
		wait: wait, patience: max(wait, admissionPatience), target: admissionTarget, shed: shed, now: time.Now, freed: make(chan struct{}, 1)}
}

// tryAcquire takes a slot if the bound in force allows one.
func (a *admission) tryAcquire() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.inflight >= int(a.limit) {
		return false
	}
	a.inflight++
	return true
}

// acquire takes a slot, waiting for one at most a.patience, or a.wait
// while the replica is shedding.
func (a *admission) acquire(ctx context.Context) bool {
	if a.tryAcquire() {
		return true
	}
	if a.wait <= 0 {
		return false
	}
	t := time.NewTimer(a.waitNow())
	defer t.Stop()
	for {
		select {
		case <-a.freed:
			if a.tryAcquire() {
				return true
			}
		case <-t.C:
			a.mu.Lock()
			a.lastShed = a.now()
			a.mu.Unlock()
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// waitNow is how long a callback may wait for a slot now.
func (a *admission) waitNow() time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.lastShed.IsZero() && a.now().Sub(a.lastShed) < shedMemory {
		return a.wait
	}
	return a.patience
}

// release frees a slot held for took and adapts the bound.
func (a *admission) release(took time.Duration) {
	a.mu.Lock()
	a.inflight--
	if took > a.target {
		// Slow answers come in bursts from one slow stretch; cut once
		// per target interval, not once per answer.
		if now := a.now(); now.Sub(a.lastCut) >= a.target {
			a.limit, a.lastCut = max(a.floor, a.limit*0.75), now
		}
	} else if a.limit < a.max {
		a.limit = min(a.max, a.limit+1/a.limit)
	}
	a.mu.Unlock()
	select {
	case a.freed <- struct{}{}:
	default:
	}
}

// bound is the bound in force, for tests and logs.
func (a *admission) bound() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return int(a.limit)
}

// wrap admits the punch callbacks through the bound; everything else
// (health, metrics, the admin API, pages) passes untouched so that an
// overloaded replica still reports on itself.
func (a *admission) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route, ok := admittedRoute(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		if !a.acquire(r.Context()) {
			// The mux never sees this request; name its route for the
			// latency histogram, which reads the pattern afterwards.
			r.Pattern = route
			a.shed(route)
			refuseBusy(w, r)
			return
		}
		start := a.now()
		defer func() { a.release(a.now().Sub(start)) }()
		next.ServeHTTP(w, r)
	})
}

// refuseBusy is the retry-later answer. It never reads the body: that would
// spend on a refused request the work the bound is there to save.
func refuseBusy(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Retry-After", "1")
	h.Set("Cache-Control", "no-store")
	if strings.HasPrefix(r.URL.Path, "/l/") && strings.Contains(r.Header.Get("Accept"), "application/json") {
		// The location page reads this shape and offers to try again.
		h.Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"status":"error","headline":"Busy, please try again in a moment. 系统繁忙，请稍后重试。","retry":true}` + "\n"))
		return
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte("busy, retry later\n"))
}
