package coretest_test

import (
	"testing"

	"github.com/punchbot/punchbot/core/coretest"
)

func TestMemStoreDeliveryConformance(t *testing.T) {
	coretest.RunDeliverySuite(t, func(t *testing.T) coretest.DeliveryStore { return coretest.NewMemStore() })
}
