package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/punchbot/punchbot/core"
)

// registerReports mounts the report endpoints.
func (a *API) registerReports(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/reports/monthly", a.authorised(a.monthlyReport))
	mux.Handle("GET /api/v1/reports/daily", a.authorised(a.dailyReport))
	mux.Handle("GET /api/v1/reports/devices", a.authorised(a.deviceShareReport)) // devicereport.go
	mux.Handle("POST /api/v1/employees/{id}/erase", a.authorised(a.eraseEmployee))
}

func (a *API) reportStore() (ReportStore, error) {
	if a.reports == nil {
		return nil, core.Errorf(core.EUNAVAILABLE, "reports are not available: the server was started without a report store")
	}
	return a.reports, nil
}

// reportLang is ?lang= when given, else the organisation's language.
func (a *API) reportLang(ctx context.Context, rs ReportStore, q string) (string, error) {
	switch q {
	case "zh", "en":
		return q, nil
	case "":
	default:
		return "", core.Errorf(core.EINVALID, "lang must be zh or en, not %q", q)
	}
	info, err := rs.OrgInfo(ctx)
	if err != nil {
		return "", err
	}
	var emps []core.Employee
	if info.Lang == "" {
		if emps, err = a.store.ListEmployees(ctx); err != nil {
			return "", err
		}
	}
	return core.ReportLang(info, emps), nil
}

// monthlyReport answers GET /api/v1/reports/monthly?month=YYYY-MM&format=
// csv|xlsx|json[&lang=zh|en]; the month defaults to the current one.
func (a *API) monthlyReport(w http.ResponseWriter, r *http.Request) error {
	q, err := a.monthReportQuery(r)
	if err != nil {
		return err
	}
	rep, err := core.BuildMonthlyReport(r.Context(), q.store, q.month, core.ScopeAll(), a.now())
	if err != nil {
		return err
	}
	body, err := EncodeMonthly(rep, q.format, q.lang)
	if err != nil {
		return err
	}
	ids := rowIDs(rep.Rows, func(m core.MonthlyRow) string { return m.EmployeeID })
	return a.sendReport(w, r, q.store, "monthly", q.month, q.format, ids, body)
}

// monthReportQuery is what a report of one month reads from its request:
// ?month=YYYY-MM (default: this month), ?format= (default JSON) and ?lang=
// (default: the organisation's).
type monthReportQuery struct {
	store               ReportStore
	month, format, lang string
}

func (a *API) monthReportQuery(r *http.Request) (monthReportQuery, error) {
	rs, err := a.reportStore()
	if err != nil {
		return monthReportQuery{}, err
	}
	q := r.URL.Query()
	format, err := ParseFormat(q.Get("format"), FormatJSON)
	if err != nil {
		return monthReportQuery{}, err
	}
	month := strings.TrimSpace(q.Get("month"))
	if month == "" {
		month = a.now().In(a.zone).Format(core.MonthLayout)
	}
	lang, err := a.reportLang(r.Context(), rs, q.Get("lang"))
	if err != nil {
		return monthReportQuery{}, err
	}
	return monthReportQuery{store: rs, month: month, format: format, lang: lang}, nil
}

// dailyReport answers GET /api/v1/reports/daily?date=YYYY-MM-DD[&to=
// YYYY-MM-DD]&format=csv|xlsx|json[&lang=zh|en]; the date defaults to today.
func (a *API) dailyReport(w http.ResponseWriter, r *http.Request) error {
	rs, err := a.reportStore()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	format, err := ParseFormat(q.Get("format"), FormatJSON)
	if err != nil {
		return err
	}
	from := strings.TrimSpace(q.Get("date"))
	if from == "" {
		from = a.now().In(a.zone).Format(core.DateLayout)
	}
	to := strings.TrimSpace(q.Get("to"))
	if to == "" {
		to = from
	}
	lang, err := a.reportLang(r.Context(), rs, q.Get("lang"))
	if err != nil {
		return err
	}
	rep, err := core.BuildDailyReport(r.Context(), rs, from, to, core.ScopeAll(), a.now())
	if err != nil {
		return err
	}
	body, err := EncodeDaily(rep, format, lang)
	if err != nil {
		return err
	}
	period := from
	if to != from {
		period += "_" + to
	}
	ids := rowIDs(rep.Rows, func(d core.DailyRow) string { return d.EmployeeID })
	return a.sendReport(w, r, rs, "daily", period, format, ids, body)
}

// sendReport audits the export, then sends it; an export that could not be
// audited is not sent. ids are the people the report contains: each of
// them sees the export on their own data page.
func (a *API) sendReport(w http.ResponseWriter, r *http.Request, rs ReportStore, kind, period, format string, ids []string, body []byte) error {
	detail, _ := json.Marshal(map[string]any{"format": format, "rows": len(ids), "people": len(ids), "via": "api"})
	entry := core.AuditEntry{At: a.now(), Actor: "admin", Action: "report.exported", Subject: kind + ":" + period, Detail: string(detail)}
	var err error
	if acc, ok := rs.(core.AccessStore); ok {
		err = acc.RecordAccess(r.Context(), entry, core.AccessSubjects("admin", ids))
	} else {
		err = rs.InTx(r.Context(), func(tx core.Tx) error { return tx.InsertAudit(r.Context(), entry) })
	}
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", ContentType(format))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if format != FormatJSON {
		h.Set("Content-Disposition", `attachment; filename="`+ReportFileName(kind, period, format)+`"`)
	}
	w.WriteHeader(http.StatusOK)
	_, err = io.Copy(w, bytes.NewReader(body))
	if err != nil {
		a.log.WarnContext(r.Context(), "report not fully sent", "kind", kind, "period", period, "err", err)
	}
	return nil
}

// eraseEmployee answers POST /api/v1/employees/{id}/erase: the personal data
// of an inactive (departed) employee is removed and their attendance
// numbers kept.
func (a *API) eraseEmployee(w http.ResponseWriter, r *http.Request) error {
	rs, err := a.reportStore()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	res, err := core.ErasePersonalData(r.Context(), rs, id, "admin", a.now())
	if err != nil {
		return err
	}
	a.log.InfoContext(r.Context(), "employee personal data erased", "employee", id, "punches", res.Punches, "identities", res.Identities)
	writeJSON(w, http.StatusOK, map[string]any{
		"employee_id": id, "punches_reduced": res.Punches, "identities_removed": res.Identities,
		"makeups_cleared": res.Makeups, "events_removed": res.Events, "messages_removed": res.Outbox,
		"note": "attendance numbers are kept; remove the person from the organisation file, or the next apply restores what it lists",
	})
	return nil
}

// rowIDs are the ids of a report's rows, in order: the people an export
// includes, for its access record.
func rowIDs[T any](rows []T, id func(T) string) []string {
	ids := make([]string, len(rows))
	for i, row := range rows {
		ids[i] = id(row)
	}
	return ids
}
