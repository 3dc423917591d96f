package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// recordingEnv is a getenv that remembers every variable asked for, so a
// test can tell that help read no configuration (and so opened nothing).
type recordingEnv struct {
	mu    sync.Mutex
	vars  map[string]string
	asked []string
}

func (e *recordingEnv) get(k string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.asked = append(e.asked, k)
	return e.vars[k]
}

// TestHelpPrintsUsageAndStartsNothing runs every help spelling on the
// binary and on every command: usage on stdout, exit 0, nothing on stderr
// and not one PUNCHBOT_* variable read, so no store, listener or platform
// call can have happened. The environment would otherwise start a server
// on a real port.
func TestHelpPrintsUsageAndStartsNothing(t *testing.T) {
	tests := []struct {
		args []string
		want string // a line of the usage printed
	}{
		{[]string{"--help"}, "punchbot [serve]"},
		{[]string{"-h"}, "punchbot [serve]"},
		{[]string{"-help"}, "punchbot [serve]"},
		{[]string{"help"}, "punchbot apply -f org.yaml"},
		{[]string{"help", "report"}, "usage: punchbot report --month"},
		{[]string{"help", "bench", "rush"}, "usage: punchbot bench rush"},
		{[]string{"serve", "-h"}, "usage: punchbot [serve]"},
		{[]string{"serve", "--help"}, "usage: punchbot [serve]"},
		{[]string{"apply", "-f", "org.yaml", "-h"}, "usage: punchbot apply -f org.yaml"},
		{[]string{"bench", "-h"}, "usage: punchbot bench broadcast"},
		{[]string{"bench", "broadcast", "-h"}, "usage: punchbot bench broadcast"},
		{[]string{"bench", "webhook", "--help"}, "usage: punchbot bench webhook"},
		{[]string{"bench", "rush", "-n", "-h"}, "usage: punchbot bench rush"},
		{[]string{"report", "--format", "xlsx", "--help"}, "usage: punchbot report"},
		{[]string{"demo", "-serve=false", "-h"}, "usage: punchbot demo"},
	}
	// And both spellings on every command there is.
	for _, c := range cliCommands {
		for _, h := range []string{"-h", "--help"} {
			want := "usage: punchbot " + c.name
			if c.name == "serve" {
				want = "usage: punchbot [serve]"
			}
			tests = append(tests, struct {
				args []string
				want string
			}{[]string{c.name, h}, want})
		}
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			e := &recordingEnv{vars: map[string]string{"PUNCHBOT_ADDR": "127.0.0.1:0", "PUNCHBOT_DB_PATH": filepath.Join(t.TempDir(), "p.db")}}
			var out, errOut bytes.Buffer
			code := run(context.Background(), tc.args, e.get, &out, &errOut)
			if code != 0 || !strings.Contains(out.String(), tc.want) || errOut.Len() != 0 {
				t.Errorf("run(%q) = %d, stdout %q, stderr %q; want 0 and stdout containing %q", tc.args, code, out.String(), errOut.String(), tc.want)
			}
			if len(e.asked) > 0 {
				t.Errorf("run(%q) read %v: help must not load the configuration", tc.args, e.asked)
			}
		})
	}
}

// TestUsageErrors: an unknown flag or command, or an argument a command
// does not take, exits 2 with the usage on stderr and opens nothing (the
// SQLite file the environment names is never created).
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want []string // on stderr
	}{
		{[]string{"--port", "80"}, []string{"unknown flag --port", "Usage:"}},
		{[]string{"-serve"}, []string{"unknown flag -serve"}},
		{[]string{"frobnicate"}, []string{`unknown command "frobnicate"`, "Usage:"}},
		{[]string{"serve", "--port=80"}, []string{`punchbot serve: unexpected argument "--port=80"`, "usage: punchbot [serve]"}},
		{[]string{"serve", "now"}, []string{`unexpected argument "now"`}},
		{[]string{"migrate", "--force"}, []string{`punchbot migrate: unexpected argument "--force"`, "usage: punchbot migrate"}},
		{[]string{"doctor", "-v"}, []string{"usage: punchbot doctor"}},
		{[]string{"version", "--short"}, []string{"usage: punchbot version"}},
		{[]string{"help", "nope"}, []string{`unknown command "nope"`}},
		{[]string{"apply"}, []string{"-f is required", "usage: punchbot apply -f org.yaml"}},
		{[]string{"apply", "-x"}, []string{"flag provided but not defined: -x", "usage: punchbot apply"}},
		{[]string{"apply", "-f", "a.yaml", "b.yaml"}, []string{`unexpected argument "b.yaml"`}},
		{[]string{"apply", "org.yaml"}, []string{`unexpected argument "org.yaml": did you mean -f org.yaml?`, "usage: punchbot apply -f org.yaml"}},
		{[]string{"apply", "a.yaml", "b.yaml"}, []string{`unexpected argument "a.yaml"`}},
		{[]string{"report", "--bogus"}, []string{"flag provided but not defined: -bogus", "usage: punchbot report"}},
		{[]string{"report", "-o"}, []string{"flag needs an argument: -o"}},
		{[]string{"demo", "-nope"}, []string{"flag provided but not defined: -nope", "usage: punchbot demo"}},
		{[]string{"bench"}, []string{"which load test? broadcast, webhook or rush", "usage: punchbot bench rush"}},
		{[]string{"bench", "nope"}, []string{`unknown load test "nope"`}},
		{[]string{"bench", "broadcast", "-nope"}, []string{"flag provided but not defined: -nope", "usage: punchbot bench broadcast"}},
		{[]string{"bench", "webhook", "-n", "many"}, []string{`invalid value "many"`, "usage: punchbot bench webhook"}},
		{[]string{"healthcheck", "-nope"}, []string{"flag provided but not defined: -nope", "usage: punchbot healthcheck"}},
		{[]string{"healthcheck", "-path", "readyz"}, []string{"must start with /"}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "p.db")
			var out, errOut bytes.Buffer
			code := run(context.Background(), tc.args, env("PUNCHBOT_DB_PATH", db, "PUNCHBOT_ADDR", "127.0.0.1:0"), &out, &errOut)
			if code != 2 {
				t.Errorf("run(%q) = %d, want 2; stderr %q", tc.args, code, errOut.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("stderr = %q, want it to contain %q", errOut.String(), w)
				}
			}
			if out.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", out.String())
			}
			if _, err := os.Stat(db); err == nil {
				t.Errorf("run(%q) created the store %s", tc.args, db)
			}
		})
	}
}

// TestUsageListsEveryCommand keeps the top-level usage and the command
// table in step.
func TestUsageListsEveryCommand(t *testing.T) {
	for _, c := range cliCommands {
		if c.name != "serve" && !strings.Contains(usage, "punchbot "+c.name) {
			t.Errorf("the usage does not list %q", c.name)
		}
		if !strings.HasPrefix(c.usage, "usage: punchbot ") {
			t.Errorf("%s usage starts %q, want \"usage: punchbot …\"", c.name, c.usage[:min(len(c.usage), 30)])
		}
	}
}
