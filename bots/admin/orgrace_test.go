package admin

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// racingStore makes another writer's edit land between an apply's reading
// the organisation and its write: before each of the first `races`
// ApplyOrg calls it applies edit over the organisation as it reads it,
// the way a console policy edit on another replica would.
type racingStore struct {
	*memStore
	mu      sync.Mutex
	races   int
	edit    func(*core.Org)
	applies int // ApplyOrg calls made through the API, refused ones included
}

func (s *racingStore) ApplyOrg(ctx context.Context, org core.Org, audit core.AuditEntry) (core.ApplyResult, error) {
	s.mu.Lock()
	s.applies++
	race := s.races > 0
	s.races--
	s.mu.Unlock()
	if race {
		other, err := CurrentOrg(ctx, s.memStore)
		if err != nil {
			return core.ApplyResult{}, err
		}
		s.edit(&other)
		if _, err := s.memStore.ApplyOrg(ctx, other, core.AuditEntry{At: audit.At, Actor: "console:H2", Action: "console.org_edited"}); err != nil {
			return core.ApplyResult{}, err
		}
	}
	return s.memStore.ApplyOrg(ctx, org, audit)
}

// TestPutOrgKeepsAConcurrentEdit: PUT /api/v1/org keeps the settings its
// file leaves out at their stored values; a policy edit landing between
// that read and the apply was once silently overwritten with the value
// read before it. Now the store refuses the stale apply and the API reads
// and applies again: both changes are in. An organisation that keeps
// changing is a 409 that changes nothing.
func TestPutOrgKeepsAConcurrentEdit(t *testing.T) {
	for _, tt := range []struct {
		name        string
		races       int
		status      int
		wantName    string
		wantQuota   int
		wantApplies int
	}{
		{"one edit in between", 1, http.StatusOK, "Acme China", 9, 2},
		{"an edit before every attempt", applyAttempts, http.StatusConflict, "Acme", 9, applyAttempts},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := &racingStore{memStore: &memStore{MemStore: coretest.NewMemStore()}}
			f := keepFixture(t, st)
			f.MustDo(t, http.MethodPut, "/api/v1/org", []byte(keepOrg), http.StatusOK) // quota 3
			st.races, st.applies = tt.races, 0
			st.edit = func(o *core.Org) { o.Makeup.MonthlyQuota = 9 }

			body := f.MustDo(t, http.MethodPut, "/api/v1/org", []byte("name: Acme China\n"), tt.status)
			got := mustSettings(t, st)
			if got.Name != tt.wantName || got.Makeup.MonthlyQuota != tt.wantQuota {
				t.Errorf("after the apply: name %q, monthly quota %d; want %q and the concurrent edit's %d", got.Name, got.Makeup.MonthlyQuota, tt.wantName, tt.wantQuota)
			}
			if st.applies != tt.wantApplies {
				t.Errorf("ApplyOrg called %d times, want %d", st.applies, tt.wantApplies)
			}
			if tt.status == http.StatusConflict {
				eb := MustDecode[errorBody](t, body)
				if eb.Code != core.ECONFLICT || !strings.Contains(eb.Error, "someone else kept changing the organisation") || !strings.Contains(eb.Error, "nothing was changed") {
					t.Errorf("409 body = %+v, want a conflict saying someone else changed the organisation and nothing was changed", eb)
				}
			}
		})
	}
}

// TestExportWritesGCJ02AsWritten: a site given in GCJ-02 exports with the
// coordinates the admin wrote and datum: gcj02 (once, its WGS-84
// conversion, unmarked, which re-applied as gcj02 moved it again); the
// export re-applied changes nothing, and distances stay on WGS-84.
func TestExportWritesGCJ02AsWritten(t *testing.T) {
	st := &memStore{MemStore: coretest.NewMemStore()}
	f := keepFixture(t, st)
	file := "sites:\n  - {id: zj, name: 张江, lat: 31.2055, lng: 121.6025, datum: gcj02, radius_m: 200}\n  - {id: hq, lat: 39.9965, lng: 116.4803}\n"
	f.MustDo(t, http.MethodPut, "/api/v1/org", []byte(file), http.StatusOK)
	export := func() string {
		t.Helper()
		rec := f.do(http.MethodGet, "/api/v1/org", "Bearer "+testToken, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /api/v1/org: %d %s", rec.Code, rec.Body)
		}
		return rec.Body.String()
	}
	first := export()
	for _, want := range []string{"  - id: zj\n    name: 张江\n    lat: 31.2055\n    lng: 121.6025\n    datum: gcj02\n", "  - id: hq\n    name: hq\n    lat: 39.9965\n    lng: 116.4803\n    radius_m"} {
		if !strings.Contains(first, want) {
			t.Errorf("export lacks\n%s\nin\n%s", want, first)
		}
	}
	diff := MustDecode[diffJSON](t, f.MustDo(t, http.MethodPost, "/api/v1/org/diff", []byte(first), http.StatusOK))
	if len(diff.Changes) != 0 {
		t.Errorf("the export's diff against the organisation = %q, want none", diff.Changes)
	}
	f.MustDo(t, http.MethodPut, "/api/v1/org", []byte(first), http.StatusOK)
	if again := export(); again != first {
		t.Errorf("export after re-applying the export changed:\n%s", strings.Join(DiffLines([]byte(first), []byte(again)), "\n"))
	}
	org, err := st.Org(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lat, lng := core.GCJ02ToWGS84(31.2055, 121.6025)
	for _, s := range org.Sites {
		if s.ID == "zj" && (s.Lat != lat || s.Lng != lng) {
			t.Errorf("zj measured at %v,%v, want the WGS-84 conversion %v,%v", s.Lat, s.Lng, lat, lng)
		}
	}
}

// TestPutOrgIfMatch: a client that reviewed the organisation (GET's ETag,
// the diff's version) and sends it back as If-Match gets the file applied
// only over that version: after someone else's edit it is a 412 that
// changes nothing, not a silent re-read; a header naming no version is a
// 400.
func TestPutOrgIfMatch(t *testing.T) {
	st := &racingStore{memStore: &memStore{MemStore: coretest.NewMemStore()}}
	f := keepFixture(t, st)
	f.MustDo(t, http.MethodPut, "/api/v1/org", []byte(keepOrg), http.StatusOK)
	put := func(ifMatch, body string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(http.MethodPut, "/api/v1/org", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("If-Match", ifMatch)
		rec := httptest.NewRecorder()
		f.mux.ServeHTTP(rec, req)
		return rec
	}
	get := f.do(http.MethodGet, "/api/v1/org", "Bearer "+testToken, nil)
	tag := get.Header().Get("ETag")
	diff := MustDecode[diffJSON](t, f.MustDo(t, http.MethodPost, "/api/v1/org/diff", []byte("name: Acme China\n"), http.StatusOK))
	if tag == "" || tag != fmt.Sprintf("%q", strconv.FormatInt(diff.Version, 10)) {
		t.Fatalf("GET ETag %q, diff version %d: want the same version", tag, diff.Version)
	}

	// Someone else's edit lands between the review and the apply.
	st.races = 1
	st.edit = func(o *core.Org) { o.Makeup.MonthlyQuota = 9 }
	rec := put(tag, "name: Acme China\n")
	eb := MustDecode[errorBody](t, rec.Body.Bytes())
	if rec.Code != http.StatusPreconditionFailed || eb.Code != core.ECONFLICT || !strings.Contains(eb.Error, "someone else changed the organisation") {
		t.Errorf("PUT over an old version = %d %+v, want 412 saying someone else changed it", rec.Code, eb)
	}
	if got := mustSettings(t, st); got.Name != "Acme" || got.Makeup.MonthlyQuota != 9 {
		t.Errorf("after the refused PUT: name %q, quota %d; want Acme and the other edit's 9", got.Name, got.Makeup.MonthlyQuota)
	}
	// The old version, now read as moved on before the apply: refused too.
	if rec := put(tag, "name: Acme China\n"); rec.Code != http.StatusPreconditionFailed || !strings.Contains(rec.Body.String(), "nothing was changed") {
		t.Errorf("PUT over an old version again = %d %s, want 412", rec.Code, rec.Body)
	}
	// Reviewed again, it goes in.
	tag = f.do(http.MethodGet, "/api/v1/org", "Bearer "+testToken, nil).Header().Get("ETag")
	if rec := put(tag, "name: Acme China\n"); rec.Code != http.StatusOK {
		t.Errorf("PUT over the current version = %d %s, want 200", rec.Code, rec.Body)
	}
	if got := mustSettings(t, st); got.Name != "Acme China" || got.Makeup.MonthlyQuota != 9 {
		t.Errorf("after the PUT: name %q, quota %d; want Acme China and 9", got.Name, got.Makeup.MonthlyQuota)
	}
	for _, bad := range []string{"12", `"x"`, `W/"3"`, `"0"`} {
		if rec := put(bad, "name: X\n"); rec.Code != http.StatusBadRequest {
			t.Errorf("If-Match %s = %d, want 400", bad, rec.Code)
		}
	}
	if rec := put("*", "name: Any\n"); rec.Code != http.StatusOK {
		t.Errorf("If-Match * = %d %s, want 200", rec.Code, rec.Body)
	}
}
