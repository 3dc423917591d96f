package core_test

import (
	"slices"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// deadlineRoster is one weekday 09:00–18:00 worker in Shanghai under a
// policy of 3 make-ups a month within 7 days.
func deadlineRoster(tb testing.TB, policy core.MakeupPolicy) core.Roster {
	tb.Helper()
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	s := &core.Schedule{ID: "day", WorkDays: weekdays, StartMin: 9 * 60, EndMin: 18 * 60, CheckInOpensMin: 120, CheckOutClosesMin: 360}
	e := core.Employee{ID: "D1", Name: "张三", Lang: "zh", Active: true, TimeZone: "Asia/Shanghai",
		Identities: []core.Identity{{Platform: core.PlatformFeishu, UserID: "ou_d1", EmployeeID: "D1"}}}
	rs := []core.Roster{{Employee: e, Schedule: s, Policy: policy}}
	core.ResolveZones(rs)
	return rs[0]
}

// fullDays are normal punches (09:00 in, 18:00 out) of D1 on each date.
func fullDays(tb testing.TB, dates ...string) []core.Punch {
	tb.Helper()
	var out []core.Punch
	for _, d := range dates {
		out = append(out, normal(validPunch("D1", core.KindIn, sh(tb, d+" 08:55:00"), d)), normal(validPunch("D1", core.KindOut, sh(tb, d+" 18:05:00"), d)))
	}
	return out
}

func normal(p core.Punch) core.Punch { p.TimeResult = core.TimeNormal; return p }

func TestMakeupDeadlineDeliveries(t *testing.T) {
	fire := sh(t, "2026-11-28 10:00:00") // a Saturday; 11-20..11-27 are looked at
	quota := core.MakeupPolicy{MonthlyQuota: 3, DeadlineDays: 7}
	rem := core.Reminder{ID: "month-end", Kind: core.ReminderMakeupDeadline, Enabled: true}
	late := validPunch("D1", core.KindIn, sh(t, "2026-11-26 09:40:00"), "2026-11-26")
	late.TimeResult, late.LateMin = core.TimeLate, 40
	made := func(date string, kind core.PunchKind, st core.MakeupStatus) core.MakeupRequest {
		return core.MakeupRequest{EmployeeID: "D1", ShiftDate: date, Kind: kind, Status: st, CreatedAt: sh(t, "2026-11-27 12:00:00")}
	}
	tests := []struct {
		name     string
		policy   core.MakeupPolicy
		employee func(*core.Employee)
		punches  []core.Punch
		requests []core.MakeupRequest
		want     *core.Notice // nil: nobody is told
	}{
		{"nothing to file", quota, nil, fullDays(t, "2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"), nil, nil},
		{"a missing clock-out and a late clock-in", quota, nil,
			append(fullDays(t, "2026-11-23", "2026-11-24", "2026-11-27"), validPunch("D1", core.KindIn, sh(t, "2026-11-25 08:55:00"), "2026-11-25"), late,
				normal(validPunch("D1", core.KindOut, sh(t, "2026-11-26 18:05:00"), "2026-11-26"))),
			nil, &core.Notice{Gaps: 2, FileBy: "2026-12-02", QuotaLeft: 3, LatestGap: &core.MissingSlot{Date: "2026-11-26", Kind: core.KindIn, At: sh(t, "2026-11-26 09:00:00")}}},
		{"an absent day is two gaps", quota, nil, fullDays(t, "2026-11-23", "2026-11-25", "2026-11-26", "2026-11-27"), nil,
			&core.Notice{Gaps: 2, FileBy: "2026-12-01", QuotaLeft: 3, LatestGap: &core.MissingSlot{Date: "2026-11-24", Kind: core.KindOut, At: sh(t, "2026-11-24 18:00:00")}}},
		{"a gap already filed is not counted", quota, nil,
			append(fullDays(t, "2026-11-23", "2026-11-24", "2026-11-26", "2026-11-27"), validPunch("D1", core.KindIn, sh(t, "2026-11-25 08:55:00"), "2026-11-25")),
			[]core.MakeupRequest{made("2026-11-25", core.KindOut, core.MakeupPending)}, nil},
		{"the quota is used up", quota, nil,
			append(fullDays(t, "2026-11-23", "2026-11-24", "2026-11-26", "2026-11-27"), validPunch("D1", core.KindIn, sh(t, "2026-11-25 08:55:00"), "2026-11-25")),
			[]core.MakeupRequest{made("2026-11-03", core.KindIn, core.MakeupApproved), made("2026-11-04", core.KindIn, core.MakeupApproved), made("2026-11-05", core.KindIn, core.MakeupPending)}, nil},
		{"one make-up left: rejected ones do not count", quota, nil,
			append(fullDays(t, "2026-11-23", "2026-11-24", "2026-11-26", "2026-11-27"), validPunch("D1", core.KindIn, sh(t, "2026-11-25 08:55:00"), "2026-11-25")),
			[]core.MakeupRequest{made("2026-11-03", core.KindIn, core.MakeupApproved), made("2026-11-04", core.KindIn, core.MakeupApproved), made("2026-11-05", core.KindIn, core.MakeupRejected)},
			&core.Notice{Gaps: 1, FileBy: "2026-12-02", QuotaLeft: 1, LatestGap: &core.MissingSlot{Date: "2026-11-25", Kind: core.KindOut, At: sh(t, "2026-11-25 18:00:00")}}},
		{"past the deadline: only what may still be filed", core.MakeupPolicy{DeadlineDays: 2}, nil,
			append(fullDays(t, "2026-11-23", "2026-11-24", "2026-11-27"), validPunch("D1", core.KindIn, sh(t, "2026-11-25 08:55:00"), "2026-11-25"), late,
				normal(validPunch("D1", core.KindOut, sh(t, "2026-11-26 18:05:00"), "2026-11-26"))),
			nil, &core.Notice{Gaps: 1, FileBy: "2026-11-28", LatestGap: &core.MissingSlot{Date: "2026-11-26", Kind: core.KindIn, At: sh(t, "2026-11-26 09:00:00")}}},
		{"approved leave covers a day", quota, nil, fullDays(t, "2026-11-23", "2026-11-25", "2026-11-26", "2026-11-27"),
			[]core.MakeupRequest{{EmployeeID: "D1", Type: core.RequestLeave, LeaveType: "annual", Status: core.MakeupApproved,
				Start: sh(t, "2026-11-24 09:00:00"), End: sh(t, "2026-11-24 18:00:00"), CreatedAt: sh(t, "2026-11-20 12:00:00")}}, nil},
		{"inactive people are not told", quota, func(e *core.Employee) { e.Active = false }, fullDays(t, "2026-11-23"), nil, nil},
		{"days after the last working day are no gaps", quota, func(e *core.Employee) { e.Left = "2026-11-23" }, fullDays(t, "2026-11-23"), nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ro := deadlineRoster(t, tc.policy)
			if tc.employee != nil {
				tc.employee(&ro.Employee)
			}
			ds := core.MakeupDeadlineDeliveries(rem, []core.Roster{ro}, tc.punches, tc.requests, fire, false)
			if tc.want == nil {
				if len(ds) != 0 {
					t.Fatalf("deliveries = %+v, want none", *ds[0].Notice)
				}
				return
			}
			if len(ds) != 1 {
				t.Fatalf("%d deliveries, want one", len(ds))
			}
			n := ds[0].Notice
			got := core.Notice{Gaps: n.Gaps, FileBy: n.FileBy, QuotaLeft: n.QuotaLeft, LatestGap: n.LatestGap}
			if got.LatestGap == nil || !got.LatestGap.At.Equal(tc.want.LatestGap.At) || got.LatestGap.Date != tc.want.LatestGap.Date || got.LatestGap.Kind != tc.want.LatestGap.Kind ||
				got.Gaps != tc.want.Gaps || got.FileBy != tc.want.FileBy || got.QuotaLeft != tc.want.QuotaLeft {
				t.Errorf("notice = gaps %d, file by %q, quota left %d, latest %+v; want gaps %d, file by %q, quota left %d, latest %+v",
					got.Gaps, got.FileBy, got.QuotaLeft, got.LatestGap, tc.want.Gaps, tc.want.FileBy, tc.want.QuotaLeft, tc.want.LatestGap)
			}
			if n.Kind != core.ReminderMakeupDeadline || n.Lang != "zh" || ds[0].Recipient.UserID != "ou_d1" {
				t.Errorf("delivery = %+v to %+v, want a zh makeup_deadline notice to ou_d1", n, ds[0].Recipient)
			}
		})
	}
}

// TestMakeupDeadlineAgreesWithFiling: the last date the reminder names is
// the last day CheckMakeup accepts the slot, and the day after it refuses.
func TestMakeupDeadlineAgreesWithFiling(t *testing.T) {
	for _, days := range []int{1, 3, 7, 30} {
		policy := core.MakeupPolicy{DeadlineDays: days}
		ro := deadlineRoster(t, policy)
		// Every other day is whole: 11-25's clock-out is the one gap.
		punches := []core.Punch{validPunch("D1", core.KindIn, sh(t, "2026-11-25 08:55:00"), "2026-11-25")}
		for d := sh(t, "2026-10-20 12:00:00"); d.Before(sh(t, "2026-11-25 00:00:00")); d = d.AddDate(0, 0, 1) {
			punches = append(punches, fullDays(t, d.Format(core.DateLayout))...)
		}
		fire := sh(t, "2026-11-26 10:00:00")
		ds := core.MakeupDeadlineDeliveries(core.Reminder{ID: "m", Kind: core.ReminderMakeupDeadline}, []core.Roster{ro}, punches, nil, fire, false)
		i := slices.IndexFunc(ds, func(d core.Delivery) bool { return d.Notice.FileBy != "" })
		if i < 0 || ds[i].Notice.Gaps != 1 {
			t.Fatalf("deadline %d: no notice of one gap with a last date: %+v", days, ds)
		}
		last := ds[i].Notice.FileBy
		req := core.MakeupRequest{ShiftDate: "2026-11-25", Kind: core.KindOut, At: sh(t, "2026-11-25 18:00:00")}
		if r := core.CheckMakeup(policy, req, nil, nil, sh(t, last+" 23:59:00"), ro.Zone()); r != nil {
			t.Errorf("deadline %d: filing at the end of %s is refused (%v), but the reminder names it the last date", days, last, r)
		}
		next := sh(t, last+" 23:59:00").Add(2 * time.Minute)
		if r := core.CheckMakeup(policy, req, nil, nil, next, ro.Zone()); r == nil || r.Rule != core.MakeupPastDeadline {
			t.Errorf("deadline %d: filing on the day after %s = %v, want past the deadline", days, last, r)
		}
	}
}
