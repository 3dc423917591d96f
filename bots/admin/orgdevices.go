package admin

import "github.com/punchbot/punchbot/core"

// deviceBinding reads a device_binding value (off, optional, required;
// absent is off) and reports anything else at its line.
func (p *parser) deviceBinding(value, path string) core.DeviceBinding {
	b, err := core.ParseDeviceBinding(value)
	if err != nil {
		p.add(p.position(path), path, "must be off, optional or required, not %q", value)
		p.failed[path] = true
		return core.DeviceBindingOff
	}
	return b
}

// scheduleBinding records a schedule's own device_binding, when it names
// one, over the organisation's.
func (p *parser) scheduleBinding(org *core.Org, s fileSchedule, path string) {
	if s.DeviceBinding == "" {
		return
	}
	if org.Devices.Schedules == nil {
		org.Devices.Schedules = map[string]core.DeviceBinding{}
	}
	org.Devices.Schedules[s.ID] = p.deviceBinding(s.DeviceBinding, path+".device_binding")
}
