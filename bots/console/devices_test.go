package console

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestReportsShowTheVerifiedShare: the reports page counts the month's
// browser punches and the device-verified ones.
func TestReportsShowTheVerifiedShare(t *testing.T) {
	f := MustFixture(t, false)
	ctx := context.Background()
	for i, flags := range [][]string{{core.FlagDeviceVerified}, nil, {core.FlagDeviceVerified}} {
		err := f.store.InTx(ctx, func(tx core.Tx) error {
			return tx.InsertPunch(ctx, &core.Punch{EmployeeID: "E2", Kind: core.KindIn, At: at(t, "2026-11-2"+string(rune('0'+i))+" 08:55"),
				ShiftDate: "2026-11-2" + string(rune('0'+i)), Source: "web", Outcome: core.OutcomeAccepted, Flags: flags})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	res := f.MustSignIn(t, "H1").get(t, "/reports?month=2026-11")
	if res.Status != http.StatusOK {
		t.Fatalf("GET /reports = %d", res.Status)
	}
	_, section, ok := strings.Cut(res.Body, `id="device-share"`)
	if !ok {
		t.Fatal("the reports page has no device-share section")
	}
	for _, want := range []string{"2 / 3", "66.7%", `data-employee="E2"`, "<td>3</td><td>2</td><td>66.7</td>"} {
		if !strings.Contains(section, want) {
			t.Errorf("device-share section lacks %q", want)
		}
	}
	// E2's manager's scope includes E2; M2's does not.
	if body := f.MustSignIn(t, "M2").get(t, "/reports?month=2026-11").Body; strings.Contains(body, `id="device-share"`) {
		t.Errorf("M2 sees the verified share of someone outside their scope")
	}
}

func TestDevicesPageOff(t *testing.T) {
	f := MustFixture(t, false)
	if res := f.MustSignIn(t, "E1").get(t, "/devices"); res.Status != http.StatusNotFound {
		t.Errorf("GET /devices without device binding = %d, want 404", res.Status)
	}
}
