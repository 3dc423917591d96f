package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/bots/admin"
)

// `punchbot apply -f -` reads the file from standard input and says so,
// instead of "applied -:"; a broken file read that way is named the same.
func TestApplyFromStandardInput(t *testing.T) {
	cfg, err := loadConfig(env("PUNCHBOT_DB_PATH", filepath.Join(t.TempDir(), "p.db"), "PUNCHBOT_ADDR", "127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		input   string
		wantOut string // prefix of stdout
		wantErr string // in the error, "" for none
	}{
		{"good", string(admin.ExampleOrg()), "applied standard input: ", ""},
		{"broken", strings.Replace(string(admin.ExampleOrg()), "schedule: day", "schedule: nights", 1), "", "standard input: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := apply(context.Background(), cfg, []string{"-f", "-"}, strings.NewReader(tc.input), &out)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("apply -f - = %v, want success", err)
				}
			} else if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
				t.Fatalf("apply -f - = %v, want an error starting %q", err, tc.wantErr)
			}
			if !strings.HasPrefix(out.String(), tc.wantOut) {
				t.Errorf("stdout = %q, want it to start %q", out.String(), tc.wantOut)
			}
		})
	}
}

// `punchbot apply` of a file that names only the organisation keeps the
// stored make-up policy and leave types, as PUT /api/v1/org does.
func TestApplyPartialFileKeepsSettings(t *testing.T) {
	cfg, err := loadConfig(env("PUNCHBOT_DB_PATH", filepath.Join(t.TempDir(), "p.db"), "PUNCHBOT_ADDR", "127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, file := range []string{string(admin.ExampleOrg()), "name: 新名字\n"} {
		if err := apply(ctx, cfg, []string{"-f", "-"}, strings.NewReader(file), &bytes.Buffer{}); err != nil {
			t.Fatalf("apply: %v", err)
		}
	}
	want, err := admin.ParseOrg(admin.ExampleOrg())
	if err != nil {
		t.Fatal(err)
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	got, err := store.Org(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "新名字" || got.Makeup != want.Makeup || len(got.LeaveTypes) != len(want.LeaveTypes) {
		t.Errorf("after the partial file: name %q, makeup %+v, %d leave types; want 新名字, %+v, %d", got.Name, got.Makeup, len(got.LeaveTypes), want.Makeup, len(want.LeaveTypes))
	}
}
