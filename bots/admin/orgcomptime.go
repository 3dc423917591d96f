package admin

import (
	"fmt"
	"slices"
	"strings"

	"github.com/punchbot/punchbot/core"
)

// compLeaveType validates the time-off-in-lieu fields of leave type lt at
// path (leave_types[2]) and sets them on t: from_overtime names overtime
// kinds, each once; expire_days is 0 (never) to core.MaxCompExpireDays;
// such a type keeps no annual quota, since its balance is the overtime
// earned, and expire_days alone means nothing.
func (p *parser) compLeaveType(path string, lt fileLeaveType, t *core.LeaveType) {
	for i, k := range lt.FromOvertime {
		kind := core.OvertimeKind(strings.ToLower(strings.TrimSpace(k)))
		at := fmt.Sprintf("%s.from_overtime[%d]", path, i)
		switch {
		case !core.ValidOvertimeKind(kind):
			p.add(p.position(at), at, "must be %s, not %q", core.OvertimeKinds, k)
		case slices.Contains(t.FromOvertime, kind):
			p.add(p.position(at), at, "%q is listed twice", k)
		default:
			t.FromOvertime = append(t.FromOvertime, kind)
		}
	}
	if len(lt.FromOvertime) > 0 && lt.AnnualQuotaDays != 0 {
		p.add(p.position(path+".annual_quota_days"), path+".annual_quota_days", "must be absent for a type funded by from_overtime: its balance is the overtime earned")
	}
	switch e := lt.ExpireDays; {
	case e != 0 && len(lt.FromOvertime) == 0:
		p.add(p.position(path+".expire_days"), path+".expire_days", "applies only to a type with from_overtime")
	case e < 0 || e > core.MaxCompExpireDays:
		p.add(p.position(path+".expire_days"), path+".expire_days", "must be between 0 (never) and %d days", core.MaxCompExpireDays)
	default:
		t.ExpireDays = e
	}
}

// exportOvertimeKinds writes FromOvertime back as the file spells it.
func exportOvertimeKinds(kinds []core.OvertimeKind) []string {
	var out []string
	for _, k := range kinds {
		out = append(out, string(k))
	}
	return out
}
