package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHealthcheck asks a real server through PUNCHBOT_ADDR, as the image's
// HEALTHCHECK does, and a failing one through -url.
func TestHealthcheck(t *testing.T) {
	base, _ := startServer(t, env("PUNCHBOT_DB_PATH", filepath.Join(t.TempDir(), "p.db")))
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(base, "http://"))
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "not ready: store: down", http.StatusServiceUnavailable)
	}))
	defer failing.Close()
	tests := []struct {
		name    string
		addr    string
		args    []string
		code    int
		out, er string
	}{
		{"all interfaces is asked on loopback", ":" + port, nil, 0, "/readyz: 200 ready", ""},
		{"liveness", "127.0.0.1:" + port, []string{"-path", "/healthz"}, 0, "/healthz: 200 ok", ""},
		{"not ready", "", []string{"-url", failing.URL + "/readyz"}, 1, "", "answered 503: not ready: store: down"},
		{"nothing listening", closedPort(t), nil, 1, "", "connection refused"},
		{"bad address", "nope", nil, 1, "", "PUNCHBOT_ADDR:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), append([]string{"healthcheck"}, tc.args...), env("PUNCHBOT_ADDR", tc.addr), &out, &errOut)
			if code != tc.code || !strings.Contains(out.String(), tc.out) || !strings.Contains(errOut.String(), tc.er) {
				t.Errorf("healthcheck = %d, stdout %q, stderr %q; want %d, %q, %q", code, out.String(), errOut.String(), tc.code, tc.out, tc.er)
			}
		})
	}
}

func TestLocalDialAddr(t *testing.T) {
	for addr, want := range map[string]string{":8080": "127.0.0.1:8080", "0.0.0.0:80": "127.0.0.1:80", "[::]:80": "127.0.0.1:80",
		"10.1.2.3:8080": "10.1.2.3:8080", "[::1]:9": "[::1]:9", "punch.internal:8080": "punch.internal:8080"} {
		if got := localDialAddr(addr); got != want {
			t.Errorf("localDialAddr(%q) = %q, want %q", addr, got, want)
		}
	}
}

// TestMetricsStatusIsNumeric: the latency histogram's code label is the
// number, for 200 and 503 alike.
func TestMetricsStatusIsNumeric(t *testing.T) {
	st := mustOpenSQLite(t, filepath.Join(t.TempDir(), "p.db"))
	m := newMetrics(st)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("GET /busy", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	h := m.instrument(mux)
	for _, p := range []string{"/ok", "/busy"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
	}
	rec := httptest.NewRecorder()
	m.handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	counts := grepLines(rec.Body.String(), "punchbot_http_request_duration_seconds_count")
	for _, want := range []string{
		`punchbot_http_request_duration_seconds_count{code="200",route="GET /ok"} 1`,
		`punchbot_http_request_duration_seconds_count{code="503",route="GET /busy"} 1`,
	} {
		if !strings.Contains(counts, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, counts)
		}
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestReportRefusesBinaryToATerminal: xlsx to a character device is
// refused before the store opens or an export is audited; to a file, a
// pipe or /dev/null it is written; CSV may go to a terminal.
func TestReportRefusesBinaryToATerminal(t *testing.T) {
	tty, err := os.OpenFile("/dev/zero", os.O_WRONLY, 0) // a character device that accepts writes, as a terminal does
	if err != nil {
		t.Skipf("no /dev/zero: %v", err)
	}
	defer tty.Close()
	db := filepath.Join(t.TempDir(), "p.db")
	getenv := env("PUNCHBOT_DB_PATH", db)
	var errOut bytes.Buffer
	if code := run(context.Background(), []string{"report", "--month", "2026-11", "--format", "xlsx"}, getenv, tty, &errOut); code != 2 ||
		!strings.Contains(errOut.String(), "give -o report.xlsx") {
		t.Errorf("xlsx to a terminal = %d, %q; want 2 and a hint to use -o", code, errOut.String())
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("the refused report opened the store")
	}

	file, err := os.Create(filepath.Join(t.TempDir(), "out.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() { _, _ = bytes.NewBuffer(nil).ReadFrom(r) }()
	for _, tc := range []struct {
		name   string
		out    *os.File
		format string
	}{{"file", file, "xlsx"}, {"pipe", w, "xlsx"}, {"/dev/null", null, "xlsx"}, {"csv to a terminal", tty, "csv"}} {
		errOut.Reset()
		if code := run(context.Background(), []string{"report", "--month", "2026-11", "--format", tc.format}, getenv, tc.out, &errOut); code != 0 {
			t.Errorf("%s: report = %d, %q; want 0", tc.name, code, errOut.String())
		}
	}
	w.Close()
	if b, _ := os.ReadFile(file.Name()); !bytes.HasPrefix(b, []byte("PK")) {
		t.Errorf("the xlsx written to a file starts %q, want a zip (PK)", b[:min(len(b), 4)])
	}
}

// TestVersionLine: the -ldflags values win; without them, "dev".
func TestVersionLine(t *testing.T) {
	if got := versionLine(); !strings.HasPrefix(got, "punchbot dev (") || !strings.Contains(got, "go1.") {
		t.Errorf("versionLine() = %q, want punchbot dev (… go version …)", got)
	}
	version, commit = "v1.2.0", "4197bf8c0123456789abcdef"
	defer func() { version, commit = "", "" }()
	if got := versionLine(); !strings.HasPrefix(got, "punchbot v1.2.0 (commit 4197bf8c0123,") {
		t.Errorf("versionLine() = %q, want punchbot v1.2.0 (commit 4197bf8c0123, …)", got)
	}
	var out bytes.Buffer
	if code := run(context.Background(), []string{"version"}, env(), &out, &out); code != 0 || !strings.Contains(out.String(), "v1.2.0") {
		t.Errorf("punchbot version = %d, %q", code, out.String())
	}
}
