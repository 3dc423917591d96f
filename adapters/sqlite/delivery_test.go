package sqlite

import (
	"testing"

	"github.com/punchbot/punchbot/core/coretest"
)

func TestDeliveryConformance(t *testing.T) {
	coretest.RunDeliverySuite(t, func(t *testing.T) coretest.DeliveryStore { return MustOpen(t) })
}
