package admin

import (
	"reflect"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

func TestParseOrgLeaveTypes(t *testing.T) {
	org, err := ParseOrg([]byte(base + `leave_types:
  - {id: annual, name: 年假, annual_quota_days: 5.5, paid: true}
  - {id: Sick, name: 病假, paid: true}
  - {id: home-office, name: 居家}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []core.LeaveType{{ID: "annual", Name: "年假", AnnualQuotaDays: 5.5, Paid: true}, {ID: "sick", Name: "病假", Paid: true}, {ID: "home-office", Name: "居家"}}
	if !reflect.DeepEqual(org.LeaveTypes, want) {
		t.Errorf("leave types = %+v, want %+v", org.LeaveTypes, want)
	}
	org, err = ParseOrg([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(org.LeaveTypes, core.DefaultLeaveTypes()) {
		t.Errorf("leave types of a file without them = %+v, want the defaults %+v", org.LeaveTypes, core.DefaultLeaveTypes())
	}
}

func TestParseOrgLeaveTypeProblems(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		field string
		msg   string
	}{
		{"missing id", "leave_types:\n  - {name: 年假}  # <-\n", "leave_types[0].id", "is required"},
		{"bad id", "leave_types:\n  - {id: 年假, name: 年假}  # <-\n", "leave_types[0].id", "is not a leave type id"},
		{"duplicate id", "leave_types:\n  - {id: annual, name: 年假}\n  - {id: Annual, name: 年休}  # <-\n", "leave_types[1].id", `duplicate leave type id "annual"`},
		{"missing name", "leave_types:\n  - {id: annual}  # <-\n", "leave_types[0].name", "is required"},
		{"negative quota", "leave_types:\n  - {id: annual, name: 年假, annual_quota_days: -1}  # <-\n", "leave_types[0].annual_quota_days", "negative"},
		{"quarter day", "leave_types:\n  - {id: annual, name: 年假, annual_quota_days: 5.25}  # <-\n", "leave_types[0].annual_quota_days", "half number of days"},
		{"too many days", "leave_types:\n  - {id: annual, name: 年假, annual_quota_days: 400}  # <-\n", "leave_types[0].annual_quota_days", "more than a year"},
		{"not a number", "leave_types:\n  - {id: annual, name: 年假, annual_quota_days: many}  # <-\n", "leave_types[0].annual_quota_days", "must be a number"},
		{"unknown key", "leave_types:\n  - {id: annual, name: 年假, quota: 5}  # <-\n", "leave_types[0].quota", "expected one of: id, name, annual_quota_days, paid, from_overtime, expire_days"},
		{"too many types", "leave_types:  # <-\n" + manyLeaveTypes(core.MaxLeaveTypes+1), "leave_types", "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseOrg([]byte(base + tt.doc))
			fe := MustFileError(t, err)
			line := lineOf(t, base+tt.doc, "# <-")
			for _, p := range fe.Problems {
				if p.Line == line && p.Field == tt.field && strings.Contains(p.Message, tt.msg) {
					return
				}
			}
			t.Errorf("problems:\n%v\nwant line %d: %s: ...%s...", fe, line, tt.field, tt.msg)
		})
	}
}

func manyLeaveTypes(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("  - {id: t" + string(rune('a'+i)) + ", name: x}\n")
	}
	return b.String()
}
