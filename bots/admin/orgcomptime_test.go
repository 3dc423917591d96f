package admin

import (
	"reflect"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

func TestParseOrgCompLeaveType(t *testing.T) {
	doc := base + `leave_types:
  - {id: annual, name: 年假, annual_quota_days: 5, paid: true}
  - {id: comp, name: 调休, paid: true, from_overtime: [rest_day, Holiday], expire_days: 90}
  - {id: lieu, name: 补休, from_overtime: [workday]}
`
	org, err := ParseOrg([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := []core.LeaveType{{ID: "annual", Name: "年假", AnnualQuotaDays: 5, Paid: true},
		{ID: "comp", Name: "调休", Paid: true, FromOvertime: []core.OvertimeKind{core.OvertimeRestDay, core.OvertimeHoliday}, ExpireDays: 90},
		{ID: "lieu", Name: "补休", FromOvertime: []core.OvertimeKind{core.OvertimeWorkday}}}
	if !reflect.DeepEqual(org.LeaveTypes, want) {
		t.Fatalf("leave types = %+v, want %+v", org.LeaveTypes, want)
	}
	out, err := MarshalOrg(org)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"from_overtime:", "- rest_day", "- holiday", "expire_days: 90"} {
		if !strings.Contains(string(out), line) {
			t.Errorf("export lacks %q:\n%s", line, out)
		}
	}
	again, err := ParseOrg(out)
	if err != nil {
		t.Fatalf("re-parse of the export: %v", err)
	}
	if got := again.LeaveTypes; !reflect.DeepEqual(got, want) {
		t.Errorf("round trip = %+v, want %+v", got, want)
	}
}

func TestParseOrgCompLeaveTypeProblems(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		field string
		msg   string
	}{
		{"unknown kind", "leave_types:\n  - {id: comp, name: 调休, from_overtime: [weekend]}  # <-\n", "leave_types[0].from_overtime[0]", "must be workday, rest_day or holiday"},
		{"kind twice", "leave_types:\n  - {id: comp, name: 调休, from_overtime: [rest_day, rest_day]}  # <-\n", "leave_types[0].from_overtime[1]", "listed twice"},
		{"with a quota", "leave_types:\n  - {id: comp, name: 调休, from_overtime: [rest_day], annual_quota_days: 5}  # <-\n", "leave_types[0].annual_quota_days", "must be absent"},
		{"expiry without overtime", "leave_types:\n  - {id: comp, name: 调休, expire_days: 30}  # <-\n", "leave_types[0].expire_days", "only to a type with from_overtime"},
		{"negative expiry", "leave_types:\n  - {id: comp, name: 调休, from_overtime: [rest_day], expire_days: -1}  # <-\n", "leave_types[0].expire_days", "between 0 (never) and 366"},
		{"long expiry", "leave_types:\n  - {id: comp, name: 调休, from_overtime: [rest_day], expire_days: 400}  # <-\n", "leave_types[0].expire_days", "between 0 (never) and 366"},
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
