package console

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

//go:embed templates/*.html assets/*
var files embed.FS

// pageNames are the page templates; each is parsed with the layout once.
var pageNames = []string{"login", "auth", "error", "today", "plot", "exceptions", "makeups", "reports", "reminders", "audit", "person", "orgform", "orglist", "orgapply", "devices", "passkey"}

// templates holds every page parsed with the layout. It is built once from
// embedded files and never changes, so sharing it is safe.
var templates = func() map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		t := template.New("layout.html").Funcs(funcs)
		out[name] = template.Must(t.ParseFS(files, "templates/layout.html", "templates/"+name+".html"))
	}
	return out
}()

// page is what every template renders.
type page struct {
	Page    string // the template's name, on <body data-page> for scripts and tests
	Lang    string
	Title   string
	Nav     string
	Sub     string  // the management section, for its sub-navigation
	V       *viewer // nil before sign-in
	Nonce   string
	Refresh int // seconds; a meta refresh works without JavaScript
	Flash   string
	Data    any
	// Sites names sites in tables and rejection reasons; pages that show
	// punches fill it.
	Sites map[string]core.Site
	// Problems are the platforms' set-up problems, shown to HR as banners
	// on every page (render fills it).
	Problems []core.ConfigProblem
}

// T translates a catalogue key in the page's language.
func (p *page) T(key string) string { return tr(p.Lang, key) }

// ReminderKind names a reminder kind in the reader's language (上班提醒,
// clock-in reminder), or gives the kind as written when it has no name.
func (p *page) ReminderKind(kind string) string {
	if name := tr(p.Lang, "rk_"+kind); name != "rk_"+kind {
		return name
	}
	return kind
}

// Tf translates a key and formats it with args.
func (p *page) Tf(key string, args ...any) string { return fmt.Sprintf(tr(p.Lang, key), args...) }

// RoleText names the viewer's role.
func (p *page) RoleText() string {
	switch {
	case p.V == nil:
		return ""
	case p.V.Admin:
		return p.T("role_admin")
	}
	return p.T("role_" + string(p.V.Emp.Role))
}

// Name shows an employee's name, or a placeholder for an erased one.
func (p *page) Name(id string) string {
	if p.V == nil {
		return id
	}
	if e, ok := p.V.Everyone[id]; ok {
		if e.Name == core.ErasedName {
			return p.T("erased_name")
		}
		return e.Name
	}
	return id
}

// Status names day statuses in the page's language.
func (p *page) Status(sts []core.DayStatus) string {
	words := make([]string, len(sts))
	for i, st := range sts {
		words[i] = bots.DayStatusWord(st, p.Lang)
	}
	return strings.Join(words, p.sep())
}

func (p *page) sep() string {
	if p.Lang == "en" {
		return ", "
	}
	return "、"
}

// Flags names punch flags.
func (p *page) Flags(flags []string) string {
	if n := bots.FlagNotes(flags, p.Lang); n != "" {
		return n
	}
	return strings.Join(flags, ", ")
}

// Reasons names rejection reasons as the chat reply would.
func (p *page) Reasons(pu core.Punch) string {
	if len(pu.Reasons) == 0 {
		return ""
	}
	site := p.Sites[pu.SiteID]
	r := core.Reply{Reasons: pu.Reasons, Flags: pu.Flags, DistanceM: pu.DistanceM, SiteName: p.SiteName(pu.SiteID), RadiusM: site.RadiusM, AccuracyM: pu.AccuracyM}
	if pu.LocationReduced() {
		r.DistanceM = 0 // the exact distance is gone; the band is shown beside it
	}
	return bots.RejectReason(r, p.Lang)
}

// SiteName names a site by id.
func (p *page) SiteName(id string) string {
	if s, ok := p.Sites[id]; ok && s.Name != "" {
		return s.Name
	}
	return id
}

// Kind names a punch direction.
func (p *page) Kind(k core.PunchKind) string {
	if k == core.KindOut {
		return p.T("out")
	}
	return p.T("in")
}

// Outcome names a punch outcome.
func (p *page) Outcome(o core.Outcome) string {
	switch o {
	case core.OutcomeAccepted:
		return p.T("legend_ok")
	case core.OutcomeField:
		return p.T("legend_field")
	case core.OutcomeRejected:
		return p.T("legend_rejected")
	}
	return string(o)
}

// MakeupStatus names a make-up state.
func (p *page) MakeupStatus(s core.MakeupStatus) string { return p.T("mk_" + string(s)) }

var funcs = template.FuncMap{
	"clock": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.Format("15:04")
	},
	"stamp": func(t time.Time, loc *time.Location) string {
		if t.IsZero() {
			return ""
		}
		if loc == nil {
			loc = time.UTC
		}
		return t.In(loc).Format("2006-01-02 15:04")
	},
	"metres": bots.Distance,
	"band":   core.DistanceBand,
	"join":   strings.Join,
	"list":   func(s ...string) []string { return s },
	// prettyJSON indents an audit detail so it wraps at its commas on a
	// phone rather than character by character.
	"prettyJSON": func(s string) string {
		var v any
		if json.Unmarshal([]byte(s), &v) != nil {
			return s
		}
		out, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return s
		}
		return string(out)
	},
}

// securityHeaders lock pages down: own styles only, scripts only with this
// response's nonce, no framing, and no Referer to other sites (a sign-in
// link is a credential). Same-origin requests keep theirs, because with
// no-referrer browsers send "Origin: null" and the POST origin check could
// not tell our forms from a sandboxed attacker.
func securityHeaders(h http.Header, nonce string, imgOrigins ...string) {
	img := strings.Join(append([]string{"'self'", "data:"}, imgOrigins...), " ")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src "+img+"; script-src 'nonce-"+nonce+"'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
}

// render writes a page; it renders into a buffer first so a template
// failure becomes an error page, not half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	nonce, err := c.random(16)
	if err != nil {
		http.Error(w, "no randomness", http.StatusInternalServerError)
		return
	}
	p.Nonce, p.Page = nonce, name
	if c.problems != nil && p.V != nil && p.V.HR() {
		// Only HR can fix a platform's set-up (or knows who can); managers
		// and employees are not shown it.
		p.Problems = c.problems.Problems()
	}
	var buf bytes.Buffer
	if err := templates[name].ExecuteTemplate(&buf, "layout.html", p); err != nil {
		c.log.Error("console: render failed", "page", name, "err", err)
		http.Error(w, "render failed", http.StatusInternalServerError)
		return
	}
	var tiles []string
	if d, ok := p.Data.(formData); ok && d.MapTiles != "" {
		// The site form's map loads its tiles, and only that page may.
		if u, err := url.Parse(d.MapTiles); err == nil && u.Host != "" {
			tiles = append(tiles, u.Scheme+"://"+u.Host)
		}
	}
	securityHeaders(w.Header(), nonce, tiles...)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

type errorData struct {
	Message string
	Status  int
	// Back returns to the page the request came from (same origin only),
	// where the browser still has what was typed; "/" otherwise.
	Back string
}

// backTo is the same-origin page a request came from, or "/".
func backTo(r *http.Request) string {
	u, err := url.Parse(r.Referer())
	if err != nil || u.Host != r.Host || (u.Scheme != "http" && u.Scheme != "https") {
		return "/"
	}
	return safeNext(u.RequestURI())
}

// errorPage shows a catalogue message with a status.
func (c *Console) errorPage(w http.ResponseWriter, r *http.Request, status int, lang, key string) {
	c.render(w, r, status, "error", &page{Lang: lang, Title: tr(lang, "err_title"), Data: errorData{Message: tr(lang, key), Status: status, Back: backTo(r)}})
}

// fail answers a handler error by its code; anything uncoded is logged and
// shown as a generic error so internals never reach the page.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, lang string, err error) {
	switch core.ErrorCode(err) {
	case core.EINVALID:
		msg := core.ErrorMessage(err)
		var bp badParam
		if errors.As(err, &bp) {
			msg = fmt.Sprintf(tr(lang, bp.key), bp.value)
		}
		c.render(w, r, http.StatusBadRequest, "error", &page{Lang: lang, Title: tr(lang, "err_title"),
			Data: errorData{Message: tr(lang, "bad_request") + msg, Status: http.StatusBadRequest, Back: backTo(r)}})
	case core.EFORBIDDEN:
		c.errorPage(w, r, http.StatusForbidden, lang, "forbidden")
	case core.ENOTFOUND:
		c.errorPage(w, r, http.StatusNotFound, lang, "not_found")
	default:
		c.log.Error("console request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		c.errorPage(w, r, http.StatusInternalServerError, lang, "error")
	}
}

// serveAsset serves the embedded stylesheet and icon.
func (c *Console) serveAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	data, err := fs.ReadFile(files, "assets/"+name)
	if err != nil || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	switch {
	case strings.HasSuffix(name, ".css"):
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case strings.HasSuffix(name, ".svg"):
		w.Header().Set("Content-Type", "image/svg+xml")
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(data)
}
