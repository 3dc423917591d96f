package console

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

// Audit log.

type auditData struct {
	Entries []core.AuditEntry
	Filter  core.AuditFilter
	Pager   pager
	More    bool // the log goes on beyond Pager's count
	Zone    *time.Location
}

// maxAuditPages bounds how deep the audit pages go (the API and the store
// have the rest).
const maxAuditPages = 200

func (c *Console) auditLog(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if !v.HR() {
		return core.Errorf(core.EFORBIDDEN, "the audit log is for HR")
	}
	q := r.URL.Query()
	// Pages of the newest entries: the store returns the newest first, so
	// page n reads n pages and one more entry (to know whether there is a
	// next page) rather than the whole log.
	n, _ := strconv.Atoi(q.Get("page"))
	n = min(max(n, 1), maxAuditPages)
	f := core.AuditFilter{Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")), Subject: strings.TrimSpace(q.Get("subject")), Limit: n*pageSize + 1}
	entries, err := c.store.FindAudit(r.Context(), f)
	if err != nil {
		return err
	}
	d := auditData{Filter: f, Zone: c.cfg.Zone}
	more := len(entries) > n*pageSize
	if more {
		entries = entries[:n*pageSize]
	}
	d.Entries, d.Pager = paginate(entries, r, pageSize)
	if more {
		// The total is not counted; the next page is offered.
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(n+1))
		d.Pager.Next, d.Pager.Total, d.More = "/audit?"+q.Encode(), len(entries), true
	}
	c.render(w, r, http.StatusOK, "audit", &page{Lang: v.Lang, Title: tr(v.Lang, "aud_title"), Nav: "audit", V: v, Data: d})
	return nil
}

// Personal data.
