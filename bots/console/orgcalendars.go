package console

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

// Calendars: public holidays and 调休 days (weekend days that are worked).
// A holiday may be statutory (法定节假日, 《全国年节及纪念日放假办法》 第二条),
// whose overtime 劳动法 第四十四条 pays at 300%, against 200% on the other
// days off of a holiday block (core.OvertimeKind). A year's days can be
// imported from a CSV file (date,type,name) or an iCalendar file (RFC 5545:
// all-day VEVENTs; a summary with 班 or 调休 or "workday" marks a worked
// day, one with 法定 or "statutory" a statutory holiday); the import
// replaces that year's days and keeps the other years'.

var calendarsSpec = &entitySpec{
	key: "calendars", entity: "calendars", multipart: true,
	columns: []string{"name", "id", "org_holidays", "org_statutory", "org_workdays", "org_years"},
	rows:    calendarRows, values: calendarValues, fields: calendarFields, apply: applyCalendar,
}

func calendarRows(p *page, org core.Org, q string) []listRow {
	var out []listRow
	for _, c := range org.Calendars {
		if q != "" && !containsFold(q, c.ID, c.Name) {
			continue
		}
		holidays, statutory, workdays := 0, 0, 0
		years := map[string]bool{}
		for _, d := range c.Days {
			switch {
			case d.Workday:
				workdays++
			case d.Statutory:
				statutory++
				holidays++
			default:
				holidays++
			}
			years[d.Date[:min(4, len(d.Date))]] = true
		}
		ys := make([]string, 0, len(years))
		for y := range years {
			ys = append(ys, y)
		}
		slices.Sort(ys)
		out = append(out, listRow{ID: c.ID, Href: "/org/calendars/" + url.PathEscape(c.ID), Cells: []string{
			c.Name, c.ID, strconv.Itoa(holidays), strconv.Itoa(statutory), strconv.Itoa(workdays), strings.Join(ys, ", ")}})
	}
	return out
}

func calendarValues(org core.Org, id string) (url.Values, bool) {
	i := slices.IndexFunc(org.Calendars, func(c core.Calendar) bool { return c.ID == id })
	if i < 0 {
		return nil, false
	}
	c := org.Calendars[i]
	return url.Values{"id": {c.ID}, "name": {c.Name}, "days": {dayLines(c.Days)}}, true
}

// dayLines writes days one per line: "2026-10-01 statutory 国庆节",
// "2026-10-04 holiday 国庆节", "2026-10-10 workday 国庆调休".
func dayLines(days []core.CalendarDay) string {
	var b strings.Builder
	for _, d := range days {
		kind := "holiday"
		switch {
		case d.Workday:
			kind = "workday"
		case d.Statutory:
			kind = "statutory"
		}
		fmt.Fprintf(&b, "%s %s %s\n", d.Date, kind, d.Name)
	}
	return b.String()
}

func calendarFields(p *page, org core.Org, vals url.Values, isNew bool) []formField {
	year := vals.Get("year")
	return []formField{
		idField(p, vals, isNew, p.T("org_id_help")),
		{Name: "name", Label: p.T("name"), Type: "text", Value: vals.Get("name")},
		{Name: "days", Label: p.T("org_days"), Type: "textarea", Value: vals.Get("days"), Rows: 10, Placeholder: "2026-10-01 statutory 国庆节\n2026-10-04 holiday 国庆节\n2026-10-10 workday 国庆调休", Help: p.T("org_days_help")},
		{Name: "import", Label: p.T("org_import"), Type: "file", Help: p.T("org_import_help")},
		{Name: "year", Label: p.T("org_import_year"), Type: "number", Value: year, Step: "1", Placeholder: "2027"},
	}
}

func applyCalendar(org *core.Org, id string, vals url.Values, upload []byte, lang string) (int, fieldErrors) {
	errs := fieldErrors{}
	i := len(org.Calendars)
	if id != "" {
		if i = slices.IndexFunc(org.Calendars, func(c core.Calendar) bool { return c.ID == id }); i < 0 {
			return 0, fieldErrors{"": tr(lang, "not_found")}
		}
	} else {
		org.Calendars = append(org.Calendars, core.Calendar{ID: strings.TrimSpace(vals.Get("id"))})
	}
	c := &org.Calendars[i]
	c.Name = strings.TrimSpace(vals.Get("name"))
	days, bad := parseDayLines(vals.Get("days"))
	if bad > 0 {
		errs.add("days", fmt.Sprintf(tr(lang, "org_day_line"), bad))
	}
	if len(bytes.TrimSpace(upload)) > 0 {
		year := strings.TrimSpace(vals.Get("year"))
		if year == "" {
			year = onlyYear(upload) // a file of one year needs no year typed
		}
		if _, err := strconv.Atoi(year); err != nil || len(year) != 4 {
			errs.add("year", tr(lang, "org_year_needed"))
		}
		imported, err := parseCalendarFile(upload, year)
		if err != nil {
			errs.add("import", tr(lang, "org_import_bad")+" "+err.Error())
		} else if len(imported) == 0 {
			errs.add("import", fmt.Sprintf(tr(lang, "org_import_empty"), year))
		}
		// The import replaces the year's days.
		days = slices.DeleteFunc(days, func(d core.CalendarDay) bool { return strings.HasPrefix(d.Date, year+"-") })
		days = append(days, imported...)
	}
	slices.SortStableFunc(days, func(a, b core.CalendarDay) int { return strings.Compare(a.Date, b.Date) })
	c.Days = days
	return i, errs
}

// parseDayLines reads "date [statutory|holiday|workday] [name]" lines; it returns the
// days and the first unreadable line's number (1-based), 0 when all read.
// A bad date is left to the org file's validation, which names it.
func parseDayLines(s string) ([]core.CalendarDay, int) {
	var out []core.CalendarDay
	for n, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		d := core.CalendarDay{Date: f[0]}
		if len(f) > 1 {
			if !dayType(f[1], &d) {
				return out, n + 1
			}
			d.Name = strings.Join(f[2:], " ")
		}
		out = append(out, d)
	}
	return out, 0
}

// dayType reads a day's type in English or Chinese into d: a statutory
// holiday, another day off (such as a weekend a holiday block moved by
// 调休) or a 调休 working day. It reports false for an unknown type.
func dayType(s string, d *core.CalendarDay) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "statutory", "法定", "法定节假日", "法定假日", "法定假":
		d.Workday, d.Statutory = false, true
	case "holiday", "休", "假", "休息", "节假日", "off":
		d.Workday, d.Statutory = false, false
	case "workday", "班", "补班", "调休", "上班", "work":
		d.Workday, d.Statutory = true, false
	default:
		return false
	}
	return true
}

// parseCalendarFile reads a CSV or ICS file's days of year (all of them
// when year is "").
func parseCalendarFile(data []byte, year string) ([]core.CalendarDay, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var days []core.CalendarDay
	var err error
	if bytes.Contains(data[:min(len(data), 200)], []byte("BEGIN:VCALENDAR")) {
		days, err = parseICS(data)
	} else {
		days, err = parseCSV(data)
	}
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(days, func(d core.CalendarDay) bool { return year != "" && !strings.HasPrefix(d.Date, year+"-") }), nil
}

var dateLike = regexp.MustCompile(`^\d{4}-`)

// parseCSV reads rows of date,type,name; a header row is skipped.
func parseCSV(data []byte) ([]core.CalendarDay, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	rows, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	var out []core.CalendarDay
	for i, row := range rows {
		if len(row) == 0 || strings.TrimSpace(row[0]) == "" {
			continue
		}
		date := strings.TrimSpace(row[0])
		if _, err := time.Parse(core.DateLayout, date); err != nil {
			if i == 0 && !dateLike.MatchString(date) {
				continue // a header
			}
			return nil, fmt.Errorf("line %d: %q is not a date like 2027-01-01", i+1, date)
		}
		d := core.CalendarDay{Date: date}
		if len(row) > 1 && !dayType(row[1], &d) {
			return nil, fmt.Errorf("line %d: %q is not statutory, holiday or workday", i+1, row[1])
		}
		if len(row) > 2 {
			d.Name = strings.TrimSpace(row[2])
		}
		out = append(out, d)
	}
	return out, nil
}

// parseICS reads all-day events (RFC 5545 §3.6.1: DTSTART;VALUE=DATE,
// DTEND exclusive) into one day per date; folded lines are unfolded
// (§3.1).
func parseICS(data []byte) ([]core.CalendarDay, error) {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), maxUpload)
	for sc.Scan() {
		l := strings.TrimRight(sc.Text(), "\r")
		if (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && len(lines) > 0 {
			lines[len(lines)-1] += l[1:]
			continue
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var out []core.CalendarDay
	var start, end, summary string
	in := false
	for _, l := range lines {
		name, value, _ := strings.Cut(l, ":")
		prop, _, _ := strings.Cut(name, ";")
		switch strings.ToUpper(prop) {
		case "BEGIN":
			if strings.EqualFold(value, "VEVENT") {
				in, start, end, summary = true, "", "", ""
			}
		case "DTSTART":
			start = value
		case "DTEND":
			end = value
		case "SUMMARY":
			summary = strings.NewReplacer(`\,`, ",", `\;`, ";", `\n`, " ").Replace(value)
		case "END":
			if !in || !strings.EqualFold(value, "VEVENT") {
				continue
			}
			in = false
			from, err := time.Parse("20060102", firstN(start, 8))
			if err != nil {
				return nil, fmt.Errorf("DTSTART %q is not a date", start)
			}
			to := from.AddDate(0, 0, 1)
			if end != "" {
				if to, err = time.Parse("20060102", firstN(end, 8)); err != nil {
					return nil, fmt.Errorf("DTEND %q is not a date", end)
				}
			}
			work := strings.Contains(summary, "班") || strings.Contains(summary, "调休") || strings.Contains(strings.ToLower(summary), "workday")
			statutory := !work && (strings.Contains(summary, "法定") || strings.Contains(strings.ToLower(summary), "statutory"))
			for d := from; d.Before(to) && len(out) < 400; d = d.AddDate(0, 0, 1) {
				out = append(out, core.CalendarDay{Date: d.Format(core.DateLayout), Workday: work, Statutory: statutory, Name: summary})
			}
		}
	}
	return out, nil
}

func firstN(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// onlyYear is the year of every date in a calendar file, or "" when it
// has none or several.
func onlyYear(data []byte) string {
	days, err := parseCalendarFile(data, "")
	if err != nil || len(days) == 0 {
		return ""
	}
	year := days[0].Date[:4]
	for _, d := range days {
		if !strings.HasPrefix(d.Date, year) {
			return ""
		}
	}
	return year
}
