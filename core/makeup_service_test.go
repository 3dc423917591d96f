package core_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// makeupOrg has a manager on Slack, two HR people (Feishu and WeCom), an
// employee whose manager left, and the policy 3 a month, 7 days back,
// expiring after 72 hours.
func makeupOrg() core.Org {
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	day := core.Schedule{ID: "day", WorkDays: weekdays, StartMin: 9 * 60, EndMin: 18 * 60, CheckInOpensMin: 120, CheckOutClosesMin: 360,
		LateGraceMin: 5, SeriousLateMin: 30, AbsentLateMin: 120, CalendarID: "cn"}
	night := core.Schedule{ID: "night", WorkDays: weekdays, StartMin: 22 * 60, EndMin: 26 * 60, CheckInOpensMin: 60, CheckOutClosesMin: 120}
	wecom := func(user string) []core.Identity {
		return []core.Identity{{Platform: core.PlatformWeCom, Tenant: "corp", UserID: user}}
	}
	return core.Org{
		Sites:     []core.OrgSite{{Site: office}},
		Schedules: []core.Schedule{day, night},
		Calendars: []core.Calendar{{ID: "cn", Days: []core.CalendarDay{{Date: "2026-10-01", Name: "国庆节"}}}},
		Employees: []core.Employee{
			{ID: "E1", Name: "张三", Lang: "zh", Active: true, ScheduleID: "day", SiteIDs: []string{"office"}, ManagerID: "M1", Identities: wecom("zhangsan")},
			{ID: "E2", Name: "李四", Active: true, ScheduleID: "day", SiteIDs: []string{"office"}, Identities: wecom("lisi")},
			{ID: "E3", Name: "王五", Active: true, ScheduleID: "day", SiteIDs: []string{"office"}, ManagerID: "GONE", Identities: wecom("wangwu")},
			{ID: "N1", Name: "夜班", Active: true, ScheduleID: "night", SiteIDs: []string{"office"}, ManagerID: "M1", Identities: wecom("night")},
			{ID: "M1", Name: "Manager Mo", Lang: "en", Role: core.RoleManager, Active: true, ScheduleID: "day",
				Identities: []core.Identity{{Platform: core.PlatformSlack, Tenant: "T1", UserID: "UMO"}}},
			{ID: "H1", Name: "HR 韩", Role: core.RoleHR, Active: true, Identities: []core.Identity{{Platform: core.PlatformFeishu, Tenant: "tk", UserID: "ou_han"}}},
			{ID: "H2", Name: "HR 赵", Role: core.RoleHR, Active: true, Identities: wecom("zhao")},
			{ID: "GONE", Name: "前经理", Role: core.RoleManager, Active: false},
			{ID: "P1", Name: "同事", Active: true, ScheduleID: "day", ManagerID: "M1", Identities: wecom("peer")},
		},
		Makeup: core.MakeupPolicy{MonthlyQuota: 3, DeadlineDays: 7, ExpireAfterHours: 72},
	}
}

type makeupHarness struct {
	*harness
	tb testing.TB // for helpers called from table closures
}

func newMakeupHarness(tb testing.TB) makeupHarness {
	tb.Helper()
	org := makeupOrg()
	if err := org.Prepare(); err != nil {
		tb.Fatal(err)
	}
	store := coretest.NewMemStore()
	if _, err := store.ApplyOrg(context.Background(), org, core.AuditEntry{Action: "org.applied"}); err != nil {
		tb.Fatal(err)
	}
	clock := &testClock{}
	clock.Set(sh(tb, "2026-11-26 10:00:00")) // a Thursday
	kv := coretest.NewMemKV(clock.Now)
	return makeupHarness{harness: &harness{svc: core.NewService(store, kv, kv, core.DefaultConfig(), clock.Now), store: store, kv: kv, clock: clock}, tb: tb}
}

func (h makeupHarness) MustRequest(tb testing.TB, emp, date, clock string, kind core.PunchKind) core.MakeupView {
	tb.Helper()
	v, err := h.svc.RequestMakeup(context.Background(), emp, core.MakeupArgs{Date: date, Clock: clock, Kind: kind, Reason: "地铁故障"}, core.PlatformWeCom)
	if err != nil {
		tb.Fatalf("RequestMakeup(%s %s %s %s): %v", emp, date, clock, kind, err)
	}
	return v
}

func (h makeupHarness) MustDecide(tb testing.TB, id int64, status core.MakeupStatus, actor string) core.MakeupView {
	tb.Helper()
	v, err := h.svc.DecideMakeup(context.Background(), core.MakeupDecision{ID: id, Status: status, Actor: actor})
	if err != nil {
		tb.Fatalf("DecideMakeup(%d %s by %s): %v", id, status, actor, err)
	}
	return v
}

func (h makeupHarness) MustPunch(tb testing.TB, user string, kind core.PunchKind, at string) {
	tb.Helper()
	now := h.clock.Now()
	r := h.punch(tb, user, kind, sh(tb, at), north(office, 20), "")
	if r.Outcome != core.OutcomeAccepted {
		tb.Fatalf("setup punch %s %s at %s: %s %v", user, kind, at, r.Outcome, r.Reasons)
	}
	h.clock.Set(now)
}

func (h makeupHarness) outboxOf(kind string) []core.OutboxMessage {
	var out []core.OutboxMessage
	for _, m := range h.store.Outbox() {
		if m.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

func mustRecipient(tb testing.TB, m core.OutboxMessage) core.Recipient {
	tb.Helper()
	var r core.Recipient
	if err := json.Unmarshal([]byte(m.Route), &r); err != nil {
		tb.Fatalf("route %q: %v", m.Route, err)
	}
	return r
}

func mustView(tb testing.TB, m core.OutboxMessage) core.MakeupView {
	tb.Helper()
	var v core.MakeupView
	if err := json.Unmarshal(m.Payload, &v); err != nil {
		tb.Fatalf("payload %s: %v", m.Payload, err)
	}
	return v
}

func TestMakeupPolicy(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, h makeupHarness)
		emp     string
		date    string
		clock   string
		kind    core.PunchKind
		reason  string
		rule    string // "" when the request is filed
		problem string
		used    int
		quota   int
		days    int
	}{
		{name: "missing check-in yesterday", emp: "E1", date: "11-25", clock: "09:00", kind: core.KindIn, reason: "地铁故障"},
		{name: "full date in English form", emp: "E1", date: "2026-11-25", clock: "18:05", kind: core.KindOut, reason: "subway outage"},
		{name: "a late check-in can be made up", emp: "E1", date: "11-26", clock: "09:00", kind: core.KindIn, reason: "堵车",
			setup: func(t *testing.T, h makeupHarness) { h.MustPunch(t, "zhangsan", core.KindIn, "2026-11-26 09:40:00") }},
		{name: "later today is in the future", emp: "E1", date: "11-26", clock: "18:00", kind: core.KindOut, reason: "x", rule: core.MakeupInFuture},
		{name: "a date without a year is never in the future", emp: "E1", date: "12-01", clock: "09:00", kind: core.KindIn, reason: "x", rule: core.MakeupPastDeadline, days: 7},
		{name: "tomorrow with a year", emp: "E1", date: "2026-11-27", clock: "09:00", kind: core.KindIn, reason: "x", rule: core.MakeupInFuture},
		{name: "eight days ago is past the deadline", emp: "E1", date: "11-18", clock: "09:00", kind: core.KindIn, reason: "x", rule: core.MakeupPastDeadline, days: 7},
		{name: "seven days ago is within", emp: "E1", date: "11-19", clock: "09:00", kind: core.KindIn, reason: "x"},
		{name: "the slot already has a normal punch", emp: "E1", date: "11-26", clock: "09:00", kind: core.KindIn, reason: "x", rule: core.MakeupSlotValid,
			setup: func(t *testing.T, h makeupHarness) { h.MustPunch(t, "zhangsan", core.KindIn, "2026-11-26 08:50:00") }},
		{name: "one open request per slot", emp: "E1", date: "11-25", clock: "09:05", kind: core.KindIn, reason: "x", rule: core.MakeupAlreadyOpen, used: 1, quota: 3,
			setup: func(t *testing.T, h makeupHarness) { h.MustRequest(t, "E1", "11-25", "09:00", core.KindIn) }},
		{name: "the other slot of that day is free", emp: "E1", date: "11-25", clock: "18:00", kind: core.KindOut, reason: "x",
			setup: func(t *testing.T, h makeupHarness) { h.MustRequest(t, "E1", "11-25", "09:00", core.KindIn) }},
		{name: "quota used up", emp: "E1", date: "11-23", clock: "18:00", kind: core.KindOut, reason: "x", rule: core.MakeupQuotaExhausted, used: 3, quota: 3,
			setup: func(t *testing.T, h makeupHarness) {
				for _, d := range []string{"11-20", "11-24", "11-25"} {
					h.MustRequest(t, "E1", d, "09:00", core.KindIn)
				}
			}},
		{name: "rejected and cancelled requests do not count", emp: "E1", date: "11-23", clock: "18:00", kind: core.KindOut, reason: "x",
			setup: func(t *testing.T, h makeupHarness) {
				a := h.MustRequest(t, "E1", "11-20", "09:00", core.KindIn)
				b := h.MustRequest(t, "E1", "11-24", "09:00", core.KindIn)
				h.MustRequest(t, "E1", "11-25", "09:00", core.KindIn)
				h.MustDecide(t, a.Request.ID, core.MakeupRejected, "M1")
				if _, err := h.svc.CancelMakeup(context.Background(), "E1", b.Request.ID); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "last month's requests do not count", emp: "E1", date: "11-23", clock: "18:00", kind: core.KindOut, reason: "x",
			setup: func(t *testing.T, h makeupHarness) {
				now := h.clock.Now()
				h.clock.Set(sh(t, "2026-10-30 12:00:00"))
				for _, d := range []string{"10-26", "10-27", "10-28"} {
					h.MustRequest(t, "E1", d, "09:00", core.KindIn)
				}
				h.clock.Set(now)
			}},
		{name: "impossible date", emp: "E1", date: "02-30", clock: "09:00", kind: core.KindIn, reason: "x", rule: core.MakeupInvalid, problem: core.ProblemDate},
		{name: "yesterday", emp: "E1", date: "yesterday", clock: "09:00", kind: core.KindIn, reason: "x"},
		{name: "garbage date", emp: "E1", date: "someday", clock: "09:00", kind: core.KindIn, reason: "x", rule: core.MakeupInvalid, problem: core.ProblemDate},
		{name: "bad time", emp: "E1", date: "11-25", clock: "25:00", kind: core.KindIn, reason: "x", rule: core.MakeupInvalid, problem: core.ProblemTime},
		{name: "no direction", emp: "E1", date: "11-25", clock: "09:00", kind: core.KindAuto, reason: "x", rule: core.MakeupInvalid, problem: core.ProblemKind},
		{name: "no reason", emp: "E1", date: "11-25", clock: "09:00", kind: core.KindIn, reason: "  ", rule: core.MakeupInvalid, problem: core.ProblemReason},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newMakeupHarness(t)
			if tc.setup != nil {
				tc.setup(t, h)
			}
			before := len(h.store.Outbox())
			v, err := h.svc.RequestMakeup(context.Background(), tc.emp, core.MakeupArgs{Date: tc.date, Clock: tc.clock, Kind: tc.kind, Reason: tc.reason}, core.PlatformWeCom)
			if tc.rule == "" {
				if err != nil {
					t.Fatalf("RequestMakeup: %v, want it filed", err)
				}
				if v.Request.ID == 0 || v.Request.Status != core.MakeupPending {
					t.Errorf("request = %+v, want a stored pending request", v.Request)
				}
				return
			}
			ref, ok := core.AsRefusal(err)
			if !ok {
				t.Fatalf("RequestMakeup error = %v, want a refusal %s", err, tc.rule)
			}
			if core.ErrorCode(err) != core.EINVALID {
				t.Errorf("error code = %q, want %q", core.ErrorCode(err), core.EINVALID)
			}
			if ref.Rule != tc.rule || v.Problem != tc.problem {
				t.Errorf("refusal = %s (%q), want %s (%q)", ref.Rule, v.Problem, tc.rule, tc.problem)
			}
			if ref.Used != tc.used && tc.rule == core.MakeupQuotaExhausted || ref.Quota != tc.quota && tc.rule == core.MakeupQuotaExhausted || ref.Days != tc.days {
				t.Errorf("numbers = %d/%d, %d days; want %d/%d, %d days", ref.Used, ref.Quota, ref.Days, tc.used, tc.quota, tc.days)
			}
			if tc.rule != core.MakeupInvalid && v.Used != tc.used {
				t.Errorf("view used = %d, want %d", v.Used, tc.used)
			}
			if got := len(h.store.Outbox()); got != before {
				t.Errorf("outbox grew from %d to %d on a refusal", before, got)
			}
		})
	}
}

func TestMakeupOvernightCheckOut(t *testing.T) {
	h := newMakeupHarness(t)
	v := h.MustRequest(t, "N1", "11-24", "02:00", core.KindOut)
	if want := sh(t, "2026-11-25 02:00:00"); !v.Request.At.Equal(want) || v.Request.ShiftDate != "2026-11-24" {
		t.Errorf("overnight check-out = %s on %s, want %s on 2026-11-24", v.Request.At, v.Request.ShiftDate, want)
	}
}

func TestMakeupRouting(t *testing.T) {
	tests := []struct {
		name     string
		emp      string
		approver string
		platform core.Platform
		user     string
	}{
		{"the manager, on their own platform", "E1", "M1", core.PlatformSlack, "UMO"},
		{"no manager: HR", "E2", "H1", core.PlatformFeishu, "ou_han"},
		{"inactive manager: HR", "E3", "H1", core.PlatformFeishu, "ou_han"},
		{"HR without a manager: another HR", "H1", "H2", core.PlatformWeCom, "zhao"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newMakeupHarness(t)
			v, err := h.svc.RequestMakeup(context.Background(), tc.emp, core.MakeupArgs{Date: "11-25", Clock: "09:00", Kind: core.KindIn, Reason: "忘记打卡"}, core.PlatformWeCom)
			if err != nil {
				t.Fatal(err)
			}
			if v.Request.ApproverID != tc.approver {
				t.Errorf("approver = %q, want %q", v.Request.ApproverID, tc.approver)
			}
			cards := h.outboxOf(core.OutboxMakeupCard)
			if len(cards) != 1 {
				t.Fatalf("%d cards queued, want 1", len(cards))
			}
			to := mustRecipient(t, cards[0])
			if cards[0].Platform != tc.platform || to.Platform != tc.platform || to.UserID != tc.user || to.EmployeeID != tc.approver {
				t.Errorf("card to %s %+v, want %s user %s (%s)", cards[0].Platform, to, tc.platform, tc.user, tc.approver)
			}
		})
	}
}

func TestMakeupCardContent(t *testing.T) {
	h := newMakeupHarness(t)
	h.MustPunch(t, "zhangsan", core.KindIn, "2026-11-26 09:40:00")
	h.MustRequest(t, "E1", "11-24", "18:00", core.KindOut)
	v, err := h.svc.RequestMakeup(context.Background(), "E1", core.MakeupArgs{Date: "11-26", Clock: "09:00", Kind: core.KindIn, Reason: "地铁故障",
		Evidence: []string{"wecom:media:M1"}}, core.PlatformWeCom)
	if err != nil {
		t.Fatal(err)
	}
	cards := h.outboxOf(core.OutboxMakeupCard)
	if len(cards) != 2 {
		t.Fatalf("%d cards, want 2", len(cards))
	}
	got := mustView(t, cards[1])
	if got.Request.ID != v.Request.ID || got.EmployeeName != "张三" || got.ApproverName != "Manager Mo" || got.Request.ShiftDate != "2026-11-26" ||
		got.Request.Kind != core.KindIn || !got.Request.At.Equal(sh(t, "2026-11-26 09:00:00")) || got.Request.Reason != "地铁故障" {
		t.Errorf("card = %+v", got)
	}
	if got.Used != 2 || got.Quota != 3 {
		t.Errorf("card says %d/%d used, want 2/3", got.Used, got.Quota)
	}
	if !slices.Equal(got.Request.Evidence, []string{"wecom:media:M1"}) {
		t.Errorf("evidence = %v", got.Request.Evidence)
	}
	if len(got.Punches) != 1 || got.Punches[0].TimeResult != core.TimeSeriousLate {
		t.Errorf("day's punches = %+v, want the late check-in", got.Punches)
	}
	if got.TimeZone != "" && got.Location().String() != "Asia/Shanghai" {
		t.Errorf("zone = %s", got.Location())
	}
	if cards[1].DedupeKey == "" || cards[1].DedupeKey == cards[0].DedupeKey {
		t.Errorf("card dedupe keys %q, %q", cards[0].DedupeKey, cards[1].DedupeKey)
	}
}

func TestMakeupApproveWritesPunchAndRecomputesDay(t *testing.T) {
	h := newMakeupHarness(t)
	ctx := context.Background()
	// Yesterday: no check-in, an on-time check-out.
	h.MustPunch(t, "zhangsan", core.KindOut, "2026-11-25 18:02:00")
	r, err := h.svc.Roster(ctx, "E1")
	if err != nil {
		t.Fatal(err)
	}
	day := func() core.DayResult {
		ps, err := h.store.ListPunches(ctx, core.PunchFilter{EmployeeID: "E1"})
		if err != nil {
			t.Fatal(err)
		}
		return core.ComputeDay(r, "2026-11-25", ps, h.clock.Now())
	}
	if d := day(); !d.Has(core.DayMissingIn) {
		t.Fatalf("before: %v, want missing_in", d.Statuses)
	}
	req := h.MustRequest(t, "E1", "11-25", "09:00", core.KindIn)
	h.clock.Set(sh(t, "2026-11-26 11:30:00"))
	v := h.MustDecide(t, req.Request.ID, core.MakeupApproved, "M1")

	if v.Request.Status != core.MakeupApproved || v.Request.DecidedBy != "M1" || !v.Request.DecidedAt.Equal(sh(t, "2026-11-26 11:30:00")) || v.DeciderName != "Manager Mo" {
		t.Errorf("decided = %+v (by %q)", v.Request, v.DeciderName)
	}
	ps := h.punches(t, "E1")
	var mk *core.Punch
	for i := range ps {
		if ps[i].Source == core.SourceMakeup {
			if mk != nil {
				t.Fatalf("two make-up punches: %+v", ps)
			}
			mk = &ps[i]
		}
	}
	if mk == nil {
		t.Fatalf("no make-up punch in %+v", ps)
	}
	if mk.MakeupID != req.Request.ID || v.Request.PunchID != mk.ID || mk.Kind != core.KindIn || !mk.At.Equal(sh(t, "2026-11-25 09:00:00")) ||
		mk.ShiftDate != "2026-11-25" || mk.Outcome != core.OutcomeAccepted || mk.TimeResult != core.TimeNormal {
		t.Errorf("make-up punch = %+v, request punch id %d", *mk, v.Request.PunchID)
	}
	if d := day(); !slices.Equal(d.Statuses, []core.DayStatus{core.DayNormal}) || d.WorkedMin != 9*60+2 {
		t.Errorf("after: %v, worked %d, want normal, 542", d.Statuses, d.WorkedMin)
	}
	// The view's punches include the new one.
	if len(v.Punches) != 2 {
		t.Errorf("view punches = %d, want 2", len(v.Punches))
	}

	// Audit, card update to the approver, result to the employee.
	audit := h.store.Audit()
	last := audit[len(audit)-1]
	if last.Action != "makeup.approved" || last.Actor != "M1" || last.Subject != "E1" {
		t.Errorf("audit = %+v", last)
	}
	var detail map[string]any
	if err := json.Unmarshal([]byte(last.Detail), &detail); err != nil || detail["punch_id"] != float64(mk.ID) {
		t.Errorf("audit detail = %s (%v)", last.Detail, err)
	}
	updates := h.outboxOf(core.OutboxMakeupUpdate)
	if len(updates) != 1 || updates[0].Platform != core.PlatformSlack || mustRecipient(t, updates[0]).UserID != "UMO" {
		t.Errorf("updates = %+v", updates)
	} else if uv := mustView(t, updates[0]); uv.Request.Status != core.MakeupApproved {
		t.Errorf("update says %s", uv.Request.Status)
	}
	results := h.outboxOf(core.OutboxMakeupResult)
	if len(results) != 1 || results[0].Platform != core.PlatformWeCom || mustRecipient(t, results[0]).UserID != "zhangsan" {
		t.Errorf("results = %+v", results)
	}
}

func TestMakeupLateCheckOutClassifiedAgainstCheckIn(t *testing.T) {
	h := newMakeupHarness(t)
	h.MustPunch(t, "zhangsan", core.KindIn, "2026-11-25 08:55:00")
	req := h.MustRequest(t, "E1", "11-25", "17:30", core.KindOut)
	h.MustDecide(t, req.Request.ID, core.MakeupApproved, "H1")
	for _, p := range h.punches(t, "E1") {
		if p.Source == core.SourceMakeup && (p.TimeResult != core.TimeEarly || p.EarlyMin != 30) {
			t.Errorf("make-up check-out = %s %d min, want early_leave 30", p.TimeResult, p.EarlyMin)
		}
	}
}

func TestMakeupStateMachine(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		act     func(h makeupHarness, id int64) (core.MakeupView, error)
		code    string
		status  core.MakeupStatus
		punches int
	}{
		{"manager approves", func(h makeupHarness, id int64) (core.MakeupView, error) {
			return h.svc.DecideMakeup(ctx, core.MakeupDecision{ID: id, Status: core.MakeupApproved, Actor: "M1"})
		}, "", core.MakeupApproved, 1},
		{"manager rejects with a note", func(h makeupHarness, id int64) (core.MakeupView, error) {
			return h.svc.DecideMakeup(ctx, core.MakeupDecision{ID: id, Status: core.MakeupRejected, Actor: "M1", Note: "没有证明"})
		}, "", core.MakeupRejected, 0},
		{"HR approves instead of the manager", func(h makeupHarness, id int64) (core.MakeupView, error) {
			return h.svc.DecideMakeup(ctx, core.MakeupDecision{ID: id, Status: core.MakeupApproved, Actor: "H2"})
		}, "", core.MakeupApproved, 1},
		{"the console approves", func(h makeupHarness, id int64) (core.MakeupView, error) {
			return h.svc.DecideMakeup(ctx, core.MakeupDecision{ID: id, Status: core.MakeupApproved, Actor: core.ActorAdmin})
		}, "", core.MakeupApproved, 1},
		{"a colleague cannot decide", func(h makeupHarness, id int64) (core.MakeupView, error) {
			return h.svc.DecideMakeup(ctx, core.MakeupDecision{ID: id, Status: core.MakeupApproved, Actor: "P1"})
		}, core.EFORBIDDEN, core.MakeupPending, 0},
		{"nobody cannot decide", func(h makeupHarness, id int64) (core.MakeupView, error) {
			return h.svc.DecideMakeup(ctx, core.MakeupDecision{ID: id, Status: core.MakeupApproved, Actor: "nobody"})
		}, core.EFORBIDDEN, core.MakeupPending, 0},
		{"the requester cannot approve their own", func(h makeupHarness, id int64) (core.MakeupView, error) {
			return h.svc.DecideMakeup(ctx, core.MakeupDecision{ID: id, Status: core.MakeupApproved, Actor: "E1"})
		}, core.EFORBIDDEN, core.MakeupPending, 0},
		{"a decision is approve or reject", func(h makeupHarness, id int64) (core.MakeupView, error) {
			return h.svc.DecideMakeup(ctx, core.MakeupDecision{ID: id, Status: core.MakeupExpired, Actor: "M1"})
		}, core.EINVALID, core.MakeupPending, 0},
		{"unknown request", func(h makeupHarness, id int64) (core.MakeupView, error) {
			return h.svc.DecideMakeup(ctx, core.MakeupDecision{ID: id + 1000, Status: core.MakeupApproved, Actor: "M1"})
		}, core.ENOTFOUND, core.MakeupPending, 0},
		{"the requester cancels", func(h makeupHarness, id int64) (core.MakeupView, error) {
			return h.svc.CancelMakeup(ctx, "E1", 0)
		}, "", core.MakeupCancelled, 0},
		{"someone else cannot cancel", func(h makeupHarness, id int64) (core.MakeupView, error) {
			return h.svc.CancelMakeup(ctx, "P1", id)
		}, core.EFORBIDDEN, core.MakeupPending, 0},
		{"second decision after approval", func(h makeupHarness, id int64) (core.MakeupView, error) {
			h.MustDecide(h.tb, id, core.MakeupApproved, "M1")
			return h.svc.DecideMakeup(ctx, core.MakeupDecision{ID: id, Status: core.MakeupRejected, Actor: "H1"})
		}, core.ECONFLICT, core.MakeupApproved, 1},
		{"approve after cancel", func(h makeupHarness, id int64) (core.MakeupView, error) {
			if _, err := h.svc.CancelMakeup(ctx, "E1", id); err != nil {
				return core.MakeupView{}, err
			}
			return h.svc.DecideMakeup(ctx, core.MakeupDecision{ID: id, Status: core.MakeupApproved, Actor: "M1"})
		}, core.ECONFLICT, core.MakeupCancelled, 0},
		{"cancel after rejection", func(h makeupHarness, id int64) (core.MakeupView, error) {
			h.MustDecide(h.tb, id, core.MakeupRejected, "M1")
			return h.svc.CancelMakeup(ctx, "E1", id)
		}, core.ECONFLICT, core.MakeupRejected, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newMakeupHarness(t)
			h.tb = t
			id := h.MustRequest(t, "E1", "11-25", "09:00", core.KindIn).Request.ID
			auditBefore := len(h.store.Audit())
			v, err := tc.act(h, id)
			if got := core.ErrorCode(err); got != tc.code {
				t.Fatalf("error = %v (%q), want %q", err, got, tc.code)
			}
			if tc.code == core.ECONFLICT && v.Request.Status != tc.status {
				t.Errorf("a conflict reports %q, want how it ended (%q)", v.Request.Status, tc.status)
			}
			stored, err := h.svc.MakeupView(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if stored.Request.Status != tc.status {
				t.Errorf("stored status = %q, want %q", stored.Request.Status, tc.status)
			}
			n := 0
			for _, p := range h.punches(t, "E1") {
				if p.Source == core.SourceMakeup {
					n++
				}
			}
			if n != tc.punches {
				t.Errorf("%d make-up punches, want %d", n, tc.punches)
			}
			if tc.code == core.EFORBIDDEN || tc.code == core.EINVALID || tc.code == core.ENOTFOUND {
				if got := len(h.store.Audit()); got != auditBefore {
					t.Errorf("a refused action wrote %d audit entries", got-auditBefore)
				}
			}
		})
	}
}

func TestMakeupCancelUpdatesCardOnly(t *testing.T) {
	h := newMakeupHarness(t)
	req := h.MustRequest(t, "E1", "11-25", "09:00", core.KindIn)
	v, err := h.svc.CancelMakeup(context.Background(), "E1", 0)
	if err != nil || v.Request.ID != req.Request.ID || v.Request.Status != core.MakeupCancelled {
		t.Fatalf("cancel = %+v, %v", v.Request, err)
	}
	if got := len(h.outboxOf(core.OutboxMakeupUpdate)); got != 1 {
		t.Errorf("%d card updates, want 1", got)
	}
	if got := len(h.outboxOf(core.OutboxMakeupResult)); got != 0 {
		t.Errorf("%d result messages on a cancel, want 0 (the requester gets the reply)", got)
	}
	if _, err := h.svc.CancelMakeup(context.Background(), "E1", 0); core.ErrorCode(err) != core.ENOTFOUND {
		t.Errorf("cancel with nothing pending = %v, want ENOTFOUND", err)
	}
}

func TestMakeupEvidence(t *testing.T) {
	h := newMakeupHarness(t)
	ctx := context.Background()
	req := h.MustRequest(t, "E1", "11-25", "09:00", core.KindIn)
	v, err := h.svc.AttachEvidence(ctx, "E1", req.Request.ID, []string{"wecom:media:A", "wecom:media:A", " "})
	if err != nil || !slices.Equal(v.Request.Evidence, []string{"wecom:media:A"}) {
		t.Fatalf("attach = %v, %v", v.Request.Evidence, err)
	}
	if updates := h.outboxOf(core.OutboxMakeupUpdate); len(updates) != 1 || len(mustView(t, updates[0]).Request.Evidence) != 1 {
		t.Errorf("the approver's card is not updated with the evidence: %+v", updates)
	}
	if _, err := h.svc.AttachEvidence(ctx, "E1", req.Request.ID, []string{"wecom:media:A"}); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("attaching the same file again = %v, want EINVALID", err)
	}
	if _, err := h.svc.AttachEvidence(ctx, "P1", req.Request.ID, []string{"x"}); core.ErrorCode(err) != core.EFORBIDDEN {
		t.Errorf("someone else's evidence = %v, want EFORBIDDEN", err)
	}
	h.MustDecide(t, req.Request.ID, core.MakeupApproved, "M1")
	if _, err := h.svc.AttachEvidence(ctx, "E1", req.Request.ID, []string{"y"}); core.ErrorCode(err) != core.ECONFLICT {
		t.Errorf("evidence after the decision = %v, want ECONFLICT", err)
	}
}

func TestMakeupExpiry(t *testing.T) {
	h := newMakeupHarness(t)
	ctx := context.Background()
	old := h.MustRequest(t, "E1", "11-24", "09:00", core.KindIn)
	h.clock.Set(sh(t, "2026-11-27 10:00:00"))
	fresh := h.MustRequest(t, "E1", "11-25", "09:00", core.KindIn)
	decided := h.MustRequest(t, "E2", "11-25", "09:00", core.KindIn)
	h.MustDecide(t, decided.Request.ID, core.MakeupRejected, "H1")

	h.clock.Set(sh(t, "2026-11-29 09:59:59"))
	if n, err := h.svc.ExpireMakeups(ctx); n != 0 || err != nil {
		t.Fatalf("expire before 72 h = %d, %v", n, err)
	}
	h.clock.Set(sh(t, "2026-11-29 10:00:00"))
	if n, err := h.svc.ExpireMakeups(ctx); n != 1 || err != nil {
		t.Fatalf("expire at 72 h = %d, %v; want 1", n, err)
	}
	if n, err := h.svc.ExpireMakeups(ctx); n != 0 || err != nil {
		t.Fatalf("expire again = %d, %v; want 0", n, err)
	}
	for _, tc := range []struct {
		id   int64
		want core.MakeupStatus
	}{{old.Request.ID, core.MakeupExpired}, {fresh.Request.ID, core.MakeupPending}, {decided.Request.ID, core.MakeupRejected}} {
		v, err := h.svc.MakeupView(ctx, tc.id)
		if err != nil || v.Request.Status != tc.want {
			t.Errorf("request %d = %s, %v; want %s", tc.id, v.Request.Status, err, tc.want)
		}
		if tc.want == core.MakeupExpired && (v.Request.DecidedBy != core.ActorSystem || !v.Request.DecidedAt.Equal(h.clock.Now())) {
			t.Errorf("expired by %q at %s", v.Request.DecidedBy, v.Request.DecidedAt)
		}
	}
	var result *core.OutboxMessage
	for _, m := range h.outboxOf(core.OutboxMakeupResult) {
		if mustView(t, m).Request.ID == old.Request.ID {
			result = &m
		}
	}
	if result == nil || mustView(t, *result).Request.Status != core.MakeupExpired {
		t.Errorf("the employee is not told their request expired")
	}
	if a := h.store.Audit(); a[len(a)-1].Action != "makeup.expired" || a[len(a)-1].Actor != core.ActorSystem {
		t.Errorf("audit = %+v", a[len(a)-1])
	}
}

func TestMakeupCardRefs(t *testing.T) {
	h := newMakeupHarness(t)
	ctx := context.Background()
	req := h.MustRequest(t, "E1", "11-25", "09:00", core.KindIn)
	id := req.Request.ID
	if err := h.svc.RecordCardRef(ctx, core.CardRef{RequestID: id, Platform: core.PlatformSlack, Recipient: "UMO", Ref: `{"channel":"D1","ts":"1.1"}`}); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.RecordCardRef(ctx, core.CardRef{RequestID: id, Platform: core.PlatformSlack, Recipient: "UMO", Ref: `{"channel":"D1","ts":"1.2"}`}); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.RecordCardRef(ctx, core.CardRef{RequestID: id, Platform: core.PlatformSlack, Recipient: "UMO"}); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("empty reference = %v, want EINVALID", err)
	}
	if err := h.svc.RecordCardRef(ctx, core.CardRef{RequestID: id + 99, Platform: core.PlatformSlack, Recipient: "UMO", Ref: "{}"}); core.ErrorCode(err) != core.ENOTFOUND {
		t.Errorf("reference of an unknown request = %v, want ENOTFOUND", err)
	}
	ref, err := h.svc.CardRef(ctx, id, core.PlatformSlack, "UMO")
	if err != nil || ref.Ref != `{"channel":"D1","ts":"1.2"}` {
		t.Errorf("CardRef = %+v, %v; want the newer reference", ref, err)
	}
	if _, err := h.svc.CardRef(ctx, id, core.PlatformFeishu, "UMO"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Errorf("missing card = %v, want ENOTFOUND", err)
	}
	// A click on a card recorded elsewhere (say the manager later moved to
	// Feishu) updates that card too.
	_, err = h.svc.DecideMakeup(ctx, core.MakeupDecision{ID: id, Status: core.MakeupApproved, Actor: "M1",
		Card: &core.CardRef{Platform: core.PlatformFeishu, Recipient: "ou_mo", Ref: `{"message_id":"om_1"}`}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range h.outboxOf(core.OutboxMakeupUpdate) {
		got = append(got, string(m.Platform)+":"+mustRecipient(t, m).UserID)
	}
	if want := []string{"slack:UMO", "feishu:ou_mo"}; !slices.Equal(got, want) {
		t.Errorf("updates to %v, want %v", got, want)
	}
}

// TestMakeupConcurrentDecisions has 20 goroutines approve and reject one
// request at once: exactly one decision, at most one punch.
func TestMakeupConcurrentDecisions(t *testing.T) {
	h := newMakeupHarness(t)
	ctx := context.Background()
	id := h.MustRequest(t, "E1", "11-25", "09:00", core.KindIn).Request.ID
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, actor := core.MakeupApproved, "M1"
			if i%2 == 1 {
				st, actor = core.MakeupRejected, "H1"
			}
			_, errs[i] = h.svc.DecideMakeup(ctx, core.MakeupDecision{ID: id, Status: st, Actor: actor})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch core.ErrorCode(err) {
		case "":
			ok++
		case core.ECONFLICT:
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d decisions succeeded, want exactly 1", ok)
	}
	v, _ := h.svc.MakeupView(ctx, id)
	n := 0
	for _, p := range h.punches(t, "E1") {
		if p.Source == core.SourceMakeup {
			n++
		}
	}
	if want := map[core.MakeupStatus]int{core.MakeupApproved: 1, core.MakeupRejected: 0}[v.Request.Status]; n != want {
		t.Errorf("%s with %d make-up punches, want %d", v.Request.Status, n, want)
	}
	decisions := 0
	for _, a := range h.store.Audit() {
		if a.Action == "makeup.approved" || a.Action == "makeup.rejected" {
			decisions++
		}
	}
	if decisions != 1 {
		t.Errorf("%d decision audit entries, want 1", decisions)
	}
}

// TestMakeupThroughHandle drives the commands the bots send: identity,
// idempotent replies, evidence after filing, a forbidden click, a click
// on a closed request.
func TestMakeupThroughHandle(t *testing.T) {
	h := newMakeupHarness(t)
	ctx := context.Background()
	wecom := func(user string) core.Identity {
		return core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: user}
	}
	handle := func(actor core.Identity, kind core.CommandKind, a core.MakeupArgs, event string) core.Reply {
		t.Helper()
		r, err := h.svc.Handle(ctx, core.Command{Actor: actor, Kind: kind, Makeup: &a, EventID: event, ReplyRoute: `{"touser":"x"}`})
		if err != nil {
			t.Fatalf("Handle(%s, %s): %v", kind, event, err)
		}
		return r
	}
	r := handle(wecom("zhangsan"), core.CmdMakeup, core.MakeupArgs{Date: "11-25", Clock: "09:00", Kind: core.KindIn, Reason: "地铁故障"}, "m1")
	if r.Outcome != core.OutcomeMakeupFiled || r.Makeup == nil || r.Makeup.Request.ID == 0 || r.Makeup.ApproverName != "Manager Mo" || r.Makeup.Used != 1 {
		t.Fatalf("file = %+v", r)
	}
	id := r.Makeup.Request.ID
	again := handle(wecom("zhangsan"), core.CmdMakeup, core.MakeupArgs{Date: "11-25", Clock: "09:00", Kind: core.KindIn, Reason: "地铁故障"}, "m1")
	if !again.Replayed || again.Makeup.Request.ID != id {
		t.Errorf("retry = %+v, want the recorded reply", again)
	}
	refused := handle(wecom("zhangsan"), core.CmdMakeup, core.MakeupArgs{Date: "11-25", Clock: "09:10", Kind: core.KindIn, Reason: "again"}, "m2")
	if refused.Outcome != core.OutcomeMakeupRefused || refused.Makeup.Refusal.Rule != core.MakeupAlreadyOpen {
		t.Errorf("second request = %+v", refused)
	}
	if ev := handle(wecom("zhangsan"), core.CmdMakeupEvidence, core.MakeupArgs{Evidence: []string{"wecom:media:PIC"}}, "m3"); ev.Outcome != core.OutcomeMakeupEvidence ||
		!slices.Equal(ev.Makeup.Request.Evidence, []string{"wecom:media:PIC"}) {
		t.Errorf("evidence = %+v", ev)
	}
	if ev := handle(wecom("lisi"), core.CmdMakeupEvidence, core.MakeupArgs{Evidence: []string{"wecom:media:X"}}, "m4"); ev.Outcome != core.OutcomeMakeupNotFound {
		t.Errorf("a picture from someone with no request = %+v", ev)
	}
	replies := len(h.outboxOf(core.OutboxReply))
	forbidden := handle(wecom("peer"), core.CmdMakeupDecide, core.MakeupArgs{ID: id, Decision: core.MakeupApproved}, "c1")
	if forbidden.Outcome != core.OutcomeMakeupForbidden {
		t.Errorf("colleague's click = %+v", forbidden)
	}
	if got := len(h.outboxOf(core.OutboxReply)); got != replies+1 {
		t.Errorf("the colleague is not told: %d replies, want %d", got, replies+1)
	}
	if v, _ := h.svc.MakeupView(ctx, id); v.Request.Status != core.MakeupPending {
		t.Errorf("after a forbidden click the request is %s", v.Request.Status)
	}
	hr := core.Identity{Platform: core.PlatformFeishu, Tenant: "tk", UserID: "ou_han"}
	dec := handle(hr, core.CmdMakeupDecide, core.MakeupArgs{ID: id, Decision: core.MakeupRejected, Note: "请补充证明"}, "c2")
	if dec.Outcome != core.OutcomeMakeupDecided || dec.Makeup.Request.Status != core.MakeupRejected || dec.Makeup.Request.Note != "请补充证明" {
		t.Errorf("HR decision = %+v", dec)
	}
	if dup := handle(hr, core.CmdMakeupDecide, core.MakeupArgs{ID: id, Decision: core.MakeupRejected}, "c2"); !dup.Replayed || dup.Outcome != core.OutcomeMakeupDecided {
		t.Errorf("the same click delivered twice = %+v, want the recorded reply", dup)
	}
	mgr := core.Identity{Platform: core.PlatformSlack, Tenant: "T1", UserID: "UMO"}
	late := handle(mgr, core.CmdMakeupDecide, core.MakeupArgs{ID: id, Decision: core.MakeupApproved}, "c3")
	if late.Outcome != core.OutcomeMakeupClosed || late.Makeup.Request.Status != core.MakeupRejected || late.Makeup.DeciderName != "HR 韩" {
		t.Errorf("a click after the decision = %+v", late)
	}
	if c := handle(wecom("zhangsan"), core.CmdMakeupCancel, core.MakeupArgs{}, "m5"); c.Outcome != core.OutcomeMakeupNotFound {
		t.Errorf("cancel with nothing pending = %+v", c)
	}
	if err := h.svc.MayDecide(ctx, wecom("peer"), id); core.ErrorCode(err) != core.EFORBIDDEN {
		t.Errorf("MayDecide(colleague) = %v", err)
	}
	if err := h.svc.MayDecide(ctx, mgr, id); err != nil {
		t.Errorf("MayDecide(manager) = %v", err)
	}
	if err := h.svc.MayDecide(ctx, core.Identity{Platform: core.PlatformSlack, UserID: "U?"}, id); core.ErrorCode(err) != core.EFORBIDDEN {
		t.Errorf("MayDecide(stranger) = %v", err)
	}
	if _, err := h.svc.Handle(ctx, core.Command{Actor: wecom("zhangsan"), Kind: core.CmdMakeup}); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("a make-up command without arguments = %v", err)
	}
}

func ExampleService_RequestMakeup() {
	org := makeupOrg()
	_ = org.Prepare()
	store := coretest.NewMemStore()
	_, _ = store.ApplyOrg(context.Background(), org, core.AuditEntry{})
	now := func() time.Time { return time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC) }
	kv := coretest.NewMemKV(now)
	svc := core.NewService(store, kv, kv, core.DefaultConfig(), now)
	for _, d := range []string{"11-20", "11-23", "11-24", "11-25"} {
		v, err := svc.RequestMakeup(context.Background(), "E1", core.MakeupArgs{Date: d, Clock: "09:00", Kind: core.KindIn, Reason: "忘记打卡"}, core.PlatformWeCom)
		if r, ok := core.AsRefusal(err); ok {
			fmt.Printf("%s refused: %s %d/%d\n", d, r.Rule, r.Used, r.Quota)
			continue
		}
		fmt.Printf("%s filed, approver %s, %d/%d used\n", d, v.ApproverName, v.Used, v.Quota)
	}
	// Output:
	// 11-20 filed, approver Manager Mo, 1/3 used
	// 11-23 filed, approver Manager Mo, 2/3 used
	// 11-24 filed, approver Manager Mo, 3/3 used
	// 11-25 refused: makeup_quota_exhausted 3/3
}
