package postgres

import (
	"testing"

	"github.com/punchbot/punchbot/core/coretest"
)

func TestOrgReadsBackTheOrganisation(t *testing.T) {
	coretest.RunOrgReadSuite(t, func(t *testing.T) coretest.OrgReadStore { return MustOpen(t) })
}
