package console

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/punchbot/punchbot/core"
)

// People: add, edit, deactivate, bind chat accounts, manager, schedule,
// sites.

var peopleSpec = &entitySpec{
	key: "people", entity: "employees",
	columns: []string{"name", "id", "department", "role", "manager", "schedule", "site", "identities", "active"},
	rows:    peopleRows, values: personValues, fields: personFields, apply: applyPerson, extra: personExtra,
}

func peopleRows(p *page, org core.Org, q string) []listRow {
	names := orgNames(org)
	var out []listRow
	for _, e := range org.Employees {
		if q != "" && !containsFold(q, e.ID, e.Name, e.Department) {
			continue
		}
		var accounts []string
		for _, id := range e.Identities {
			accounts = append(accounts, string(id.Platform))
		}
		out = append(out, listRow{ID: e.ID, Href: "/org/people/" + url.PathEscape(e.ID), Muted: !e.Active, Cells: []string{
			e.Name, e.ID, e.Department, p.T("role_" + string(e.Role)), names.person(e.ManagerID), names.schedule(e.ScheduleID),
			names.sites(e.SiteIDs, p.sep()), strings.Join(accounts, ", "), yesNo(p, e.Active)}})
	}
	return out
}

func personValues(org core.Org, id string) (url.Values, bool) {
	i := slices.IndexFunc(org.Employees, func(e core.Employee) bool { return e.ID == id })
	if i < 0 {
		return nil, false
	}
	e := org.Employees[i]
	v := url.Values{"id": {e.ID}, "name": {e.Name}, "department": {e.Department}, "role": {string(e.Role)}, "manager": {e.ManagerID},
		"schedule": {e.ScheduleID}, "sites": e.SiteIDs, "lang": {e.Lang}, "timezone": {e.TimeZone}, "identities": {identityLines(e.Identities)},
		"joined": {e.Joined}, "left": {e.Left}}
	// Always set, so a deactivation shows among a stale save's current
	// values (orgentity.go staleValues).
	v.Set("active", "")
	if e.Active {
		v.Set("active", "1")
	}
	return v, true
}

// identityLines writes chat accounts one per line as "platform user" or
// "platform tenant user".
func identityLines(ids []core.Identity) string {
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(string(id.Platform))
		if id.Tenant != "" {
			b.WriteString(" " + id.Tenant)
		}
		b.WriteString(" " + id.UserID + "\n")
	}
	return b.String()
}

func personFields(p *page, org core.Org, vals url.Values, isNew bool) []formField {
	names := orgNames(org)
	managers := []option{{"", p.T("org_none")}}
	for _, e := range org.Employees {
		// An inactive manager stays selectable while they are the current
		// one, so saving the form does not drop them silently.
		if e.ID != vals.Get("id") && (e.Active || e.ID == vals.Get("manager")) {
			managers = append(managers, option{e.ID, e.Name + " (" + e.ID + ")"})
		}
	}
	schedules := []option{{"", p.T("org_none")}}
	for _, s := range org.Schedules {
		schedules = append(schedules, option{s.ID, names.schedule(s.ID)})
	}
	var sites []option
	for _, s := range org.Sites {
		sites = append(sites, option{s.ID, names.site(s.ID)})
	}
	roles := []option{{"employee", p.T("role_employee")}, {"manager", p.T("role_manager")}, {"hr", p.T("role_hr")}}
	langs := []option{{"", p.T("org_default")}, {"zh", "中文"}, {"en", "English"}}
	active := vals.Get("active")
	if isNew && vals.Get("name") == "" {
		active = "1"
	}
	return []formField{
		idField(p, vals, isNew, p.T("org_id_help")),
		{Name: "name", Label: p.T("name"), Type: "text", Value: vals.Get("name"), Required: true},
		{Name: "department", Label: p.T("department"), Type: "text", Value: vals.Get("department")},
		{Name: "role", Label: p.T("role"), Type: "select", Value: vals.Get("role"), Options: roles},
		{Name: "manager", Label: p.T("manager"), Type: "select", Value: vals.Get("manager"), Options: managers},
		{Name: "schedule", Label: p.T("schedule"), Type: "select", Value: vals.Get("schedule"), Options: schedules},
		{Name: "sites", Label: p.T("site"), Type: "checks", Values: vals["sites"], Options: sites},
		{Name: "identities", Label: p.T("identities"), Type: "textarea", Value: vals.Get("identities"), Rows: 3, Placeholder: "slack U024BE7LH\nwecom corp zhangsan", Help: p.T("org_identities_help")},
		{Name: "lang", Label: p.T("org_lang"), Type: "select", Value: vals.Get("lang"), Options: langs},
		{Name: "timezone", Label: p.T("timezone"), Type: "text", Value: vals.Get("timezone"), Placeholder: "Asia/Shanghai"},
		// The employment dates (core.Employee.Joined/Left): days outside are
		// not employed, neither absent nor reminded. Left is the last working
		// day, as Feishu's and DingTalk's 离职日期 are.
		{Name: "joined", Label: p.T("org_joined"), Type: "date", Value: vals.Get("joined")},
		{Name: "left", Label: p.T("org_left"), Type: "date", Value: vals.Get("left"), Help: p.T("org_left_help")},
		{Name: "active", Label: p.T("active"), Type: "checkbox", Value: active},
	}
}

func applyPerson(org *core.Org, id string, vals url.Values, _ []byte, lang string) (int, fieldErrors) {
	errs := fieldErrors{}
	i := len(org.Employees)
	if id != "" {
		i = slices.IndexFunc(org.Employees, func(e core.Employee) bool { return e.ID == id })
		if i < 0 {
			errs.add("", tr(lang, "not_found"))
			return 0, errs
		}
	} else {
		id = strings.TrimSpace(vals.Get("id"))
		org.Employees = append(org.Employees, core.Employee{ID: id})
	}
	e := &org.Employees[i]
	e.Name = strings.TrimSpace(vals.Get("name"))
	e.Department = strings.TrimSpace(vals.Get("department"))
	e.Role = core.Role(vals.Get("role"))
	e.ManagerID = vals.Get("manager")
	e.ScheduleID = vals.Get("schedule")
	e.SiteIDs = vals["sites"]
	e.Lang = vals.Get("lang")
	e.TimeZone = strings.TrimSpace(vals.Get("timezone"))
	e.Active = vals.Get("active") != ""
	// Checked by core's Prepare (a real date, left not before joined) and
	// shown next to the field (org.go fieldName).
	e.Joined = strings.TrimSpace(vals.Get("joined"))
	e.Left = strings.TrimSpace(vals.Get("left"))
	e.Identities = nil
	for n, line := range strings.Split(vals.Get("identities"), "\n") {
		f := strings.Fields(line)
		switch len(f) {
		case 0:
			continue
		case 2:
			e.Identities = append(e.Identities, core.Identity{Platform: core.Platform(strings.ToLower(f[0])), UserID: f[1], EmployeeID: id})
		case 3:
			e.Identities = append(e.Identities, core.Identity{Platform: core.Platform(strings.ToLower(f[0])), Tenant: f[1], UserID: f[2], EmployeeID: id})
		default:
			errs.add("identities", tr(lang, "org_identity_line")+" "+strconv.Itoa(n+1))
		}
	}
	return i, errs
}

// personExtra is the (de)activate button: deactivating keeps the history
// and stops sign-in, reminders and punches at once.
func personExtra(p *page, org core.Org, id string) []formAction {
	i := slices.IndexFunc(org.Employees, func(e core.Employee) bool { return e.ID == id })
	if i < 0 {
		return nil
	}
	out := []formAction{{Action: "/people/" + url.PathEscape(id), Label: p.T("org_data_page"), Class: "secondary"}}
	if org.Employees[i].Active {
		return append(out, formAction{Action: "/org/people/" + url.PathEscape(id) + "/active", Label: p.T("org_deactivate"), Confirm: p.T("org_deactivate_confirm"), Class: "bad"})
	}
	return append(out, formAction{Action: "/org/people/" + url.PathEscape(id) + "/active", Label: p.T("org_reactivate"), Class: "secondary"})
}

// togglePerson deactivates an active person or reactivates an inactive one.
func (c *Console) togglePerson(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if !c.requireHR(w, r, v) {
		return nil
	}
	id := r.PathValue("id")
	// The state is flipped from the first reading only: applyEdit redoes an
	// edit over an organisation that changed meanwhile, and a second HR
	// person's same click must not flip it back.
	var active *bool
	res, err := c.applyEdit(r.Context(), v, orgEdit{Entity: "employees", ID: id, Apply: func(org *core.Org) (int, fieldErrors) {
		i := slices.IndexFunc(org.Employees, func(e core.Employee) bool { return e.ID == id })
		if i < 0 {
			return 0, fieldErrors{"": tr(v.Lang, "not_found")}
		}
		if active == nil {
			a := !org.Employees[i].Active
			active = &a
		}
		org.Employees[i].Active = *active
		return i, nil
	}})
	if err != nil {
		return err
	}
	if len(res.Errs) > 0 {
		return c.entityForm(w, r, v, peopleSpec, id, nil, res.Errs)
	}
	q := url.Values{"done": {"saved"}, "id": {id}, "n": {strconv.Itoa(len(res.Changed))}}
	http.Redirect(w, r, "/org/people?"+q.Encode(), http.StatusSeeOther)
	return nil
}

// names shows ids as names: the person page and the lists never show a
// bare schedule or site id when it has a name.
type names struct {
	people, schedules, siteNames map[string]string
}

func orgNames(org core.Org) names {
	n := names{people: map[string]string{}, schedules: map[string]string{}, siteNames: map[string]string{}}
	for _, e := range org.Employees {
		n.people[e.ID] = e.Name
	}
	for _, s := range org.Schedules {
		n.schedules[s.ID] = s.Name
	}
	for _, s := range org.Sites {
		n.siteNames[s.ID] = s.Name
	}
	return n
}

func named(m map[string]string, id string) string {
	if id == "" {
		return ""
	}
	if n := m[id]; n != "" && n != id {
		return n + " (" + id + ")"
	}
	return id
}

func (n names) person(id string) string   { return named(n.people, id) }
func (n names) schedule(id string) string { return named(n.schedules, id) }
func (n names) site(id string) string     { return named(n.siteNames, id) }
func (n names) sites(ids []string, sep string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = n.site(id)
	}
	return strings.Join(out, sep)
}

func containsFold(q string, fields ...string) bool {
	q = strings.ToLower(q)
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), q) {
			return true
		}
	}
	return false
}

func yesNo(p *page, b bool) string {
	if b {
		return p.T("yes")
	}
	return p.T("no")
}
