package admin

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

// Converting the file into a core.Org, and mapping core's validation
// errors back to the file's lines.

// lower normalises enumerations so "GCJ-02", "Slack" and "HR" are accepted.
func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func datum(s string) core.Datum {
	switch d := strings.ReplaceAll(lower(s), "-", ""); d {
	case "wgs84", "gcj02":
		return core.Datum(d)
	default:
		return core.Datum(s)
	}
}

// toCore converts the file into a core.Org. aliases maps the core's paths
// to file paths where their shapes differ (calendar days).
func (p *parser) toCore(f *fileOrg) (core.Org, map[string]string) {
	aliases := map[string]string{}
	org := core.Org{Name: f.Name, Lang: lower(f.Lang), TimeZone: strings.TrimSpace(f.TimeZone)}
	org.Devices.Default = p.deviceBinding(f.DeviceBinding, "device_binding") // orgdevices.go
	for i, s := range f.Sites {
		path := fmt.Sprintf("sites[%d]", i)
		if s.Lat == nil {
			p.missing(path + ".lat")
		}
		if s.Lng == nil {
			p.missing(path + ".lng")
		}
		if s.Lat == nil || s.Lng == nil {
			p.failed[path+".lat"] = true // the core would only repeat it as 0,0
		}
		site := core.OrgSite{Site: core.Site{ID: s.ID, Name: s.Name, RadiusM: s.RadiusM, IPRanges: s.IPRanges}, Datum: datum(s.Datum)}
		if s.Lat != nil {
			site.Lat = *s.Lat
		}
		if s.Lng != nil {
			site.Lng = *s.Lng
		}
		org.Sites = append(org.Sites, site)
	}
	for i, c := range f.Calendars {
		cal := core.Calendar{ID: c.ID, Name: c.Name}
		for _, list := range []struct {
			key     string
			days    []fileDay
			workday bool
		}{{"holidays", c.Holidays, false}, {"workdays", c.Workdays, true}} {
			for j, d := range list.days {
				path := fmt.Sprintf("calendars[%d].%s[%d]", i, list.key, j)
				if list.workday && d.Statutory {
					p.add(p.position(path+".statutory"), path+".statutory", "only a holiday can be statutory: a 调休 working day is worked")
					d.Statutory = false // reported here, not again by the core
				}
				aliases[fmt.Sprintf("calendars[%d].days[%d]", i, len(cal.Days))] = path + ".date"
				cal.Days = append(cal.Days, core.CalendarDay{Date: strings.TrimSpace(d.Date), Workday: list.workday, Statutory: d.Statutory, Name: d.Name})
			}
		}
		org.Calendars = append(org.Calendars, cal)
	}
	for i, s := range f.Schedules {
		path := fmt.Sprintf("schedules[%d]", i)
		sc := core.Schedule{
			ID: s.ID, Name: s.Name,
			CheckInOpensMin: core.DefaultCheckInOpensMin, CheckOutClosesMin: core.DefaultCheckOutClosesMin,
			FlexibleMin: s.FlexibleMin, LateGraceMin: s.LateGraceMin, SeriousLateMin: s.SeriousLateMin,
			AbsentLateMin: s.AbsentLateMin, EarlyLeaveGraceMin: s.EarlyLeaveGraceMin,
			OutOfRange: core.OutOfRangePolicy(lower(s.OutOfRange)), CalendarID: s.Calendar,
		}
		if s.WorkDays != nil {
			sc.WorkDays = []time.Weekday(*s.WorkDays)
		} else {
			sc.WorkDays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
		}
		// A missing start or end is reported here; the core would only add
		// a confusing "end must be after start".
		if s.Start == nil && !p.failed[path+".start"] {
			p.missing(path + ".start")
		}
		if s.End == nil && !p.failed[path+".end"] {
			p.missing(path + ".end")
		}
		if s.Start == nil || s.End == nil {
			p.failed[path+".start"], p.failed[path+".end"] = true, true
		}
		if s.Start != nil {
			sc.StartMin = int(*s.Start)
		}
		if s.End != nil {
			sc.EndMin = int(*s.End)
		}
		if s.CheckInOpensMin != nil {
			sc.CheckInOpensMin = *s.CheckInOpensMin
		}
		if s.CheckOutClosesMin != nil {
			sc.CheckOutClosesMin = *s.CheckOutClosesMin
		}
		p.punchRules(s, path, &sc)
		sc.Overtime = overtimeRule(s.Overtime)
		p.scheduleBinding(&org, s, path) // orgdevices.go
		org.Schedules = append(org.Schedules, sc)
	}
	for _, e := range f.Employees {
		emp := core.Employee{
			ID: e.ID, Name: e.Name, Lang: lower(e.Lang), TimeZone: strings.TrimSpace(e.TimeZone),
			ManagerID: e.Manager, Department: e.Department, Role: core.Role(lower(e.Role)),
			Active: e.Active == nil || *e.Active, ScheduleID: e.Schedule, SiteIDs: e.Sites,
			Joined: e.Joined, Left: e.Left,
		}
		for _, id := range e.Identities {
			emp.Identities = append(emp.Identities, core.Identity{Platform: core.Platform(lower(id.Platform)), Tenant: id.Tenant, UserID: id.User, EmployeeID: e.ID})
		}
		org.Employees = append(org.Employees, emp)
	}
	m := f.Makeup
	for _, v := range []struct {
		key string
		val int
	}{{"monthly_quota", m.MonthlyQuota}, {"deadline_days", m.DeadlineDays}, {"expire_after_hours", m.ExpireAfterHours}} {
		if v.val < 0 {
			p.add(p.position("makeup."+v.key), "makeup."+v.key, "must not be negative")
			p.failed["makeup"] = true
		}
	}
	org.Makeup = core.MakeupPolicy{MonthlyQuota: m.MonthlyQuota, DeadlineDays: m.DeadlineDays, ExpireAfterHours: m.ExpireAfterHours}
	org.LeaveTypes = p.leaveTypes(f.LeaveTypes)
	for _, r := range f.Reminders {
		rem := core.Reminder{
			ID: r.ID, Kind: lower(r.Kind), Cron: strings.TrimSpace(r.Cron), MinutesBefore: r.MinutesBefore,
			OlderThanHrs: r.OlderThanHours, HoursAfter: r.HoursAfter, Text: r.Text, TextEn: r.TextEn, Markdown: r.Markdown, Until: strings.TrimSpace(r.Until),
			Enabled:  r.Enabled == nil || *r.Enabled,
			Audience: core.Audience{Everyone: r.Audience.Everyone, Departments: r.Audience.Departments, Employees: r.Audience.Employees},
		}
		for _, c := range r.Audience.Chats {
			rem.Audience.Chats = append(rem.Audience.Chats, core.ChatTarget{Platform: core.Platform(lower(c.Platform)), ChatID: c.Chat})
		}
		org.Reminders = append(org.Reminders, rem)
	}
	return org, aliases
}

// coreProblem records a validation error from core.Org.Prepare at the line
// of the field it names, unless that field was already reported.
func (p *parser) coreProblem(fe core.FieldError, org core.Org, aliases map[string]string) {
	path := fe.Path
	if a, ok := aliases[path]; ok {
		path = a
	}
	if path == "employees" && strings.HasPrefix(fe.Message, "manager chain") {
		// The core names no employee; point at a manager field in the loop.
		if i := cycleMember(org.Employees); i >= 0 {
			path = fmt.Sprintf("employees[%d].manager", i)
		}
	}
	for q := path; ; {
		if p.failed[q] {
			return
		}
		i := strings.LastIndexAny(q, ".[")
		if i < 0 {
			break
		}
		q = q[:i]
	}
	at := p.position(path)
	p.problems = append(p.problems, Problem{Line: at.line, Column: at.column, Field: path, Message: fe.Message})
}

// cycleMember returns the index of an employee whose manager chain loops
// back to them, or -1.
func cycleMember(emps []core.Employee) int {
	index := map[string]int{}
	for i, e := range emps {
		if _, dup := index[e.ID]; !dup {
			index[e.ID] = i
		}
	}
	for _, e := range emps {
		seen := map[string]bool{}
		for id := e.ID; id != ""; {
			if seen[id] {
				return index[id]
			}
			seen[id] = true
			i, ok := index[id]
			if !ok {
				break
			}
			id = emps[i].ManagerID
		}
	}
	return -1
}

// punchRules reads a schedule's punch_mode and confirm_within_min.
func (p *parser) punchRules(s fileSchedule, path string, sc *core.Schedule) {
	sc.PunchMode = core.PunchMode(lower(s.PunchMode))
	if sc.PunchMode == "" {
		sc.PunchMode = core.PunchStandard
	}
	if !core.ValidPunchMode(sc.PunchMode) {
		p.add(p.position(path+".punch_mode"), path+".punch_mode", "must be standard or strict, not %q", s.PunchMode)
		p.failed[path+".punch_mode"] = true
	}
	sc.ConfirmWithinMin = defaultConfirmWithinMin
	if s.ConfirmWithinMin != nil {
		sc.ConfirmWithinMin = *s.ConfirmWithinMin
	}
	if sc.ConfirmWithinMin < 0 || sc.ConfirmWithinMin > 24*60 {
		p.add(p.position(path+".confirm_within_min"), path+".confirm_within_min", "must be between 0 and 1440 minutes (0 turns confirmation off)")
		p.failed[path+".confirm_within_min"] = true
	}
}

// leaveTypeID is what a leave type id may be: it is typed in chat
// ("leave 12-03 annual") and appears in report columns.
var leaveTypeID = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// leaveTypes validates leave_types and returns them, or the defaults when
// the file has none.
func (p *parser) leaveTypes(list []fileLeaveType) []core.LeaveType {
	if len(list) == 0 {
		return core.DefaultLeaveTypes()
	}
	if len(list) > core.MaxLeaveTypes {
		p.add(p.position("leave_types"), "leave_types", "has %d types; at most %d are allowed", len(list), core.MaxLeaveTypes)
	}
	var out []core.LeaveType
	seen := map[string]int{}
	for i, lt := range list {
		path := fmt.Sprintf("leave_types[%d]", i)
		id := lower(lt.ID)
		switch {
		case id == "":
			p.missing(path + ".id")
		case !leaveTypeID.MatchString(id):
			p.add(p.position(path+".id"), path+".id", "%q is not a leave type id: use lowercase letters, digits, - and _, starting with a letter (for example annual)", lt.ID)
		default:
			if j, dup := seen[id]; dup {
				p.add(p.position(path+".id"), path+".id", "duplicate leave type id %q (also leave_types[%d])", id, j)
			}
			seen[id] = i
		}
		name := strings.TrimSpace(lt.Name)
		if name == "" {
			p.missing(path + ".name")
		}
		switch q := lt.AnnualQuotaDays; {
		case q < 0:
			p.add(p.position(path+".annual_quota_days"), path+".annual_quota_days", "must not be negative")
		case q > 366:
			p.add(p.position(path+".annual_quota_days"), path+".annual_quota_days", "%v days is more than a year", q)
		case q*2 != math.Trunc(q*2):
			p.add(p.position(path+".annual_quota_days"), path+".annual_quota_days", "%v is not a whole or half number of days", q)
		}
		t := core.LeaveType{ID: id, Name: name, AnnualQuotaDays: lt.AnnualQuotaDays, Paid: lt.Paid}
		p.compLeaveType(path, lt, &t) // orgcomptime.go
		out = append(out, t)
	}
	return out
}
