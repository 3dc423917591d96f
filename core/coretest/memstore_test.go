package coretest_test

import (
	"testing"

	"github.com/punchbot/punchbot/core/coretest"
)

func TestMemStoreConformance(t *testing.T) {
	coretest.RunStoreSuite(t, func(t *testing.T) coretest.Store { return coretest.NewMemStore() })
}
