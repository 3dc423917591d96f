package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/bots/admin"
	"github.com/punchbot/punchbot/core"
)

// interrupted lands an edit made on another replica between an apply's
// reading the organisation and its write, once.
type interrupted struct {
	*Store
	other *Store
	once  bool
}

func (s *interrupted) ApplyOrg(ctx context.Context, org core.Org, audit core.AuditEntry) (core.ApplyResult, error) {
	if !s.once {
		s.once = true
		cur, err := admin.CurrentOrg(ctx, s.other)
		if err != nil {
			return core.ApplyResult{}, err
		}
		cur.Makeup.MonthlyQuota = 9 // a console policy edit on the other replica
		if _, err := s.other.ApplyOrg(ctx, cur, core.AuditEntry{At: audit.At, Actor: "console:H2", Action: "console.org_edited"}); err != nil {
			return core.ApplyResult{}, err
		}
	}
	return s.Store.ApplyOrg(ctx, org, audit)
}

// TestAdminApplyKeepsAnEditOnAnotherReplica: PUT /api/v1/org on one
// replica while a policy edit commits on another between its read and its
// write: the edit is kept (the apply named the version it read, was
// refused and read again) and the file is applied. The memory store's case
// is bots/admin's TestPutOrgKeepsAConcurrentEdit.
func TestAdminApplyKeepsAnEditOnAnotherReplica(t *testing.T) {
	a := MustOpen(t)
	st := &interrupted{Store: a, other: mustOpenReplica(t, a), once: true}
	mux := http.NewServeMux()
	admin.New(admin.Deps{Store: st, Token: "t0ken", Now: func() time.Time { return time.Date(2026, 9, 16, 12, 0, 0, 0, time.UTC) }}).Register(mux)
	do := func(method, body string, want int) string {
		t.Helper()
		req := httptest.NewRequest(method, "/api/v1/org", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer t0ken")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Fatalf("%s %q: status %d, want %d; body %s", method, body, rec.Code, want, rec.Body)
		}
		return rec.Body.String()
	}
	do(http.MethodPut, "makeup: {monthly_quota: 3, deadline_days: 7}\nsites:\n  - {id: zj, lat: 31.2055, lng: 121.6025, datum: gcj02}\n", http.StatusOK)
	st.once = false
	do(http.MethodPut, "name: Acme China\n", http.StatusOK)
	org, err := a.Org(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if org.Name != "Acme China" || org.Makeup.MonthlyQuota != 9 || org.Makeup.DeadlineDays != 7 {
		t.Errorf("after the apply: name %q, makeup %+v; want Acme China and the other replica's quota 9, deadline 7", org.Name, org.Makeup)
	}
	// The GCJ-02 site exports as written, and the export re-applies
	// without moving it.
	file := do(http.MethodGet, "", http.StatusOK)
	if !strings.Contains(file, "    lat: 31.2055\n    lng: 121.6025\n    datum: gcj02\n") {
		t.Errorf("export does not write zj as written:\n%s", file)
	}
	do(http.MethodPut, file, http.StatusOK)
	if again := do(http.MethodGet, "", http.StatusOK); again != file {
		t.Errorf("export changed after re-applying it:\n%s", strings.Join(admin.DiffLines([]byte(file), []byte(again)), "\n"))
	}
}

// TestApplyAndEditsRaceAcrossReplicas: files applied on one replica
// (leaving the make-up policy out) race policy edits on another, each edit
// adding one to the monthly quota over what it read. Had any apply written
// back a quota read before an edit, the final quota would be short.
func TestApplyAndEditsRaceAcrossReplicas(t *testing.T) {
	a := MustOpen(t)
	b := mustOpenReplica(t, a)
	ctx := context.Background()
	audit := func(core.Org) core.AuditEntry {
		return core.AuditEntry{At: time.Now(), Actor: "test", Action: "org.applied"}
	}
	if _, _, err := admin.ApplyOrgOver(ctx, a, []byte("name: Acme\nmakeup: {monthly_quota: 0}\n"), audit); err != nil {
		t.Fatal(err)
	}
	const edits = 30
	done, stop := make(chan error, 2), make(chan struct{})
	applies := 0
	go func() {
		for {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			applies++
			if _, _, err := admin.ApplyOrgOver(ctx, a, []byte(fmt.Sprintf("name: Acme %d\n", applies)), audit); err != nil && !errors.Is(err, core.ErrOrgChanged) {
				done <- err
				return
			}
		}
	}()
	go func() {
		defer close(stop)
		for range edits {
			for { // as the console's applyEdit, until it goes in
				org, err := admin.CurrentOrg(ctx, b)
				if err != nil {
					done <- err
					return
				}
				org.Makeup.MonthlyQuota++
				if _, err = b.ApplyOrg(ctx, org, core.AuditEntry{At: time.Now(), Actor: "console:H2", Action: "console.org_edited"}); err == nil {
					break
				}
				if !errors.Is(err, core.ErrOrgChanged) {
					done <- err
					return
				}
			}
		}
		done <- nil
	}()
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if applies < 2 {
		t.Fatalf("only %d applies ran while the edits did: no race", applies)
	}
	org, err := a.Org(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if org.Makeup.MonthlyQuota != edits {
		t.Errorf("monthly quota after %d edits racing %d applies = %d, want %d: an apply wrote back a stale policy", edits, applies, org.Makeup.MonthlyQuota, edits)
	}
}
