package core_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// stillRosters are a day worker (D1, 09:00–18:00 weekdays, check-out
// closing 6 h after the end), a night worker (N9, 22:00–06:00 daily),
// an inactive one (X1), one who left on 11-25 (L1) and one without a chat
// account (W1), all in Shanghai.
func stillRosters(tb testing.TB) []core.Roster {
	tb.Helper()
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	all := append(slices.Clone(weekdays), time.Saturday, time.Sunday)
	day := &core.Schedule{ID: "day", WorkDays: weekdays, StartMin: 9 * 60, EndMin: 18 * 60, CheckInOpensMin: 120, CheckOutClosesMin: 360}
	night := &core.Schedule{ID: "night", WorkDays: all, StartMin: 22 * 60, EndMin: 30 * 60, CheckInOpensMin: 120, CheckOutClosesMin: 360}
	person := func(id, lang string, s *core.Schedule, active bool, left string, chat bool) core.Roster {
		e := core.Employee{ID: id, Name: id, Lang: lang, Active: active, TimeZone: "Asia/Shanghai", Left: left}
		if chat {
			e.Identities = []core.Identity{{Platform: core.PlatformWeCom, Tenant: "corp", UserID: strings.ToLower(id), EmployeeID: id}}
		}
		return core.Roster{Employee: e, Schedule: s}
	}
	rs := []core.Roster{
		person("D1", "zh", day, true, "", true),
		person("N9", "en", night, true, "", true),
		person("X1", "zh", day, false, "", true),
		person("L1", "zh", day, true, "2026-11-25", true),
		person("W1", "zh", day, true, "", false),
	}
	core.ResolveZones(rs)
	return rs
}

func TestStillClockedInDeliveries(t *testing.T) {
	rosters := stillRosters(t)
	rem := core.Reminder{ID: "still", Kind: core.ReminderStillClockedIn, Enabled: true} // default 9 h
	in := func(emp, at, date string) core.Punch { return validPunch(emp, core.KindIn, sh(t, at), date) }
	out := func(emp, at, date string) core.Punch { return validPunch(emp, core.KindOut, sh(t, at), date) }
	tests := []struct {
		name    string
		at      string
		forced  bool
		rem     *core.Reminder
		punches []core.Punch
		makeups []core.MakeupRequest
		want    []string // recipients
		since   string   // D1's or N9's ClockedInAt, when one is told
	}{
		{"9 h after a clock-in not clocked out", "2026-11-26 17:45:00", false, nil,
			[]core.Punch{in("D1", "2026-11-26 08:45:20", "2026-11-26")}, nil, []string{"D1"}, "2026-11-26 08:45:20"},
		{"a minute earlier nothing", "2026-11-26 17:44:00", false, nil,
			[]core.Punch{in("D1", "2026-11-26 08:45:20", "2026-11-26")}, nil, nil, ""},
		{"clocked out already", "2026-11-26 17:45:00", false, nil,
			[]core.Punch{in("D1", "2026-11-26 08:45:00", "2026-11-26"), out("D1", "2026-11-26 17:30:00", "2026-11-26")}, nil, nil, ""},
		{"a rejected clock-out does not count", "2026-11-26 17:45:00", false, nil,
			[]core.Punch{in("D1", "2026-11-26 08:45:00", "2026-11-26"),
				{EmployeeID: "D1", Kind: core.KindOut, At: sh(t, "2026-11-26 17:30:00"), ShiftDate: "2026-11-26", Outcome: core.OutcomeRejected}},
			nil, []string{"D1"}, "2026-11-26 08:45:00"},
		{"a repeated clock-in: the first one counts, not the second", "2026-11-26 17:50:00", false, nil,
			[]core.Punch{in("D1", "2026-11-26 08:45:00", "2026-11-26"), in("D1", "2026-11-26 08:50:00", "2026-11-26")}, nil, nil, ""},
		{"back in after a clock-out: since the second clock-in", "2026-11-26 22:00:00", false, nil,
			[]core.Punch{in("D1", "2026-11-26 08:00:00", "2026-11-26"), out("D1", "2026-11-26 12:00:00", "2026-11-26"), in("D1", "2026-11-26 13:00:00", "2026-11-26")},
			nil, []string{"D1"}, "2026-11-26 13:00:00"},
		{"yesterday never clocked out: today's clock-in still counts", "2026-11-26 18:00:00", false, nil,
			[]core.Punch{in("D1", "2026-11-25 09:00:00", "2026-11-25"), in("D1", "2026-11-26 09:00:00", "2026-11-26")}, nil, []string{"D1"}, "2026-11-26 09:00:00"},
		{"the clock-out window has closed (18:00 + 6 h)", "2026-11-27 00:00:00", false, &core.Reminder{ID: "still", Kind: core.ReminderStillClockedIn, HoursAfter: 24, Enabled: true},
			[]core.Punch{in("D1", "2026-11-26 00:00:00", "2026-11-26")}, nil, nil, ""},
		{"hours_after 2", "2026-11-26 11:00:00", false, &core.Reminder{ID: "still", Kind: core.ReminderStillClockedIn, HoursAfter: 2, Enabled: true},
			[]core.Punch{in("D1", "2026-11-26 09:00:00", "2026-11-26")}, nil, []string{"D1"}, "2026-11-26 09:00:00"},
		{"a night shift: clocked in 22:00, told 07:00 the next day", "2026-11-27 07:00:00", false, nil,
			[]core.Punch{in("N9", "2026-11-26 22:00:00", "2026-11-26")}, nil, []string{"N9"}, "2026-11-26 22:00:00"},
		{"a night shift clocked out after midnight", "2026-11-27 07:00:00", false, nil,
			[]core.Punch{in("N9", "2026-11-26 22:00:00", "2026-11-26"), out("N9", "2026-11-27 06:05:00", "2026-11-26")}, nil, nil, ""},
		{"inactive, left, or without a chat account", "2026-11-26 18:00:00", false, nil,
			[]core.Punch{in("X1", "2026-11-26 09:00:00", "2026-11-26"), in("L1", "2026-11-26 09:00:00", "2026-11-26"), in("W1", "2026-11-26 09:00:00", "2026-11-26")},
			nil, nil, ""},
		{"a make-up for the clock-out is already filed", "2026-11-26 18:00:00", false, nil,
			[]core.Punch{in("D1", "2026-11-26 09:00:00", "2026-11-26")},
			[]core.MakeupRequest{{EmployeeID: "D1", ShiftDate: "2026-11-26", Kind: core.KindOut, Status: core.MakeupPending}}, nil, ""},
		{"a rejected make-up does not cover it", "2026-11-26 18:00:00", false, nil,
			[]core.Punch{in("D1", "2026-11-26 09:00:00", "2026-11-26")},
			[]core.MakeupRequest{{EmployeeID: "D1", ShiftDate: "2026-11-26", Kind: core.KindOut, Status: core.MakeupRejected}}, []string{"D1"}, "2026-11-26 09:00:00"},
		{"by hand: anyone in for 9 h or more", "2026-11-26 19:00:00", true, nil,
			[]core.Punch{in("D1", "2026-11-26 09:00:00", "2026-11-26"), in("N9", "2026-11-26 12:00:00", "2026-11-26")}, nil, []string{"D1"}, "2026-11-26 09:00:00"},
		{"outside the audience", "2026-11-26 18:00:00", false,
			&core.Reminder{ID: "still", Kind: core.ReminderStillClockedIn, Enabled: true, Audience: core.Audience{Employees: []string{"N9"}}},
			[]core.Punch{in("D1", "2026-11-26 09:00:00", "2026-11-26")}, nil, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rem
			if tc.rem != nil {
				r = *tc.rem
			}
			punches := map[string][]core.Punch{}
			for _, p := range tc.punches {
				punches[p.EmployeeID] = append(punches[p.EmployeeID], p)
			}
			q := core.DueQuery{At: sh(t, tc.at), Forced: tc.forced}
			ds := core.StillClockedInDeliveries(r, rosters, punches, tc.makeups, q, false)
			if got := recipients(ds); !slices.Equal(got, tc.want) {
				t.Fatalf("recipients at %s = %v, want %v", tc.at, got, tc.want)
			}
			if len(ds) == 0 {
				return
			}
			n := ds[0].Notice
			if got := n.ClockedInAt.In(sh(t, tc.at).Location()).Format("2006-01-02 15:04:05"); got != tc.since {
				t.Errorf("clocked in at %s, want %s", got, tc.since)
			}
			if n.Kind != core.ReminderStillClockedIn || n.Lang != rosters[slices.IndexFunc(rosters, func(r core.Roster) bool { return r.Employee.ID == tc.want[0] })].Employee.Lang {
				t.Errorf("notice = %+v, want a still_clocked_in notice in the person's language", n)
			}
		})
	}
}

// TestStillClockedInOncePerShift: the key names the shift, so a firing
// at another minute (by hand, after the scheduled one) queues nothing new.
func TestStillClockedInOncePerShift(t *testing.T) {
	rosters := stillRosters(t)
	rem := core.Reminder{ID: "still", Kind: core.ReminderStillClockedIn, Enabled: true}
	punches := map[string][]core.Punch{"D1": {validPunch("D1", core.KindIn, sh(t, "2026-11-26 09:00:00"), "2026-11-26")}}
	first := core.StillClockedInDeliveries(rem, rosters, punches, nil, core.DueQuery{At: sh(t, "2026-11-26 18:00:00")}, false)
	byHand := core.StillClockedInDeliveries(rem, rosters, punches, nil, core.DueQuery{At: sh(t, "2026-11-26 19:30:00"), Forced: true}, false)
	if len(first) != 1 || len(byHand) != 1 {
		t.Fatalf("deliveries = %d and %d, want one each", len(first), len(byHand))
	}
	if first[0].Key != byHand[0].Key {
		t.Errorf("keys %q and %q differ: the person would be told twice for one shift", first[0].Key, byHand[0].Key)
	}
	next := map[string][]core.Punch{"D1": {validPunch("D1", core.KindIn, sh(t, "2026-11-27 09:00:00"), "2026-11-27")}}
	if other := core.StillClockedInDeliveries(rem, rosters, next, nil, core.DueQuery{At: sh(t, "2026-11-27 18:00:00")}, false); len(other) != 1 || other[0].Key == first[0].Key {
		t.Errorf("the next shift's delivery = %+v, want one under another key", other)
	}
}

func TestStillClockedInWindow(t *testing.T) {
	rem := core.Reminder{Kind: core.ReminderStillClockedIn, HoursAfter: 10}
	from, to := core.StillClockedInWindow(rem, core.DueQuery{At: sh(t, "2026-11-26 19:00:30")})
	if want := sh(t, "2026-11-26 09:00:00"); !from.Equal(want) || !to.Equal(want.Add(time.Minute)) {
		t.Errorf("window = [%s, %s), want the minute of %s", from, to, want)
	}
	if got := rem.StillClockedInDueAt(sh(t, "2026-11-26 09:00:59")); !got.Equal(sh(t, "2026-11-26 19:00:00")) {
		t.Errorf("due at %s, want 19:00", got)
	}
}
