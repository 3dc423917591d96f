package admin

import (
	"strings"

	"github.com/punchbot/punchbot/core"
)

// fileOvertime is a schedule's overtime block:
//
//	overtime:
//	  mode: punch          # off (default) | punch | approval | both
//	  starts_after_min: 30 # workday overtime counts from this long after the end
//	  before_start_min: 0  # and, when > 0, up to this long before the start (上班前加班)
//	  min_min: 30          # a day's overtime below this is 0
//	  unit_min: 30         # rounded down to whole units
//
// Omitted numbers take core's defaults (30 each; before_start_min 0, off,
// so files written before it count what they counted); core.Org.Prepare
// validates the result, so the console's form gets the same messages.
type fileOvertime struct {
	Mode           string `yaml:"mode"`
	StartsAfterMin *int   `yaml:"starts_after_min"`
	BeforeStartMin *int   `yaml:"before_start_min"`
	MinMin         *int   `yaml:"min_min"`
	UnitMin        *int   `yaml:"unit_min"`
}

// overtimeRule reads a schedule's overtime block; nil is the default rule
// (off).
func overtimeRule(f *fileOvertime) core.OvertimeRule {
	r := core.DefaultOvertimeRule()
	if f == nil {
		return r
	}
	if m := lower(f.Mode); m != "" {
		r.Mode = core.OvertimeMode(m)
	}
	for _, v := range []struct {
		dst *int
		src *int
	}{{&r.StartsAfterMin, f.StartsAfterMin}, {&r.BeforeStartMin, f.BeforeStartMin}, {&r.MinMin, f.MinMin}, {&r.UnitMin, f.UnitMin}} {
		if v.src != nil {
			*v.dst = *v.src
		}
	}
	return r
}

// exportOvertime is fileOvertime as MarshalOrg writes it; before_start_min
// only when set, so files of schedules without it do not change.
type exportOvertime struct {
	Mode           string `yaml:"mode"`
	StartsAfterMin int    `yaml:"starts_after_min"`
	BeforeStartMin int    `yaml:"before_start_min,omitempty"`
	MinMin         int    `yaml:"min_min"`
	UnitMin        int    `yaml:"unit_min"`
}

// exportOvertimeRule is the block to write for r: none for the default
// rule, so that files of organisations without overtime do not change.
func exportOvertimeRule(r core.OvertimeRule) *exportOvertime {
	if r.Mode == "" {
		r.Mode = core.OvertimeOff
	}
	if r == core.DefaultOvertimeRule() {
		return nil
	}
	return &exportOvertime{Mode: strings.ToLower(string(r.Mode)), StartsAfterMin: r.StartsAfterMin,
		BeforeStartMin: r.BeforeStartMin, MinMin: r.MinMin, UnitMin: r.UnitMin}
}
