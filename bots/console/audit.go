package console

import (
	"net/http"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

// Audit log.

type auditData struct {
	Entries []core.AuditEntry
	Filter  core.AuditFilter
	Zone    *time.Location
}

func (c *Console) auditLog(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if !v.HR() {
		return core.Errorf(core.EFORBIDDEN, "the audit log is for HR")
	}
	q := r.URL.Query()
	f := core.AuditFilter{Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")), Subject: strings.TrimSpace(q.Get("subject")), Limit: maxRows}
	entries, err := c.store.FindAudit(r.Context(), f)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "audit", &page{Lang: v.Lang, Title: tr(v.Lang, "aud_title"), Nav: "audit", V: v, Data: auditData{Entries: entries, Filter: f, Zone: c.cfg.Zone}})
	return nil
}

// Personal data.
