package admin

import (
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestParseOrgEmploymentDates: joined and left (入职, 离职) reach
// core.Employee from YAML and JSON, and a bad date or a last day before the
// first is a problem on its line that applies nothing.
func TestParseOrgEmploymentDates(t *testing.T) {
	tests := []struct {
		name, file   string
		joined, left string
		wantErr      string
	}{
		{"yaml", "employees:\n  - id: E1\n    name: Ann\n    joined: 2026-11-16\n    left: 2026-11-20\n", "2026-11-16", "2026-11-20", ""},
		{"yaml quoted", "employees:\n  - {id: E1, name: Ann, joined: \"2026-11-16\"}\n", "2026-11-16", "", ""},
		{"json", `{"employees": [{"id": "E1", "name": "Ann", "joined": "2026-11-16", "left": "2026-11-20"}]}`, "2026-11-16", "2026-11-20", ""},
		{"none", "employees:\n  - {id: E1, name: Ann}\n", "", "", ""},
		{"not a date", "employees:\n  - id: E1\n    name: Ann\n    joined: 2026-11-31\n", "", "",
			`line 4: employees[0].joined: date "2026-11-31" is not YYYY-MM-DD`},
		{"not the layout", "employees:\n  - id: E1\n    name: Ann\n    left: 20/11/2026\n", "", "",
			`line 4: employees[0].left: date "20/11/2026" is not YYYY-MM-DD`},
		{"left before joined", "employees:\n  - id: E1\n    name: Ann\n    joined: 2026-11-20\n    left: 2026-11-16\n", "", "",
			"line 5: employees[0].left: left 2026-11-16 is before joined 2026-11-20: left is the last working day, on or after the first"},
		{"json number", `{"employees": [{"id": "E1", "name": "Ann", "joined": 20261116}]}`, "", "",
			`line 1: employees[0].joined: must be text, not the number 20261116; write it in quotes ("20261116") if that is what you mean`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org, err := ParseOrg([]byte(tt.file))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr {
				t.Fatalf("ParseOrg error =\n%s\nwant\n%s", got, tt.wantErr)
			}
			if err != nil {
				return
			}
			if e := org.Employees[0]; e.Joined != tt.joined || e.Left != tt.left {
				t.Errorf("joined, left = %q %q, want %q %q", e.Joined, e.Left, tt.joined, tt.left)
			}
		})
	}
}

// TestMarshalOrgEmploymentDates: the export writes the dates back, and
// leaves them out for an employee without them.
func TestMarshalOrgEmploymentDates(t *testing.T) {
	org := MustParse(t, []byte("employees:\n  - {id: E1, name: Ann, joined: 2026-11-16, left: 2026-11-20}\n  - {id: E2, name: Bob}\n"))
	out := MustMarshal(t, org)
	again := MustParse(t, []byte(out))
	got := [][2]string{{again.Employees[0].Joined, again.Employees[0].Left}, {again.Employees[1].Joined, again.Employees[1].Left}}
	if want := [][2]string{{"2026-11-16", "2026-11-20"}, {"", ""}}; got[0] != want[0] || got[1] != want[1] {
		t.Errorf("exported and parsed back: %v, want %v; export:\n%s", got, want, out)
	}
	if strings.Count(out, "joined:") != 1 || strings.Count(out, "left:") != 1 {
		t.Errorf("export writes joined/left %d/%d times, want once each (E2 has none):\n%s", strings.Count(out, "joined:"), strings.Count(out, "left:"), out)
	}
}

// TestParseOrgOverEmploymentDates: the dates are the file's, as every
// other employee field is: a file that lists the employee without them
// clears them, one that gives them sets them.
func TestParseOrgOverEmploymentDates(t *testing.T) {
	cur := core.Org{Name: "Acme", Employees: []core.Employee{{ID: "E1", Name: "Ann", Joined: "2026-01-05", Left: "2026-11-20"}}}
	tests := []struct {
		name, file   string
		joined, left string
	}{
		{"given", "employees:\n  - {id: E1, name: Ann, joined: 2026-11-16}\n", "2026-11-16", ""},
		{"left out", "employees:\n  - {id: E1, name: Ann}\n", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org, err := ParseOrgOver([]byte(tt.file), cur)
			if err != nil {
				t.Fatal(err)
			}
			if e := org.Employees[0]; e.Joined != tt.joined || e.Left != tt.left {
				t.Errorf("joined, left = %q %q, want %q %q", e.Joined, e.Left, tt.joined, tt.left)
			}
		})
	}
}
