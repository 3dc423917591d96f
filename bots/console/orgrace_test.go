package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/punchbot/punchbot/bots/admin"
	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// racingStore lands another HR person's edit (by default the make-up
// policy's monthly quota set to 9) between a console apply's reading the
// organisation and its write, before each of the first races ApplyOrg
// calls: what two HR people on two replicas do at the same moment.
type racingStore struct {
	Store
	mem     *coretest.MemStore
	mu      sync.Mutex
	races   int
	edit    func(*core.Org)
	applies int
}

func (s *racingStore) ApplyOrg(ctx context.Context, org core.Org, audit core.AuditEntry) (core.ApplyResult, error) {
	s.mu.Lock()
	s.applies++
	race := s.races > 0
	s.races--
	s.mu.Unlock()
	if race {
		other, err := admin.CurrentOrg(ctx, s.mem)
		if err != nil {
			return core.ApplyResult{}, err
		}
		if s.edit != nil {
			s.edit(&other)
		} else {
			other.Makeup.MonthlyQuota = 9
		}
		if _, err := s.mem.ApplyOrg(ctx, other, core.AuditEntry{At: audit.At, Actor: "console:H2", Action: "console.org_edited"}); err != nil {
			return core.ApplyResult{}, err
		}
	}
	return s.Store.ApplyOrg(ctx, org, audit)
}

func racingFixture(t *testing.T) (*fixture, *racingStore) {
	t.Helper()
	var rs *racingStore
	f := MustFixture(t, true, func(_ *Config, d *Deps) {
		rs = &racingStore{Store: d.Store, mem: d.Store.(*coretest.MemStore)}
		d.Store = rs
	})
	return f, rs
}

func mustOrg(t *testing.T, f *fixture) core.Org {
	t.Helper()
	org, err := f.store.Org(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return org
}

// TestFormEditKeepsAConcurrentEdit: a form edit writes the organisation's
// settings and policy read with it; another HR person's policy edit
// landing between that read and the write was once silently undone. Now
// the stale write is refused and the edit redone: both are in. An
// organisation that keeps changing leaves the form refused with the input
// kept, in the viewer's language, and changes nothing.
func TestFormEditKeepsAConcurrentEdit(t *testing.T) {
	form := url.Values{"name": {"张三"}, "department": {"市场"}, "role": {"employee"}, "manager": {"M1"}, "schedule": {"day"}, "sites": {"hq"},
		"identities": {"wecom corp zhangsan"}, "active": {"1"}}
	for _, tt := range []struct {
		name      string
		races     int
		status    int
		wantDept  string
		wantQuota int
	}{
		{"one edit in between", 1, http.StatusSeeOther, "市场", 9},
		{"an edit before every attempt", editAttempts, http.StatusUnprocessableEntity, "研发", 9},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, rs := racingFixture(t)
			rs.races = tt.races
			res := f.MustSignIn(t, "H1").post(t, "/org/people/E1", form)
			if res.Status != tt.status {
				t.Fatalf("status %d, want %d; body:\n%s", res.Status, tt.status, res.Body)
			}
			org := mustOrg(t, f)
			e1 := find(org.Employees, func(e core.Employee) bool { return e.ID == "E1" })
			if e1.Department != tt.wantDept || org.Makeup.MonthlyQuota != tt.wantQuota {
				t.Errorf("E1's department %q, monthly quota %d; want %q and the concurrent edit's %d", e1.Department, org.Makeup.MonthlyQuota, tt.wantDept, tt.wantQuota)
			}
			if tt.status == http.StatusUnprocessableEntity {
				if want := "保存时组织正被其他人修改"; !strings.Contains(res.Body, want) || !strings.Contains(res.Body, `value="市场"`) {
					t.Errorf("refused form lacks %q or the input kept:\n%s", want, res.Body)
				}
			}
		})
	}
}

// TestDeactivateTwiceAtOnce: two HR people deactivating the same person at
// the same moment leave them deactivated; the second click, redone over
// the first, does not flip them back (it finds nothing left to change).
func TestDeactivateTwiceAtOnce(t *testing.T) {
	f, rs := racingFixture(t)
	rs.races = 1
	rs.edit = func(o *core.Org) {
		find(o.Employees, func(e core.Employee) bool { return e.ID == "E1" }).Active = false
	}
	if res := f.MustSignIn(t, "H1").post(t, "/org/people/E1/active", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("deactivate = %d:\n%s", res.Status, res.Body)
	}
	if e1 := find(mustOrg(t, f).Employees, func(e core.Employee) bool { return e.ID == "E1" }); e1.Active {
		t.Errorf("E1 is active after two deactivations at once, want inactive")
	}
}

// TestApplyPageKeepsAConcurrentEdit: the apply page applies exactly the
// diff HR confirmed. An edit landing between the confirmation's reading
// and its apply once had the file's left-out policy written back over it;
// now nothing is applied, the page shows the changes again over the
// organisation as it now is (409) and says why, and confirming that
// applies the file with the other edit kept.
func TestApplyPageKeepsAConcurrentEdit(t *testing.T) {
	f, rs := racingFixture(t)
	hr := f.MustSignIn(t, "H1")
	file := "name: Acme China\n"
	res := hr.post(t, "/org/apply", url.Values{"text": {file}})
	if res.Status != http.StatusOK {
		t.Fatalf("review = %d:\n%s", res.Status, res.Body)
	}
	rs.races = 1
	res = hr.post(t, "/org/apply", url.Values{"text": {file}, "confirm": {"1"}, "base": {between(res.Body, `name="base" value="`, `"`)}})
	if res.Status != http.StatusConflict || !strings.Contains(res.Body, "查看改动之后组织又被修改过") {
		t.Fatalf("confirm with an edit in between = %d, want 409 saying the organisation changed:\n%s", res.Status, res.Body)
	}
	if org := mustOrg(t, f); org.Name != "Acme" || org.Makeup.MonthlyQuota != 9 {
		t.Errorf("after the refused apply: name %q, quota %d; want Acme and the concurrent edit's 9", org.Name, org.Makeup.MonthlyQuota)
	}
	res = hr.post(t, "/org/apply", url.Values{"text": {file}, "confirm": {"1"}, "base": {between(res.Body, `name="base" value="`, `"`)}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("confirming the new review = %d, want 303:\n%s", res.Status, res.Body)
	}
	if org := mustOrg(t, f); org.Name != "Acme China" || org.Makeup.MonthlyQuota != 9 {
		t.Errorf("after the apply: name %q, quota %d; want Acme China and the concurrent edit's 9", org.Name, org.Makeup.MonthlyQuota)
	}
	if rs.applies != 2 {
		t.Errorf("ApplyOrg called %d times, want 2 (refused, then applied)", rs.applies)
	}
}

// TestSiteInGCJ02KeepsWhatWasEntered: a site saved in GCJ-02 shows in the
// list and the form as entered, with its datum, and saving the form again
// unchanged moves nothing; the download writes it with datum: gcj02.
func TestSiteInGCJ02KeepsWhatWasEntered(t *testing.T) {
	f := MustFixture(t, true)
	hr := f.MustSignIn(t, "H1")
	form := url.Values{"name": {"张江"}, "lat": {"31.205500"}, "lng": {"121.602500"}, "datum": {"gcj02"}, "radius_m": {"200"}}
	if res := hr.post(t, "/org/sites/sh", form); res.Status != http.StatusSeeOther {
		t.Fatalf("save = %d:\n%s", res.Status, res.Body)
	}
	wantLat, wantLng := core.GCJ02ToWGS84(31.2055, 121.6025)
	site := func() core.OrgSite {
		return *find(mustOrg(t, f).Sites, func(s core.OrgSite) bool { return s.ID == "sh" })
	}
	if s := site(); s.Lat != wantLat || s.Lng != wantLng || s.Datum != core.GCJ02 {
		t.Fatalf("sh = %+v, want measured at %v,%v, datum gcj02", s, wantLat, wantLng)
	}
	page := hr.get(t, "/org/sites/sh").Body
	for _, want := range []string{`value="31.205500"`, `value="121.602500"`, `<option value="gcj02" selected`} {
		if !strings.Contains(page, want) {
			t.Errorf("the form lacks %s", want)
		}
	}
	if list := hr.get(t, "/org/sites").Body; !strings.Contains(list, "31.205500, 121.602500 (GCJ-02)") {
		t.Errorf("the site list does not show sh as entered")
	}
	if res := hr.post(t, "/org/sites/sh", form); res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "unchanged") {
		t.Errorf("saving the form unchanged = %d %s, want 303 to an unchanged notice", res.Status, res.Location)
	}
	if s := site(); s.Lat != wantLat || s.Lng != wantLng {
		t.Errorf("sh moved to %v,%v when saved unchanged, want %v,%v", s.Lat, s.Lng, wantLat, wantLng)
	}
	if file := hr.get(t, "/org/export.yaml").Body; !strings.Contains(file, "    lat: 31.2055\n    lng: 121.6025\n    datum: gcj02\n") {
		t.Errorf("the download does not write sh as entered:\n%s", file)
	}
}
