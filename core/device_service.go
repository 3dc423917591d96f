package core

import (
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"
)

// DeviceSubject is what a passkey page needs about the person it serves:
// who they are, the binding that applies to them and their active devices.
type DeviceSubject struct {
	Employee Employee
	Binding  DeviceBinding
	Devices  []Device // active only
}

// DeviceSubjectOf resolves a chat identity (the one a location link was
// issued to) to its employee, binding and active devices. ENOTFOUND for an
// unknown account; an inactive employee is returned with Active false for
// the caller to refuse.
func (s *Service) DeviceSubjectOf(ctx context.Context, id Identity) (DeviceSubject, error) {
	emp, err := s.store.FindIdentity(ctx, id.Platform, id.Tenant, id.UserID)
	if err != nil {
		return DeviceSubject{}, err
	}
	return s.DeviceSubjectFor(ctx, emp.ID)
}

// DeviceSubjectFor is DeviceSubjectOf by employee id.
func (s *Service) DeviceSubjectFor(ctx context.Context, employeeID string) (DeviceSubject, error) {
	r, err := s.Roster(ctx, employeeID)
	if err != nil {
		return DeviceSubject{}, err
	}
	out := DeviceSubject{Employee: r.Employee, Binding: DeviceBindingOff}
	if s.devices == nil {
		return out, nil
	}
	binding, _, err := s.punchDevice(ctx, Command{Source: string(PlatformWeb)}, r)
	if err != nil {
		return out, err
	}
	out.Binding = binding
	all, err := s.devices.ListDevices(ctx, employeeID)
	if err != nil {
		return out, err
	}
	for _, d := range all {
		if d.Active() {
			out.Devices = append(out.Devices, d)
		}
	}
	return out, nil
}

// maxDeviceName bounds a device's name; it is shown in lists, not parsed.
const maxDeviceName = 64

// EnrollDevice binds a new passkey to an active employee and audits it.
// d.ID, d.EmployeeID and d.Credential are required; ECONFLICT when the
// credential or the enrollment link was already used.
func (s *Service) EnrollDevice(ctx context.Context, d Device) (Device, error) {
	if s.devices == nil {
		return Device{}, Errorf(ECONFIG, "device binding is not configured")
	}
	if d.ID == "" || d.EmployeeID == "" || len(d.Credential) == 0 {
		return Device{}, Errorf(EINVALID, "a device needs a credential id, an employee and a credential")
	}
	emp, err := s.store.Roster(ctx, d.EmployeeID)
	if err != nil {
		return Device{}, err
	}
	if !emp.Employee.Active {
		return Device{}, Errorf(EFORBIDDEN, "employee %s is not active", d.EmployeeID)
	}
	d.Name = deviceName(d.Name)
	d.CreatedAt, d.LastUsedAt, d.RevokedAt, d.RevokedBy = s.now(), time.Time{}, time.Time{}, ""
	detail, _ := json.Marshal(map[string]string{"device": d.Name, "credential": shortID(d.ID)})
	err = s.devices.AddDevice(ctx, d, AuditEntry{At: d.CreatedAt, Actor: d.EmployeeID, Action: "device.enrolled", Subject: d.EmployeeID, Detail: string(detail)})
	return d, err
}

func deviceName(name string) string {
	name = strings.TrimSpace(CleanText(name))
	if name == "" {
		return "passkey"
	}
	for utf8.RuneCountInString(name) > maxDeviceName {
		_, n := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-n]
	}
	return name
}

// shortID is enough of a credential id to tell devices apart in the audit
// log without copying the whole identifier around.
func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// DeviceViewer is who lists or revokes devices: an employee (by their
// console session or chat account) or the admin token.
type DeviceViewer struct {
	Employee Employee
	Admin    bool
}

func (v DeviceViewer) actor() string {
	if v.Admin {
		return "admin"
	}
	return v.Employee.ID
}

// mayManage is the rule of who may see and revoke someone's devices: the
// person themselves and HR (or the admin token). Managers may not: a
// device is the person's credential, not attendance data.
func (v DeviceViewer) mayManage(employeeID string) bool {
	if v.Admin {
		return true
	}
	if !v.Employee.Active {
		return false
	}
	return v.Employee.ID == employeeID || v.Employee.Role == RoleHR
}

// ListDevices returns employeeID's devices, revoked ones included, for the
// person or HR.
func (s *Service) ListDevices(ctx context.Context, v DeviceViewer, employeeID string) ([]Device, error) {
	if s.devices == nil {
		return nil, nil
	}
	if !v.mayManage(employeeID) {
		return nil, Errorf(EFORBIDDEN, "only %s and HR may see these devices", employeeID)
	}
	return s.devices.ListDevices(ctx, employeeID)
}

// RevokeDevice revokes one device for the person or HR; it no longer
// verifies punches or signs in. Audited with who revoked it.
func (s *Service) RevokeDevice(ctx context.Context, v DeviceViewer, id string) (Device, error) {
	if s.devices == nil {
		return Device{}, Errorf(ECONFIG, "device binding is not configured")
	}
	d, err := s.devices.Device(ctx, id)
	if err != nil {
		return Device{}, err
	}
	if !v.mayManage(d.EmployeeID) {
		return Device{}, Errorf(EFORBIDDEN, "only %s and HR may revoke this device", d.EmployeeID)
	}
	if !d.Active() {
		return d, Errorf(ECONFLICT, "device %q was already revoked", d.Name)
	}
	now := s.now()
	detail, _ := json.Marshal(map[string]string{"device": d.Name, "credential": shortID(d.ID)})
	if err := s.devices.RevokeDevice(ctx, id, now, v.actor(), AuditEntry{At: now, Actor: v.actor(), Action: "device.revoked", Subject: d.EmployeeID, Detail: string(detail)}); err != nil {
		return d, err
	}
	d.RevokedAt, d.RevokedBy = now, v.actor()
	return d, nil
}

// DeviceUsed records a successful assertion: the credential record with its
// new sign counter and the time of use.
func (s *Service) DeviceUsed(ctx context.Context, id string, credential []byte) error {
	if s.devices == nil {
		return nil
	}
	return s.devices.TouchDevice(ctx, id, credential, s.now())
}
