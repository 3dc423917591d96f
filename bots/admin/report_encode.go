package admin

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/punchbot/punchbot/core"
)

// EncodeMonthly renders a monthly report in format with headers in lang.
func EncodeMonthly(rep core.MonthlyReport, format, lang string) ([]byte, error) {
	rows := make([][]any, len(rep.Rows))
	for i, r := range rep.Rows {
		rows[i] = MonthlyReportCells(rep, r)
	}
	switch format {
	case FormatCSV:
		return encodeCSV(MonthlyReportHeaders(rep, lang), rows)
	case FormatXLSX:
		title := "月报 " + rep.Month
		if lang == "en" {
			title = "Monthly " + rep.Month
		}
		return encodeXLSX(title, MonthlyReportHeaders(rep, lang), rows)
	case FormatJSON:
		out := struct {
			Month       string           `json:"month"`
			From        string           `json:"from"`
			To          string           `json:"to"`
			GeneratedAt string           `json:"generated_at"`
			Rows        []map[string]any `json:"rows"`
		}{rep.Month, rep.From, rep.To, rep.GeneratedAt.UTC().Format(time.RFC3339), jsonRows(monthlyReportColumns(rep), rows)}
		return json.Marshal(out)
	}
	return nil, core.Errorf(core.EINVALID, "unknown report format %q", format)
}

// EncodeDaily renders a daily report in format with headers in lang.
func EncodeDaily(rep core.DailyReport, format, lang string) ([]byte, error) {
	rows := make([][]any, len(rep.Rows))
	for i, r := range rep.Rows {
		rows[i] = DailyReportCells(r, rep.LeaveTypes, lang)
	}
	switch format {
	case FormatCSV:
		return encodeCSV(DailyHeaders(lang), rows)
	case FormatXLSX:
		title := "日报 " + rep.From
		if lang == "en" {
			title = "Daily " + rep.From
		}
		return encodeXLSX(title, DailyHeaders(lang), rows)
	case FormatJSON:
		// JSON is for programs: statuses and flags as codes, times as RFC 3339.
		out := struct {
			From        string           `json:"from"`
			To          string           `json:"to"`
			GeneratedAt string           `json:"generated_at"`
			Rows        []map[string]any `json:"rows"`
		}{rep.From, rep.To, rep.GeneratedAt.UTC().Format(time.RFC3339), make([]map[string]any, len(rep.Rows))}
		for i, r := range rep.Rows {
			out.Rows[i] = map[string]any{
				"date": r.Date, "employee_id": r.EmployeeID, "name": r.Name, "department": r.Department,
				"first_in": rfc3339(r.FirstIn), "last_out": rfc3339(r.LastOut), "workday": r.Workday, "holiday": r.Holiday,
				"result": nonNilStatuses(r.Statuses), "late_min": r.LateMin, "early_min": r.EarlyMin, "worked_min": r.WorkedMin,
				"site_id": r.SiteID, "site": r.SiteName, "field": r.Field, "makeups": r.Makeups, "flags": nonNil(r.Flags),
				"leave": leaveJSON(r.Leave), "leave_min": r.LeaveMin, "trip": r.Trip, "outing": r.Outing, "place": r.Place,
				"pending_approvals": r.PendingApprovals, "overtime_hours": r.OvertimeHours(), "overtime_min": r.OvertimeMin,
				"overtime_kind": overtimeKindCode(r), "not_employed": r.NotEmployed,
			}
		}
		return json.Marshal(out)
	}
	return nil, core.Errorf(core.EINVALID, "unknown report format %q", format)
}

// leaveAmountJSON is a day's leave of one type in the daily report's
// JSON, with snake_case keys like every other field (the Go field names
// Type, Days and Minutes leaked through before).
type leaveAmountJSON struct {
	Type    string  `json:"type"`
	Days    float64 `json:"days"`
	Hours   float64 `json:"hours"`
	Minutes int     `json:"minutes"`
}

// leaveJSON is a day's leave by type, [] rather than null on a day without
// leave, as flags and result are.
func leaveJSON(ls []core.LeaveAmount) []leaveAmountJSON {
	out := make([]leaveAmountJSON, 0, len(ls))
	for _, l := range ls {
		out = append(out, leaveAmountJSON{Type: l.Type, Days: l.Days, Hours: l.Hours(), Minutes: l.Minutes})
	}
	return out
}

func rfc3339(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Format(time.RFC3339)
}

func nonNilStatuses(s []core.DayStatus) []core.DayStatus {
	if s == nil {
		return []core.DayStatus{}
	}
	return s
}

func jsonRows(cols []column, rows [][]any) []map[string]any {
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		m := make(map[string]any, len(cols))
		for j, c := range cols {
			m[c.key] = r[j]
		}
		out[i] = m
	}
	return out
}

// utf8BOM lets Excel recognise a CSV file as UTF-8; without it Chinese
// names turn into mojibake on a Chinese Windows.
const utf8BOM = "\ufeff"

// encodeCSV writes a BOM, the headers and the rows with CRLF line ends, as
// Excel expects. Text cells that a spreadsheet would run as a formula are
// prefixed with an apostrophe.
func encodeCSV(header []string, rows [][]any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(utf8BOM)
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	if err := w.Write(header); err != nil {
		return nil, err
	}
	rec := make([]string, len(header))
	for _, r := range rows {
		for i, v := range r {
			rec[i] = cellText(v)
		}
		if err := w.Write(rec); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

func cellText(v any) string {
	switch x := v.(type) {
	case string:
		return defuse(x)
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// defuse keeps a text cell from being read as a formula (CSV injection):
// names and site labels come from files people edit.
func defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// encodeXLSX writes one sheet with a bold, frozen header row through the
// stream writer, which keeps memory flat for ten thousand rows.
func encodeXLSX(sheet string, header []string, rows [][]any) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E8EEF7"}}})
	if err != nil {
		return nil, err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	for i, h := range header {
		width := 10.0
		if n := len([]rune(h)); n > 5 {
			width = float64(n)*1.6 + 2
		}
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return nil, err
		}
	}
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return nil, err
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, r); err != nil {
			return nil, err
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
