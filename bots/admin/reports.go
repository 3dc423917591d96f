package admin

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

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
