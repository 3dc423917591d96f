package core

import (
	"context"
	"strings"
	"time"
)

// Device binding: a passkey (WebAuthn platform credential, unlocked by the
// phone's fingerprint, face or PIN) registered for one employee proves that
// a browser punch comes from one of that person's own devices, not from a
// colleague holding a forwarded link. The WebAuthn ceremony itself is the
// bots' (bots/internal/passkey); the core decides what a punch needs and
// keeps the devices through a DeviceStore.

// DeviceBinding is how much a browser punch relies on a bound device.
type DeviceBinding string

// Device binding policies, as written in the org file.
const (
	// DeviceBindingOff ignores devices: the link alone is enough.
	DeviceBindingOff DeviceBinding = "off"
	// DeviceBindingOptional marks a punch made with a bound device as
	// verified; one without is accepted as before.
	DeviceBindingOptional DeviceBinding = "optional"
	// DeviceBindingRequired refuses a browser punch that was not made with
	// one of the employee's active devices.
	DeviceBindingRequired DeviceBinding = "required"
)

// ParseDeviceBinding reads an org-file value; "" is off.
func ParseDeviceBinding(s string) (DeviceBinding, error) {
	switch b := DeviceBinding(strings.ToLower(strings.TrimSpace(s))); b {
	case "", DeviceBindingOff:
		return DeviceBindingOff, nil
	case DeviceBindingOptional, DeviceBindingRequired:
		return b, nil
	}
	return "", Errorf(EINVALID, "device_binding %q must be off, optional or required", s)
}

// DevicePolicy is the organisation's binding and the schedules that differ
// from it.
type DevicePolicy struct {
	Default   DeviceBinding
	Schedules map[string]DeviceBinding // schedule id → binding
}

// For returns the binding that applies to an employee on scheduleID.
func (p DevicePolicy) For(scheduleID string) DeviceBinding {
	if b, ok := p.Schedules[scheduleID]; ok && scheduleID != "" && b != "" {
		return b
	}
	if p.Default == "" {
		return DeviceBindingOff
	}
	return p.Default
}

// Device is one passkey bound to an employee. Credential is the bot's own
// encoding of the WebAuthn credential record (public key, sign counter,
// flags); the core never reads it.
type Device struct {
	ID         string // the WebAuthn credential id, base64url
	EmployeeID string
	Name       string // what the person called it, or the browser's description
	Credential []byte
	CreatedAt  time.Time
	LastUsedAt time.Time // zero until first used
	RevokedAt  time.Time // zero while active
	RevokedBy  string
	// EnrollNonce is the nonce of the one-time link that enrolled it; the
	// store keeps it unique, so a link enrolls once.
	EnrollNonce string
}

// Active reports whether the device may still verify punches and sign-ins.
func (d Device) Active() bool { return d.RevokedAt.IsZero() }

// FlagDeviceVerified marks a punch made with one of the employee's active
// passkeys.
const FlagDeviceVerified = "device_verified"

// ReasonDeviceRequired refuses a browser punch without a passkey when the
// policy requires one.
const ReasonDeviceRequired = "device_required"

// DeviceStore keeps devices and the binding policy. Adding and revoking
// write their audit entry in the same transaction.
type DeviceStore interface {
	// DevicePolicy returns the policy of the last applied org file.
	DevicePolicy(ctx context.Context) (DevicePolicy, error)
	// ListDevices returns an employee's devices, revoked ones included,
	// oldest first.
	ListDevices(ctx context.Context, employeeID string) ([]Device, error)
	// Device returns one device by credential id; ENOTFOUND if none.
	Device(ctx context.Context, id string) (Device, error)
	// AddDevice stores d with audit. ECONFLICT when the credential id or
	// the enrollment nonce is already stored; nothing is written then.
	AddDevice(ctx context.Context, d Device, audit AuditEntry) error
	// RevokeDevice marks the device revoked at at by by, with audit;
	// ENOTFOUND for an unknown id, ECONFLICT when it is already revoked.
	RevokeDevice(ctx context.Context, id string, at time.Time, by string, audit AuditEntry) error
	// TouchDevice writes back the credential record (its sign counter) and
	// the time of use after a successful assertion.
	TouchDevice(ctx context.Context, id string, credential []byte, at time.Time) error
	// EraseDevices deletes every device of an employee, revoked ones too,
	// and returns how many; erasing a departed employee's data uses it.
	EraseDevices(ctx context.Context, employeeID string) (int, error)
}
