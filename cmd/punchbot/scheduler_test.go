package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/punchbot/punchbot/adapters/postgres"
	"github.com/punchbot/punchbot/adapters/redis"
	"github.com/punchbot/punchbot/bots/admin"
	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/scheduler"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// vclock is a clock that sleeps by advancing itself, so waits of a minute
// (WeCom's 45009) cost nothing.
type vclock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *vclock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *vclock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
func (c *vclock) Sleep(ctx context.Context, d time.Duration) error {
	c.Advance(d)
	return ctx.Err()
}

// loadFakes are the three fake platforms and the bots talking to them.
type loadFakes struct {
	wecom   *loadPlatform
	feishu  *loadPlatform
	slack   *loadPlatform
	senders map[core.Platform]core.Sender
}

func newLoadFakes(t *testing.T, rate float64, burst int, now func() time.Time) *loadFakes {
	t.Helper()
	f := &loadFakes{wecom: newLoadWeCom(rate, burst, now), feishu: newLoadFeishu(rate, burst, now), slack: newLoadSlack(rate, burst, now)}
	t.Cleanup(func() { f.wecom.srv.Close(); f.feishu.srv.Close(); f.slack.srv.Close() })
	var err error
	if f.senders, err = benchBots(quiet(), f.wecom, f.feishu, f.slack); err != nil {
		t.Fatal(err)
	}
	return f
}

// mustApply applies an organisation to a store.
func mustApply(t *testing.T, st core.OrgStore, org core.Org) {
	t.Helper()
	if err := org.Prepare(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ApplyOrg(context.Background(), org, core.AuditEntry{At: time.Now(), Actor: "test", Action: "org.applied"}); err != nil {
		t.Fatal(err)
	}
}

// wantEachOnce checks that every expected recipient got exactly one
// message and nobody else got any.
func wantEachOnce(t *testing.T, what string, tally *loadTally, want []string) {
	t.Helper()
	st := tally.stats()
	for _, r := range want {
		if n := tally.count(r); n != 1 {
			t.Errorf("%s: %s received %d messages, want 1", what, r, n)
		}
	}
	if st.Recipients != len(want) || st.Duplicates != 0 {
		t.Errorf("%s: %d recipients, %d duplicates; want %d and none", what, st.Recipients, st.Duplicates, len(want))
	}
}

// expected lists what each fake should see for benchOrg(n).
func expected(n int) (wecomUsers, feishuUsers, slackChannels []string) {
	for i := range n {
		switch i % 3 {
		case 0:
			wecomUsers = append(wecomUsers, fmt.Sprint("w", i))
		case 1:
			feishuUsers = append(feishuUsers, fmt.Sprint("ou_", i))
		default:
			slackChannels = append(slackChannels, fmt.Sprint("DU", i))
		}
	}
	return
}

var allPlatforms = []core.Platform{core.PlatformWeCom, core.PlatformFeishu, core.PlatformSlack}

// crashingStore fails EnqueueDeliveries after a number of calls, as if the
// process died in the middle of queuing a firing.
type crashingStore struct {
	store
	calls, failAfter int
}

func (c *crashingStore) EnqueueDeliveries(ctx context.Context, id int64, msgs []core.OutboxMessage) (int, error) {
	c.calls++
	if c.calls > c.failAfter {
		return 0, core.Errorf(core.EUNAVAILABLE, "the process died")
	}
	return c.store.EnqueueDeliveries(ctx, id, msgs)
}

// waitSent polls a firing's counts until nothing is pending.
func waitSent(t *testing.T, st core.ReminderStore, firing int64, d time.Duration, done func(core.DeliveryCounts) bool) core.DeliveryCounts {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		counts, err := st.FiringCounts(context.Background(), []int64{firing})
		if err != nil {
			t.Fatal(err)
		}
		if done(counts[firing]) || time.Now().After(deadline) {
			return counts[firing]
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A broadcast interrupted twice, once while queuing and once while sending,
// reaches everyone exactly once.
func TestBroadcastRestartResumesWithoutDuplicates(t *testing.T) {
	const n = 3000
	path := filepath.Join(t.TempDir(), "p.db")
	ctx := context.Background()

	// First process: applies the org and dies after queuing 500 deliveries.
	st1 := mustOpenSQLite(t, path)
	mustApply(t, st1, benchOrg(n, allPlatforms))
	crash := &crashingStore{store: st1, failAfter: 1}
	s1, err := scheduler.New(scheduler.Config{Chunk: 500}, scheduler.Deps{Store: crash, Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s1.Fire(ctx, "bench"); err == nil {
		t.Fatal("Fire succeeded through a crashing store")
	}
	fs, _ := st1.ListFirings(ctx, core.FiringFilter{})
	if len(fs) != 1 || fs[0].Status != core.FiringQueuing {
		t.Fatalf("firings after the crash = %+v, want one still queuing", fs)
	}
	firing := fs[0].ID
	st1.Close()

	// Second process: its leader resumes the firing, then sends a part.
	st2 := mustOpenSQLite(t, path)
	s2, err := scheduler.New(scheduler.Config{ResumeAfter: time.Millisecond, Chunk: 500}, scheduler.Deps{Store: st2, Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s2.Tick(ctx, time.Now())
	if err != nil || res.Resumed != 1 {
		t.Fatalf("Tick = %+v, %v; want the firing resumed", res, err)
	}
	counts, _ := st2.FiringCounts(ctx, []int64{firing})
	if counts[firing].Queued != n {
		t.Fatalf("after resuming: %d queued, want %d", counts[firing].Queued, n)
	}
	f := newLoadFakes(t, 0, 0, nil)
	// Slack's 1,000 deliveries take one call each, 5 s at 200/s: the worker
	// is stopped once the fake has seen 100 of them, by the fake's count,
	// which runs ahead of the outbox's (results are recorded in batches, a
	// few seconds behind on a busy machine under -race).
	rates := map[core.Platform]*core.TokenBucket{
		core.PlatformWeCom: core.NewTokenBucket(5, 1, nil, nil), core.PlatformFeishu: core.NewTokenBucket(20, 1, nil, nil),
		core.PlatformSlack: core.NewTokenBucket(200, 10, nil, nil)}
	w1 := &core.OutboxWorker{Store: st2, Senders: f.senders, Log: quiet(), Limits: rates, Concurrency: 4}
	ctx1, stop1 := context.WithCancel(ctx)
	done1 := make(chan struct{})
	go func() { w1.Run(ctx1, 10*time.Millisecond); close(done1) }()
	waitFor(t, "100 Slack calls", func() bool { return f.slack.stats().Calls >= 100 })
	stop1()
	<-done1
	mid := waitSent(t, st2, firing, 0, func(core.DeliveryCounts) bool { return true })
	if mid.Sent == 0 || mid.Sent == n {
		t.Fatalf("stopped with %d of %d sent, want the broadcast interrupted in the middle", mid.Sent, n)
	}
	// A third process claimed some messages and died holding the lease.
	held, err := st2.ClaimOutboxLane(ctx, core.PlatformSlack, core.LaneDeliveries, 20, time.Now(), 2*time.Second)
	if err != nil || len(held) == 0 {
		t.Fatalf("claim = %d, %v", len(held), err)
	}
	st2.Close()

	// Fourth process: finishes, once the dead lease runs out.
	st3 := mustOpenSQLite(t, path)
	defer st3.Close()
	w2 := &core.OutboxWorker{Store: st3, Senders: f.senders, Log: quiet(), Limits: rates, Concurrency: 4}
	ctx2, stop2 := context.WithCancel(ctx)
	done2 := make(chan struct{})
	go func() { w2.Run(ctx2, 10*time.Millisecond); close(done2) }()
	final := waitSent(t, st3, firing, 30*time.Second, func(c core.DeliveryCounts) bool { return c.Pending == 0 })
	stop2()
	<-done2
	if final.Sent != n || final.Failed != 0 {
		t.Fatalf("final counts = %+v, want all %d sent", final, n)
	}
	wu, fu, sc := expected(n)
	wantEachOnce(t, "wecom", f.wecom.loadTally, wu)
	wantEachOnce(t, "feishu", f.feishu.loadTally, fu)
	wantEachOnce(t, "slack", f.slack.loadTally, sc)
	t.Logf("interrupted at %d sent; wecom %d calls, feishu %d calls, slack %d calls", mid.Sent, f.wecom.stats().Calls, f.feishu.stats().Calls, f.slack.stats().Calls)
}

// Fake platforms that refuse calls over their limit (Slack 429, WeCom
// 45009, Feishu 99991400) slow the sender down, and everything arrives once.
func TestRateLimitedPlatformsDeliverOnce(t *testing.T) {
	ctx := context.Background()
	clock := &vclock{t: time.Now().Truncate(time.Minute)}
	st := mustOpenSQLite(t, filepath.Join(t.TempDir(), "p.db"))
	defer st.Close()
	const n = 150
	org := benchOrg(n, allPlatforms)
	// Named chats take one call each, so WeCom and Feishu make enough
	// calls to hit their limits too.
	var wantWeComChats, wantFeishuChats []string
	for i := range 15 {
		org.Reminders[0].Audience.Chats = append(org.Reminders[0].Audience.Chats,
			core.ChatTarget{Platform: core.PlatformWeCom, ChatID: fmt.Sprint("wchat", i)}, core.ChatTarget{Platform: core.PlatformFeishu, ChatID: fmt.Sprint("oc_", i)})
		wantWeComChats = append(wantWeComChats, fmt.Sprint("chat:wchat", i))
		wantFeishuChats = append(wantFeishuChats, fmt.Sprint("oc_", i))
	}
	mustApply(t, st, org)
	sched, err := scheduler.New(scheduler.Config{}, scheduler.Deps{Store: st, Now: clock.Now, Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	rep, _, err := sched.Fire(ctx, "bench")
	if err != nil {
		t.Fatal(err)
	}
	// The platforms allow 4 calls a second; punchbot is configured for 20.
	f := newLoadFakes(t, 4, 1, clock.Now)
	buckets := map[core.Platform]*core.TokenBucket{}
	for _, p := range allPlatforms {
		buckets[p] = core.NewTokenBucket(20, 5, clock.Now, clock.Sleep)
	}
	w := &core.OutboxWorker{Store: st, Senders: f.senders, Now: clock.Now, Log: quiet(), Limits: buckets}
	start := clock.Now()
	for i := 0; ; i++ {
		sent, err := w.RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		counts, _ := st.FiringCounts(ctx, []int64{rep.ID})
		if counts[rep.ID].Pending == 0 {
			break
		}
		if i > 5000 {
			t.Fatalf("not delivered after %d rounds: %+v", i, counts[rep.ID])
		}
		if sent == 0 {
			clock.Advance(250 * time.Millisecond)
		}
	}
	counts, _ := st.FiringCounts(ctx, []int64{rep.ID})
	if c := counts[rep.ID]; c.Sent != c.Queued || c.Failed != 0 {
		t.Fatalf("counts = %+v, want everything sent", c)
	}
	wu, fu, sc := expected(n)
	wantEachOnce(t, "wecom", f.wecom.loadTally, append(wu, wantWeComChats...))
	wantEachOnce(t, "feishu", f.feishu.loadTally, append(fu, wantFeishuChats...))
	wantEachOnce(t, "slack", f.slack.loadTally, sc)
	waits := map[core.Platform]time.Duration{core.PlatformWeCom: time.Minute, core.PlatformFeishu: time.Second, core.PlatformSlack: time.Second}
	for p, tally := range map[core.Platform]*loadTally{core.PlatformWeCom: f.wecom.loadTally, core.PlatformFeishu: f.feishu.loadTally, core.PlatformSlack: f.slack.loadTally} {
		accepted, refused := tally.times()
		if len(refused) == 0 || buckets[p].Throttles() == 0 {
			t.Errorf("%s: %d refusals, %d throttles; want the limit hit and heeded", p, len(refused), buckets[p].Throttles())
		}
		// After a refusal nothing is called until the platform's wait is over.
		for _, r := range refused {
			for _, a := range accepted {
				if a.After(r) && a.Before(r.Add(waits[p])) {
					t.Errorf("%s: a call %s after a refusal, want none before %s", p, a.Sub(r), waits[p])
					break
				}
			}
		}
		// Once slowed down the sender stays near the platform's rate.
		if len(refused) > len(accepted) {
			t.Errorf("%s: %d refused for %d accepted; want the sender to slow down rather than keep hitting the limit", p, len(refused), len(accepted))
		}
	}
	t.Logf("delivered in %s of virtual time", clock.Now().Sub(start))
}

// redisURL and a unique key prefix for one test, or a skip.
func redisURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("PUNCHBOT_TEST_REDIS_URL")
	if u == "" {
		t.Skip("PUNCHBOT_TEST_REDIS_URL is not set; skipping the Redis test")
	}
	return u
}

// pgStoreForTest opens a migrated store on a fresh schema shared by the
// test's replicas; the schema is dropped at the end.
func pgStoreForTest(t *testing.T) (open func() *postgres.Store) {
	t.Helper()
	base := os.Getenv("PUNCHBOT_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("PUNCHBOT_TEST_DATABASE_URL is not set; skipping the PostgreSQL test")
	}
	var buf [6]byte
	_, _ = rand.Read(buf[:])
	schema := "sched_test_" + hex.EncodeToString(buf[:])
	ctx := context.Background()
	open = func() *postgres.Store {
		s, err := postgres.OpenWithSchema(ctx, base, schema)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		return s
	}
	first := open()
	if _, err := first.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Errorf("drop schema: %v", err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	return open
}

// crashLocker's leases are never released: stopping the holder is a crash
// as far as the lock can tell.
type crashLocker struct{ core.Locker }

type crashLease struct{ core.Lease }

func (l crashLocker) TryLock(ctx context.Context, key string, ttl time.Duration) (core.Lease, error) {
	lease, err := l.Locker.TryLock(ctx, key, ttl)
	if err != nil {
		return nil, err
	}
	return crashLease{lease}, nil
}

func (crashLease) Release(context.Context) error { return nil }

// Two replicas on one PostgreSQL and one Redis: one leads, a firing queues
// one delivery per recipient, both replicas' workers send each once, and
// when the leader dies the other takes over within the lease TTL.
func TestTwoSchedulersOnePostgresAndRedis(t *testing.T) {
	open := pgStoreForTest(t)
	rurl := redisURL(t)
	ctx := context.Background()
	var buf [6]byte
	_, _ = rand.Read(buf[:])
	prefix := "punchbot-test-" + hex.EncodeToString(buf[:]) + ":"
	kvA, err := redis.Open(ctx, rurl, prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer kvA.Close()
	kvB, err := redis.Open(ctx, rurl, prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer kvB.Close()
	storeA, storeB := open(), open()

	const n = 60
	org := benchOrg(n, allPlatforms)
	org.Reminders[0].Cron = "* * * * *" // every minute
	mustApply(t, storeA, org)

	// A clock shared by both replicas that the test moves ahead instead of
	// waiting for minutes to pass: first to the middle of a minute (the
	// first leader's first tick fires that minute), later to just before
	// the next one.
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	skipTo := func(target time.Time) { offset.Add(int64(target.Sub(now()))) }
	skipTo(now().Truncate(time.Minute).Add(time.Minute + 30*time.Second))
	first := now().Truncate(time.Minute)
	toBoundary := func() time.Time {
		next := now().Truncate(time.Minute).Add(time.Minute)
		skipTo(next.Add(-300 * time.Millisecond))
		return next
	}
	const ttl = 900 * time.Millisecond
	cfg := scheduler.Config{TTL: ttl, Poll: 50 * time.Millisecond, LockKey: "leader"}
	type replica struct {
		name  string
		sched *scheduler.Scheduler
		stop  func()
		done  chan error
	}
	var replicas []*replica
	for i, st := range []*postgres.Store{storeA, storeB} {
		s, err := scheduler.New(cfg, scheduler.Deps{Store: st, Now: now, Log: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		rctx, stop := context.WithCancel(ctx)
		r := &replica{name: string(rune('a' + i)), sched: s, stop: stop, done: make(chan error, 1)}
		kv := kvA
		if i == 1 {
			kv = kvB
		}
		// Leases are never released: stopping a replica is a crash.
		go func() { r.done <- s.Run(rctx, crashLocker{kv}) }()
		replicas = append(replicas, r)
		defer func() { stop(); <-r.done }()
	}

	// Both replicas run outbox workers against the same fake platforms.
	f := newLoadFakes(t, 0, 0, nil)
	for _, st := range []store{pgStore{storeA}, pgStore{storeB}} {
		w := &core.OutboxWorker{Store: st, Senders: f.senders, Now: now, Log: quiet(), Concurrency: 2}
		wctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { w.Run(wctx, 20*time.Millisecond); close(done) }()
		defer func() { stop(); <-done }()
	}

	leaderOf := func(d time.Duration, among []*replica) *replica {
		deadline := time.Now().Add(d)
		for time.Now().Before(deadline) {
			var leaders []*replica
			for _, r := range among {
				if r.sched.IsLeader() {
					leaders = append(leaders, r)
				}
			}
			if len(leaders) > 1 {
				t.Fatal("two leaders at once")
			}
			if len(leaders) == 1 {
				return leaders[0]
			}
			time.Sleep(5 * time.Millisecond)
		}
		return nil
	}
	leader := leaderOf(2*time.Second, replicas)
	if leader == nil {
		t.Fatal("no leader")
	}
	firings := func() []core.Firing {
		fs, err := storeA.ListFirings(ctx, core.FiringFilter{ReminderID: "bench"})
		if err != nil {
			t.Fatal(err)
		}
		return fs
	}
	// queued counts firings whose deliveries are all queued.
	queued := func() int {
		n := 0
		for _, f := range firings() {
			if f.Status == core.FiringQueued {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(10 * time.Second)
	for queued() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	fs := firings()
	if len(fs) != 1 || !fs[0].FireAt.Equal(first) || fs[0].Recipients != n {
		t.Fatalf("firings = %+v, want one at %s with %d recipients", fs, first, n)
	}
	c := waitSent(t, storeA, fs[0].ID, 20*time.Second, func(c core.DeliveryCounts) bool { return c.Sent == n })
	if c.Queued != n || c.Sent != n {
		t.Fatalf("counts = %+v, want %d queued and sent", c, n)
	}

	// The leader dies holding its lease; the other takes over within the TTL.
	leader.stop()
	<-leader.done
	leader.done <- nil // for the deferred wait
	died := time.Now()
	survivor := replicas[0]
	if survivor == leader {
		survivor = replicas[1]
	}
	if got := leaderOf(3*ttl, []*replica{survivor}); got == nil {
		t.Fatal("the surviving replica did not take over")
	}
	// 200 ms of slack covers this test's own polling and a loaded machine.
	if took := time.Since(died); took > ttl+200*time.Millisecond {
		t.Errorf("takeover after %s, want within the TTL (%s)", took, ttl)
	}
	t.Logf("replica %s led, died; %s took over after %s", leader.name, survivor.name, time.Since(died).Round(time.Millisecond))
	// The next minute fires on the new leader, once.
	second := toBoundary()
	deadline = time.Now().Add(10 * time.Second)
	for queued() < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	fs = firings()
	if len(fs) != 2 || !fs[0].FireAt.Equal(second) || fs[0].Recipients != n {
		t.Fatalf("firings = %+v, want a second one at %s", fs, second)
	}
	waitSent(t, storeA, fs[0].ID, 20*time.Second, func(c core.DeliveryCounts) bool { return c.Sent == n })
	// Each person got the two firings, once each.
	wu, fu, sc := expected(n)
	for _, chk := range []struct {
		tally *loadTally
		want  []string
	}{{f.wecom.loadTally, wu}, {f.feishu.loadTally, fu}, {f.slack.loadTally, sc}} {
		for _, r := range chk.want {
			if got := chk.tally.count(r); got != 2 {
				t.Errorf("%s received %d messages, want 2 (one per firing)", r, got)
			}
		}
	}
}

// The admin API lists reminders, previews and runs one, and /metrics shows
// the firing's delivery counts.
func TestServeRemindersAPI(t *testing.T) {
	const token = "test-admin-token"
	base, _ := startServer(t, env("PUNCHBOT_DB_PATH", filepath.Join(t.TempDir(), "p.db"), "PUNCHBOT_ADMIN_TOKEN", token))
	org := bytes.Replace(admin.ExampleOrg(), []byte("reminders:\n"), []byte("reminders:\n  - id: all-hands\n    kind: broadcast\n    cron: \"CRON_TZ=Asia/Shanghai 0 10 * * MON\"\n    text: 全员大会 10:30\n    audience: {everyone: true}\n"), 1)
	if code, body := do(t, "PUT", base+"/api/v1/org", token, bytes.NewReader(org)); code != 200 {
		t.Fatalf("PUT org = %d %s", code, body)
	}
	code, body := do(t, "GET", base+"/api/v1/reminders", token, nil)
	if code != 200 || !strings.Contains(body, `"all-hands"`) || !strings.Contains(body, `"morning"`) || !strings.Contains(body, `"next"`) {
		t.Fatalf("GET reminders = %d %s", code, body)
	}
	code, body = do(t, "POST", base+"/api/v1/reminders/all-hands/preview", token, nil)
	if code != 200 || !strings.Contains(body, "全员大会 10:30") || strings.Contains(body, `"count":0`) {
		t.Fatalf("preview = %d %s", code, body)
	}
	code, body = do(t, "POST", base+"/api/v1/reminders/all-hands/run", token, nil)
	if code != 202 || !strings.Contains(body, `"manual":true`) {
		t.Fatalf("run = %d %s", code, body)
	}
	if code, _ := do(t, "POST", base+"/api/v1/reminders/nope/run", token, nil); code != 404 {
		t.Errorf("run an unknown reminder = %d, want 404", code)
	}
	var run struct {
		Firing struct{ ID int64 } `json:"firing"`
	}
	if err := json.Unmarshal([]byte(body), &run); err != nil || run.Firing.ID == 0 {
		t.Fatalf("run answer %s: %v", body, err)
	}
	firing := base + "/api/v1/reminders/all-hands/firings/" + strconv.FormatInt(run.Firing.ID, 10)
	if code, body := do(t, "GET", firing+"/problems", token, nil); code != 200 || !strings.Contains(body, `"problems":[`) {
		t.Errorf("GET problems = %d %s", code, body)
	}
	if code, body := do(t, "POST", firing+"/retry", token, nil); code != 200 || !strings.Contains(body, `"requeued":0`) {
		t.Errorf("POST retry = %d %s, want nothing to requeue", code, body)
	}
	code, body = do(t, "GET", base+"/metrics", "", nil)
	for _, want := range []string{`punchbot_reminder_deliveries{reminder="all-hands",status="queued"}`, `punchbot_reminder_deliveries{reminder="all-hands",status="retrying"}`,
		"punchbot_scheduler_leader", "punchbot_reminder_firings_total"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestLoadSchedConfig(t *testing.T) {
	c, err := loadConfig(env())
	if err != nil {
		t.Fatal(err)
	}
	if !c.Sched.Enabled || c.Sched.TTL != 30*time.Second || c.Sched.LateWindow != 15*time.Minute || c.Sched.Concurrency != 4 ||
		c.Sched.Rates[core.PlatformWeCom] != (rateConfig{30, 30}) || c.Sched.Rates[core.PlatformFeishu] != (rateConfig{15, 40}) || c.Sched.Rates[core.PlatformSlack] != (rateConfig{4, 10}) {
		t.Errorf("defaults = %+v", c.Sched)
	}
	c, err = loadConfig(env("PUNCHBOT_SCHEDULER", "off", "PUNCHBOT_SCHEDULER_TTL", "10s", "PUNCHBOT_SCHEDULER_LATE_WINDOW", "1h",
		"PUNCHBOT_OUTBOX_CONCURRENCY", "8", "PUNCHBOT_SLACK_RATE", "0.5", "PUNCHBOT_SLACK_BURST", "3"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Sched.Enabled || c.Sched.TTL != 10*time.Second || c.Sched.LateWindow != time.Hour || c.Sched.Concurrency != 8 || c.Sched.Rates[core.PlatformSlack] != (rateConfig{0.5, 3}) {
		t.Errorf("explicit = %+v", c.Sched)
	}
	if b := c.Sched.buckets(); len(b) != 3 || b[core.PlatformSlack].Rate() != 0.5 {
		t.Errorf("buckets = %v", b)
	}
	_, err = loadConfig(env("PUNCHBOT_SCHEDULER", "maybe", "PUNCHBOT_SCHEDULER_TTL", "1s", "PUNCHBOT_OUTBOX_CONCURRENCY", "0",
		"PUNCHBOT_WECOM_RATE", "-1", "PUNCHBOT_FEISHU_BURST", "x"))
	for _, want := range []string{"PUNCHBOT_SCHEDULER:", "PUNCHBOT_SCHEDULER_TTL", "PUNCHBOT_OUTBOX_CONCURRENCY", "PUNCHBOT_WECOM_RATE", "PUNCHBOT_FEISHU_BURST"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error = %v, want it to name %s", err, want)
		}
	}
}

func TestBenchFlags(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), []string{"bench"}, env(), &out, &out); code != 2 || !strings.Contains(out.String(), "usage: punchbot bench broadcast") {
		t.Errorf("bench without a target = %d %q, want 2 with the usage", code, out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"bench", "broadcast", "-store", "oracle"}, env(), &out, &out); code != 1 || !strings.Contains(out.String(), "-store") {
		t.Errorf("bench with a bad store = %d %q", code, out.String())
	}
	out.Reset()
	// A small run end to end.
	if code := run(context.Background(), []string{"bench", "broadcast", "-n", "600", "-window", "1s", "-slack-rate", "500"}, env(), &out, &out); code != 0 ||
		!strings.Contains(out.String(), "600 deliveries queued") || !strings.Contains(out.String(), "result: 0 duplicates, 0 not delivered") {
		t.Errorf("bench = %d %s", code, out.String())
	}
}
