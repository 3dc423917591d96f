package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestApprovalsFlashNamesTheRequest: the notice after a decision names the
// request by its type (a leave is not a make-up) in the reader's language,
// and a decision that came too late says how the request ended (withdrawn
// by its requester, say) and that nothing changed.
func TestApprovalsFlashNamesTheRequest(t *testing.T) {
	f := MustFixture(t, true)
	leave := func(emp string, typ core.RequestType, from string) int64 {
		t.Helper()
		v, err := f.svc.RequestLeave(t.Context(), emp, core.LeaveArgs{Type: typ, LeaveType: "annual", From: from, Place: "上海", Reason: "事由"}, core.PlatformWeCom)
		if err != nil {
			t.Fatalf("RequestLeave: %v", err)
		}
		return v.Request.ID
	}
	approved := leave("E2", core.RequestLeave, "2026-11-30")
	withdrawn := leave("E1", core.RequestLeave, "2026-12-01")
	if _, err := f.svc.CancelMakeup(t.Context(), "E1", withdrawn); err != nil {
		t.Fatalf("CancelMakeup: %v", err)
	}
	trip := leave("E3", core.RequestTrip, "2026-12-02")
	tests := []struct {
		name, who string
		id        int64
		decision  string
		want      string
	}{
		{name: "a leave approved", who: "H1", id: approved, decision: "approved", want: fmt.Sprintf("已同意请假申请 #%d。", approved)},
		{name: "a withdrawn leave", who: "M1", id: withdrawn, decision: "approved", want: fmt.Sprintf("请假申请 #%d 已经处理过了（已撤回），这次操作未做更改。", withdrawn)},
		{name: "a trip rejected in English", who: "M2", id: trip, decision: "rejected", want: fmt.Sprintf("Business trip request #%d rejected.", trip)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := f.MustSignIn(t, tc.who)
			res := c.post(t, fmt.Sprintf("/makeups/%d/decide", tc.id), url.Values{"decision": {tc.decision}, "note": {"理由"}})
			if res.Status != http.StatusSeeOther {
				t.Fatalf("decide = %d, want a redirect", res.Status)
			}
			if body := c.get(t, res.Location).Body; !strings.Contains(body, tc.want) {
				t.Errorf("the page after %s does not say %q:\n%s", res.Location, tc.want, body)
			}
		})
	}
	// The decision's audit entry says it was made at the console.
	var via []any
	for _, a := range f.store.Audit() {
		if a.Action == "leave.approved" && strings.Contains(a.Detail, fmt.Sprintf(`"request_id":%d,`, approved)) {
			var d map[string]any
			if err := json.Unmarshal([]byte(a.Detail), &d); err != nil {
				t.Fatal(err)
			}
			via = append(via, d["via"])
		}
	}
	if len(via) != 1 || via[0] != "web" {
		t.Errorf("the approval's audit says via %v, want the console (web)", via)
	}
	// A hand-made query falls back to the generic notice.
	if body := f.MustSignIn(t, "H1").get(t, "/makeups?done=approved&id=7&rt=%3Cscript%3E").Body; strings.Contains(body, "<script>") || !strings.Contains(body, "#7") {
		t.Errorf("a hand-made notice:\n%s", body)
	}
}
