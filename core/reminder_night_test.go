package core_test

import (
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// nightRoster is one night worker on 22:00–06:00 every day, whose check-out
// closes at the default 6 h after the end (12:00): later than the 09:00
// missed-punch notice.
func nightRoster(tb testing.TB) []core.Roster {
	tb.Helper()
	all := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}
	s := &core.Schedule{ID: "night", WorkDays: all, StartMin: 22 * 60, EndMin: 30 * 60, CheckInOpensMin: 120, CheckOutClosesMin: core.DefaultCheckOutClosesMin}
	e := core.Employee{ID: "N9", Name: "夜班", Active: true, TimeZone: "Asia/Shanghai", ScheduleID: "night",
		Identities: []core.Identity{{Platform: core.PlatformWeCom, UserID: "n9", EmployeeID: "N9"}}}
	rs := []core.Roster{{Employee: e, Schedule: s}}
	core.ResolveZones(rs)
	return rs
}

// TestMissedPunchNightShift: every shift gets exactly one missed-punch
// notice, a night shift's the first morning after its window has closed.
func TestMissedPunchNightShift(t *testing.T) {
	rosters := nightRoster(t)
	rem := core.Reminder{ID: "missed", Kind: core.ReminderMissedPunch, Enabled: true}
	tests := []struct {
		name   string
		at     time.Time
		forced bool
		want   string // the shift date the notice is about; "" none
	}{
		// The 11-25 22:00 shift's window closes 11-26 12:00.
		{"09:00 the morning after: the window is still open", sh(t, "2026-11-26 09:00:00"), false, "2026-11-24"},
		{"09:00 the next morning: about the 11-25 shift", sh(t, "2026-11-27 09:00:00"), false, "2026-11-25"},
		{"08:59 nothing", sh(t, "2026-11-27 08:59:00"), false, ""},
		{"run by hand at 11:00: the latest closed shift", sh(t, "2026-11-26 11:00:00"), true, "2026-11-24"},
		{"run by hand at 12:00: the 11-25 shift has closed", sh(t, "2026-11-26 12:00:00"), true, "2026-11-25"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := core.DueQuery{At: tc.at, Forced: tc.forced}
			ds := core.ReminderDeliveries(rem, core.ReminderCandidates(rem, rosters, q), nil, nil, q, false)
			got := ""
			if len(ds) == 1 {
				got = ds[0].Notice.ShiftDate
			} else if len(ds) > 1 {
				t.Fatalf("%d deliveries, want at most one", len(ds))
			}
			if got != tc.want {
				t.Errorf("missed-punch notice at %s is about %q, want %q", tc.at.Format("01-02 15:04"), got, tc.want)
			}
		})
	}
	// Over a week of 09:00 notices each shift is named once.
	seen := map[string]int{}
	for d := 0; d < 7; d++ {
		q := core.DueQuery{At: sh(t, "2026-11-23 09:00:00").AddDate(0, 0, d)}
		for _, dl := range core.ReminderDeliveries(rem, core.ReminderCandidates(rem, rosters, q), nil, nil, q, false) {
			seen[dl.Notice.ShiftDate]++
		}
	}
	for date, n := range seen {
		if n != 1 {
			t.Errorf("shift %s named in %d notices, want 1", date, n)
		}
	}
	if len(seen) != 7 {
		t.Errorf("a week of notices named %d shifts (%v), want 7", len(seen), seen)
	}
}
