package console

import (
	"net/http"
	"strconv"

	"github.com/punchbot/punchbot/bots/admin"
	"github.com/punchbot/punchbot/core"
)

// Reports.

type reportData struct {
	Month   string
	Date    string
	Report  core.MonthlyReport
	Headers []string
	Rows    [][]any
	Pager   pager
	// Devices is the month's share of browser punches verified by a bound
	// device (device_report.go in core).
	Devices core.DeviceShareReport
}

func (c *Console) reports(w http.ResponseWriter, r *http.Request, v *viewer) error {
	q := r.URL.Query()
	month, err := monthParam(q, "month", c.now().In(c.cfg.Zone).Format(core.MonthLayout))
	if err != nil {
		return err
	}
	rep, err := core.BuildMonthlyReport(r.Context(), c.store, month, v.Scope, c.now())
	if err != nil {
		return err
	}
	// The preview has the download's columns, the leave types' days and
	// hours included, so what HR checks here is what payroll gets.
	d := reportData{Month: month, Date: c.today0(), Report: rep, Headers: admin.MonthlyReportHeaders(rep, v.Lang)}
	shown, pg := paginate(rep.Rows, r, pageSize)
	d.Pager = pg
	for _, row := range shown {
		cells := admin.MonthlyReportCells(rep, row)
		if row.Name == core.ErasedName {
			cells[1] = tr(v.Lang, "erased_name")
		}
		d.Rows = append(d.Rows, cells)
	}
	if d.Devices, err = core.BuildDeviceShareReport(r.Context(), c.store, month, v.Scope); err != nil {
		return err
	}
	ids := rowIDs(rep.Rows, func(r core.MonthlyRow) string { return r.EmployeeID })
	if err := c.auditView(r.Context(), v, "console.viewed", "report:monthly:"+month, ids, map[string]any{"page": "reports"}); err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "reports", &page{Lang: v.Lang, Title: tr(v.Lang, "rep_title"), Nav: "reports", V: v, Data: d})
	return nil
}

// download sends a monthly or daily report of the viewer's scope, or the
// month's verified-device share (kind=devices), and audits the export. The
// headers are in lang= (zh or en), which the reports page's links and
// daily form carry, so a download reads in the language of the preview;
// without it (an older link, a bookmark) a report's are in the
// organisation's language, as `punchbot report` and the API's are, and
// the device share's in the viewer's. Another lang= is ignored alike.
func (c *Console) download(w http.ResponseWriter, r *http.Request, v *viewer) error {
	q := r.URL.Query()
	format, err := admin.ParseFormat(q.Get("format"), admin.FormatCSV)
	if err != nil {
		return err
	}
	asked := q.Get("lang")
	if asked != "zh" && asked != "en" {
		asked = ""
	}
	lang := asked
	if lang == "" && q.Get("kind") != "devices" {
		info, err := c.store.OrgInfo(r.Context())
		if err != nil {
			return err
		}
		emps := make([]core.Employee, 0, len(v.Everyone))
		for _, e := range v.Everyone {
			emps = append(emps, e)
		}
		lang = core.ReportLang(info, emps)
	}
	var body []byte
	var kind, period string
	var ids []string
	switch q.Get("kind") {
	case "", "monthly":
		kind = "monthly"
		if period, err = monthParam(q, "month", c.now().In(c.cfg.Zone).Format(core.MonthLayout)); err != nil {
			return err
		}
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
		// to= (optional) makes it the daily rows of a range, a month for
		// payroll say, as the API's daily report has.
		to, err := dateParam(q, "to", period)
		if err != nil {
			return err
		}
		if to < period {
			return core.WrapError(core.EINVALID, badParam{key: "rep_bad_range", value: period + " – " + to}, "the range %s to %s ends before it starts", period, to)
		}
		rep, err := core.BuildDailyReport(r.Context(), c.store, period, to, v.Scope, c.now())
		if err != nil {
			return err
		}
		if to != period {
			period += "_" + to // the API's name for a range
		}
		ids = rowIDs(rep.Rows, dailyID)
		body, err = admin.EncodeDaily(rep, format, lang)
		if err != nil {
			return err
		}
	case "devices":
		kind = "devices"
		if period, err = monthParam(q, "month", c.now().In(c.cfg.Zone).Format(core.MonthLayout)); err != nil {
			return err
		}
		rep, err := core.BuildDeviceShareReport(r.Context(), c.store, period, v.Scope)
		if err != nil {
			return err
		}
		ids = rowIDs(rep.Rows, func(r core.DeviceShare) string { return r.EmployeeID })
		if lang == "" {
			lang = v.Lang
		}
		body, err = admin.EncodeDeviceShare(rep, format, lang)
		if err != nil {
			return err
		}
	default:
		return core.Errorf(core.EINVALID, "kind must be monthly, daily or devices")
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

// The daily range's words, kept with the download.
func init() {
	for lang, m := range map[string]map[string]string{
		"zh": {"rep_to": "至（可选）", "rep_bad_range": "日期范围 %s 的结束日期早于开始日期。"},
		"en": {"rep_to": "to (optional)", "rep_bad_range": "The range %s ends before it starts."},
	} {
		for k, v := range m {
			texts[lang][k] = v
		}
	}
}
