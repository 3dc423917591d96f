package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// memStore adapts coretest.MemStore to the admin Store. It uses MemStore's
// own ListEmployees / ListAudit when it has them and otherwise derives them
// from the employees it applied and MemStore.Audit.
type memStore struct {
	*coretest.MemStore
	mu  sync.Mutex
	ids []string
}

func (s *memStore) ApplyOrg(ctx context.Context, org core.Org, audit core.AuditEntry) (core.ApplyResult, error) {
	res, err := s.MemStore.ApplyOrg(ctx, org, audit)
	if err == nil {
		s.mu.Lock()
		for _, e := range org.Employees {
			if !slices.Contains(s.ids, e.ID) {
				s.ids = append(s.ids, e.ID)
			}
		}
		s.mu.Unlock()
	}
	return res, err
}

func (s *memStore) ListEmployees(ctx context.Context) ([]core.Employee, error) {
	if l, ok := any(s.MemStore).(interface {
		ListEmployees(context.Context) ([]core.Employee, error)
	}); ok {
		return l.ListEmployees(ctx)
	}
	s.mu.Lock()
	ids := slices.Clone(s.ids)
	s.mu.Unlock()
	var out []core.Employee
	for _, id := range ids {
		e, err := s.MemStore.Employee(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (s *memStore) ListAudit(ctx context.Context, limit int) ([]core.AuditEntry, error) {
	if l, ok := any(s.MemStore).(interface {
		ListAudit(context.Context, int) ([]core.AuditEntry, error)
	}); ok {
		return l.ListAudit(ctx, limit)
	}
	all := s.MemStore.Audit()
	slices.Reverse(all)
	if len(all) > limit {
		all = all[:limit]
	}
	return all, nil
}

const testToken = "s3cret-admin-token"

type fixture struct {
	store *memStore
	mux   *http.ServeMux
	now   time.Time
}

// MustFixture returns an API on an empty MemStore with a fixed clock.
func MustFixture(tb testing.TB, token string) *fixture {
	tb.Helper()
	f := &fixture{store: &memStore{MemStore: coretest.NewMemStore()}, mux: http.NewServeMux()}
	f.now = time.Date(2026, 9, 16, 12, 0, 0, 0, time.UTC)
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		tb.Fatal(err)
	}
	New(Deps{Store: f.store, Token: token, Zone: shanghai, Now: func() time.Time { return f.now }, Log: slog.New(slog.DiscardHandler)}).Register(f.mux)
	return f
}

func (f *fixture) do(method, target, auth string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	f.mux.ServeHTTP(rec, req)
	return rec
}

// MustDo sends an authorised request and checks the status.
func (f *fixture) MustDo(tb testing.TB, method, target string, body []byte, wantStatus int) []byte {
	tb.Helper()
	rec := f.do(method, target, "Bearer "+testToken, body)
	if rec.Code != wantStatus {
		tb.Fatalf("%s %s: status %d, want %d; body %s", method, target, rec.Code, wantStatus, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Errorf("%s %s: Content-Type %q, want JSON", method, target, ct)
	}
	return rec.Body.Bytes()
}

// MustDecode unmarshals JSON or fails.
func MustDecode[T any](tb testing.TB, data []byte) T {
	tb.Helper()
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		tb.Fatalf("decode %s: %v", data, err)
	}
	return v
}

func TestAuth(t *testing.T) {
	tests := []struct {
		name, token, auth string
		wantStatus        int
		wantError         string
	}{
		{"disabled", "", "Bearer anything", http.StatusForbidden, "admin API disabled: set PUNCHBOT_ADMIN_TOKEN"},
		{"no header", testToken, "", http.StatusUnauthorized, "missing or wrong bearer token"},
		{"wrong token", testToken, "Bearer nope", http.StatusUnauthorized, "missing or wrong bearer token"},
		{"token prefix", testToken, "Bearer " + testToken[:5], http.StatusUnauthorized, "missing or wrong bearer token"},
		{"basic scheme", testToken, "Basic " + testToken, http.StatusUnauthorized, "missing or wrong bearer token"},
		{"right token", testToken, "Bearer " + testToken, http.StatusOK, ""},
		{"scheme case", testToken, "bearer " + testToken, http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := MustFixture(t, tt.token)
			for _, target := range []string{"/api/v1/employees", "/api/v1/punches", "/api/v1/audit"} {
				rec := f.do(http.MethodGet, target, tt.auth, nil)
				if rec.Code != tt.wantStatus {
					t.Fatalf("GET %s: status %d, want %d; body %s", target, rec.Code, tt.wantStatus, rec.Body)
				}
				if tt.wantError == "" {
					continue
				}
				if got := MustDecode[errorBody](t, rec.Body.Bytes()).Error; got != tt.wantError {
					t.Errorf("error = %q, want %q", got, tt.wantError)
				}
				if tt.wantStatus == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
			}
			rec := f.do(http.MethodPut, "/api/v1/org", tt.auth, []byte(base))
			if rec.Code != tt.wantStatus {
				t.Errorf("PUT: status %d, want %d", rec.Code, tt.wantStatus)
			}
			if emps, _ := f.store.ListEmployees(context.Background()); tt.wantStatus != http.StatusOK && len(emps) != 0 {
				t.Errorf("unauthorised PUT stored %d employees", len(emps))
			}
		})
	}
}

func TestPutOrg(t *testing.T) {
	f := MustFixture(t, testToken)
	res := MustDecode[applyJSON](t, f.MustDo(t, http.MethodPut, "/api/v1/org", ExampleOrg(), http.StatusOK))
	if want := (applyJSON{Name: "Acme 远程办公 (demo)", Sites: 2, Schedules: 2, Calendars: 1, Employees: 20, Identities: 36, Reminders: 4}); res != want {
		t.Errorf("apply = %+v, want %+v", res, want)
	}
	before := f.MustDo(t, http.MethodGet, "/api/v1/employees", nil, http.StatusOK)
	emps := MustDecode[[]employeeJSON](t, before)
	sort.Slice(emps, func(i, j int) bool { return emps[i].ID < emps[j].ID })
	if len(emps) != 20 || emps[0].ID != "E001" || emps[0].Manager != "M001" || !emps[0].Active || emps[0].TimeZone != "Asia/Shanghai" || len(emps[0].Identities) != 3 {
		t.Errorf("employees = %+v", emps)
	}

	// Newest first: the read of the employee list (personal data), then the apply.
	audit := MustDecode[[]auditJSON](t, f.MustDo(t, http.MethodGet, "/api/v1/audit?limit=10", nil, http.StatusOK))
	if len(audit) != 2 || audit[0].Action != "api.read" || audit[0].Subject != "employees" ||
		audit[1].Action != "org.applied" || audit[1].Actor != "admin" || audit[1].At != "2026-09-16T12:00:00Z" {
		t.Fatalf("audit = %+v, want the employee list's read after one org.applied by admin", audit)
	}
	detail := MustDecode[map[string]any](t, audit[1].Detail)
	if detail["employees"] != float64(20) || len(detail["sha256"].(string)) != 64 {
		t.Errorf("audit detail = %v", detail)
	}

	// An invalid file is refused with line-numbered problems and changes nothing.
	bad := strings.Replace(string(ExampleOrg()), "name: 李四\n    department: 研发\n    manager: M001", "name: 李四\n    department: 研发\n    manager: NOBODY", 1)
	if bad == string(ExampleOrg()) {
		t.Fatal("demo.yaml changed: update the test's replacement")
	}
	bad = strings.Replace(bad, `start: "09:00"`, `start: "25:61"`, 1)
	body := f.MustDo(t, http.MethodPut, "/api/v1/org", []byte(bad), http.StatusBadRequest)
	eb := MustDecode[errorBody](t, body)
	if eb.Code != core.EINVALID || !strings.Contains(eb.Error, "2 problem(s)") || len(eb.Problems) != 2 {
		t.Fatalf("error body = %s", body)
	}
	if p := eb.Problems[0]; p.Field != "schedules[0].start" || p.Line != lineOf(t, bad, `start: "25:61"`) {
		t.Errorf("problem 0 = %+v", p)
	}
	if p := eb.Problems[1]; p.Field != "employees[1].manager" || p.Line != lineOf(t, bad, "manager: NOBODY") || p.Message != `unknown employee "NOBODY"` {
		t.Errorf("problem 1 = %+v", p)
	}
	raw := MustDecode[map[string]any](t, body)
	if p := raw["problems"].([]any)[0].(map[string]any); p["line"] == nil || p["field"] == nil || p["message"] == nil {
		t.Errorf("problem JSON keys = %v, want line, field, message", p)
	}
	if after := f.MustDo(t, http.MethodGet, "/api/v1/employees", nil, http.StatusOK); !bytes.Equal(after, before) {
		t.Errorf("employees changed by a rejected file:\n%s\nwant\n%s", after, before)
	}
	applied := 0
	for _, e := range f.store.Audit() {
		if strings.HasPrefix(e.Action, "org.") {
			applied++
		}
	}
	if applied != 1 {
		t.Errorf("audit has %d org entries after a rejected file, want 1", applied)
	}

	// JSON is accepted too, and re-applying updates in place.
	doc := `{"name": "Acme", "employees": [{"id": "E001", "name": "张三", "active": false}]}`
	f.MustDo(t, http.MethodPut, "/api/v1/org", []byte(doc), http.StatusOK)
	emps = MustDecode[[]employeeJSON](t, f.MustDo(t, http.MethodGet, "/api/v1/employees", nil, http.StatusOK))
	for _, e := range emps {
		if e.ID == "E001" && e.Active {
			t.Error("E001 still active after re-apply")
		}
	}
	if len(emps) != 20 {
		t.Errorf("employees = %d after partial re-apply, want 20 (apply creates or updates)", len(emps))
	}

	// Empty and oversized bodies.
	f.MustDo(t, http.MethodPut, "/api/v1/org", nil, http.StatusBadRequest)
	huge := append([]byte("name: x\n# "), bytes.Repeat([]byte("a"), MaxBodyBytes)...)
	f.MustDo(t, http.MethodPut, "/api/v1/org", huge, http.StatusRequestEntityTooLarge)
}

func TestListPunches(t *testing.T) {
	f := MustFixture(t, testToken)
	f.MustDo(t, http.MethodPut, "/api/v1/org", ExampleOrg(), http.StatusOK)
	kv := coretest.NewMemKV(func() time.Time { return f.now })
	svc := core.NewService(f.store, kv, kv, core.DefaultConfig(), func() time.Time { return f.now })
	cst := time.FixedZone("CST", 8*3600)
	punch := func(user string, kind core.PunchKind, at time.Time, loc core.Location, event string) core.Reply {
		t.Helper()
		f.now = at
		reply, err := svc.Handle(context.Background(), core.Command{
			Actor: core.Identity{Platform: core.PlatformWeb, UserID: user}, Kind: core.CmdPunch, Punch: kind, Location: &loc, EventID: event,
		})
		if err != nil {
			t.Fatalf("Handle: %v", err)
		}
		return reply
	}
	wangjing := core.Location{Lat: 39.9965, Lng: 116.4803, AccuracyM: 15, Datum: core.WGS84}
	zhangjiang := core.Location{Lat: 31.2055, Lng: 121.6025, AccuracyM: 20, Datum: core.GCJ02}
	// Monday 14 September 2026 and Tuesday the 15th, Beijing time.
	if r := punch("E001", core.KindIn, time.Date(2026, 9, 14, 8, 55, 0, 0, cst), wangjing, "ev1"); r.Outcome != core.OutcomeAccepted {
		t.Fatalf("E001 in = %+v", r)
	}
	if r := punch("E001", core.KindOut, time.Date(2026, 9, 14, 18, 5, 0, 0, cst), wangjing, "ev2"); r.Outcome != core.OutcomeAccepted {
		t.Fatalf("E001 out = %+v", r)
	}
	if r := punch("E002", core.KindIn, time.Date(2026, 9, 15, 9, 40, 0, 0, cst), zhangjiang, "ev3"); r.Outcome != core.OutcomeAccepted || r.TimeResult != core.TimeLate {
		t.Fatalf("E002 in = %+v", r)
	}

	tests := []struct {
		query string
		want  []string // event ids, in order
	}{
		{"", []string{"ev1", "ev2", "ev3"}},
		{"employee=E001", []string{"ev1", "ev2"}},
		{"employee=E002&from=2026-09-15&to=2026-09-15", []string{"ev3"}},
		{"employee=E002&to=2026-09-14", nil},
		{"from=2026-09-15", []string{"ev3"}},
		{"to=2026-09-14", []string{"ev1", "ev2"}},
		{"from=2026-09-14T10:00:00Z", []string{"ev2", "ev3"}},
		{"from=2026-09-14T18:00:00+08:00&to=2026-09-15T09:40:00%2B08:00", []string{"ev2"}},
		{"limit=1", []string{"ev1"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got := MustDecode[[]punchJSON](t, f.MustDo(t, http.MethodGet, "/api/v1/punches?"+tt.query, nil, http.StatusOK))
			var ids []string
			for _, p := range got {
				ids = append(ids, p.EventID)
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("events = %v, want %v", ids, tt.want)
			}
		})
	}

	body := f.MustDo(t, http.MethodGet, "/api/v1/punches?employee=E002", nil, http.StatusOK)
	got := MustDecode[[]punchJSON](t, body)[0]
	if got.ID == 0 || got.EmployeeID != "E002" || got.Kind != "in" || got.At != "2026-09-15T01:40:00Z" || got.AtLocal != "2026-09-15T09:40:00+08:00" ||
		got.ShiftDate != "2026-09-15" || got.Source != "web" || got.Outcome != "accepted" || got.TimeResult != "late" || got.LateMin != 10 ||
		got.SiteID != "zhangjiang" || got.Lat == nil || got.DistanceM == nil || *got.DistanceM > 5 || got.AccuracyM == nil || *got.AccuracyM != 20 {
		t.Errorf("punch = %s", body)
	}
	raw := MustDecode[[]map[string]any](t, body)[0]
	for _, key := range []string{"id", "employee_id", "kind", "at", "shift_date", "source", "outcome", "time_result", "late_min", "early_min", "site_id", "distance_m", "lat", "lng", "accuracy_m", "reasons", "flags"} {
		if _, ok := raw[key]; !ok {
			t.Errorf("punch JSON has no %q: %s", key, body)
		}
	}
	if _, isList := raw["reasons"].([]any); !isList {
		t.Errorf("reasons = %v, want a list (never null)", raw["reasons"])
	}

	for _, tt := range []struct {
		query  string
		status int
	}{
		{"from=yesterday", http.StatusBadRequest},
		{"to=2026-02-30", http.StatusBadRequest},
		{"from=2026-09-15&to=2026-09-14", http.StatusBadRequest},
		{"limit=0", http.StatusBadRequest},
		{"limit=many", http.StatusBadRequest},
		{"employee=NOBODY", http.StatusNotFound},
	} {
		body := f.MustDo(t, http.MethodGet, "/api/v1/punches?"+tt.query, nil, tt.status)
		if eb := MustDecode[errorBody](t, body); eb.Error == "" || eb.Code == "" {
			t.Errorf("%s: error body %s", tt.query, body)
		}
	}
}

// failingStore fails every call with err.
type failingStore struct{ err error }

func (s failingStore) ApplyOrg(context.Context, core.Org, core.AuditEntry) (core.ApplyResult, error) {
	return core.ApplyResult{}, s.err
}
func (s failingStore) ListPunches(context.Context, core.PunchFilter) ([]core.Punch, error) {
	return nil, s.err
}
func (s failingStore) ListEmployees(context.Context) ([]core.Employee, error) { return nil, s.err }
func (s failingStore) DevicePolicy(context.Context) (core.DevicePolicy, error) {
	return core.DevicePolicy{}, s.err
}
func (s failingStore) ListAudit(context.Context, int) ([]core.AuditEntry, error) {
	return nil, s.err
}

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		err        error
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{core.Errorf(core.EINVALID, "bad"), 400, core.EINVALID, "bad"},
		{core.Errorf(core.ENOTFOUND, "gone"), 404, core.ENOTFOUND, "gone"},
		{core.Errorf(core.ECONFLICT, "clash"), 409, core.ECONFLICT, "clash"},
		{core.Errorf(core.EUNAUTHORIZED, "who"), 401, core.EUNAUTHORIZED, "who"},
		{core.Errorf(core.EFORBIDDEN, "no"), 403, core.EFORBIDDEN, "no"},
		{&core.Error{Code: core.ERATELIMIT, Message: "slow down", RetryAfter: 1500 * time.Millisecond}, 429, core.ERATELIMIT, "slow down"},
		{core.WrapError(core.EUNAVAILABLE, errors.New("dial tcp 10.0.0.5:5432: refused"), "database unavailable"), 503, core.EUNAVAILABLE, "database unavailable"},
		{core.WrapError(core.EINTERNAL, errors.New("pq: relation punches"), "query failed"), 500, core.EINTERNAL, "internal error"},
		{errors.New("ERROR: syntax error at or near SELECT (SQLSTATE 42601)"), 500, core.EINTERNAL, "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.wantCode, func(t *testing.T) {
			var logs bytes.Buffer
			mux := http.NewServeMux()
			New(Deps{Store: failingStore{tt.err}, Token: testToken, Log: slog.New(slog.NewTextHandler(&logs, nil))}).Register(mux)
			for _, req := range []*http.Request{
				httptest.NewRequest(http.MethodGet, "/api/v1/employees", nil),
				httptest.NewRequest(http.MethodGet, "/api/v1/audit", nil),
				httptest.NewRequest(http.MethodPut, "/api/v1/org", strings.NewReader(base)),
			} {
				req.Header.Set("Authorization", "Bearer "+testToken)
				rec := httptest.NewRecorder()
				mux.ServeHTTP(rec, req)
				if rec.Code != tt.wantStatus {
					t.Errorf("%s %s: status %d, want %d", req.Method, req.URL.Path, rec.Code, tt.wantStatus)
				}
				eb := MustDecode[errorBody](t, rec.Body.Bytes())
				if eb.Code != tt.wantCode || eb.Error != tt.wantMsg {
					t.Errorf("%s %s: body %+v, want code %s, error %q", req.Method, req.URL.Path, eb, tt.wantCode, tt.wantMsg)
				}
				if strings.Contains(rec.Body.String(), "SQLSTATE") || strings.Contains(rec.Body.String(), "10.0.0.5") {
					t.Errorf("response leaks internals: %s", rec.Body)
				}
				if tt.wantStatus == 429 && rec.Header().Get("Retry-After") != "2" {
					t.Errorf("Retry-After = %q, want 2", rec.Header().Get("Retry-After"))
				}
			}
			if tt.wantStatus == 500 && !strings.Contains(logs.String(), "admin request failed") {
				t.Errorf("500 not logged: %q", logs.String())
			}
		})
	}
	if got := HTTPStatus("something_new"); got != http.StatusInternalServerError {
		t.Errorf("HTTPStatus(unknown) = %d, want 500", got)
	}
}

// TestMethodNotAllowed relies on the mux's method patterns.
func TestMethodNotAllowed(t *testing.T) {
	f := MustFixture(t, testToken)
	rec := f.do(http.MethodDelete, "/api/v1/org", "Bearer "+testToken, nil)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("DELETE /api/v1/org: status %d, want 405", rec.Code)
	}
	_, _ = io.Copy(io.Discard, rec.Body)
}

// TestPutOrgRefusesUnstorableText answers a JSON document with a NUL escape
// in a name with a 400 naming the line, and changes nothing.
func TestPutOrgRefusesUnstorableText(t *testing.T) {
	f := MustFixture(t, testToken)
	doc := "{\"name\": \"Acme\", \"sites\": [{\"id\": \"hq\", \"lat\": 39.9, \"lng\": 116.4}],\n" +
		" \"schedules\": [{\"id\": \"day\", \"start\": \"09:00\", \"end\": \"18:00\"}],\n" +
		" \"employees\": [{\"id\": \"E1\", \"name\": \"Ann\\u0000\", \"schedule\": \"day\", \"sites\": [\"hq\"]}]}"
	body := f.MustDo(t, http.MethodPut, "/api/v1/org", []byte(doc), http.StatusBadRequest)
	eb := MustDecode[errorBody](t, body)
	if len(eb.Problems) != 1 {
		t.Fatalf("problems = %+v, want one", eb.Problems)
	}
	if p := eb.Problems[0]; p.Line != 3 || p.Field != "employees[0].name" || !strings.Contains(p.Message, "U+0000") {
		t.Errorf("problem = %+v, want line 3, employees[0].name, a NUL named", p)
	}
	if emps := MustDecode[[]employeeJSON](t, f.MustDo(t, http.MethodGet, "/api/v1/employees", nil, http.StatusOK)); len(emps) != 0 {
		t.Errorf("employees after a refused file = %+v, want none", emps)
	}
}
