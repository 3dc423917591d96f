package console

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

// personal is everything stored about one employee, as the data page shows
// it and the export writes it.
type personal struct {
	Employee  core.Employee
	Punches   []core.Punch
	Makeups   []core.MakeupRequest
	Access    []core.AuditEntry // entries about the person, newest first
	Retention int
	Generated time.Time
}

func (c *Console) personal(ctx context.Context, id string) (personal, error) {
	e, err := c.store.Employee(ctx, id)
	if err != nil {
		return personal{}, err
	}
	out := personal{Employee: e, Retention: c.cfg.RetentionDays, Generated: c.now()}
	if out.Punches, err = c.store.ListPunches(ctx, core.PunchFilter{EmployeeID: id}); err != nil {
		return out, err
	}
	slices.Reverse(out.Punches)
	err = c.store.InTx(ctx, func(tx core.Tx) error {
		var err error
		out.Makeups, err = tx.ListMakeups(ctx, core.MakeupFilter{EmployeeID: id})
		return err
	})
	if err != nil {
		return out, err
	}
	out.Access, err = c.accessOf(ctx, id) // wholooked.go
	return out, err
}

type personData struct {
	personal
	Self     bool
	CanErase bool
	Zone     *time.Location
	Shown    []core.Punch
	Pager    pager
	// ScheduleName and SiteNames name the schedule and sites ("标准班
	// (day)"), not their bare ids; CanEdit links HR to the person's form.
	ScheduleName, SiteNames string
	CanEdit                 bool
}

func (c *Console) me(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if v.Admin {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	return c.showPerson(w, r, v, v.Emp.ID)
}

func (c *Console) person(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return c.showPerson(w, r, v, r.PathValue("id"))
}

func (c *Console) showPerson(w http.ResponseWriter, r *http.Request, v *viewer, id string) error {
	if !v.Scope.Allows(id) {
		return core.Errorf(core.EFORBIDDEN, "employee %s is not in your scope", id)
	}
	data, err := c.personal(r.Context(), id)
	if err != nil {
		return err
	}
	if err := c.auditView(r.Context(), v, "console.viewed", "person", []string{id}, map[string]any{"page": "person"}); err != nil {
		return err
	}
	d := personData{personal: data, Self: !v.Admin && id == v.Emp.ID, CanErase: v.HR() && !data.Employee.Active && data.Employee.Name != core.ErasedName,
		Zone: data.Employee.Location(), Shown: data.Punches}
	d.Shown, d.Pager = paginate(d.Shown, r, pageSize)
	title := tr(v.Lang, "me_title")
	nav := "me"
	if !d.Self {
		name := data.Employee.Name
		if name == core.ErasedName {
			name = id
		}
		title, nav = strings.Replace(tr(v.Lang, "person_title"), "%s", name, 1), ""
	}
	sites, err := c.sites(r.Context())
	if err != nil {
		return err
	}
	org, err := c.store.Org(r.Context())
	if err != nil {
		return err
	}
	names := orgNames(org)
	d.ScheduleName, d.SiteNames, d.CanEdit = names.schedule(data.Employee.ScheduleID), names.sites(data.Employee.SiteIDs, (&page{Lang: v.Lang}).sep()), v.HR()
	c.render(w, r, http.StatusOK, "person", &page{Lang: v.Lang, Title: title, Nav: nav, V: v, Flash: flash(r, v.Lang), Data: d, Sites: sites})
	return nil
}

func (c *Console) meExport(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if v.Admin {
		return core.Errorf(core.ENOTFOUND, "the admin token has no personal data")
	}
	return c.exportPerson(w, r, v, v.Emp.ID)
}

func (c *Console) personExport(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return c.exportPerson(w, r, v, r.PathValue("id"))
}

// exportPerson writes everything stored about one employee as JSON.
func (c *Console) exportPerson(w http.ResponseWriter, r *http.Request, v *viewer, id string) error {
	if !v.Scope.Allows(id) {
		return core.Errorf(core.EFORBIDDEN, "employee %s is not in your scope", id)
	}
	data, err := c.personal(r.Context(), id)
	if err != nil {
		return err
	}
	if err := c.auditView(r.Context(), v, "data.exported", "person", []string{id}, map[string]any{"format": "json"}); err != nil {
		return err
	}
	body, err := json.MarshalIndent(exportJSON(data), "", "  ")
	if err != nil {
		return err
	}
	sendFile(w, "application/json; charset=utf-8", "punchbot-data-"+id+".json", body)
	return nil
}

// exportJSON is the export's documented shape: snake_case keys, instants
// in RFC 3339.
func exportJSON(p personal) map[string]any {
	e := p.Employee
	ids := []map[string]string{}
	for _, i := range e.Identities {
		ids = append(ids, map[string]string{"platform": string(i.Platform), "tenant": i.Tenant, "user": i.UserID})
	}
	punches := []map[string]any{}
	for _, pu := range p.Punches {
		m := map[string]any{
			"id": pu.ID, "kind": pu.Kind, "at": pu.At.Format(time.RFC3339), "shift_date": pu.ShiftDate, "source": pu.Source,
			"outcome": pu.Outcome, "time_result": pu.TimeResult, "late_min": pu.LateMin, "early_min": pu.EarlyMin,
			"site_id": pu.SiteID, "reasons": nonNil(pu.Reasons), "flags": nonNil(pu.Flags),
		}
		switch {
		case pu.HasLocation:
			m["lat"], m["lng"], m["accuracy_m"], m["distance_m"], m["label"] = pu.Lat, pu.Lng, pu.AccuracyM, pu.DistanceM, pu.Label
		case pu.LocationReduced():
			m["distance_band"] = core.DistanceBand(pu.DistanceM)
		}
		if pu.ClientIP != "" {
			m["client_ip"] = pu.ClientIP
		}
		punches = append(punches, m)
	}
	makeups := []map[string]any{}
	for _, mk := range p.Makeups {
		makeups = append(makeups, map[string]any{
			"id": mk.ID, "shift_date": mk.ShiftDate, "kind": mk.Kind, "at": mk.At.Format(time.RFC3339), "reason": mk.Reason,
			"evidence": nonNil(mk.Evidence), "status": mk.Status, "approver_id": mk.ApproverID, "decided_by": mk.DecidedBy, "note": mk.Note,
			"created_at": mk.CreatedAt.Format(time.RFC3339),
		})
	}
	access := []map[string]any{}
	for _, a := range p.Access {
		entry := map[string]any{"at": a.At.Format(time.RFC3339), "actor": a.Actor, "action": a.Action}
		if json.Valid([]byte(a.Detail)) {
			entry["detail"] = json.RawMessage(a.Detail)
		}
		access = append(access, entry)
	}
	return map[string]any{
		"generated_at":   p.Generated.Format(time.RFC3339),
		"retention_days": p.Retention,
		"employee": map[string]any{
			"id": e.ID, "name": e.Name, "department": e.Department, "role": e.Role, "manager_id": e.ManagerID, "lang": e.Lang,
			"time_zone": e.TimeZone, "active": e.Active, "schedule_id": e.ScheduleID, "site_ids": nonNil(e.SiteIDs), "identities": ids,
		},
		"punches": punches, "makeup_requests": makeups, "audit": access,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// erase removes a departed employee's personal data (HR only).
func (c *Console) erase(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if !c.checkPost(r, v) {
		c.errorPage(w, r, http.StatusForbidden, v.Lang, "csrf")
		return nil
	}
	if !v.HR() {
		return core.Errorf(core.EFORBIDDEN, "only HR can erase personal data")
	}
	id := r.PathValue("id")
	res, err := core.ErasePersonalData(r.Context(), c.store, id, v.Actor(), c.now())
	if err != nil {
		if core.ErrorCode(err) == core.ECONFLICT {
			return core.Errorf(core.EINVALID, "%s", core.ErrorMessage(err))
		}
		return err
	}
	back := url.Values{"done": {"erased"}, "id": {id}, "punches": {strconv.Itoa(res.Punches)}, "accounts": {strconv.Itoa(res.Identities)}}
	http.Redirect(w, r, "/people/"+url.PathEscape(id)+"?"+back.Encode(), http.StatusSeeOther)
	return nil
}
