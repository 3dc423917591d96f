package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

func TestPprofAddrConfig(t *testing.T) {
	for _, tc := range []struct {
		env     string
		want    string
		wantErr bool
	}{
		{"", "", false}, // off by default
		{":6060", "127.0.0.1:6060", false},
		{"127.0.0.1:0", "127.0.0.1:0", false},
		{"localhost:6060", "localhost:6060", false},
		{"[::1]:6060", "[::1]:6060", false},
		{"0.0.0.0:6060", "0.0.0.0:6060", false}, // explicit: allowed, with a warning at start
		{"6060", "", true},
		{"127.0.0.1", "", true},
	} {
		c, err := loadConfig(env("PUNCHBOT_DEBUG_ADDR", tc.env))
		if (err != nil) != tc.wantErr || c.DebugAddr != tc.want {
			t.Errorf("PUNCHBOT_DEBUG_ADDR=%q: DebugAddr %q, err %v; want %q, error %v", tc.env, c.DebugAddr, err, tc.want, tc.wantErr)
		}
	}
}

func TestPprofWarnsOnlyOffLoopback(t *testing.T) {
	for _, tc := range []struct {
		addr     string
		wantWarn bool
	}{
		{"127.0.0.1:0", false},
		{"[::1]:0", false},
		{"localhost:0", false},
		{"0.0.0.0:0", true},
	} {
		var logs bytes.Buffer
		d, err := startDebug(tc.addr, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Logf("%s: %v (skipped: no such interface here)", tc.addr, err)
			continue
		}
		d.stop()
		if got := strings.Contains(logs.String(), "level=WARN"); got != tc.wantWarn {
			t.Errorf("%s: warned = %v, want %v; log:\n%s", tc.addr, got, tc.wantWarn, logs.String())
		}
	}
}

// TestPprofServedOnlyOnTheDebugListener starts the real server with
// PUNCHBOT_DEBUG_ADDR=127.0.0.1:0: the pprof index answers there, the
// debug listener serves nothing else, and the main listener has no
// /debug/pprof/.
func TestPprofServedOnlyOnTheDebugListener(t *testing.T) {
	base, s := startServer(t, env("PUNCHBOT_DB_PATH", filepath.Join(t.TempDir(), "p.db"), "PUNCHBOT_DEBUG_ADDR", "127.0.0.1:0"))
	debug := "http://" + s.debug.Addr()
	if s.debug.Addr() == "" {
		t.Fatal("no debug listener")
	}
	for _, tc := range []struct {
		url        string
		wantStatus int
		wantBody   string
	}{
		{debug + "/debug/pprof/", http.StatusOK, "goroutine"},
		{debug + "/debug/pprof/heap?debug=1", http.StatusOK, "heap profile"},
		{debug + "/debug/pprof/cmdline", http.StatusOK, ""},
		{debug + "/healthz", http.StatusNotFound, ""},
		{debug + "/metrics", http.StatusNotFound, ""},
		{base + "/debug/pprof/", http.StatusNotFound, ""},
		{base + "/debug/pprof/heap", http.StatusNotFound, ""},
		{base + "/healthz", http.StatusOK, "ok"},
	} {
		code, body := do(t, http.MethodGet, tc.url, "", nil)
		if code != tc.wantStatus || !strings.Contains(body, tc.wantBody) {
			t.Errorf("GET %s: %d %.80q; want %d containing %q", tc.url, code, body, tc.wantStatus, tc.wantBody)
		}
	}
}

func TestPprofOffByDefault(t *testing.T) {
	base, s := startServer(t, env("PUNCHBOT_DB_PATH", filepath.Join(t.TempDir(), "p.db")))
	if s.debug != nil {
		t.Errorf("debug listener on %s without PUNCHBOT_DEBUG_ADDR", s.debug.Addr())
	}
	if code, _ := do(t, http.MethodGet, base+"/debug/pprof/", "", nil); code != http.StatusNotFound {
		t.Errorf("GET /debug/pprof/ on the main listener: %d, want 404", code)
	}
}

func TestAccessLog(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /l/{token}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	for _, tc := range []struct {
		method, path string
		wantRoute    string
		wantStatus   int
	}{
		{http.MethodPost, "/l/secret-token-1", "POST /l/{token}", http.StatusCreated},
		{http.MethodGet, "/healthz", "GET /healthz", http.StatusOK},
		{http.MethodGet, "/nowhere", "unmatched", http.StatusNotFound},
	} {
		var logs bytes.Buffer
		h := accessLog(mux, slog.New(slog.NewJSONHandler(&logs, nil)))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(tc.method, tc.path, nil))
		var got struct {
			Level, Msg, Method, Route string
			Status                    int
			DurationMS                *float64 `json:"duration_ms"`
		}
		if err := json.Unmarshal(logs.Bytes(), &got); err != nil {
			t.Fatalf("%s %s: log %q: %v", tc.method, tc.path, logs.String(), err)
		}
		if got.Level != "INFO" || got.Method != tc.method || got.Route != tc.wantRoute || got.Status != tc.wantStatus || got.DurationMS == nil || *got.DurationMS < 0 || *got.DurationMS > 1000 {
			t.Errorf("%s %s: logged %s; want INFO, route %q, status %d, duration_ms in ms", tc.method, tc.path, logs.String(), tc.wantRoute, tc.wantStatus)
		}
		if strings.Contains(logs.String(), "secret-token") {
			t.Errorf("the log line carries the path's token: %s", logs.String())
		}
	}
}

func TestAccessLogOffBelowInfo(t *testing.T) {
	var logs bytes.Buffer
	mux := http.NewServeMux()
	h := accessLog(mux, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x", nil))
	if logs.Len() != 0 {
		t.Errorf("logged %q at PUNCHBOT_LOG_LEVEL=warn, want nothing", logs.String())
	}
}
