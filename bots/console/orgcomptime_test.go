package console

import (
	"reflect"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestPolicyFormKeepsCompLeave: a 调休 type survives the policy form's
// lines, and bad comp tokens are reported.
func TestPolicyFormKeepsCompLeave(t *testing.T) {
	comp := core.LeaveType{ID: "comp", Name: "调休", Paid: true, FromOvertime: []core.OvertimeKind{core.OvertimeRestDay, core.OvertimeHoliday}, ExpireDays: 90}
	tests := []struct {
		name    string
		lines   string
		want    []core.LeaveType
		invalid bool
	}{
		{name: "round trip", lines: leaveTypeLines([]core.LeaveType{{ID: "annual", Name: "年假", AnnualQuotaDays: 5, Paid: true}, comp}),
			want: []core.LeaveType{{ID: "annual", Name: "年假", AnnualQuotaDays: 5, Paid: true}, comp}},
		{name: "never expires", lines: "lieu 补休 0 from_overtime=workday\n", want: []core.LeaveType{{ID: "lieu", Name: "补休", FromOvertime: []core.OvertimeKind{core.OvertimeWorkday}}}},
		{name: "unknown kind", lines: "comp 调休 from_overtime=weekend\n", invalid: true},
		{name: "kind twice", lines: "comp 调休 from_overtime=rest_day,rest_day\n", invalid: true},
		{name: "bad expiry", lines: "comp 调休 from_overtime=rest_day expire_days=-3\n", invalid: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := fieldErrors{}
			got := parseLeaveTypes(tc.lines, errs, "zh")
			if tc.invalid {
				if _, ok := errs["leave_types"]; !ok {
					t.Errorf("parseLeaveTypes(%q) = %+v with no error, want one", tc.lines, got)
				}
				return
			}
			if len(errs) > 0 || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parseLeaveTypes(%q) = %+v, %v; want %+v", tc.lines, got, errs, tc.want)
			}
		})
	}
}
