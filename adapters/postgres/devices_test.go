package postgres

import (
	"testing"

	"github.com/punchbot/punchbot/core/coretest"
)

func TestDeviceConformance(t *testing.T) {
	coretest.RunDeviceSuite(t, func(t *testing.T) coretest.DeviceStore { return MustOpen(t) })
}
