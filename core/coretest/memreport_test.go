package coretest_test

import (
	"testing"

	"github.com/punchbot/punchbot/core/coretest"
)

func TestMemStoreReportConformance(t *testing.T) {
	coretest.RunReportStoreSuite(t, func(t *testing.T) coretest.ReportStore { return coretest.NewMemStore() })
}
