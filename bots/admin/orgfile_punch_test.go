package admin

import (
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

func TestParseOrgPunchRules(t *testing.T) {
	tests := []struct {
		name        string
		keys        string // added to the day schedule of base
		wantMode    core.PunchMode
		wantConfirm int
	}{
		{"defaults: standard, confirm within 10 minutes", "", core.PunchStandard, 10},
		{"strict", "    punch_mode: strict\n", core.PunchStrict, 10},
		{"case is ignored", "    punch_mode: Standard\n", core.PunchStandard, 10},
		{"0 turns confirmation off", "    confirm_within_min: 0\n", core.PunchStandard, 0},
		{"a longer window", "    confirm_within_min: 30\n", core.PunchStandard, 30},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(base, "    end: \"18:00\"\n", "    end: \"18:00\"\n"+tc.keys, 1)
			org, err := ParseOrg([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			if got := org.Schedules[0]; got.PunchMode != tc.wantMode || got.ConfirmWithinMin != tc.wantConfirm {
				t.Errorf("punch_mode %q confirm_within_min %d, want %q %d", got.PunchMode, got.ConfirmWithinMin, tc.wantMode, tc.wantConfirm)
			}
		})
	}
}

func TestParseOrgPunchRuleProblems(t *testing.T) {
	tests := []struct {
		name, keys, field, msg string
	}{
		{"unknown mode", "    punch_mode: alternate  # <-\n", "schedules[0].punch_mode", `must be standard or strict, not "alternate"`},
		{"negative window", "    confirm_within_min: -5  # <-\n", "schedules[0].confirm_within_min", "must be between 0 and 1440 minutes"},
		{"window beyond a day", "    confirm_within_min: 2000  # <-\n", "schedules[0].confirm_within_min", "must be between 0 and 1440 minutes"},
		{"not a number", "    confirm_within_min: soon  # <-\n", "schedules[0].confirm_within_min", "whole number"},
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
