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

	"github.com/punchbot/punchbot/bots/admin"
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
	mux.Handle("GET /reports", c.authenticated(c.reports))
	mux.Handle("GET /reports/download", c.authenticated(c.download))
	mux.Handle("GET /reminders", c.authenticated(c.reminderList))
	mux.Handle("POST /reminders/{id}/preview", c.authenticated(c.previewReminder))
	mux.Handle("POST /reminders/{id}/run", c.authenticated(c.runReminder))
	mux.Handle("GET /audit", c.authenticated(c.auditLog))
	mux.Handle("GET /me", c.authenticated(c.me))
	mux.Handle("GET /me/export", c.authenticated(c.meExport))
	mux.Handle("GET /people/{id}", c.authenticated(c.person))
	mux.Handle("GET /people/{id}/export", c.authenticated(c.personExport))
	mux.Handle("POST /people/{id}/erase", c.authenticated(c.erase))
}

// maxRows caps a table on a page; the downloads have everything.
const maxRows = 500

func (c *Console) today0() string { return c.now().In(c.cfg.Zone).Format(core.DateLayout) }

// dateParam reads a YYYY-MM-DD query value, defaulting to def.
func dateParam(q url.Values, name, def string) (string, error) {
	s := strings.TrimSpace(q.Get(name))
	if s == "" {
		return def, nil
	}
	if _, err := time.Parse(core.DateLayout, s); err != nil {
		return "", core.Errorf(core.EINVALID, "%s %q is not a date like 2026-11-26", name, s)
	}
	return s, nil
}

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

// Today.

type count struct {
	Key   string
	N     int
	Href  string
	Class string
}

type todayData struct {
	Date      string
	Updated   time.Time
	Zone      *time.Location
	Counts    []count
	Rows      []core.DailyRow
	Total     int
	Truncated bool
	Show, Q   string
	Dept      string
	Depts     []string
}

// todayGroups classify a day row for the counters and the filter.
var todayGroups = []struct {
	key string
	in  func(r core.DailyRow) bool
}{
	{"c_in", func(r core.DailyRow) bool { return !r.FirstIn.IsZero() }},
	{"c_late", func(r core.DailyRow) bool {
		return r.Has(core.DayLate) || r.Has(core.DaySeriousLate) || (r.Has(core.DayAbsent) && !r.FirstIn.IsZero())
	}},
	{"c_notin", func(r core.DailyRow) bool { return r.Workday && r.FirstIn.IsZero() }},
	{"c_field", func(r core.DailyRow) bool { return r.Field }},
	{"c_out", func(r core.DailyRow) bool { return !r.LastOut.IsZero() }},
	{"c_off", func(r core.DailyRow) bool { return !r.Workday }},
}

func (c *Console) today(w http.ResponseWriter, r *http.Request, v *viewer) error {
	now := c.now()
	date := c.today0()
	rep, err := core.BuildDailyReport(r.Context(), c.store, date, date, v.Scope, now)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	d := todayData{Date: date, Updated: now, Zone: c.cfg.Zone, Show: q.Get("show"), Q: strings.TrimSpace(q.Get("q")), Dept: q.Get("dept")}
	depts := map[string]bool{}
	for _, row := range rep.Rows {
		if row.Department != "" {
			depts[row.Department] = true
		}
	}
	for dep := range depts {
		d.Depts = append(d.Depts, dep)
	}
	slices.Sort(d.Depts)
	var show func(core.DailyRow) bool
	for _, g := range todayGroups {
		n := 0
		for _, row := range rep.Rows {
			if g.in(row) {
				n++
			}
		}
		k := count{Key: g.key, N: n, Href: "/?show=" + g.key}
		if d.Show == g.key {
			show, k.Class = g.in, "active"
		}
		d.Counts = append(d.Counts, k)
	}
	needle := strings.ToLower(d.Q)
	for _, row := range rep.Rows {
		if (show != nil && !show(row)) || (d.Dept != "" && row.Department != d.Dept) ||
			(needle != "" && !strings.Contains(strings.ToLower(row.Name), needle) && !strings.Contains(strings.ToLower(row.EmployeeID), needle)) {
			continue
		}
		d.Total++
		if len(d.Rows) < maxRows {
			d.Rows = append(d.Rows, row)
		}
	}
	d.Truncated = d.Total > len(d.Rows)
	if err := c.auditView(r.Context(), v, "console.viewed", "today:"+date, rowIDs(rep.Rows, dailyID), map[string]any{"page": "today"}); err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "today", &page{Lang: v.Lang, Title: tr(v.Lang, "today_title"), Nav: "today", V: v, Refresh: 60, Data: d})
	return nil
}

// Plot.

type plotData struct {
	Date      string
	Panels    []plotPanel
	Punches   []core.Punch
	Truncated bool
	Retention int
	Zone      func(string) *time.Location
}

func (c *Console) plot(w http.ResponseWriter, r *http.Request, v *viewer) error {
	date, err := dateParam(r.URL.Query(), "date", c.today0())
	if err != nil {
		return err
	}
	rosters, err := c.store.Rosters(r.Context())
	if err != nil {
		return err
	}
	var sites []core.Site
	seen := map[string]bool{}
	for _, ro := range rosters {
		if !v.Scope.Allows(ro.Employee.ID) {
			continue
		}
		for _, s := range ro.Sites {
			if !seen[s.ID] {
				seen[s.ID] = true
				sites = append(sites, s)
			}
		}
	}
	slices.SortFunc(sites, func(a, b core.Site) int { return strings.Compare(a.ID, b.ID) })
	var punches []core.Punch
	err = c.store.ScanShiftPunches(r.Context(), core.ShiftRange{From: date, To: date, EmployeeIDs: v.Scope.Sorted()}, func(p core.Punch) error {
		if v.Scope.Allows(p.EmployeeID) {
			punches = append(punches, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortStableFunc(punches, func(a, b core.Punch) int { return a.At.Compare(b.At) })
	zones := zoneOf(v)
	p := &page{Lang: v.Lang, Title: tr(v.Lang, "plot_title"), Nav: "plot", V: v, Sites: siteMap(rosters)}
	d := plotData{Date: date, Retention: c.cfg.RetentionDays, Zone: zones}
	d.Panels = buildPanels(sites, punches, p.Name, v.Lang, zones)
	d.Punches = punches
	if len(d.Punches) > maxRows {
		d.Punches, d.Truncated = d.Punches[:maxRows], true
	}
	p.Data = d
	ids := rowIDs(punches, func(p core.Punch) string { return p.EmployeeID })
	if err := c.auditView(r.Context(), v, "console.viewed", "plot:"+date, ids, map[string]any{"page": "plot"}); err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "plot", p)
	return nil
}

// siteMap indexes every roster's sites by id.
func siteMap(rosters []core.Roster) map[string]core.Site {
	out := map[string]core.Site{}
	for _, r := range rosters {
		for _, s := range r.Sites {
			out[s.ID] = s
		}
	}
	return out
}

// sites loads the site index for a page that shows punches.
func (c *Console) sites(ctx context.Context) (map[string]core.Site, error) {
	rosters, err := c.store.Rosters(ctx)
	if err != nil {
		return nil, err
	}
	return siteMap(rosters), nil
}

// Exceptions.

type exception struct {
	Date       string
	EmployeeID string
	Kind       string // k_missing, k_late, k_early, k_rejected, k_flagged
	Day        *core.DailyRow
	Punch      *core.Punch
	// Missing is the direction a make-up could fill ("" when none can).
	Missing core.PunchKind
}

type exceptionData struct {
	From, To   string
	Kind       string
	Employee   string
	Kinds      []string
	Items      []exception
	Total      int
	Truncated  bool
	CanResolve bool
	People     []core.Employee
	ZoneOf     func(string) *time.Location
}

var exceptionKinds = []string{"k_all", "k_missing", "k_late", "k_early", "k_rejected", "k_flagged"}

// maxExceptionDays bounds the exceptions page's range; reports cover more.
const maxExceptionDays = 62

func (c *Console) exceptions(w http.ResponseWriter, r *http.Request, v *viewer) error {
	q := r.URL.Query()
	today := c.today0()
	to, err := dateParam(q, "to", today)
	if err != nil {
		return err
	}
	from, err := dateParam(q, "from", addDays(to, -6))
	if err != nil {
		return err
	}
	dates, err := core.Dates(from, to)
	if err != nil {
		return err
	}
	if len(dates) > maxExceptionDays {
		return core.Errorf(core.EINVALID, "pick at most %d days", maxExceptionDays)
	}
	kind := q.Get("kind")
	if !slices.Contains(exceptionKinds, kind) {
		kind = "k_all"
	}
	scope := v.Scope
	emp := strings.TrimSpace(q.Get("employee"))
	if emp != "" {
		if !v.Scope.Allows(emp) {
			return core.Errorf(core.EFORBIDDEN, "employee %s is not in your scope", emp)
		}
		scope = core.ScopeOf(emp)
	}
	rep, err := core.BuildDailyReport(r.Context(), c.store, from, to, scope, c.now())
	if err != nil {
		return err
	}
	want := func(k string) bool { return kind == "k_all" || kind == k }
	var items []exception
	for i := range rep.Rows {
		row := &rep.Rows[i]
		switch {
		case row.Has(core.DayMissingIn) || row.Has(core.DayMissingOut) || row.Has(core.DayAbsent):
			if want("k_missing") {
				e := exception{Date: row.Date, EmployeeID: row.EmployeeID, Kind: "k_missing", Day: row}
				switch {
				case row.Has(core.DayMissingIn) || (row.Has(core.DayAbsent) && row.FirstIn.IsZero()):
					e.Missing = core.KindIn
				case row.Has(core.DayMissingOut):
					e.Missing = core.KindOut
				}
				items = append(items, e)
			}
		}
		if (row.Has(core.DayLate) || row.Has(core.DaySeriousLate)) && want("k_late") {
			items = append(items, exception{Date: row.Date, EmployeeID: row.EmployeeID, Kind: "k_late", Day: row})
		}
		if row.Has(core.DayEarlyLeave) && want("k_early") {
			items = append(items, exception{Date: row.Date, EmployeeID: row.EmployeeID, Kind: "k_early", Day: row})
		}
	}
	if want("k_rejected") || want("k_flagged") {
		err = c.store.ScanShiftPunches(r.Context(), core.ShiftRange{From: from, To: to, EmployeeIDs: scope.Sorted()}, func(p core.Punch) error {
			if !scope.Allows(p.EmployeeID) {
				return nil
			}
			switch {
			case p.Outcome == core.OutcomeRejected && want("k_rejected"):
				items = append(items, exception{Date: p.ShiftDate, EmployeeID: p.EmployeeID, Kind: "k_rejected", Punch: &p})
			case p.Valid() && hasAnomaly(p.Flags) && want("k_flagged"):
				items = append(items, exception{Date: p.ShiftDate, EmployeeID: p.EmployeeID, Kind: "k_flagged", Punch: &p})
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	slices.SortStableFunc(items, func(a, b exception) int {
		if c := strings.Compare(b.Date, a.Date); c != 0 {
			return c
		}
		return strings.Compare(a.EmployeeID, b.EmployeeID)
	})
	d := exceptionData{From: from, To: to, Kind: kind, Employee: emp, Kinds: exceptionKinds, Total: len(items),
		CanResolve: c.makeups != nil && v.Manager(), ZoneOf: zoneOf(v)}
	if len(items) > maxRows {
		items, d.Truncated = items[:maxRows], true
	}
	d.Items = items
	for _, id := range scopeIDs(v) {
		d.People = append(d.People, v.Everyone[id])
	}
	ids := rowIDs(rep.Rows, dailyID)
	if err := c.auditView(r.Context(), v, "console.viewed", "exceptions:"+from+".."+to, ids, map[string]any{"page": "exceptions", "kind": kind}); err != nil {
		return err
	}
	sites, err := c.sites(r.Context())
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "exceptions", &page{Lang: v.Lang, Title: tr(v.Lang, "exc_title"), Nav: "exceptions", V: v, Flash: flash(r, v.Lang), Data: d, Sites: sites})
	return nil
}

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

// recordMakeup resolves a missing punch: it files a make-up request for the
// employee and decides it as the viewer, under the same rules as the cards
// (policy limits, who may approve, audit, the employee's notification).
func (c *Console) recordMakeup(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if !c.checkPost(r, v) {
		c.errorPage(w, r, http.StatusForbidden, v.Lang, "csrf")
		return nil
	}
	if c.makeups == nil {
		return core.Errorf(core.EINVALID, "the make-up service is not enabled")
	}
	emp := r.PostFormValue("employee")
	if !v.Scope.Allows(emp) || !v.Manager() || emp == v.Emp.ID {
		return core.Errorf(core.EFORBIDDEN, "you may not record make-ups for %s", emp)
	}
	args := core.MakeupArgs{Date: r.PostFormValue("date"), Clock: r.PostFormValue("clock"), Kind: core.PunchKind(r.PostFormValue("kind")), Reason: r.PostFormValue("reason")}
	view, err := c.makeups.RequestMakeup(r.Context(), emp, args, core.PlatformWeb)
	if err != nil {
		if ref, ok := core.AsRefusal(err); ok {
			return core.Errorf(core.EINVALID, "%s", refusalText(ref, view, v.Lang))
		}
		return err
	}
	if err := c.audit(r.Context(), v.Actor(), "console.makeup_recorded", emp, map[string]any{"request_id": view.Request.ID, "date": view.Request.ShiftDate, "kind": view.Request.Kind}); err != nil {
		return err
	}
	_, err = c.makeups.DecideMakeup(r.Context(), core.MakeupDecision{ID: view.Request.ID, Status: core.MakeupApproved, Actor: v.Actor(), Note: "console"})
	if err != nil && core.ErrorCode(err) != core.EFORBIDDEN {
		return err
	}
	// A manager who is not the assigned approver leaves it pending for them.
	back := url.Values{"done": {"filed"}, "id": {strconv.FormatInt(view.Request.ID, 10)}, "who": {emp}, "date": {view.Request.ShiftDate}}
	http.Redirect(w, r, "/exceptions?"+back.Encode(), http.StatusSeeOther)
	return nil
}

// refusalText explains a make-up refusal in the console's words.
func refusalText(ref *core.MakeupRefusal, v core.MakeupView, lang string) string {
	zh := map[string]string{
		core.MakeupQuotaExhausted: "本月补卡次数已用完", core.MakeupPastDeadline: "已超过补卡期限", core.MakeupInFuture: "不能为将来的时间补卡",
		core.MakeupSlotValid: "该时段已有正常打卡", core.MakeupAlreadyOpen: "该时段已有待审批的补卡申请", core.MakeupInvalid: "时间、类型或原因无效",
	}
	en := map[string]string{
		core.MakeupQuotaExhausted: "the monthly make-up quota is used up", core.MakeupPastDeadline: "the make-up deadline has passed", core.MakeupInFuture: "a make-up cannot be in the future",
		core.MakeupSlotValid: "that slot already has a normal punch", core.MakeupAlreadyOpen: "a request for that slot is already pending", core.MakeupInvalid: "the time, kind or reason is not valid",
	}
	m := zh
	if lang == "en" {
		m = en
	}
	if s, ok := m[ref.Rule]; ok {
		if v.Problem != "" {
			s += " (" + v.Problem + ")"
		}
		return s
	}
	return ref.Rule
}

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

// Reports.

type reportData struct {
	Month     string
	Date      string
	Report    core.MonthlyReport
	Headers   []string
	Rows      [][]any
	Truncated bool
}

func (c *Console) reports(w http.ResponseWriter, r *http.Request, v *viewer) error {
	q := r.URL.Query()
	month := strings.TrimSpace(q.Get("month"))
	if month == "" {
		month = c.now().In(c.cfg.Zone).Format(core.MonthLayout)
	}
	rep, err := core.BuildMonthlyReport(r.Context(), c.store, month, v.Scope, c.now())
	if err != nil {
		return err
	}
	d := reportData{Month: month, Date: c.today0(), Report: rep, Headers: admin.MonthlyHeaders(v.Lang)}
	for i, row := range rep.Rows {
		if i >= maxRows {
			d.Truncated = true
			break
		}
		cells := admin.MonthlyCells(row)
		if row.Name == core.ErasedName {
			cells[1] = tr(v.Lang, "erased_name")
		}
		d.Rows = append(d.Rows, cells)
	}
	ids := rowIDs(rep.Rows, func(r core.MonthlyRow) string { return r.EmployeeID })
	if err := c.auditView(r.Context(), v, "console.viewed", "report:monthly:"+month, ids, map[string]any{"page": "reports"}); err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "reports", &page{Lang: v.Lang, Title: tr(v.Lang, "rep_title"), Nav: "reports", V: v, Data: d})
	return nil
}

// download sends a monthly or daily report of the viewer's scope, with
// headers in the organisation's language, and audits the export.
func (c *Console) download(w http.ResponseWriter, r *http.Request, v *viewer) error {
	q := r.URL.Query()
	format, err := admin.ParseFormat(q.Get("format"), admin.FormatCSV)
	if err != nil {
		return err
	}
	info, err := c.store.OrgInfo(r.Context())
	if err != nil {
		return err
	}
	emps := make([]core.Employee, 0, len(v.Everyone))
	for _, e := range v.Everyone {
		emps = append(emps, e)
	}
	lang := core.ReportLang(info, emps)
	var body []byte
	var kind, period string
	var ids []string
	switch q.Get("kind") {
	case "", "monthly":
		kind, period = "monthly", strings.TrimSpace(q.Get("month"))
		rep, err := core.BuildMonthlyReport(r.Context(), c.store, period, v.Scope, c.now())
		if err != nil {
			return err
		}
		ids = rowIDs(rep.Rows, func(r core.MonthlyRow) string { return r.EmployeeID })
		body, err = admin.EncodeMonthly(rep, format, lang)
		if err != nil {
			return err
		}
	case "daily":
		kind = "daily"
		if period, err = dateParam(q, "date", c.today0()); err != nil {
			return err
		}
		rep, err := core.BuildDailyReport(r.Context(), c.store, period, period, v.Scope, c.now())
		if err != nil {
			return err
		}
		ids = rowIDs(rep.Rows, dailyID)
		body, err = admin.EncodeDaily(rep, format, lang)
		if err != nil {
			return err
		}
	default:
		return core.Errorf(core.EINVALID, "kind must be monthly or daily")
	}
	if err := c.auditView(r.Context(), v, "report.exported", kind+":"+period, ids, map[string]any{"format": format, "via": "console"}); err != nil {
		return err
	}
	sendFile(w, admin.ContentType(format), admin.ReportFileName(kind, period, format), body)
	return nil
}

func sendFile(w http.ResponseWriter, contentType, name string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

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
	out.Access, err = c.store.FindAudit(ctx, core.AuditFilter{Subject: id, Limit: 1000})
	return out, err
}

type personData struct {
	personal
	Self      bool
	CanErase  bool
	Zone      *time.Location
	Shown     []core.Punch
	Truncated bool
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
	if len(d.Shown) > maxRows {
		d.Shown, d.Truncated = d.Shown[:maxRows], true
	}
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
