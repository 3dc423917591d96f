package main

import (
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestSampleStepsSayWhatTheyPunch: each step of the demo's sample story is
// labelled with what the person sends: a clock-out says 下班 (the step 900 m
// outside the radius was labelled as a bare location, which reads like the
// answer to 上班), a clock-in 上班, and a bare location neither.
func TestSampleStepsSayWhatTheyPunch(t *testing.T) {
	r := core.Roster{
		Schedule: &core.Schedule{StartMin: 9 * 60, EndMin: 18 * 60},
		Sites:    []core.Site{{ID: "hq", Name: "HQ", Lat: 39.9, Lng: 116.4, RadiusM: 300}},
		Loc:      time.UTC,
	}
	steps := sampleSteps(r, time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC))
	want := map[core.PunchKind]string{core.KindIn: "上班", core.KindOut: "下班"}
	outside := false
	for i, st := range steps {
		if prefix, ok := want[st.cmd.Punch]; ok {
			if !strings.HasPrefix(st.say, prefix) {
				t.Errorf("step %d punches %s but says %q, want it to start %q", i+1, st.cmd.Punch, st.say, prefix)
			}
		} else if strings.HasPrefix(st.say, "上班") || strings.HasPrefix(st.say, "下班") {
			t.Errorf("step %d sends no punch kind but says %q", i+1, st.say)
		}
		if strings.Contains(st.say, "900 m outside the radius") {
			outside = true
			if got, want := st.say, "下班 + [位置 / location, 900 m outside the radius]"; got != want {
				t.Errorf("step %d says %q, want %q", i+1, got, want)
			}
		}
	}
	if !outside {
		t.Error("no step punches from outside the radius")
	}
}
