package admin

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
	"gopkg.in/yaml.v3"
)

// OrgReader reads the whole organisation as applied; the SQL stores and
// coretest.MemStore implement it.
type OrgReader interface {
	Org(ctx context.Context) (core.Org, error)
	// DevicePolicy is the device binding the organisation applied, which
	// Org leaves out; an apply writes it whole, so a reader keeps it.
	DevicePolicy(ctx context.Context) (core.DevicePolicy, error)
}

// The export's shape: the org file's keys, with defaults written out and
// empty values left out, so that MarshalOrg's output parses back to the
// same organisation (TestMarshalOrgRoundTrip).
type exportOrg struct {
	Name      string           `yaml:"name,omitempty"`
	Lang      string           `yaml:"lang,omitempty"`
	TimeZone  string           `yaml:"timezone,omitempty"`
	Sites     []exportSite     `yaml:"sites,omitempty"`
	Calendars []exportCalendar `yaml:"calendars,omitempty"`
	Schedules []exportSchedule `yaml:"schedules,omitempty"`
	Employees []exportEmployee `yaml:"employees,omitempty"`
	Makeup    fileMakeup       `yaml:"makeup"`
	Reminders []exportReminder `yaml:"reminders,omitempty"`
	// LeaveTypes are always written: without them the file would mean the
	// defaults.
	LeaveTypes []fileLeaveType `yaml:"leave_types,omitempty"`
	// DeviceBinding is written unless off (the default): an export applied
	// to a new store must not drop it.
	DeviceBinding string `yaml:"device_binding,omitempty"`
}

type exportSite struct {
	ID       string   `yaml:"id"`
	Name     string   `yaml:"name,omitempty"`
	Lat      float64  `yaml:"lat"`
	Lng      float64  `yaml:"lng"`
	Datum    string   `yaml:"datum,omitempty"`
	RadiusM  float64  `yaml:"radius_m,omitempty"`
	IPRanges []string `yaml:"ip_ranges,omitempty,flow"`
}

type exportCalendar struct {
	ID       string    `yaml:"id"`
	Name     string    `yaml:"name,omitempty"`
	Holidays []fileDay `yaml:"holidays,omitempty"`
	Workdays []fileDay `yaml:"workdays,omitempty"`
}

type exportSchedule struct {
	ID                 string   `yaml:"id"`
	Name               string   `yaml:"name,omitempty"`
	WorkDays           []string `yaml:"work_days,flow"`
	Start              string   `yaml:"start"`
	End                string   `yaml:"end"`
	CheckInOpensMin    int      `yaml:"check_in_opens_min"`
	CheckOutClosesMin  int      `yaml:"check_out_closes_min"`
	FlexibleMin        int      `yaml:"flexible_min,omitempty"`
	LateGraceMin       int      `yaml:"late_grace_min,omitempty"`
	SeriousLateMin     int      `yaml:"serious_late_min,omitempty"`
	AbsentLateMin      int      `yaml:"absent_late_min,omitempty"`
	EarlyLeaveGraceMin int      `yaml:"early_leave_grace_min,omitempty"`
	OutOfRange         string   `yaml:"out_of_range,omitempty"`
	Calendar           string   `yaml:"calendar,omitempty"`
	PunchMode          string   `yaml:"punch_mode,omitempty"`
	ConfirmWithinMin   int      `yaml:"confirm_within_min"`
	// Overtime is written only when it differs from the default (off).
	Overtime *exportOvertime `yaml:"overtime,omitempty"`
	// DeviceBinding is the schedule's own, over the organisation's.
	DeviceBinding string `yaml:"device_binding,omitempty"`
}

type exportEmployee struct {
	ID         string           `yaml:"id"`
	Name       string           `yaml:"name"`
	Lang       string           `yaml:"lang,omitempty"`
	TimeZone   string           `yaml:"timezone,omitempty"`
	Department string           `yaml:"department,omitempty"`
	Role       string           `yaml:"role,omitempty"`
	Manager    string           `yaml:"manager,omitempty"`
	Active     bool             `yaml:"active"`
	Joined     string           `yaml:"joined,omitempty"`
	Left       string           `yaml:"left,omitempty"`
	Schedule   string           `yaml:"schedule,omitempty"`
	Sites      []string         `yaml:"sites,omitempty,flow"`
	Identities []exportIdentity `yaml:"identities,omitempty"`
}

type exportIdentity struct {
	Platform string `yaml:"platform"`
	Tenant   string `yaml:"tenant,omitempty"`
	User     string `yaml:"user"`
}

type exportReminder struct {
	ID             string         `yaml:"id"`
	Kind           string         `yaml:"kind"`
	Cron           string         `yaml:"cron,omitempty"`
	MinutesBefore  int            `yaml:"minutes_before,omitempty"`
	OlderThanHours int            `yaml:"older_than_hours,omitempty"`
	HoursAfter     int            `yaml:"hours_after,omitempty"`
	Text           string         `yaml:"text,omitempty"`
	TextEn         string         `yaml:"text_en,omitempty"`
	Markdown       bool           `yaml:"markdown,omitempty"`
	Audience       exportAudience `yaml:"audience,omitempty"`
	Until          string         `yaml:"until,omitempty"`
	Enabled        bool           `yaml:"enabled"`
}

type exportAudience struct {
	Everyone    bool       `yaml:"everyone,omitempty"`
	Departments []string   `yaml:"departments,omitempty,flow"`
	Employees   []string   `yaml:"employees,omitempty,flow"`
	Chats       []fileChat `yaml:"chats,omitempty"`
}

// MarshalOrg writes an organisation as an org file that ParseOrg reads
// back to the same organisation: what GET /api/v1/org and the console's
// download return, to keep in git and apply later.
//
// Every list is written in id order (calendar days in date order), so the
// same organisation always gives the same file and a diff shows only what
// changed.
func MarshalOrg(org core.Org) ([]byte, error) {
	org = Canonical(org)
	f := exportOrg{Name: org.Name, Lang: org.Lang, TimeZone: org.TimeZone,
		Makeup: fileMakeup{MonthlyQuota: org.Makeup.MonthlyQuota, DeadlineDays: org.Makeup.DeadlineDays, ExpireAfterHours: org.Makeup.ExpireAfterHours}}
	for _, s := range org.Sites {
		d := string(s.Datum)
		if s.Datum == core.WGS84 {
			d = "" // the default
		}
		// As written: a GCJ-02 site's own coordinates with datum: gcj02,
		// which parse back to the same WGS-84 point (not the conversion,
		// which would read as an edit and move again if marked gcj02).
		lat, lng := s.WrittenLatLng()
		f.Sites = append(f.Sites, exportSite{ID: s.ID, Name: s.Name, Lat: lat, Lng: lng, Datum: d, RadiusM: s.RadiusM, IPRanges: s.IPRanges})
	}
	for _, c := range org.Calendars {
		ec := exportCalendar{ID: c.ID, Name: c.Name}
		for _, d := range c.Days {
			if d.Workday {
				ec.Workdays = append(ec.Workdays, fileDay{Date: d.Date, Name: d.Name})
			} else {
				ec.Holidays = append(ec.Holidays, fileDay{Date: d.Date, Name: d.Name, Statutory: d.Statutory})
			}
		}
		f.Calendars = append(f.Calendars, ec)
	}
	for _, s := range org.Schedules {
		es := exportSchedule{ID: s.ID, Name: s.Name, WorkDays: weekdayNames(s.WorkDays), Start: core.FormatClock(s.StartMin), End: core.FormatClock(s.EndMin),
			CheckInOpensMin: s.CheckInOpensMin, CheckOutClosesMin: s.CheckOutClosesMin, FlexibleMin: s.FlexibleMin, LateGraceMin: s.LateGraceMin,
			SeriousLateMin: s.SeriousLateMin, AbsentLateMin: s.AbsentLateMin, EarlyLeaveGraceMin: s.EarlyLeaveGraceMin,
			OutOfRange: string(s.OutOfRange), Calendar: s.CalendarID, PunchMode: string(s.PunchMode), ConfirmWithinMin: s.ConfirmWithinMin,
			Overtime: exportOvertimeRule(s.Overtime), DeviceBinding: string(org.Devices.Schedules[s.ID])}
		f.Schedules = append(f.Schedules, es)
	}
	for _, e := range org.Employees {
		ee := exportEmployee{ID: e.ID, Name: e.Name, Lang: e.Lang, TimeZone: e.TimeZone, Department: e.Department, Role: string(e.Role),
			Manager: e.ManagerID, Active: e.Active, Joined: e.Joined, Left: e.Left, Schedule: e.ScheduleID, Sites: e.SiteIDs}
		for _, id := range e.Identities {
			ee.Identities = append(ee.Identities, exportIdentity{Platform: string(id.Platform), Tenant: id.Tenant, User: id.UserID})
		}
		f.Employees = append(f.Employees, ee)
	}
	for _, r := range org.Reminders {
		er := exportReminder{ID: r.ID, Kind: r.Kind, Cron: r.Cron, MinutesBefore: r.MinutesBefore, OlderThanHours: r.OlderThanHrs, HoursAfter: r.HoursAfter, Text: r.Text, TextEn: r.TextEn,
			Markdown: r.Markdown, Until: r.Until, Enabled: r.Enabled,
			Audience: exportAudience{Everyone: r.Audience.Everyone, Departments: r.Audience.Departments, Employees: r.Audience.Employees}}
		for _, c := range r.Audience.Chats {
			er.Audience.Chats = append(er.Audience.Chats, fileChat{Platform: string(c.Platform), Chat: c.ChatID})
		}
		f.Reminders = append(f.Reminders, er)
	}
	if b := org.Devices.Default; b != core.DeviceBindingOff {
		f.DeviceBinding = string(b)
	}
	for _, t := range org.LeaveTypes {
		f.LeaveTypes = append(f.LeaveTypes, fileLeaveType{ID: t.ID, Name: t.Name, AnnualQuotaDays: t.AnnualQuotaDays, Paid: t.Paid,
			FromOvertime: exportOvertimeKinds(t.FromOvertime), ExpireDays: t.ExpireDays}) // orgcomptime.go
	}
	escaped, err := encodeOrg(f)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(string(escaped), `\U`) {
		return escaped, nil
	}
	// Emoji and other characters beyond U+FFFF are written as they are,
	// not escaped (orgexport_text.go).
	var doc yaml.Node
	if err := doc.Encode(f); err != nil {
		return nil, core.WrapError(core.EINTERNAL, err, "encode the organisation")
	}
	restore := placeholdAstral(&doc)
	if restore == nil {
		return escaped, nil
	}
	held, err := encodeOrg(&doc)
	if err != nil {
		return nil, err
	}
	if out := []byte(restore.Replace(string(held))); sameYAML(out, escaped) {
		return out, nil
	}
	return escaped, nil
}

// encodeOrg writes the export's document with its header comment.
func encodeOrg(doc any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("# punchbot organisation, exported; apply with `punchbot apply -f` or PUT /api/v1/org.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, core.WrapError(core.EINTERNAL, err, "encode the organisation")
	}
	if err := enc.Close(); err != nil {
		return nil, core.WrapError(core.EINTERNAL, err, "encode the organisation")
	}
	return buf.Bytes(), nil
}

// weekdayNames spells days as the file does (mon, tue, …).
func weekdayNames(days []time.Weekday) []string {
	out := make([]string, len(days))
	for i, d := range days {
		out[i] = strings.ToLower(d.String()[:3])
	}
	return out
}

// Canonical returns org with its lists in id order, as MarshalOrg writes
// them, leaving org's own slices untouched.
func Canonical(org core.Org) core.Org {
	byID := func(a, b string) int { return strings.Compare(a, b) }
	org.Sites = slices.Clone(org.Sites)
	slices.SortStableFunc(org.Sites, func(a, b core.OrgSite) int { return byID(a.ID, b.ID) })
	org.Schedules = slices.Clone(org.Schedules)
	slices.SortStableFunc(org.Schedules, func(a, b core.Schedule) int { return byID(a.ID, b.ID) })
	org.Calendars = slices.Clone(org.Calendars)
	slices.SortStableFunc(org.Calendars, func(a, b core.Calendar) int { return byID(a.ID, b.ID) })
	for i := range org.Calendars {
		org.Calendars[i].Days = slices.Clone(org.Calendars[i].Days)
		slices.SortStableFunc(org.Calendars[i].Days, func(a, b core.CalendarDay) int { return byID(a.Date, b.Date) })
	}
	org.Employees = slices.Clone(org.Employees)
	slices.SortStableFunc(org.Employees, func(a, b core.Employee) int { return byID(a.ID, b.ID) })
	org.Reminders = slices.Clone(org.Reminders)
	slices.SortStableFunc(org.Reminders, func(a, b core.Reminder) int { return byID(a.ID, b.ID) })
	return org
}
