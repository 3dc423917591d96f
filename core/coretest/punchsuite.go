package coretest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

func stTimeZoneRoundTrip(t *testing.T, s Store) {
	ctx := context.Background()
	shanghai, newYork := stZone(t, "Asia/Shanghai"), stZone(t, "America/New_York")
	tests := []struct {
		name string
		at   time.Time
	}{
		{"Shanghai morning", time.Date(2026, 11, 26, 9, 0, 0, 0, shanghai)},
		{"Shanghai one minute to midnight", time.Date(2026, 11, 26, 23, 59, 0, 0, shanghai)},
		{"New York just before the DST jump", time.Date(2026, 3, 8, 1, 59, 59, 999999000, newYork)},
		{"New York in the repeated DST hour", time.Date(2026, 11, 1, 1, 30, 0, 0, newYork).Add(time.Hour)},
		{"microseconds", time.Date(2026, 11, 26, 9, 0, 0, 123456000, shanghai)},
		{"nanoseconds", time.Date(2026, 11, 26, 9, 0, 0, 123456789, newYork)},
		{"UTC", time.Date(2026, 11, 26, 1, 0, 0, 1000, time.UTC)},
	}
	for i, tc := range tests {
		p := stPunch(tc.at, fmt.Sprintf("tz-%d", i))
		p.ReceivedAt = tc.at.In(newYork).Add(time.Second)
		p.ShiftDate = tc.at.Format(core.DateLayout)
		stored := stMustInsertPunch(t, s, p)

		got := stMustListPunches(t, s, core.PunchFilter{EmployeeID: "li", From: tc.at.In(time.UTC).Truncate(storePrecision), To: tc.at.In(shanghai).Add(storePrecision)})
		if len(got) != 1 || got[0].ID != stored.ID {
			t.Errorf("%s: ListPunches around %v = %+v, want punch %d", tc.name, tc.at, got, stored.ID)
			continue
		}
		stWantInstant(t, tc.name+" At", got[0].At, tc.at)
		stWantInstant(t, tc.name+" ReceivedAt", got[0].ReceivedAt, p.ReceivedAt)
		if got[0].ShiftDate != p.ShiftDate {
			t.Errorf("%s: ShiftDate = %q, want %q", tc.name, got[0].ShiftDate, p.ShiftDate)
		}
		if got[0].At.Compare(tc.at) > 0 {
			t.Errorf("%s: stored time %v is after the original %v (rounded up)", tc.name, got[0].At, tc.at)
		}
		stMustInTx(t, s, func(tx core.Tx) error {
			last, err := tx.LastLocatedPunch(ctx, "li", tc.at)
			if err != nil {
				return err
			}
			if last.ID != stored.ID {
				t.Errorf("%s: LastLocatedPunch(%v) = %d, want %d", tc.name, tc.at, last.ID, stored.ID)
			}
			return nil
		})
		stMustInTx(t, s, func(tx core.Tx) error {
			return tx.InsertEvent(ctx, core.EventRecord{Source: "tz", EventID: p.EventID, CreatedAt: tc.at})
		})
		rec, err := s.EventReply(ctx, "tz", p.EventID)
		if err != nil {
			t.Fatalf("EventReply: %v", err)
		}
		stWantInstant(t, tc.name+" event CreatedAt", rec.CreatedAt, tc.at)
	}
	// Ranges use the instant whatever zone the bounds are written in.
	from := time.Date(2026, 11, 26, 9, 0, 0, 0, shanghai)
	to := time.Date(2026, 11, 26, 11, 0, 0, 0, newYork) // 00:00 next day in Shanghai
	got := stMustListPunches(t, s, core.PunchFilter{EmployeeID: "li", From: from, To: to})
	if len(got) != 5 {
		t.Errorf("ListPunches(%v, %v) = %d punches, want 5", from, to, len(got))
	}
}

// stWantInstant checks got is want, or want truncated to the store's
// precision; see storePrecision.
func stWantInstant(tb testing.TB, what string, got, want time.Time) {
	tb.Helper()
	if !got.Equal(want) && !got.Equal(want.Truncate(storePrecision)) {
		tb.Errorf("%s = %v, want %v (or truncated to %v)", what, got.UTC().Format(time.RFC3339Nano), want.UTC().Format(time.RFC3339Nano), storePrecision)
	}
}

func stPunchRoundTrip(t *testing.T, s Store) {
	p := stPunch(stNow, "rt-1")
	p.Kind, p.Outcome, p.TimeResult = core.KindOut, core.OutcomeField, core.TimeEarly
	p.EarlyMin, p.LateMin = 17, 3
	p.Reasons = []string{core.ReasonOutOfRange, core.ReasonNotIn}
	p.Flags = []string{core.FlagOfflineDelay, core.FlagIdenticalCoords}
	p.ClientIP, p.MakeupID, p.Lat, p.Lng = "2001:db8::1", 42, -33.856784, 151.215297
	stored := stMustInsertPunch(t, s, p)
	other := stMustInsertPunch(t, s, stPunch(stNow.Add(time.Second), "rt-2"))
	if other.ID <= stored.ID {
		t.Errorf("punch ids %d then %d, want increasing", stored.ID, other.ID)
	}
	got := stMustListPunches(t, s, core.PunchFilter{EmployeeID: "li", Limit: 1})
	if len(got) != 1 {
		t.Fatalf("ListPunches limit 1 = %d punches", len(got))
	}
	want := p
	want.ID = stored.ID
	stDiff(t, "punch round trip", stNormPunch(got[0]), stNormPunch(want))

	rejected := stPunch(stNow.Add(2*time.Second), "rt-3")
	rejected.HasLocation, rejected.Lat, rejected.Lng, rejected.AccuracyM, rejected.Label, rejected.SiteID, rejected.DistanceM = false, 0, 0, 0, "", "", 0
	rejected.Outcome, rejected.TimeResult, rejected.Reasons, rejected.Flags = core.OutcomeRejected, "", []string{core.ReasonNoLocation}, nil
	rejected = stMustInsertPunch(t, s, rejected)
	got = stMustListPunches(t, s, core.PunchFilter{EmployeeID: "li", From: rejected.At})
	if len(got) != 1 {
		t.Fatalf("ListPunches from %v = %d punches, want 1", rejected.At, len(got))
	}
	stDiff(t, "rejected punch round trip", stNormPunch(got[0]), stNormPunch(rejected))
}

func stShiftPunches(t *testing.T, s Store) {
	ctx := context.Background()
	base := time.Date(2026, 11, 26, 9, 0, 0, 0, stZone(t, "Asia/Shanghai"))
	mk := func(emp, date string, at time.Time, ev string) core.Punch {
		p := stPunch(at, ev)
		p.EmployeeID, p.ShiftDate = emp, date
		return stMustInsertPunch(t, s, p)
	}
	// Inserted out of order; the overnight punch at 01:30 on the 27th
	// belongs to the shift of the 26th.
	p3 := mk("li", "2026-11-26", base.Add(16*time.Hour+30*time.Minute), "s3")
	p1 := mk("li", "2026-11-26", base, "s1")
	p2 := mk("li", "2026-11-26", base.Add(9*time.Hour), "s2")
	mk("li", "2026-11-27", base.Add(24*time.Hour), "s4")
	mk("boss", "2026-11-26", base.Add(time.Minute), "s5")

	stMustInTx(t, s, func(tx core.Tx) error {
		ps, err := tx.ShiftPunches(ctx, "li", "2026-11-26")
		if err != nil {
			return err
		}
		var ids []int64
		for _, p := range ps {
			ids = append(ids, p.ID)
		}
		stDiff(t, "ShiftPunches ids by time", ids, []int64{p1.ID, p2.ID, p3.ID})
		if len(ps) == 3 {
			stDiff(t, "ShiftPunches first punch", stNormPunch(ps[0]), stNormPunch(p1))
		}
		return nil
	})

	tests := []struct {
		name string
		f    core.PunchFilter
		want []string
	}{
		{"all of li", core.PunchFilter{EmployeeID: "li"}, []string{"s1", "s2", "s3", "s4"}},
		{"everyone", core.PunchFilter{}, []string{"s1", "s5", "s2", "s3", "s4"}},
		{"from is inclusive", core.PunchFilter{EmployeeID: "li", From: p2.At}, []string{"s2", "s3", "s4"}},
		{"to is exclusive", core.PunchFilter{EmployeeID: "li", To: p3.At}, []string{"s1", "s2"}},
		{"limit keeps the earliest", core.PunchFilter{From: base, Limit: 2}, []string{"s1", "s5"}},
		{"empty range", core.PunchFilter{From: p2.At, To: p2.At}, nil},
	}
	for _, tc := range tests {
		var got []string
		for _, p := range stMustListPunches(t, s, tc.f) {
			got = append(got, p.EventID)
		}
		stDiff(t, "ListPunches "+tc.name, got, tc.want)
	}

	// A span of shift dates in one read, the overnight punch with the
	// shift it belongs to; a punch inserted earlier in the same
	// transaction is seen.
	spans := []struct {
		from, to string
		want     []string
	}{
		{"2026-11-26", "2026-11-27", []string{"s1", "s2", "s3", "s4"}},
		{"2026-11-27", "2026-11-27", []string{"s4"}},
		{"2026-11-25", "2026-11-30", []string{"s1", "s2", "s3", "s4", "s6"}},
		{"2026-11-29", "2026-11-30", nil},
	}
	readSpans := func(tx core.Tx, what string) error {
		for _, sp := range spans {
			ps, err := tx.ShiftPunchesBetween(ctx, "li", sp.from, sp.to)
			if err != nil {
				return err
			}
			var got []string
			for _, p := range ps {
				got = append(got, p.EventID)
			}
			stDiff(t, what+" ShiftPunchesBetween "+sp.from+".."+sp.to, got, sp.want)
		}
		return nil
	}
	stMustInTx(t, s, func(tx core.Tx) error {
		late := stPunch(base.Add(48*time.Hour), "s6")
		late.ShiftDate = "2026-11-28"
		if err := tx.InsertPunch(ctx, &late); err != nil {
			return err
		}
		return readSpans(tx, "after an insert:")
	})
	// The same spans as the first reads under the employee's lock, which a
	// store may answer from one read of the days around them.
	for _, first := range spans {
		stMustInTx(t, s, func(tx core.Tx) error {
			if err := tx.LockEmployee(ctx, "li"); err != nil {
				return err
			}
			if _, err := tx.ShiftPunchesBetween(ctx, "li", first.from, first.to); err != nil {
				return err
			}
			return readSpans(tx, "locked, "+first.from+" first:")
		})
	}
}

func stLastLocated(t *testing.T, s Store) {
	ctx := context.Background()
	t1 := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	located := func(at time.Time, ev string, has bool) core.Punch {
		p := stPunch(at, ev)
		p.HasLocation = has
		p.Lat += float64(at.Minute()) / 1000
		return stMustInsertPunch(t, s, p)
	}
	a := located(t1, "l1", true)
	located(t1.Add(10*time.Minute), "l2", false)
	c := located(t1.Add(20*time.Minute), "l3", true)
	d := located(t1.Add(30*time.Minute), "l4", true)
	other := stPunch(t1.Add(25*time.Minute), "l5")
	other.EmployeeID = "boss"
	stMustInsertPunch(t, s, other)

	tests := []struct {
		name   string
		before time.Time
		want   int64 // 0: ENOTFOUND
	}{
		{"at a punch's own time", c.At, c.ID},
		{"skips a punch without location", t1.Add(15 * time.Minute), a.ID},
		{"ignores other employees", t1.Add(27 * time.Minute), c.ID},
		{"latest", t1.Add(time.Hour), d.ID},
		{"before the first", t1.Add(-time.Microsecond), 0},
	}
	for _, tc := range tests {
		stMustInTx(t, s, func(tx core.Tx) error {
			got, err := tx.LastLocatedPunch(ctx, "li", tc.before)
			if tc.want == 0 {
				stWantCode(t, tc.name, err, core.ENOTFOUND)
				return nil
			}
			if err != nil {
				t.Errorf("%s: LastLocatedPunch: %v", tc.name, err)
				return nil
			}
			if got.ID != tc.want || !got.HasLocation {
				t.Errorf("%s: LastLocatedPunch = %d, want %d", tc.name, got.ID, tc.want)
			}
			if got.ID == c.ID {
				stDiff(t, tc.name+" punch", stNormPunch(got), stNormPunch(c))
			}
			return nil
		})
	}
	// Inside one transaction a punch just inserted counts.
	stMustInTx(t, s, func(tx core.Tx) error {
		if err := tx.LockEmployee(ctx, "li"); err != nil {
			return err
		}
		if _, err := tx.ShiftPunches(ctx, "li", d.ShiftDate); err != nil {
			return err
		}
		if got, err := tx.LastLocatedPunch(ctx, "li", t1.Add(time.Hour)); err != nil || got.ID != d.ID {
			t.Errorf("LastLocatedPunch before insert = %d, %v, want %d", got.ID, err, d.ID)
		}
		e := stPunch(t1.Add(40*time.Minute), "l6")
		if err := tx.InsertPunch(ctx, &e); err != nil {
			return err
		}
		got, err := tx.LastLocatedPunch(ctx, "li", t1.Add(time.Hour))
		if err != nil {
			return err
		}
		if got.ID != e.ID {
			t.Errorf("LastLocatedPunch after insert in the same transaction = %d, want %d", got.ID, e.ID)
		}
		return nil
	})
}

func stEventRoundTrip(t *testing.T, s Store) {
	ctx := context.Background()
	shanghai := stZone(t, "Asia/Shanghai")
	at := time.Date(2026, 11, 26, 9, 3, 0, 0, shanghai)
	in := core.Punch{ID: 7, EmployeeID: "li", Kind: core.KindIn, At: at, ShiftDate: "2026-11-26", Outcome: core.OutcomeAccepted}
	rec := core.EventRecord{
		Source: "feishu", EventID: "om_x100", EmployeeID: "li", CreatedAt: at,
		Reply: core.Reply{
			Outcome: core.OutcomeAccepted, Kind: core.KindIn, Reasons: []string{core.ReasonAlreadyIn}, Flags: []string{core.FlagLowAccuracy},
			Platform: core.PlatformFeishu, EmployeeID: "li", EmployeeName: "李雷", Lang: "zh", TimeZone: "Asia/Shanghai",
			At: at, ShiftDate: "2026-11-26", TimeResult: core.TimeLate, LateMin: 3, SiteID: "hq", SiteName: "望京SOHO",
			DistanceM: 12.5, RadiusM: 300, AccuracyM: 30, WindowOpens: at.Add(-time.Hour), WindowCloses: at.Add(10 * time.Hour),
			PunchID: 7, RetryAfter: 1500 * time.Millisecond, Contact: "HR",
			Day: &core.DayResult{EmployeeID: "li", Date: "2026-11-26", Workday: true, Statuses: []core.DayStatus{core.DayLate}, In: &in, LateMin: 3},
		},
	}
	stMustInTx(t, s, func(tx core.Tx) error { return tx.InsertEvent(ctx, rec) })
	got, err := s.EventReply(ctx, "feishu", "om_x100")
	if err != nil {
		t.Fatalf("EventReply: %v", err)
	}
	if got.Source != rec.Source || got.EventID != rec.EventID || got.EmployeeID != rec.EmployeeID || !got.CreatedAt.Equal(rec.CreatedAt) {
		t.Errorf("EventReply record = %+v, want %+v", got, rec)
	}
	gotJSON, _ := json.Marshal(got.Reply)
	wantJSON, _ := json.Marshal(rec.Reply)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("EventReply reply:\n got  %s\n want %s", gotJSON, wantJSON)
	}
	if !got.Reply.At.Equal(at) {
		t.Errorf("reply At = %v, want %v", got.Reply.At, at)
	}
}
