package sqlite

import (
	"testing"

	"github.com/punchbot/punchbot/core/coretest"
)

func TestReportConformance(t *testing.T) {
	coretest.RunReportStoreSuite(t, func(t *testing.T) coretest.ReportStore { return MustOpen(t) })
}
