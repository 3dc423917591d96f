package console

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/punchbot/punchbot/core"
)

// entitySpec describes one kind of thing HR manages (people, sites,
// schedules, calendars, reminders); the generic handlers below list it
// with pagination, show its form and save it through applyEdit.
type entitySpec struct {
	key     string   // the URL segment under /org/ and the sub-navigation key
	entity  string   // the org file's list
	columns []string // catalogue keys of the list's columns
	// rows lists the entities matching the search q.
	rows func(p *page, org core.Org, q string) []listRow
	// values is an existing entity as form values; false when there is none.
	values func(org core.Org, id string) (url.Values, bool)
	// fields are the form's inputs filled from vals.
	fields func(p *page, org core.Org, vals url.Values, isNew bool) []formField
	// apply writes the form into org: id is the edited entity's, "" for a
	// new one; upload is the content of an uploaded file, if any.
	apply func(org *core.Org, id string, vals url.Values, upload []byte, lang string) (int, fieldErrors)
	// multipart forms carry a file.
	multipart bool
	// extra are further actions on an existing entity.
	extra func(p *page, org core.Org, id string) []formAction
	// base is where the list lives, when not /org/<key>.
	base string
}

func (s *entitySpec) list() string {
	if s.base != "" {
		return s.base
	}
	return "/org/" + s.key
}

// registerEntity mounts the list, the new and edit forms and their saves.
func (c *Console) registerEntity(mux *http.ServeMux, s *entitySpec) {
	if s.rows != nil {
		mux.Handle("GET /org/"+s.key, c.authenticated(func(w http.ResponseWriter, r *http.Request, v *viewer) error { return c.entityList(w, r, v, s) }))
	}
	mux.Handle("GET /org/"+s.key+"/new", c.authenticated(func(w http.ResponseWriter, r *http.Request, v *viewer) error {
		return c.entityForm(w, r, v, s, "", nil, nil)
	}))
	mux.Handle("POST /org/"+s.key+"/new", c.authenticated(func(w http.ResponseWriter, r *http.Request, v *viewer) error { return c.entitySave(w, r, v, s, "") }))
	mux.Handle("GET /org/"+s.key+"/{id}", c.authenticated(func(w http.ResponseWriter, r *http.Request, v *viewer) error {
		return c.entityForm(w, r, v, s, r.PathValue("id"), nil, nil)
	}))
	mux.Handle("POST /org/"+s.key+"/{id}", c.authenticated(func(w http.ResponseWriter, r *http.Request, v *viewer) error {
		return c.entitySave(w, r, v, s, r.PathValue("id"))
	}))
}

func (c *Console) entityList(w http.ResponseWriter, r *http.Request, v *viewer, s *entitySpec) error {
	if !c.requireHR(w, r, v) {
		return nil
	}
	org, err := c.store.Org(r.Context())
	if err != nil {
		return err
	}
	p := &page{Lang: v.Lang, Title: tr(v.Lang, "org_"+s.key), Nav: "org", Sub: s.key, V: v, Flash: orgFlash(r, v.Lang)}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	d := listData{Search: q, Action: s.list(), New: "/org/" + s.key + "/new", NewText: tr(v.Lang, "org_new_"+s.key)}
	for _, k := range s.columns {
		d.Columns = append(d.Columns, tr(v.Lang, k))
	}
	d.Rows, d.Pager = paginate(s.rows(p, org, q), r, pageSize)
	if s.key == "people" {
		// The list shows people's accounts and managers: audited as the
		// other pages that show someone's data.
		ids := make([]string, len(d.Rows))
		for i, row := range d.Rows {
			ids[i] = row.ID
		}
		if err := c.auditView(r.Context(), v, "console.viewed", "org:people", ids, map[string]any{"page": "org_people"}); err != nil {
			return err
		}
	}
	p.Data = d
	c.render(w, r, http.StatusOK, "orglist", p)
	return nil
}

// entityForm shows the form: of the stored entity, or of vals (a refused
// save, with its errors) when vals is set.
func (c *Console) entityForm(w http.ResponseWriter, r *http.Request, v *viewer, s *entitySpec, id string, vals url.Values, errs fieldErrors) error {
	if !c.requireHR(w, r, v) {
		return nil
	}
	org, err := c.store.Org(r.Context())
	if err != nil {
		return err
	}
	if vals == nil && id != "" {
		var ok bool
		if vals, ok = s.values(org, id); !ok {
			return core.Errorf(core.ENOTFOUND, "no %s %q", s.key, id)
		}
		if s.key == "people" {
			if err := c.auditView(r.Context(), v, "console.viewed", "org:person", []string{id}, map[string]any{"page": "org_person"}); err != nil {
				return err
			}
		}
	}
	if vals == nil {
		vals = url.Values{}
	}
	// The form carries the item as it showed it: the stored one's, or the
	// one a refused save was read against. A save refused because the
	// item changed meanwhile now shows the stored values, so it carries
	// theirs: pressing save again saves the input over what HR has seen.
	_, stale := errs[fingerprintField]
	fp := vals.Get(fingerprintField)
	if fp == "" || stale {
		fp = s.fingerprint(org, id)
	}
	if stale {
		errs = maps.Clone(errs)
		delete(errs, fingerprintField)
	}
	title := tr(v.Lang, "org_new_"+s.key)
	action := "/org/" + s.key + "/new"
	if id != "" {
		title = tr(v.Lang, "org_edit_"+s.key) + " " + id
		action = "/org/" + s.key + "/" + url.PathEscape(id)
	}
	if s == policySpec {
		title = tr(v.Lang, "org_policy") // one form, no list
	}
	p := &page{Lang: v.Lang, Title: title, Nav: "org", Sub: s.key, V: v, Flash: orgFlash(r, v.Lang)}
	d := formData{Action: action, Submit: tr(v.Lang, "save"), Back: s.list(), Fields: s.fields(p, org, vals, id == ""), Multipart: s.multipart}
	if s.key == "sites" {
		d.MapTiles = c.cfg.MapTileURL
		d.Mainland = mainlandRings
	}
	if s.key == "reminders" {
		d.Compose = true
		d.Preview = composePreviews(vals, p.Lang)
	}
	if id != "" && s.extra != nil {
		d.Extra = s.extra(p, org, id)
	}
	d.Fingerprint = fp
	if stale {
		d.Stale, d.Current = true, staleValues(p, s, org, id, vals)
	}
	d.withErrors(errs)
	p.Data = d
	status := http.StatusOK
	switch {
	case stale:
		status = http.StatusConflict
	case len(errs) > 0:
		status = http.StatusUnprocessableEntity
	}
	c.render(w, r, status, "orgform", p)
	return nil
}

// maxUpload caps an imported calendar file.
const maxUpload = 1 << 20

func (c *Console) entitySave(w http.ResponseWriter, r *http.Request, v *viewer, s *entitySpec, id string) error {
	var upload []byte
	if s.multipart && strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		r.Body = http.MaxBytesReader(w, r.Body, maxUpload+64<<10)
		if err := r.ParseMultipartForm(maxUpload); err != nil {
			return core.Errorf(core.EINVALID, "the form could not be read (a file larger than %d bytes?)", maxUpload)
		}
		if f, _, err := r.FormFile("import"); err == nil {
			upload, err = io.ReadAll(io.LimitReader(f, maxUpload))
			f.Close()
			if err != nil {
				return core.Errorf(core.EINVALID, "the file could not be read")
			}
		}
	}
	if !c.requireHR(w, r, v) {
		return nil
	}
	vals := r.PostForm
	if vals.Get("preview") != "" {
		// The no-JavaScript preview of a broadcast: show the form again.
		return c.entityForm(w, r, v, s, id, vals, nil)
	}
	var newID string
	res, err := c.applyEdit(r.Context(), v, orgEdit{Entity: s.entity, ID: entityID(id, vals), Apply: func(org *core.Org) (int, fieldErrors) {
		// Checked on every attempt, against the organisation the apply
		// names the version of: an edit or erasure landing after the
		// form was shown is not saved over (nor undone by redoing this).
		if sent := vals.Get(fingerprintField); sent != "" && id != "" {
			if now := s.fingerprint(*org, id); now != "" && now != sent {
				return 0, fieldErrors{fingerprintField: tr(v.Lang, "org_stale")}
			}
		}
		i, errs := s.apply(org, id, vals, upload, v.Lang)
		newID = entityID(id, vals)
		return i, errs
	}})
	if err != nil {
		return err
	}
	if len(res.Errs) > 0 {
		return c.entityForm(w, r, v, s, id, vals, res.Errs)
	}
	done := "saved"
	if len(res.Changed) == 0 {
		done = "unchanged"
	}
	if s.key == "reminders" && vals.Get("send_now") != "" {
		return c.sendNow(w, r, v, newID)
	}
	q := url.Values{"done": {done}, "id": {newID}, "n": {strconv.Itoa(len(res.Changed))}}
	http.Redirect(w, r, s.list()+"?"+q.Encode(), http.StatusSeeOther)
	return nil
}

// fingerprintField is the form's hidden input carrying the item's
// fingerprint. A form posted without one (a script, a form from before
// fingerprints) is saved as before.
const fingerprintField = "fingerprint"

// fingerprint is a hash of the item as its form shows it (its form
// values, which are what a save writes back); "" for a new item or one
// that is gone. Two HR people editing the same item: the later save finds
// the fingerprint changed and is refused instead of silently undoing the
// earlier one field by field.
func (s *entitySpec) fingerprint(org core.Org, id string) string {
	if id == "" {
		return ""
	}
	vals, ok := s.values(org, id)
	if !ok {
		return ""
	}
	sum := sha256.Sum256([]byte(s.key + "\n" + id + "\n" + vals.Encode())) // Encode sorts the keys
	return hex.EncodeToString(sum[:16])
}

// staleValues are the stored item's fields, as its form would show them,
// where they differ from the input kept in a refused form.
func staleValues(p *page, s *entitySpec, org core.Org, id string, input url.Values) []shownValue {
	cur, ok := s.values(org, id)
	if !ok {
		return nil
	}
	sent := map[string]string{}
	for _, f := range s.fields(p, org, input, false) {
		sent[f.Name] = shownAs(p, f)
	}
	var out []shownValue
	for _, f := range s.fields(p, org, cur, false) {
		if _, own := cur[f.Name]; !own || f.Type == "file" || f.Type == "hidden" {
			continue // not the item's (a calendar's import year)
		}
		now := shownAs(p, f)
		if now == sent[f.Name] {
			continue
		}
		if now == "" {
			now = p.T("org_stale_empty")
		}
		out = append(out, shownValue{Label: f.Label, Value: now})
	}
	return out
}

// shownAs is a field's value as HR reads it in the form.
func shownAs(p *page, f formField) string {
	switch f.Type {
	case "select":
		for _, o := range f.Options {
			if o.Value == f.Value {
				return o.Label
			}
		}
	case "checks":
		var on []string
		for _, o := range f.Options {
			if f.Checked(o.Value) {
				on = append(on, o.Label)
			}
		}
		return strings.Join(on, p.sep())
	case "checkbox":
		return yesNo(p, f.Value != "")
	}
	return strings.TrimSpace(strings.ReplaceAll(f.Value, "\r\n", "\n"))
}

// entityID is the edited entity's id: the path's, or the new one's from
// the form.
func entityID(id string, vals url.Values) string {
	if id != "" {
		return id
	}
	return strings.TrimSpace(vals.Get("id"))
}

// idField is the id input: editable for a new entity, fixed afterwards
// (the id is what other entities and the org file refer to).
func idField(p *page, vals url.Values, isNew bool, help string) formField {
	return formField{Name: "id", Label: p.T("id"), Type: "text", Value: vals.Get("id"), Required: true, ReadOnly: !isNew, Help: help}
}

// splitList reads a textarea or comma list: one item per line or comma,
// blanks dropped.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' || r == '，' || r == '\r' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// intField reads a whole number; blank is zero.
func intField(vals url.Values, name string, errs fieldErrors, lang string) int {
	s := strings.TrimSpace(vals.Get(name))
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		errs.add(name, tr(lang, "org_not_integer"))
	}
	return n
}
