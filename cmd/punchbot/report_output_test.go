package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportOutputFormatFollowsExtension: `punchbot report -o m.xlsx`
// without --format writes an xlsx file (it wrote CSV under the .xlsx name),
// a --format contradicting the extension is refused, and an output
// directory that does not exist is named rather than a temporary file.
func TestReportOutputFormatFollowsExtension(t *testing.T) {
	dir := t.TempDir()
	getenv := env("PUNCHBOT_DB_PATH", filepath.Join(dir, "p.db"))
	tests := []struct {
		name    string
		args    []string
		file    string
		prefix  string // of the written file
		wantErr string // in stderr; "" for success
	}{
		{"xlsx by extension", []string{"-o", "m.xlsx"}, "m.xlsx", "PK\x03\x04", ""},
		{"json by extension", []string{"-o", "m.json"}, "m.json", "{", ""},
		{"upper-case extension", []string{"-o", "M.XLSX"}, "M.XLSX", "PK\x03\x04", ""},
		{"csv by extension", []string{"-o", "m.csv"}, "m.csv", "\ufeff", ""},
		{"no extension keeps csv", []string{"-o", "m"}, "m", "\ufeff", ""},
		{"format agrees", []string{"--format", "xlsx", "-o", "a.xlsx"}, "a.xlsx", "PK\x03\x04", ""},
		{"format contradicts", []string{"--format", "csv", "-o", "b.xlsx"}, "b.xlsx", "", "names a .xlsx file but --format is csv"},
		{"missing directory", []string{"-o", "nope/m.csv"}, "", "", "cannot write " + filepath.Join(dir, "nope/m.csv") + ": directory " + filepath.Join(dir, "nope")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"report", "--month", "2026-11"}
			for _, a := range tt.args {
				if strings.Contains(a, ".") || a == "m" {
					a = filepath.Join(dir, a)
				}
				args = append(args, a)
			}
			var out, errOut bytes.Buffer
			code := run(context.Background(), args, getenv, &out, &errOut)
			if tt.wantErr != "" {
				if code == 0 || !strings.Contains(errOut.String(), tt.wantErr) {
					t.Fatalf("report %q = %d, stderr %q; want a failure saying %q", tt.args, code, errOut.String(), tt.wantErr)
				}
				if strings.Contains(errOut.String(), ".m.csv.") {
					t.Errorf("stderr %q names the temporary file", errOut.String())
				}
				return
			}
			if code != 0 {
				t.Fatalf("report %q = %d: %s", tt.args, code, errOut.String())
			}
			data, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(data, []byte(tt.prefix)) {
				t.Errorf("report %q wrote %q…, want a file starting with %q", tt.args, data[:min(len(data), 8)], tt.prefix)
			}
		})
	}
}
