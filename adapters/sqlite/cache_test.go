package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// benchAccount is how coretest.BenchOrg binds employee b000.
var benchAccount = core.Identity{Platform: core.PlatformSlack, Tenant: "T1", UserID: "U000"}

// mustOpenTwo opens two stores on one file, as the server and `punchbot
// apply` in another process would.
func mustOpenTwo(t *testing.T) (a, b *Store) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "punchbot.db")
	ctx := context.Background()
	var err error
	if a, err = Open(ctx, path); err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	if b, err = Open(ctx, path); err != nil {
		t.Fatalf("Open a second time: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return a, b
}

// An organisation applied through one store is what the other store's next
// command sees, although that store serves identities and rosters from its
// cache.
func TestApplyByAnotherStoreReachesTheNextCommand(t *testing.T) {
	ctx := context.Background()
	a, b := mustOpenTwo(t)
	org := coretest.BenchOrg(t, 2, 1)
	mustApply(t, a, org)
	now := func() time.Time { return time.Date(2026, 1, 5, 1, 0, 0, 0, time.UTC) }
	svc := core.NewService(b, coretest.NewMemKV(now), nil, core.DefaultConfig(), now)
	punch := coretest.BenchPuncher(t, svc, 2, 1)
	if got := punch(); got.Outcome != core.OutcomeAccepted {
		t.Fatalf("punch on store B before the change = %s, want %s", got.Outcome, core.OutcomeAccepted)
	}
	// Or this test would prove nothing.
	v := readVersion(t, b)
	if id, ok := b.cache.account(v, benchAccount); !ok || id != "b000" {
		t.Fatalf("store B's cache of %v = %q, %v; want b000 kept", benchAccount, id, ok)
	}
	if _, ok := b.cache.roster(v, "b000"); !ok {
		t.Fatal("store B's cache holds no roster of b000 after a punch")
	}

	org.Employees[0].Active = false
	mustApply(t, a, org) // deactivating b000
	if got := punch(); got.Outcome != core.OutcomeInactive {
		t.Errorf("punch on store B right after the apply = %s, want %s", got.Outcome, core.OutcomeInactive)
	}
	if r, err := b.Roster(ctx, "b000"); err != nil || r.Employee.Active {
		t.Errorf("store B's Roster(b000) = active %v, %v; want inactive", r.Employee.Active, err)
	}
}

// Erasing an employee unbinds their accounts: a cached identity must not
// outlive that, on this store or another.
func TestErasureReachesCachedIdentities(t *testing.T) {
	ctx := context.Background()
	a, b := mustOpenTwo(t)
	org := coretest.BenchOrg(t, 2, 1)
	org.Employees[0].Active = false // only an inactive employee's data may be erased
	mustApply(t, a, org)
	for _, s := range []*Store{a, b} {
		if e, err := s.FindIdentity(ctx, benchAccount.Platform, benchAccount.Tenant, benchAccount.UserID); err != nil || e.ID != "b000" {
			t.Fatalf("FindIdentity before the erasure = %q, %v; want b000", e.ID, err)
		}
	}
	_, err := a.ErasePersonalData(ctx, "b000", func(p core.Punch) core.Punch { return p },
		func(core.ErasureResult) core.AuditEntry {
			return core.AuditEntry{At: time.Now(), Actor: "test", Action: "employee.erased"}
		})
	if err != nil {
		t.Fatalf("ErasePersonalData: %v", err)
	}
	for name, s := range map[string]*Store{"the erasing store": a, "the other store": b} {
		e, err := s.FindIdentity(ctx, benchAccount.Platform, benchAccount.Tenant, benchAccount.UserID)
		if core.ErrorCode(err) != core.ENOTFOUND {
			t.Errorf("FindIdentity on %s after the erasure = %q, %v; want %s", name, e.ID, err, core.ENOTFOUND)
		}
		if r, err := s.Roster(ctx, "b000"); err != nil || r.Employee.Name != core.ErasedName {
			t.Errorf("Roster(b000) on %s after the erasure = name %q, %v; want %q", name, r.Employee.Name, err, core.ErasedName)
		}
	}
}

// A roster the cache returns is the caller's own: changing it changes
// neither the cache nor another caller's.
func TestCachedRosterIsACopy(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	mustApply(t, s, coretest.BenchOrg(t, 1, 2))
	first, err := s.Roster(ctx, "b000")
	if err != nil || len(first.Sites) != 2 || first.Schedule == nil {
		t.Fatalf("Roster = %+v, %v; want two sites and a schedule", first, err)
	}
	want := first.Sites[0].Name
	first.Sites[0].Name = "changed"
	first.Employee.SiteIDs[0] = "changed"
	first.Schedule.WorkDays[0] = time.Wednesday
	again, err := s.Roster(ctx, "b000")
	if err != nil {
		t.Fatal(err)
	}
	if again.Sites[0].Name != want || again.Employee.SiteIDs[0] == "changed" || again.Schedule.WorkDays[0] == time.Wednesday {
		t.Errorf("a second Roster shows the first caller's changes: site %q, site id %q, first work day %v",
			again.Sites[0].Name, again.Employee.SiteIDs[0], again.Schedule.WorkDays[0])
	}
}

// An unknown account is remembered as unknown, and learnt as soon as an
// apply binds it.
func TestUnknownAccountLearntAfterApply(t *testing.T) {
	ctx := context.Background()
	a, b := mustOpenTwo(t)
	org := coretest.BenchOrg(t, 1, 1)
	mustApply(t, a, org)
	if _, err := b.FindIdentity(ctx, core.PlatformSlack, "T1", "U999"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("FindIdentity(U999) = %v, want %s", err, core.ENOTFOUND)
	}
	if id, ok := b.cache.account(readVersion(t, b), core.Identity{Platform: core.PlatformSlack, Tenant: "T1", UserID: "U999"}); !ok || id != "" {
		t.Errorf("cache of U999 = %q, %v; want known as nobody", id, ok)
	}
	org.Employees[0].Identities = append(org.Employees[0].Identities, core.Identity{Platform: core.PlatformSlack, Tenant: "T1", UserID: "U999"})
	mustApply(t, a, org) // binding U999
	if e, err := b.FindIdentity(ctx, core.PlatformSlack, "T1", "U999"); err != nil || e.ID != "b000" {
		t.Errorf("FindIdentity(U999) after the apply = %q, %v; want b000", e.ID, err)
	}
}

// mustApply applies org through s.
func mustApply(t *testing.T, s *Store, org core.Org) {
	t.Helper()
	if _, err := s.ApplyOrg(context.Background(), org, core.AuditEntry{At: time.Now(), Actor: "test", Action: "org.applied"}); err != nil {
		t.Fatalf("ApplyOrg: %v", err)
	}
}

func readVersion(t *testing.T, s *Store) int64 {
	t.Helper()
	var v int64
	if err := s.r.QueryRowContext(context.Background(), orgVersionSQL).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// The reminders' read of every roster is the load a command's first read
// would start in the background: the cache keeps it, and no second load
// of that version starts.
func TestRostersFillTheCache(t *testing.T) {
	s := MustOpen(t)
	mustApply(t, s, coretest.BenchOrg(t, 3, 1))
	if rs, err := s.Rosters(context.Background()); err != nil || len(rs) != 3 {
		t.Fatalf("Rosters = %d rosters, %v; want 3", len(rs), err)
	}
	v := readVersion(t, s)
	if _, ok := s.cache.roster(v, "b002"); !ok {
		t.Error("no roster of b002 cached after Rosters")
	}
	if s.cache.startLoad(v) {
		t.Error("a load of every roster may still start after Rosters read them all")
	}
}
