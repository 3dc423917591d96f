package core_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// fieldStep is one punch of the field employee on 2026-12-03 (shift
// 09:00–18:00): metres north of the office centre (radius 200 m), or no
// location at all for a typed punch that waits for one.
type fieldStep struct {
	kind        core.PunchKind
	clock       string
	metres      float64
	noLocation  bool
	wantOutcome core.Outcome
	wantKind    core.PunchKind
}

// fieldRequests lists the field requests of F1.
func fieldRequests(tb testing.TB, h makeupHarness) []core.MakeupRequest {
	tb.Helper()
	var out []core.MakeupRequest
	err := h.store.InTx(context.Background(), func(tx core.Tx) error {
		var err error
		out, err = tx.ListMakeups(context.Background(), core.MakeupFilter{EmployeeID: "F1", Types: []core.RequestType{core.RequestField}})
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func validIns(ps []core.Punch) int {
	n := 0
	for _, p := range ps {
		if p.Valid() && p.Kind == core.KindIn {
			n++
		}
	}
	return n
}

// TestPunchWhileFieldClockInPending: while a field clock-in waits for
// approval, a second clock-in away from every site (typed, explicit or a
// re-shared location) is a repeat that files nothing; one from inside a
// site counts; the clock-out after it is a clock-out with a clock-in.
func TestPunchWhileFieldClockInPending(t *testing.T) {
	first := fieldStep{core.KindIn, "08:50:00", 1200, false, core.OutcomeFieldPending, core.KindIn}
	tests := []struct {
		name         string
		steps        []fieldStep
		wantRequests int
		wantValidIns int
		wantReason   string // on the last reply
		notReason    string // not on the last reply
	}{
		{"explicit clock-in outside again", []fieldStep{first,
			{core.KindIn, "08:55:00", 1300, false, core.OutcomeRepeat, core.KindIn}}, 1, 0, core.ReasonFieldInPending, ""},
		{"location re-shared outside", []fieldStep{{core.KindAuto, "08:50:00", 1200, false, core.OutcomeFieldPending, core.KindIn},
			{core.KindAuto, "08:50:30", 1200, false, core.OutcomeRepeat, core.KindIn}}, 1, 0, core.ReasonFieldInPending, ""},
		{"typed 上班 then a location outside", []fieldStep{first,
			{core.KindIn, "08:56:00", 0, true, core.OutcomeNeedLocation, core.KindIn},
			{core.KindAuto, "08:57:00", 1250, false, core.OutcomeRepeat, core.KindIn}}, 1, 0, core.ReasonFieldInPending, ""},
		{"clock-in inside a site counts", []fieldStep{first,
			{core.KindIn, "09:02:00", 20, false, core.OutcomeAccepted, core.KindIn}}, 1, 1, "", core.ReasonFieldInPending},
		{"location re-shared inside a site counts", []fieldStep{first,
			{core.KindAuto, "08:53:00", 20, false, core.OutcomeAccepted, core.KindIn}}, 1, 1, "", core.ReasonFieldInPending},
		{"field clock-out later is its own request", []fieldStep{first,
			{core.KindAuto, "18:05:00", 1500, false, core.OutcomeFieldPending, core.KindOut}}, 2, 0, "", core.ReasonNotIn},
		{"on-site clock-out after it has a clock-in", []fieldStep{first,
			{core.KindOut, "18:05:00", 20, false, core.OutcomeAccepted, core.KindOut}}, 1, 0, "", core.ReasonNotIn},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newLeaveHarnessWith(t, func(o *core.Org) { o.Schedules[1].ConfirmWithinMin = 10 })
			var last core.Reply
			for i, s := range tc.steps {
				loc := north(office, s.metres)
				if s.noLocation {
					loc = nil
				}
				last = h.punch(t, "field", s.kind, sh(t, "2026-12-03 "+s.clock), loc, "ev-"+s.clock)
				if last.Outcome != s.wantOutcome || last.Kind != s.wantKind {
					t.Fatalf("step %d (%s %s at %.0f m) = %s %s %v, want %s %s", i, s.kind, s.clock, s.metres, last.Outcome, last.Kind, last.Reasons, s.wantOutcome, s.wantKind)
				}
			}
			if got := len(fieldRequests(t, h)); got != tc.wantRequests {
				t.Errorf("field requests = %d, want %d", got, tc.wantRequests)
			}
			if got := len(h.outboxOf(core.OutboxMakeupCard)); got != tc.wantRequests {
				t.Errorf("approval cards = %d, want %d", got, tc.wantRequests)
			}
			if got := validIns(h.punches(t, "F1")); got != tc.wantValidIns {
				t.Errorf("counting clock-ins = %d, want %d", got, tc.wantValidIns)
			}
			if tc.wantReason != "" && !slices.Contains(last.Reasons, tc.wantReason) {
				t.Errorf("last reasons = %v, want %s", last.Reasons, tc.wantReason)
			}
			if tc.notReason != "" && slices.Contains(last.Reasons, tc.notReason) {
				t.Errorf("last reasons = %v, want no %s", last.Reasons, tc.notReason)
			}
			if last.Outcome == core.OutcomeRepeat {
				if last.Day == nil || !last.Day.Has(core.DayPendingApproval) || last.Day.In != nil {
					t.Errorf("repeat's day = %+v, want the day so far, pending approval, no counting clock-in", last.Day)
				}
				if last.Makeup != nil {
					t.Errorf("repeat filed %+v, want no request", last.Makeup)
				}
			}
		})
	}
}

// TestApproveFieldClockInAfterOnSiteClockIn: a field clock-in decided
// after an on-site clock-in of the same shift: approving records the
// decision and writes no second counting clock-in, and says so; rejecting
// leaves the on-site one.
func TestApproveFieldClockInAfterOnSiteClockIn(t *testing.T) {
	tests := []struct {
		decision       core.MakeupStatus
		wantSuperseded bool
	}{
		{core.MakeupApproved, true},
		{core.MakeupRejected, false},
	}
	for _, tc := range tests {
		t.Run(string(tc.decision), func(t *testing.T) {
			h := newLeaveHarness(t)
			field := h.punch(t, "field", core.KindIn, sh(t, "2026-12-03 08:50:00"), north(office, 1200), "ev-field")
			if field.Outcome != core.OutcomeFieldPending || field.Makeup == nil {
				t.Fatalf("field punch = %s, want pending with a request", field.Outcome)
			}
			onSite := h.punch(t, "field", core.KindIn, sh(t, "2026-12-03 09:10:00"), north(office, 20), "ev-site")
			if onSite.Outcome != core.OutcomeAccepted {
				t.Fatalf("on-site punch = %s, want accepted", onSite.Outcome)
			}
			h.clock.Set(sh(t, "2026-12-03 11:00:00"))
			v := h.MustDecide(t, field.Makeup.Request.ID, tc.decision, "M1")
			if v.Request.Status != tc.decision {
				t.Errorf("status = %s, want %s", v.Request.Status, tc.decision)
			}
			if v.Field == nil || v.Field.Superseded != tc.wantSuperseded {
				t.Errorf("field view = %+v, want Superseded %v", v.Field, tc.wantSuperseded)
			}
			if v.Request.PunchID != 0 {
				t.Errorf("request punch = %d, want none written", v.Request.PunchID)
			}
			ps := h.punches(t, "F1")
			if got := validIns(ps); got != 1 {
				t.Errorf("counting clock-ins = %d, want 1 (%+v)", got, ps)
			}
			for _, p := range ps {
				if p.Valid() && p.ID != onSite.PunchID {
					t.Errorf("counting punch %+v, want only the on-site clock-in %d", p, onSite.PunchID)
				}
			}
			if tc.decision == core.MakeupApproved {
				audit, err := h.store.ListAudit(context.Background(), 100)
				if err != nil {
					t.Fatal(err)
				}
				found := false
				for _, a := range audit {
					var d map[string]any
					if a.Action == "field.approved" && json.Unmarshal([]byte(a.Detail), &d) == nil {
						found = d["no_punch"] == core.NoPunchCountingIn && d["counting_punch_id"] == float64(onSite.PunchID)
					}
				}
				if !found {
					t.Errorf("audit %+v lacks a field.approved entry naming no_punch %s and the counting punch", audit, core.NoPunchCountingIn)
				}
			}
			rep, err := core.BuildDailyReport(context.Background(), h.store, "2026-12-03", "2026-12-03", core.ScopeOf("F1"), sh(t, "2026-12-04 10:00:00"))
			if err != nil || len(rep.Rows) != 1 {
				t.Fatalf("daily report = %+v, %v", rep, err)
			}
			if row := rep.Rows[0]; row.PendingApprovals != 0 || !row.FirstIn.Equal(sh(t, "2026-12-03 09:10:00")) {
				t.Errorf("row = %+v, want the on-site clock-in and nothing pending", row)
			}
		})
	}
}

// TestFieldClockInAfterDecision: once the waiting field clock-in is
// rejected (or withdrawn), it no longer stands for a clock-in: the next
// location is a clock-in again and a new field punch files a new request.
func TestFieldClockInAfterDecision(t *testing.T) {
	tests := []struct {
		name  string
		close func(h makeupHarness, id int64)
	}{
		{"rejected", func(h makeupHarness, id int64) { h.MustDecide(t, id, core.MakeupRejected, "M1") }},
		{"withdrawn", func(h makeupHarness, id int64) {
			if _, err := h.svc.CancelMakeup(context.Background(), "F1", id); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newLeaveHarnessWith(t, func(o *core.Org) { o.Schedules[1].ConfirmWithinMin = 10 })
			first := h.punch(t, "field", core.KindIn, sh(t, "2026-12-03 08:50:00"), north(office, 1200), "ev-1")
			if first.Outcome != core.OutcomeFieldPending || first.Makeup == nil {
				t.Fatalf("first = %s, want a field clock-in waiting", first.Outcome)
			}
			tc.close(h, first.Makeup.Request.ID)
			again := h.punch(t, "field", core.KindAuto, sh(t, "2026-12-03 08:55:00"), north(office, 1250), "ev-2")
			if again.Outcome != core.OutcomeFieldPending || again.Kind != core.KindIn || again.Makeup == nil || again.Makeup.Request.ID == first.Makeup.Request.ID {
				t.Errorf("after %s = %s %s %+v, want a new field clock-in waiting with its own request", tc.name, again.Outcome, again.Kind, again.Makeup)
			}
		})
	}
}
