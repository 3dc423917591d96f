package console

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/punchbot/punchbot/core"
)

// Make-ups.

type makeupRow struct {
	core.MakeupRequest
	CanDecide bool
}

type makeupData struct {
	Rows     []makeupRow
	Status   string
	ReadOnly bool
	Zone     func(string) *time.Location
}

// mayDecide mirrors the card rule for showing buttons; the service checks
// again when the button is pressed.
func mayDecide(v *viewer, m core.MakeupRequest) bool {
	if m.Status != core.MakeupPending {
		return false
	}
	if v.Admin {
		return true
	}
	return m.EmployeeID != v.Emp.ID && (m.ApproverID == v.Emp.ID || v.Emp.Role == core.RoleHR)
}

func (c *Console) makeupList(w http.ResponseWriter, r *http.Request, v *viewer) error {
	var all []core.MakeupRequest
	err := c.store.InTx(r.Context(), func(tx core.Tx) error {
		var err error
		all, err = tx.ListMakeups(r.Context(), core.MakeupFilter{})
		return err
	})
	if err != nil {
		return err
	}
	status := r.URL.Query().Get("status")
	d := makeupData{Status: status, ReadOnly: c.makeups == nil, Zone: zoneOf(v)}
	var ids []string
	for _, m := range all {
		// An approver sees the requests routed to them even outside
		// their reporting line (HR fallback).
		if !v.Scope.Allows(m.EmployeeID) && m.ApproverID != v.Emp.ID {
			continue
		}
		if status != "" && string(m.Status) != status {
			continue
		}
		d.Rows = append(d.Rows, makeupRow{MakeupRequest: m, CanDecide: !d.ReadOnly && mayDecide(v, m)})
		ids = append(ids, m.EmployeeID)
	}
	// Pending first, then the newest.
	slices.SortStableFunc(d.Rows, func(a, b makeupRow) int {
		ap, bp := a.Status == core.MakeupPending, b.Status == core.MakeupPending
		if ap != bp {
			if ap {
				return -1
			}
			return 1
		}
		return b.CreatedAt.Compare(a.CreatedAt)
	})
	if len(d.Rows) > maxRows {
		d.Rows = d.Rows[:maxRows]
	}
	if err := c.auditView(r.Context(), v, "console.viewed", "makeups", rowIDs(ids, func(s string) string { return s }), map[string]any{"page": "makeups"}); err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "makeups", &page{Lang: v.Lang, Title: tr(v.Lang, "mk_title"), Nav: "makeups", V: v, Flash: flash(r, v.Lang), Data: d})
	return nil
}

func (c *Console) decide(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if !c.checkPost(r, v) {
		c.errorPage(w, r, http.StatusForbidden, v.Lang, "csrf")
		return nil
	}
	if c.makeups == nil {
		return core.Errorf(core.EINVALID, "the make-up service is not enabled")
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return core.Errorf(core.EINVALID, "%q is not a request number", r.PathValue("id"))
	}
	status := core.MakeupStatus(r.PostFormValue("decision"))
	if status != core.MakeupApproved && status != core.MakeupRejected {
		return core.Errorf(core.EINVALID, "decision must be approved or rejected")
	}
	done := string(status)
	if _, err := c.makeups.DecideMakeup(r.Context(), core.MakeupDecision{ID: id, Status: status, Actor: v.Actor(), Note: r.PostFormValue("note")}); err != nil {
		if core.ErrorCode(err) != core.ECONFLICT {
			return err
		}
		done = "conflict"
	}
	http.Redirect(w, r, "/makeups?"+url.Values{"done": {done}, "id": {strconv.FormatInt(id, 10)}}.Encode(), http.StatusSeeOther)
	return nil
}
