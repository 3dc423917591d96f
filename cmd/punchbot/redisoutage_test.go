package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/punchbot/punchbot/adapters/memory"
	"github.com/punchbot/punchbot/adapters/redis"
	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/bots/admin"
	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
	"github.com/punchbot/punchbot/scheduler"
)

// syncBuffer is a log sink the server's goroutines and the test share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

// TestRedisOutageKeepsPunching runs the server with Redis behind a proxy and
// cuts it twice (connections refused, then black-holed): punches through the
// location page still answer 2xx and are stored, /readyz stays 200 and says
// Redis is down, the gauge follows, the log has one line per edge, and once
// Redis is back the server uses it again without a restart.
func TestRedisOutageKeepsPunching(t *testing.T) {
	ru, err := url.Parse(redisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	redisAddr := ru.Host
	p := coretest.MustProxy(t, redisAddr)
	ru.Host = p.Addr()
	// A database of its own: a load test's rate windows for the sample
	// employees on the usual database cannot refuse this test's punches.
	// Every key the adapter writes expires, so nothing needs cleaning.
	ru.Path = "/11"
	const token = "test-admin-token"
	var logs syncBuffer
	base, s := startLoggingServer(t, env("PUNCHBOT_DB_PATH", filepath.Join(t.TempDir(), "p.db"), "PUNCHBOT_ADMIN_TOKEN", token,
		"PUNCHBOT_REDIS_URL", ru.String()), &logs)
	if code, body := do(t, "PUT", base+"/api/v1/org", token, bytes.NewReader(admin.ExampleOrg())); code != 200 {
		t.Fatalf("PUT org = %d %s", code, body)
	}
	org, _ := admin.ParseOrg(admin.ExampleOrg())
	var emp core.Employee
	for _, e := range org.Employees {
		if emp.ID == "" && len(e.SiteIDs) > 0 && e.Active {
			emp = e
		}
	}
	r, err := s.svc.Roster(context.Background(), emp.ID)
	if err != nil {
		t.Fatal(err)
	}
	direct := goredis.NewClient(&goredis.Options{Addr: redisAddr, DB: 11})
	defer direct.Close()

	stored := 0
	punch := func(when string) {
		t.Helper()
		link, err := s.links.PunchLink(context.Background(), bots.LinkRequest{Actor: emp.Identities[0], Name: emp.Name, Lang: "en", Intent: core.KindIn})
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(link)
		form := url.Values{"lat": {fmt.Sprint(r.Sites[0].Lat)}, "lng": {fmt.Sprint(r.Sites[0].Lng)}, "accuracy": {"12"}}
		start := time.Now()
		resp, err := http.Post(base+u.Path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		took := time.Since(start)
		if resp.StatusCode >= 300 {
			t.Errorf("punch %s = %d, want 2xx", when, resp.StatusCode)
		}
		if took > time.Second {
			t.Errorf("punch %s took %s, want under the 1 s budget", when, took)
		}
		t.Logf("punch %s: %d in %s", when, resp.StatusCode, took)
		stored++ // a clock-in is stored whatever the hour: accepted, a repeat or refused; a clock-out may wait for confirmation
		_, body := do(t, "GET", base+"/api/v1/punches?employee="+emp.ID, token, nil)
		if got := strings.Count(body, `"source":"web"`); got != stored {
			t.Errorf("after the punch %s: %d web punches stored, want %d\n%s", when, got, stored, body)
		}
	}
	readiness := func() (int, string) { return do(t, "GET", base+"/readyz?verbose", "", nil) }
	gauge := func(v int) func() bool {
		return func() bool {
			_, body := do(t, "GET", base+"/metrics", "", nil)
			return strings.Contains(body, fmt.Sprintf("punchbot_dependency_up{name=\"redis\"} %d\n", v)) &&
				strings.Contains(body, "punchbot_dependency_up{name=\"store\"} 1\n")
		}
	}

	if code, body := readiness(); code != 200 || !strings.Contains(body, "store: ok\nredis: ok\n") {
		t.Errorf("readyz?verbose before the cut = %d %q, want 200 with store and redis ok", code, body)
	}
	if !gauge(1)() {
		t.Error("metrics before the cut: want punchbot_dependency_up 1 for store and redis")
	}
	punch("before the cut")

	for i, how := range []struct {
		name  string
		style coretest.Cut
	}{{"refused", coretest.CutRefuse}, {"black-holed", coretest.CutBlackhole}} {
		p.Cut(how.style)
		punch("with Redis " + how.name)
		punch("again with Redis " + how.name)
		if code, body := readiness(); code != 200 || !strings.Contains(body, "redis: down (in-process fallback)\n") {
			t.Errorf("readyz?verbose with Redis %s = %d %q, want 200 and redis down", how.name, code, body)
		}
		if code, _ := do(t, "GET", base+"/readyz", "", nil); code != 200 {
			t.Errorf("readyz with Redis %s = %d, want 200", how.name, code)
		}
		waitFor(t, "punchbot_dependency_up{name=\"redis\"} 0", gauge(0))

		p.Restore()
		start := time.Now()
		waitFor(t, "punchbot_dependency_up{name=\"redis\"} 1", gauge(1))
		t.Logf("Redis %s: seen up %s after the restore", how.name, time.Since(start))
		if err := direct.Del(context.Background(), "punchbot:rate:punch:"+emp.ID).Err(); err != nil {
			t.Fatal(err)
		}
		punch("after Redis " + how.name + " came back")
		// A located punch is rate-limited in its transaction; a command
		// without a location still counts in Redis, and does again.
		if _, err := s.svc.Handle(context.Background(), core.Command{Actor: emp.Identities[0], Kind: core.CmdStatus}); err != nil {
			t.Fatal(err)
		}
		if n, err := direct.Exists(context.Background(), "punchbot:rate:punch:"+emp.ID).Result(); err != nil || n != 1 {
			t.Errorf("after recovery from Redis %s a status command did not count in Redis (EXISTS = %d, %v)", how.name, n, err)
		}
		if code, body := readiness(); code != 200 || !strings.Contains(body, "redis: ok\n") {
			t.Errorf("readyz?verbose after recovery = %d %q, want redis ok", code, body)
		}
		for _, line := range []string{"redis unreachable; punching continues", "redis reachable again"} {
			if got := logs.count(line); got != i+1 {
				t.Errorf("after outage %d: %d log lines %q, want %d (one per outage)", i+1, got, line, i+1)
			}
		}
	}
}

// TestLeaderLockThroughRedisOutage runs two schedulers on two replicas'
// resilient KVs behind one proxy: while Redis is cut nobody leads (the lock
// never falls back to one process, and the leader resigns before its lease
// could run out), never two at once, and one leads again once it returns.
func TestLeaderLockThroughRedisOutage(t *testing.T) {
	ru, err := url.Parse(redisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	p := coretest.MustProxy(t, ru.Host)
	ru.Host = p.Addr()
	prefix := fmt.Sprintf("punchbot-test-leader-%d:", time.Now().UnixNano())
	const ttl = 900 * time.Millisecond
	cfg := scheduler.Config{TTL: ttl, Poll: 50 * time.Millisecond, LockKey: "leader"}
	ctx, stop := context.WithCancel(context.Background())
	var scheds []*scheduler.Scheduler
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stop()
	for range 2 {
		k, err := redis.Dial(ru.String(), prefix)
		if err != nil {
			t.Fatal(err)
		}
		kv := redis.NewResilient(k, memory.New(nil), redis.WithProbe(50*time.Millisecond, 100*time.Millisecond))
		defer kv.Close()
		s, err := scheduler.New(cfg, scheduler.Deps{Store: coretest.NewMemStore(), Now: time.Now, Log: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		scheds = append(scheds, s)
		wg.Go(func() { s.Run(ctx, kv) })
	}
	leaders := func() int {
		n := 0
		for _, s := range scheds {
			if s.IsLeader() {
				n++
			}
		}
		return n
	}
	// watch samples the leaders for d and returns the most seen at once.
	watch := func(d time.Duration) (most int) {
		for start := time.Now(); time.Since(start) < d; time.Sleep(5 * time.Millisecond) {
			most = max(most, leaders())
		}
		return most
	}
	waitFor(t, "a leader", func() bool { return leaders() == 1 })

	p.Cut(coretest.CutRefuse)
	start := time.Now()
	waitFor(t, "the leader to resign", func() bool { return leaders() == 0 })
	if d := time.Since(start); d >= ttl-ttl/10 {
		t.Errorf("the leader resigned %s into the outage, want before its lease (%s) could run out", d, ttl-ttl/10)
	}
	t.Logf("leader resigned %s into the outage", time.Since(start))
	if most := watch(2 * ttl); most != 0 {
		t.Errorf("%d leaders while Redis was cut, want none", most)
	}

	p.Restore()
	start = time.Now()
	waitFor(t, "a leader after the restore", func() bool { return leaders() == 1 })
	t.Logf("a leader again %s after the restore", time.Since(start))
	if most := watch(ttl); most != 1 {
		t.Errorf("%d leaders at once after the restore, want 1", most)
	}
}

// pingStore is a store whose Ping answers err; ready needs nothing else.
type pingStore struct {
	store
	err error
}

func (p pingStore) Ping(context.Context) error { return p.err }

// stateKV is a Redis-backed kv as ready sees it: only its state matters.
type stateKV struct {
	kv
	up bool
}

func (k stateKV) Up() bool { return k.up }

// TestReadyz: only the store can make a replica unready; Redis being down
// is reported, not failed on.
func TestReadyz(t *testing.T) {
	down := errors.New("connection refused")
	for _, tc := range []struct {
		name     string
		store    error
		kv       kv
		wantCode int
		want     string // body of /readyz?verbose
	}{
		{"single instance", nil, memoryKV{memory.New(nil)}, 200, "ready\nstore: ok\nredis: not configured (in-process)\n"},
		{"redis up", nil, stateKV{up: true}, 200, "ready\nstore: ok\nredis: ok\n"},
		{"redis down", nil, stateKV{up: false}, 200, "ready\nstore: ok\nredis: down (in-process fallback)\n"},
		{"store down", down, stateKV{up: true}, 503, "not ready: store: connection refused\nstore: down: connection refused\nredis: ok\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &server{store: pingStore{err: tc.store}, kv: tc.kv, log: quiet()}
			for _, target := range []string{"/readyz", "/readyz?verbose"} {
				w := httptest.NewRecorder()
				s.ready(w, httptest.NewRequest("GET", target, nil))
				want := tc.want
				if target == "/readyz" {
					want, _, _ = strings.Cut(want, "\n")
					want += "\n"
				}
				if w.Code != tc.wantCode || w.Body.String() != want {
					t.Errorf("GET %s = %d %q, want %d %q", target, w.Code, w.Body.String(), tc.wantCode, want)
				}
			}
		})
	}
}
