package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// TestApprovalsPage lists every request type with type and status
// filters; HR decides any; a rejection without a reason is sent back with
// the page and changes nothing; with one, the employee's result message
// carries it.
func TestApprovalsPage(t *testing.T) {
	f := MustFixture(t, true)
	leave, err := f.svc.RequestLeave(t.Context(), "E2", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "annual", From: "2026-11-30", Reason: "家事"}, core.PlatformWeCom)
	if err != nil {
		t.Fatalf("RequestLeave: %v", err)
	}
	trip, err := f.svc.RequestLeave(t.Context(), "E3", core.LeaveArgs{Type: core.RequestTrip, From: "2026-12-01", To: "2026-12-02", Place: "上海", Reason: "客户"}, core.PlatformWeCom)
	if err != nil {
		t.Fatalf("RequestLeave trip: %v", err)
	}
	hr := f.MustSignIn(t, "H1")
	types := func(q string) string {
		body := hr.get(t, "/makeups?"+q).Body
		var got []string
		for _, typ := range []string{"makeup", "field", "leave", "trip", "outing"} {
			if n := strings.Count(body, `data-type="`+typ+`"`); n > 0 {
				got = append(got, fmt.Sprintf("%s:%d", typ, n))
			}
		}
		return strings.Join(got, " ")
	}
	for q, want := range map[string]string{"": "makeup:2 leave:1 trip:1", "type=leave": "leave:1", "type=trip&status=pending": "trip:1", "type=makeup&status=approved": ""} {
		if got := types(q); got != want {
			t.Errorf("/makeups?%s lists %q, want %q", q, got, want)
		}
	}
	if res := hr.get(t, "/makeups?type=vacation"); res.Status != http.StatusBadRequest {
		t.Errorf("unknown type: status %d, want 400", res.Status)
	}
	// No reason: sent back, nothing decided.
	id := leave.Request.ID
	res := hr.post(t, fmt.Sprintf("/makeups/%d/decide", id), url.Values{"decision": {"rejected"}, "note": {"  "}, "f_type": {"leave"}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "驳回需要填写理由") || !strings.Contains(res.Body, `id="approval-filters"`) {
		t.Fatalf("reject without a reason = %d:\n%s", res.Status, res.Body)
	}
	if m := f.request(t, id); m.Status != core.MakeupPending {
		t.Fatalf("a refused rejection changed the request: %+v", m)
	}
	// With a reason: rejected, and the employee is told why.
	res = hr.post(t, fmt.Sprintf("/makeups/%d/decide", id), url.Values{"decision": {"rejected"}, "note": {"年底项目上线，请改期"}, "f_type": {"leave"}})
	if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "type=leave") {
		t.Fatalf("reject with a reason = %d %s", res.Status, res.Location)
	}
	if m := f.request(t, id); m.Status != core.MakeupRejected || m.Note != "年底项目上线，请改期" || m.DecidedBy != "H1" {
		t.Errorf("request after rejecting = %+v", m)
	}
	var told string
	for _, msg := range f.store.Outbox() {
		if msg.Kind != core.OutboxMakeupResult {
			continue
		}
		var v core.MakeupView
		if err := json.Unmarshal(msg.Payload, &v); err != nil {
			t.Fatal(err)
		}
		if v.Request.ID == id {
			told = bots.MakeupResultText(v, "zh")
		}
	}
	if !strings.Contains(told, "年底项目上线，请改期") {
		t.Errorf("the employee's result message %q does not carry the reason", told)
	}
	// HR approves a trip routed to M2.
	if res := hr.post(t, fmt.Sprintf("/makeups/%d/decide", trip.Request.ID), url.Values{"decision": {"approved"}}); res.Status != http.StatusSeeOther {
		t.Errorf("HR approving another manager's request = %d", res.Status)
	}
	if m := f.request(t, trip.Request.ID); m.Status != core.MakeupApproved {
		t.Errorf("trip after approving = %+v", m)
	}
}

// request reads one request back.
func (f *fixture) request(tb testing.TB, id int64) core.MakeupRequest {
	tb.Helper()
	var out core.MakeupRequest
	err := f.store.InTx(context.Background(), func(tx core.Tx) error {
		var err error
		out, err = tx.GetMakeupForUpdate(context.Background(), id)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestApprovalsRevoke: an approved leave shows the routed manager and HR a
// revoke form, never a make-up or another manager; a revocation needs a
// reason, and with one the leave is revoked and the employee told why.
func TestApprovalsRevoke(t *testing.T) {
	f := MustFixture(t, true)
	leave, err := f.svc.RequestLeave(t.Context(), "E2", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "annual", From: "2026-11-30", Reason: "家事"}, core.PlatformWeCom)
	if err != nil {
		t.Fatalf("RequestLeave: %v", err)
	}
	id := leave.Request.ID
	if _, err := f.svc.DecideMakeup(t.Context(), core.MakeupDecision{ID: id, Status: core.MakeupApproved, Actor: "M1"}); err != nil {
		t.Fatalf("approve: %v", err)
	}
	makeup := f.makeupID(t, "E1")
	if _, err := f.svc.DecideMakeup(t.Context(), core.MakeupDecision{ID: makeup, Status: core.MakeupApproved, Actor: "M1"}); err != nil {
		t.Fatalf("approve the make-up: %v", err)
	}
	form := fmt.Sprintf(`<form method="post" action="/makeups/%d/decide" class="inline revoke">`, id)
	for _, tc := range []struct {
		who  string
		want bool
	}{{"M1", true}, {"H1", true}, {"M2", false}, {"E2", false}} {
		body := f.MustSignIn(t, tc.who).get(t, "/makeups?status=approved").Body
		if got := strings.Contains(body, form); got != tc.want {
			t.Errorf("%s sees the revoke form: %v, want %v", tc.who, got, tc.want)
		}
		if strings.Contains(body, fmt.Sprintf(`action="/makeups/%d/decide" class="inline revoke"`, makeup)) {
			t.Errorf("%s is offered to revoke the approved make-up", tc.who)
		}
		if tc.who == "M1" && !strings.Contains(body, fmt.Sprintf(`data-id="%d" data-status="approved"`, makeup)) {
			t.Errorf("the approved make-up is not listed for M1, so the check above proves nothing")
		}
	}
	m1 := f.MustSignIn(t, "M1")
	res := m1.post(t, fmt.Sprintf("/makeups/%d/decide", id), url.Values{"decision": {"revoked"}, "note": {" "}, "f_status": {"approved"}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "撤销需要填写理由") {
		t.Fatalf("revoke without a reason = %d:\n%s", res.Status, res.Body)
	}
	if m := f.request(t, id); m.Status != core.MakeupApproved {
		t.Fatalf("a refused revocation changed the request: %+v", m)
	}
	if res := f.MustSignIn(t, "M2").post(t, fmt.Sprintf("/makeups/%d/decide", id), url.Values{"decision": {"revoked"}, "note": {"不是我的"}}); res.Status == http.StatusSeeOther {
		t.Errorf("another manager's revocation was accepted")
	}
	res = m1.post(t, fmt.Sprintf("/makeups/%d/decide", id), url.Values{"decision": {"revoked"}, "note": {"员工已到岗"}, "f_status": {"approved"}})
	if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "done=revoked") {
		t.Fatalf("revoke with a reason = %d %s", res.Status, res.Location)
	}
	if m := f.request(t, id); m.Status != core.MakeupRevoked || m.Note != "员工已到岗" || m.DecidedBy != "M1" {
		t.Errorf("request after revoking = %+v", m)
	}
	var told string
	for _, msg := range f.store.Outbox() {
		var v core.MakeupView
		if msg.Kind == core.OutboxMakeupResult && json.Unmarshal(msg.Payload, &v) == nil && v.Request.ID == id && v.Request.Status == core.MakeupRevoked {
			told = bots.MakeupResultText(v, "zh")
		}
	}
	if !strings.Contains(told, "撤销，理由：员工已到岗") {
		t.Errorf("the employee's message %q does not carry the reason", told)
	}
	if page := m1.get(t, "/makeups?status=revoked").Body; !strings.Contains(page, fmt.Sprintf(`data-id="%d" data-status="revoked"`, id)) || !strings.Contains(page, "已撤销") {
		t.Errorf("the revoked filter does not list it:\n%s", page)
	}
}
