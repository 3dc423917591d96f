package core_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

func roster(tb testing.TB, employee string) core.Roster {
	tb.Helper()
	h := newHarness(tb, nil)
	r, err := h.svc.Roster(context.Background(), employee)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func p(kind core.PunchKind, at time.Time, date string, outcome core.Outcome) core.Punch {
	return core.Punch{Kind: kind, At: at, ShiftDate: date, Outcome: outcome}
}

func TestComputeDay(t *testing.T) {
	day := roster(t, "E1")
	night := roster(t, "N1")
	flex := roster(t, "W1")
	after := sh(t, "2026-11-28 12:00:00") // long after every window closed
	acc, field, rej := core.OutcomeAccepted, core.OutcomeField, core.OutcomeRejected
	const d = "2026-11-26"
	tests := []struct {
		name      string
		r         core.Roster
		date      string
		punches   []core.Punch
		now       time.Time
		want      []core.DayStatus
		late      int
		early     int
		workedMin int
	}{
		{"normal day", day, d, []core.Punch{p("in", sh(t, d+" 08:58:00"), d, acc), p("out", sh(t, d+" 18:05:00"), d, acc)}, after,
			[]core.DayStatus{core.DayNormal}, 0, 0, 547},
		{"late", day, d, []core.Punch{p("in", sh(t, d+" 09:20:00"), d, acc), p("out", sh(t, d+" 18:00:00"), d, acc)}, after,
			[]core.DayStatus{core.DayLate}, 20, 0, 520},
		{"serious late and early leave", day, d, []core.Punch{p("in", sh(t, d+" 09:40:00"), d, acc), p("out", sh(t, d+" 17:00:00"), d, acc)}, after,
			[]core.DayStatus{core.DaySeriousLate, core.DayEarlyLeave}, 40, 60, 440},
		{"late beyond the absent threshold", day, d, []core.Punch{p("in", sh(t, d+" 11:30:00"), d, acc), p("out", sh(t, d+" 18:00:00"), d, acc)}, after,
			[]core.DayStatus{core.DayAbsent}, 150, 0, 390},
		{"missing in", day, d, []core.Punch{p("out", sh(t, d+" 18:00:00"), d, acc)}, after,
			[]core.DayStatus{core.DayMissingIn}, 0, 0, 0},
		{"missing out", day, d, []core.Punch{p("in", sh(t, d+" 08:50:00"), d, acc)}, after,
			[]core.DayStatus{core.DayMissingOut}, 0, 0, 0},
		{"out not missing while the window is open", day, d, []core.Punch{p("in", sh(t, d+" 08:50:00"), d, acc)}, sh(t, d+" 23:00:00"),
			[]core.DayStatus{core.DayInProgress}, 0, 0, 0},
		{"absent", day, d, nil, after, []core.DayStatus{core.DayAbsent}, 0, 0, 0},
		{"rejected attempts do not count", day, d, []core.Punch{p("in", sh(t, d+" 08:50:00"), d, rej)}, after, []core.DayStatus{core.DayAbsent}, 0, 0, 0},
		{"field day", day, d, []core.Punch{p("in", sh(t, d+" 08:50:00"), d, field), p("out", sh(t, d+" 18:00:00"), d, acc)}, after,
			[]core.DayStatus{core.DayNormal, core.DayField}, 0, 0, 550},
		{"first in and last out count", day, d, []core.Punch{p("in", sh(t, d+" 08:50:00"), d, acc), p("in", sh(t, d+" 09:30:00"), d, acc),
			p("out", sh(t, d+" 17:00:00"), d, acc), p("out", sh(t, d+" 18:10:00"), d, acc)}, after, []core.DayStatus{core.DayNormal}, 0, 0, 560},
		{"holiday", day, "2026-10-01", nil, after, []core.DayStatus{core.DayHoliday}, 0, 0, 0},
		{"调休 Saturday without punches is absent", day, "2026-10-10", nil, after, []core.DayStatus{core.DayAbsent}, 0, 0, 0},
		{"weekend", day, "2026-11-28", nil, sh(t, "2026-11-30 12:00:00"), []core.DayStatus{core.DayRest}, 0, 0, 0},
		{"overnight shift across midnight", night, d, []core.Punch{p("in", sh(t, d+" 21:55:00"), d, acc), p("out", sh(t, "2026-11-27 02:01:00"), d, acc)}, after,
			[]core.DayStatus{core.DayNormal}, 0, 0, 246},
		{"flexible late arrival must stay later", flex, d, []core.Punch{p("in", sh(t, d+" 09:20:00"), d, acc), p("out", sh(t, d+" 18:10:00"), d, acc)}, after,
			[]core.DayStatus{core.DayEarlyLeave}, 0, 10, 530},
		{"flexible late arrival staying late is normal", flex, d, []core.Punch{p("in", sh(t, d+" 09:20:00"), d, acc), p("out", sh(t, d+" 18:20:00"), d, acc)}, after,
			[]core.DayStatus{core.DayNormal}, 0, 0, 540},
		{"flexible beyond its window is late", flex, d, []core.Punch{p("in", sh(t, d+" 09:45:00"), d, acc), p("out", sh(t, d+" 18:30:00"), d, acc)}, after,
			[]core.DayStatus{core.DayLate}, 15, 0, 525},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := core.ComputeDay(tc.r, tc.date, tc.punches, tc.now)
			if !slices.Equal(got.Statuses, tc.want) {
				t.Errorf("statuses = %v, want %v", got.Statuses, tc.want)
			}
			if got.LateMin != tc.late || got.EarlyMin != tc.early || got.WorkedMin != tc.workedMin {
				t.Errorf("late/early/worked = %d/%d/%d, want %d/%d/%d", got.LateMin, got.EarlyMin, got.WorkedMin, tc.late, tc.early, tc.workedMin)
			}
		})
	}
}

func TestShiftOnAcrossDST(t *testing.T) {
	// New York leaves daylight time on Sunday 2026-11-01: 09:00 local is
	// 13:00 UTC the day before and 14:00 UTC the day after.
	r := roster(t, "E2")
	loc := r.Zone()
	tests := []struct {
		date      string
		wantStart string
	}{
		{"2026-10-31", "2026-10-31T13:00:00Z"},
		{"2026-11-02", "2026-11-02T14:00:00Z"},
	}
	for _, tc := range tests {
		day, _ := time.ParseInLocation(core.DateLayout, tc.date, loc)
		got := r.Schedule.ShiftOn(day, loc, r.Calendar)
		if s := got.Start.UTC().Format(time.RFC3339); s != tc.wantStart {
			t.Errorf("%s: start = %s, want %s", tc.date, s, tc.wantStart)
		}
		if got.End.Sub(got.Start) != 9*time.Hour {
			t.Errorf("%s: shift lasts %s, want 9h", tc.date, got.End.Sub(got.Start))
		}
	}
}

func TestDayKind(t *testing.T) {
	r := roster(t, "E1")
	tests := []struct {
		date    string
		workday bool
		holiday string
	}{
		{"2026-11-26", true, ""},     // Thursday
		{"2026-11-28", false, ""},    // Saturday
		{"2026-10-01", false, "国庆节"}, // holiday on a Thursday
		{"2026-10-10", true, ""},     // 调休 Saturday
	}
	for _, tc := range tests {
		day, _ := time.ParseInLocation(core.DateLayout, tc.date, r.Zone())
		work, hol := core.DayKind(r.Schedule, r.Calendar, day)
		if work != tc.workday || hol != tc.holiday {
			t.Errorf("%s: workday %v holiday %q, want %v %q", tc.date, work, hol, tc.workday, tc.holiday)
		}
	}
}
