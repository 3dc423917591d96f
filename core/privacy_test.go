package core_test

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

func TestScopeFor(t *testing.T) {
	everyone := []core.Employee{
		{ID: "ceo", Role: core.RoleManager, Active: true},
		{ID: "m1", Role: core.RoleManager, ManagerID: "ceo", Active: true},
		{ID: "m2", Role: core.RoleManager, ManagerID: "ceo", Active: true},
		{ID: "a", ManagerID: "m1", Active: true},
		{ID: "b", ManagerID: "m1", Active: true},
		{ID: "c", ManagerID: "m2", Active: true},
		{ID: "d", ManagerID: "a", Active: true}, // reports to an employee, not a manager
		{ID: "hr", Role: core.RoleHR, Active: true},
		{ID: "x", ManagerID: "y", Role: core.RoleManager, Active: true}, // a stored cycle
		{ID: "y", ManagerID: "x", Active: true},
		{ID: "gone", Role: core.RoleHR, Active: false},
	}
	byID := map[string]core.Employee{}
	for _, e := range everyone {
		byID[e.ID] = e
	}
	tests := []struct {
		viewer string
		all    bool
		want   []string
	}{
		{"hr", true, nil},
		{"ceo", false, []string{"a", "b", "c", "ceo", "d", "m1", "m2"}},
		{"m1", false, []string{"a", "b", "d", "m1"}},
		{"m2", false, []string{"c", "m2"}},
		{"a", false, []string{"a"}}, // an employee sees only themselves, even with a report
		{"x", false, []string{"x", "y"}},
		{"gone", false, []string{}},
	}
	for _, tc := range tests {
		s := core.ScopeFor(byID[tc.viewer], everyone)
		if s.All != tc.all || (!tc.all && !reflect.DeepEqual(s.Sorted(), tc.want)) {
			t.Errorf("ScopeFor(%s) = all %v %v, want all %v %v", tc.viewer, s.All, s.Sorted(), tc.all, tc.want)
		}
	}
	if s := core.ScopeFor(byID["m2"], everyone); s.Allows("a") || !s.Allows("c") {
		t.Errorf("m2's scope allows a (%v) or not c (%v)", s.Allows("a"), s.Allows("c"))
	}
}

func TestDistanceBands(t *testing.T) {
	tests := []struct {
		m    float64
		band string
		keep float64
	}{
		{0, "≤100 m", 100}, {14.2, "≤100 m", 100}, {100, "≤100 m", 100}, {100.1, "100–300 m", 300}, {299, "100–300 m", 300},
		{301, "300 m–1 km", 1000}, {1000, "300 m–1 km", 1000}, {4800, "1–5 km", 5000}, {5001, ">5 km", 10000}, {1.2e6, ">5 km", 10000},
	}
	for _, tc := range tests {
		if got := core.DistanceBand(tc.m); got != tc.band {
			t.Errorf("DistanceBand(%v) = %q, want %q", tc.m, got, tc.band)
		}
		if got := core.BandDistanceM(tc.m); got != tc.keep {
			t.Errorf("BandDistanceM(%v) = %v, want %v", tc.m, got, tc.keep)
		}
		if got := core.DistanceBand(core.BandDistanceM(tc.m)); got != tc.band {
			t.Errorf("the kept distance of %v falls in %q, want its own band %q", tc.m, got, tc.band)
		}
	}
}

func TestReducePunch(t *testing.T) {
	at := sh(t, "2026-10-12 09:00:00")
	located := core.Punch{ID: 7, EmployeeID: "E1", Kind: core.KindIn, At: at, ReceivedAt: at, ShiftDate: "2026-10-12", Source: "wecom", EventID: "m1",
		HasLocation: true, Lat: 39.9, Lng: 116.4, AccuracyM: 30, Label: "国贸大厦", SiteID: "office", DistanceM: 1234, ClientIP: "1.2.3.4",
		Outcome: core.OutcomeRejected, TimeResult: core.TimeLate, LateMin: 12, Reasons: []string{core.ReasonOutOfRange}, Flags: []string{core.FlagOfflineDelay}}
	want := located
	want.HasLocation, want.Lat, want.Lng, want.AccuracyM, want.Label, want.ClientIP, want.DistanceM = false, 0, 0, 0, "", "", 5000
	got := core.ReducePunch(located)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ReducePunch:\n got  %+v\n want %+v", got, want)
	}
	if again := core.ReducePunch(got); !reflect.DeepEqual(again, got) {
		t.Errorf("reducing twice changed the punch: %+v", again)
	}
	if got.Precise() || !got.LocationReduced() || !located.Precise() || located.LocationReduced() {
		t.Errorf("Precise/LocationReduced wrong: before %v/%v, after %v/%v", located.Precise(), located.LocationReduced(), got.Precise(), got.LocationReduced())
	}
	// A punch recorded without a position (on site by IP) keeps no distance.
	byIP := core.Punch{SiteID: "office", ClientIP: "10.0.0.1", Flags: []string{core.FlagByIP}, Outcome: core.OutcomeAccepted}
	if r := core.ReducePunch(byIP); r.ClientIP != "" || r.DistanceM != 0 || r.LocationReduced() || r.SiteID != "office" {
		t.Errorf("ReducePunch(by IP) = %+v, want the site kept and the address gone", r)
	}
}

func TestRetentionJob(t *testing.T) {
	h := newHarness(t, nil)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	old := h.mustInsert(t,
		core.Punch{EmployeeID: "E1", Kind: core.KindIn, At: sh(t, "2026-10-20 09:00:00"), ShiftDate: "2026-10-20", Outcome: core.OutcomeAccepted,
			HasLocation: true, Lat: 39.9, Lng: 116.46, AccuracyM: 20, SiteID: "office", DistanceM: 42, Label: "国贸"},
		core.Punch{EmployeeID: "E1", Kind: core.KindOut, At: sh(t, "2026-10-20 18:00:00"), ShiftDate: "2026-10-20", Outcome: core.OutcomeRejected,
			HasLocation: true, Lat: 40.1, Lng: 116.46, SiteID: "office", DistanceM: 21000, Reasons: []string{core.ReasonOutOfRange}},
	)
	recent := h.mustInsert(t, core.Punch{EmployeeID: "E1", Kind: core.KindIn, At: sh(t, "2026-11-20 09:00:00"), ShiftDate: "2026-11-20",
		Outcome: core.OutcomeAccepted, HasLocation: true, Lat: 39.9, Lng: 116.46, SiteID: "office", DistanceM: 42})
	deliverReplies(t, h.store, sh(t, "2026-10-20 09:00:01"), sh(t, "2026-10-20 18:00:01"), sh(t, "2026-11-20 09:00:01"))
	h.clock.Set(sh(t, "2026-11-26 03:00:00"))
	job := &core.RetentionJob{Store: h.store, Days: 30, Zone: loc, Now: h.clock.Now, Batch: 1, Log: slog.New(slog.DiscardHandler)}

	res, err := job.RunOnce(context.Background())
	if err != nil || !res.Claimed || res.Reduced != 2 || res.Pruned != 2 || res.Day != "2026-11-26" {
		t.Fatalf("first run = %+v, %v; want the day claimed, 2 punches reduced and their 2 replies deleted", res, err)
	}
	res, err = job.RunOnce(context.Background())
	if err != nil || res.Claimed || res.Reduced != 0 {
		t.Errorf("second run the same day = %+v, %v; want nothing done", res, err)
	}
	h.clock.Set(sh(t, "2026-11-27 03:00:00"))
	if res, err = job.RunOnce(context.Background()); err != nil || !res.Claimed || res.Reduced != 0 || res.Pruned != 0 {
		t.Errorf("next day = %+v, %v; want claimed with nothing left to reduce or delete", res, err)
	}
	ps := h.punches(t, "E1")
	want := []core.Punch{core.ReducePunch(old[0]), core.ReducePunch(old[1]), recent[0]}
	if !reflect.DeepEqual(ps, want) {
		t.Errorf("punches after retention:\n got  %+v\n want %+v", ps, want)
	}
	if ps[1].DistanceM != 10000 || core.DistanceBand(ps[1].DistanceM) != ">5 km" {
		t.Errorf("the rejected attempt keeps %v m, want the >5 km band", ps[1].DistanceM)
	}
	entries, err := h.store.FindAudit(context.Background(), core.AuditFilter{Action: "retention."})
	if err != nil || len(entries) != 2 || entries[1].Detail != `{"cutoff":"2026-10-26T19:00:00Z","days":30,"pruned_replies":2,"reduced":2}` || entries[1].Actor != "system" {
		t.Errorf("retention audit = %+v, %v", entries, err)
	}
}

// deliverReplies queues one reply created at each of ats and marks them
// delivered, as the outbox worker does.
func deliverReplies(t *testing.T, st *coretest.MemStore, ats ...time.Time) {
	t.Helper()
	ctx := context.Background()
	err := st.InTx(ctx, func(tx core.Tx) error {
		for i, at := range ats {
			m := core.OutboxMessage{Platform: core.PlatformWeCom, Route: `{"touser":"lilei"}`, Kind: core.OutboxReply,
				Payload: []byte(`{"DistanceM":42}`), DedupeKey: fmt.Sprint("reply:wecom:ev", i), Status: core.OutboxPending, CreatedAt: at, NextAttempt: at}
			if err := tx.EnqueueOutbox(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := st.ClaimOutbox(ctx, core.PlatformWeCom, len(ats), ats[len(ats)-1], time.Minute)
	if err != nil || len(msgs) != len(ats) {
		t.Fatalf("ClaimOutbox = %d, %v; want %d", len(msgs), err, len(ats))
	}
	for _, m := range msgs {
		m.Status, m.Attempts, m.SentAt = core.OutboxSent, 1, m.CreatedAt
		if err := st.FinishOutbox(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
}

func TestErasePersonalDataKeepsMonthlyNumbers(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	// X1 is inactive; give them E1's November.
	var ps []core.Punch
	for _, p := range novemberPunches(t) {
		p.EmployeeID, p.HasLocation, p.Lat, p.Lng, p.Label, p.DistanceM = "X1", true, 39.9, 116.46, "国贸", 80
		ps = append(ps, p)
	}
	h.mustInsert(t, ps...)
	now := sh(t, "2026-12-01 12:00:00")
	before, err := core.BuildMonthlyReport(ctx, h.store, "2026-11", core.ScopeOf("X1"), now)
	if err != nil || len(before.Rows) != 1 {
		t.Fatalf("report before = %+v, %v", before, err)
	}

	_, err = core.ErasePersonalData(ctx, h.store, "E1", "admin", now)
	if core.ErrorCode(err) != core.ECONFLICT {
		t.Errorf("erasing an active employee: %v, want conflict", err)
	}
	if _, err = core.ErasePersonalData(ctx, h.store, "", "admin", now); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("erasing nobody: %v, want invalid", err)
	}
	res, err := core.ErasePersonalData(ctx, h.store, "X1", "admin", now)
	if err != nil || res.Punches != len(ps) || res.Identities != 1 {
		t.Fatalf("ErasePersonalData = %+v, %v; want %d punches and 1 identity", res, err, len(ps))
	}
	after, err := core.BuildMonthlyReport(ctx, h.store, "2026-11", core.ScopeOf("X1"), now)
	if err != nil || len(after.Rows) != 1 {
		t.Fatalf("report after = %+v, %v", after, err)
	}
	b, a := before.Rows[0], after.Rows[0]
	if a.Name != "" || b.Name != "离职" {
		t.Errorf("names before/after = %q/%q, want 离职 then erased", b.Name, a.Name)
	}
	a.Name, b.Name = "", ""
	if a != b {
		t.Errorf("monthly numbers changed by the erasure:\n before %+v\n after  %+v", b, a)
	}
	for _, p := range h.punches(t, "X1") {
		if p.Precise() || p.Label != "" {
			t.Errorf("punch %d keeps precise data after erasure: %+v", p.ID, p)
		}
	}
	entries, _ := h.store.FindAudit(ctx, core.AuditFilter{Subject: "X1", Action: "employee.erased"})
	if len(entries) != 1 || entries[0].Actor != "admin" {
		t.Errorf("erasure audit = %+v, want one entry by admin", entries)
	}
}

// A retry of a punch whose event record the retention job deleted is
// answered with the punch stored under the event, and stores nothing.
func TestRetryAfterRetentionAnswersWithTheStoredPunch(t *testing.T) {
	h := newHarness(t, nil)
	at := sh(t, "2026-10-20 08:55:00")
	first := h.punch(t, "zhangsan", core.KindIn, at, north(office, 40), "ev-old")
	if first.Outcome != core.OutcomeAccepted || first.PunchID == 0 {
		t.Fatalf("first punch = %+v, want accepted", first)
	}
	h.clock.Set(sh(t, "2026-11-26 03:00:00"))
	job := &core.RetentionJob{Store: h.store, Days: 30, Now: h.clock.Now, Log: slog.New(slog.DiscardHandler)}
	if res, err := job.RunOnce(context.Background()); err != nil || res.Reduced != 1 {
		t.Fatalf("retention run = %+v, %v; want the punch reduced", res, err)
	}
	if _, err := h.store.EventReply(context.Background(), "wecom", "ev-old"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("EventReply after retention = %v; want ENOTFOUND", err)
	}

	ctx := context.Background()
	got, err := h.svc.Handle(ctx, core.Command{Actor: core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"},
		Kind: core.CmdPunch, Punch: core.KindIn, At: at, Location: north(office, 40), EventID: "ev-old", ReplyRoute: `{"touser":"zhangsan"}`})
	if err != nil {
		t.Fatalf("retry after retention: %v", err)
	}
	want := core.Reply{Outcome: core.OutcomeAccepted, Kind: core.KindIn, PunchID: first.PunchID, SiteID: "office", EmployeeID: "E1", Replayed: true}
	if got.Outcome != want.Outcome || got.Kind != want.Kind || got.PunchID != want.PunchID || got.SiteID != want.SiteID ||
		got.EmployeeID != want.EmployeeID || !got.Replayed || !got.At.Equal(at) {
		t.Errorf("retry after retention = %+v\n want %+v at %v", got, want, at)
	}
	if got.DistanceM != core.BandDistanceM(first.DistanceM) || got.AccuracyM != 0 {
		t.Errorf("retry after retention tells %v m (accuracy %v), want the reduced band %v m", got.DistanceM, got.AccuracyM, core.BandDistanceM(first.DistanceM))
	}
	if ps := h.punches(t, "E1"); len(ps) != 1 {
		t.Errorf("punches after the retry = %d, want the 1 stored before", len(ps))
	}
}
