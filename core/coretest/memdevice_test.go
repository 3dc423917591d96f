package coretest

import "testing"

func TestMemDeviceConformance(t *testing.T) {
	RunDeviceSuite(t, func(t *testing.T) DeviceStore { return NewMemStore() })
}
