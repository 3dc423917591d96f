// Package playground is the demo's chat playground: a page at /playground
// where a visitor plays any person of the organisation on WeCom, Feishu or
// Slack. Every message typed, location shared and button pressed goes to
// the platform simulators (bots/playground/sim), which send the real,
// signed callbacks to the bots; what the bots send back through the real
// API calls appears in the person's pane, drawn like that platform.
//
// The page lets anyone act as anyone, so it is mounted only by `punchbot
// demo` or when PUNCHBOT_PLAYGROUND=1 says so explicitly.
package playground

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/punchbot/punchbot/bots/playground/sim"
	"github.com/punchbot/punchbot/core"
)

//go:embed assets/page.html
var assets embed.FS

// Pane is a conversation the page opens at first.
type Pane struct {
	Employee string        `json:"employee"`
	Platform core.Platform `json:"platform"`
}

// Deps are the playground's collaborators.
type Deps struct {
	// Org is the organisation whose people and sites the page offers.
	Org  func(ctx context.Context) (core.Org, error)
	Sims *sim.Platforms
	// Panes open when the page loads.
	Panes []Pane
	Log   *slog.Logger
}

// Playground serves the page and its JSON API.
type Playground struct {
	deps Deps
	page []byte
}

// New returns the playground.
func New(d Deps) *Playground {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	page, _ := assets.ReadFile("assets/page.html")
	return &Playground{deps: d, page: page}
}

// Register mounts /playground and /playground/api/….
func (p *Playground) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /playground", p.servePage)
	mux.HandleFunc("GET /playground/api/org", p.serveOrg)
	mux.HandleFunc("GET /playground/api/state", p.serveState)
	mux.HandleFunc("POST /playground/api/say", p.serveSay)
	mux.HandleFunc("POST /playground/api/share", p.serveShare)
	mux.HandleFunc("POST /playground/api/press", p.servePress)
}

func (p *Playground) servePage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// Everything is inline and nothing external loads: the page works
	// offline, and the policy says so.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; frame-ancestors 'none'")
	_, _ = w.Write(p.page)
}

// person is one employee as the page shows them.
type person struct {
	ID         string                   `json:"id"`
	Name       string                   `json:"name"`
	Department string                   `json:"department,omitempty"`
	Role       core.Role                `json:"role"`
	Lang       string                   `json:"lang,omitempty"`
	Accounts   map[core.Platform]string `json:"accounts"` // platform → user id
	Sites      []string                 `json:"sites,omitempty"`
}

type site struct {
	ID      string  `json:"id"`
	Name    string  `json:"name"`
	Lat     float64 `json:"lat"` // WGS-84
	Lng     float64 `json:"lng"`
	RadiusM float64 `json:"radius_m"`
}

func (p *Playground) serveOrg(w http.ResponseWriter, r *http.Request) {
	org, err := p.deps.Org(r.Context())
	if err != nil {
		p.fail(w, err)
		return
	}
	out := struct {
		Name   string   `json:"name"`
		People []person `json:"people"`
		Sites  []site   `json:"sites"`
		Panes  []Pane   `json:"panes"`
	}{Name: org.Name, Panes: p.deps.Panes}
	for _, e := range org.Employees {
		if !e.Active {
			continue
		}
		pe := person{ID: e.ID, Name: e.Name, Department: e.Department, Role: e.Role, Lang: e.Lang, Accounts: map[core.Platform]string{}, Sites: e.SiteIDs}
		for _, id := range e.Identities {
			if p.deps.Sims.Chat(id.Platform) != nil && pe.Accounts[id.Platform] == "" {
				pe.Accounts[id.Platform] = id.UserID
			}
		}
		out.People = append(out.People, pe)
	}
	for _, s := range org.Sites {
		out.Sites = append(out.Sites, site{ID: s.ID, Name: s.Name, Lat: s.Lat, Lng: s.Lng, RadiusM: s.RadiusM})
	}
	writeJSON(w, http.StatusOK, out)
}

// serveState long-polls: it answers once anything changed since the
// version the page has, or after 20 s, with every conversation asked for
// (c=platform:user, repeated) and the rules the bots broke.
func (p *Playground) serveState(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var since int64 = -1
	if v := q.Get("since"); v != "" {
		if err := json.Unmarshal([]byte(v), &since); err != nil {
			p.fail(w, core.Errorf(core.EINVALID, "since %q is not a number", v))
			return
		}
	}
	hub := p.deps.Sims.Hub
	version := hub.Wait(r.Context(), since, 20*time.Second)
	out := struct {
		Version    int64                  `json:"version"`
		Chats      map[string][]sim.Entry `json:"chats"`
		Violations []sim.Violation        `json:"violations"`
	}{Version: version, Chats: map[string][]sim.Entry{}, Violations: hub.Violations()}
	for _, c := range q["c"] {
		platform, user, ok := strings.Cut(c, ":")
		if !ok {
			continue
		}
		out.Chats[c] = hub.Conversation(core.Platform(platform), user)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

// action is the body of say, share and press.
type action struct {
	Platform core.Platform `json:"platform"`
	User     string        `json:"user"`
	Text     string        `json:"text"`
	Lat      float64       `json:"lat"`
	Lng      float64       `json:"lng"`
	Datum    core.Datum    `json:"datum"`
	Label    string        `json:"label"`
	ID       string        `json:"id"`
	Index    int           `json:"index"`
	// Selected makes a press the submit of a card's drop-downs: question
	// key → the option id chosen.
	Selected map[string]string `json:"selected"`
	// Form makes a press the submit of a Feishu card's form container:
	// input name → the value typed or picked.
	Form map[string]string `json:"form"`
}

// read decodes an action and finds the simulator and the account it names;
// only accounts of the organisation can act.
func (p *Playground) read(w http.ResponseWriter, r *http.Request) (action, sim.Person, bool) {
	var a action
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&a); err != nil {
		p.fail(w, core.Errorf(core.EINVALID, "the body is not the JSON of an action: %v", err))
		return a, nil, false
	}
	chat := p.deps.Sims.Chat(a.Platform)
	if chat == nil {
		p.fail(w, core.Errorf(core.EINVALID, "platform %q is not simulated", a.Platform))
		return a, nil, false
	}
	org, err := p.deps.Org(r.Context())
	if err != nil {
		p.fail(w, err)
		return a, nil, false
	}
	for _, e := range org.Employees {
		for _, id := range e.Identities {
			if id.Platform == a.Platform && id.UserID == a.User && e.Active {
				return a, chat, true
			}
		}
	}
	p.fail(w, core.Errorf(core.ENOTFOUND, "no active employee has the %s account %q", a.Platform, a.User))
	return a, nil, false
}

// consoleWords are typed as 管理 / admin: the console sign-in link is the
// bot's answer to those.
var consoleWords = map[string]string{"控制台": "管理", "console": "admin", "登录控制台": "管理", "sign in": "admin"}

func (p *Playground) serveSay(w http.ResponseWriter, r *http.Request) {
	a, chat, ok := p.read(w, r)
	if !ok {
		return
	}
	text := strings.TrimSpace(a.Text)
	if alias, ok := consoleWords[strings.ToLower(text)]; ok {
		text = alias
	}
	if text == "" && a.Platform != core.PlatformSlack {
		p.fail(w, core.Errorf(core.EINVALID, "type something to send"))
		return
	}
	p.done(w, chat.Say(p.ctx(r), a.User, text), "")
}

func (p *Playground) serveShare(w http.ResponseWriter, r *http.Request) {
	a, chat, ok := p.read(w, r)
	if !ok {
		return
	}
	if math.IsNaN(a.Lat) || math.Abs(a.Lat) > 90 || math.IsNaN(a.Lng) || math.Abs(a.Lng) > 180 || (a.Lat == 0 && a.Lng == 0) {
		p.fail(w, core.Errorf(core.EINVALID, "%v, %v is not a position", a.Lat, a.Lng))
		return
	}
	if a.Datum != core.GCJ02 {
		a.Datum = core.WGS84
	}
	p.done(w, chat.Share(p.ctx(r), a.User, sim.Location{Lat: a.Lat, Lng: a.Lng, Datum: a.Datum, Label: a.Label, AccuracyM: 15}), "")
}

func (p *Playground) servePress(w http.ResponseWriter, r *http.Request) {
	a, chat, ok := p.read(w, r)
	if !ok {
		return
	}
	if a.Form != nil {
		form, ok := chat.(sim.FormFiller)
		if !ok {
			p.fail(w, core.Errorf(core.EINVALID, "cards on %s have no form to submit", a.Platform))
			return
		}
		p.done(w, form.SubmitForm(p.ctx(r), a.User, a.ID, a.Form), "")
		return
	}
	if a.Selected != nil {
		form, ok := chat.(sim.FormSubmitter)
		if !ok {
			p.fail(w, core.Errorf(core.EINVALID, "cards on %s have no drop-downs to submit", a.Platform))
			return
		}
		p.done(w, form.Submit(p.ctx(r), a.User, a.ID, a.Selected), "")
		return
	}
	url, err := chat.Press(p.ctx(r), a.User, a.ID, a.Index)
	p.done(w, err, url)
}

// ctx bounds a simulated exchange: the platforms give up on a callback
// after a few seconds too.
func (p *Playground) ctx(r *http.Request) context.Context {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 10*time.Second)
	context.AfterFunc(ctx, cancel)
	return ctx
}

func (p *Playground) done(w http.ResponseWriter, err error, url string) {
	if err != nil {
		p.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "url": url})
}

func (p *Playground) fail(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	switch core.ErrorCode(err) {
	case core.EINVALID:
		status = http.StatusBadRequest
	case core.ENOTFOUND:
		status = http.StatusNotFound
	case core.ECONFLICT:
		status = http.StatusConflict
	case core.EUNAVAILABLE:
		status = http.StatusBadGateway
	}
	msg := err.Error()
	if errors.As(err, new(*core.Error)) {
		msg = core.ErrorMessage(err)
	}
	if status >= 500 {
		p.deps.Log.Warn("playground action failed", "err", err)
	}
	writeJSON(w, status, map[string]any{"ok": false, "error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
