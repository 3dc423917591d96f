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
