package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/adapters/postgres"
	"github.com/punchbot/punchbot/core/coretest"
)

func TestAdmittedRoutes(t *testing.T) {
	tests := []struct {
		method, path string
		want         string // "" when the request needs no slot
	}{
		{"POST", "/feishu/events", "POST /feishu/events"},
		{"POST", "/wecom/callback", "POST /wecom/callback"},
		{"GET", "/wecom/callback", ""}, // URL verification does no punch work
		{"POST", "/slack/commands", "POST /slack/commands"},
		{"POST", "/slack/interactions", "POST /slack/interactions"},
		{"POST", "/slack/events", "POST /slack/events"},
		{"POST", "/l/abc.def", "POST /l/{token}"},
		{"GET", "/l/abc.def", ""},
		{"GET", "/readyz", ""},
		{"GET", "/metrics", ""},
		{"PUT", "/api/v1/org", ""},
		{"POST", "/feishu/eventsX", ""},
	}
	for _, tc := range tests {
		got, ok := admittedRoute(httptest.NewRequest(tc.method, tc.path, nil))
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("admittedRoute(%s %s) = %q, %v; want %q", tc.method, tc.path, got, ok, tc.want)
		}
	}
}

func TestDefaultInflight(t *testing.T) {
	tests := []struct {
		name string
		url  string
		want int
	}{
		{"embedded store", "", sqliteInflight},
		{"pool of 100", "postgres://u@db/p?pool_max_conns=100", 200},
		{"tiny pool", "postgres://u@db/p?pool_max_conns=2", minInflight},
		{"default pool", "postgres://u@db/p", max(minInflight, 2*postgres.DefaultPoolConns)},
		{"key=value string", "host=db pool_max_conns=50", 100},
	}
	for _, tc := range tests {
		if got := defaultInflight(config{DatabaseURL: tc.url}); got != tc.want {
			t.Errorf("%s: defaultInflight = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestMaxInflightConfig(t *testing.T) {
	tests := []struct {
		value   string
		want    int
		wantErr bool
	}{
		{"", 0, false},
		{"50", 50, false},
		{"0", 0, true},
		{"lots", 0, true},
	}
	for _, tc := range tests {
		c, err := loadConfig(env("PUNCHBOT_MAX_INFLIGHT", tc.value))
		if gotErr := err != nil && strings.Contains(err.Error(), "PUNCHBOT_MAX_INFLIGHT"); gotErr != tc.wantErr || (!tc.wantErr && c.MaxInflight != tc.want) {
			t.Errorf("PUNCHBOT_MAX_INFLIGHT=%q: MaxInflight %d, err %v; want %d, error %v", tc.value, c.MaxInflight, err, tc.want, tc.wantErr)
		}
	}
}

// TestAdmissionShedsPastTheBound fills the bound with callbacks that block,
// then checks that the next one is refused at once with the retry-later
// signal and counted, that routes without punch work pass, and that a slot
// freed is used again.
func TestAdmissionShedsPastTheBound(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 8)
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" {
			w.WriteHeader(http.StatusOK)
			return
		}
		entered <- struct{}{}
		<-release
		w.WriteHeader(http.StatusOK)
	})
	var mu sync.Mutex
	shed := map[string]int{}
	a := newAdmission(2, admissionWait, func(route string) { mu.Lock(); shed[route]++; mu.Unlock() })
	h := a.wrap(slow)

	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i := range 2 {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("POST", "/feishu/events", strings.NewReader("{}")))
			codes[i] = rec.Code
		})
	}
	<-entered
	<-entered

	tests := []struct {
		method, path string
		wantCode     int
		wantRoute    string
	}{
		{"POST", "/wecom/callback", http.StatusServiceUnavailable, "POST /wecom/callback"},
		{"POST", "/l/tok.sig", http.StatusServiceUnavailable, "POST /l/{token}"},
		{"GET", "/readyz", http.StatusOK, ""},
	}
	for _, tc := range tests {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(tc.method, tc.path, nil)
		start := time.Now()
		h.ServeHTTP(rec, req)
		took := time.Since(start)
		if rec.Code != tc.wantCode {
			t.Errorf("%s %s at the bound = %d, want %d", tc.method, tc.path, rec.Code, tc.wantCode)
		}
		if tc.wantCode != http.StatusServiceUnavailable {
			continue
		}
		if got := rec.Header().Get("Retry-After"); got != "1" {
			t.Errorf("%s: Retry-After = %q, want 1", tc.path, got)
		}
		if req.Pattern != tc.wantRoute {
			t.Errorf("%s: pattern for the latency metric = %q, want %q", tc.path, req.Pattern, tc.wantRoute)
		}
		// The refusal waits admissionWait at most; a second is the
		// noise allowance of a busy CI machine, far below any deadline.
		if took > admissionWait+time.Second {
			t.Errorf("%s: refused after %s, want about %s", tc.path, took, admissionWait)
		}
	}
	mu.Lock()
	if got := shed["POST /wecom/callback"] + shed["POST /l/{token}"]; got != 2 || shed["POST /wecom/callback"] != 1 {
		t.Errorf("shed counts = %v, want one per refused route", shed)
	}
	mu.Unlock()

	close(release)
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Errorf("admitted request %d = %d, want 200", i, c)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/feishu/events", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("after the slots were freed = %d, want 200", rec.Code)
	}
}

// TestShedMetric checks that a refused callback shows in /metrics.
func TestShedMetric(t *testing.T) {
	m := newMetrics(coretest.NewMemStore())
	m.shed.WithLabelValues("POST /feishu/events").Inc()
	rec := httptest.NewRecorder()
	m.handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if want := `punchbot_shed_total{route="POST /feishu/events"} 1`; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("/metrics lacks %s", want)
	}
}

// TestAdmissionAdaptsToSlowAnswers checks the adaptive bound: a quarter
// less after answers slower than the target (once per target interval),
// never below the floor, and back up by one slot per bound's worth of
// answers in time, never above the configured cap.
func TestAdmissionAdaptsToSlowAnswers(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	a := newAdmission(64, 0, nil)
	a.now = func() time.Time { return now }
	slow, fast := 2*admissionTarget, admissionTarget/10
	steps := []struct {
		name    string
		advance time.Duration
		took    time.Duration
		times   int
		want    int
	}{
		{"starts at the cap", 0, fast, 1, 64},
		{"slow answer cuts a quarter", time.Second, slow, 1, 48},
		{"a burst of slow answers cuts once", 0, slow, 20, 48},
		{"after the target interval it cuts again", admissionTarget, slow, 1, 36},
		{"about one bound's worth of fast answers adds one slot", 0, fast, 37, 37},
		{"never above the cap", 0, fast, 100_000, 64},
	}
	for _, st := range steps {
		now = now.Add(st.advance)
		for range st.times {
			if !a.tryAcquire() {
				t.Fatalf("%s: no slot free with nothing in flight", st.name)
			}
			a.release(st.took)
		}
		if got := a.bound(); got != st.want {
			t.Errorf("%s: bound = %d, want %d", st.name, got, st.want)
		}
	}
	for range 50 {
		now = now.Add(admissionTarget)
		a.tryAcquire()
		a.release(slow)
	}
	if got := a.bound(); got != admissionFloor {
		t.Errorf("after sustained slow answers: bound = %d, want the floor %d", got, admissionFloor)
	}
	for range admissionFloor {
		if !a.tryAcquire() {
			t.Fatalf("the floor's %d slots are not all available", admissionFloor)
		}
	}
	if a.tryAcquire() {
		t.Errorf("a slot past the bound in force was granted")
	}
}

// TestAdmissionRidesOutAStall: while the replica is not shedding, a
// callback past the bound waits up to admissionPatience, so a stall shorter
// than that costs latency, not a 503. Once one waited in vain, the next
// ones wait only admissionWait for shedMemory, so an overload builds no
// standing queue; after shedMemory without a shed, patience returns.
func TestAdmissionRidesOutAStall(t *testing.T) {
	clock := struct {
		sync.Mutex
		t time.Time
	}{t: time.Unix(1_800_000_000, 0)}
	now := func() time.Time { clock.Lock(); defer clock.Unlock(); return clock.t }
	advance := func(d time.Duration) { clock.Lock(); clock.t = clock.t.Add(d); clock.Unlock() }

	const wait, patience = 5 * time.Millisecond, 200 * time.Millisecond
	a := newAdmission(1, wait, nil)
	a.patience, a.now = patience, now
	if !a.acquire(t.Context()) {
		t.Fatal("first acquire refused")
	}
	// A stall: the slot frees after 50 ms, inside the patience.
	go func() { time.Sleep(50 * time.Millisecond); a.release(time.Millisecond) }()
	start := time.Now()
	if !a.acquire(t.Context()) {
		t.Fatalf("acquire during a %s stall refused after %s, want admitted", 50*time.Millisecond, time.Since(start))
	}
	// The slot stays taken: this one waits the whole patience in vain.
	start = time.Now()
	if a.acquire(t.Context()) {
		t.Fatal("acquire with the slot held admitted")
	}
	if took := time.Since(start); took < patience {
		t.Errorf("first refusal after %s, want the patience (%s)", took, patience)
	}
	steps := []struct {
		after    time.Duration
		wantWait time.Duration
	}{
		{0, wait},              // shedding: no standing queue
		{shedMemory / 2, wait}, // still within shedMemory of the shed
		{shedMemory, patience}, // a second without a shed
	}
	for i, s := range steps {
		advance(s.after)
		if got := a.waitNow(); got != s.wantWait {
			t.Errorf("step %d (+%s): wait = %s, want %s", i+1, s.after, got, s.wantWait)
		}
	}
}
