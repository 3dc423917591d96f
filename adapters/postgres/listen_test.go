package postgres

import (
	"context"
	"net"
	"net/url"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// mustOpenReplica opens a second store on s's schema, as another replica
// would be, and closes it when the test ends (before s's schema is
// dropped).
func mustOpenReplica(tb testing.TB, s *Store) *Store {
	tb.Helper()
	r, err := OpenWithSchema(context.Background(), testURL(tb), s.schema)
	if err != nil {
		tb.Fatalf("OpenWithSchema: %v", err)
	}
	tb.Cleanup(r.Close)
	return r
}

// inUse reports whether the cache is in use (its listener is connected).
func (c *rosterCache) inUse() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.live
}

// mustEventually polls cond every 10 ms until it holds, and returns how
// long that took; it fails the test after within.
func mustEventually(tb testing.TB, within time.Duration, what string, cond func() bool) time.Duration {
	tb.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			tb.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

// An organisation applied through one store reaches another store on the
// same database within a second, however its listener fares: connected
// throughout, or cut off just before the apply.
func TestApplyOrgReachesEveryReplica(t *testing.T) {
	tests := []struct {
		name string
		cut  bool // terminate the other store's listening connection first
	}{
		{"listener connected", false},
		{"listener connection cut", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			a := MustOpen(t)
			b := mustOpenReplica(t, a)
			org := coretest.BenchOrg(t, 2, 1)
			audit := core.AuditEntry{At: time.Now(), Actor: "test", Action: "org.applied"}
			if _, err := a.ApplyOrg(ctx, org, audit); err != nil {
				t.Fatalf("ApplyOrg: %v", err)
			}
			mustEventually(t, 5*time.Second, "store B listens", b.cache.inUse)
			now := func() time.Time { return time.Date(2026, 1, 5, 1, 0, 0, 0, time.UTC) }
			svc := core.NewService(b, coretest.NewMemKV(now), nil, core.DefaultConfig(), now)
			punch := coretest.BenchPuncher(t, svc, 2, 1)
			// Punch until store B serves the employee from its cache (the
			// first apply's own notification may clear it once), or this
			// test would prove nothing.
			acct := account{platform: core.PlatformSlack, tenant: "T1", user: "U000"}
			mustEventually(t, 2*time.Second, "store B caches b000", func() bool {
				if got := punch(); got.Outcome != core.OutcomeAccepted {
					t.Fatalf("punch on store B before the change = %s, want %s", got.Outcome, core.OutcomeAccepted)
				}
				id, ok := b.cache.account(acct)
				return ok && id == "b000"
			})
			if tt.cut {
				// Both stores' listeners: they have the same name.
				var cut int
				if err := a.pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`,
					listenerName(b.channel)).Scan(&cut); err != nil || cut != 2 {
					t.Fatalf("terminated %d listeners, %v; want 2", cut, err)
				}
			}

			org.Employees[0].Active = false
			if _, err := a.ApplyOrg(ctx, org, audit); err != nil {
				t.Fatalf("ApplyOrg deactivating b000: %v", err)
			}
			took := mustEventually(t, time.Second, "store B refuses the deactivated employee", func() bool {
				return punch().Outcome == core.OutcomeInactive
			})
			t.Logf("store B refused b000 %v after the apply", took)
			if r, err := b.Roster(ctx, "b000"); err != nil || r.Employee.Active {
				t.Errorf("store B's Roster(b000) = active %v, %v; want inactive", r.Employee.Active, err)
			}
			if tt.cut {
				mustEventually(t, 5*time.Second, "store B listens again", b.cache.inUse)
			}
		})
	}
}

// Close stops the listener: its connection is gone from the server.
func TestCloseStopsListener(t *testing.T) {
	ctx := context.Background()
	a := MustOpen(t)
	b, err := OpenWithSchema(ctx, testURL(t), a.schema)
	if err != nil {
		t.Fatal(err)
	}
	listeners := func() int {
		var n int
		if err := a.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, listenerName(b.channel)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	mustEventually(t, 5*time.Second, "both stores listen", func() bool { return a.cache.inUse() && b.cache.inUse() })
	if got := listeners(); got != 2 {
		t.Fatalf("listeners on the schema's channel = %d, want 2", got)
	}
	b.Close()
	// The server ends the backend shortly after the client said goodbye.
	mustEventually(t, 5*time.Second, "only store A listens after store B closed", func() bool { return listeners() == 1 })
}

// freezer is a TCP proxy to the test database that can stop passing bytes
// while keeping every connection open, as a cut network does: nothing
// tells either side.
type freezer struct {
	addr   string
	mu     sync.Mutex
	frozen bool
	thawed *sync.Cond
}

func mustFreezer(tb testing.TB, upstream string) *freezer {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	f := &freezer{addr: ln.Addr().String()}
	f.thawed = sync.NewCond(&f.mu)
	tb.Cleanup(func() { ln.Close(); f.freeze(false) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			go f.pipe(c, u)
			go f.pipe(u, c)
		}
	}()
	return f
}

func (f *freezer) freeze(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.frozen = on
	f.thawed.Broadcast()
}

// pipe copies from src to dst, holding what it read while frozen.
func (f *freezer) pipe(dst, src net.Conn) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		f.mu.Lock()
		for f.frozen {
			f.thawed.Wait()
		}
		f.mu.Unlock()
		if n > 0 {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// A listening connection that goes silent (no error, no notification) puts
// the cache out of use well within a second, so a store cut off from the
// database never answers from it for long.
func TestSilentListenerPutsCacheOutOfUse(t *testing.T) {
	a := MustOpen(t)
	u, err := url.Parse(testURL(t))
	if err != nil {
		t.Fatal(err)
	}
	f := mustFreezer(t, u.Host)
	u.Host = f.addr
	b, err := OpenWithSchema(context.Background(), u.String(), a.schema)
	if err != nil {
		t.Fatalf("OpenWithSchema through the proxy: %v", err)
	}
	t.Cleanup(func() { f.freeze(false); b.Close() })
	mustEventually(t, 5*time.Second, "store B listens", b.cache.inUse)
	f.freeze(true)
	took := mustEventually(t, time.Second, "store B's cache goes out of use", func() bool { return !b.cache.inUse() })
	t.Logf("out of use %v after the network went silent", took)
	f.freeze(false)
	mustEventually(t, 10*time.Second, "store B listens again", b.cache.inUse)
}

// The whole organisation loaded at once answers like the database read one
// employee at a time, and once it is in, the store answers identities from
// it.
func TestPreloadAnswersLikeSingleReads(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	org := coretest.BenchOrg(t, 20, 2)
	org.Calendars = []core.Calendar{{ID: "cn", Name: "CN", Days: []core.CalendarDay{{Date: "2026-10-01", Name: "国庆"}, {Date: "2026-10-11", Workday: true, Name: "调休"}}}}
	org.Schedules[0].CalendarID = "cn"
	org.Schedules = append(org.Schedules, core.Schedule{ID: "night", Name: "Night", StartMin: 22 * 60, EndMin: 30 * 60, WorkDays: []time.Weekday{time.Monday}})
	org.Employees[1].ScheduleID = "night"
	org.Employees[2].ScheduleID = ""
	org.Employees[3].Active = false
	org.Employees[4].Identities = append(org.Employees[4].Identities, core.Identity{Platform: core.PlatformWeCom, UserID: "w4"})
	org.Employees[5].Identities = append(org.Employees[5].Identities, core.Identity{Platform: core.PlatformWeCom, Tenant: "corp1", UserID: "w4"})
	if err := org.Prepare(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyOrg(ctx, org, core.AuditEntry{At: time.Now(), Actor: "t", Action: "org.applied"}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rosters, _, err := s.loadOrg(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded %d rosters in %v", len(rosters), time.Since(start))
	if len(rosters) != len(org.Employees) {
		t.Errorf("loaded %d rosters, want %d", len(rosters), len(org.Employees))
	}
	for _, e := range org.Employees {
		want, found, err := s.roster(ctx, `$1::text`, e.ID)
		if err != nil || !found {
			t.Fatalf("roster(%s) = %v, %v", e.ID, found, err)
		}
		if got := rosters[e.ID]; !reflect.DeepEqual(got, want) {
			t.Errorf("loaded roster of %s =\n%+v\nwant (read alone)\n%+v", e.ID, got, want)
		}
	}

	// The first miss starts the load; wait until the cache holds it all.
	deadline := time.Now().Add(2 * time.Second)
	for {
		if _, err := s.FindIdentity(ctx, core.PlatformSlack, "T1", "U000"); err != nil {
			t.Fatal(err)
		}
		s.cache.mu.RLock()
		full := s.cache.full
		s.cache.mu.RUnlock()
		if full {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the cache did not load the organisation within 2s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	tests := []struct {
		platform     core.Platform
		tenant, user string
		want         string // employee id, "" for ENOTFOUND
	}{
		{core.PlatformSlack, "T1", "U007", "b007"},
		{core.PlatformSlack, "T2", "U007", ""},
		{core.PlatformWeCom, "corp1", "w4", "b005"}, // the exact tenant wins
		{core.PlatformWeCom, "corp2", "w4", "b004"}, // no tenant matches any
		{core.PlatformWeCom, "", "w4", "b004"},
		{core.PlatformWeCom, "corp1", "nobody", ""},
	}
	for _, tt := range tests {
		e, err := s.FindIdentity(ctx, tt.platform, tt.tenant, tt.user)
		switch {
		case tt.want == "" && core.ErrorCode(err) != core.ENOTFOUND:
			t.Errorf("FindIdentity(%s, %q, %s) = %s, %v, want not found", tt.platform, tt.tenant, tt.user, e.ID, err)
		case tt.want != "" && (err != nil || e.ID != tt.want):
			t.Errorf("FindIdentity(%s, %q, %s) = %s, %v, want %s", tt.platform, tt.tenant, tt.user, e.ID, err, tt.want)
		}
	}
	if r, err := s.Roster(ctx, "b003"); err != nil || r.Employee.Active {
		t.Errorf("Roster(b003) = %+v, %v, want the inactive employee", r.Employee, err)
	}
}

// Erasing a departed employee through one store reaches another store's
// cache within a second: the erased name and the unbound accounts are gone
// there too.
func TestErasureReachesEveryReplica(t *testing.T) {
	ctx := context.Background()
	a := MustOpen(t)
	b := mustOpenReplica(t, a)
	org := coretest.BenchOrg(t, 2, 1)
	org.Employees[0].Active = false
	audit := core.AuditEntry{At: time.Now(), Actor: "test", Action: "org.applied"}
	if _, err := a.ApplyOrg(ctx, org, audit); err != nil {
		t.Fatalf("ApplyOrg: %v", err)
	}
	mustEventually(t, 5*time.Second, "store B listens", b.cache.inUse)
	acct := account{platform: core.PlatformSlack, tenant: "T1", user: "U000"}
	mustEventually(t, 2*time.Second, "store B caches b000", func() bool {
		if _, err := b.FindIdentity(ctx, acct.platform, acct.tenant, acct.user); err != nil {
			t.Fatalf("FindIdentity on store B before the erasure: %v", err)
		}
		id, ok := b.cache.account(acct)
		return ok && id == "b000"
	})
	keep := func(p core.Punch) core.Punch { return p }
	if _, err := a.ErasePersonalData(ctx, "b000", keep, func(core.ErasureResult) core.AuditEntry {
		return core.AuditEntry{At: time.Now(), Actor: "test", Action: "privacy.erased", Subject: "b000"}
	}); err != nil {
		t.Fatalf("ErasePersonalData: %v", err)
	}
	took := mustEventually(t, time.Second, "store B forgets b000's account", func() bool {
		_, err := b.FindIdentity(ctx, acct.platform, acct.tenant, acct.user)
		return core.ErrorCode(err) == core.ENOTFOUND
	})
	t.Logf("store B forgot the erased account %v after the erasure", took)
	if r, err := b.Roster(ctx, "b000"); err != nil || r.Employee.Name != core.ErasedName {
		t.Errorf("store B's Roster(b000) name = %q, %v; want %q", r.Employee.Name, err, core.ErasedName)
	}
}

// The device-binding policy is read once per organisation: a change made
// behind the stores' back is not seen, and an apply on another store is
// seen within a second.
func TestDevicePolicyReachesEveryReplica(t *testing.T) {
	ctx := context.Background()
	a := MustOpen(t)
	org := coretest.BenchOrg(t, 2, 1)
	org.Devices = core.DevicePolicy{Default: core.DeviceBindingOptional}
	audit := core.AuditEntry{At: time.Now(), Actor: "test", Action: "org.applied"}
	if _, err := a.ApplyOrg(ctx, org, audit); err != nil {
		t.Fatalf("ApplyOrg: %v", err)
	}
	// B opens after the first apply, so that apply's notification never
	// reaches it: otherwise it may arrive late, after B cached the policy
	// and after the change below, and clear the cache the test relies on.
	b := mustOpenReplica(t, a)
	mustEventually(t, 5*time.Second, "store B listens", b.cache.inUse)
	policy := func() core.DeviceBinding {
		t.Helper()
		p, err := b.DevicePolicy(ctx)
		if err != nil {
			t.Fatalf("DevicePolicy on store B: %v", err)
		}
		return p.Default
	}
	// Read until B keeps the policy.
	mustEventually(t, 2*time.Second, "store B caches the policy", func() bool {
		if got := policy(); got != core.DeviceBindingOptional {
			t.Fatalf("store B's policy before the change = %q, want %q", got, core.DeviceBindingOptional)
		}
		_, ok := b.cache.devicePolicy()
		return ok
	})
	if _, err := a.pool.Exec(ctx, `UPDATE device_policy SET binding = 'off'`); err != nil {
		t.Fatal(err)
	}
	if got := policy(); got != core.DeviceBindingOptional {
		t.Errorf("store B's policy after a change without an apply = %q, want the cached %q (no read per call)", got, core.DeviceBindingOptional)
	}

	org.Devices.Default = core.DeviceBindingRequired
	if _, err := a.ApplyOrg(ctx, org, audit); err != nil {
		t.Fatalf("ApplyOrg requiring devices: %v", err)
	}
	took := mustEventually(t, time.Second, "store B requires devices", func() bool { return policy() == core.DeviceBindingRequired })
	t.Logf("store B saw the new policy %v after the apply", took)
}
