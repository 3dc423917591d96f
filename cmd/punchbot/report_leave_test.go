package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/bots/admin"
	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// TestReportCommandShowsLeave: punchbot report reads approved leave from
// SQLite and writes it by type, with the leave types of the org file.
func TestReportCommandShowsLeave(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "p.db")
	org := filepath.Join(dir, "org.yaml")
	// The demo's leave types give way to this test's own.
	demo := string(admin.ExampleOrg())
	from, to := strings.Index(demo, "\nleave_types:"), strings.Index(demo, "\nreminders:")
	if from < 0 || to < from {
		t.Fatal("demo.yaml has no leave_types before its reminders: update the test")
	}
	doc := demo[:from] + "\nleave_types:\n  - {id: annual, name: 年休假, annual_quota_days: 10, paid: true}\n  - {id: sick, name: 病假}\n" + demo[to:]
	if err := os.WriteFile(org, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := env("PUNCHBOT_DB_PATH", db)
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"apply", "-f", org}, getenv, &out, &errOut); code != 0 {
		t.Fatalf("apply = %d %s", code, errOut.String())
	}
	s := mustOpenSQLite(t, db)
	now := func() time.Time { return time.Date(2026, 12, 1, 4, 0, 0, 0, time.UTC) }
	kv := coretest.NewMemKV(now)
	svc := core.NewService(s, kv, kv, core.DefaultConfig(), now)
	v, err := svc.RequestLeave(context.Background(), "E001", core.LeaveArgs{Type: core.RequestLeave, From: "2026-11-05", To: "2026-11-06"}, core.PlatformWeCom)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DecideMakeup(context.Background(), core.MakeupDecision{ID: v.Request.ID, Status: core.MakeupApproved, Actor: core.ActorAdmin}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	file := filepath.Join(dir, "m.csv")
	if code := run(context.Background(), []string{"report", "--month", "2026-11", "--format", "csv", "-o", file}, getenv, &out, &errOut); code != 0 {
		t.Fatalf("report = %d: %s", code, errOut.String())
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	days, hours := slices.Index(recs[0], "年休假（天）"), slices.Index(recs[0], "年休假（小时）")
	total := slices.Index(recs[0], "请假天数")
	if days < 0 || hours < 0 || total < 0 || slices.Contains(recs[0], "事假（天）") {
		t.Fatalf("headers = %q, want the org file's leave types only", recs[0])
	}
	if e001 := recs[1]; e001[0] != "E001" || e001[days] != "2" || e001[hours] != "18" || e001[total] != "2" {
		t.Errorf("E001 = %q, want 2 days (18 hours) of 年休假", e001)
	}
}
