package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/bots/admin"
	"github.com/punchbot/punchbot/core"
)

// env builds a getenv from pairs.
func env(pairs ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		getenv  func(string) string
		wantErr []string // substrings that must all appear
		check   func(t *testing.T, c config)
	}{
		{name: "defaults", getenv: env(), check: func(t *testing.T, c config) {
			if c.Addr != ":8080" || c.DBPath != "punchbot.db" || c.PublicURL != "http://localhost:8080" || c.OfflineTolerance != 12*time.Hour || !c.secretGenerated {
				t.Errorf("defaults = %+v", c)
			}
		}},
		{name: "explicit values", getenv: env("PUNCHBOT_ADDR", "127.0.0.1:9000", "PUNCHBOT_PUBLIC_URL", "https://punch.example.com/",
			"PUNCHBOT_OFFLINE_TOLERANCE", "2h", "PUNCHBOT_SECRET", "0123456789abcdef0123456789abcdef"), check: func(t *testing.T, c config) {
			if c.PublicURL != "https://punch.example.com" || c.OfflineTolerance != 2*time.Hour || c.secretGenerated {
				t.Errorf("config = %+v", c)
			}
		}},
		{name: "every problem at once", getenv: env("PUNCHBOT_DATABASE_URL", "mysql://x", "PUNCHBOT_TIMEZONE", "Mars/Base",
			"PUNCHBOT_OFFLINE_TOLERANCE", "soon", "PUNCHBOT_SLACK_SIGNING_SECRET", "s"),
			wantErr: []string{"PUNCHBOT_DATABASE_URL", "PUNCHBOT_TIMEZONE", "PUNCHBOT_OFFLINE_TOLERANCE", "PUNCHBOT_SLACK_BOT_TOKEN"}},
		{name: "incomplete WeCom", getenv: env("PUNCHBOT_WECOM_CORP_ID", "ww1"), wantErr: []string{"PUNCHBOT_WECOM_*"}},
		{name: "short secret", getenv: env("PUNCHBOT_SECRET", "short"), wantErr: []string{"PUNCHBOT_SECRET"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := loadConfig(tc.getenv)
			for _, want := range tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("error = %v, want it to name %s", err, want)
				}
			}
			if tc.wantErr == nil && err != nil {
				t.Fatalf("loadConfig: %v", err)
			}
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}

func TestConfigLogMasksSecrets(t *testing.T) {
	c, err := loadConfig(env("PUNCHBOT_ADMIN_TOKEN", "supersecretadmintoken", "PUNCHBOT_DATABASE_URL", "postgres://app:hunter2@db:5432/punch",
		"PUNCHBOT_SLACK_SIGNING_SECRET", "signsignsign", "PUNCHBOT_SLACK_BOT_TOKEN", "xoxb-very-secret-token"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("start", "config", c)
	for _, secret := range []string{"supersecretadmintoken", "hunter2", "xoxb-very-secret-token", c.Secret} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("log line leaks %q: %s", secret, buf.String())
		}
	}
	if !strings.Contains(buf.String(), "db:5432") {
		t.Errorf("log line lost the database host: %s", buf.String())
	}
}

func TestVersionAndUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"version"}, 0, "punchbot dev"},
		{[]string{"help"}, 0, "punchbot apply -f org.yaml"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"apply"}, 2, "usage: punchbot apply -f org.yaml"},
	}
	for _, tc := range tests {
		var out bytes.Buffer
		code := run(context.Background(), tc.args, env(), &out, &out)
		if code != tc.code || !strings.Contains(out.String(), tc.out) {
			t.Errorf("run(%v) = %d, %q; want %d containing %q", tc.args, code, out.String(), tc.code, tc.out)
		}
	}
}

func TestApplyCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "punchbot.db")
	good := filepath.Join(dir, "org.yaml")
	if err := os.WriteFile(good, admin.ExampleOrg(), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	broken := strings.Replace(string(admin.ExampleOrg()), "schedule: day", "schedule: nights", 1)
	if err := os.WriteFile(bad, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := env("PUNCHBOT_DB_PATH", db)

	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"apply", "-f", bad}, getenv, &out, &errOut); code != 1 {
		t.Fatalf("apply bad = %d, want 1", code)
	}
	if !strings.Contains(errOut.String(), "line ") || !strings.Contains(errOut.String(), "nights") || !strings.Contains(errOut.String(), "nothing was changed") {
		t.Errorf("apply bad said %q, want the line, the unknown schedule and that nothing changed", errOut.String())
	}
	if _, err := os.Stat(db); err == nil {
		s := mustOpenSQLite(t, db)
		if emps, _ := s.ListEmployees(context.Background()); len(emps) != 0 {
			t.Errorf("a rejected file stored %d employees", len(emps))
		}
		s.Close()
	}
	for range 2 { // applying twice updates instead of duplicating
		out.Reset()
		if code := run(context.Background(), []string{"apply", "-f", good}, getenv, &out, &errOut); code != 0 {
			t.Fatalf("apply good = %d: %s", code, errOut.String())
		}
	}
	if !strings.Contains(out.String(), "employee(s)") {
		t.Errorf("apply said %q", out.String())
	}
	s := mustOpenSQLite(t, db)
	defer s.Close()
	org, _ := admin.ParseOrg(admin.ExampleOrg())
	if emps, _ := s.ListEmployees(context.Background()); len(emps) != len(org.Employees) {
		t.Errorf("stored %d employees after two applies, want %d", len(emps), len(org.Employees))
	}
}

func mustOpenSQLite(tb testing.TB, path string) store {
	tb.Helper()
	s, err := openSQLite(context.Background(), config{DBPath: path})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestDemoRunsTheSampleStoryIdempotently(t *testing.T) {
	getenv := env("PUNCHBOT_DB_PATH", filepath.Join(t.TempDir(), "demo.db"))
	var first, second, errOut bytes.Buffer
	if code := run(context.Background(), []string{"demo", "-serve=false"}, getenv, &first, &errOut); code != 0 {
		t.Fatalf("demo = %d: %s", code, errOut.String())
	}
	for _, want := range []string{"请在 5 分钟内发送你的位置", "上班打卡成功", "same event id", "不在打卡范围内", "下班打卡成功"} {
		if !strings.Contains(first.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, first.String())
		}
	}
	count := func() int {
		s := mustOpenSQLite(t, getenv("PUNCHBOT_DB_PATH"))
		defer s.Close()
		punches, err := s.ListPunches(context.Background(), core.PunchFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return len(punches)
	}
	// The story's three punches (in, rejected, out) and the generated
	// history (playground_history.go).
	once := count()
	if once < 100 {
		t.Errorf("after one demo run: %d punches, want the story and two months of history", once)
	}
	if code := run(context.Background(), []string{"demo", "-serve=false"}, getenv, &second, &errOut); code != 0 {
		t.Fatalf("second demo = %d: %s", code, errOut.String())
	}
	if got := count(); got != once {
		t.Errorf("after two demo runs: %d punches, want %d as after one (the rerun replays)", got, once)
	}
}

// startServer runs serve on a free port and returns its base URL.
func startServer(t *testing.T, getenv func(string) string) (string, *server) {
	t.Helper()
	return startLoggingServer(t, getenv, io.Discard)
}

// startLoggingServer is startServer with the server's log kept in logs.
func startLoggingServer(t *testing.T, getenv func(string) string, logs io.Writer) (string, *server) {
	t.Helper()
	cfg, err := loadConfig(getenv)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	type started struct {
		addr string
		s    *server
	}
	ready := make(chan started, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, slog.New(slog.NewTextHandler(logs, nil)), io.Discard, func(addr string, s *server) { ready <- started{addr, s} })
	}()
	select {
	case st := <-ready:
		t.Cleanup(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("serve returned %v after shutdown", err)
				}
			case <-time.After(20 * time.Second):
				t.Error("serve did not shut down within 20 s")
			}
		})
		return "http://" + st.addr, st.s
	case err := <-done:
		cancel()
		t.Fatalf("serve stopped before listening: %v", err)
	}
	return "", nil
}

func do(t *testing.T, method, url, token string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeEndToEnd(t *testing.T) {
	const token = "test-admin-token"
	base, s := startServer(t, env("PUNCHBOT_DB_PATH", filepath.Join(t.TempDir(), "p.db"), "PUNCHBOT_ADMIN_TOKEN", token))

	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := do(t, "GET", base+path, "", nil); code != 200 {
			t.Errorf("GET %s = %d %s", path, code, body)
		}
	}
	if code, _ := do(t, "PUT", base+"/api/v1/org", "wrong", bytes.NewReader(admin.ExampleOrg())); code != http.StatusUnauthorized {
		t.Errorf("PUT org with a wrong token = %d, want 401", code)
	}
	if code, body := do(t, "PUT", base+"/api/v1/org", token, bytes.NewReader(admin.ExampleOrg())); code != 200 {
		t.Fatalf("PUT org = %d %s", code, body)
	}
	if code, body := do(t, "PUT", base+"/api/v1/org", token, strings.NewReader("employees:\n  - id: X\n    nmae: typo\n")); code != 400 || !strings.Contains(body, "line") {
		t.Errorf("PUT a bad org = %d %s, want 400 naming the line", code, body)
	}
	if code, _ := do(t, "POST", base+"/wecom/callback", "", bytes.NewReader(make([]byte, 2<<20))); code != http.StatusRequestEntityTooLarge && code != http.StatusNotFound && code != http.StatusMethodNotAllowed {
		t.Errorf("2 MiB body = %d, want 413 (or no route when WeCom is off)", code)
	}

	// A punch through the web channel: issue a link, post a location on site.
	org, _ := admin.ParseOrg(admin.ExampleOrg())
	var emp core.Employee
	for _, e := range org.Employees {
		if emp.ID == "" && len(e.SiteIDs) > 0 && e.Active {
			emp = e
		}
	}
	r, err := s.svc.Roster(context.Background(), emp.ID)
	if err != nil {
		t.Fatal(err)
	}
	link, err := s.links.PunchLink(context.Background(), bots.LinkRequest{Actor: emp.Identities[0], Name: emp.Name, Lang: "en", Intent: core.KindIn})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(link)
	if code, body := do(t, "GET", base+u.Path, "", nil); code != 200 || !strings.Contains(body, emp.Name) {
		t.Fatalf("GET link = %d, want the page naming %s", code, emp.Name)
	}
	form := url.Values{"lat": {fmt.Sprint(r.Sites[0].Lat)}, "lng": {fmt.Sprint(r.Sites[0].Lng)}, "accuracy": {"12"}}
	req, _ := http.NewRequest("POST", base+u.Path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("POST location = %d", resp.StatusCode)
	}

	code, body := do(t, "GET", base+"/api/v1/punches?employee="+emp.ID, token, nil)
	if code != 200 || !strings.Contains(body, `"source":"web"`) {
		t.Errorf("GET punches = %d %s, want the web punch", code, body)
	}
	code, body = do(t, "GET", base+"/metrics", "", nil)
	for _, want := range []string{"punchbot_punches_total", "punchbot_http_request_duration_seconds", "punchbot_outbox_depth"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// pgURL returns a connection URL whose search_path is a fresh schema that
// the test drops at the end.
func pgURL(t *testing.T) string {
	t.Helper()
	base := os.Getenv("PUNCHBOT_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("PUNCHBOT_TEST_DATABASE_URL is not set; skipping the PostgreSQL test")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	schema := fmt.Sprintf("cmd_test_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
		conn.Close(ctx)
	})
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestPostgresSchemaGate(t *testing.T) {
	dbURL := pgURL(t)
	getenv := env("PUNCHBOT_DATABASE_URL", dbURL, "PUNCHBOT_ADDR", "127.0.0.1:0")
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"serve"}, getenv, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "punchbot migrate") {
		t.Fatalf("serve on an empty schema = %d %q, want a refusal that says to run punchbot migrate", code, errOut.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"migrate"}, getenv, &out, &errOut); code != 0 || !strings.Contains(out.String(), "up to date") {
		t.Fatalf("migrate = %d %q %q", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"migrate"}, getenv, &out, &errOut); code != 0 || !strings.Contains(out.String(), "applied 0") {
		t.Errorf("second migrate = %d %q, want nothing to apply", code, out.String())
	}
	base, _ := startServer(t, getenv)
	if code, body := do(t, "GET", base+"/readyz", "", nil); code != 200 {
		t.Errorf("readyz on a migrated schema = %d %s", code, body)
	}
}

func TestApplyRefusesABrokenCron(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "org.yaml")
	doc := string(admin.ExampleOrg()) + "  - id: weekly\n    kind: broadcast\n    cron: \"every monday\"\n    text: 请提交周报\n    audience: {everyone: true}\n"
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	line := strings.Count(doc[:strings.Index(doc, "every monday")], "\n") + 1
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"apply", "-f", file}, env("PUNCHBOT_DB_PATH", filepath.Join(dir, "p.db")), &out, &errOut)
	demo, err := admin.ParseOrg(admin.ExampleOrg())
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("line %d: reminders[%d].cron", line, len(demo.Reminders)); code != 1 || !strings.Contains(errOut.String(), want) {
		t.Errorf("apply = %d %q, want a refusal naming %q", code, errOut.String(), want)
	}
}
