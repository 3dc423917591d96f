package core_test

import (
	"context"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestCompLedger: how earned overtime, its expiry and leave make up the
// balance of time off in lieu (调休).
func TestCompLedger(t *testing.T) {
	e := func(date string, min int) core.CompEntry { return core.CompEntry{Date: date, Minutes: min} }
	tests := []struct {
		name      string
		ledger    core.CompLedger
		balance   int
		ask       core.CompEntry
		available int
	}{
		{name: "nothing earned", ledger: core.CompLedger{Today: "2026-12-02"}, balance: 0, ask: e("2026-12-03", 60), available: 0},
		{name: "earned, nothing spent", ledger: core.CompLedger{Earned: []core.CompEntry{e("2026-11-28", 240), e("2026-11-29", 120)}, Today: "2026-12-02"},
			balance: 360, ask: e("2026-12-03", 480), available: 360},
		{name: "spent takes from the balance", ledger: core.CompLedger{Earned: []core.CompEntry{e("2026-11-28", 240)}, Spent: []core.CompEntry{e("2026-12-01", 90)}, Today: "2026-12-02"},
			balance: 150, ask: e("2026-12-03", 150), available: 150},
		{name: "earned time lapses", ledger: core.CompLedger{Earned: []core.CompEntry{e("2026-09-01", 240), e("2026-11-28", 60)}, ExpireDays: 90, Today: "2026-12-02"},
			balance: 60, ask: e("2026-12-03", 120), available: 60},
		{name: "the last valid day", ledger: core.CompLedger{Earned: []core.CompEntry{e("2026-09-03", 240)}, ExpireDays: 90, Today: "2026-12-01"},
			balance: 240, ask: e("2026-12-01", 240), available: 240},
		{name: "a leave after the expiry cannot use it", ledger: core.CompLedger{Earned: []core.CompEntry{e("2026-09-03", 240)}, ExpireDays: 90, Today: "2026-11-20"},
			balance: 240, ask: e("2026-12-02", 60), available: 0},
		{name: "never expires", ledger: core.CompLedger{Earned: []core.CompEntry{e("2025-01-04", 480)}, Today: "2026-12-02"},
			balance: 480, ask: e("2026-12-03", 480), available: 480},
		{name: "oldest earnings are spent first", ledger: core.CompLedger{Earned: []core.CompEntry{e("2026-08-01", 480), e("2026-10-01", 480)},
			Spent: []core.CompEntry{e("2026-10-20", 480)}, ExpireDays: 90, Today: "2026-12-02"},
			balance: 480, ask: e("2026-12-03", 480), available: 480},
		{name: "leave cannot use overtime worked after it", ledger: core.CompLedger{Earned: []core.CompEntry{e("2026-11-28", 240)}, Today: "2026-11-20"},
			balance: 240, ask: e("2026-11-27", 60), available: 0},
		{name: "an earlier leave may not starve a later one", ledger: core.CompLedger{Earned: []core.CompEntry{e("2026-11-28", 240)}, Spent: []core.CompEntry{e("2026-12-10", 240)}, Today: "2026-12-02"},
			balance: 0, ask: e("2026-12-03", 60), available: 0},
		{name: "an overdrawn balance is negative", ledger: core.CompLedger{Earned: []core.CompEntry{e("2026-11-28", 60)}, Spent: []core.CompEntry{e("2026-12-01", 120)}, Today: "2026-12-02"},
			balance: -60, ask: e("2026-12-03", 30), available: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.ledger.BalanceMin(); got != tc.balance {
				t.Errorf("BalanceMin() = %d, want %d", got, tc.balance)
			}
			if got := tc.ledger.Available(tc.ask.Date, tc.ask.Minutes); got != tc.available {
				t.Errorf("Available(%s, %d) = %d, want %d", tc.ask.Date, tc.ask.Minutes, got, tc.available)
			}
		})
	}
}

// newCompHarness: overtime by approval, and a 调休 type earned by rest-day
// overtime that lapses after 90 days.
func newCompHarness(tb testing.TB) makeupHarness {
	tb.Helper()
	return newLeaveHarnessWith(tb, func(o *core.Org) {
		o.Schedules[0].Overtime = core.OvertimeRule{Mode: core.OvertimeApproval, StartsAfterMin: 30, MinMin: 30, UnitMin: 30}
		o.LeaveTypes = append(o.LeaveTypes, core.LeaveType{ID: "comp", Name: "调休", Paid: true,
			FromOvertime: []core.OvertimeKind{core.OvertimeRestDay}, ExpireDays: 90})
	})
}

// TestCompLeave: filing 调休 against the overtime earned, step by step on
// one harness (now is Wednesday 2026-12-02 10:00).
func TestCompLeave(t *testing.T) {
	h := newCompHarness(t)
	ctx := context.Background()
	comp := func(from, start, end string) core.LeaveArgs {
		return core.LeaveArgs{Type: core.RequestLeave, From: from, StartClock: start, EndClock: end, LeaveType: "comp"}
	}
	ot := func(from, start, end string) core.LeaveArgs {
		return core.LeaveArgs{Type: core.RequestOvertime, From: from, StartClock: start, EndClock: end, Reason: "上线"}
	}
	approve := func(a core.LeaveArgs) int64 {
		t.Helper()
		v := h.mustLeave(t, "E1", a)
		h.MustDecide(t, v.Request.ID, core.MakeupApproved, "M1")
		return v.Request.ID
	}
	approve(ot("11-28", "10:00", "14:00")) // a Saturday: 4 h rest-day overtime
	approve(ot("11-30", "18:30", "21:00")) // a Monday: workday overtime earns nothing here
	steps := []struct {
		name      string
		args      core.LeaveArgs
		cancel    bool // withdraw the last filed request first
		revoke    bool // approve the last filed request, then revoke it, first
		wantLeft  int  // CompLeftMin of the filed request
		refused   bool // want LeaveCompExhausted
		available int  // in the refusal
		asked     int  // in the refusal
	}{
		{name: "a whole day is more than earned", args: core.LeaveArgs{Type: core.RequestLeave, From: "12-03", LeaveType: "comp"}, refused: true, available: 240, asked: 540},
		{name: "three hours fit", args: comp("12-03", "09:00", "12:00"), wantLeft: 60},
		{name: "four more do not", args: comp("12-04", "14:00", "18:00"), refused: true, available: 60, asked: 240},
		{name: "withdrawing gives the time back", cancel: true, args: comp("12-04", "14:00", "18:00"), wantLeft: 0},
		{name: "revoking an approved one gives it back", revoke: true, args: comp("12-07", "09:00", "12:00"), wantLeft: 60},
	}
	var last int64
	for _, st := range steps {
		if st.cancel {
			if _, err := h.svc.CancelMakeup(ctx, "E1", last); err != nil {
				t.Fatalf("%s: CancelMakeup(%d): %v", st.name, last, err)
			}
		}
		if st.revoke {
			h.MustDecide(t, last, core.MakeupApproved, "M1")
			if _, err := h.svc.DecideMakeup(ctx, core.MakeupDecision{ID: last, Status: core.MakeupRevoked, Actor: "M1", Note: "改期"}); err != nil {
				t.Fatalf("%s: revoke #%d: %v", st.name, last, err)
			}
		}
		v, err := h.svc.RequestLeave(ctx, "E1", st.args, core.PlatformWeCom)
		if st.refused {
			ref, ok := core.AsRefusal(err)
			if !ok || ref.Rule != core.LeaveCompExhausted || ref.AvailableMin != st.available || ref.AskedMin != st.asked {
				t.Fatalf("%s: RequestLeave = %v (%+v), want %s with %d of %d minutes", st.name, err, ref, core.LeaveCompExhausted, st.available, st.asked)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: RequestLeave: %v (%+v)", st.name, err, v.Request)
		}
		if v.Leave == nil || !v.Leave.Comp || v.Leave.CompLeftMin != st.wantLeft {
			t.Errorf("%s: view %+v, want comp with %d minutes left", st.name, v.Leave, st.wantLeft)
		}
		last = v.Request.ID
	}
}

// TestCompLeaveFromPunches: under overtime by punch the balance is the
// rest-day overtime punched on every day of the lookback, read together.
func TestCompLeaveFromPunches(t *testing.T) {
	h := newLeaveHarnessWith(t, func(o *core.Org) {
		o.Schedules[0].Overtime = core.OvertimeRule{Mode: core.OvertimePunch, StartsAfterMin: 30, MinMin: 30, UnitMin: 30}
		o.LeaveTypes = append(o.LeaveTypes, core.LeaveType{ID: "comp", Name: "调休", Paid: true,
			FromOvertime: []core.OvertimeKind{core.OvertimeRestDay}, ExpireDays: 90})
	})
	// Two Saturdays, three weeks apart: 4 h and 3 h of rest-day overtime.
	for _, p := range []struct {
		kind core.PunchKind
		at   string
	}{
		{core.KindIn, "2026-11-07 10:00:00"}, {core.KindOut, "2026-11-07 14:00:00"},
		{core.KindIn, "2026-11-28 10:00:00"}, {core.KindOut, "2026-11-28 13:00:00"},
	} {
		h.MustPunch(t, "zhangsan", p.kind, p.at)
	}
	_, err := h.svc.RequestLeave(context.Background(), "E1", core.LeaveArgs{Type: core.RequestLeave, From: "12-03", LeaveType: "comp"}, core.PlatformWeCom)
	ref, ok := core.AsRefusal(err)
	if !ok || ref.Rule != core.LeaveCompExhausted || ref.AvailableMin != 7*60 || ref.AskedMin != 540 {
		t.Fatalf("a whole day of 调休: %v (%+v), want %s with %d of %d minutes", err, ref, core.LeaveCompExhausted, 7*60, 540)
	}
	v := h.mustLeave(t, "E1", core.LeaveArgs{Type: core.RequestLeave, From: "12-03", StartClock: "09:00", EndClock: "15:00", LeaveType: "comp"})
	if v.Leave == nil || v.Leave.CompLeftMin != 60 {
		t.Errorf("six hours of 调休: view %+v, want 60 minutes left", v.Leave)
	}
}
