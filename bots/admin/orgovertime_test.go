package admin

import (
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

func TestParseOrgOvertime(t *testing.T) {
	tests := []struct {
		name string
		keys string // added to the day schedule of base
		want core.OvertimeRule
	}{
		{"absent: off with the defaults", "", core.OvertimeRule{Mode: core.OvertimeOff, StartsAfterMin: 30, MinMin: 30, UnitMin: 30}},
		{"punch with the defaults", "    overtime: {mode: punch}\n", core.OvertimeRule{Mode: core.OvertimePunch, StartsAfterMin: 30, MinMin: 30, UnitMin: 30}},
		{"every key", "    overtime:\n      mode: Punch\n      starts_after_min: 0\n      min_min: 60\n      unit_min: 15\n",
			core.OvertimeRule{Mode: core.OvertimePunch, StartsAfterMin: 0, MinMin: 60, UnitMin: 15}},
		{"by approval", "    overtime: {mode: approval}\n", core.OvertimeRule{Mode: core.OvertimeApproval, StartsAfterMin: 30, MinMin: 30, UnitMin: 30}},
		{"intersection", "    overtime: {mode: BOTH, min_min: 0}\n", core.OvertimeRule{Mode: core.OvertimeBoth, StartsAfterMin: 30, MinMin: 0, UnitMin: 30}},
		{"explicit off", "    overtime: {mode: off, unit_min: 60}\n", core.OvertimeRule{Mode: core.OvertimeOff, StartsAfterMin: 30, MinMin: 30, UnitMin: 60}},
		// 上班前加班: off unless asked for, so an upgrade changes no payroll.
		{"before start omitted is off", "    overtime: {mode: punch, starts_after_min: 15}\n", core.OvertimeRule{Mode: core.OvertimePunch, StartsAfterMin: 15, MinMin: 30, UnitMin: 30}},
		{"before start", "    overtime:\n      mode: punch\n      before_start_min: 60\n", core.OvertimeRule{Mode: core.OvertimePunch, StartsAfterMin: 30, BeforeStartMin: 60, MinMin: 30, UnitMin: 30}},
		{"before start 0", "    overtime: {mode: both, before_start_min: 0}\n", core.OvertimeRule{Mode: core.OvertimeBoth, StartsAfterMin: 30, MinMin: 30, UnitMin: 30}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(base, "    end: \"18:00\"\n", "    end: \"18:00\"\n"+tc.keys, 1)
			org, err := ParseOrg([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			if got := org.Schedules[0].Overtime; got != tc.want {
				t.Errorf("overtime = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestParseOrgOvertimeProblems(t *testing.T) {
	tests := []struct {
		name, keys, field, msg string
	}{
		{"unknown mode", "    overtime:\n      mode: always  # <-\n", "schedules[0].overtime.mode", `must be off, punch, approval or both, not "always"`},
		{"negative start", "    overtime:\n      mode: punch\n      starts_after_min: -5  # <-\n", "schedules[0].overtime.starts_after_min", "must be between 0 and 1440 minutes"},
		{"minimum beyond a day", "    overtime:\n      mode: punch\n      min_min: 2000  # <-\n", "schedules[0].overtime.min_min", "must be between 0 and 1440 minutes"},
		{"negative before start", "    overtime:\n      mode: punch\n      before_start_min: -30  # <-\n", "schedules[0].overtime.before_start_min", "must be between 0 and 1440 minutes"},
		{"before start beyond a day", "    overtime:\n      mode: punch\n      before_start_min: 1500  # <-\n", "schedules[0].overtime.before_start_min", "must be between 0 and 1440 minutes"},
		{"before start not a number", "    overtime:\n      before_start_min: early  # <-\n", "schedules[0].overtime.before_start_min", "whole number"},
		{"misspelt before start", "    overtime:\n      before_start_mins: 30  # <-\n", "schedules[0].overtime.before_start_mins", `did you mean "before_start_min"`},
		{"unit not a number", "    overtime:\n      unit_min: half  # <-\n", "schedules[0].overtime.unit_min", "whole number"},
		{"unknown key", "    overtime:\n      unit_mins: 30  # <-\n", "schedules[0].overtime.unit_mins", `did you mean "unit_min"`},
		{"not a mapping", "    overtime: punch  # <-\n", "schedules[0].overtime", "must be a mapping"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(base, "    end: \"18:00\"\n", "    end: \"18:00\"\n"+tc.keys, 1)
			_, err := ParseOrg([]byte(doc))
			fe := MustFileError(t, err)
			line := lineOf(t, doc, "# <-")
			for _, p := range fe.Problems {
				if p.Line == line && p.Field == tc.field && strings.Contains(p.Message, tc.msg) {
					return
				}
			}
			t.Errorf("problems:\n%v\nwant line %d: %s: ...%s...", fe, line, tc.field, tc.msg)
		})
	}
}

// TestExportOvertime: a schedule with overtime exports its block and reads
// back the same; one without exports none.
func TestExportOvertime(t *testing.T) {
	doc := strings.Replace(base, "    end: \"18:00\"\n", "    end: \"18:00\"\n    overtime: {mode: punch, unit_min: 60}\n", 1)
	org := MustParse(t, []byte(doc))
	out := MustMarshal(t, org)
	for _, want := range []string{"    overtime:\n", "      mode: punch\n", "      starts_after_min: 30\n", "      min_min: 30\n", "      unit_min: 60\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("export lacks %q:\n%s", want, out)
		}
	}
	if got, want := MustParse(t, []byte(out)).Schedules[0].Overtime, org.Schedules[0].Overtime; got != want {
		t.Errorf("read back %+v, want %+v", got, want)
	}
	if out := MustMarshal(t, MustParse(t, []byte(base))); strings.Contains(out, "overtime") {
		t.Errorf("a schedule without overtime exports a block:\n%s", out)
	}
}

// TestExportOvertimeBeforeStart: before_start_min (上班前加班) is exported
// when set and reads back the same; a schedule without it exports the
// block it exported before, with no before_start_min line.
func TestExportOvertimeBeforeStart(t *testing.T) {
	tests := []struct {
		name     string
		block    string   // the day schedule's overtime block
		want     []string // lines the export must hold
		wantNone string   // a text it must not hold
	}{
		{"set", "    overtime: {mode: punch, before_start_min: 60}\n",
			[]string{"    overtime:\n", "      mode: punch\n", "      starts_after_min: 30\n", "      before_start_min: 60\n", "      min_min: 30\n"}, ""},
		{"unset", "    overtime: {mode: punch}\n", []string{"    overtime:\n", "      mode: punch\n"}, "before_start_min"},
		{"zero", "    overtime: {mode: approval, before_start_min: 0}\n", []string{"      mode: approval\n"}, "before_start_min"},
		{"set while off is kept", "    overtime: {before_start_min: 45}\n", []string{"      mode: \"off\"\n", "      before_start_min: 45\n"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(base, "    end: \"18:00\"\n", "    end: \"18:00\"\n"+tc.block, 1)
			org := MustParse(t, []byte(doc))
			out := MustMarshal(t, org)
			for _, want := range tc.want {
				if !strings.Contains(out, want) {
					t.Errorf("export lacks %q:\n%s", want, out)
				}
			}
			if tc.wantNone != "" && strings.Contains(out, tc.wantNone) {
				t.Errorf("export holds %q:\n%s", tc.wantNone, out)
			}
			if got, want := MustParse(t, []byte(out)).Schedules[0].Overtime, org.Schedules[0].Overtime; got != want {
				t.Errorf("read back %+v, want %+v", got, want)
			}
		})
	}
}
