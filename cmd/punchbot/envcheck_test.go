package main

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestUnknownVariables(t *testing.T) {
	environ := []string{
		"PUNCHBOT_DATABASE_ULR=postgres://x", "PUNCHBOT_ADDR=:8080", "PUNCHBOT_SECERT=abc", "PATH=/bin",
		"PUNCHBOT_TEST_DATABASE_URL=postgres://t", "PUNCHBOT_SERVICE_HOST=10.0.0.1", "PUNCHBOT_PORT=tcp://10.0.0.1:80",
		"PUNCHBOT_PORT_80_TCP_ADDR=10.0.0.1", "PUNCHBOT_FROBNICATE=1",
	}
	got := unknownVariables(environ)
	if want := []string{"PUNCHBOT_DATABASE_ULR", "PUNCHBOT_FROBNICATE", "PUNCHBOT_SECERT"}; !slices.Equal(got, want) {
		t.Errorf("unknownVariables = %v, want %v", got, want)
	}
	for name, want := range map[string]string{"PUNCHBOT_DATABASE_ULR": "PUNCHBOT_DATABASE_URL", "PUNCHBOT_SECERT": "PUNCHBOT_SECRET", "PUNCHBOT_FROBNICATE": ""} {
		if got := closestVariable(name); got != want {
			t.Errorf("closestVariable(%s) = %q, want %q", name, got, want)
		}
	}
}

// TestUnknownVariableWarned goes through run: the typo is named in the
// log with the variable it was probably meant to be.
func TestUnknownVariableWarned(t *testing.T) {
	t.Setenv("PUNCHBOT_DATABSE_URL", "postgres://db/punchbot")
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"migrate"}, env("PUNCHBOT_DB_PATH", filepath.Join(t.TempDir(), "p.db")), &out, &errOut)
	if code != 0 {
		t.Fatalf("migrate = %d: %s", code, errOut.String())
	}
	for _, want := range []string{"variable=PUNCHBOT_DATABSE_URL", "did_you_mean=PUNCHBOT_DATABASE_URL"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, errOut.String())
		}
	}
}
