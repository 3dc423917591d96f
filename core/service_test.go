package core_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

func TestPunchRules(t *testing.T) {
	onSite := north(office, 50)
	tests := []struct {
		name       string
		user       string
		kind       core.PunchKind
		at         time.Time
		loc        *core.Location
		outcome    core.Outcome
		wantKind   core.PunchKind
		shiftDate  string
		timeResult core.TimeResult
		lateMin    int
		earlyMin   int
		reason     string // a reason code that must be present
	}{
		{name: "early check-in is normal", user: "zhangsan", kind: core.KindIn, at: sh(t, "2026-11-26 08:55:00"), loc: onSite,
			outcome: core.OutcomeAccepted, wantKind: core.KindIn, shiftDate: "2026-11-26", timeResult: core.TimeNormal},
		{name: "within late grace", user: "zhangsan", kind: core.KindIn, at: sh(t, "2026-11-26 09:05:59"), loc: onSite,
			outcome: core.OutcomeAccepted, wantKind: core.KindIn, shiftDate: "2026-11-26", timeResult: core.TimeNormal},
		{name: "late", user: "zhangsan", kind: core.KindIn, at: sh(t, "2026-11-26 09:10:00"), loc: onSite,
			outcome: core.OutcomeAccepted, wantKind: core.KindIn, shiftDate: "2026-11-26", timeResult: core.TimeLate, lateMin: 10},
		{name: "serious late", user: "zhangsan", kind: core.KindIn, at: sh(t, "2026-11-26 09:45:00"), loc: onSite,
			outcome: core.OutcomeAccepted, wantKind: core.KindIn, shiftDate: "2026-11-26", timeResult: core.TimeSeriousLate, lateMin: 45},
		{name: "late beyond absent threshold", user: "zhangsan", kind: core.KindIn, at: sh(t, "2026-11-26 11:30:00"), loc: onSite,
			outcome: core.OutcomeAccepted, wantKind: core.KindIn, shiftDate: "2026-11-26", timeResult: core.TimeAbsentLate, lateMin: 150},
		{name: "window not open yet", user: "zhangsan", kind: core.KindIn, at: sh(t, "2026-11-26 06:59:00"), loc: onSite,
			outcome: core.OutcomeRejected, wantKind: core.KindIn, shiftDate: "2026-11-26", reason: core.ReasonWindowNotOpen},
		{name: "check-out at 23:59 still in the window", user: "zhangsan", kind: core.KindOut, at: sh(t, "2026-11-26 23:59:00"), loc: onSite,
			outcome: core.OutcomeAccepted, wantKind: core.KindOut, shiftDate: "2026-11-26", timeResult: core.TimeNormal},
		{name: "00:01 belongs to no shift", user: "zhangsan", kind: core.KindOut, at: sh(t, "2026-11-27 00:01:00"), loc: onSite,
			outcome: core.OutcomeRejected, shiftDate: "2026-11-27", wantKind: core.KindOut, reason: core.ReasonWindowNotOpen},
		{name: "early leave", user: "zhangsan", kind: core.KindOut, at: sh(t, "2026-11-26 17:40:00"), loc: onSite,
			outcome: core.OutcomeAccepted, wantKind: core.KindOut, shiftDate: "2026-11-26", timeResult: core.TimeEarly, earlyMin: 20, reason: core.ReasonNotIn},
		{name: "leaving 30 s early counts a minute", user: "zhangsan", kind: core.KindOut, at: sh(t, "2026-11-26 17:59:30"), loc: onSite,
			outcome: core.OutcomeAccepted, wantKind: core.KindOut, shiftDate: "2026-11-26", timeResult: core.TimeEarly, earlyMin: 1},
		{name: "overnight check-out at 01:30 belongs to the evening before", user: "night", kind: core.KindOut, at: sh(t, "2026-11-27 01:30:00"), loc: onSite,
			outcome: core.OutcomeAccepted, wantKind: core.KindOut, shiftDate: "2026-11-26", timeResult: core.TimeEarly, earlyMin: 30},
		{name: "overnight check-in at 21:30", user: "night", kind: core.KindIn, at: sh(t, "2026-11-26 21:30:00"), loc: onSite,
			outcome: core.OutcomeAccepted, wantKind: core.KindIn, shiftDate: "2026-11-26", timeResult: core.TimeNormal},
		{name: "调休 Saturday is a workday", user: "zhangsan", kind: core.KindIn, at: sh(t, "2026-10-10 09:20:00"), loc: onSite,
			outcome: core.OutcomeAccepted, wantKind: core.KindIn, shiftDate: "2026-10-10", timeResult: core.TimeLate, lateMin: 20},
		{name: "holiday punch is recorded as rest", user: "zhangsan", kind: core.KindIn, at: sh(t, "2026-10-01 09:20:00"), loc: onSite,
			outcome: core.OutcomeAccepted, wantKind: core.KindIn, shiftDate: "2026-10-01", timeResult: core.TimeRestDay, reason: core.ReasonHoliday},
		{name: "ordinary Saturday is a rest day", user: "zhangsan", kind: core.KindIn, at: sh(t, "2026-11-28 09:20:00"), loc: onSite,
			outcome: core.OutcomeAccepted, wantKind: core.KindIn, shiftDate: "2026-11-28", timeResult: core.TimeRestDay, reason: core.ReasonRestDay},
		{name: "New York employee on New York time", user: "alice", kind: core.KindIn, at: mustTime(t, "America/New_York", "2026-11-26 09:02:00"), loc: north(nyc, 20),
			outcome: core.OutcomeAccepted, wantKind: core.KindIn, shiftDate: "2026-11-26", timeResult: core.TimeNormal},
		{name: "same instant is evening in Beijing", user: "zhangsan", kind: core.KindOut, at: mustTime(t, "America/New_York", "2026-11-26 09:02:00"), loc: onSite,
			outcome: core.OutcomeAccepted, wantKind: core.KindOut, shiftDate: "2026-11-26", timeResult: core.TimeNormal, reason: core.ReasonNotIn},
		{name: "auto punch after mid-shift is a forgotten check-in's out", user: "zhangsan", kind: core.KindAuto, at: sh(t, "2026-11-26 14:00:00"), loc: onSite,
			outcome: core.OutcomeAccepted, wantKind: core.KindOut, shiftDate: "2026-11-26", timeResult: core.TimeEarly, earlyMin: 240},
		{name: "auto punch in the morning is in", user: "zhangsan", kind: core.KindAuto, at: sh(t, "2026-11-26 08:30:00"), loc: onSite,
			outcome: core.OutcomeAccepted, wantKind: core.KindIn, shiftDate: "2026-11-26", timeResult: core.TimeNormal},
		{name: "out of range is rejected", user: "zhangsan", kind: core.KindIn, at: sh(t, "2026-11-26 08:50:00"), loc: north(office, 1200),
			outcome: core.OutcomeRejected, wantKind: core.KindIn, shiftDate: "2026-11-26", timeResult: core.TimeNormal, reason: core.ReasonOutOfRange},
		{name: "out of range becomes a field punch", user: "field", kind: core.KindIn, at: sh(t, "2026-11-26 08:50:00"), loc: north(office, 1200),
			outcome: core.OutcomeFieldPending, wantKind: core.KindIn, shiftDate: "2026-11-26", timeResult: core.TimeNormal, reason: core.ReasonOutOfRange},
		{name: "out of range is flagged", user: "flag", kind: core.KindIn, at: sh(t, "2026-11-26 08:50:00"), loc: north(office, 1200),
			outcome: core.OutcomeAccepted, wantKind: core.KindIn, shiftDate: "2026-11-26", timeResult: core.TimeNormal},
		{name: "no sites means anywhere", user: "remote", kind: core.KindIn, at: sh(t, "2026-11-26 08:50:00"), loc: north(shanghai, 5000),
			outcome: core.OutcomeAccepted, wantKind: core.KindIn, shiftDate: "2026-11-26", timeResult: core.TimeNormal},
		{name: "impossible latitude", user: "zhangsan", kind: core.KindIn, at: sh(t, "2026-11-26 08:50:00"), loc: &core.Location{Lat: 91, Lng: 116},
			outcome: core.OutcomeRejected, wantKind: core.KindIn, shiftDate: "2026-11-26", timeResult: core.TimeNormal, reason: core.ReasonBadCoordinates},
		{name: "null island", user: "zhangsan", kind: core.KindIn, at: sh(t, "2026-11-26 08:50:00"), loc: &core.Location{},
			outcome: core.OutcomeRejected, wantKind: core.KindIn, shiftDate: "2026-11-26", timeResult: core.TimeNormal, reason: core.ReasonBadCoordinates},
		{name: "second site of a travelling employee", user: "travel", kind: core.KindIn, at: sh(t, "2026-11-26 08:50:00"), loc: north(shanghai, 100),
			outcome: core.OutcomeAccepted, wantKind: core.KindIn, shiftDate: "2026-11-26", timeResult: core.TimeNormal},
		{name: "flexible start slides the end", user: "flex", kind: core.KindIn, at: sh(t, "2026-11-26 09:25:00"), loc: onSite,
			outcome: core.OutcomeAccepted, wantKind: core.KindIn, shiftDate: "2026-11-26", timeResult: core.TimeNormal},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			got := h.punch(t, tc.user, tc.kind, tc.at, tc.loc, fmt.Sprintf("ev-%d", i))
			if got.Outcome != tc.outcome {
				t.Errorf("outcome = %s (reasons %v), want %s", got.Outcome, got.Reasons, tc.outcome)
			}
			if got.Kind != tc.wantKind {
				t.Errorf("kind = %q, want %q", got.Kind, tc.wantKind)
			}
			if got.ShiftDate != tc.shiftDate {
				t.Errorf("shift date = %s, want %s", got.ShiftDate, tc.shiftDate)
			}
			if tc.outcome != core.OutcomeRejected || tc.timeResult != "" {
				if got.TimeResult != tc.timeResult && tc.outcome != core.OutcomeRejected {
					t.Errorf("time result = %s, want %s", got.TimeResult, tc.timeResult)
				}
			}
			if got.LateMin != tc.lateMin || got.EarlyMin != tc.earlyMin {
				t.Errorf("late/early = %d/%d, want %d/%d", got.LateMin, got.EarlyMin, tc.lateMin, tc.earlyMin)
			}
			if tc.reason != "" && !slices.Contains(got.Reasons, tc.reason) {
				t.Errorf("reasons = %v, want %s among them", got.Reasons, tc.reason)
			}
			stored := h.punches(t, got.EmployeeID)
			if len(stored) != 1 {
				t.Fatalf("stored %d punches, want 1 (rejected attempts are kept too)", len(stored))
			}
			if stored[0].Outcome != tc.outcome || stored[0].ID != got.PunchID {
				t.Errorf("stored punch = %+v, want outcome %s id %d", stored[0], tc.outcome, got.PunchID)
			}
			if len(h.store.Outbox()) != 1 {
				t.Errorf("outbox has %d messages, want 1 reply", len(h.store.Outbox()))
			}
		})
	}
}

func TestOutOfRangeReplyCarriesDistance(t *testing.T) {
	h := newHarness(t, nil)
	got := h.punch(t, "zhangsan", core.KindIn, sh(t, "2026-11-26 08:50:00"), north(office, 1200), "e1")
	if got.SiteName != office.Name || got.RadiusM != office.RadiusM {
		t.Errorf("site = %q radius %v, want %q %v", got.SiteName, got.RadiusM, office.Name, office.RadiusM)
	}
	if got.DistanceM < 1190 || got.DistanceM > 1210 {
		t.Errorf("distance = %.1f m, want about 1200", got.DistanceM)
	}
	flagged := newHarness(t, nil).punch(t, "flag", core.KindIn, sh(t, "2026-11-26 08:50:00"), north(office, 1200), "e1")
	if !slices.Contains(flagged.Flags, core.FlagOutOfRange) {
		t.Errorf("flag policy: flags = %v, want %s", flagged.Flags, core.FlagOutOfRange)
	}
}

func TestDatumConversion(t *testing.T) {
	// The user stands 20 m north of the WGS-84 site; WeCom reports that spot
	// in GCJ-02. Ignoring the datum would put them ~500 m away.
	wLat, wLng := office.Lat+20/111195.0, office.Lng
	gLat, gLng := core.WGS84ToGCJ02(wLat, wLng)
	tests := []struct {
		name     string
		datum    core.Datum
		outcome  core.Outcome
		min, max float64
	}{
		{"declared GCJ-02 is converted", core.GCJ02, core.OutcomeAccepted, 15, 25},
		{"GCJ-02 read as WGS-84 is far off", core.WGS84, core.OutcomeRejected, 300, 800},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			got := h.punch(t, "zhangsan", core.KindIn, sh(t, "2026-11-26 08:50:00"), &core.Location{Lat: gLat, Lng: gLng, Datum: tc.datum}, "e")
			if got.Outcome != tc.outcome || got.DistanceM < tc.min || got.DistanceM > tc.max {
				t.Errorf("outcome %s at %.1f m, want %s within [%v, %v] m", got.Outcome, got.DistanceM, tc.outcome, tc.min, tc.max)
			}
		})
	}
}

func TestAccuracyAtRadiusBoundary(t *testing.T) {
	tests := []struct {
		name      string
		distance  float64
		accuracy  float64
		outcome   core.Outcome
		wantCause string
	}{
		{"inside the radius", 290, 0, core.OutcomeAccepted, ""},
		{"20 m outside, ±30 m fix counts", 320, 30, core.OutcomeAccepted, ""},
		{"20 m outside, exact fix does not", 320, 0, core.OutcomeRejected, core.ReasonOutOfRange},
		{"40 m outside, ±30 m fix does not", 340, 30, core.OutcomeRejected, core.ReasonOutOfRange},
		{"a vague fix widens at most 100 m", 600, 900, core.OutcomeRejected, core.ReasonOutOfRange},
		{"a fix vaguer than 1.5 km is refused", 100, 2000, core.OutcomeRejected, core.ReasonLowAccuracy},
		{"negative accuracy is invalid", 100, -1, core.OutcomeRejected, core.ReasonBadCoordinates},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			loc := north(office, tc.distance)
			loc.AccuracyM = tc.accuracy
			got := h.punch(t, "zhangsan", core.KindIn, sh(t, "2026-11-26 08:50:00"), loc, "e")
			if got.Outcome != tc.outcome {
				t.Errorf("outcome = %s (reasons %v, %.1f m), want %s", got.Outcome, got.Reasons, got.DistanceM, tc.outcome)
			}
			if tc.wantCause != "" && !slices.Contains(got.Reasons, tc.wantCause) {
				t.Errorf("reasons = %v, want %s", got.Reasons, tc.wantCause)
			}
		})
	}
}

func TestOfflineToleranceAndSkew(t *testing.T) {
	received := sh(t, "2026-11-26 20:00:00")
	tests := []struct {
		name    string
		msgTime time.Time
		outcome core.Outcome
		reason  string
		flag    string
		wantAt  time.Time
	}{
		{"on time", received, core.OutcomeAccepted, "", "", received},
		{"queued 3 h on a phone keeps its time", received.Add(-3 * time.Hour), core.OutcomeAccepted, "", core.FlagOfflineDelay, received.Add(-3 * time.Hour)},
		{"13 h late is too old", received.Add(-13 * time.Hour), core.OutcomeRejected, core.ReasonTooOld, "", time.Time{}},
		{"a clock 1 min ahead is clamped", received.Add(time.Minute), core.OutcomeAccepted, "", "", received},
		{"a clock 5 min ahead is refused", received.Add(5 * time.Minute), core.OutcomeRejected, core.ReasonFutureTime, "", time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.clock.Set(received)
			got, err := h.svc.Handle(context.Background(), core.Command{
				Actor: core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"},
				Kind:  core.CmdPunch, Punch: core.KindOut, At: tc.msgTime, Location: north(office, 10), EventID: "e",
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.Outcome != tc.outcome {
				t.Errorf("outcome = %s %v, want %s", got.Outcome, got.Reasons, tc.outcome)
			}
			if tc.reason != "" && !slices.Contains(got.Reasons, tc.reason) {
				t.Errorf("reasons = %v, want %s", got.Reasons, tc.reason)
			}
			if tc.flag != "" && !slices.Contains(got.Flags, tc.flag) {
				t.Errorf("flags = %v, want %s", got.Flags, tc.flag)
			}
			if !tc.wantAt.IsZero() && !got.At.Equal(tc.wantAt) {
				t.Errorf("punch time = %s, want %s", got.At, tc.wantAt)
			}
		})
	}
}

func TestConfigurableOfflineTolerance(t *testing.T) {
	h := newHarness(t, func(c *core.Config) { c.OfflineTolerance = time.Hour })
	h.clock.Set(sh(t, "2026-11-26 20:00:00"))
	got, err := h.svc.Handle(context.Background(), core.Command{
		Actor: core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"},
		Kind:  core.CmdPunch, Punch: core.KindOut, At: sh(t, "2026-11-26 18:30:00"), Location: north(office, 10), EventID: "e",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Outcome != core.OutcomeRejected || !slices.Contains(got.Reasons, core.ReasonTooOld) {
		t.Errorf("with a 1 h tolerance a 90 min old message: %s %v, want rejected too_old", got.Outcome, got.Reasons)
	}
}

func TestRetryOfTheSameEvent(t *testing.T) {
	h := newHarness(t, nil)
	at := sh(t, "2026-11-26 08:50:00")
	first := h.punch(t, "zhangsan", core.KindIn, at, north(office, 10), "msg-1")
	for i := range 3 {
		again := h.punch(t, "zhangsan", core.KindIn, at.Add(time.Duration(i)*time.Second), north(office, 10), "msg-1")
		if !again.Replayed || again.PunchID != first.PunchID || again.Outcome != first.Outcome {
			t.Errorf("retry %d = %+v, want the first reply (punch %d) replayed", i, again, first.PunchID)
		}
	}
	if n := len(h.punches(t, "E1")); n != 1 {
		t.Errorf("stored %d punches, want 1", n)
	}
	if n := len(h.store.Outbox()); n != 1 {
		t.Errorf("queued %d replies, want 1", n)
	}
}

func TestConcurrentRetries(t *testing.T) {
	h := newHarness(t, func(c *core.Config) { c.RateLimit = 0 })
	h.clock.Set(sh(t, "2026-11-26 08:50:00"))
	var wg sync.WaitGroup
	ids := make([]int64, 20)
	for i := range 20 {
		wg.Go(func() {
			r, err := h.svc.Handle(context.Background(), core.Command{
				Actor: core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"},
				Kind:  core.CmdPunch, Punch: core.KindIn, Location: north(office, 10), EventID: "same", ReplyRoute: "{}",
			})
			if err != nil {
				t.Error(err)
			}
			ids[i] = r.PunchID
		})
	}
	wg.Wait()
	for i, id := range ids {
		if id != ids[0] || id == 0 {
			t.Errorf("caller %d got punch %d, want %d for everyone", i, id, ids[0])
		}
	}
	if n := len(h.punches(t, "E1")); n != 1 {
		t.Errorf("stored %d punches, want 1", n)
	}
}

func TestIdentityChecks(t *testing.T) {
	tests := []struct {
		name    string
		actor   core.Identity
		outcome core.Outcome
	}{
		{"unknown user", core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "stranger"}, core.OutcomeUnknownUser},
		{"known user in another tenant", core.Identity{Platform: core.PlatformWeCom, Tenant: "other-corp", UserID: "zhangsan"}, core.OutcomeUnknownUser},
		{"known user on another platform", core.Identity{Platform: core.PlatformSlack, Tenant: "corp", UserID: "zhangsan"}, core.OutcomeUnknownUser},
		{"inactive employee", core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "gone"}, core.OutcomeInactive},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.clock.Set(sh(t, "2026-11-26 08:50:00"))
			got, err := h.svc.Handle(context.Background(), core.Command{Actor: tc.actor, Kind: core.CmdPunch, Location: north(office, 10), EventID: "e"})
			if err != nil {
				t.Fatal(err)
			}
			if got.Outcome != tc.outcome {
				t.Errorf("outcome = %s, want %s", got.Outcome, tc.outcome)
			}
			if all, _ := h.store.ListPunches(context.Background(), core.PunchFilter{}); len(all) != 0 {
				t.Errorf("stored %d punches, want none", len(all))
			}
		})
	}
}

func TestTextPunchWaitsForLocation(t *testing.T) {
	h := newHarness(t, nil)
	at := sh(t, "2026-11-26 17:30:00")
	first := h.punch(t, "zhangsan", core.KindOut, at, nil, "text-1")
	if first.Outcome != core.OutcomeNeedLocation || first.Kind != core.KindOut {
		t.Fatalf("text punch = %s/%s, want need_location for out", first.Outcome, first.Kind)
	}
	if n := len(h.punches(t, "E1")); n != 0 {
		t.Fatalf("stored %d punches before the location, want 0", n)
	}
	// The location alone arrives a minute later: it completes the out, even
	// though by context (no check-in, before mid-shift) it would be an in.
	second := h.punch(t, "zhangsan", core.KindAuto, at.Add(time.Minute), north(office, 10), "loc-1")
	if second.Outcome != core.OutcomeAccepted || second.Kind != core.KindOut {
		t.Errorf("location = %s/%s, want accepted out", second.Outcome, second.Kind)
	}
	// The intent is used up: another location is judged by context.
	third := h.punch(t, "zhangsan", core.KindAuto, at.Add(2*time.Minute), north(office, 12), "loc-2")
	if third.Kind != core.KindOut {
		t.Errorf("third punch kind = %s, want out by context", third.Kind)
	}
	// The intent expires after 5 minutes.
	h2 := newHarness(t, nil)
	h2.punch(t, "zhangsan", core.KindOut, at, nil, "text-1")
	late := h2.punch(t, "zhangsan", core.KindAuto, sh(t, "2026-11-26 08:30:00").Add(24*time.Hour), north(office, 10), "loc-1")
	if late.Kind != core.KindIn {
		t.Errorf("after the intent expired: kind = %s, want in by context", late.Kind)
	}
}

func TestReportedLocationThenPunch(t *testing.T) {
	tests := []struct {
		name    string
		gap     time.Duration
		outcome core.Outcome
		stale   bool
	}{
		{"fresh position", 30 * time.Second, core.OutcomeAccepted, false},
		{"three minutes old is used but flagged", 3 * time.Minute, core.OutcomeAccepted, true},
		{"six minutes old is forgotten", 6 * time.Minute, core.OutcomeNeedLocation, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			at := sh(t, "2026-11-26 08:40:00")
			h.clock.Set(at)
			actor := core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"}
			gcjLat, gcjLng := core.WGS84ToGCJ02(office.Lat, office.Lng)
			noted, err := h.svc.Handle(context.Background(), core.Command{Actor: actor, Kind: core.CmdReportLocation, At: at,
				Location: &core.Location{Lat: gcjLat, Lng: gcjLng, AccuracyM: 15, Datum: core.GCJ02}, EventID: "loc-event"})
			if err != nil || noted.Outcome != core.OutcomeNoted {
				t.Fatalf("report = %v, %v; want noted", noted.Outcome, err)
			}
			got := h.punch(t, "zhangsan", core.KindAuto, at.Add(tc.gap), nil, "text")
			if got.Outcome != tc.outcome {
				t.Fatalf("outcome = %s, want %s", got.Outcome, tc.outcome)
			}
			if got.Outcome == core.OutcomeAccepted && got.DistanceM > 5 {
				t.Errorf("distance = %.1f m, want the reported position (~0 m)", got.DistanceM)
			}
			if slices.Contains(got.Flags, core.FlagStaleLocation) != tc.stale {
				t.Errorf("flags = %v, stale wanted %v", got.Flags, tc.stale)
			}
		})
	}
}

func TestAntiCheatingSignals(t *testing.T) {
	t.Run("impossible travel", func(t *testing.T) {
		h := newHarness(t, nil)
		h.punch(t, "travel", core.KindIn, sh(t, "2026-11-26 09:00:00"), north(office, 10), "a")
		got := h.punch(t, "travel", core.KindOut, sh(t, "2026-11-26 09:30:00"), north(shanghai, 10), "b")
		if !slices.Contains(got.Flags, core.FlagImpossibleTravel) {
			t.Errorf("Beijing→Shanghai in 30 min: flags = %v, want %s", got.Flags, core.FlagImpossibleTravel)
		}
		plausible := h.punch(t, "travel", core.KindOut, sh(t, "2026-11-26 20:30:00"), north(shanghai, 40), "c")
		if slices.Contains(plausible.Flags, core.FlagImpossibleTravel) {
			t.Errorf("a short hop later: flags = %v, want no travel flag", plausible.Flags)
		}
	})
	t.Run("identical coordinates", func(t *testing.T) {
		h := newHarness(t, nil)
		loc := &core.Location{Lat: 39.90871234, Lng: 116.45991234, AccuracyM: 10}
		h.punch(t, "zhangsan", core.KindIn, sh(t, "2026-11-26 09:00:00"), loc, "a")
		got := h.punch(t, "zhangsan", core.KindOut, sh(t, "2026-11-26 18:00:00"), loc, "b")
		if !slices.Contains(got.Flags, core.FlagIdenticalCoords) {
			t.Errorf("flags = %v, want %s", got.Flags, core.FlagIdenticalCoords)
		}
	})
	t.Run("policy blocks a signal", func(t *testing.T) {
		h := newHarness(t, func(c *core.Config) { c.BlockFlags = []string{core.FlagImpossibleTravel} })
		h.punch(t, "travel", core.KindIn, sh(t, "2026-11-26 09:00:00"), north(office, 10), "a")
		got := h.punch(t, "travel", core.KindOut, sh(t, "2026-11-26 09:30:00"), north(shanghai, 10), "b")
		if got.Outcome != core.OutcomeRejected || !slices.Contains(got.Reasons, core.ReasonBlockedBySignal) {
			t.Errorf("outcome = %s %v, want rejected by signal", got.Outcome, got.Reasons)
		}
	})
}

func TestRateLimitPerEmployee(t *testing.T) {
	h := newHarness(t, func(c *core.Config) { c.RateLimit = 3 })
	at := sh(t, "2026-11-26 08:50:00")
	for i := range 3 {
		if got := h.punch(t, "zhangsan", core.KindIn, at, north(office, 10), fmt.Sprint("e", i)); got.Outcome == core.OutcomeRateLimited {
			t.Fatalf("command %d was rate limited", i)
		}
	}
	got := h.punch(t, "zhangsan", core.KindIn, at, north(office, 10), "e4")
	if got.Outcome != core.OutcomeRateLimited || got.RetryAfter <= 0 {
		t.Errorf("4th command = %s retry %s, want rate_limited with a wait", got.Outcome, got.RetryAfter)
	}
	if other := h.punch(t, "alice", core.KindIn, at, north(nyc, 10), "x"); other.Outcome == core.OutcomeRateLimited {
		t.Errorf("another employee was rate limited")
	}
	if n := len(h.punches(t, "E1")); n != 3 {
		t.Errorf("stored %d punches, want 3", n)
	}
	if later := h.punch(t, "zhangsan", core.KindOut, at.Add(time.Minute+time.Second), north(office, 10), "e5"); later.Outcome == core.OutcomeRateLimited {
		t.Errorf("after the window: still rate limited")
	}
}

func TestOfficeIPCountsAsOnSite(t *testing.T) {
	org := testOrg()
	org.Sites[0].IPRanges = []string{"203.0.113.0/24"}
	if err := org.Prepare(); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, nil)
	if _, err := h.store.ApplyOrg(context.Background(), org, core.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	h.clock.Set(sh(t, "2026-11-26 08:50:00"))
	actor := core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"}
	got, err := h.svc.Handle(context.Background(), core.Command{Actor: actor, Kind: core.CmdPunch, Punch: core.KindIn, ClientIP: "203.0.113.7", EventID: "ip"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Outcome != core.OutcomeAccepted || !slices.Contains(got.Flags, core.FlagByIP) || got.SiteID != "office" {
		t.Errorf("punch from office IP = %s %v site %q, want accepted on office by IP", got.Outcome, got.Flags, got.SiteID)
	}
	far, _ := h.svc.Handle(context.Background(), core.Command{Actor: actor, Kind: core.CmdPunch, Punch: core.KindIn, ClientIP: "198.51.100.1", Location: north(office, 5000), EventID: "ip2"})
	if far.Outcome != core.OutcomeRejected {
		t.Errorf("punch from elsewhere = %s, want rejected", far.Outcome)
	}
}

func TestStatusAndHelp(t *testing.T) {
	h := newHarness(t, nil)
	h.punch(t, "zhangsan", core.KindIn, sh(t, "2026-11-26 09:12:00"), north(office, 10), "a")
	h.clock.Set(sh(t, "2026-11-26 12:00:00"))
	actor := core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"}
	st, err := h.svc.Handle(context.Background(), core.Command{Actor: actor, Kind: core.CmdStatus, EventID: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Outcome != core.OutcomeStatus || st.Day == nil || !st.Day.Has(core.DayLate) || !st.Day.Has(core.DayInProgress) || st.Day.LateMin != 12 {
		t.Errorf("status = %+v, want late 12 min and in progress", st.Day)
	}
	help, err := h.svc.Handle(context.Background(), core.Command{Actor: actor, Kind: core.CmdHelp, EventID: "h"})
	if err != nil || help.Outcome != core.OutcomeHelp {
		t.Errorf("help = %v, %v", help.Outcome, err)
	}
}

func TestEveryPunchIsAudited(t *testing.T) {
	h := newHarness(t, nil)
	h.punch(t, "zhangsan", core.KindIn, sh(t, "2026-11-26 08:50:00"), north(office, 10), "a")
	h.punch(t, "zhangsan", core.KindOut, sh(t, "2026-11-26 18:10:00"), north(office, 5000), "b")
	var actions []string
	for _, a := range h.store.Audit() {
		if a.Subject == "E1" {
			actions = append(actions, a.Action)
		}
	}
	want := []string{"punch.accepted", "punch.rejected"}
	if !slices.Equal(actions, want) {
		t.Errorf("audit actions = %v, want %v", actions, want)
	}
}
