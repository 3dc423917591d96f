package core_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestWithdrawable: the requester may take a request back while it is
// pending, and an approved leave, trip, outing or overtime until its
// period starts; nothing else, and never after a decision that wrote a
// punch.
func TestWithdrawable(t *testing.T) {
	start := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		typ    core.RequestType
		status core.MakeupStatus
		at     time.Time
		want   bool
	}{
		{"a pending make-up", core.RequestMakeup, core.MakeupPending, start, true},
		{"a pending leave after its start", core.RequestLeave, core.MakeupPending, start.Add(time.Hour), true},
		{"an approved leave before its start", core.RequestLeave, core.MakeupApproved, start.Add(-time.Second), true},
		{"an approved leave at its start", core.RequestLeave, core.MakeupApproved, start, false},
		{"an approved leave after its start", core.RequestLeave, core.MakeupApproved, start.Add(time.Hour), false},
		{"an approved trip before its start", core.RequestTrip, core.MakeupApproved, start.Add(-time.Hour), true},
		{"an approved outing before its start", core.RequestOuting, core.MakeupApproved, start.Add(-time.Hour), true},
		{"an approved overtime before its start", core.RequestOvertime, core.MakeupApproved, start.Add(-time.Hour), true},
		{"an approved make-up", core.RequestMakeup, core.MakeupApproved, start.Add(-time.Hour), false},
		{"an approved field punch", core.RequestField, core.MakeupApproved, start.Add(-time.Hour), false},
		{"a rejected leave", core.RequestLeave, core.MakeupRejected, start.Add(-time.Hour), false},
		{"a withdrawn leave", core.RequestLeave, core.MakeupCancelled, start.Add(-time.Hour), false},
		{"an expired leave", core.RequestLeave, core.MakeupExpired, start.Add(-time.Hour), false},
		{"a revoked leave", core.RequestLeave, core.MakeupRevoked, start.Add(-time.Hour), false},
	}
	for _, tt := range tests {
		m := core.MakeupRequest{ID: 1, EmployeeID: "E1", Type: tt.typ, Status: tt.status, Start: start, End: start.Add(8 * time.Hour)}
		if got := m.Withdrawable(tt.at); got != tt.want {
			t.Errorf("%s: Withdrawable(%s) = %v, want %v", tt.name, tt.at.Format(time.RFC3339), got, tt.want)
		}
	}
}

// TestWithdrawableAgreesWithCancel: CancelMakeup withdraws exactly what
// Withdrawable says it may, before and after the leave's start.
func TestWithdrawableAgreesWithCancel(t *testing.T) {
	tests := []struct {
		name string
		now  string // the clock when withdrawing
	}{
		{"before the start", "2026-12-02 23:59:00"},
		{"at the start", "2026-12-03 00:00:00"},
		{"after the start", "2026-12-03 10:00:00"},
	}
	for _, tt := range tests {
		h := newMakeupHarness(t)
		h.clock.Set(sh(t, "2026-12-02 10:00:00"))
		v := approvedLeave(t, h)
		h.clock.Set(sh(t, tt.now))
		want := v.Request.Withdrawable(h.clock.Now())
		got, err := h.svc.CancelMakeup(context.Background(), "E1", v.Request.ID)
		if withdrew := err == nil && got.Request.Status == core.MakeupRevoked; withdrew != want {
			t.Errorf("%s: CancelMakeup = %s, %v; Withdrawable said %v", tt.name, got.Request.Status, err, want)
		}
		if !want && !isRule(err, core.WithdrawStarted) {
			t.Errorf("%s: CancelMakeup error = %v, want %s", tt.name, err, core.WithdrawStarted)
		}
	}
}

// TestRequesterCardUpdates: a recorded requester's card (CardRef.Requester)
// gets an OutboxMakeupUpdate on every change, addressed to the requester
// (Recipient.Requester, their employee id, language and tenant) next to
// the approver's; a re-announcement sends approval cards only.
func TestRequesterCardUpdates(t *testing.T) {
	tests := []struct {
		name   string
		change func(tb testing.TB, h makeupHarness, id int64)
		status core.MakeupStatus
	}{
		{"approved", func(tb testing.TB, h makeupHarness, id int64) { h.MustDecide(tb, id, core.MakeupApproved, "M1") }, core.MakeupApproved},
		{"rejected", func(tb testing.TB, h makeupHarness, id int64) {
			if _, err := h.svc.DecideMakeup(context.Background(), core.MakeupDecision{ID: id, Status: core.MakeupRejected, Actor: "M1", Note: "请补充证明"}); err != nil {
				tb.Fatal(err)
			}
		}, core.MakeupRejected},
		{"withdrawn", func(tb testing.TB, h makeupHarness, id int64) {
			if _, err := h.svc.CancelMakeup(context.Background(), "E1", id); err != nil {
				tb.Fatal(err)
			}
		}, core.MakeupCancelled},
		{"evidence added", func(tb testing.TB, h makeupHarness, id int64) {
			if _, err := h.svc.AttachEvidence(context.Background(), "E1", id, []string{"wecom:image:M1"}); err != nil {
				tb.Fatal(err)
			}
		}, core.MakeupPending},
		{"expired", func(tb testing.TB, h makeupHarness, id int64) {
			h.clock.Set(h.clock.Now().Add(73 * time.Hour))
			if _, err := h.svc.ExpireMakeups(context.Background()); err != nil {
				tb.Fatal(err)
			}
		}, core.MakeupExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newMakeupHarness(t)
			ctx := context.Background()
			id := h.MustRequest(t, "E1", "11-25", "09:00", core.KindIn).Request.ID
			if err := h.svc.RecordCardRef(ctx, core.CardRef{RequestID: id, Platform: core.PlatformWeCom, Recipient: "zhangsan",
				Ref: `{"response_code":"RC","task_id":"withdraw-1-1-0-x"}`, Requester: true}); err != nil {
				t.Fatal(err)
			}
			if n, err := h.svc.ResendApprovalCards(ctx, id, "again"); err != nil || n != 1 {
				t.Errorf("ResendApprovalCards = %d, %v; want the approver's card alone", n, err)
			}
			for _, m := range h.outboxOf(core.OutboxMakeupCard) {
				if mustRecipient(t, m).Requester {
					t.Errorf("an approval card for the requester: %s", m.Route)
				}
			}
			tt.change(t, h, id)
			var got []string
			for _, m := range h.outboxOf(core.OutboxMakeupUpdate) {
				to := mustRecipient(t, m)
				got = append(got, fmt.Sprintf("%s:%s:%s:%s:%s:%v:%s", m.Platform, to.Tenant, to.UserID, to.EmployeeID, to.Lang, to.Requester, mustView(t, m).Request.Status))
			}
			want := []string{
				"slack:T1:UMO:M1:en:false:" + string(tt.status),
				"wecom:corp:zhangsan:E1:zh:true:" + string(tt.status),
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("updates = %v\nwant      %v", got, want)
			}
		})
	}
}
