package core_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestRequestErrorsNameTheirKind: the engine's errors about a leave, trip,
// outing or overtime request say so, not "make-up request".
func TestRequestErrorsNameTheirKind(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		noun string
		file func(h makeupHarness) (core.MakeupView, error)
	}{
		{"make-up request", func(h makeupHarness) (core.MakeupView, error) {
			return h.svc.RequestMakeup(ctx, "E1", core.MakeupArgs{Date: "2026-12-01", Clock: "09:00", Kind: core.KindIn, Reason: "地铁故障"}, core.PlatformWeCom)
		}},
		{"leave request", func(h makeupHarness) (core.MakeupView, error) {
			return h.svc.RequestLeave(ctx, "E1", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "sick", From: "12-03", Reason: "发烧"}, core.PlatformWeCom)
		}},
		{"business trip request", func(h makeupHarness) (core.MakeupView, error) {
			return h.svc.RequestLeave(ctx, "E1", core.LeaveArgs{Type: core.RequestTrip, From: "12-07", Place: "上海", Reason: "客户"}, core.PlatformWeCom)
		}},
		{"outing request", func(h makeupHarness) (core.MakeupView, error) {
			return h.svc.RequestLeave(ctx, "E1", core.LeaveArgs{Type: core.RequestOuting, From: "12-08", StartClock: "14:00", EndClock: "16:00", Reason: "拜访"}, core.PlatformWeCom)
		}},
		{"overtime request", func(h makeupHarness) (core.MakeupView, error) {
			return h.svc.RequestLeave(ctx, "E1", core.LeaveArgs{Type: core.RequestOvertime, From: "12-04", StartClock: "18:30", EndClock: "21:00", Reason: "上线"}, core.PlatformWeCom)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.noun, func(t *testing.T) {
			h := newOvertimeHarness(t, core.OvertimeApproval)
			v, err := tt.file(h)
			if err != nil || v.Request.ID == 0 {
				t.Fatalf("filing: %+v, %v", v.Request, err)
			}
			id := v.Request.ID
			h.MustDecide(t, id, core.MakeupRejected, "M1")
			checks := []struct {
				what string
				err  error
				code string
				want string
			}{
				{"decided again", second(h.svc.DecideMakeup(ctx, core.MakeupDecision{ID: id, Status: core.MakeupApproved, Actor: "M1"})),
					core.ECONFLICT, fmt.Sprintf("%s %d is already rejected", tt.noun, id)},
				{"withdrawn after the rejection", second(h.svc.CancelMakeup(ctx, "E1", id)),
					core.ECONFLICT, fmt.Sprintf("%s %d is already rejected", tt.noun, id)},
				{"withdrawn by someone else", second(h.svc.CancelMakeup(ctx, "P1", id)),
					core.EFORBIDDEN, fmt.Sprintf("%s %d is not yours to cancel", tt.noun, id)},
				{"decided by a colleague", second(h.svc.DecideMakeup(ctx, core.MakeupDecision{ID: id, Status: core.MakeupApproved, Actor: "P1"})),
					core.EFORBIDDEN, fmt.Sprintf("only the assigned approver or HR can decide %s %d", tt.noun, id)},
			}
			for _, c := range checks {
				if got := core.ErrorMessage(c.err); core.ErrorCode(c.err) != c.code || got != c.want {
					t.Errorf("%s: %s %q, want %s %q", c.what, core.ErrorCode(c.err), got, c.code, c.want)
				}
			}
			// A colleague's typed 同意 is answered as forbidden, naming
			// the kind (and nothing else) of the request.
			r, err := h.svc.Handle(ctx, core.Command{Actor: core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "peer"},
				Kind: core.CmdMakeupDecide, Makeup: &core.MakeupArgs{ID: id, Decision: core.MakeupApproved}, EventID: "peer-approve"})
			if err != nil || r.Outcome != core.OutcomeMakeupForbidden || r.Makeup == nil || r.Makeup.Request.ID != id ||
				r.Makeup.Request.TypeOf() != v.Request.TypeOf() || r.Makeup.Request.EmployeeID != "" {
				t.Errorf("colleague's 同意 = %+v, %v; want forbidden naming request %d of type %s only", r.Makeup, err, id, v.Request.TypeOf())
			}
		})
	}
}

// TestNoPendingRequestIsNeutral: withdrawing "the latest pending
// request" covers every kind, so its not-found names none.
func TestNoPendingRequestIsNeutral(t *testing.T) {
	h := newOvertimeHarness(t, core.OvertimeApproval)
	_, err := h.svc.CancelMakeup(context.Background(), "P1", 0)
	if got, want := core.ErrorMessage(err), "you have no pending request"; core.ErrorCode(err) != core.ENOTFOUND || got != want {
		t.Errorf("CancelMakeup(latest) = %s %q, want %s %q", core.ErrorCode(err), got, core.ENOTFOUND, want)
	}
}

func second(_ core.MakeupView, err error) error { return err }
