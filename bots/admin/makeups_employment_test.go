package admin

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestDecideMakeupOutsideEmploymentAPI: approving through the admin API a
// pending make-up whose date HR has since put after the last working day
// is refused by the core's rule (400, code invalid, the dates in the
// message) and the request stays pending; rejecting it works.
func TestDecideMakeupOutsideEmploymentAPI(t *testing.T) {
	f, svc := makeupFixture(t)
	ctx := context.Background()
	v, err := svc.RequestMakeup(ctx, "E1", core.MakeupArgs{Date: "11-25", Clock: "09:00", Kind: core.KindIn, Reason: "地铁故障"}, core.PlatformWeCom)
	if err != nil {
		t.Fatal(err)
	}
	id := itoa(v.Request.ID)
	org, err := f.store.Org(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range org.Employees {
		if org.Employees[i].ID == "E1" {
			org.Employees[i].Left = "2026-11-24"
		}
	}
	if err := org.Prepare(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.ApplyOrg(ctx, org, core.AuditEntry{Action: "org.applied"}); err != nil {
		t.Fatal(err)
	}
	got := MustDecode[errorBody](t, f.MustDo(t, http.MethodPost, "/api/v1/makeups/"+id+"/approve", nil, http.StatusBadRequest))
	if want := "2026-11-25 is after left 2026-11-24"; got.Code != core.EINVALID || !strings.Contains(got.Error, want) {
		t.Errorf("approve = %+v, want code %s and a message with %q", got, core.EINVALID, want)
	}
	if v, _ := svc.MakeupView(ctx, v.Request.ID); v.Request.Status != core.MakeupPending || v.Request.PunchID != 0 {
		t.Errorf("after the refused approval: %s, punch %d; want pending, none", v.Request.Status, v.Request.PunchID)
	}
	if done := MustDecode[makeupJSON](t, f.MustDo(t, http.MethodPost, "/api/v1/makeups/"+id+"/reject", nil, http.StatusOK)); done.Status != "rejected" {
		t.Errorf("reject = %+v", done)
	}
}
