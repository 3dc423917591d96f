package core

import "context"

// SetDevices gives the service the device store that device binding needs.
// Without one every browser punch is treated as under DeviceBindingOff.
func (s *Service) SetDevices(d DeviceStore) { s.devices = d }

// punchDevice loads what the binding rule needs for one punch: the policy
// that applies to the employee and the device the bot verified, if any.
// Chat punches are authenticated by the chat app and skip the look-up, so
// the binding costs nothing on their path.
func (s *Service) punchDevice(ctx context.Context, cmd Command, r Roster) (DeviceBinding, *Device, error) {
	if s.devices == nil || (cmd.source() != string(PlatformWeb) && cmd.DeviceID == "") {
		return DeviceBindingOff, nil, nil
	}
	pol, err := s.devices.DevicePolicy(ctx)
	if err != nil {
		return "", nil, err
	}
	scheduleID := r.Employee.ScheduleID
	if r.Schedule != nil {
		scheduleID = r.Schedule.ID
	}
	binding := pol.For(scheduleID)
	if cmd.DeviceID == "" {
		return binding, nil, nil
	}
	d, err := s.devices.Device(ctx, cmd.DeviceID)
	if ErrorCode(err) == ENOTFOUND {
		return binding, nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	return binding, &d, nil
}

// DeviceVerified reports whether dev proves that a punch of employeeID was
// made on one of that person's own, still active, devices.
func DeviceVerified(dev *Device, employeeID string) bool {
	return dev != nil && dev.Active() && dev.EmployeeID == employeeID
}

// ApplyDeviceBinding applies the binding to a verified punch: a punch made
// with the employee's active device is flagged FlagDeviceVerified (unless
// binding is off); under DeviceBindingRequired a browser punch without one
// is rejected with ReasonDeviceRequired, and kept as a rejected attempt so
// HR sees it. Chat punches are left alone: the chat account is their
// factor.
func ApplyDeviceBinding(p *Punch, binding DeviceBinding, dev *Device) {
	if binding == DeviceBindingOff || binding == "" {
		return
	}
	if DeviceVerified(dev, p.EmployeeID) {
		p.Flags = append(p.Flags, FlagDeviceVerified)
		return
	}
	if binding == DeviceBindingRequired && p.Source == string(PlatformWeb) {
		p.Outcome = OutcomeRejected
		p.Reasons = append(p.Reasons, ReasonDeviceRequired)
	}
}
