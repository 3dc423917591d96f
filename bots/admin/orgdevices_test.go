package admin

import (
	"errors"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

const bindingOrg = `name: Acme
timezone: Asia/Shanghai
device_binding: optional
sites:
  - {id: hq, lat: 39.99, lng: 116.48, radius_m: 300}
schedules:
  - {id: day, start: "09:00", end: "18:00"}
  - {id: field, start: "09:00", end: "18:00", device_binding: required}
employees:
  - {id: e1, name: Ann, schedule: day, sites: [hq]}
`

func TestParseOrgDeviceBinding(t *testing.T) {
	org, err := ParseOrg([]byte(bindingOrg))
	if err != nil {
		t.Fatal(err)
	}
	if org.Devices.Default != core.DeviceBindingOptional || org.Devices.For("field") != core.DeviceBindingRequired || org.Devices.For("day") != core.DeviceBindingOptional {
		t.Errorf("devices = %+v, want optional with field required", org.Devices)
	}
	org, err = ParseOrg([]byte(strings.Replace(bindingOrg, "device_binding: optional\n", "", 1)))
	if err != nil || org.Devices.For("day") != core.DeviceBindingOff {
		t.Errorf("without device_binding: %+v, %v; want off", org.Devices, err)
	}
	for _, c := range []struct{ doc, want string }{
		{strings.Replace(bindingOrg, "device_binding: optional", "device_binding: always", 1), `line 3: device_binding: must be off, optional or required, not "always"`},
		{strings.Replace(bindingOrg, "device_binding: required", "device_binding: maybe", 1), `line 8: schedules[1].device_binding: must be off, optional or required`},
	} {
		_, err := ParseOrg([]byte(c.doc))
		var fe *FileError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error = %v, want %q", err, c.want)
		}
	}
}
