package core_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// Employment of E1, F1 and N1 in these tests: the first working day is
// Tuesday 2026-11-24, the last Thursday 2026-11-26; the day before and
// the day after are working days (Monday, Friday). The clock is
// 2026-12-02 (newLeaveHarness).
const (
	reqJoined    = "2026-11-24"
	reqLeft      = "2026-11-26"
	reqDayBefore = "2026-11-23"
	reqDayAfter  = "2026-11-27"
)

// employmentOrg sets the employment of E1, F1 and N1 (a night-shift
// employee added to the leave organisation), counts the day schedule's
// overtime by approval, and applies edit.
func employmentOrg(joined, left string, edit func(*core.Org)) func(*core.Org) {
	return func(o *core.Org) {
		o.Schedules[0].Overtime = core.OvertimeRule{Mode: core.OvertimeApproval, StartsAfterMin: 30, MinMin: 30, UnitMin: 30}
		night := core.Schedule{ID: "night", WorkDays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
			StartMin: 22 * 60, EndMin: 26 * 60, CheckInOpensMin: 60, CheckOutClosesMin: 120}
		o.Schedules = append(o.Schedules, night)
		o.Employees = append(o.Employees, core.Employee{ID: "N1", Name: "夜班", Active: true, ScheduleID: "night", SiteIDs: []string{"office"}, ManagerID: "M1",
			Identities: []core.Identity{{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "night"}}})
		for i := range o.Employees {
			if e := &o.Employees[i]; e.ID == "E1" || e.ID == "F1" || e.ID == "N1" {
				e.Joined, e.Left = joined, left
			}
		}
		if edit != nil {
			edit(o)
		}
	}
}

// reapplyOrg applies the leave organisation again with mutate, as HR
// setting a leaver's last day after their requests were filed.
func reapplyOrg(tb testing.TB, h makeupHarness, mutate func(*core.Org)) {
	tb.Helper()
	org := leaveOrg()
	mutate(&org)
	if err := org.Prepare(); err != nil {
		tb.Fatal(err)
	}
	if _, err := h.store.ApplyOrg(context.Background(), org, core.AuditEntry{Action: "org.applied"}); err != nil {
		tb.Fatal(err)
	}
}

// listRequests lists the stored requests f selects.
func listRequests(h makeupHarness, f core.MakeupFilter) ([]core.MakeupRequest, error) {
	var out []core.MakeupRequest
	err := h.store.InTx(context.Background(), func(tx core.Tx) error {
		var err error
		out, err = tx.ListMakeups(context.Background(), f)
		return err
	})
	return out, err
}

// fileRequest files a request of kind for E1 (N1 for "night leave") on
// date (a leave's range is date..to).
func fileRequest(h makeupHarness, kind, date, to string) (core.MakeupView, error) {
	ctx := context.Background()
	switch kind {
	case "makeup":
		return h.svc.RequestMakeup(ctx, "E1", core.MakeupArgs{Date: date, Clock: "09:00", Kind: core.KindIn, Reason: "忘记打卡"}, core.PlatformWeCom)
	case "leave":
		return h.svc.RequestLeave(ctx, "E1", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "sick", From: date, To: to, Reason: "发烧"}, core.PlatformWeCom)
	case "night leave":
		return h.svc.RequestLeave(ctx, "N1", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "sick", From: date, To: to}, core.PlatformWeCom)
	case "trip":
		return h.svc.RequestLeave(ctx, "E1", core.LeaveArgs{Type: core.RequestTrip, From: date, To: to, Place: "上海", Reason: "客户"}, core.PlatformWeCom)
	case "outing":
		return h.svc.RequestLeave(ctx, "E1", core.LeaveArgs{Type: core.RequestOuting, From: date, StartClock: "14:00", EndClock: "16:00", Place: "银行"}, core.PlatformWeCom)
	case "overtime":
		return h.svc.RequestLeave(ctx, "E1", core.LeaveArgs{Type: core.RequestOvertime, From: date, StartClock: "19:00", EndClock: "21:00", Reason: "上线"}, core.PlatformWeCom)
	}
	panic("unknown kind " + kind)
}

// TestRequestOutsideEmployment: every kind of request is refused for a
// date before the first or after the last working day, with the dates
// outside and the employment, before any card is queued; the first and
// the last working day themselves are fine.
func TestRequestOutsideEmployment(t *testing.T) {
	type span = core.DateSpan
	tests := []struct {
		kind, from, to string
		want           []span // the dates outside; nil: filed
	}{
		{"makeup", reqDayBefore, "", []span{{reqDayBefore, reqDayBefore}}},
		{"makeup", reqJoined, "", nil},
		{"makeup", reqLeft, "", nil},
		{"makeup", reqDayAfter, "", []span{{reqDayAfter, reqDayAfter}}},
		{"leave", reqDayBefore, "", []span{{reqDayBefore, reqDayBefore}}},
		{"leave", reqJoined, "", nil},
		{"leave", reqLeft, "", nil},
		{"leave", reqDayAfter, "", []span{{reqDayAfter, reqDayAfter}}},
		{"trip", reqDayBefore, "", []span{{reqDayBefore, reqDayBefore}}},
		{"trip", reqJoined, "", nil},
		{"trip", reqLeft, "", nil},
		{"trip", reqDayAfter, "", []span{{reqDayAfter, reqDayAfter}}},
		{"outing", reqDayBefore, "", []span{{reqDayBefore, reqDayBefore}}},
		{"outing", reqJoined, "", nil},
		{"outing", reqLeft, "", nil},
		{"outing", reqDayAfter, "", []span{{reqDayAfter, reqDayAfter}}},
		{"overtime", reqDayBefore, "", []span{{reqDayBefore, reqDayBefore}}},
		{"overtime", reqJoined, "", nil},
		{"overtime", reqLeft, "", nil},
		{"overtime", reqDayAfter, "", []span{{reqDayAfter, reqDayAfter}}},
		// Ranges: the whole employment is fine; one reaching out of it on
		// either side is refused naming only the dates outside.
		{"leave", reqJoined, reqLeft, nil},
		{"leave", "2026-11-20", reqLeft, []span{{"2026-11-20", reqDayBefore}}},
		{"leave", reqJoined, "2026-11-30", []span{{reqDayAfter, "2026-11-30"}}},
		{"trip", "2026-11-20", "2026-11-30", []span{{"2026-11-20", reqDayBefore}, {reqDayAfter, "2026-11-30"}}},
		{"leave", "2026-11-16", "2026-11-20", []span{{"2026-11-16", "2026-11-20"}}},
		// The weekend after the last day has no working time, but it is
		// outside the employment all the same.
		{"leave", reqJoined, "2026-11-29", []span{{reqDayAfter, "2026-11-29"}}},
		// A night shift's whole day on the last day ends the next morning,
		// still that day's shift; the day after is outside.
		{"night leave", reqLeft, "", nil},
		{"night leave", reqDayAfter, "", []span{{reqDayAfter, reqDayAfter}}},
		{"night leave", reqJoined, reqLeft, nil},
	}
	for _, tt := range tests {
		t.Run(tt.kind+" "+tt.from+".."+tt.to, func(t *testing.T) {
			h := newLeaveHarnessWith(t, employmentOrg(reqJoined, reqLeft, nil))
			v, err := fileRequest(h, tt.kind, tt.from, tt.to)
			cards := h.outboxOf(core.OutboxMakeupCard)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("filing: %v, want it filed", err)
				}
				if v.Request.ID == 0 || v.Request.Status != core.MakeupPending || len(cards) != 1 {
					t.Errorf("request %+v, %d cards; want a pending request and its card", v.Request, len(cards))
				}
				return
			}
			ref, ok := core.AsRefusal(err)
			if core.ErrorCode(err) != core.EINVALID || !ok || ref.Rule != core.RequestNotEmployed {
				t.Fatalf("filing: %v, want EINVALID refusal %s", err, core.RequestNotEmployed)
			}
			if !slices.Equal(ref.Outside, tt.want) || ref.Joined != reqJoined || ref.Left != reqLeft {
				t.Errorf("refusal: outside %v, employment %s..%s; want outside %v, employment %s..%s", ref.Outside, ref.Joined, ref.Left, tt.want, reqJoined, reqLeft)
			}
			if v.Refusal != ref {
				t.Errorf("view refusal = %+v, want the error's %+v", v.Refusal, ref)
			}
			for _, d := range tt.want {
				if msg := core.ErrorMessage(err); !strings.Contains(msg, d.From) || !strings.Contains(msg, "outside employment") {
					t.Errorf("message %q, want it to name %s and say outside employment", msg, d.From)
				}
			}
			list, lerr := listRequests(h, core.MakeupFilter{})
			if lerr != nil || len(list) != 0 || len(cards) != 0 {
				t.Errorf("stored %d requests, %d cards (%v); want none", len(list), len(cards), lerr)
			}
		})
	}
}

// TestRequestOutsideEmploymentComesFirst: the employment is checked before
// the quota, the deadline and the working time, so the answer is the one
// thing that no retry cures, and a refused request takes nothing of the
// quota. It binds HR's corrections too, which skip the deadline.
func TestRequestOutsideEmploymentComesFirst(t *testing.T) {
	quota := func(o *core.Org) { o.Makeup.MonthlyQuota, o.Makeup.DeadlineDays = 1, 3 }
	h := newLeaveHarnessWith(t, employmentOrg(reqJoined, "2026-12-31", quota))
	ctx := context.Background()
	if _, err := h.svc.RequestMakeup(ctx, "E1", core.MakeupArgs{Date: "2026-12-01", Clock: "09:00", Kind: core.KindIn, Reason: "忘记打卡"}, core.PlatformWeCom); err != nil {
		t.Fatalf("the month's one make-up: %v", err)
	}
	tests := []struct {
		name string
		args core.MakeupArgs
	}{
		{"quota used up and past the deadline", core.MakeupArgs{Date: reqDayBefore, Clock: "09:00", Kind: core.KindIn, Reason: "忘记打卡"}},
		{"HR's correction", core.MakeupArgs{Date: reqDayBefore, Clock: "18:00", Kind: core.KindOut, Reason: "补录", CorrectedBy: "H1"}},
		{"without a reason", core.MakeupArgs{Date: reqDayBefore, Clock: "09:00", Kind: core.KindIn}},
	}
	for _, tt := range tests {
		_, err := h.svc.RequestMakeup(ctx, "E1", tt.args, core.PlatformWeb)
		if ref, ok := core.AsRefusal(err); !ok || ref.Rule != core.RequestNotEmployed {
			t.Errorf("%s: %v, want %s", tt.name, err, core.RequestNotEmployed)
		}
	}
	// A Sunday before joining: not employed rather than no working time.
	_, err := h.svc.RequestLeave(ctx, "E1", core.LeaveArgs{Type: core.RequestLeave, From: "2026-11-22"}, core.PlatformWeCom)
	if ref, ok := core.AsRefusal(err); !ok || ref.Rule != core.RequestNotEmployed {
		t.Errorf("leave on a Sunday before joining: %v, want %s", err, core.RequestNotEmployed)
	}
}

// TestFieldPunchOutsideEmployment: a punch away from every site on a day
// outside the employment is refused as not employed and files no field
// request; on the first and the last working day it waits for approval.
func TestFieldPunchOutsideEmployment(t *testing.T) {
	tests := []struct {
		date  string
		want  core.Outcome
		filed int // field requests
	}{
		{reqDayBefore, core.OutcomeRejected, 0},
		{reqJoined, core.OutcomeFieldPending, 1},
		{reqLeft, core.OutcomeFieldPending, 1},
		{reqDayAfter, core.OutcomeRejected, 0},
	}
	for _, tt := range tests {
		t.Run(tt.date, func(t *testing.T) {
			h := newLeaveHarnessWith(t, employmentOrg(reqJoined, reqLeft, nil))
			r := h.punch(t, "field", core.KindIn, sh(t, tt.date+" 08:50:00"), north(office, 1200), "ev-"+tt.date)
			if r.Outcome != tt.want || tt.want == core.OutcomeRejected && !slices.Contains(r.Reasons, core.ReasonNotEmployed) {
				t.Errorf("punch: %s %v, want %s (not employed when rejected)", r.Outcome, r.Reasons, tt.want)
			}
			list, err := listRequests(h, core.MakeupFilter{Types: []core.RequestType{core.RequestField}})
			if err != nil || len(list) != tt.filed || len(h.outboxOf(core.OutboxMakeupCard)) != tt.filed {
				t.Errorf("field requests %d, cards %d (%v); want %d of each", len(list), len(h.outboxOf(core.OutboxMakeupCard)), err, tt.filed)
			}
		})
	}
}

// TestApproveOutsideEmployment: a request filed on the last working day
// stays pending when HR then moves the last day earlier: approving it is
// refused naming the dates (no punch written, no leave granted), while
// rejecting it works; with the date back within the employment it can be
// approved.
func TestApproveOutsideEmployment(t *testing.T) {
	for _, kind := range []string{"makeup", "leave", "overtime", "field"} {
		t.Run(kind, func(t *testing.T) {
			h := newLeaveHarnessWith(t, employmentOrg(reqJoined, reqLeft, nil))
			ctx := context.Background()
			now := h.clock.Now()
			var id int64
			emp := "E1"
			if kind == "field" {
				emp = "F1"
				r := h.punch(t, "field", core.KindIn, sh(t, reqLeft+" 08:50:00"), north(office, 1200), "ev-field")
				if r.Outcome != core.OutcomeFieldPending || r.Makeup == nil {
					t.Fatalf("field punch: %+v", r)
				}
				id = r.Makeup.Request.ID
				h.clock.Set(now)
			} else {
				v, err := fileRequest(h, kind, reqLeft, "")
				if err != nil {
					t.Fatalf("filing on the last day: %v", err)
				}
				id = v.Request.ID
			}
			// HR learns the employee left a day earlier.
			reapplyOrg(t, h, employmentOrg(reqJoined, "2026-11-25", nil))
			before := len(h.punches(t, emp))
			v, err := h.svc.DecideMakeup(ctx, core.MakeupDecision{ID: id, Status: core.MakeupApproved, Actor: "M1"})
			ref, ok := core.AsRefusal(err)
			if core.ErrorCode(err) != core.EINVALID || !ok || ref.Rule != core.RequestNotEmployed {
				t.Fatalf("approving: %v, want EINVALID refusal %s", err, core.RequestNotEmployed)
			}
			if want := []core.DateSpan{{reqLeft, reqLeft}}; !slices.Equal(ref.Outside, want) || ref.Left != "2026-11-25" {
				t.Errorf("refusal outside %v, left %s; want %v, 2026-11-25", ref.Outside, ref.Left, want)
			}
			if v.Request.ID != id || v.Request.Status != core.MakeupPending || v.Refusal == nil || v.Refusal.Rule != core.RequestNotEmployed || v.EmployeeName == "" {
				t.Errorf("view = %+v (refusal %+v), want request %d still pending with the refusal and the employee's name", v.Request, v.Refusal, id)
			}
			if got := len(h.punches(t, emp)); got != before {
				t.Errorf("punches %d after the refused approval, want %d", got, before)
			}
			stored, err := listRequests(h, core.MakeupFilter{EmployeeID: emp, Statuses: []core.MakeupStatus{core.MakeupPending}})
			if err != nil || len(stored) != 1 {
				t.Errorf("pending requests %d (%v), want 1", len(stored), err)
			}
			if kind == "leave" {
				// Back within the employment (HR corrected the date again), it is approved.
				reapplyOrg(t, h, employmentOrg(reqJoined, reqLeft, nil))
				if got := h.MustDecide(t, id, core.MakeupApproved, "M1"); got.Request.Status != core.MakeupApproved {
					t.Errorf("after the correction: %s, want approved", got.Request.Status)
				}
				return
			}
			if got := h.MustDecide(t, id, core.MakeupRejected, "M1"); got.Request.Status != core.MakeupRejected {
				t.Errorf("rejecting: %s, want rejected", got.Request.Status)
			}
		})
	}
}

// TestRequestOutsideEmploymentThroughHandle: a chat command outside the
// employment is answered with the refusal (recorded like other refusals),
// and a card click approving one outside it too.
func TestRequestOutsideEmploymentThroughHandle(t *testing.T) {
	h := newLeaveHarnessWith(t, employmentOrg(reqJoined, reqLeft, nil))
	ctx := context.Background()
	r, err := h.svc.Handle(ctx, core.Command{Actor: core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"}, Kind: core.CmdMakeup,
		Makeup: &core.MakeupArgs{Date: reqDayAfter, Clock: "09:00", Kind: core.KindIn, Reason: "忘记打卡"}, EventID: "ev-1", ReceivedAt: h.clock.Now()})
	if err != nil || r.Outcome != core.OutcomeMakeupRefused || r.Makeup == nil || r.Makeup.Refusal == nil || r.Makeup.Refusal.Rule != core.RequestNotEmployed {
		t.Fatalf("Handle(makeup after left) = %+v, %v; want refused %s", r, err, core.RequestNotEmployed)
	}
	v, err := fileRequest(h, "leave", reqLeft, "")
	if err != nil {
		t.Fatal(err)
	}
	reapplyOrg(t, h, employmentOrg(reqJoined, "2026-11-25", nil))
	r, err = h.svc.Handle(ctx, core.Command{Actor: core.Identity{Platform: core.PlatformSlack, Tenant: "T1", UserID: "UMO"}, Kind: core.CmdMakeupDecide,
		Makeup: &core.MakeupArgs{ID: v.Request.ID, Decision: core.MakeupApproved}, EventID: "ev-2", ReceivedAt: h.clock.Now()})
	if err != nil || r.Outcome != core.OutcomeMakeupRefused || r.Makeup == nil || r.Makeup.Refusal == nil ||
		r.Makeup.Refusal.Rule != core.RequestNotEmployed || r.Makeup.Request.ID != v.Request.ID {
		t.Fatalf("Handle(approve after left) = %+v, %v; want refused %s naming request %d", r, err, core.RequestNotEmployed, v.Request.ID)
	}
}
