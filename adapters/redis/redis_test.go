package redis

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

const urlEnv = "PUNCHBOT_TEST_REDIS_URL"

// mustRedisURL returns the test server URL or skips the test.
func mustRedisURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(urlEnv)
	if u == "" {
		tb.Skipf("%s is not set; set it (e.g. redis://127.0.0.1:6379/0) to run the Redis tests", urlEnv)
	}
	return u
}

var unsafeKeyChars = regexp.MustCompile(`[^A-Za-z0-9_/-]+`)

// testPrefix is unique per test and free of glob characters, so the cleanup
// SCAN pattern matches exactly this test's keys.
func testPrefix(tb testing.TB) string {
	return "punchbot-test:" + unsafeKeyChars.ReplaceAllString(tb.Name(), "_") + ":" + rand.Text() + ":"
}

// mustOpen opens a KV under a fresh prefix on the test server and deletes
// every key under that prefix when the test ends.
func mustOpen(tb testing.TB) (*KV, string) {
	tb.Helper()
	url := mustRedisURL(tb)
	prefix := testPrefix(tb)
	kv, err := Open(context.Background(), url, prefix)
	if err != nil {
		tb.Fatalf("Open(%s): %v", urlEnv, err)
	}
	tb.Cleanup(func() {
		if n, err := deletePrefix(context.Background(), kv.client, prefix); err != nil {
			tb.Errorf("cleanup of %s* (%d keys deleted): %v", prefix, n, err)
		}
		if err := kv.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return kv, prefix
}

// scanPrefix lists every key under prefix.
func scanPrefix(ctx context.Context, c goredis.UniversalClient, prefix string) ([]string, error) {
	var keys []string
	iter := c.Scan(ctx, 0, prefix+"*", 100).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	slices.Sort(keys)
	return slices.Compact(keys), iter.Err()
}

func deletePrefix(ctx context.Context, c goredis.UniversalClient, prefix string) (int, error) {
	keys, err := scanPrefix(ctx, c, prefix)
	if err != nil || len(keys) == 0 {
		return 0, err
	}
	return len(keys), c.Del(ctx, keys...).Err()
}

func TestConformance(t *testing.T) {
	mustRedisURL(t)
	// Redis expires keys on its own clock, so the suite's clock is real time.
	coretest.RunKVSuite(t, func(t *testing.T) coretest.KV {
		kv, _ := mustOpen(t)
		return kv
	}, time.Sleep)
}

// TestAllowReadLoadsTheScript: a Redis that lost its scripts (a restart,
// SCRIPT FLUSH, a failover) answers the pipelined EVALSHA with NOSCRIPT;
// AllowRead then loads the script and still answers in full.
func TestAllowReadLoadsTheScript(t *testing.T) {
	kv, _ := mustOpen(t)
	ctx := t.Context()
	if err := kv.Put(ctx, "intent", []byte("out"), time.Minute); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := kv.client.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		a, err := kv.AllowRead(ctx, "emp", 1, time.Minute, "intent")
		if err != nil {
			t.Fatalf("AllowRead #%d after SCRIPT FLUSH: %v", i+1, err)
		}
		if want := i == 0; a.OK != want || string(a.Value) != "out" || !a.Found {
			t.Errorf("AllowRead #%d = %+v, want ok %t with value \"out\"", i+1, a, want)
		}
	}
}

// TestEveryKeyExpires checks that nothing the adapter writes can outlive its
// purpose: every key carries a TTL, so Redis memory stays bounded however
// many employees, events and locks come and go.
func TestEveryKeyExpires(t *testing.T) {
	kv, prefix := mustOpen(t)
	ctx := context.Background()
	const ttl = time.Minute
	if err := kv.Put(ctx, "k", []byte("v"), ttl); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Claim(ctx, "k", ttl); err != nil {
		t.Fatal(err)
	}
	if _, _, err := kv.Allow(ctx, "k", 5, ttl); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.TryLock(ctx, "k", ttl); err != nil {
		t.Fatal(err)
	}
	keys, err := scanPrefix(ctx, kv.client, prefix)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{prefix + "dedupe:k", prefix + "lock:k", prefix + "rate:k", prefix + "sess:k"}
	if !slices.Equal(keys, want) {
		t.Fatalf("keys under the prefix = %q, want %q", keys, want)
	}
	for _, key := range keys {
		got, err := kv.client.PTTL(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if got <= 0 || got > ttl {
			t.Errorf("PTTL(%s) = %s, want in (0, %s]", key, got, ttl)
		}
	}
}

// TestSharedAcrossReplicas runs two KVs with separate connection pools on
// one prefix, as two replicas would: they share one rate limit, one dedupe
// claim and one lock.
func TestSharedAcrossReplicas(t *testing.T) {
	a, prefix := mustOpen(t)
	b, err := Open(context.Background(), mustRedisURL(t), prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	replicas := []*KV{a, b}
	const (
		callers = 20
		limit   = 7
	)
	ctx := context.Background()
	var (
		mu                        sync.Mutex
		allowed, claimed, leaders int
		wg                        sync.WaitGroup
	)
	for i := range callers {
		kv := replicas[i%2]
		wg.Go(func() {
			ok, _, err := kv.Allow(ctx, "punch:emp-1", limit, time.Minute)
			if err != nil {
				t.Error(err)
				return
			}
			won, err := kv.Claim(ctx, "slack:Ev123", time.Minute)
			if err != nil {
				t.Error(err)
				return
			}
			_, err = kv.TryLock(ctx, "scheduler-leader", time.Minute)
			if err != nil && core.ErrorCode(err) != core.ECONFLICT {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if ok {
				allowed++
			}
			if won {
				claimed++
			}
			if err == nil {
				leaders++
			}
		})
	}
	wg.Wait()
	for _, c := range []struct {
		what      string
		got, want int
	}{
		{"events admitted by the shared rate limit", allowed, limit},
		{"first claims of one event", claimed, 1},
		{"leaders", leaders, 1},
	} {
		if c.got != c.want {
			t.Errorf("%s across %d callers on 2 replicas: got %d, want %d", c.what, callers, c.got, c.want)
		}
	}
}

func TestRejectsBadInput(t *testing.T) {
	// Validation happens before any network call, so no server is needed.
	kv := New(goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialerRetries: 1}), "x:")
	defer kv.Close()
	ctx := context.Background()
	l := &lease{kv: kv, key: "k", rkey: "x:lock:k", token: "t"}
	cases := []struct {
		name string
		call func() error
	}{
		{"Put zero TTL", func() error { return kv.Put(ctx, "k", []byte("v"), 0) }},
		{"Claim negative TTL", func() error { _, err := kv.Claim(ctx, "k", -time.Second); return err }},
		{"Allow zero limit", func() error { _, _, err := kv.Allow(ctx, "k", 0, time.Minute); return err }},
		{"Allow zero window", func() error { _, _, err := kv.Allow(ctx, "k", 1, 0); return err }},
		{"TryLock zero TTL", func() error { _, err := kv.TryLock(ctx, "k", 0); return err }},
		{"Renew zero TTL", func() error { return l.Renew(ctx, 0) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := core.ErrorCode(tc.call()); got != core.EINVALID {
				t.Errorf("got code %q, want %q", got, core.EINVALID)
			}
		})
	}
}

// TestUnavailable points the adapter at a port nobody listens on and at a
// closed client: every operation must report EUNAVAILABLE, never a false
// success or an EINTERNAL that would read as a bug.
func TestUnavailable(t *testing.T) {
	ctx := context.Background()
	down := New(goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialerRetries: 1, DialTimeout: time.Second}), "x:")
	defer down.Close()
	closed := New(goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialerRetries: 1}), "x:")
	if err := closed.Close(); err != nil {
		t.Fatal(err)
	}
	for _, kv := range []struct {
		name string
		kv   *KV
	}{{"refused", down}, {"closed", closed}} {
		l := &lease{kv: kv.kv, key: "k", rkey: "x:lock:k", token: "t"}
		ops := []struct {
			name string
			call func() error
		}{
			{"Ping", func() error { return kv.kv.Ping(ctx) }},
			{"Put", func() error { return kv.kv.Put(ctx, "k", []byte("v"), time.Minute) }},
			{"Get", func() error { _, err := kv.kv.Get(ctx, "k"); return err }},
			{"Delete", func() error { return kv.kv.Delete(ctx, "k") }},
			{"Claim", func() error { _, err := kv.kv.Claim(ctx, "k", time.Minute); return err }},
			{"Allow", func() error { _, _, err := kv.kv.Allow(ctx, "k", 1, time.Minute); return err }},
			{"TryLock", func() error { _, err := kv.kv.TryLock(ctx, "k", time.Minute); return err }},
			{"Renew", func() error { return l.Renew(ctx, time.Minute) }},
			{"Release", func() error { return l.Release(ctx) }},
		}
		for _, op := range ops {
			t.Run(kv.name+"/"+op.name, func(t *testing.T) {
				err := op.call()
				var ce *core.Error
				if !errors.As(err, &ce) || ce.Code != core.EUNAVAILABLE {
					t.Errorf("got %v, want a *core.Error with code %s", err, core.EUNAVAILABLE)
				}
			})
		}
	}
}

func TestOpen(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cases := []struct {
		name     string
		url      string
		wantCode string
	}{
		{"not a URL", "127.0.0.1:6379", core.EINVALID},
		{"wrong scheme", "http://127.0.0.1:6379/0", core.EINVALID},
		{"bad port hides the password", "redis://punch:s3cret@127.0.0.1:port/0", core.EINVALID},
		{"nobody listening", "redis://127.0.0.1:1/0?max_retries=-1&dial_timeout=1s", core.EUNAVAILABLE},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kv, err := Open(ctx, tc.url, "x:")
			if err == nil {
				kv.Close()
			}
			if got := core.ErrorCode(err); got != tc.wantCode {
				t.Fatalf("Open(%q) = %v, want code %s", tc.url, err, tc.wantCode)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("Open error %q leaks the password", err)
			}
		})
	}
	t.Run("server", func(t *testing.T) {
		kv, _ := mustOpen(t)
		if err := kv.Ping(ctx); err != nil {
			t.Errorf("Ping: %v", err)
		}
	})
}

// TestForeignValueIsInternal makes a key hold the wrong Redis type, as a
// prefix clash with another application would: that is a bug to report,
// not an outage to retry.
func TestForeignValueIsInternal(t *testing.T) {
	kv, prefix := mustOpen(t)
	ctx := context.Background()
	if err := kv.client.LPush(ctx, prefix+"sess:k", "x").Err(); err != nil {
		t.Fatal(err)
	}
	if err := kv.client.Set(ctx, prefix+"rate:k", "x", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	for _, op := range []struct {
		name string
		call func() error
	}{
		{"Get", func() error { _, err := kv.Get(ctx, "k"); return err }},
		{"Allow", func() error { _, _, err := kv.Allow(ctx, "k", 1, time.Minute); return err }},
	} {
		if got := core.ErrorCode(op.call()); got != core.EINTERNAL {
			t.Errorf("%s on a key of the wrong type: got code %q, want %q", op.name, got, core.EINTERNAL)
		}
	}
}

func BenchmarkAllow(b *testing.B) {
	kv, _ := mustOpen(b)
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		key := "punch:" + rand.Text()
		for pb.Next() {
			if _, _, err := kv.Allow(ctx, key, 1_000_000, time.Minute); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkClaim(b *testing.B) {
	kv, _ := mustOpen(b)
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		base := rand.Text()
		for i := 0; pb.Next(); i++ {
			if _, err := kv.Claim(ctx, base+strconv.Itoa(i), time.Minute); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
