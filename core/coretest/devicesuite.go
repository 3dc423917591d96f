package coretest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// DeviceStore is what device binding and the access log need on top of
// Store. MemStore, adapters/sqlite and adapters/postgres implement it.
type DeviceStore interface {
	Store
	core.DeviceStore
	core.AccessStore
	core.AuditFinder
}

// RunDeviceSuite is the conformance suite of devices, the device-binding
// policy and the access log. open returns a fresh, empty store for one
// subtest and registers its own cleanup on t.
func RunDeviceSuite(t *testing.T, open func(t *testing.T) DeviceStore) {
	cases := []struct {
		name string
		run  func(t *testing.T, s DeviceStore)
	}{
		{"PolicyFollowsApply", dsPolicy},
		{"AddListGet", dsAddList},
		{"AddRefusesReuse", dsAddConflict},
		{"Revoke", dsRevoke},
		{"Touch", dsTouch},
		{"Erase", dsErase},
		{"AccessSubjects", dsAccess},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, open(t)) })
	}
}

var dsT0 = time.Date(2026, 11, 30, 1, 2, 3, 456789000, time.UTC)

func dsDevice(id, emp, nonce string, at time.Time) core.Device {
	return core.Device{ID: id, EmployeeID: emp, Name: "Pixel " + id, Credential: []byte(`{"id":"` + id + `"}`), CreatedAt: at, EnrollNonce: nonce}
}

func dsMustAdd(t *testing.T, s DeviceStore, d core.Device) {
	t.Helper()
	if err := s.AddDevice(context.Background(), d, core.AuditEntry{At: d.CreatedAt, Actor: d.EmployeeID, Action: "device.enrolled", Subject: d.EmployeeID}); err != nil {
		t.Fatalf("AddDevice(%s): %v", d.ID, err)
	}
}

func dsPolicy(t *testing.T, s DeviceStore) {
	ctx := context.Background()
	p, err := s.DevicePolicy(ctx)
	if err != nil || p.Default != "" || len(p.Schedules) != 0 {
		t.Errorf("DevicePolicy before any apply = %+v, %v; want empty", p, err)
	}
	org := stOrg(t)
	org.Devices = core.DevicePolicy{Default: core.DeviceBindingOptional, Schedules: map[string]core.DeviceBinding{"day": core.DeviceBindingRequired}}
	stMustApply(t, s, org)
	p, err = s.DevicePolicy(ctx)
	if err != nil || p.Default != core.DeviceBindingOptional || p.Schedules["day"] != core.DeviceBindingRequired || len(p.Schedules) != 1 {
		t.Errorf("DevicePolicy = %+v, %v; want optional with day required", p, err)
	}
	org.Devices = core.DevicePolicy{Default: core.DeviceBindingRequired}
	stMustApply(t, s, org)
	p, err = s.DevicePolicy(ctx)
	if err != nil || p.Default != core.DeviceBindingRequired || len(p.Schedules) != 0 {
		t.Errorf("DevicePolicy after a second apply = %+v, %v; want required alone (replaced, not merged)", p, err)
	}
}

func dsAddList(t *testing.T, s DeviceStore) {
	ctx := context.Background()
	dsMustAdd(t, s, dsDevice("cred-b", "e1", "n1", dsT0))
	dsMustAdd(t, s, dsDevice("cred-a", "e1", "n2", dsT0.Add(time.Minute)))
	dsMustAdd(t, s, dsDevice("cred-c", "e2", "", dsT0))
	dsMustAdd(t, s, dsDevice("cred-d", "e2", "", dsT0.Add(time.Second))) // no nonce twice is fine
	got, err := s.ListDevices(ctx, "e1")
	if err != nil || len(got) != 2 || got[0].ID != "cred-b" || got[1].ID != "cred-a" {
		t.Fatalf("ListDevices(e1) = %+v, %v; want cred-b then cred-a (oldest first)", got, err)
	}
	d := got[0]
	want := dsDevice("cred-b", "e1", "n1", dsT0.Truncate(time.Microsecond))
	if d.ID != want.ID || d.EmployeeID != "e1" || d.Name != want.Name || string(d.Credential) != string(want.Credential) ||
		!d.CreatedAt.Equal(want.CreatedAt) || !d.LastUsedAt.IsZero() || !d.Active() || d.EnrollNonce != "n1" {
		t.Errorf("device = %+v, want %+v", d, want)
	}
	one, err := s.Device(ctx, "cred-a")
	if err != nil || one.EmployeeID != "e1" || one.Name != "Pixel cred-a" {
		t.Errorf("Device(cred-a) = %+v, %v", one, err)
	}
	if _, err := s.Device(ctx, "nope"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Errorf("Device(nope) error = %v, want ENOTFOUND", err)
	}
	if got, err := s.ListDevices(ctx, "nobody"); err != nil || len(got) != 0 {
		t.Errorf("ListDevices(nobody) = %+v, %v; want none", got, err)
	}
	entries, err := s.FindAudit(ctx, core.AuditFilter{Action: "device.enrolled"})
	if err != nil || len(entries) != 4 {
		t.Errorf("enrollment audit entries = %d, %v; want 4", len(entries), err)
	}
}

func dsAddConflict(t *testing.T, s DeviceStore) {
	ctx := context.Background()
	dsMustAdd(t, s, dsDevice("cred-a", "e1", "n1", dsT0))
	for name, d := range map[string]core.Device{
		"same credential": dsDevice("cred-a", "e2", "n9", dsT0),
		"same link":       dsDevice("cred-z", "e1", "n1", dsT0),
	} {
		err := s.AddDevice(ctx, d, core.AuditEntry{At: dsT0, Actor: "e1", Action: "device.enrolled", Subject: "e1"})
		if core.ErrorCode(err) != core.ECONFLICT {
			t.Errorf("%s: AddDevice error = %v, want ECONFLICT", name, err)
		}
	}
	if got, _ := s.ListDevices(ctx, "e1"); len(got) != 1 {
		t.Errorf("devices after refused adds = %+v, want only the first", got)
	}
	if got, _ := s.ListDevices(ctx, "e2"); len(got) != 0 {
		t.Errorf("a refused add stored a device: %+v", got)
	}
	if entries, _ := s.FindAudit(ctx, core.AuditFilter{Action: "device.enrolled"}); len(entries) != 1 {
		t.Errorf("audit entries = %d, want 1: a refused add must not audit", len(entries))
	}
}

func dsRevoke(t *testing.T, s DeviceStore) {
	ctx := context.Background()
	dsMustAdd(t, s, dsDevice("cred-a", "e1", "n1", dsT0))
	audit := core.AuditEntry{At: dsT0.Add(time.Hour), Actor: "hr1", Action: "device.revoked", Subject: "e1"}
	if err := s.RevokeDevice(ctx, "cred-a", dsT0.Add(time.Hour), "hr1", audit); err != nil {
		t.Fatalf("RevokeDevice: %v", err)
	}
	d, err := s.Device(ctx, "cred-a")
	if err != nil || d.Active() || !d.RevokedAt.Equal(dsT0.Add(time.Hour).Truncate(time.Microsecond)) || d.RevokedBy != "hr1" {
		t.Errorf("revoked device = %+v, %v; want revoked at +1h by hr1", d, err)
	}
	if err := s.RevokeDevice(ctx, "cred-a", dsT0.Add(2*time.Hour), "e1", audit); core.ErrorCode(err) != core.ECONFLICT {
		t.Errorf("second RevokeDevice error = %v, want ECONFLICT", err)
	}
	if err := s.RevokeDevice(ctx, "nope", dsT0, "e1", audit); core.ErrorCode(err) != core.ENOTFOUND {
		t.Errorf("RevokeDevice(nope) error = %v, want ENOTFOUND", err)
	}
	if entries, _ := s.FindAudit(ctx, core.AuditFilter{Action: "device.revoked"}); len(entries) != 1 || entries[0].Actor != "hr1" {
		t.Errorf("revocation audit = %+v, want one entry by hr1", entries)
	}
}

func dsTouch(t *testing.T, s DeviceStore) {
	ctx := context.Background()
	dsMustAdd(t, s, dsDevice("cred-a", "e1", "n1", dsT0))
	at := dsT0.Add(3 * time.Hour)
	if err := s.TouchDevice(ctx, "cred-a", []byte(`{"count":2}`), at); err != nil {
		t.Fatalf("TouchDevice: %v", err)
	}
	d, err := s.Device(ctx, "cred-a")
	if err != nil || string(d.Credential) != `{"count":2}` || !d.LastUsedAt.Equal(at.Truncate(time.Microsecond)) {
		t.Errorf("touched device = %+v, %v; want the new credential used at %v", d, err, at)
	}
	if err := s.TouchDevice(ctx, "nope", nil, at); core.ErrorCode(err) != core.ENOTFOUND {
		t.Errorf("TouchDevice(nope) error = %v, want ENOTFOUND", err)
	}
}

func dsAccess(t *testing.T, s DeviceStore) {
	ctx := context.Background()
	record := func(at time.Time, action, subject string, subjects ...string) {
		t.Helper()
		if err := s.RecordAccess(ctx, core.AuditEntry{At: at, Actor: "hr1", Action: action, Subject: subject, Detail: `{"people":2}`}, subjects); err != nil {
			t.Fatalf("RecordAccess(%s): %v", action, err)
		}
	}
	record(dsT0, "console.viewed", "today:2026-11-30", "e1", "e2", "e1")
	record(dsT0.Add(time.Minute), "report.exported", "monthly:2026-11", "e2", "e3")
	stMustInTx(t, s, func(tx core.Tx) error {
		return tx.InsertAudit(ctx, core.AuditEntry{At: dsT0.Add(2 * time.Minute), Actor: "m1", Action: "console.viewed", Subject: "e1", Detail: `{"view":"person"}`})
	})
	record(dsT0.Add(3*time.Minute), "console.viewed", "plot:2026-11-30")
	for _, c := range []struct {
		emp  string
		want []string
	}{
		{"e1", []string{"console.viewed e1", "console.viewed today:2026-11-30"}},
		{"e2", []string{"report.exported monthly:2026-11", "console.viewed today:2026-11-30"}},
		{"e3", []string{"report.exported monthly:2026-11"}},
		{"e4", nil},
	} {
		got, err := s.FindAccess(ctx, c.emp, 0)
		if err != nil {
			t.Fatalf("FindAccess(%s): %v", c.emp, err)
		}
		var names []string
		for _, a := range got {
			names = append(names, a.Action+" "+a.Subject)
		}
		if !slices.Equal(names, c.want) {
			t.Errorf("FindAccess(%s) = %q, want %q (newest first)", c.emp, names, c.want)
		}
	}
	if got, _ := s.FindAccess(ctx, "e1", 1); len(got) != 1 || got[0].Subject != "e1" {
		t.Errorf("FindAccess(e1, limit 1) = %+v, want the newest entry only", got)
	}
	got, _ := s.FindAccess(ctx, "e3", 0)
	if len(got) == 1 && (!got[0].At.Equal(dsT0.Add(time.Minute).Truncate(time.Microsecond)) || got[0].Actor != "hr1" || got[0].Detail != `{"people":2}`) {
		t.Errorf("access entry = %+v, want the recorded entry as written", got[0])
	}
}

func dsErase(t *testing.T, s DeviceStore) {
	ctx := context.Background()
	dsMustAdd(t, s, dsDevice("cred-a", "e1", "n1", dsT0))
	dsMustAdd(t, s, dsDevice("cred-b", "e1", "n2", dsT0))
	dsMustAdd(t, s, dsDevice("cred-c", "e2", "n3", dsT0))
	if err := s.RevokeDevice(ctx, "cred-b", dsT0, "e1", core.AuditEntry{At: dsT0, Actor: "e1", Action: "device.revoked", Subject: "e1"}); err != nil {
		t.Fatal(err)
	}
	n, err := s.EraseDevices(ctx, "e1")
	if err != nil || n != 2 {
		t.Errorf("EraseDevices(e1) = %d, %v; want 2 (revoked ones too)", n, err)
	}
	if got, _ := s.ListDevices(ctx, "e1"); len(got) != 0 {
		t.Errorf("e1's devices after erasure = %+v", got)
	}
	if got, _ := s.ListDevices(ctx, "e2"); len(got) != 1 {
		t.Errorf("e2's devices = %+v, want untouched", got)
	}
	if n, err := s.EraseDevices(ctx, "e1"); err != nil || n != 0 {
		t.Errorf("erasing again = %d, %v; want 0", n, err)
	}
}
