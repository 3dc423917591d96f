package redis

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
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

// transitions records what OnChange reported.
type transitions struct {
	mu  sync.Mutex
	got []bool
}

func (tr *transitions) record(up bool, _ error) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.got = append(tr.got, up)
}

func (tr *transitions) list() []bool {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.got)
}

// waitFor polls cond until it holds or d passes, and returns how long it took.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// fast runs call and fails the test when it takes longer than limit.
func fast(t *testing.T, what string, limit time.Duration, call func() error) error {
	t.Helper()
	start := time.Now()
	err := call()
	if took := time.Since(start); took > limit {
		t.Errorf("%s took %s, want at most %s", what, took, limit)
	}
	return err
}

// TestResilientDownAtStart needs no server: a Redis that is down when the
// process starts is known to be down before the first request, and every
// call is answered in process except the lock.
func TestResilientDownAtStart(t *testing.T) {
	kv, err := Dial("redis://127.0.0.1:1/0", "x:")
	if err != nil {
		t.Fatal(err)
	}
	var tr transitions
	r := NewResilient(kv, coretest.NewMemKV(nil), WithProbe(20*time.Millisecond, 50*time.Millisecond), OnChange(tr.record))
	defer r.Close()
	if r.Up() {
		t.Fatal("Up() = true with nobody listening")
	}
	ctx := context.Background()
	const limit = 100 * time.Millisecond
	if err := fast(t, "Put", limit, func() error { return r.Put(ctx, "k", []byte("v"), time.Minute) }); err != nil {
		t.Fatalf("Put: %v", err)
	}
	var got []byte
	if err := fast(t, "Get", limit, func() (err error) { got, err = r.Get(ctx, "k"); return err }); err != nil || string(got) != "v" {
		t.Errorf("Get = %q, %v; want \"v\"", got, err)
	}
	var first bool
	if err := fast(t, "Claim", limit, func() (err error) { first, err = r.Claim(ctx, "c", time.Minute); return err }); err != nil || !first {
		t.Errorf("Claim = %t, %v; want true", first, err)
	}
	var ok bool
	if err := fast(t, "Allow", limit, func() (err error) { ok, _, err = r.Allow(ctx, "a", 1, time.Minute); return err }); err != nil || !ok {
		t.Errorf("Allow = %t, %v; want true", ok, err)
	}
	if err := fast(t, "Delete", limit, func() error { return r.Delete(ctx, "k") }); err != nil {
		t.Errorf("Delete: %v", err)
	}
	if _, err := r.TryLock(ctx, "leader", time.Minute); core.ErrorCode(err) != core.EUNAVAILABLE {
		t.Errorf("TryLock = %v, want %s", err, core.EUNAVAILABLE)
	}
	time.Sleep(100 * time.Millisecond) // several failed probes
	if got, want := tr.list(), []bool{false}; !slices.Equal(got, want) {
		t.Errorf("transitions = %v, want %v (one per outage, not one per probe)", got, want)
	}
}

// TestResilientConformance: with Redis up and an empty fallback, the
// wrapper behaves exactly as the KV it wraps.
func TestResilientConformance(t *testing.T) {
	mustRedisURL(t)
	coretest.RunKVSuite(t, func(t *testing.T) coretest.KV {
		kv, _ := mustOpen(t)
		r := NewResilient(kv, coretest.NewMemKV(nil))
		t.Cleanup(func() { r.stop(); <-r.done }) // mustOpen closes kv
		return r
	}, time.Sleep)
}

// TestResilientOutage cuts Redis behind a proxy, both ways a client can
// lose it, and checks that every call keeps answering quickly from the
// fallback except the lock, and that Redis is used again once it returns.
func TestResilientOutage(t *testing.T) {
	url := mustRedisURL(t)
	for _, tc := range []struct {
		name string
		how  coretest.Cut
	}{{"refused", coretest.CutRefuse}, {"black-holed", coretest.CutBlackhole}} {
		t.Run(tc.name, func(t *testing.T) {
			opts, err := goredis.ParseURL(url)
			if err != nil {
				t.Fatal(err)
			}
			direct := goredis.NewClient(opts)
			defer direct.Close()
			p := coretest.MustProxy(t, opts.Addr)
			viaProxy := *opts
			viaProxy.Addr = p.Addr()
			requestPathDefaults(&viaProxy)
			prefix := testPrefix(t)
			t.Cleanup(func() { deletePrefix(context.Background(), direct, prefix) })
			var tr transitions
			fb := coretest.NewMemKV(nil)
			r := NewResilient(New(goredis.NewClient(&viaProxy), prefix), fb, WithProbe(50*time.Millisecond, 100*time.Millisecond), OnChange(tr.record))
			defer r.Close()
			ctx := context.Background()
			inRedis := func(key string) bool {
				t.Helper()
				n, err := direct.Exists(ctx, prefix+key).Result()
				if err != nil {
					t.Fatal(err)
				}
				return n == 1
			}

			if !r.Up() {
				t.Fatal("Up() = false before the cut")
			}
			lease, err := r.TryLock(ctx, "leader", time.Minute)
			if err != nil {
				t.Fatalf("TryLock before the cut: %v", err)
			}
			if err := r.Put(ctx, "before", []byte("b"), time.Minute); err != nil || !inRedis("sess:before") {
				t.Fatalf("Put before the cut: %v, in Redis %t", err, inRedis("sess:before"))
			}

			p.Cut(tc.how)
			// The first call may meet the outage before the probe does: it
			// costs at most one Redis timeout, then the fallback answers.
			start := time.Now()
			if ok, _, err := r.Allow(ctx, "emp-1", 5, time.Minute); err != nil || !ok {
				t.Errorf("first Allow in the cut = %t, %v; want admitted", ok, err)
			}
			first := time.Since(start)
			if first > DefaultIOTimeout+150*time.Millisecond {
				t.Errorf("first call in the cut took %s, want at most one timeout (%s) and a margin", first, DefaultIOTimeout)
			}
			noticed := waitFor(t, "marked down", 2*time.Second, func() bool { return !r.Up() })
			t.Logf("first call in the cut: %s; marked down %s after it", first, noticed)

			const limit = 100 * time.Millisecond
			var slowest time.Duration
			for i := range 20 {
				start := time.Now()
				if ok, _, err := r.Allow(ctx, "emp-1", 100, time.Minute); err != nil || !ok {
					t.Errorf("Allow #%d in the cut = %t, %v", i, ok, err)
				}
				slowest = max(slowest, time.Since(start))
			}
			if slowest > limit {
				t.Errorf("slowest Allow in the cut took %s, want at most %s", slowest, limit)
			}
			t.Logf("slowest of 20 Allow calls while marked down: %s", slowest)
			if err := fast(t, "Put", limit, func() error { return r.Put(ctx, "during", []byte("d"), time.Minute) }); err != nil {
				t.Errorf("Put in the cut: %v", err)
			}
			var got []byte
			if err := fast(t, "Get", limit, func() (err error) { got, err = r.Get(ctx, "during"); return err }); err != nil || string(got) != "d" {
				t.Errorf("Get in the cut = %q, %v; want \"d\"", got, err)
			}
			if _, err := r.Get(ctx, "before"); core.ErrorCode(err) != core.ENOTFOUND {
				t.Errorf("Get of a value only Redis has, in the cut = %v; want %s (the caller asks again)", err, core.ENOTFOUND)
			}
			for i, want := range []bool{true, false} {
				var stored bool
				if err := fast(t, "PutIfAbsent", limit, func() (err error) { _, stored, err = r.PutIfAbsent(ctx, "mark", []byte("m"), time.Minute); return err }); err != nil || stored != want {
					t.Errorf("PutIfAbsent #%d in the cut = %t, %v; want %t", i+1, stored, err, want)
				}
			}
			var adm core.Admission
			if err := fast(t, "AllowRead", limit, func() (err error) { adm, err = r.AllowRead(ctx, "emp-1", 100, time.Minute, "during"); return err }); err != nil || !adm.OK || string(adm.Value) != "d" {
				t.Errorf("AllowRead in the cut = %+v, %v; want admitted with \"d\" from this process", adm, err)
			}
			for i, want := range []bool{true, false} {
				var won bool
				if err := fast(t, "Claim", limit, func() (err error) { won, err = r.Claim(ctx, "ev-1", time.Minute); return err }); err != nil || won != want {
					t.Errorf("Claim #%d in the cut = %t, %v; want %t", i, won, err, want)
				}
			}
			if err := fast(t, "TryLock", limit, func() error { _, err := r.TryLock(ctx, "other", time.Minute); return err }); core.ErrorCode(err) != core.EUNAVAILABLE {
				t.Errorf("TryLock in the cut = %v, want %s", err, core.EUNAVAILABLE)
			}
			if err := fast(t, "Renew", limit, func() error { return lease.Renew(ctx, time.Minute) }); core.ErrorCode(err) != core.EUNAVAILABLE {
				t.Errorf("Renew in the cut = %v, want %s", err, core.EUNAVAILABLE)
			}

			p.Restore()
			back := waitFor(t, "marked up", 5*time.Second, r.Up)
			t.Logf("marked up %s after the restore", back)
			if err := r.Put(ctx, "after", []byte("a"), time.Minute); err != nil || !inRedis("sess:after") {
				t.Errorf("Put after recovery: %v, in Redis %t; want it in Redis", err, inRedis("sess:after"))
			}
			if won, err := r.Claim(ctx, "ev-2", time.Minute); err != nil || !won || !inRedis("dedupe:ev-2") {
				t.Errorf("Claim after recovery = %t, %v, in Redis %t; want a claim in Redis", won, err, inRedis("dedupe:ev-2"))
			}
			if _, _, err := r.Allow(ctx, "emp-2", 5, time.Minute); err != nil || !inRedis("rate:emp-2") {
				t.Errorf("Allow after recovery: %v, in Redis %t; want a window in Redis", err, inRedis("rate:emp-2"))
			}
			if got, err := r.Get(ctx, "during"); err != nil || string(got) != "d" {
				t.Errorf("Get after recovery of a value written in the cut = %q, %v; want \"d\" from this process", got, err)
			}
			if a, err := r.AllowRead(ctx, "emp-3", 5, time.Minute, "during"); err != nil || !a.OK || string(a.Value) != "d" || !inRedis("rate:emp-3") {
				t.Errorf("AllowRead after recovery = %+v, %v, window in Redis %t; want admitted in Redis with \"d\" from this process", a, err, inRedis("rate:emp-3"))
			}
			// A write after recovery goes to Redis and retires the copy.
			if err := r.Put(ctx, "during", []byte("d2"), time.Minute); err != nil {
				t.Fatal(err)
			}
			if err := direct.Del(ctx, prefix+"sess:during").Err(); err != nil {
				t.Fatal(err)
			}
			if got, err := r.Get(ctx, "during"); core.ErrorCode(err) != core.ENOTFOUND {
				t.Errorf("Get after Redis lost a value rewritten since the cut = %q, %v; want %s, not the stale copy", got, err, core.ENOTFOUND)
			}
			if l, err := r.TryLock(ctx, "other", time.Minute); err != nil {
				t.Errorf("TryLock after recovery: %v", err)
			} else if err := l.Release(ctx); err != nil {
				t.Errorf("Release after recovery: %v", err)
			}
			if got, want := tr.list(), []bool{false, true}; !slices.Equal(got, want) {
				t.Errorf("transitions = %v, want %v (one per edge, not one per call)", got, want)
			}
		})
	}
}

// TestResilientKeepsBugsVisible: an error that is not an outage (here a
// key of the wrong type) is returned as it is and leaves Redis up, rather
// than being papered over by the fallback.
func TestResilientKeepsBugsVisible(t *testing.T) {
	kv, prefix := mustOpen(t)
	ctx := context.Background()
	if err := kv.client.LPush(ctx, prefix+"sess:k", "x").Err(); err != nil {
		t.Fatal(err)
	}
	fb := coretest.NewMemKV(nil)
	if err := fb.Put(ctx, "k", []byte("stale"), time.Minute); err != nil {
		t.Fatal(err)
	}
	r := NewResilient(kv, fb)
	defer func() { r.stop(); <-r.done }() // mustOpen closes kv
	got, err := r.Get(ctx, "k")
	if core.ErrorCode(err) != core.EINTERNAL || bytes.Equal(got, []byte("stale")) {
		t.Errorf("Get of a list = %q, %v; want %s", got, err, core.EINTERNAL)
	}
	if !r.Up() {
		t.Error("a wrong-type error marked Redis down")
	}
}

// mustMisconfServer starts a fake Redis that answers PING but refuses every
// other command with MISCONF, as Redis does once it cannot write snapshots
// to a full disk. It speaks just enough RESP2 for go-redis to connect.
func mustMisconfServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
			go func() {
				defer c.Close()
				rd := bufio.NewReader(c)
				for {
					args, err := readCommand(rd)
					if err != nil {
						return
					}
					reply := "-MISCONF Errors writing to the RDB file\r\n"
					switch strings.ToUpper(args[0]) {
					case "HELLO":
						reply = "-ERR unknown command 'HELLO'\r\n" // go-redis falls back to RESP2
					case "PING":
						reply = "+PONG\r\n"
					case "CLIENT", "SELECT":
						reply = "+OK\r\n"
					}
					if _, err := c.Write([]byte(reply)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// readCommand reads one RESP array of bulk strings.
func readCommand(rd *bufio.Reader) ([]string, error) {
	line, err := rd.ReadString('\n')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "*")))
	if err != nil || n < 1 {
		return nil, fmt.Errorf("not a command: %q", line)
	}
	args := make([]string, n)
	for i := range args {
		if _, err := rd.ReadString('\n'); err != nil { // $len
			return nil, err
		}
		arg, err := rd.ReadString('\n')
		if err != nil {
			return nil, err
		}
		args[i] = strings.TrimSuffix(arg, "\r\n")
	}
	return args, nil
}

// TestResilientWriteRefusingRedis needs no server: a Redis that answers
// PING but refuses writes is down for punchbot's purposes, and stays marked
// down rather than flapping up at every probe and down at every request.
func TestResilientWriteRefusingRedis(t *testing.T) {
	o := &goredis.Options{Addr: mustMisconfServer(t), Protocol: 2}
	requestPathDefaults(o)
	kv := New(goredis.NewClient(o), "x:")
	ctx := context.Background()
	if err := kv.Ping(ctx); err != nil {
		t.Fatalf("PING = %v; the fake should answer it", err)
	}
	if _, err := kv.Claim(ctx, "k", time.Minute); core.ErrorCode(err) != core.EUNAVAILABLE {
		t.Fatalf("Claim against MISCONF = %v, want %s", err, core.EUNAVAILABLE)
	}
	var tr transitions
	r := NewResilient(kv, coretest.NewMemKV(nil), WithProbe(20*time.Millisecond, 100*time.Millisecond), OnChange(tr.record))
	defer r.Close()
	for range 10 {
		if ok, _, err := r.Allow(ctx, "emp-1", 100, time.Minute); err != nil || !ok {
			t.Fatalf("Allow = %t, %v; want admitted by the fallback", ok, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got, want := tr.list(), []bool{false}; !slices.Equal(got, want) {
		t.Errorf("transitions = %v, want %v", got, want)
	}
}
