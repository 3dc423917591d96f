package core_test

import (
	"context"
	"testing"

	"github.com/punchbot/punchbot/core"
)

func TestDeviceShareReport(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)
	day := sh(t, "2026-11-30 08:55:00")
	add := func(emp, source string, outcome core.Outcome, flags ...string) {
		t.Helper()
		err := h.store.InTx(ctx, func(tx core.Tx) error {
			return tx.InsertPunch(ctx, &core.Punch{EmployeeID: emp, Kind: core.KindIn, At: day, ShiftDate: "2026-11-30", Source: source, Outcome: outcome, Flags: flags})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	add("E1", "web", core.OutcomeAccepted, core.FlagDeviceVerified)
	add("E1", "web", core.OutcomeAccepted)
	add("E1", "web", core.OutcomeAccepted, core.FlagDeviceVerified, core.FlagOfflineDelay)
	add("E1", "web", core.OutcomeRejected) // not counted: refused
	add("E1", "wecom", core.OutcomeAccepted)
	add("E2", "web", core.OutcomeField)
	add("T1", "wecom", core.OutcomeAccepted) // no browser punch: no row
	rep, err := core.BuildDeviceShareReport(ctx, h.store, "2026-11", core.ScopeAll())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 2 || rep.Rows[0].EmployeeID != "E1" || rep.Rows[0].Browser != 3 || rep.Rows[0].Verified != 2 || rep.Rows[0].Percent() != 66.7 ||
		rep.Rows[1].EmployeeID != "E2" || rep.Rows[1].Browser != 1 || rep.Rows[1].Verified != 0 {
		t.Errorf("rows = %+v, want E1 2 of 3 (66.7%%) and E2 0 of 1", rep.Rows)
	}
	if rep.Total.Browser != 4 || rep.Total.Verified != 2 || rep.Total.Percent() != 50 {
		t.Errorf("total = %+v, want 2 of 4", rep.Total)
	}
	mine, err := core.BuildDeviceShareReport(ctx, h.store, "2026-11", core.ScopeOf("E2"))
	if err != nil || len(mine.Rows) != 1 || mine.Rows[0].EmployeeID != "E2" || mine.Total.Browser != 1 {
		t.Errorf("scoped report = %+v, %v; want E2 only", mine, err)
	}
	if _, err := core.BuildDeviceShareReport(ctx, h.store, "2026-13", core.ScopeAll()); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("a bad month: %v, want EINVALID", err)
	}
}
