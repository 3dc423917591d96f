package console

import (
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestApprovalsShowLeaveTypeName: the approvals page names a leave's type
// as the organisation does (年假), in the row's detail; it showed the id
// ("2026-11-30 · annual"), which nobody outside the org file knows.
func TestApprovalsShowLeaveTypeName(t *testing.T) {
	f := MustFixture(t, true)
	if _, err := f.svc.RequestLeave(t.Context(), "E2", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "annual", From: "2026-11-30", Reason: "家事"}, core.PlatformWeCom); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RequestLeave(t.Context(), "E3", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "sick", From: "2026-12-01", Reason: "flu"}, core.PlatformWeCom); err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, lt := range core.DefaultLeaveTypes() {
		names[lt.ID] = lt.Name
	}
	body := html.UnescapeString(f.MustSignIn(t, "H1").get(t, "/makeups?type=leave").Body)
	detail := regexp.MustCompile(`(?s)<td data-label="[^"]*">(20\d\d-\d\d-\d\d[^<]*)</td>`)
	var got []string
	for _, m := range detail.FindAllStringSubmatch(body, -1) {
		got = append(got, strings.TrimSpace(m[1]))
	}
	for _, want := range []string{"2026-11-30 · " + names["annual"], "2026-12-01 · " + names["sick"]} {
		found := false
		for _, g := range got {
			found = found || g == want
		}
		if !found {
			t.Errorf("leave details = %q, want one %q", got, want)
		}
	}
}
