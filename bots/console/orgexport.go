package console

import (
	"net/http"

	"github.com/punchbot/punchbot/bots/admin"
)

// orgExport downloads the organisation as an org file, the same file GET
// /api/v1/org returns: keep it in git and apply it with `punchbot apply`.
// It names everyone and their chat accounts, so it is audited.
func (c *Console) orgExport(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if !c.requireHR(w, r, v) {
		return nil
	}
	// With the device binding, as GET /api/v1/org: a download applied to a
	// new store must not drop it.
	org, err := admin.CurrentOrg(r.Context(), c.store)
	if err != nil {
		return err
	}
	data, err := admin.MarshalOrg(org)
	if err != nil {
		return err
	}
	if err := c.audit(r.Context(), v.Actor(), "console.org_exported", org.Name, map[string]any{"employees": len(org.Employees), "bytes": len(data)}); err != nil {
		return err
	}
	sendFile(w, "application/yaml; charset=utf-8", "org.yaml", data)
	return nil
}
