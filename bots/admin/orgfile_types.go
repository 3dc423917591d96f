package admin

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
	"gopkg.in/yaml.v3"
)

// The organisation file's shape, and the values that read their own
// node (times of day, weekday lists, calendar days).

// The file's shape. Pointer fields tell an omitted key (take the default)
// from an explicit zero.
type fileOrg struct {
	Name      string         `yaml:"name"`
	Lang      string         `yaml:"lang"`
	TimeZone  string         `yaml:"timezone"`
	Sites     []fileSite     `yaml:"sites"`
	Calendars []fileCalendar `yaml:"calendars"`
	Schedules []fileSchedule `yaml:"schedules"`
	Employees []fileEmployee `yaml:"employees"`
	Makeup    fileMakeup     `yaml:"makeup"`
	Reminders []fileReminder `yaml:"reminders"`
	// LeaveTypes are the kinds of leave people may request; absent, the
	// defaults (annual 年假, sick 病假, personal 事假).
	LeaveTypes []fileLeaveType `yaml:"leave_types"`
	// DeviceBinding is off, optional or required (orgdevices.go).
	DeviceBinding string `yaml:"device_binding"`
}

// fileLeaveType is one entry of leave_types.
type fileLeaveType struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// AnnualQuotaDays is the days per calendar year, in halves; 0 or
	// absent keeps no balance.
	AnnualQuotaDays float64 `yaml:"annual_quota_days"`
	Paid            bool    `yaml:"paid"`
	// FromOvertime makes the type time off in lieu of overtime (调休,
	// orgcomptime.go); ExpireDays lapses earned time, 0 never.
	FromOvertime []string `yaml:"from_overtime,omitempty"`
	ExpireDays   int      `yaml:"expire_days,omitempty"`
}

type fileSite struct {
	ID       string   `yaml:"id"`
	Name     string   `yaml:"name"`
	Lat      *float64 `yaml:"lat"`
	Lng      *float64 `yaml:"lng"`
	Datum    string   `yaml:"datum"`
	RadiusM  float64  `yaml:"radius_m"`
	IPRanges []string `yaml:"ip_ranges"`
}

type fileCalendar struct {
	ID       string    `yaml:"id"`
	Name     string    `yaml:"name"`
	Holidays []fileDay `yaml:"holidays"`
	Workdays []fileDay `yaml:"workdays"`
}

type fileDay struct {
	Date string `yaml:"date"`
	Name string `yaml:"name"`
	// Statutory marks a holiday as a statutory holiday (法定节假日), whose
	// overtime is paid at 300% (core.CalendarDay.Statutory).
	Statutory bool `yaml:"statutory,omitempty"`
}

type fileSchedule struct {
	ID                 string    `yaml:"id"`
	Name               string    `yaml:"name"`
	WorkDays           *weekdays `yaml:"work_days"`
	Start              *clock    `yaml:"start"`
	End                *clock    `yaml:"end"`
	CheckInOpensMin    *int      `yaml:"check_in_opens_min"`
	CheckOutClosesMin  *int      `yaml:"check_out_closes_min"`
	FlexibleMin        int       `yaml:"flexible_min"`
	LateGraceMin       int       `yaml:"late_grace_min"`
	SeriousLateMin     int       `yaml:"serious_late_min"`
	AbsentLateMin      int       `yaml:"absent_late_min"`
	EarlyLeaveGraceMin int       `yaml:"early_leave_grace_min"`
	OutOfRange         string    `yaml:"out_of_range"`
	Calendar           string    `yaml:"calendar"`
	// PunchMode is standard (first in, last out count) or strict
	// (one clock-in, then one clock-out); empty is standard.
	PunchMode string `yaml:"punch_mode"`
	// ConfirmWithinMin asks to confirm a clock-out this soon after the
	// clock-in, and any early leave beyond grace; absent is 10, 0 is off.
	ConfirmWithinMin *int `yaml:"confirm_within_min"`
	// DeviceBinding overrides the organisation's for this schedule.
	DeviceBinding string `yaml:"device_binding"`
	// Overtime is the schedule's overtime (加班) rule (orgovertime.go).
	Overtime *fileOvertime `yaml:"overtime"`
}

// defaultConfirmWithinMin is confirm_within_min when the file leaves it out.
const defaultConfirmWithinMin = 10

type fileEmployee struct {
	ID         string `yaml:"id"`
	Name       string `yaml:"name"`
	Lang       string `yaml:"lang"`
	TimeZone   string `yaml:"timezone"`
	Department string `yaml:"department"`
	Role       string `yaml:"role"`
	Manager    string `yaml:"manager"`
	Active     *bool  `yaml:"active"`
	// Joined and Left are the first and last working day (入职, 离职),
	// YYYY-MM-DD in the employee's zone; core.Employee says what they do.
	Joined     string         `yaml:"joined"`
	Left       string         `yaml:"left"`
	Schedule   string         `yaml:"schedule"`
	Sites      []string       `yaml:"sites"`
	Identities []fileIdentity `yaml:"identities"`
}

type fileIdentity struct {
	Platform string `yaml:"platform"`
	Tenant   string `yaml:"tenant"`
	User     string `yaml:"user"`
}

type fileMakeup struct {
	MonthlyQuota     int `yaml:"monthly_quota"`
	DeadlineDays     int `yaml:"deadline_days"`
	ExpireAfterHours int `yaml:"expire_after_hours"`
}

type fileReminder struct {
	ID             string `yaml:"id"`
	Kind           string `yaml:"kind"`
	Cron           string `yaml:"cron"`
	MinutesBefore  int    `yaml:"minutes_before"`
	OlderThanHours int    `yaml:"older_than_hours"`
	// HoursAfter is, for still_clocked_in, the hours after a clock-in
	// (absent: 9).
	HoursAfter int `yaml:"hours_after"`
	// Text is the Chinese text (or the one text for everybody), TextEn
	// the English one that people whose lang is en get instead.
	Text     string       `yaml:"text"`
	TextEn   string       `yaml:"text_en"`
	Markdown bool         `yaml:"markdown"`
	Audience fileAudience `yaml:"audience"`
	Until    string       `yaml:"until"`
	Enabled  *bool        `yaml:"enabled"`
}

type fileAudience struct {
	Everyone    bool       `yaml:"everyone"`
	Departments []string   `yaml:"departments"`
	Employees   []string   `yaml:"employees"`
	Chats       []fileChat `yaml:"chats"`
}

type fileChat struct {
	Platform string `yaml:"platform"`
	Chat     string `yaml:"chat"`
}

// clock is a time of day written "09:00", or past midnight ("26:00") for
// the end of an overnight shift.
type clock int

var clockForm = regexp.MustCompile(`^\d{1,2}:\d{2}$`)

func (c *clock) decodeYAML(p *parser, n *yaml.Node, path string) {
	if n.Kind == yaml.ScalarNode && clockForm.MatchString(n.Value) {
		if m, err := core.ParseClock(n.Value); err == nil {
			*c = clock(m)
			return
		}
	}
	hint := ""
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		// YAML 1.1 readers turn an unquoted 9:00 into 540; yaml.v3 does not,
		// but a bare number here is almost always that mistake.
		hint = `; quote it, e.g. "09:00"`
	}
	p.fail(n, path, "%s is not a time like \"09:00\" (minutes 00-59; \"26:00\" is 02:00 the next day)%s", show(n), hint)
}

// weekdays is a list of day names in English or Chinese.
type weekdays []time.Weekday

// dayNames maps every accepted spelling of a weekday to its value.
func dayNames() map[string]time.Weekday {
	m := map[string]time.Weekday{}
	zh := []string{"日", "一", "二", "三", "四", "五", "六"}
	for d := time.Sunday; d <= time.Saturday; d++ {
		full := strings.ToLower(d.String())
		m[full] = d
		m[full[:3]] = d
		m["周"+zh[d]] = d
		m["星期"+zh[d]] = d
	}
	m["周天"], m["星期天"] = time.Sunday, time.Sunday
	m["tues"], m["weds"], m["thur"], m["thurs"] = time.Tuesday, time.Wednesday, time.Thursday, time.Thursday
	return m
}

func (w *weekdays) decodeYAML(p *parser, n *yaml.Node, path string) {
	if n.Kind != yaml.SequenceNode {
		p.fail(n, path, "must be a list of days such as [mon, tue, wed, thu, fri]")
		return
	}
	names := dayNames()
	out := weekdays{}
	seen := map[time.Weekday]bool{}
	for i, item := range n.Content {
		ip := fmt.Sprintf("%s[%d]", path, i)
		p.pos[ip] = position{item.Line, item.Column}
		d, ok := names[strings.ToLower(strings.TrimSpace(item.Value))]
		if item.Kind != yaml.ScalarNode || !ok {
			p.fail(item, ip, "%s is not a day of the week (use mon..sun, monday..sunday or 周一..周日)", show(item))
			continue
		}
		if seen[d] {
			p.fail(item, ip, "%s is listed twice", strings.ToLower(d.String()))
			continue
		}
		seen[d] = true
		out = append(out, d)
	}
	if len(n.Content) == 0 {
		p.fail(n, path, "must name at least one day (leave work_days out for mon..fri)")
	}
	*w = out
}

// decodeYAML accepts either {date: 2026-10-01, name: 国庆节} or a bare date.
func (d *fileDay) decodeYAML(p *parser, n *yaml.Node, path string) {
	if n.Kind == yaml.ScalarNode {
		d.Date = n.Value
		return
	}
	p.mapping(n, path, reflect.ValueOf(d).Elem())
}
