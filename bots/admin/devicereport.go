package admin

import (
	"encoding/json"
	"net/http"

	"github.com/punchbot/punchbot/core"
)

// The verified-device share (core.BuildDeviceShareReport) as a file: one
// row per employee with browser punches, then a total row, so HR can follow
// how far passkeys have been adopted outside the console.

var deviceShareColumns = []column{
	{"工号", "Employee ID", "employee_id"},
	{"姓名", "Name", "name"},
	{"浏览器打卡", "Browser punches", "browser"},
	{"设备验证", "Device-verified", "verified"},
	{"验证比例（%）", "Verified (%)", "percent"},
}

// DeviceShareHeaders are the column headers of the verified-device share
// in lang.
func DeviceShareHeaders(lang string) []string { return headers(deviceShareColumns, lang) }

// DeviceShareCells are the cells of one row of the verified-device share,
// in column order, with numbers a spreadsheet can sum.
func DeviceShareCells(d core.DeviceShare) []any {
	return []any{d.EmployeeID, d.Name, d.Browser, d.Verified, d.Percent()}
}

// deviceShareTotal is the total row's label in the id column.
func deviceShareTotal(lang string) string {
	if lang == "en" {
		return "Total"
	}
	return "合计"
}

// EncodeDeviceShare renders the verified-device share in format with
// headers in lang: the employees' rows, then the total row (CSV and XLSX;
// JSON has it as "total").
func EncodeDeviceShare(rep core.DeviceShareReport, format, lang string) ([]byte, error) {
	rows := make([][]any, 0, len(rep.Rows)+1)
	for _, r := range rep.Rows {
		rows = append(rows, DeviceShareCells(r))
	}
	total := rep.Total
	total.EmployeeID, total.Name = deviceShareTotal(lang), ""
	rows = append(rows, DeviceShareCells(total))
	switch format {
	case FormatCSV:
		return encodeCSV(DeviceShareHeaders(lang), rows)
	case FormatXLSX:
		title := "设备验证 " + rep.Month
		if lang == "en" {
			title = "Verified devices " + rep.Month
		}
		return encodeXLSX(title, DeviceShareHeaders(lang), rows)
	case FormatJSON:
		out := struct {
			Month string           `json:"month"`
			Rows  []map[string]any `json:"rows"`
			Total map[string]any   `json:"total"`
		}{rep.Month, jsonRows(deviceShareColumns, rows[:len(rows)-1]), map[string]any{
			"browser": rep.Total.Browser, "verified": rep.Total.Verified, "percent": rep.Total.Percent(),
		}}
		return json.Marshal(out)
	}
	return nil, core.Errorf(core.EINVALID, "unknown report format %q", format)
}

// deviceShareReport answers GET /api/v1/reports/devices?month=YYYY-MM&
// format=csv|xlsx|json[&lang=zh|en]: the month's browser punches per
// employee and how many a bound device verified. The month defaults to the
// current one; the export is recorded as one of every person it lists.
func (a *API) deviceShareReport(w http.ResponseWriter, r *http.Request) error {
	q, err := a.monthReportQuery(r) // reports.go
	if err != nil {
		return err
	}
	rep, err := core.BuildDeviceShareReport(r.Context(), q.store, q.month, core.ScopeAll())
	if err != nil {
		return err
	}
	body, err := EncodeDeviceShare(rep, q.format, q.lang)
	if err != nil {
		return err
	}
	ids := rowIDs(rep.Rows, func(d core.DeviceShare) string { return d.EmployeeID })
	return a.sendReport(w, r, q.store, "devices", q.month, q.format, ids, body)
}
