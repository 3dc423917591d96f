package console

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

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
	Pager      pager
	CanResolve bool
	// Refused is the make-up form a refusal re-shows, with its input and
	// what to fix.
	Refused *refusedMakeup
	People  []core.Employee
	ZoneOf  func(string) *time.Location
}

var exceptionKinds = []string{"k_all", "k_missing", "k_late", "k_early", "k_rejected", "k_flagged"}

// maxExceptionDays bounds the exceptions page's range; reports cover more.
const maxExceptionDays = 62

// refusedMakeup is a make-up form the console refused: shown again on its
// row with the input kept and the reason next to it.
type refusedMakeup struct {
	Employee, Date, Clock, Reason, Message string
}

// Is reports whether the refusal belongs to a row.
func (m *refusedMakeup) Is(employee, date string) bool {
	return m != nil && m.Employee == employee && m.Date == date
}

func (c *Console) exceptions(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return c.showExceptions(w, r, v, r.URL.Query(), nil)
}

// showExceptions renders the exceptions matching q; refused re-shows a
// refused make-up form.
func (c *Console) showExceptions(w http.ResponseWriter, r *http.Request, v *viewer, q url.Values, refused *refusedMakeup) error {
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
	// Paginate on the filter's own query, which a refused POST carries in
	// its form.
	pr := r.Clone(r.Context())
	pr.URL = &url.URL{Path: "/exceptions", RawQuery: q.Encode()}
	d.Items, d.Pager = paginate(items, pr, pageSize)
	d.Refused = refused
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
	status := http.StatusOK
	if refused != nil {
		status = http.StatusUnprocessableEntity
	}
	c.render(w, r, status, "exceptions", &page{Lang: v.Lang, Title: tr(v.Lang, "exc_title"), Nav: "exceptions", V: v, Flash: flash(r, v.Lang), Data: d, Sites: sites})
	return nil
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
	if v.HR() {
		// HR corrects the record: the employee's deadline does not bind
		// it (the reason is still required, and the request is audited
		// naming HR).
		args.CorrectedBy = v.Actor()
	}
	view, err := c.makeups.RequestMakeup(r.Context(), emp, args, core.PlatformWeb)
	if err != nil {
		if ref, ok := core.AsRefusal(err); ok {
			// Back to the same list, the input kept and the reason shown
			// next to the form.
			q := url.Values{}
			for _, k := range []string{"from", "to", "kind", "employee", "page"} {
				if s := r.PostFormValue("f_" + k); s != "" {
					q.Set(k, s)
				}
			}
			return c.showExceptions(w, r, v, q, &refusedMakeup{Employee: emp, Date: args.Date, Clock: args.Clock, Reason: args.Reason, Message: refusalText(ref, view, v.Lang)})
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
	if s, ok := bots.NotEmployedReason(v, lang, true); ok { // the dates outside the employment, naming the employee
		return s
	}
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
