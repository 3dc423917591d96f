package core_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The dependency rules of DESIGN.md section 1, checked on the import lists
// the go tool reports for every package of the module.
//
// Which imports a rule sees:
//   - core/... must build and test with nothing but Go, so its non-test
//     imports, its in-package test imports and its external test packages
//     (package core_test) are all checked.
//   - For bots/* and scheduler the rule is about the package: its sources and
//     in-package tests (which compile into it) are checked. An external test
//     package (package scheduler_test) is a separate package that, like cmd,
//     may wire concrete adapters for an integration test against real
//     Postgres and Redis.
var importRules = []importRule{
	{
		name:   "core imports only the standard library and core/...",
		scope:  "core",
		xtests: true,
		want:   "the standard library or core/...",
		forbid: func(imp importRef) bool { return !imp.std && !imp.under("core") },
	},
	{
		name:   "bots never import adapters",
		scope:  "bots",
		want:   "no adapters/... import: bots get their stores through core interfaces",
		forbid: func(imp importRef) bool { return imp.under("adapters") },
	},
	{
		name:  "scheduler never imports adapters or a concrete bot",
		scope: "scheduler",
		want:  "no adapters/... or bots/<platform> import: cmd/punchbot wires them in",
		forbid: func(imp importRef) bool {
			return imp.under("adapters") || (imp.under("bots") && imp.rel != "bots")
		},
	},
}

// importRule forbids some imports to the packages at or below scope, a path
// relative to the module root.
type importRule struct {
	name   string
	scope  string
	xtests bool // also check external test packages
	want   string
	forbid func(importRef) bool
}

// importRef is one imported path, classified.
type importRef struct {
	path string
	std  bool   // in the standard library
	rel  string // path relative to the module root; "" if outside the module
	own  bool   // inside this module
}

func (r importRef) under(dir string) bool {
	return r.own && (r.rel == dir || strings.HasPrefix(r.rel, dir+"/"))
}

// goPackage is the part of `go list -json` output the rules need.
type goPackage struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Error        *struct{ Err string }
}

// violation is one forbidden import.
type violation struct {
	pkg, imp, via string
}

func (v violation) String() string { return v.pkg + " -> " + v.imp + " (" + v.via + ")" }

// checkImports applies rule to pkgs of module and returns every violation.
func checkImports(module string, std map[string]bool, pkgs []goPackage, rule importRule) []violation {
	classify := func(path string) importRef {
		r := importRef{path: path, std: std[path]}
		if path == module || strings.HasPrefix(path, module+"/") {
			r.own = true
			r.rel = strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
		}
		return r
	}
	var out []violation
	for _, p := range pkgs {
		if !classify(p.ImportPath).under(rule.scope) {
			continue
		}
		lists := []struct {
			via     string
			imports []string
		}{{"package", p.Imports}, {"in-package test", p.TestImports}}
		if rule.xtests {
			lists = append(lists, struct {
				via     string
				imports []string
			}{"external test", p.XTestImports})
		}
		for _, l := range lists {
			for _, imp := range l.imports {
				if rule.forbid(classify(imp)) {
					out = append(out, violation{pkg: p.ImportPath, imp: imp, via: l.via})
				}
			}
		}
	}
	return out
}

func TestImportRules(t *testing.T) {
	goTool := mustGoTool(t)
	var mod struct{ Path, Dir string }
	if err := json.Unmarshal(mustRunGo(t, goTool, ".", "list", "-m", "-json"), &mod); err != nil {
		t.Fatalf("parsing go list -m -json: %v", err)
	}
	std := map[string]bool{}
	for _, p := range strings.Fields(string(mustRunGo(t, goTool, mod.Dir, "list", "std"))) {
		std[p] = true
	}
	if !std["fmt"] || !std["net/http"] {
		t.Fatalf("go list std returned %d packages without fmt or net/http", len(std))
	}
	out := mustRunGo(t, goTool, mod.Dir, "list", "-e", "-json=ImportPath,Imports,TestImports,XTestImports,Error", "./...")
	var pkgs []goPackage
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("parsing go list -json: %v", err)
		}
		if p.Error != nil {
			// Without a parsed package its imports cannot be checked.
			t.Errorf("cannot check the imports of %s: %s", p.ImportPath, p.Error.Err)
		}
		pkgs = append(pkgs, p)
	}
	if !slices.ContainsFunc(pkgs, func(p goPackage) bool { return p.ImportPath == mod.Path+"/core" }) {
		t.Fatalf("go list ./... in %s did not list %s/core; the rules would check nothing", mod.Dir, mod.Path)
	}
	for _, rule := range importRules {
		t.Run(rule.name, func(t *testing.T) {
			for _, v := range checkImports(mod.Path, std, pkgs, rule) {
				t.Errorf("%s: %s imports %q: got a forbidden import, want %s", v.via, v.pkg, v.imp, rule.want)
			}
		})
	}
}

// TestImportRulesCatch runs the rules on made-up packages, so a rule that
// silently allows everything fails here rather than letting a bad import in.
func TestImportRulesCatch(t *testing.T) {
	const m = "example.com/pb"
	std := map[string]bool{"context": true, "fmt": true, "net/http": true, "time": true}
	rule := func(scope string) importRule {
		for _, r := range importRules {
			if r.scope == scope {
				return r
			}
		}
		t.Fatalf("no rule for %s", scope)
		return importRule{}
	}
	cases := []struct {
		name  string
		scope string
		pkg   goPackage
		want  []string
	}{
		{"core std only", "core", goPackage{ImportPath: m + "/core", Imports: []string{"context", "fmt", "time"}}, nil},
		{"core driver", "core", goPackage{ImportPath: m + "/core", Imports: []string{"fmt", "github.com/jackc/pgx/v5"}},
			[]string{m + "/core -> github.com/jackc/pgx/v5 (package)"}},
		{"core own package outside core", "core", goPackage{ImportPath: m + "/core", Imports: []string{m + "/bots"}},
			[]string{m + "/core -> " + m + "/bots (package)"}},
		{"core module root", "core", goPackage{ImportPath: m + "/core", Imports: []string{m}},
			[]string{m + "/core -> " + m + " (package)"}},
		{"coretest imports core", "core", goPackage{ImportPath: m + "/core/coretest", Imports: []string{m + "/core", "fmt"}}, nil},
		{"coretest test imports an adapter", "core", goPackage{ImportPath: m + "/core/coretest", TestImports: []string{m + "/adapters/sqlite"}},
			[]string{m + "/core/coretest -> " + m + "/adapters/sqlite (in-package test)"}},
		{"core external test imports redis", "core", goPackage{ImportPath: m + "/core", XTestImports: []string{"github.com/redis/go-redis/v9"}},
			[]string{m + "/core -> github.com/redis/go-redis/v9 (external test)"}},
		{"cgo in core", "core", goPackage{ImportPath: m + "/core", Imports: []string{"C"}},
			[]string{m + "/core -> C (package)"}},
		{"prefix look-alike is not core", "core", goPackage{ImportPath: m + "/corex", Imports: []string{"github.com/x/y"}}, nil},
		{"bot with SDK and core", "bots", goPackage{ImportPath: m + "/bots/slack", Imports: []string{m + "/core", m + "/bots", "github.com/slack-go/slack"}}, nil},
		{"bot imports redis adapter", "bots", goPackage{ImportPath: m + "/bots/slack", Imports: []string{m + "/adapters/redis"}},
			[]string{m + "/bots/slack -> " + m + "/adapters/redis (package)"}},
		{"shared bots package imports adapter", "bots", goPackage{ImportPath: m + "/bots", Imports: []string{m + "/adapters/memory"}},
			[]string{m + "/bots -> " + m + "/adapters/memory (package)"}},
		{"bot in-package test imports adapter", "bots", goPackage{ImportPath: m + "/bots/wecom", TestImports: []string{m + "/adapters/sqlite"}},
			[]string{m + "/bots/wecom -> " + m + "/adapters/sqlite (in-package test)"}},
		{"bot external test may wire adapters", "bots", goPackage{ImportPath: m + "/bots/wecom", XTestImports: []string{m + "/adapters/sqlite"}}, nil},
		{"scheduler with cron and shared bots", "scheduler", goPackage{ImportPath: m + "/scheduler", Imports: []string{m + "/core", m + "/bots", "github.com/robfig/cron/v3"}}, nil},
		{"scheduler imports adapter", "scheduler", goPackage{ImportPath: m + "/scheduler", Imports: []string{m + "/adapters/postgres"}},
			[]string{m + "/scheduler -> " + m + "/adapters/postgres (package)"}},
		{"scheduler imports concrete bot", "scheduler", goPackage{ImportPath: m + "/scheduler", Imports: []string{m + "/bots/feishu"}},
			[]string{m + "/scheduler -> " + m + "/bots/feishu (package)"}},
		{"scheduler subpackage imports concrete bot", "scheduler", goPackage{ImportPath: m + "/scheduler/jobs", Imports: []string{m + "/bots/slack"}},
			[]string{m + "/scheduler/jobs -> " + m + "/bots/slack (package)"}},
		{"cmd may import anything", "scheduler", goPackage{ImportPath: m + "/cmd/punchbot", Imports: []string{m + "/adapters/redis", m + "/bots/slack"}}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, v := range checkImports(m, std, []goPackage{tc.pkg}, rule(tc.scope)) {
				got = append(got, v.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("violations:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// mustGoTool finds the go command, which CI and every developer machine
// running `go test` have.
func mustGoTool(tb testing.TB) string {
	tb.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); fileExists(p) {
			return p
		}
	}
	tb.Fatal("the go command is not on PATH and GOROOT is unset; the import rules are checked with go list")
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func mustRunGo(tb testing.TB, goTool, dir string, args ...string) []byte {
	tb.Helper()
	cmd := exec.Command(goTool, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}
