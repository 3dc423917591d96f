package core_test

import (
	"context"
	"slices"
	"testing"

	"github.com/punchbot/punchbot/core"
)

func TestParseDeviceBinding(t *testing.T) {
	for _, c := range []struct {
		in   string
		want core.DeviceBinding
		ok   bool
	}{{"", core.DeviceBindingOff, true}, {"off", core.DeviceBindingOff, true}, {" Optional ", core.DeviceBindingOptional, true}, {"required", core.DeviceBindingRequired, true}, {"always", "", false}} {
		got, err := core.ParseDeviceBinding(c.in)
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("ParseDeviceBinding(%q) = %q, %v; want %q, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
	p := core.DevicePolicy{Default: core.DeviceBindingOptional, Schedules: map[string]core.DeviceBinding{"night": core.DeviceBindingRequired}}
	if got := p.For("night"); got != core.DeviceBindingRequired {
		t.Errorf("For(night) = %q, want required", got)
	}
	if got := p.For("day"); got != core.DeviceBindingOptional {
		t.Errorf("For(day) = %q, want the organisation's optional", got)
	}
	if got := (core.DevicePolicy{}).For("day"); got != core.DeviceBindingOff {
		t.Errorf("empty policy = %q, want off", got)
	}
}

// TestDeviceBindingOnBrowserPunches runs a browser punch of E1 (on site, in
// the window) under each policy with each kind of device.
func TestDeviceBindingOnBrowserPunches(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name       string
		binding    core.DeviceBinding
		device     string // "", "own", "revoked", "other"
		source     core.Platform
		wantOut    core.Outcome
		wantFlag   bool
		wantReason bool
	}{
		{"off, no device", core.DeviceBindingOff, "", core.PlatformWeb, core.OutcomeAccepted, false, false},
		{"off, own device", core.DeviceBindingOff, "own", core.PlatformWeb, core.OutcomeAccepted, false, false},
		{"optional, no device", core.DeviceBindingOptional, "", core.PlatformWeb, core.OutcomeAccepted, false, false},
		{"optional, own device", core.DeviceBindingOptional, "own", core.PlatformWeb, core.OutcomeAccepted, true, false},
		{"optional, revoked device", core.DeviceBindingOptional, "revoked", core.PlatformWeb, core.OutcomeAccepted, false, false},
		{"required, own device", core.DeviceBindingRequired, "own", core.PlatformWeb, core.OutcomeAccepted, true, false},
		{"required, no device", core.DeviceBindingRequired, "", core.PlatformWeb, core.OutcomeRejected, false, true},
		{"required, revoked device", core.DeviceBindingRequired, "revoked", core.PlatformWeb, core.OutcomeRejected, false, true},
		{"required, someone else's device", core.DeviceBindingRequired, "other", core.PlatformWeb, core.OutcomeRejected, false, true},
		{"required, chat punch", core.DeviceBindingRequired, "", core.PlatformWeCom, core.OutcomeAccepted, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, nil)
			org := testOrg()
			org.Devices = core.DevicePolicy{Default: core.DeviceBindingOff, Schedules: map[string]core.DeviceBinding{"day": c.binding}}
			if err := org.Prepare(); err != nil {
				t.Fatal(err)
			}
			if _, err := h.store.ApplyOrg(ctx, org, core.AuditEntry{Action: "org.applied"}); err != nil {
				t.Fatal(err)
			}
			h.svc.SetDevices(h.store)
			h.clock.Set(sh(t, "2026-11-30 08:50:00"))
			for _, d := range []core.Device{
				{ID: "own", EmployeeID: "E1", Credential: []byte("x")},
				{ID: "revoked", EmployeeID: "E1", Credential: []byte("x")},
				{ID: "other", EmployeeID: "E2", Credential: []byte("x")},
			} {
				if _, err := h.svc.EnrollDevice(ctx, d); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := h.svc.RevokeDevice(ctx, core.DeviceViewer{Admin: true}, "revoked"); err != nil {
				t.Fatal(err)
			}
			now := sh(t, "2026-11-30 08:55:00")
			h.clock.Set(now)
			cmd := core.Command{
				Actor: core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"},
				Kind:  core.CmdPunch, Punch: core.KindIn, Location: north(office, 10), Source: string(c.source), EventID: "ev-1", DeviceID: c.device,
			}
			rep, err := h.svc.Handle(ctx, cmd)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Outcome != c.wantOut {
				t.Errorf("outcome = %s (reasons %v), want %s", rep.Outcome, rep.Reasons, c.wantOut)
			}
			if got := slices.Contains(rep.Flags, core.FlagDeviceVerified); got != c.wantFlag {
				t.Errorf("verified flag = %v (flags %v), want %v", got, rep.Flags, c.wantFlag)
			}
			if got := slices.Contains(rep.Reasons, core.ReasonDeviceRequired); got != c.wantReason {
				t.Errorf("device_required reason = %v (reasons %v), want %v", got, rep.Reasons, c.wantReason)
			}
			ps := h.punches(t, "E1")
			if len(ps) != 1 || ps[0].Outcome != c.wantOut || slices.Contains(ps[0].Flags, core.FlagDeviceVerified) != c.wantFlag {
				t.Errorf("stored punches = %+v, want one %s punch", ps, c.wantOut)
			}
		})
	}
}

func TestDeviceManagementIsThePersonsOrHRs(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)
	h.svc.SetDevices(h.store)
	h.clock.Set(sh(t, "2026-11-30 08:50:00"))
	if _, err := h.svc.EnrollDevice(ctx, core.Device{ID: "d1", EmployeeID: "E1", Name: "  my\x00 phone ", Credential: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.EnrollDevice(ctx, core.Device{ID: "d2", EmployeeID: "X1", Credential: []byte("x")}); core.ErrorCode(err) != core.EFORBIDDEN {
		t.Errorf("enrolling an inactive employee: %v, want EFORBIDDEN", err)
	}
	if _, err := h.svc.EnrollDevice(ctx, core.Device{ID: "", EmployeeID: "E1", Credential: []byte("x")}); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("enrolling without a credential id: %v, want EINVALID", err)
	}
	e1 := core.Employee{ID: "E1", Active: true, Role: core.RoleEmployee}
	e2 := core.Employee{ID: "E2", Active: true, Role: core.RoleManager}
	hr := core.Employee{ID: "H1", Active: true, Role: core.RoleHR}
	ds, err := h.svc.ListDevices(ctx, core.DeviceViewer{Employee: e1}, "E1")
	if err != nil || len(ds) != 1 || ds[0].Name != "my phone" {
		t.Fatalf("own devices = %+v, %v; want the cleaned name", ds, err)
	}
	if _, err := h.svc.ListDevices(ctx, core.DeviceViewer{Employee: e2}, "E1"); core.ErrorCode(err) != core.EFORBIDDEN {
		t.Errorf("another employee listing: %v, want EFORBIDDEN", err)
	}
	if _, err := h.svc.RevokeDevice(ctx, core.DeviceViewer{Employee: e2}, "d1"); core.ErrorCode(err) != core.EFORBIDDEN {
		t.Errorf("a manager revoking: %v, want EFORBIDDEN", err)
	}
	if _, err := h.svc.RevokeDevice(ctx, core.DeviceViewer{Employee: hr}, "d1"); err != nil {
		t.Errorf("HR revoking: %v", err)
	}
	if _, err := h.svc.RevokeDevice(ctx, core.DeviceViewer{Employee: e1}, "d1"); core.ErrorCode(err) != core.ECONFLICT {
		t.Errorf("revoking twice: %v, want ECONFLICT", err)
	}
	var actions []string
	for _, a := range h.store.Audit() {
		if a.Subject == "E1" {
			actions = append(actions, a.Action+" by "+a.Actor)
		}
	}
	if want := []string{"device.enrolled by E1", "device.revoked by H1"}; !slices.Equal(actions, want) {
		t.Errorf("audit = %q, want %q", actions, want)
	}
}

func TestErasureDeletesDevices(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)
	for _, d := range []core.Device{{ID: "x1-phone", EmployeeID: "X1", Credential: []byte("x")}, {ID: "e1-phone", EmployeeID: "E1", Credential: []byte("x")}} {
		if err := h.store.AddDevice(ctx, d, core.AuditEntry{Action: "device.enrolled", Subject: d.EmployeeID}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := core.ErasePersonalData(ctx, h.store, "E1", "H1", sh(t, "2026-11-30 09:00:00")); core.ErrorCode(err) != core.ECONFLICT {
		t.Errorf("erasing an active employee: %v, want ECONFLICT", err)
	}
	if ds, _ := h.store.ListDevices(ctx, "E1"); len(ds) != 1 {
		t.Errorf("an active employee's device was deleted: %+v", ds)
	}
	res, err := core.ErasePersonalData(ctx, h.store, "X1", "H1", sh(t, "2026-11-30 09:00:00"))
	if err != nil || res.Devices != 1 {
		t.Fatalf("erasure = %+v, %v; want one device deleted", res, err)
	}
	if ds, _ := h.store.ListDevices(ctx, "X1"); len(ds) != 0 {
		t.Errorf("X1's devices after erasure = %+v", ds)
	}
}
