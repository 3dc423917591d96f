package console

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// Approvals: every request the one approval engine serves (make-ups,
// field punches, leave, trips, outings), filtered by type and status. HR
// may decide any; a rejection needs a reason, which the employee receives
// in the result message (bots.MakeupResultText). An approved leave, trip or
// outing can be revoked, with a reason too.

type makeupRow struct {
	core.MakeupRequest
	CanDecide bool
	// CanRevoke offers taking back an approved leave, trip or outing.
	CanRevoke bool
	// Noun names the request's type; Period is a leave's, trip's or
	// outing's covered time; LeaveName is a leave's type as the
	// organisation names it (年假), not its id (annual).
	Noun, Period, LeaveName string
}

type makeupData struct {
	Rows     []makeupRow
	Status   string
	Type     string
	Types    []core.RequestType
	ReadOnly bool
	Zone     func(string) *time.Location
	Pager    pager
	// Refused is a decision sent back: the row, the note typed and what
	// to fix.
	Refused *refusedDecision
	// Batch is the batch form (approvals_batch.go), nil when the viewer
	// can decide no row on the page or the service cannot batch;
	// BatchHead and BatchResults say what the last batch did.
	Batch        *batchForm
	BatchHead    string
	BatchResults []batchResult
}

type refusedDecision struct {
	ID      int64
	Note    string
	Message string
}

// requestTypes are the approval page's type filter, in the engine's order.
var requestTypes = []core.RequestType{core.RequestMakeup, core.RequestField, core.RequestLeave, core.RequestTrip, core.RequestOuting, core.RequestOvertime}

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

// mayRevoke mirrors the core's rule for revoking (the routed approver or
// HR, an approved leave, trip or outing) for showing the revoke form.
func mayRevoke(v *viewer, m core.MakeupRequest) bool {
	if m.Status != core.MakeupApproved || !m.Revocable() {
		return false
	}
	return v.Admin || (m.EmployeeID != v.Emp.ID && (m.ApproverID == v.Emp.ID || v.Emp.Role == core.RoleHR))
}

func (c *Console) makeupList(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return c.showApprovals(w, r, v, r.URL.Query(), nil)
}

// leaveNames are the organisation's leave type names by id (the defaults
// when the file declares none), as the bots name them.
func (c *Console) leaveNames(ctx context.Context) (map[string]string, error) {
	types := core.DefaultLeaveTypes()
	if ls, ok := c.store.(core.LeaveTypeStore); ok {
		got, err := ls.LeaveTypes(ctx)
		if err != nil {
			return nil, err
		}
		if len(got) > 0 {
			types = got
		}
	}
	names := make(map[string]string, len(types))
	for _, t := range types {
		names[t.ID] = t.Name
	}
	return names, nil
}

// leaveName is a leave type's name, or its id once no longer declared.
func leaveName(names map[string]string, id string) string {
	if n := names[id]; n != "" {
		return n
	}
	return id
}

// period shows a request's covered time in the employee's zone.
func period(m core.MakeupRequest, loc *time.Location) string {
	if m.Start.IsZero() {
		return ""
	}
	from, to := m.Start.In(loc), m.End.In(loc)
	if to.Sub(from) >= 20*time.Hour || (from.Hour() == 0 && from.Minute() == 0) {
		last := to.Add(-time.Minute)
		if last.Format(core.DateLayout) == from.Format(core.DateLayout) {
			return from.Format(core.DateLayout)
		}
		return from.Format(core.DateLayout) + " – " + last.Format(core.DateLayout)
	}
	if to.Format(core.DateLayout) == from.Format(core.DateLayout) {
		return from.Format("2006-01-02 15:04") + "–" + to.Format("15:04")
	}
	return from.Format("2006-01-02 15:04") + " – " + to.Format("2006-01-02 15:04")
}

func (c *Console) showApprovals(w http.ResponseWriter, r *http.Request, v *viewer, q url.Values, refused *refusedDecision) error {
	return c.showApprovalsWith(w, r, v, q, refused, nil)
}

// showApprovalsWith is showApprovals with the batch form as sent back
// (nil: a fresh one, if the viewer can decide any row).
func (c *Console) showApprovalsWith(w http.ResponseWriter, r *http.Request, v *viewer, q url.Values, refused *refusedDecision, batch *batchForm) error {
	status := q.Get("status")
	typ := q.Get("type")
	f := core.MakeupFilter{}
	if typ != "" {
		if !slices.Contains(requestTypes, core.RequestType(typ)) {
			return core.WrapError(core.EINVALID, badParam{key: "bad_type", value: typ}, "type must be one of makeup, field, leave, trip, outing, overtime, not %q", typ)
		}
		f.Types = []core.RequestType{core.RequestType(typ)}
	}
	if status != "" {
		f.Statuses = []core.MakeupStatus{core.MakeupStatus(status)}
	}
	var all []core.MakeupRequest
	err := c.store.InTx(r.Context(), func(tx core.Tx) error {
		var err error
		all, err = tx.ListMakeups(r.Context(), f)
		return err
	})
	if err != nil {
		return err
	}
	names, err := c.leaveNames(r.Context())
	if err != nil {
		return err
	}
	zone := zoneOf(v)
	d := makeupData{Status: status, Type: typ, Types: requestTypes, ReadOnly: c.makeups == nil, Zone: zone, Refused: refused}
	var rows []makeupRow
	for _, m := range all {
		// An approver sees the requests routed to them even outside
		// their reporting line (HR fallback).
		if !v.Scope.Allows(m.EmployeeID) && m.ApproverID != v.Emp.ID {
			continue
		}
		if status != "" && string(m.Status) != status {
			continue
		}
		if typ != "" && string(m.TypeOf()) != typ {
			continue
		}
		rows = append(rows, makeupRow{MakeupRequest: m, CanDecide: !d.ReadOnly && mayDecide(v, m), CanRevoke: !d.ReadOnly && mayRevoke(v, m),
			Noun: bots.RequestNoun(m.TypeOf(), v.Lang), Period: period(m, zone(m.EmployeeID)), LeaveName: leaveName(names, m.LeaveType)})
	}
	// Pending first, then the newest.
	slices.SortStableFunc(rows, func(a, b makeupRow) int {
		ap, bp := a.Status == core.MakeupPending, b.Status == core.MakeupPending
		if ap != bp {
			if ap {
				return -1
			}
			return 1
		}
		return b.CreatedAt.Compare(a.CreatedAt)
	})
	pr := r.Clone(r.Context())
	pr.URL = &url.URL{Path: "/makeups", RawQuery: q.Encode()}
	d.Rows, d.Pager = paginate(rows, pr, pageSize)
	ids := make([]string, len(d.Rows))
	for i, row := range d.Rows {
		ids[i] = row.EmployeeID
	}
	if err := c.auditView(r.Context(), v, "console.viewed", "makeups", rowIDs(ids, func(s string) string { return s }), map[string]any{"page": "makeups"}); err != nil {
		return err
	}
	if _, ok := c.makeups.(BatchMakeups); ok && !d.ReadOnly && slices.ContainsFunc(d.Rows, func(row makeupRow) bool { return row.CanDecide }) {
		d.Batch = batch
		if d.Batch == nil {
			d.Batch = newBatchForm(v.Lang)
		}
	}
	d.BatchHead, d.BatchResults = batchResults(r.URL.Query(), v.Lang)
	code := http.StatusOK
	if refused != nil || (batch != nil && batch.Error != "") {
		code = http.StatusUnprocessableEntity
	}
	c.render(w, r, code, "makeups", &page{Lang: v.Lang, Title: tr(v.Lang, "mk_title"), Nav: "makeups", V: v, Flash: approvalFlash(r, v.Lang), Data: d})
	return nil
}

func (c *Console) decide(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if !c.checkPost(r, v) {
		c.errorPage(w, r, http.StatusForbidden, v.Lang, "csrf")
		return nil
	}
	if c.makeups == nil {
		// The page shows no forms then; a stale one is told why.
		c.errorPage(w, r, http.StatusBadRequest, v.Lang, "mk_readonly")
		return nil
	}
	// The page's own forms send valid values; a hand-made or stale POST is
	// told what was wrong in the reader's language, like the filters.
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return core.WrapError(core.EINVALID, badParam{key: "bad_request_id", value: r.PathValue("id")}, "%q is not a request number", r.PathValue("id"))
	}
	status := core.MakeupStatus(r.PostFormValue("decision"))
	if status != core.MakeupApproved && status != core.MakeupRejected && status != core.MakeupRevoked {
		return core.WrapError(core.EINVALID, badParam{key: "bad_decision", value: string(status)}, "decision must be approved, rejected or revoked, not %q", status)
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	back := url.Values{}
	for _, k := range []string{"status", "type", "page"} {
		if s := r.PostFormValue("f_" + k); s != "" {
			back.Set(k, s)
		}
	}
	if status == core.MakeupRejected && note == "" {
		// The employee is told why: no reason, no rejection.
		return c.showApprovals(w, r, v, back, &refusedDecision{ID: id, Message: tr(v.Lang, "mk_reason_required")})
	}
	if status == core.MakeupRevoked && note == "" {
		return c.showApprovals(w, r, v, back, &refusedDecision{ID: id, Message: tr(v.Lang, "mk_revoke_reason_required")})
	}
	done := string(status)
	view, err := c.makeups.DecideMakeup(r.Context(), core.MakeupDecision{ID: id, Status: status, Actor: v.Actor(), Note: note, Via: core.PlatformWeb})
	if err != nil {
		switch core.ErrorCode(err) {
		case core.ECONFLICT:
			done = "conflict"
			// How it ended, for the notice: withdrawn, expired or decided
			// by someone else first.
			back.Set("state", string(view.Request.Status))
		case core.EINVALID:
			return c.showApprovals(w, r, v, back, &refusedDecision{ID: id, Note: note, Message: decisionRefusalText(err, view, v.Lang)})
		default:
			return err
		}
	}
	back.Set("done", done)
	back.Set("id", strconv.FormatInt(id, 10))
	if view.Request.ID == id {
		back.Set("rt", string(view.Request.TypeOf()))
	}
	http.Redirect(w, r, "/makeups?"+back.Encode(), http.StatusSeeOther)
	return nil
}

// decisionRefusalText explains a decision the core refused, in the
// reader's language: the refusals (a note too long, a revocation the
// request does not allow) in the console's words, as refusalText does for
// recording a make-up, and anything else through translateProblem, as the
// console shows the org file's messages. The core's own message is
// English and written for logs, not for a Chinese-speaking manager.
func decisionRefusalText(err error, view core.MakeupView, lang string) string {
	ref, ok := core.AsRefusal(err)
	if !ok {
		return translateProblem(core.ErrorMessage(err), lang)
	}
	noun := bots.RequestNoun(view.Request.TypeOf(), lang)
	switch ref.Rule {
	case core.DecisionNoteTooLong:
		return pick(lang, "备注或理由不能超过 "+strconv.Itoa(core.MaxMakeupReason)+" 字，请缩短后再提交；申请未处理。",
			"A note or reason can be at most "+strconv.Itoa(core.MaxMakeupReason)+" characters; shorten it and submit again. Nothing was decided.")
	case core.RevokeNotRevocable:
		return pick(lang, "这份"+noun+"的审批已写入打卡记录，不能撤销；请在「异常」页更正打卡。",
			"The approval of this "+noun+" wrote a punch, so it cannot be revoked; correct the punch on the exceptions page.")
	case core.RevokeNotApproved:
		return pick(lang, "这份"+noun+"还在待审批，请直接同意或驳回。", "This "+noun+" is still pending: approve or reject it instead.")
	case core.RevokeNeedsReason:
		return tr(lang, "mk_revoke_reason_required")
	}
	// The other refusals are the bots' (the leave balance of an approval,
	// for example), in the same words as in chat.
	return bots.MakeupRefusalText(view, lang)
}

// pick is zh or en by the page's language.
func pick(lang, zh, en string) string {
	if pageLang(lang) == "en" {
		return en
	}
	return zh
}

// approvalFlash is the notice after a decision, naming the request by its
// type ("已同意请假申请 #12", not the make-up the console's generic notice
// says) and, when someone or something closed it first, how it ended
// ("已撤回", "已过期"), as a card clicked too late says. rt and state come
// from the redirect and are only ever shown through the catalogue, so a
// hand-made query shows nothing it could choose. Other notices are
// flash's.
func approvalFlash(r *http.Request, lang string) string {
	q := r.URL.Query()
	t := core.RequestType(q.Get("rt"))
	if !slices.Contains(requestTypes, t) {
		return flash(r, lang)
	}
	id, err := strconv.ParseInt(q.Get("id"), 10, 64)
	if err != nil || id <= 0 {
		return flash(r, lang)
	}
	noun := bots.RequestNoun(t, lang)
	Noun := noun
	if pageLang(lang) == "en" {
		Noun = strings.ToUpper(noun[:1]) + noun[1:]
	}
	n := strconv.FormatInt(id, 10)
	switch q.Get("done") {
	case "approved":
		return pick(lang, "已同意"+noun+" #"+n+"。", Noun+" #"+n+" approved.")
	case "rejected":
		return pick(lang, "已驳回"+noun+" #"+n+"。", Noun+" #"+n+" rejected.")
	case "conflict":
		state := core.MakeupStatus(q.Get("state"))
		switch state {
		case core.MakeupApproved, core.MakeupRejected, core.MakeupCancelled, core.MakeupExpired, core.MakeupRevoked:
			label := tr(lang, "mk_"+string(state))
			return pick(lang, noun+" #"+n+" 已经处理过了（"+label+"），这次操作未做更改。", Noun+" #"+n+" was already closed ("+label+"); nothing changed.")
		}
		return pick(lang, noun+" #"+n+" 已经处理过了，这次操作未做更改。", Noun+" #"+n+" was already closed; nothing changed.")
	}
	return flash(r, lang)
}
