package admin

import (
	_ "embed"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/punchbot/punchbot/core"
)

// The organisation file: its entry point (ParseOrg) and its errors. The
// file's shape is in orgfile_types.go, the YAML reading in orgfile_yaml.go
// and the conversion to core.Org in orgfile_core.go.

//go:embed demo.yaml
var demoOrg string

// ExampleOrg returns the demo organisation file: a complete, commented
// example of the format that `punchbot demo` applies. It returns a fresh
// copy so no caller can change what the next one gets.
func ExampleOrg() []byte { return []byte(demoOrg) }

// Problem is one thing wrong with an organisation file, located by line and
// column (1-based) and by field path such as "employees[2].manager".
type Problem struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// String formats the problem as "line N: field: message".
func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// FileError lists every problem found in an organisation file, in file
// order, so the author can fix them all in one pass.
type FileError struct {
	Problems []Problem
}

// Error prints one "line N: field: message" per problem.
func (e *FileError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// ParseOrg decodes an organisation file (YAML or JSON), fills defaults,
// converts GCJ-02 sites to WGS-84 and validates the result. Any problem
// yields a *FileError naming the line and field of each one; parsing has no
// side effects, so a rejected file changes nothing. checks add validations
// that live outside core (the scheduler's cron parsing); their field paths
// are mapped to lines like core's own.
//
// ParseOrg reads the file on its own: a setting it leaves out takes its
// default. To apply a file over a stored organisation use ParseOrgOver,
// which keeps the stored settings the file leaves out (orgkeep.go).
func ParseOrg(data []byte, checks ...func(core.Org) []core.FieldError) (core.Org, error) {
	return parseOrg(data, nil, checks)
}

// parseOrg is ParseOrg, or ParseOrgOver when cur is not nil.
func parseOrg(data []byte, cur *core.Org, checks []func(core.Org) []core.FieldError) (core.Org, error) {
	p := &parser{budget: maxNodes, pos: map[string]position{"": {1, 1}}, failed: map[string]bool{}, given: map[string]bool{}}
	p.json = looksLikeJSON(data)
	root := p.document(data)
	if root == nil {
		return core.Org{}, p.err()
	}
	var f fileOrg
	p.decode(root, "", reflect.ValueOf(&f).Elem())
	if p.budget < 0 {
		return core.Org{}, p.err() // a partial walk would only add noise
	}
	org, aliases := p.toCore(&f)
	if cur != nil {
		p.keepOmitted(&org, *cur) // orgkeep.go
	}
	if err := org.Prepare(); err != nil {
		var ve *core.ValidationError
		if !errors.As(err, &ve) {
			p.add(position{}, "", "%s", err.Error())
		} else {
			for _, fe := range ve.Fields {
				p.coreProblem(fe, org, aliases)
			}
		}
	}
	for _, check := range checks {
		for _, fe := range check(org) {
			p.coreProblem(fe, org, aliases)
		}
	}
	if len(p.problems) > 0 {
		return core.Org{}, p.err()
	}
	return org, nil
}

func (p *parser) err() *FileError {
	sort.SliceStable(p.problems, func(i, j int) bool {
		a, b := p.problems[i], p.problems[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	if n := len(p.problems) - maxProblems; n > 0 {
		p.problems = append(p.problems[:maxProblems], Problem{Message: fmt.Sprintf("and %d more problems", n)})
	}
	return &FileError{Problems: p.problems}
}

// maxProblems caps the report: past a hundred problems the file is wrong in
// some systematic way the first ones already show.
const maxProblems = 100
