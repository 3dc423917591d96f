package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestUsageListsEveryFlag reads this package's source for each
// flag.NewFlagSet("name", …) and the flags defined on it, and checks that
// the usage `punchbot name -h` prints lists every one, so a new flag
// cannot be left out of the help.
func TestUsageListsEveryFlag(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	found := map[string][]string{} // flag set name → flag names
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			fn, ok := n.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				return true
			}
			set, flags := flagsIn(fn.Body)
			if set != "" {
				found[set] = append(found[set], flags...)
			}
			return false
		})
	}
	for _, want := range []string{"apply", "report", "demo", "healthcheck", "bench broadcast", "bench webhook", "bench rush"} {
		if _, ok := found[want]; !ok {
			t.Errorf("found no flag set %q in the source; the test no longer sees it", want)
		}
	}
	for set, flags := range found {
		name, sub, _ := strings.Cut(set, " ")
		c, ok := lookupCommand(name)
		if !ok {
			t.Errorf("flag set %q is not a command", set)
			continue
		}
		text := c.usage
		if sub != "" {
			text = c.subcommands[sub]
		}
		for _, f := range flags {
			if !regexp.MustCompile(`(^|[\s\[(])--?` + regexp.QuoteMeta(f) + `([\s=\]),.]|$)`).MatchString(text) {
				t.Errorf("punchbot %s -h does not list -%s", set, f)
			}
		}
	}
}

// flagsIn returns the name of the flag set a function body creates and
// the names of the flags it defines on it.
func flagsIn(body *ast.BlockStmt) (set string, flags []string) {
	ast.Inspect(body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		lit := func(i int) string {
			if i >= len(call.Args) {
				return ""
			}
			if b, ok := call.Args[i].(*ast.BasicLit); ok && b.Kind == token.STRING {
				s, _ := strconv.Unquote(b.Value)
				return s
			}
			return ""
		}
		if x, ok := sel.X.(*ast.Ident); ok && x.Name == "flag" && sel.Sel.Name == "NewFlagSet" {
			set = lit(0)
			return true
		}
		switch m := sel.Sel.Name; {
		case strings.HasSuffix(m, "Var") && m != "Var":
			if f := lit(1); f != "" {
				flags = append(flags, f)
			}
		case m == "String" || m == "Int" || m == "Bool" || m == "Duration" || m == "Float64" || m == "Int64" || m == "Uint":
			if f := lit(0); f != "" {
				flags = append(flags, f)
			}
		}
		return true
	})
	return set, flags
}
