package admin

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// Report formats.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
	FormatJSON = "json"
)

// ReportStore is what the report and privacy endpoints need from storage.
type ReportStore interface {
	core.ReportSource
	core.OrgInfoStore
	core.EraseStore
	// InTx writes the audit entry of an export.
	InTx(ctx context.Context, fn func(core.Tx) error) error
}

// ParseFormat checks a format name; empty means def.
func ParseFormat(s, def string) (string, error) {
	switch f := strings.ToLower(strings.TrimSpace(s)); f {
	case "":
		return def, nil
	case FormatCSV, FormatXLSX, FormatJSON:
		return f, nil
	}
	return "", core.Errorf(core.EINVALID, "format must be csv, xlsx or json, not %q", s)
}

// ContentType is the media type of a report format.
func ContentType(format string) string {
	switch format {
	case FormatCSV:
		return "text/csv; charset=utf-8"
	case FormatXLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "application/json; charset=utf-8"
}

// ReportFileName names a downloaded report, such as
// punchbot-monthly-2026-11.xlsx.
func ReportFileName(kind, period, format string) string {
	return "punchbot-" + kind + "-" + period + "." + format
}

// column is one report column: its header in each language and its JSON key.
type column struct{ zh, en, key string }

func (c column) header(lang string) string {
	if lang == "en" {
		return c.en
	}
	return c.zh
}

var monthlyColumns = []column{
	{"工号", "Employee ID", "employee_id"},
	{"姓名", "Name", "name"},
	{"部门", "Department", "department"},
	{"应出勤天数", "Workdays", "workdays"},
	{"出勤天数", "Days worked", "days_worked"},
	{"迟到次数", "Late (times)", "late_count"},
	{"迟到分钟", "Late (min)", "late_min"},
	{"严重迟到次数", "Seriously late (times)", "serious_late"},
	{"早退次数", "Early leave (times)", "early_leave"},
	{"早退分钟", "Early leave (min)", "early_min"},
	{"缺卡次数", "Missing punches", "missing_punches"},
	{"旷工天数", "Absences (days)", "absences"},
	{"补卡次数", "Make-ups used", "makeups_used"},
	{"外勤打卡次数", "Field punches", "field_punches"},
	{"工作时长（小时）", "Worked hours", "worked_hours"},
	{"请假天数", "Leave (days)", "leave_days"},
	{"请假时长（小时）", "Leave (hours)", "leave_hours"},
	{"出差天数", "Business trips (days)", "trip_days"},
	{"外出天数", "Outings (days)", "outing_days"},
	{"待审批天数", "Pending approvals (days)", "pending_approvals"},
	// Overtime (加班) by the category payroll pays it at (core/overtime.go);
	// always present, 0 where a schedule has overtime off, so that an
	// import template keeps its columns.
	{"工作日加班（小时）", "Workday overtime (hours)", "overtime_workday_hours"},
	{"休息日加班（小时）", "Rest-day overtime (hours)", "overtime_rest_day_hours"},
	{"节假日加班（小时）", "Holiday overtime (hours)", "overtime_holiday_hours"},
	// Overtime of the kinds a leave type turns into time off (调休,
	// core/comptime.go), left out of the paid columns above.
	{"转调休（小时）", "Overtime as time off (hours)", "overtime_comp_hours"},
	// Employment dates (入职, 离职, core.Employee): 应出勤天数 counts only the
	// days employed; with the working days outside them a clerk pro-rates
	// a mid-month joiner's or leaver's pay. Blank dates: no bound.
	{"入职日期", "Joined", "joined"},
	{"最后工作日（离职）", "Last working day (left)", "left"},
	{"未在职工作日", "Workdays not employed", "not_employed_workdays"},
}

var dailyColumns = []column{
	{"日期", "Date", "date"},
	{"工号", "Employee ID", "employee_id"},
	{"姓名", "Name", "name"},
	{"部门", "Department", "department"},
	{"上班打卡", "First in", "first_in"},
	{"下班打卡", "Last out", "last_out"},
	{"结果", "Result", "result"},
	{"迟到分钟", "Late (min)", "late_min"},
	{"早退分钟", "Early (min)", "early_min"},
	{"工作分钟", "Worked (min)", "worked_min"},
	{"地点", "Site", "site"},
	{"外勤", "Field", "field"},
	{"补卡", "Make-ups", "makeups"},
	{"异常标记", "Flags", "flags"},
	{"请假", "Leave", "leave"},
	{"请假时长（小时）", "Leave (hours)", "leave_hours"},
	{"出差/外出", "Trip / outing", "trip_outing"},
	{"待审批", "Pending approvals", "pending_approvals"},
	{"加班（小时）", "Overtime (hours)", "overtime_hours"},
	{"加班类别", "Overtime category", "overtime_kind"},
}

// MonthlyHeaders are the column headers of a monthly report in lang.
func MonthlyHeaders(lang string) []string { return headers(monthlyColumns, lang) }

// DailyHeaders are the column headers of a daily report in lang.
func DailyHeaders(lang string) []string { return headers(dailyColumns, lang) }

func headers(cols []column, lang string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.header(lang)
	}
	return out
}

// MonthlyCells are the cells of one monthly row, in column order: strings
// and numbers, so that spreadsheets get numbers they can sum.
func MonthlyCells(r core.MonthlyRow) []any {
	return []any{r.EmployeeID, r.Name, r.Department, r.Workdays, r.DaysWorked, r.LateCount, r.LateMin, r.SeriousLate,
		r.EarlyLeave, r.EarlyMin, r.MissingPunches, r.Absences, r.MakeupsUsed, r.FieldPunches, r.WorkedHours(),
		r.LeaveDays, hours(r.LeaveMin), r.TripDays, r.OutingDays, r.PendingApprovals,
		r.OvertimeWorkdayHours(), r.OvertimeRestDayHours(), r.OvertimeHolidayHours(), r.OvertimeCompHours(),
		r.Joined, r.Left, r.NotEmployedWorkdays}
}

// hours is minutes in hours, rounded to two decimals for payroll.
func hours(min int) float64 { return math.Round(float64(min)/60*100) / 100 }

// leaveColumns are the monthly report's columns of each leave type, days
// then hours, after the fixed ones: "年假（天）", "年假（小时）".
func leaveColumns(types []core.LeaveType) []column {
	var out []column
	for _, t := range types {
		out = append(out,
			column{t.Name + "（天）", t.Name + " (days)", "leave_" + t.ID + "_days"},
			column{t.Name + "（小时）", t.Name + " (hours)", "leave_" + t.ID + "_hours"})
	}
	return out
}

// monthlyReportColumns are the fixed columns and the leave types' columns.
func monthlyReportColumns(rep core.MonthlyReport) []column {
	return append(slices.Clone(monthlyColumns), leaveColumns(rep.LeaveTypes)...)
}

// MonthlyReportHeaders are the headers of a whole monthly report in lang:
// MonthlyHeaders, then days and hours of each of its leave types.
func MonthlyReportHeaders(rep core.MonthlyReport, lang string) []string {
	return headers(monthlyReportColumns(rep), lang)
}

// MonthlyReportCells are MonthlyCells, then the row's days and hours of
// each of the report's leave types.
func MonthlyReportCells(rep core.MonthlyReport, r core.MonthlyRow) []any {
	cells := MonthlyCells(r)
	for _, t := range rep.LeaveTypes {
		l := r.LeaveOf(t.ID)
		cells = append(cells, l.Days, hours(l.Minutes))
	}
	return cells
}

// LeaveText names a day's leave in lang with the organisation's type
// names: "年假 0.5天（3小时）", "年假 0.5 d (3 h)".
func LeaveText(r core.DailyRow, types []core.LeaveType, lang string) string {
	var parts []string
	for _, l := range r.Leave {
		name := l.Type
		for _, t := range types {
			if t.ID == l.Type {
				name = t.Name
			}
		}
		h := strconv.FormatFloat(hours(l.Minutes), 'f', -1, 64)
		d := strconv.FormatFloat(l.Days, 'f', -1, 64)
		if lang == "en" {
			parts = append(parts, name+" "+d+" d ("+h+" h)")
		} else {
			parts = append(parts, name+" "+d+"天（"+h+"小时）")
		}
	}
	if lang == "en" {
		return strings.Join(parts, ", ")
	}
	return strings.Join(parts, "、")
}

// TripText says whether an approved trip or outing covers the day, and
// where to: "出差：上海", "trip: Shanghai".
func TripText(r core.DailyRow, lang string) string {
	var words []string
	if r.Trip {
		words = append(words, bots.DayStatusWord(core.DayTrip, lang))
	}
	if r.Outing {
		words = append(words, bots.DayStatusWord(core.DayOuting, lang))
	}
	s := strings.Join(words, "/")
	if s != "" && r.Place != "" {
		if lang == "en" {
			s += ": " + r.Place
		} else {
			s += "：" + r.Place
		}
	}
	return s
}

// DailyCells are the cells of one daily row in lang, in column order;
// leave is named with the default leave types' names (see
// DailyReportCells).
func DailyCells(r core.DailyRow, lang string) []any {
	return DailyReportCells(r, core.DefaultLeaveTypes(), lang)
}

// DailyReportCells are the cells of one daily row, naming leave with the
// report's leave types.
func DailyReportCells(r core.DailyRow, types []core.LeaveType, lang string) []any {
	return []any{r.Date, r.EmployeeID, r.Name, r.Department, ClockOn(r.FirstIn, r.Date), ClockOn(r.LastOut, r.Date),
		ResultText(r, lang), r.LateMin, r.EarlyMin, r.WorkedMin, r.SiteName, yesNo(r.Field, lang), r.Makeups, bots.FlagNotes(r.Flags, lang),
		LeaveText(r, types, lang), hours(r.LeaveMin), TripText(r, lang), r.PendingApprovals,
		r.OvertimeHours(), OvertimeKindText(r, lang)}
}

// overtimeKindCode is the category code of a day's overtime, empty when
// the day has none (as its text is).
func overtimeKindCode(r core.DailyRow) core.OvertimeKind {
	if r.OvertimeMin == 0 {
		return ""
	}
	return r.OvertimeKind
}

// OvertimeKindText names the category of a day's overtime in lang
// ("工作日", "rest day"); empty when the day has none.
func OvertimeKindText(r core.DailyRow, lang string) string {
	if r.OvertimeMin == 0 {
		return ""
	}
	return bots.OvertimeKindWord(r.OvertimeKind, lang)
}

// ClockOn formats a punch time as HH:MM, marking one that falls on a later
// date than the shift (the check-out of an overnight shift) with "+1".
func ClockOn(t time.Time, date string) string {
	if t.IsZero() {
		return ""
	}
	s := t.Format("15:04")
	// Calendar days, not 24-hour periods: the night the clock springs
	// forward is 23 hours long, and a 00:30 check-out after it lost its +1.
	if d, err := time.Parse(core.DateLayout, date); err == nil {
		y, m, dd := t.Date()
		if days := int(time.Date(y, m, dd, 0, 0, 0, 0, time.UTC).Sub(d) / (24 * time.Hour)); days > 0 {
			s += " (+" + strconv.Itoa(days) + ")"
		}
	}
	return s
}

// ResultText names a day's statuses in lang, with the holiday's name.
func ResultText(r core.DailyRow, lang string) string {
	sep := "、"
	if lang == "en" {
		sep = ", "
	}
	words := make([]string, 0, len(r.Statuses))
	for _, st := range r.Statuses {
		w := bots.DayStatusWord(st, lang)
		if st == core.DayHoliday && r.Holiday != "" {
			w += "（" + r.Holiday + "）"
		}
		words = append(words, w)
	}
	return strings.Join(words, sep)
}

func yesNo(b bool, lang string) string {
	switch {
	case b && lang == "en":
		return "yes"
	case b:
		return "是"
	case lang == "en":
		return "no"
	}
	return "否"
}

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
