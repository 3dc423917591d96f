package console

import (
	"net/http"
	"net/url"
	"strconv"
)

// The management pages share one form template and one list template:
// each entity describes its fields and columns, and the templates render
// them the same way (labels, errors next to the field, the submitted values
// kept when a save is refused).

// formField is one input of a management form.
type formField struct {
	Name, Label, Type string // Type: text, number, select, checks, textarea, checkbox, time, date, datetime-local, file
	Value             string
	Values            []string // the checked options of a checks field
	Options           []option
	Error, Help       string
	Placeholder, Step string
	Required          bool
	ReadOnly          bool
	Rows              int
}

// Checked reports whether a checks option is among the values.
func (f formField) Checked(v string) bool {
	for _, x := range f.Values {
		if x == v {
			return true
		}
	}
	return false
}

type option struct{ Value, Label string }

// formData is a management form.
type formData struct {
	Action, Submit string
	Back           string // the list to return to
	Errors         []string
	Fields         []formField
	Multipart      bool
	// Compose turns on the broadcast preview (the text, markdown and
	// audience fields drive it).
	Compose bool
	// MapTiles is the tile URL template of the site map picker; empty
	// shows plain coordinate fields.
	MapTiles string
	// Mainland is core.MainlandBoundary as JSON, for the picker's
	// GCJ-02 conversion.
	Mainland string
	// Fingerprint is the edited item's as the form shows it (hidden input
	// "fingerprint"): a save finding the item changed since is refused.
	Fingerprint string
	// Stale is set when a save was refused so: Current lists the stored
	// values where they differ from the input kept in the form.
	Stale   bool
	Current []shownValue
	// Extra are further POST buttons on the entity (deactivate, send now).
	Extra []formAction
	// Preview is a server-rendered broadcast preview (works without
	// JavaScript).
	Preview []platformPreview
}

// shownValue is a field's label and its value as the form shows it (an
// option's label, yes or no).
type shownValue struct{ Label, Value string }

type formAction struct {
	Action, Label, Confirm, Class string
}

// withErrors puts each field error next to its field; errors of no field
// (or of a field the form does not show) go above the form.
func (d *formData) withErrors(errs fieldErrors) {
	shown := map[string]bool{}
	for i := range d.Fields {
		if msg, ok := errs[d.Fields[i].Name]; ok {
			d.Fields[i].Error = msg
			shown[d.Fields[i].Name] = true
		}
	}
	if msg, ok := errs[""]; ok {
		d.Errors = append(d.Errors, msg)
	}
	for k, msg := range errs {
		if k != "" && !shown[k] {
			d.Errors = append(d.Errors, k+": "+msg)
		}
	}
}

// listData is a management list.
type listData struct {
	Columns []string
	Rows    []listRow
	Pager   pager
	New     string // the "add" link
	NewText string
	Search  string // the search box's current value; "-" hides the box
	Action  string
	Links   []option // further links above the list (download, import)
}

type listRow struct {
	ID, Href string
	Cells    []string
	Muted    bool // inactive people
}

// pageSize is the rows per page of every list.
const pageSize = 50

// pager is the position in a paginated list: the counts are shown and the
// links keep the other query parameters.
type pager struct {
	Page, Pages, Total, From, To int
	Prev, Next                   string
	Links                        []pageLink
}

type pageLink struct {
	N       int
	Href    string
	Current bool
}

// paginate cuts rows to the page the request asks for (?page=N, 1-based;
// out of range is clamped).
func paginate[T any](rows []T, r *http.Request, size int) ([]T, pager) {
	p := pager{Total: len(rows), Pages: (len(rows) + size - 1) / size}
	if p.Pages == 0 {
		p.Pages = 1
	}
	p.Page, _ = strconv.Atoi(r.URL.Query().Get("page"))
	p.Page = min(max(p.Page, 1), p.Pages)
	start := (p.Page - 1) * size
	end := min(start+size, len(rows))
	if len(rows) > 0 {
		p.From, p.To = start+1, end
	}
	href := func(n int) string {
		q := url.Values{}
		for k, v := range r.URL.Query() {
			q[k] = v
		}
		q.Set("page", strconv.Itoa(n))
		return r.URL.Path + "?" + q.Encode()
	}
	if p.Page > 1 {
		p.Prev = href(p.Page - 1)
	}
	if p.Page < p.Pages {
		p.Next = href(p.Page + 1)
	}
	if p.Pages > 1 {
		for n := 1; n <= p.Pages; n++ {
			// The first, the last and the neighbours of the current page.
			if n == 1 || n == p.Pages || (n >= p.Page-2 && n <= p.Page+2) {
				p.Links = append(p.Links, pageLink{N: n, Href: href(n), Current: n == p.Page})
			}
		}
	}
	return rows[start:end], p
}
