package core_test

import (
	"slices"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestRemindersSkipApprovedLeave: nobody is reminded of a punch their
// approved leave, trip or outing covers; pending leave changes nothing.
func TestRemindersSkipApprovedLeave(t *testing.T) {
	h := newHarness(t, nil)
	rosters := mustRosters(t, h)
	away := func(emp string, typ core.RequestType, status core.MakeupStatus, from, to string) core.MakeupRequest {
		return core.MakeupRequest{EmployeeID: emp, Type: typ, Status: status, Start: sh(t, from), End: sh(t, to), ShiftDate: from[:10]}
	}
	requests := []core.MakeupRequest{
		away("E1", core.RequestLeave, core.MakeupApproved, "2026-11-26 00:00:00", "2026-11-27 00:00:00"),  // all day
		away("F1", core.RequestLeave, core.MakeupApproved, "2026-11-26 09:00:00", "2026-11-26 12:00:00"),  // the morning
		away("G1", core.RequestLeave, core.MakeupPending, "2026-11-26 00:00:00", "2026-11-27 00:00:00"),   // not decided
		away("R1", core.RequestTrip, core.MakeupApproved, "2026-11-25 00:00:00", "2026-11-28 00:00:00"),   // on a trip
		away("T1", core.RequestOuting, core.MakeupApproved, "2026-11-26 14:00:00", "2026-11-26 18:00:00"), // the afternoon
		away("W1", core.RequestLeave, core.MakeupRejected, "2026-11-26 00:00:00", "2026-11-27 00:00:00"),
	}
	in := core.Reminder{ID: "in", Kind: core.ReminderPunchIn, MinutesBefore: 10, Enabled: true}
	out := core.Reminder{ID: "out", Kind: core.ReminderPunchOut, Enabled: true}
	missed := core.Reminder{ID: "missed", Kind: core.ReminderMissedPunch, Enabled: true}
	checkedIn := map[string][]core.Punch{}
	for _, e := range dayStaff {
		checkedIn[e] = []core.Punch{validPunch(e, core.KindIn, sh(t, "2026-11-26 08:55:00"), "2026-11-26")}
	}
	tests := []struct {
		name    string
		rem     core.Reminder
		at      time.Time
		punches map[string][]core.Punch
		want    []string
	}{
		{"clock-in reminder", in, sh(t, "2026-11-26 08:50:00"), nil, []string{"G1", "T1", "W1"}},
		{"clock-out reminder", out, sh(t, "2026-11-26 18:00:00"), checkedIn, []string{"F1", "G1", "W1"}},
		{"missed punch the next morning", missed, sh(t, "2026-11-27 09:00:00"), nil, []string{"F1", "G1", "N1", "T1", "W1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := core.DueQuery{At: tc.at}
			got := recipients(core.ReminderDeliveries(tc.rem, core.ReminderCandidates(tc.rem, rosters, q), tc.punches, requests, q, false))
			if !slices.Equal(got, tc.want) {
				t.Errorf("recipients = %v, want %v", got, tc.want)
			}
		})
	}
}
