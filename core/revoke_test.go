package core_test

import (
	"context"
	"slices"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// approvedLeave files E1's annual leave for Thursday 2026-12-03 and has the
// manager approve it; the harness clock is Wednesday 10:00.
func approvedLeave(tb testing.TB, h makeupHarness) core.MakeupView {
	tb.Helper()
	v := h.mustLeave(tb, "E1", core.LeaveArgs{Type: core.RequestLeave, From: "12-03", LeaveType: "annual", Reason: "家事"})
	return h.MustDecide(tb, v.Request.ID, core.MakeupApproved, "M1")
}

// approvedFieldPunch has F1 punch in far from the office and the manager
// approve it.
func approvedFieldPunch(tb testing.TB, h makeupHarness) core.MakeupView {
	tb.Helper()
	reply := h.punch(tb, "field", core.KindIn, sh(tb, "2026-12-02 08:50:00"), north(office, 1200), "ev-field")
	if reply.Outcome != core.OutcomeFieldPending || reply.Makeup == nil {
		tb.Fatalf("field punch = %+v, want field_pending", reply)
	}
	h.clock.Set(sh(tb, "2026-12-02 10:00:00"))
	return h.MustDecide(tb, reply.Makeup.Request.ID, core.MakeupApproved, "M1")
}

func auditActions(tb testing.TB, h makeupHarness, subject string) []string {
	tb.Helper()
	audit, err := h.store.FindAudit(context.Background(), core.AuditFilter{Subject: subject})
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, a := range audit {
		out = append(out, a.Action)
	}
	return out
}

// TestTakeBackApproval: the requester withdraws an approved leave, trip
// or outing before it starts (销假); the routed approver or HR revoke one
// at any time with a reason; nobody else, and never a make-up or a field
// punch, whose approval wrote a punch.
func TestTakeBackApproval(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(tb testing.TB, h makeupHarness) core.MakeupView // the approved request
		now    string                                               // the clock when taking back; "" keeps the harness's
		actor  string
		cancel bool // through CancelMakeup (请假 取消 12) rather than a revoke decision
		note   string
		// want: "" (revoked), a refusal rule, or an error code.
		want string
		// action is the audit entry; notified the user id told about it.
		action   string
		notified string
	}{
		{name: "the requester withdraws before the start", setup: approvedLeave, actor: "E1", cancel: true,
			action: "leave.withdrawn", notified: "UMO"},
		{name: "the requester's 撤销 withdraws too", setup: approvedLeave, actor: "E1",
			action: "leave.withdrawn", notified: "UMO"},
		{name: "a minute before the start is still before", setup: approvedLeave, now: "2026-12-02 23:59:00", actor: "E1", cancel: true,
			action: "leave.withdrawn", notified: "UMO"},
		{name: "the requester is too late once it started", setup: approvedLeave, now: "2026-12-03 00:00:00", actor: "E1", cancel: true,
			want: core.WithdrawStarted},
		{name: "the approver revokes after the start", setup: approvedLeave, now: "2026-12-03 09:30:00", actor: "M1", note: "员工已到岗",
			action: "leave.revoked", notified: "zhangsan"},
		{name: "HR revokes", setup: approvedLeave, actor: "H1", note: "计划取消",
			action: "leave.revoked", notified: "zhangsan"},
		{name: "HR at the console revokes", setup: approvedLeave, actor: core.ActorAdmin, note: "计划取消",
			action: "leave.revoked", notified: "zhangsan"},
		{name: "a revocation needs a reason", setup: approvedLeave, actor: "M1", want: core.RevokeNeedsReason},
		{name: "a peer may not revoke", setup: approvedLeave, actor: "P1", note: "我说的", want: core.EFORBIDDEN},
		{name: "an unknown person may not revoke", setup: approvedLeave, actor: "NOBODY", note: "?", want: core.EFORBIDDEN},
		{name: "a pending leave is decided, not revoked", actor: "M1", note: "不用了", want: core.RevokeNotApproved,
			setup: func(t testing.TB, h makeupHarness) core.MakeupView {
				return h.mustLeave(t, "E1", core.LeaveArgs{Type: core.RequestLeave, From: "12-03", LeaveType: "annual"})
			}},
		{name: "a trip is withdrawn like leave", actor: "E1", cancel: true, action: "trip.withdrawn", notified: "UMO",
			setup: func(t testing.TB, h makeupHarness) core.MakeupView {
				v := h.mustLeave(t, "E1", core.LeaveArgs{Type: core.RequestTrip, From: "12-07", To: "12-08", Place: "上海"})
				return h.MustDecide(t, v.Request.ID, core.MakeupApproved, "M1")
			}},
		{name: "a make-up approval wrote a punch", actor: "M1", note: "搞错了", want: core.RevokeNotRevocable,
			setup: func(t testing.TB, h makeupHarness) core.MakeupView {
				v := h.MustRequest(t, "E1", "12-01", "09:00", core.KindIn)
				return h.MustDecide(t, v.Request.ID, core.MakeupApproved, "M1")
			}},
		{name: "nor can its requester withdraw it", actor: "E1", cancel: true, want: core.RevokeNotRevocable,
			setup: func(t testing.TB, h makeupHarness) core.MakeupView {
				v := h.MustRequest(t, "E1", "12-01", "09:00", core.KindIn)
				return h.MustDecide(t, v.Request.ID, core.MakeupApproved, "M1")
			}},
		{name: "a field punch approval wrote a punch", setup: approvedFieldPunch, actor: "H1", note: "搞错了", want: core.RevokeNotRevocable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			h := newLeaveHarness(t)
			approved := tc.setup(t, h)
			id := approved.Request.ID
			if tc.now != "" {
				h.clock.Set(sh(t, tc.now))
			}
			outboxBefore := len(h.store.Outbox())
			var got core.MakeupView
			var err error
			if tc.cancel {
				got, err = h.svc.CancelMakeup(ctx, tc.actor, id)
			} else {
				got, err = h.svc.DecideMakeup(ctx, core.MakeupDecision{ID: id, Status: core.MakeupRevoked, Actor: tc.actor, Note: tc.note})
			}
			after, _ := h.svc.MakeupView(ctx, id)
			if tc.want != "" {
				ref, isRefusal := core.AsRefusal(err)
				if gotWhy := core.ErrorCode(err); isRefusal {
					gotWhy = ref.Rule
					if got.Refusal == nil || got.Refusal.Rule != tc.want || got.Request.ID != id {
						t.Errorf("refusal view = %+v (request %d), want rule %s about request %d", got.Refusal, got.Request.ID, tc.want, id)
					}
				} else if gotWhy != tc.want {
					t.Fatalf("take back = %v, want %s", err, tc.want)
				}
				if after.Request.Status != approved.Request.Status {
					t.Errorf("status after a refusal = %s, want %s", after.Request.Status, approved.Request.Status)
				}
				if n := len(h.store.Outbox()); n != outboxBefore {
					t.Errorf("outbox grew from %d to %d on a refusal", outboxBefore, n)
				}
				return
			}
			if err != nil {
				t.Fatalf("take back: %v", err)
			}
			if got.Request.Status != core.MakeupRevoked || after.Request.Status != core.MakeupRevoked || got.Request.DecidedBy != tc.actor || got.Request.Note != tc.note {
				t.Errorf("request = %+v (stored %s), want revoked by %s with note %q", got.Request, after.Request.Status, tc.actor, tc.note)
			}
			if actions := auditActions(t, h, "E1"); !slices.Contains(actions, tc.action) {
				t.Errorf("audit actions = %v, want %s", actions, tc.action)
			}
			var updates, results []string
			for _, m := range h.store.Outbox()[outboxBefore:] {
				if v := mustView(t, m); v.Request.ID != id || v.Request.Status != core.MakeupRevoked {
					t.Errorf("%s message about request %d in state %s, want %d revoked", m.Kind, v.Request.ID, v.Request.Status, id)
				}
				switch m.Kind {
				case core.OutboxMakeupUpdate:
					updates = append(updates, mustRecipient(t, m).UserID)
				case core.OutboxMakeupResult:
					results = append(results, mustRecipient(t, m).UserID)
				}
			}
			if !slices.Equal(updates, []string{"UMO"}) {
				t.Errorf("card updates to %v, want the manager's card (UMO)", updates)
			}
			if !slices.Equal(results, []string{tc.notified}) {
				t.Errorf("notices to %v, want %s", results, tc.notified)
			}

			// A double click or a retry answers with the current state.
			outboxBefore = len(h.store.Outbox())
			again, err := h.svc.CancelMakeup(ctx, "E1", id)
			if core.ErrorCode(err) != core.ECONFLICT || again.Request.Status != core.MakeupRevoked {
				t.Errorf("withdrawing again = %s, %v; want ECONFLICT showing revoked", again.Request.Status, err)
			}
			again, err = h.svc.DecideMakeup(ctx, core.MakeupDecision{ID: id, Status: core.MakeupRevoked, Actor: "H1", Note: "again"})
			if core.ErrorCode(err) != core.ECONFLICT || again.Request.Status != core.MakeupRevoked {
				t.Errorf("revoking again = %s, %v; want ECONFLICT showing revoked", again.Request.Status, err)
			}
			if n := len(h.store.Outbox()); n != outboxBefore {
				t.Errorf("outbox grew from %d to %d on a second take-back", outboxBefore, n)
			}
		})
	}
}

// TestWithdrawnLeaveFreesBalanceAndDay: after 销假 the days are back in
// the balance (a leave that would have exceeded it is accepted) and the
// report no longer shows the day as leave.
func TestWithdrawnLeaveFreesBalanceAndDay(t *testing.T) {
	ctx := context.Background()
	h := newLeaveHarness(t)
	week := h.mustLeave(t, "E1", core.LeaveArgs{Type: core.RequestLeave, From: "12-07", To: "12-11", LeaveType: "annual"}) // 5 of 5 days
	h.MustDecide(t, week.Request.ID, core.MakeupApproved, "M1")
	more := core.LeaveArgs{Type: core.RequestLeave, From: "12-14", LeaveType: "annual"}
	if _, err := h.svc.RequestLeave(ctx, "E1", more, core.PlatformWeCom); !isRule(err, core.LeaveBalanceExhausted) {
		t.Fatalf("a sixth day before the withdrawal: %v, want %s", err, core.LeaveBalanceExhausted)
	}
	if _, err := h.svc.CancelMakeup(ctx, "E1", week.Request.ID); err != nil {
		t.Fatalf("withdraw: %v", err)
	}
	v, err := h.svc.RequestLeave(ctx, "E1", more, core.PlatformWeCom)
	if err != nil {
		t.Fatalf("a sixth day after the withdrawal: %v, want it filed", err)
	}
	if v.Leave == nil || v.Leave.UsedDays != 1 {
		t.Errorf("balance after the withdrawal = %+v, want 1 of 5 used (this request only)", v.Leave)
	}

	// The week's Monday, worked after all: a normal day, not leave.
	h.clock.Set(sh(t, "2026-12-07 09:00:00"))
	h.punch(t, "zhangsan", core.KindIn, sh(t, "2026-12-07 08:55:00"), north(office, 20), "ev-in")
	h.punch(t, "zhangsan", core.KindOut, sh(t, "2026-12-07 18:05:00"), north(office, 20), "ev-out")
	rep, err := core.BuildDailyReport(ctx, h.store, "2026-12-07", "2026-12-07", core.ScopeOf("E1"), sh(t, "2026-12-08 10:00:00"))
	if err != nil || len(rep.Rows) != 1 {
		t.Fatalf("daily report = %+v, %v", rep, err)
	}
	if got, want := rep.Rows[0].Statuses, []core.DayStatus{core.DayNormal}; !slices.Equal(got, want) {
		t.Errorf("Monday after the withdrawal = %v, want %v", got, want)
	}
}

func isRule(err error, rule string) bool {
	r, ok := core.AsRefusal(err)
	return ok && r.Rule == rule
}

// TestTakeBackThroughHandle: the chat commands answer and record like the
// other request commands; the requester's 撤销 is answered as a
// withdrawal, the approver's as a decision, a retry replays.
func TestTakeBackThroughHandle(t *testing.T) {
	ctx := context.Background()
	h := newLeaveHarness(t)
	v := approvedLeave(t, h)
	id := v.Request.ID
	mo := core.Identity{Platform: core.PlatformSlack, Tenant: "T1", UserID: "UMO"}
	zhang := core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"}
	revoke := func(actor core.Identity, event, note string) core.Command {
		return core.Command{Actor: actor, Kind: core.CmdMakeupDecide, EventID: event, ReplyRoute: `{}`,
			Makeup: &core.MakeupArgs{ID: id, Decision: core.MakeupRevoked, Note: note}}
	}
	tests := []struct {
		name    string
		cmd     core.Command
		outcome core.Outcome
		status  core.MakeupStatus
		rule    string
	}{
		{"the approver without a reason is refused", revoke(mo, "ev-1", ""), core.OutcomeMakeupRefused, core.MakeupApproved, core.RevokeNeedsReason},
		{"the requester's 撤销 withdraws", revoke(zhang, "ev-2", ""), core.OutcomeMakeupCancelled, core.MakeupRevoked, ""},
		{"the approver then finds it closed", revoke(mo, "ev-3", "员工已到岗"), core.OutcomeMakeupClosed, core.MakeupRevoked, ""},
	}
	for _, tc := range tests {
		reply, err := h.svc.Handle(ctx, tc.cmd)
		if err != nil || reply.Outcome != tc.outcome || reply.Makeup == nil || reply.Makeup.Request.Status != tc.status {
			t.Fatalf("%s: Handle = %+v, %v; want %s with the request %s", tc.name, reply, err, tc.outcome, tc.status)
		}
		if rule := ""; reply.Makeup.Refusal != nil || tc.rule != "" {
			if reply.Makeup.Refusal != nil {
				rule = reply.Makeup.Refusal.Rule
			}
			if rule != tc.rule {
				t.Errorf("%s: refusal %q, want %q", tc.name, rule, tc.rule)
			}
		}
		again, err := h.svc.Handle(ctx, tc.cmd)
		if err != nil || !again.Replayed || again.Outcome != tc.outcome {
			t.Errorf("%s: retry = %+v, %v; want the first answer replayed", tc.name, again, err)
		}
	}
}

// TestWithdrawBeforeStartInTheEmployeesZone: "before it starts" is the
// employee's midnight, not the server's or Shanghai's: at 10:00 in
// Shanghai on 12-03 a New York employee's leave of 12-03 has not begun.
func TestWithdrawBeforeStartInTheEmployeesZone(t *testing.T) {
	tests := []struct {
		now  string // Asia/Shanghai
		want string // "" or the refusal rule
	}{
		{"2026-12-03 10:00:00", ""},                   // 12-02 21:00 in New York
		{"2026-12-03 13:00:00", core.WithdrawStarted}, // 12-03 00:00 in New York
	}
	for _, tc := range tests {
		t.Run(tc.now, func(t *testing.T) {
			h := newLeaveHarnessWith(t, func(o *core.Org) { o.Employees[0].TimeZone = "America/New_York" })
			v := approvedLeave(t, h)
			h.clock.Set(sh(t, tc.now))
			_, err := h.svc.CancelMakeup(context.Background(), "E1", v.Request.ID)
			if got := ruleOf(err); got != tc.want {
				t.Errorf("withdraw at %s Shanghai = %v, want %q", tc.now, err, tc.want)
			}
		})
	}
}

func ruleOf(err error) string {
	if r, ok := core.AsRefusal(err); ok {
		return r.Rule
	}
	if err != nil {
		return "error: " + err.Error()
	}
	return ""
}
