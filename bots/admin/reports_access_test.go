package admin

import (
	"context"
	"net/http"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestReportExportReachesEveryIncludedEmployee: an API export of the
// monthly report shows on the access log of every person it contained.
func TestReportExportReachesEveryIncludedEmployee(t *testing.T) {
	f := MustReportFixture(t, ExampleOrg())
	js := MustDecode[struct {
		Rows []struct {
			EmployeeID string `json:"employee_id"`
		} `json:"rows"`
	}](t, f.MustDo(t, http.MethodGet, "/api/v1/reports/monthly?month=2026-11", nil, http.StatusOK))
	if len(js.Rows) == 0 {
		t.Fatal("the report has no rows")
	}
	for _, row := range js.Rows {
		got, err := core.AccessLog(context.Background(), f.store, row.EmployeeID, 0)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, a := range got {
			found = found || (a.Action == "report.exported" && a.What == "export" && a.Object == "monthly:2026-11" && a.Actor == "admin" && a.People == len(js.Rows))
		}
		if !found {
			t.Errorf("%s's access log = %+v, want the monthly export by admin of %d people", row.EmployeeID, got, len(js.Rows))
		}
	}
	if got, _ := core.AccessLog(context.Background(), f.store, "nobody", 0); len(got) != 0 {
		t.Errorf("someone not in the report sees %+v", got)
	}
}

// TestAPIReadsReachThePeopleRead: reading punches through the API shows on
// the access log of each person whose punches it returned, and no one
// else's.
func TestAPIReadsReachThePeopleRead(t *testing.T) {
	f := MustReportFixture(t, ExampleOrg())
	f.MustDo(t, http.MethodGet, "/api/v1/punches?employee=E001", nil, http.StatusOK)
	has := func(emp string) bool {
		got, err := core.AccessLog(context.Background(), f.store, emp, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range got {
			if a.Action == "api.read" && a.What == "api:punches" && a.Actor == core.ActorAdmin {
				return true
			}
		}
		return false
	}
	if !has("E001") {
		t.Errorf("E001's access log lacks the API read of their punches")
	}
	if has("E003") {
		t.Errorf("E003's access log shows a read that returned none of their punches")
	}
}

// TestEmployeeListReachesEveryEmployee: GET /api/v1/employees returns
// everyone's name, department and chat accounts, so it shows on the access
// log of every person it listed, as one read by the admin API of all of
// them.
func TestEmployeeListReachesEveryEmployee(t *testing.T) {
	f := MustReportFixture(t, ExampleOrg())
	emps := MustDecode[[]struct {
		ID string `json:"id"`
	}](t, f.MustDo(t, http.MethodGet, "/api/v1/employees", nil, http.StatusOK))
	if len(emps) != 20 {
		t.Fatalf("the list has %d employees, want the example's 20", len(emps))
	}
	type read struct {
		action, what, actor string
		people              int
	}
	want := read{"api.read", "api:employees", core.ActorAdmin, len(emps)}
	for _, e := range emps {
		got, err := core.AccessLog(context.Background(), f.store, e.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		var reads []read
		for _, a := range got {
			reads = append(reads, read{a.Action, a.What, a.Actor, a.People})
		}
		if len(reads) != 1 || reads[0] != want {
			t.Errorf("%s's access log = %+v, want one %+v", e.ID, reads, want)
		}
	}
	if got, _ := core.AccessLog(context.Background(), f.store, "nobody", 0); len(got) != 0 {
		t.Errorf("someone not in the list sees %+v", got)
	}
}
