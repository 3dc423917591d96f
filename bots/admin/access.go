package admin

import (
	"context"
	"encoding/json"

	"github.com/punchbot/punchbot/core"
)

// recordRead audits an API read that returned people's data, with each of
// them as a subject, so that it shows on their own data page ("who looked
// at my data"). what names the read ("punches", "makeups"). A store
// without an access log records nothing.
func (a *API) recordRead(ctx context.Context, what string, ids []string) error {
	acc, ok := a.store.(core.AccessStore)
	if !ok {
		return nil
	}
	subjects := core.AccessSubjects(core.ActorAdmin, ids)
	if len(subjects) == 0 {
		return nil
	}
	detail, _ := json.Marshal(map[string]any{"page": "api:" + what, "people": len(subjects), "via": "api"})
	return acc.RecordAccess(ctx, core.AuditEntry{At: a.now(), Actor: core.ActorAdmin, Action: "api.read", Subject: what, Detail: string(detail)}, subjects)
}
