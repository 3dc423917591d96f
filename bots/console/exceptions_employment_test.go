package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestRecordMakeupOutsideEmployment: recording a make-up at the console
// for a day before the employee joined is refused by the core's rule, as
// in chat, and the page says why, naming the employee and the dates;
// nothing is filed or written.
func TestRecordMakeupOutsideEmployment(t *testing.T) {
	f := MustFixture(t, true)
	org := testOrg(t)
	for i := range org.Employees {
		if org.Employees[i].ID == "E2" {
			org.Employees[i].Joined = "2026-11-25"
		}
	}
	if err := org.Prepare(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.ApplyOrg(context.Background(), org, core.AuditEntry{At: f.clock.Now(), Actor: "admin", Action: "org.applied"}); err != nil {
		t.Fatal(err)
	}
	before, _ := f.store.ListPunches(t.Context(), core.PunchFilter{EmployeeID: "E2"})
	form := url.Values{"employee": {"E2"}, "date": {"2026-11-24"}, "kind": {"in"}, "clock": {"09:00"}, "reason": {"门禁故障"}}
	for _, who := range []string{"M1", "H1"} {
		res := f.MustSignIn(t, who).post(t, "/exceptions/makeup", form)
		if want := "11月24日 李四尚未入职（入职日期 2026-11-25），不能补卡。"; res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, want) {
			t.Errorf("%s recording before joining = %d, want 422 with %q:\n%s", who, res.Status, want, res.Body)
		}
	}
	after, _ := f.store.ListPunches(t.Context(), core.PunchFilter{EmployeeID: "E2"})
	if len(after) != len(before) {
		t.Errorf("punches of E2: %d, want %d", len(after), len(before))
	}
	if es := f.audits(t, core.AuditFilter{Action: "console.makeup_recorded"}); len(es) != 0 {
		t.Errorf("recorded audits = %+v, want none", es)
	}
}
