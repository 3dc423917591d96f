package console

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

// Schedules: working days and hours, grace periods and what happens to a
// punch outside every site.

var schedulesSpec = &entitySpec{
	key: "schedules", entity: "schedules",
	columns: []string{"name", "id", "org_work_days", "org_hours", "org_out_of_range", "org_calendar"},
	rows:    scheduleRows, values: scheduleValues, fields: scheduleFields, apply: applySchedule,
}

var weekdayKeys = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func dayList(p *page, days []time.Weekday) string {
	out := make([]string, len(days))
	for i, d := range days {
		out[i] = p.T("wd_" + weekdayKeys[d])
	}
	return strings.Join(out, p.sep())
}

func calendarName(org core.Org, id string) string {
	for _, c := range org.Calendars {
		if c.ID == id && c.Name != "" && c.Name != id {
			return c.Name + " (" + id + ")"
		}
	}
	return id
}

func scheduleRows(p *page, org core.Org, q string) []listRow {
	var out []listRow
	for _, s := range org.Schedules {
		if q != "" && !containsFold(q, s.ID, s.Name) {
			continue
		}
		out = append(out, listRow{ID: s.ID, Href: "/org/schedules/" + url.PathEscape(s.ID), Cells: []string{
			s.Name, s.ID, dayList(p, s.WorkDays), core.FormatClock(s.StartMin) + "–" + core.FormatClock(s.EndMin),
			p.T("oor_" + string(s.OutOfRange)), calendarName(org, s.CalendarID)}})
	}
	return out
}

// scheduleMinutes are the schedule's minute fields, in form order.
var scheduleMinutes = []string{"check_in_opens_min", "check_out_closes_min", "flexible_min", "late_grace_min", "serious_late_min", "absent_late_min", "early_leave_grace_min"}

func minutesOf(s *core.Schedule) []*int {
	return []*int{&s.CheckInOpensMin, &s.CheckOutClosesMin, &s.FlexibleMin, &s.LateGraceMin, &s.SeriousLateMin, &s.AbsentLateMin, &s.EarlyLeaveGraceMin}
}

func scheduleValues(org core.Org, id string) (url.Values, bool) {
	i := slices.IndexFunc(org.Schedules, func(s core.Schedule) bool { return s.ID == id })
	if i < 0 {
		return nil, false
	}
	s := org.Schedules[i]
	v := url.Values{"id": {s.ID}, "name": {s.Name}, "start": {core.FormatClock(s.StartMin)}, "end": {core.FormatClock(s.EndMin)},
		"out_of_range": {string(s.OutOfRange)}, "calendar": {s.CalendarID}, "punch_mode": {string(s.PunchMode)}, "confirm_within_min": {strconv.Itoa(s.ConfirmWithinMin)}}
	for _, d := range s.WorkDays {
		v.Add("work_days", weekdayKeys[d])
	}
	for k, m := range minutesOf(&s) {
		v.Set(scheduleMinutes[k], strconv.Itoa(*m))
	}
	setOvertimeValues(v, s.Overtime) // orgovertime.go
	return v, true
}

func scheduleFields(p *page, org core.Org, vals url.Values, isNew bool) []formField {
	if isNew && vals.Get("start") == "" {
		vals = url.Values{"id": vals["id"], "name": vals["name"], "start": {"09:00"}, "end": {"18:00"}, "work_days": {"mon", "tue", "wed", "thu", "fri"},
			"check_in_opens_min": {strconv.Itoa(core.DefaultCheckInOpensMin)}, "check_out_closes_min": {strconv.Itoa(core.DefaultCheckOutClosesMin)}, "out_of_range": {"reject"},
			"punch_mode": {string(core.PunchStandard)}, "confirm_within_min": {"10"}}
		setOvertimeValues(vals, core.DefaultOvertimeRule())
	}
	var days []option
	for _, k := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		days = append(days, option{k, p.T("wd_" + k)})
	}
	cals := []option{{"", p.T("org_none")}}
	for _, c := range org.Calendars {
		cals = append(cals, option{c.ID, calendarName(org, c.ID)})
	}
	fields := []formField{
		idField(p, vals, isNew, p.T("org_id_help")),
		{Name: "name", Label: p.T("name"), Type: "text", Value: vals.Get("name"), Required: true},
		{Name: "work_days", Label: p.T("org_work_days"), Type: "checks", Values: vals["work_days"], Options: days},
		{Name: "start", Label: p.T("org_start"), Type: "text", Value: vals.Get("start"), Placeholder: "09:00", Required: true},
		{Name: "end", Label: p.T("org_end"), Type: "text", Value: vals.Get("end"), Placeholder: "18:00", Help: p.T("org_end_help"), Required: true},
	}
	for _, k := range scheduleMinutes {
		fields = append(fields, formField{Name: k, Label: p.T("org_" + k), Type: "number", Value: vals.Get(k), Step: "1"})
	}
	fields = append(fields,
		formField{Name: "out_of_range", Label: p.T("org_out_of_range"), Type: "select", Value: vals.Get("out_of_range"),
			Options: []option{{"reject", p.T("oor_reject")}, {"field", p.T("oor_field")}, {"flag", p.T("oor_flag")}}},
		formField{Name: "calendar", Label: p.T("org_calendar"), Type: "select", Value: vals.Get("calendar"), Options: cals},
		formField{Name: "punch_mode", Label: p.T("org_punch_mode"), Type: "select", Value: vals.Get("punch_mode"),
			Options: []option{{string(core.PunchStandard), p.T("pm_standard")}, {string(core.PunchStrict), p.T("pm_strict")}}},
		formField{Name: "confirm_within_min", Label: p.T("org_confirm_within_min"), Type: "number", Value: vals.Get("confirm_within_min"), Step: "1", Help: p.T("org_confirm_help")})
	return append(fields, overtimeFields(p, vals)...)
}

func applySchedule(org *core.Org, id string, vals url.Values, _ []byte, lang string) (int, fieldErrors) {
	errs := fieldErrors{}
	i := len(org.Schedules)
	if id != "" {
		if i = slices.IndexFunc(org.Schedules, func(s core.Schedule) bool { return s.ID == id }); i < 0 {
			return 0, fieldErrors{"": tr(lang, "not_found")}
		}
	} else {
		org.Schedules = append(org.Schedules, core.Schedule{ID: strings.TrimSpace(vals.Get("id"))})
	}
	s := &org.Schedules[i]
	s.Name = strings.TrimSpace(vals.Get("name"))
	s.WorkDays = nil
	for _, k := range vals["work_days"] {
		if d := slices.Index(weekdayKeys, k); d >= 0 {
			s.WorkDays = append(s.WorkDays, time.Weekday(d))
		}
	}
	if len(s.WorkDays) == 0 {
		errs.add("work_days", tr(lang, "org_no_days"))
	}
	for _, f := range []struct {
		name string
		into *int
	}{{"start", &s.StartMin}, {"end", &s.EndMin}} {
		m, err := core.ParseClock(strings.TrimSpace(vals.Get(f.name)))
		if err != nil {
			errs.add(f.name, tr(lang, "org_not_clock"))
		}
		*f.into = m
	}
	for k, m := range minutesOf(s) {
		*m = intField(vals, scheduleMinutes[k], errs, lang)
	}
	s.OutOfRange = core.OutOfRangePolicy(vals.Get("out_of_range"))
	if _, sent := vals["punch_mode"]; sent {
		s.PunchMode = core.PunchMode(vals.Get("punch_mode"))
		s.ConfirmWithinMin = intField(vals, "confirm_within_min", errs, lang)
	} else if s.PunchMode == "" {
		s.PunchMode, s.ConfirmWithinMin = core.PunchStandard, 10 // the file's defaults
	}
	s.CalendarID = vals.Get("calendar")
	applyOvertime(s, vals, errs, lang) // orgovertime.go
	return i, errs
}
