package coretest

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/punchbot/punchbot/core"
)

// The memory store's devices, device policy and access subjects (issue 18),
// kept in memState.devices so InTx's snapshot covers them.

var (
	_ core.DeviceStore = (*MemStore)(nil)
	_ core.AccessStore = (*MemStore)(nil)
)

type memDevices struct {
	policy   core.DevicePolicy
	byID     map[string]core.Device
	subjects map[int64][]string // audit id → the people the access included
}

func (d memDevices) clone() memDevices {
	c := d
	c.policy.Schedules = maps.Clone(d.policy.Schedules)
	c.byID = maps.Clone(d.byID)
	c.subjects = maps.Clone(d.subjects)
	return c
}

// saveDevicePolicy is ApplyOrg's part: the policy is replaced as a whole.
func (m *MemStore) saveDevicePolicy(org core.Org) {
	m.state.devices.policy = core.DevicePolicy{Default: org.Devices.Default, Schedules: maps.Clone(org.Devices.Schedules)}
}

// DevicePolicy returns the policy of the last apply.
func (m *MemStore) DevicePolicy(ctx context.Context) (core.DevicePolicy, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.state.devices.policy
	p.Schedules = maps.Clone(p.Schedules)
	return p, nil
}

// ListDevices returns an employee's devices, oldest first.
func (m *MemStore) ListDevices(ctx context.Context, employeeID string) ([]core.Device, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []core.Device
	for _, d := range m.state.devices.byID {
		if d.EmployeeID == employeeID {
			d.Credential = slices.Clone(d.Credential)
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b core.Device) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return compareStrings(a.ID, b.ID)
	})
	return out, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Device returns one device.
func (m *MemStore) Device(ctx context.Context, id string) (core.Device, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.state.devices.byID[id]
	if !ok {
		return core.Device{}, core.Errorf(core.ENOTFOUND, "no device %q", id)
	}
	d.Credential = slices.Clone(d.Credential)
	return d, nil
}

// AddDevice stores a device with its audit entry.
func (m *MemStore) AddDevice(ctx context.Context, d core.Device, audit core.AuditEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.state.devices.byID[d.ID]; ok {
		return core.Errorf(core.ECONFLICT, "device %q is already bound", d.ID)
	}
	for _, o := range m.state.devices.byID {
		if d.EnrollNonce != "" && o.EnrollNonce == d.EnrollNonce {
			return core.Errorf(core.ECONFLICT, "this enrollment link was already used")
		}
	}
	if m.state.devices.byID == nil {
		m.state.devices.byID = map[string]core.Device{}
	}
	d.Credential = slices.Clone(d.Credential)
	d.CreatedAt, d.LastUsedAt, d.RevokedAt = memTime(d.CreatedAt), memTime(d.LastUsedAt), memTime(d.RevokedAt)
	m.state.devices.byID[d.ID] = d
	m.appendAudit(audit)
	return nil
}

// RevokeDevice marks a device revoked with its audit entry.
func (m *MemStore) RevokeDevice(ctx context.Context, id string, at time.Time, by string, audit core.AuditEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.state.devices.byID[id]
	if !ok {
		return core.Errorf(core.ENOTFOUND, "no device %q", id)
	}
	if !d.Active() {
		return core.Errorf(core.ECONFLICT, "device %q was already revoked", id)
	}
	d.RevokedAt, d.RevokedBy = memTime(at), by
	m.state.devices.byID[id] = d
	m.appendAudit(audit)
	return nil
}

// TouchDevice writes back the credential and the time of use.
func (m *MemStore) TouchDevice(ctx context.Context, id string, credential []byte, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.state.devices.byID[id]
	if !ok {
		return core.Errorf(core.ENOTFOUND, "no device %q", id)
	}
	d.Credential, d.LastUsedAt = slices.Clone(credential), memTime(at)
	m.state.devices.byID[id] = d
	return nil
}

// memTime stores times as the SQL stores do: UTC, to the microsecond.
func memTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

func (m *MemStore) appendAudit(a core.AuditEntry) int64 {
	m.state.nextID++
	a.ID = m.state.nextID
	m.state.audit = append(m.state.audit, a)
	return a.ID
}

// RecordAccess appends an audit entry with the people it included.
func (m *MemStore) RecordAccess(ctx context.Context, a core.AuditEntry, subjects []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := m.appendAudit(a)
	if m.state.devices.subjects == nil {
		m.state.devices.subjects = map[int64][]string{}
	}
	ids := slices.Clone(subjects)
	slices.Sort(ids)
	m.state.devices.subjects[id] = slices.Compact(ids)
	return nil
}

// FindAccess lists the entries about or including employeeID, newest first.
func (m *MemStore) FindAccess(ctx context.Context, employeeID string, limit int) ([]core.AuditEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []core.AuditEntry
	for i := len(m.state.audit) - 1; i >= 0 && (limit <= 0 || len(out) < limit); i-- {
		a := m.state.audit[i]
		if a.Subject == employeeID || slices.Contains(m.state.devices.subjects[a.ID], employeeID) {
			out = append(out, a)
		}
	}
	return out, nil
}

// EraseDevices deletes an employee's devices.
func (m *MemStore) EraseDevices(ctx context.Context, employeeID string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for id, d := range m.state.devices.byID {
		if d.EmployeeID == employeeID {
			delete(m.state.devices.byID, id)
			n++
		}
	}
	return n, nil
}
