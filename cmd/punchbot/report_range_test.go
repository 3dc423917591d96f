package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/bots/admin"
)

// TestReportDailyRange: `punchbot report --daily D --to E` writes the
// daily report of every date from D to E, as the API's daily report does;
// a --to without --daily, before --daily or outside --month is refused.
func TestReportDailyRange(t *testing.T) {
	dir := t.TempDir()
	getenv := env("PUNCHBOT_DB_PATH", filepath.Join(dir, "p.db"))
	org := filepath.Join(dir, "org.yaml")
	if err := os.WriteFile(org, admin.ExampleOrg(), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"apply", "-f", org}, getenv, &out, &errOut); code != 0 {
		t.Fatalf("apply = %d %s", code, errOut.String())
	}
	tests := []struct {
		name    string
		args    []string
		dates   []string // the report's first and last date
		wantErr string
	}{
		{"a range", []string{"--daily", "2026-11-02", "--to", "2026-11-04"}, []string{"2026-11-02", "2026-11-04"}, ""},
		{"one date", []string{"--daily", "2026-11-02"}, []string{"2026-11-02", "2026-11-02"}, ""},
		{"--to alone", []string{"--to", "2026-11-04"}, nil, "--to 2026-11-04 needs --daily"},
		{"--to before --daily", []string{"--daily", "2026-11-04", "--to", "2026-11-02"}, nil, "ends before it starts"},
		{"--to not a date", []string{"--daily", "2026-11-04", "--to", "11-05"}, nil, `--to "11-05" is not a date`},
		{"--to outside --month", []string{"--month", "2026-11", "--daily", "2026-11-29", "--to", "2026-12-01"}, nil, "--to 2026-12-01 is not in --month 2026-11"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".json")
			out.Reset()
			errOut.Reset()
			code := run(context.Background(), append(append([]string{"report"}, tc.args...), "-o", file), getenv, &out, &errOut)
			if tc.wantErr != "" {
				if code == 0 || !strings.Contains(errOut.String(), tc.wantErr) {
					t.Fatalf("report %q = %d, stderr %q; want a failure saying %q", tc.args, code, errOut.String(), tc.wantErr)
				}
				return
			}
			if code != 0 {
				t.Fatalf("report %q = %d: %s", tc.args, code, errOut.String())
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var rep struct {
				From, To string
				Rows     []struct {
					Date string `json:"date"`
				}
			}
			if err := json.Unmarshal(data, &rep); err != nil {
				t.Fatal(err)
			}
			dates := map[string]bool{}
			for _, r := range rep.Rows {
				dates[r.Date] = true
			}
			if rep.From != tc.dates[0] || rep.To != tc.dates[1] || !dates[tc.dates[0]] || !dates[tc.dates[1]] {
				t.Errorf("report %q covers %s..%s with rows on %v, want %v", tc.args, rep.From, rep.To, dates, tc.dates)
			}
		})
	}
}
