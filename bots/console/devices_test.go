package console

import (
	"context"
	"net/http"
	"net/url"
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

// TestPeopleRevokeTheirOwnDevices: the person lists and revokes their own
// device on the devices page; a colleague may neither list nor revoke it.
func TestPeopleRevokeTheirOwnDevices(t *testing.T) {
	f := mustPasskeyFixture(t)
	ctx := context.Background()
	if err := f.store.AddDevice(ctx, core.Device{ID: "e2-phone", EmployeeID: "E2", Name: "iPhone", Credential: []byte("{}"), CreatedAt: f.clock.Now()},
		core.AuditEntry{At: f.clock.Now(), Actor: "E2", Action: "device.enrolled", Subject: "E2"}); err != nil {
		t.Fatal(err)
	}
	signIn := func(who string) *client {
		c := f.newClient(t, who)
		link := f.MustLink(t, who, core.LinkConsole)
		if res := c.do(t, http.MethodPost, strings.TrimPrefix(link, f.console.base), url.Values{}); res.Status != http.StatusSeeOther {
			t.Fatalf("sign-in of %s: %d", who, res.Status)
		}
		return c
	}
	e2, e1 := signIn("E2"), signIn("E1")
	page := e2.get(t, "/devices")
	if page.Status != http.StatusOK || !strings.Contains(page.Body, `data-device="e2-phone" data-active="true"`) || !strings.Contains(page.Body, "iPhone") {
		t.Fatalf("E2's devices page = %d, want the active iPhone", page.Status)
	}
	if res := e1.get(t, "/devices?employee=E2"); res.Status != http.StatusForbidden {
		t.Errorf("E1 listing E2's devices = %d, want 403", res.Status)
	}
	if res := e1.post(t, "/devices/e2-phone/revoke", nil); res.Status != http.StatusForbidden {
		t.Errorf("E1 revoking E2's device = %d, want 403", res.Status)
	}
	if res := e2.do(t, http.MethodPost, "/devices/e2-phone/revoke", url.Values{"csrf": {"forged"}}); res.Status != http.StatusForbidden {
		t.Errorf("a revocation without the CSRF token = %d, want 403", res.Status)
	}
	res := e2.post(t, "/devices/e2-phone/revoke", nil)
	if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "done=revoked") {
		t.Fatalf("E2 revoking = %d → %s", res.Status, res.Location)
	}
	d, _ := f.store.Device(ctx, "e2-phone")
	if d.Active() || d.RevokedBy != "E2" {
		t.Errorf("device after E2 revoked it = %+v", d)
	}
	if res := e2.post(t, "/devices/e2-phone/revoke", nil); !strings.Contains(res.Location, "done=already") {
		t.Errorf("revoking twice → %s, want the already-revoked notice", res.Location)
	}
	if es := f.audits(t, core.AuditFilter{Action: "device.revoked", Subject: "E2"}); len(es) != 1 || es[0].Actor != "E2" {
		t.Errorf("revocation audit = %+v, want one by E2", es)
	}
}
