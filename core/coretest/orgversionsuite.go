package coretest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// The organisation's own conformance cases of RunStoreSuite: the version
// that keeps a read-change-apply from undoing an apply made in between
// (core.Org.Version), and a GCJ-02 site kept as written (core.OrgSite).

// orgReader is the part of OrgReadStore these cases need; every store of
// the suite has it.
type orgReader interface {
	Org(ctx context.Context) (core.Org, error)
}

func stReadOrg(tb testing.TB, s Store) core.Org {
	tb.Helper()
	r, ok := s.(orgReader)
	if !ok {
		tb.Fatalf("%T does not read the organisation back (Org)", s)
	}
	org, err := r.Org(context.Background())
	if err != nil {
		tb.Fatalf("Org: %v", err)
	}
	return org
}

// stOrgVersion: every apply moves the version on; an apply over the version
// it read succeeds once, a second one over the same version is ECONFLICT
// with core.ErrOrgChanged and changes nothing (neither the organisation nor
// the audit log), and Version 0 applies unconditionally. Of several applies
// racing over one version exactly one wins.
func stOrgVersion(t *testing.T, s Store) {
	ctx := context.Background()
	v0 := stReadOrg(t, s).Version
	if v0 == 0 {
		t.Fatalf("an empty store's version is 0, want a version an apply can name")
	}
	org := stOrg(t)
	org.Version = v0
	stMustApply(t, s, org)
	read := stReadOrg(t, s)
	if read.Version == v0 {
		t.Fatalf("version after an apply = %d, want it moved on from %d", read.Version, v0)
	}

	audits, err := s.ListAudit(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	stale := stOrg(t)
	stale.Version = v0 // read before the apply above
	stale.Name, stale.Makeup.MonthlyQuota = "Stale", 9
	_, err = s.ApplyOrg(ctx, stale, core.AuditEntry{At: stNow, Actor: "admin", Action: "org.applied"})
	stWantCode(t, "ApplyOrg over a version that moved on", err, core.ECONFLICT)
	if !errors.Is(err, core.ErrOrgChanged) {
		t.Errorf("ApplyOrg over an old version: %v, want core.ErrOrgChanged", err)
	}
	after := stReadOrg(t, s)
	if after.Version != read.Version || after.Name != "Acme" || after.Makeup != read.Makeup {
		t.Errorf("after a refused apply: version %d, name %q, makeup %+v; want %d, %q, %+v unchanged",
			after.Version, after.Name, after.Makeup, read.Version, "Acme", read.Makeup)
	}
	if got, err := s.ListAudit(ctx, 0); err != nil || len(got) != len(audits) {
		t.Errorf("audit entries after a refused apply = %d (%v), want %d", len(got), err, len(audits))
	}

	// Over the current version, and unconditionally, an apply goes in.
	next := stOrg(t)
	next.Version, next.Name = read.Version, "Acme 2"
	stMustApply(t, s, next)
	blind := stOrg(t)
	blind.Name = "Acme 3"
	stMustApply(t, s, blind)
	if got := stReadOrg(t, s); got.Name != "Acme 3" || got.Version == read.Version {
		t.Errorf("after two more applies: name %q, version %d; want %q and a version past %d", got.Name, got.Version, "Acme 3", read.Version)
	}

	// Racing over one version: exactly one wins, the others are told.
	base := stReadOrg(t, s).Version
	const racers = 4
	var wg sync.WaitGroup
	errs := make([]error, racers)
	for i := range racers {
		wg.Go(func() {
			o := stOrg(t)
			o.Version, o.Makeup.MonthlyQuota = base, i
			_, errs[i] = s.ApplyOrg(ctx, o, core.AuditEntry{At: stNow, Actor: "admin", Action: "org.applied"})
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, core.ErrOrgChanged):
			t.Errorf("racer %d: %v, want success or core.ErrOrgChanged", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d applies over one version went in, want exactly 1 (%v)", won, racers, errs)
	}

	// An erasure changes what the export shows (the name): the version
	// moves on, so a save read before it is refused.
	if es, ok := s.(core.EraseStore); ok {
		before := stReadOrg(t, s).Version
		keep := func(p core.Punch) core.Punch { return p }
		entry := func(core.ErasureResult) core.AuditEntry {
			return core.AuditEntry{At: stNow, Actor: "hr", Action: "employee.erased", Subject: "gone"}
		}
		if _, err := es.ErasePersonalData(ctx, "gone", keep, entry); err != nil {
			t.Fatalf("ErasePersonalData: %v", err)
		}
		if got := stReadOrg(t, s).Version; got == before {
			t.Errorf("version after an erasure = %d, want it moved on from %d", got, before)
		}
		stale := stOrg(t)
		stale.Version = before
		_, err := s.ApplyOrg(ctx, stale, core.AuditEntry{At: stNow, Actor: "admin", Action: "org.applied"})
		if !errors.Is(err, core.ErrOrgChanged) {
			t.Errorf("ApplyOrg over the version read before an erasure: %v, want core.ErrOrgChanged", err)
		}
	}
}

// stSiteDatum: a site written in GCJ-02 comes back with its datum and the
// coordinates as written, its Lat and Lng the WGS-84 conversion; changed to
// WGS-84 it loses them; and the organisation read back prepares to itself.
func stSiteDatum(t *testing.T, s Store) {
	org := stOrg(t)
	org.Sites = append(org.Sites, core.OrgSite{Site: core.Site{ID: "zj", Name: "张江", Lat: 31.2055, Lng: 121.6025, RadiusM: 200}, Datum: core.GCJ02})
	org.Employees[0].SiteIDs = append(org.Employees[0].SiteIDs, "zj") // li
	if err := org.Prepare(); err != nil {
		t.Fatal(err)
	}
	stMustApply(t, s, org)
	site := func(org core.Org, id string) core.OrgSite {
		for _, st := range org.Sites {
			if st.ID == id {
				return st
			}
		}
		t.Fatalf("no site %s in %+v", id, org.Sites)
		return core.OrgSite{}
	}
	wantLat, wantLng := core.GCJ02ToWGS84(31.2055, 121.6025)
	got := site(stReadOrg(t, s), "zj")
	if got.Datum != core.GCJ02 || got.Written == nil || *got.Written != (core.LatLng{Lat: 31.2055, Lng: 121.6025}) || got.Lat != wantLat || got.Lng != wantLng {
		t.Errorf("GCJ-02 site read back = %+v (written %v), want datum gcj02, written 31.2055,121.6025, at %v,%v", got, got.Written, wantLat, wantLng)
	}
	if hq := site(stReadOrg(t, s), "hq"); hq.Datum != core.WGS84 || hq.Written != nil {
		t.Errorf("WGS-84 site read back = %+v (written %v), want datum wgs84 and nothing else written", hq, hq.Written)
	}
	// Distances are measured on WGS-84: what the punch path reads.
	r, err := s.Roster(context.Background(), "li")
	if err != nil {
		t.Fatal(err)
	}
	var zj *core.Site
	for i := range r.Sites {
		if r.Sites[i].ID == "zj" {
			zj = &r.Sites[i]
		}
	}
	if zj == nil || zj.Lat != wantLat || zj.Lng != wantLng {
		t.Errorf("li's roster site zj = %+v, want it at %v,%v (WGS-84)", zj, wantLat, wantLng)
	}
	// Read back, prepared again and re-applied: nothing drifts.
	again := stReadOrg(t, s)
	if err := again.Prepare(); err != nil {
		t.Fatal(err)
	}
	again.Version = 0
	stMustApply(t, s, again)
	if got := site(stReadOrg(t, s), "zj"); got.Lat != wantLat || got.Lng != wantLng || got.Written == nil || *got.Written != (core.LatLng{Lat: 31.2055, Lng: 121.6025}) {
		t.Errorf("GCJ-02 site re-applied = %+v (written %v), want it unmoved", got, got.Written)
	}
	// Written again in WGS-84, it is a WGS-84 site.
	plain := core.Org{Name: org.Name, TimeZone: org.TimeZone, Sites: []core.OrgSite{{Site: core.Site{ID: "zj", Name: "张江", Lat: 31.2, Lng: 121.6, RadiusM: 200}}}}
	if err := plain.Prepare(); err != nil {
		t.Fatal(err)
	}
	stMustApply(t, s, plain)
	if got := site(stReadOrg(t, s), "zj"); got.Datum != core.WGS84 || got.Written != nil || got.Lat != 31.2 {
		t.Errorf("site re-applied in WGS-84 = %+v (written %v), want datum wgs84 at 31.2", got, got.Written)
	}
}
