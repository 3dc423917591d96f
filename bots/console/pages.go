package console

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

// Register mounts the console on mux: the pages at "/" and below, the
// sign-in endpoints and the embedded assets.
func (c *Console) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /login", c.loginPage)
	mux.HandleFunc("POST /login", c.login)
	mux.HandleFunc("GET /auth/{token}", c.authPage)
	mux.HandleFunc("POST /auth/{token}", c.redeem)
	mux.HandleFunc("GET /assets/{name}", c.serveAsset)
	mux.Handle("POST /logout", c.authenticated(c.logout))
	mux.Handle("GET /{$}", c.authenticated(c.today))
	mux.Handle("GET /plot", c.authenticated(c.plot))
	mux.Handle("GET /exceptions", c.authenticated(c.exceptions))
	mux.Handle("POST /exceptions/makeup", c.authenticated(c.recordMakeup))
	mux.Handle("GET /makeups", c.authenticated(c.makeupList))
	mux.Handle("POST /makeups/{id}/decide", c.authenticated(c.decide))
	mux.Handle("POST /makeups/batch", c.authenticated(c.batchDecide)) // approvals_batch.go
	mux.Handle("GET /reports", c.authenticated(c.reports))
	mux.Handle("GET /reports/download", c.authenticated(c.download))
	mux.Handle("GET /reminders", c.authenticated(c.reminderList))
	mux.Handle("POST /reminders/{id}/preview", c.authenticated(c.previewReminder))
	mux.Handle("POST /reminders/{id}/run", c.authenticated(c.runReminder))
	mux.Handle("GET /reminders/{id}/firings/{firing}", c.authenticated(c.firingPage))
	mux.Handle("POST /reminders/{id}/firings/{firing}/retry", c.authenticated(c.retryFiring))
	mux.Handle("GET /audit", c.authenticated(c.auditLog))
	mux.Handle("GET /me", c.authenticated(c.me))
	mux.Handle("GET /me/export", c.authenticated(c.meExport))
	mux.Handle("GET /people/{id}", c.authenticated(c.person))
	mux.Handle("GET /people/{id}/export", c.authenticated(c.personExport))
	mux.Handle("POST /people/{id}/erase", c.authenticated(c.erase))
	for _, s := range []*entitySpec{peopleSpec, sitesSpec, schedulesSpec, calendarsSpec, policySpec, remindersSpec} {
		c.registerEntity(mux, s)
	}
	mux.Handle("GET /org/{$}", c.authenticated(func(w http.ResponseWriter, r *http.Request, v *viewer) error {
		http.Redirect(w, r, "/org/people", http.StatusSeeOther)
		return nil
	}))
	mux.Handle("GET /org/policy", c.authenticated(c.policyPage))
	mux.Handle("POST /org/people/{id}/active", c.authenticated(c.togglePerson))
	mux.Handle("GET /org/export.yaml", c.authenticated(c.orgExport))
	mux.Handle("GET /org/apply", c.authenticated(c.orgApplyForm))
	mux.Handle("POST /org/apply", c.authenticated(c.orgApplyReview))
	c.registerDevices(mux) // devices.go
}

func (c *Console) today0() string { return c.now().In(c.cfg.Zone).Format(core.DateLayout) }

// dateParam reads a YYYY-MM-DD query value, defaulting to def.
func dateParam(q url.Values, name, def string) (string, error) {
	s := strings.TrimSpace(q.Get(name))
	if s == "" {
		return def, nil
	}
	if _, err := time.Parse(core.DateLayout, s); err != nil {
		return "", core.WrapError(core.EINVALID, badParam{key: "bad_date", value: s}, "%s %q is not a date like 2026-11-26", name, s)
	}
	return s, nil
}

// monthParam reads a YYYY-MM query parameter, def when absent.
func monthParam(q url.Values, name, def string) (string, error) {
	s := strings.TrimSpace(q.Get(name))
	if s == "" {
		return def, nil
	}
	if _, err := time.Parse(core.MonthLayout, s); err != nil {
		return "", core.WrapError(core.EINVALID, badParam{key: "bad_month", value: s}, "%s %q is not a month like 2026-11", name, s)
	}
	return s, nil
}

// badParam is a date, month or request type the console cannot read. fail shows it
// in the reader's language (the texts named by key), where the core's
// English message showed through "请求无效：" before: a browser without a
// month picker (Firefox, desktop Safari) lets anyone type "2026/11".
type badParam struct {
	key   string // bad_date, bad_month or bad_type
	value string
}

func (e badParam) Error() string { return e.key + ": " + e.value }

func addDays(date string, n int) string {
	d, _ := time.Parse(core.DateLayout, date)
	return d.AddDate(0, 0, n).Format(core.DateLayout)
}

// zoneOf returns an employee's zone, resolving each name once per request.
func zoneOf(v *viewer) func(string) *time.Location {
	cache := map[string]*time.Location{}
	return func(id string) *time.Location {
		e := v.Everyone[id]
		loc, ok := cache[e.TimeZone]
		if !ok {
			loc = e.Location()
			cache[e.TimeZone] = loc
		}
		return loc
	}
}

func rowIDs[T any](rows []T, id func(T) string) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range rows {
		if k := id(r); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

func dailyID(r core.DailyRow) string { return r.EmployeeID }

// scopeIDs lists the employees a viewer may pick, in id order.
func scopeIDs(v *viewer) []string {
	var out []string
	for id := range v.Everyone {
		if v.Scope.Allows(id) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// flash turns the query a POST redirected with into a message.
func flash(r *http.Request, lang string) string {
	q := r.URL.Query()
	id := q.Get("id")
	switch q.Get("done") {
	case "approved":
		return strings.Replace(tr(lang, "mk_done_approved"), "%s", id, 1)
	case "rejected":
		return strings.Replace(tr(lang, "mk_done_rejected"), "%s", id, 1)
	case "revoked":
		return strings.Replace(tr(lang, "mk_done_revoked"), "%s", id, 1)
	case "conflict":
		return strings.Replace(tr(lang, "mk_conflict"), "%s", id, 1)
	case "filed":
		msg := tr(lang, "mk_filed")
		for _, a := range []string{q.Get("who"), q.Get("date"), id} {
			msg = strings.Replace(msg, "%s", a, 1)
		}
		return msg
	case "erased":
		punches, _ := strconv.Atoi(q.Get("punches"))
		accounts, _ := strconv.Atoi(q.Get("accounts"))
		msg := strings.Replace(tr(lang, "erased"), "%s", id, 1)
		msg = strings.Replace(msg, "%d", strconv.Itoa(punches), 1)
		return strings.Replace(msg, "%d", strconv.Itoa(accounts), 1)
	}
	return ""
}
