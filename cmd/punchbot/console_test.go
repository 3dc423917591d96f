package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/punchbot/punchbot/bots/admin"
	"github.com/punchbot/punchbot/core"
)

// browserClient keeps cookies and shows redirects instead of following them.
func browserClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func send(t *testing.T, c *http.Client, method, u string, form url.Values) (int, string, http.Header) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// hidden reads a hidden form field off a page.
func hidden(t *testing.T, page, name string) string {
	t.Helper()
	marker := `name="` + name + `" value="`
	i := strings.Index(page, marker)
	if i < 0 {
		t.Fatalf("no %s field on the page", name)
	}
	rest := page[i+len(marker):]
	return rest[:strings.IndexByte(rest, '"')]
}

func TestConsoleEndToEnd(t *testing.T) {
	const token = "console-admin-token"
	base, s := startServer(t, env("PUNCHBOT_DB_PATH", filepath.Join(t.TempDir(), "p.db"), "PUNCHBOT_ADMIN_TOKEN", token,
		"PUNCHBOT_SECRET", "0123456789abcdef0123456789abcdef", "PUNCHBOT_RETENTION_DAYS", "45"))
	if code, body := do(t, "PUT", base+"/api/v1/org", token, bytes.NewReader(admin.ExampleOrg())); code != 200 {
		t.Fatalf("PUT org = %d %s", code, body)
	}

	// HR signs in with the admin token and sees everyone today.
	hr := browserClient(t)
	code, page, _ := send(t, hr, "GET", base+"/", nil)
	if code != http.StatusSeeOther {
		t.Fatalf("GET / before signing in = %d, want a redirect to /login", code)
	}
	_, page, _ = send(t, hr, "GET", base+"/login", nil)
	code, _, hdr := send(t, hr, "POST", base+"/login", url.Values{"form": {hidden(t, page, "form")}, "token": {token}, "next": {"/"}})
	if code != http.StatusSeeOther || !strings.Contains(hdr.Get("Set-Cookie"), "SameSite=Strict") {
		t.Fatalf("sign-in = %d %v", code, hdr)
	}
	code, page, _ = send(t, hr, "GET", base+"/", nil)
	for _, want := range []string{"张三", "李四", "Alice Chen", "王经理", "赵敏"} {
		if code != 200 || !strings.Contains(page, want) {
			t.Errorf("today (HTTP %d) lacks %s", code, want)
		}
	}

	// 张三 asks the bot for their data: the core answers with a signed link
	// through the console the server wired, valid once.
	reply, err := s.svc.Handle(context.Background(), core.Command{Actor: core.Identity{Platform: core.PlatformWeCom, Tenant: "ww0000000000demo", UserID: "zhangsan"},
		Kind: core.CmdLink, LinkPurpose: core.LinkMyData, EventID: "e2e-mydata"})
	if err != nil || reply.Outcome != core.OutcomeLink || !strings.HasPrefix(reply.Link, s.cfg.PublicURL+"/auth/") {
		t.Fatalf("link command = %+v, %v", reply, err)
	}
	u, _ := url.Parse(reply.Link)
	emp := browserClient(t)
	code, _, hdr = send(t, emp, "POST", base+u.Path, url.Values{})
	if code != http.StatusSeeOther || hdr.Get("Location") != "/me" {
		t.Fatalf("redeem = %d → %q", code, hdr.Get("Location"))
	}
	code, page, _ = send(t, emp, "GET", base+"/me", nil)
	if code != 200 || !strings.Contains(page, "张三") || !strings.Contains(page, "保存 45 天") {
		t.Errorf("my data page = %d, want 张三 and the configured 45-day retention", code)
	}
	if code, _, _ = send(t, emp, "GET", base+"/people/E002", nil); code != http.StatusForbidden {
		t.Errorf("an employee opening a colleague's page = %d, want 403", code)
	}
	if code, _, _ = send(t, browserClient(t), "POST", base+u.Path, url.Values{}); code != http.StatusConflict {
		t.Errorf("second use of the link = %d, want 409", code)
	}

	// The report endpoints are wired with the store's bulk reads.
	code, body := do(t, "GET", base+"/api/v1/reports/monthly?month=2026-11&format=csv", token, nil)
	if code != 200 || !strings.HasPrefix(body, "\ufeff工号,姓名,部门") {
		t.Errorf("monthly CSV = %d %q", code, body[:min(40, len(body))])
	}
	if code, body = do(t, "POST", base+"/api/v1/employees/E001/erase", token, nil); code != http.StatusConflict {
		t.Errorf("erasing an active employee = %d %s, want 409", code, body)
	}
}

// seedPunches stores punches directly in the embedded store at db.
func seedPunches(t *testing.T, db string, ps ...core.Punch) {
	t.Helper()
	s := mustOpenSQLite(t, db)
	defer s.Close()
	err := s.InTx(context.Background(), func(tx core.Tx) error {
		for i := range ps {
			if err := tx.InsertPunch(context.Background(), &ps[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "p.db")
	org := filepath.Join(dir, "org.yaml")
	if err := os.WriteFile(org, admin.ExampleOrg(), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := env("PUNCHBOT_DB_PATH", db)
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"apply", "-f", org}, getenv, &out, &errOut); code != 0 {
		t.Fatalf("apply = %d %s", code, errOut.String())
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	at := func(s string) time.Time { t, _ := time.ParseInLocation("2006-01-02 15:04", s, sh); return t }
	seedPunches(t, db,
		core.Punch{EmployeeID: "E001", Kind: core.KindIn, At: at("2026-11-02 10:15"), ShiftDate: "2026-11-02", Source: "wecom", Outcome: core.OutcomeAccepted, SiteID: "wangjing"},
		core.Punch{EmployeeID: "E001", Kind: core.KindOut, At: at("2026-11-02 19:00"), ShiftDate: "2026-11-02", Source: "wecom", Outcome: core.OutcomeAccepted, SiteID: "wangjing"},
	)

	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, stdout string)
	}{
		{"monthly CSV to a file", []string{"--month", "2026-11", "--format", "csv", "-o", filepath.Join(dir, "m.csv")}, func(t *testing.T, stdout string) {
			data, err := os.ReadFile(filepath.Join(dir, "m.csv"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(data, []byte("\xef\xbb\xbf工号,姓名,部门,应出勤天数")) || !strings.Contains(string(data), "E001,张三,研发,21,1,1,45,1,") {
				t.Errorf("m.csv = %q", data)
			}
			if !strings.Contains(stdout, "wrote the monthly report 2026-11 (20 rows") {
				t.Errorf("stdout = %q", stdout)
			}
		}},
		{"monthly XLSX", []string{"--month", "2026-11", "--format", "xlsx", "-o", filepath.Join(dir, "m.xlsx")}, func(t *testing.T, stdout string) {
			x, err := excelize.OpenFile(filepath.Join(dir, "m.xlsx"))
			if err != nil {
				t.Fatalf("m.xlsx does not open: %v", err)
			}
			defer x.Close()
			if v, _ := x.GetCellValue("月报 2026-11", "B2"); v != "张三" {
				t.Errorf("B2 = %q, want 张三", v)
			}
		}},
		{"daily JSON to stdout in English", []string{"--month", "2026-11", "--daily", "2026-11-02", "--format", "json", "--lang", "en"}, func(t *testing.T, stdout string) {
			if !strings.Contains(stdout, `"first_in":"2026-11-02T10:15:00+08:00"`) || !strings.Contains(stdout, `"result":["serious_late"]`) {
				t.Errorf("stdout = %s", stdout)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(context.Background(), append([]string{"report"}, tc.args...), getenv, &out, &errOut); code != 0 {
				t.Fatalf("report %v = %d: %s", tc.args, code, errOut.String())
			}
			tc.check(t, out.String())
		})
	}

	for _, bad := range [][]string{
		{"--month", "2026-13"}, {"--format", "pdf"}, {"--lang", "fr"}, {"--month", "2026-11", "--daily", "2026-12-01"}, {"--daily", "tomorrow"}, {"extra"},
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), append([]string{"report"}, bad...), getenv, &out, &errOut); code != 1 || errOut.Len() == 0 {
			t.Errorf("report %v = %d %q, want 1 with a message", bad, code, errOut.String())
		}
	}
	s := mustOpenSQLite(t, db)
	defer s.Close()
	entries, err := s.FindAudit(context.Background(), core.AuditFilter{Action: "report.exported", Actor: "cli"})
	if err != nil || len(entries) != 3 {
		t.Errorf("CLI exports audited: %d, %v; want 3", len(entries), err)
	}
}

func TestRetentionRunsInTheServer(t *testing.T) {
	db := filepath.Join(t.TempDir(), "p.db")
	now := time.Now()
	located := func(at time.Time, event string) core.Punch {
		return core.Punch{EmployeeID: "E001", Kind: core.KindIn, At: at, ReceivedAt: at, ShiftDate: at.Format(core.DateLayout), Source: "web", EventID: event,
			HasLocation: true, Lat: 39.9966, Lng: 116.4804, AccuracyM: 12, Label: "望京SOHO", SiteID: "wangjing", DistanceM: 14, ClientIP: "203.0.113.9",
			Outcome: core.OutcomeAccepted}
	}
	seedPunches(t, db, located(now.Add(-40*24*time.Hour), "old"), located(now.Add(-2*24*time.Hour), "recent"))

	// Serving starts the daily job at once; it reduces what is older than
	// PUNCHBOT_RETENTION_DAYS and nothing else.
	_, s := startServer(t, env("PUNCHBOT_DB_PATH", db, "PUNCHBOT_RETENTION_DAYS", "30"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		entries, err := s.store.FindAudit(context.Background(), core.AuditFilter{Action: "retention.reduced"})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) == 1 {
			if !strings.Contains(entries[0].Detail, `"reduced":1`) {
				t.Errorf("retention audit = %s, want one punch reduced", entries[0].Detail)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the retention job did not run within 10 s of starting the server")
		}
		time.Sleep(50 * time.Millisecond)
	}
	ps, err := s.store.ListPunches(context.Background(), core.PunchFilter{})
	if err != nil || len(ps) != 2 {
		t.Fatalf("punches = %d, %v", len(ps), err)
	}
	if old := ps[0]; old.Precise() || old.SiteID != "wangjing" || core.DistanceBand(old.DistanceM) != "≤100 m" {
		t.Errorf("the 40-day-old punch = %+v, want only the site and the ≤100 m band", old)
	}
	if recent := ps[1]; !recent.Precise() || recent.Lat == 0 || recent.ClientIP == "" {
		t.Errorf("the 2-day-old punch was reduced: %+v", recent)
	}
	// Another run the same day (another replica) does nothing.
	res, err := s.retention.RunOnce(context.Background())
	if err != nil || res.Claimed {
		t.Errorf("second run the same day = %+v, %v; want the day already claimed", res, err)
	}
}
