package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestHRCorrectionIgnoresTheEmployeeDeadline: with a 7-day make-up
// deadline, a manager cannot record a punch missing for 24 days, HR can;
// the request is audited naming HR, and a refusal keeps the input.
func TestHRCorrectionIgnoresTheEmployeeDeadline(t *testing.T) {
	f := MustFixture(t, true)
	org := testOrg(t)
	org.Makeup.DeadlineDays = 7
	if _, err := f.store.ApplyOrg(context.Background(), org, core.AuditEntry{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"employee": {"E1"}, "date": {"2026-11-02"}, "kind": {"in"}, "clock": {"09:00"}, "reason": {"门禁记录为证"}, "f_from": {"2026-11-01"}, "f_to": {"2026-11-05"}}
	res := f.MustSignIn(t, "M1").post(t, "/exceptions/makeup", form)
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "已超过补卡期限") || !strings.Contains(res.Body, `value="门禁记录为证"`) {
		t.Fatalf("manager past the deadline = %d; want 422 naming the deadline with the reason kept:\n%s", res.Status, res.Body)
	}
	res = f.MustSignIn(t, "H1").post(t, "/exceptions/makeup", form)
	if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "done=filed") {
		t.Fatalf("HR past the deadline = %d %s %s", res.Status, res.Location, res.Body)
	}
	es := f.audits(t, core.AuditFilter{Action: "makeup.requested"})
	found := false
	for _, e := range es {
		found = found || (strings.Contains(e.Detail, `"corrected_by":"H1"`) && e.Subject != "")
	}
	if !found {
		t.Errorf("no makeup.requested audit naming H1 as the corrector: %+v", es)
	}
	punches, _ := f.store.ListPunches(t.Context(), core.PunchFilter{EmployeeID: "E1"})
	recorded := false
	for _, p := range punches {
		recorded = recorded || (p.Source == core.SourceMakeup && p.ShiftDate == "2026-11-02")
	}
	if !recorded {
		t.Errorf("HR's correction did not record a punch: %+v", punches)
	}
	// A reason is still required.
	form.Set("reason", "")
	form.Set("date", "2026-11-03")
	if res := f.MustSignIn(t, "H1").post(t, "/exceptions/makeup", form); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("HR without a reason = %d, want 422", res.Status)
	}
}
