package admin

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"gopkg.in/yaml.v3"
)

// fullOrg exercises every key of the format.
const fullOrg = `name: Acme 远程办公
lang: zh
timezone: Asia/Shanghai
sites:
  - id: wangjing
    name: 望京SOHO
    lat: 39.99
    lng: 116.48
    datum: gcj02
    radius_m: 300
    ip_ranges: [203.0.113.0/24]
  - id: home
    lat: 31.2
    lng: 121.5
calendars:
  - id: cn-2026
    holidays: [{date: 2026-10-01, name: 国庆节, statutory: true}, 2026-10-02]
    workdays: [{date: 2026-10-10, name: 国庆调休}]
schedules:
  - id: day
    name: 标准班
    work_days: [mon, Tuesday, 周三, thu, fri]
    start: "09:00"
    end: "18:00"
    flexible_min: 0
    late_grace_min: 5
    serious_late_min: 30
    absent_late_min: 120
    early_leave_grace_min: 0
    out_of_range: reject
    calendar: cn-2026
  - id: night
    start: "18:00"
    end: "26:00"
    check_in_opens_min: 0
    check_out_closes_min: 30
    out_of_range: field
    punch_mode: strict
    confirm_within_min: 0
    overtime:
      mode: punch
      starts_after_min: 60
      min_min: 30
      unit_min: 15
employees:
  - id: E001
    name: 张三
    lang: zh
    timezone: Asia/Shanghai
    department: 研发
    role: employee
    manager: E100
    active: true
    schedule: day
    sites: [wangjing]
    identities:
      - {platform: wecom, tenant: ww123, user: zhangsan}
      - {platform: feishu, user: ou_xxx}
      - {platform: slack, tenant: T123, user: U123}
  - id: E100
    name: Bob
    lang: en
    timezone: Europe/London
    role: manager
    active: false
    schedule: night
    sites: [wangjing, home]
makeup:
  monthly_quota: 3
  deadline_days: 7
  expire_after_hours: 72
reminders:
  - id: morning
    kind: punch_in
    minutes_before: 10
  - id: policy
    kind: broadcast
    cron: "CRON_TZ=Asia/Shanghai 0 10 * * MON"
    text: "请记得..."
    markdown: false
    audience: {everyone: true, departments: [], employees: [E001], chats: [{platform: slack, chat: C123}]}
    until: 2026-12-31
    enabled: false
`

func TestParseOrgFull(t *testing.T) {
	got, err := ParseOrg([]byte(fullOrg))
	if err != nil {
		t.Fatalf("ParseOrg: %v", err)
	}
	lat, lng := core.GCJ02ToWGS84(39.99, 116.48)
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	want := core.Org{
		Name: "Acme 远程办公", Lang: "zh", TimeZone: "Asia/Shanghai",
		Sites: []core.OrgSite{
			{Site: core.Site{ID: "wangjing", Name: "望京SOHO", Lat: lat, Lng: lng, RadiusM: 300, IPRanges: []string{"203.0.113.0/24"}}, Datum: core.GCJ02,
				Written: &core.LatLng{Lat: 39.99, Lng: 116.48}},
			{Site: core.Site{ID: "home", Name: "home", Lat: 31.2, Lng: 121.5, RadiusM: core.DefaultRadiusM}, Datum: core.WGS84},
		},
		Calendars: []core.Calendar{{ID: "cn-2026", Days: []core.CalendarDay{
			{Date: "2026-10-01", Statutory: true, Name: "国庆节"}, {Date: "2026-10-02"}, {Date: "2026-10-10", Workday: true, Name: "国庆调休"},
		}}},
		Schedules: []core.Schedule{
			{ID: "day", Name: "标准班", WorkDays: weekdays, StartMin: 540, EndMin: 1080,
				CheckInOpensMin: core.DefaultCheckInOpensMin, CheckOutClosesMin: core.DefaultCheckOutClosesMin,
				LateGraceMin: 5, SeriousLateMin: 30, AbsentLateMin: 120, OutOfRange: core.OutOfRangeReject, CalendarID: "cn-2026",
				PunchMode: core.PunchStandard, ConfirmWithinMin: 10, Overtime: core.DefaultOvertimeRule()},
			{ID: "night", WorkDays: weekdays, StartMin: 1080, EndMin: 1560, CheckInOpensMin: 0, CheckOutClosesMin: 30, OutOfRange: core.OutOfRangeField,
				PunchMode: core.PunchStrict, Overtime: core.OvertimeRule{Mode: core.OvertimePunch, StartsAfterMin: 60, MinMin: 30, UnitMin: 15}},
		},
		Employees: []core.Employee{
			{ID: "E001", Name: "张三", Lang: "zh", TimeZone: "Asia/Shanghai", Department: "研发", Role: core.RoleEmployee, ManagerID: "E100",
				Active: true, ScheduleID: "day", SiteIDs: []string{"wangjing"}, Identities: []core.Identity{
					{Platform: core.PlatformWeCom, Tenant: "ww123", UserID: "zhangsan", EmployeeID: "E001"},
					{Platform: core.PlatformFeishu, UserID: "ou_xxx", EmployeeID: "E001"},
					{Platform: core.PlatformSlack, Tenant: "T123", UserID: "U123", EmployeeID: "E001"},
				}},
			{ID: "E100", Name: "Bob", Lang: "en", TimeZone: "Europe/London", Role: core.RoleManager, Active: false,
				ScheduleID: "night", SiteIDs: []string{"wangjing", "home"}},
		},
		Makeup: core.MakeupPolicy{MonthlyQuota: 3, DeadlineDays: 7, ExpireAfterHours: 72},
		Reminders: []core.Reminder{
			{ID: "morning", Kind: core.ReminderPunchIn, MinutesBefore: 10, Enabled: true},
			{ID: "policy", Kind: core.ReminderBroadcast, Cron: "CRON_TZ=Asia/Shanghai 0 10 * * MON", Text: "请记得...",
				Audience: core.Audience{Everyone: true, Departments: []string{}, Employees: []string{"E001"}, Chats: []core.ChatTarget{{Platform: core.PlatformSlack, ChatID: "C123"}}},
				Until:    "2026-12-31", Enabled: false},
		},
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"header", [3]string{got.Name, got.Lang, got.TimeZone}, [3]string{want.Name, want.Lang, want.TimeZone}},
		{"sites", got.Sites, want.Sites},
		{"calendars", got.Calendars, want.Calendars},
		{"schedules", got.Schedules, want.Schedules},
		{"employees", got.Employees, want.Employees},
		{"makeup", got.Makeup, want.Makeup},
		{"reminders", got.Reminders, want.Reminders},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, c.got, c.want)
		}
	}
	// The GCJ-02 site really moved: a few hundred metres in Beijing.
	if d := core.DistanceM(39.99, 116.48, got.Sites[0].Lat, got.Sites[0].Lng); d < 200 || d > 1000 {
		t.Errorf("GCJ-02 conversion moved the site %.0f m, want a few hundred", d)
	}
}

// TestParseOrgJSON accepts the same document written as JSON.
func TestParseOrgJSON(t *testing.T) {
	doc := `{"name": "Acme", "sites": [{"id": "hq", "lat": 39.9, "lng": 116.4}],
 "schedules": [{"id": "day", "start": "09:00", "end": "18:00", "check_in_opens_min": 0}],
 "employees": [{"id": "E1", "name": "Ann", "schedule": "day", "sites": ["hq"], "identities": [{"platform": "slack", "user": "U1"}]}]}`
	org, err := ParseOrg([]byte(doc))
	if err != nil {
		t.Fatalf("ParseOrg: %v", err)
	}
	if got := org.Schedules[0]; got.CheckInOpensMin != 0 || got.CheckOutClosesMin != core.DefaultCheckOutClosesMin {
		t.Errorf("window = %d/%d, want explicit 0 and default %d", got.CheckInOpensMin, got.CheckOutClosesMin, core.DefaultCheckOutClosesMin)
	}
	if got := org.Employees[0].Identities[0]; got.UserID != "U1" || got.EmployeeID != "E1" {
		t.Errorf("identity = %+v", got)
	}
}

// TestParseOrgMergeKeys lets authors share settings with YAML anchors.
func TestParseOrgMergeKeys(t *testing.T) {
	doc := `schedules:
  - &base
    id: day
    start: "09:00"
    end: "18:00"
    late_grace_min: 5
  - <<: *base
    id: late
    start: "10:00"
    end: "19:00"
`
	org, err := ParseOrg([]byte(doc))
	if err != nil {
		t.Fatalf("ParseOrg: %v", err)
	}
	if got := org.Schedules[1]; got.ID != "late" || got.StartMin != 600 || got.LateGraceMin != 5 {
		t.Errorf("merged schedule = %+v, want id late, start 600, grace 5", got)
	}
}

// lineOf returns the 1-based line of the first line containing marker.
func lineOf(tb testing.TB, doc, marker string) int {
	tb.Helper()
	for i, l := range strings.Split(doc, "\n") {
		if strings.Contains(l, marker) {
			return i + 1
		}
	}
	tb.Fatalf("marker %q not in document", marker)
	return 0
}

// MustFileError asserts err is a *FileError and returns it.
func MustFileError(tb testing.TB, err error) *FileError {
	tb.Helper()
	var fe *FileError
	if !errors.As(err, &fe) {
		tb.Fatalf("error = %v (%T), want *FileError", err, err)
	}
	return fe
}

// base is a valid document the bad cases below are variations of; each
// case marks its offending line with "# <-".
const base = `name: Acme
sites:
  - id: hq
    lat: 39.9
    lng: 116.4
schedules:
  - id: day
    start: "09:00"
    end: "18:00"
employees:
  - id: E1
    name: Ann
    schedule: day
    sites: [hq]
`

func TestParseOrgProblems(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		field string
		msg   string // substring of the message
	}{
		{"unknown key", base + "    manger: E2  # <-\n", "employees[0].manger", `did you mean "manager"`},
		{"unknown top-level key", "nmae: x  # <-\n", "nmae", `did you mean "name"`},
		{"bad clock", strings.Replace(base, `start: "09:00"`, `start: "25:61"  # <-`, 1), "schedules[0].start", `"25:61" is not a time`},
		{"clock with text", strings.Replace(base, `end: "18:00"`, `end: "6pm"  # <-`, 1), "schedules[0].end", "is not a time"},
		{"start after end", strings.Replace(base, `end: "18:00"`, `end: "08:00"  # <-`, 1), "schedules[0].end", "must be after start"},
		{"unknown manager", base + "    manager: E9  # <-\n", "employees[0].manager", `unknown employee "E9"`},
		{"duplicate id", base + "  - id: E1  # <-\n    name: Bob\n", "employees[1].id", `duplicate employee id "E1"`},
		{"control character in an id", base + "  - id: \"E\\t2\"  # <-\n    name: Bob\n", "employees[1].id", "control character"},
		{"NUL escape in a name", strings.Replace(base, "    name: Ann\n", "    name: \"Ann\\u0000\"  # <-\n", 1), "employees[0].name", "control character U+0000"},
		{"escape control character in a site name", strings.Replace(base, "lng: 116.4", "lng: 116.4\n    name: \"HQ\\x01\"  # <-", 1), "sites[0].name", "control character U+0001"},
		{"unknown site", strings.Replace(base, "sites: [hq]", "sites: [hq, moon]  # <-", 1), "employees[0].sites[1]", `unknown site "moon"`},
		{"unknown schedule", strings.Replace(base, "schedule: day", "schedule: nights  # <-", 1), "employees[0].schedule", `unknown schedule "nights"`},
		{"bad datum", strings.Replace(base, "lng: 116.4", "lng: 116.4\n    datum: bd09  # <-", 1), "sites[0].datum", "must be wgs84 or gcj02"},
		{"bad timezone", base + "    timezone: Asia/Peking  # <-\n", "employees[0].timezone", `unknown time zone "Asia/Peking"`},
		{"bad weekday", strings.Replace(base, `start: "09:00"`, "work_days: [mon, tue,\n      funday]  # <-\n    start: \"09:00\"", 1), "schedules[0].work_days[2]", `"funday" is not a day of the week`},
		{"repeated weekday", strings.Replace(base, `start: "09:00"`, "work_days: [mon, 周一]  # <-\n    start: \"09:00\"", 1), "schedules[0].work_days[1]", "listed twice"},
		{"manager cycle", strings.Replace(base, "  - id: E1\n", "  - id: E1\n    manager: E2  # <-\n", 1) + "  - id: E2\n    name: Bob\n    manager: E1\n", "employees[0].manager", "cycle"},
		{"self manager", base + "    manager: E1  # <-\n", "employees[0].manager", "cannot manage themselves"},
		{"wrong type", strings.Replace(base, "lat: 39.9", `lat: "north"  # <-`, 1), "sites[0].lat", `must be a number, not "north"`},
		{"fraction for minutes", strings.Replace(base, `end: "18:00"`, "end: \"18:00\"\n    late_grace_min: 2.5  # <-", 1), "schedules[0].late_grace_min", "whole number"},
		{"list expected", strings.Replace(base, "sites: [hq]", "sites: hq  # <-", 1), "employees[0].sites", `must be a list, not the single value "hq"; write [hq] for a list of one`},
		{"mapping expected", "makeup: 3  # <-\n", "makeup", "must be a mapping"},
		{"duplicate key", base + "    name: Ann again  # <-\n", "employees[0].name", "given twice"},
		{"missing name", strings.Replace(base, "  - id: E1\n    name: Ann\n", "  - id: E1  # <-\n", 1), "employees[0].name", "is required"},
		{"missing lat", strings.Replace(base, "  - id: hq\n    lat: 39.9\n", "  - id: hq  # <-\n", 1), "sites[0].lat", "is required"},
		{"missing end", strings.Replace(base, "  - id: day\n    start: \"09:00\"\n    end: \"18:00\"\n", "  - id: day  # <-\n    start: \"09:00\"\n", 1), "schedules[0].end", "is required"},
		{"bad holiday date", base + "calendars:\n  - id: cn\n    holidays:\n      - {date: 2026-10-01}\n      - {date: 2026-13-01}  # <-\n", "calendars[0].holidays[1].date", "not YYYY-MM-DD"},
		{"statutory workday", base + "calendars:\n  - id: cn\n    workdays:\n      - {date: 2026-10-10, statutory: true}  # <-\n", "calendars[0].workdays[0].statutory", "only a holiday can be statutory"},
		{"statutory not bool", base + "calendars:\n  - id: cn\n    holidays:\n      - {date: 2026-10-01, statutory: 法定}  # <-\n", "calendars[0].holidays[0].statutory", "true or false"},
		{"repeated workday date", base + "calendars:\n  - id: cn\n    holidays: [2026-10-01]\n    workdays:\n      - 2026-10-01  # <-\n", "calendars[0].workdays[0].date", "listed twice"},
		{"bad platform", base + "    identities:\n      - {platform: teams, user: u1}  # <-\n", "employees[0].identities[0].platform", "must be wecom, feishu, slack or web"},
		{"identity bound twice", base + "    identities: [{platform: slack, user: U1}]\n  - id: E2\n    name: Bob\n    identities: [{platform: slack, user: U1}]  # <-\n", "employees[1].identities[0].user", "already bound to E1"},
		{"bad radius", strings.Replace(base, "lng: 116.4", "lng: 116.4\n    radius_m: 1  # <-", 1), "sites[0].radius_m", "between 10 and 5000"},
		{"bad cidr", strings.Replace(base, "lng: 116.4", "lng: 116.4\n    ip_ranges: [10.0.0.0/99]  # <-", 1), "sites[0].ip_ranges[0]", "not a CIDR"},
		{"negative quota", "makeup:\n  monthly_quota: -1  # <-\n", "makeup.monthly_quota", "negative"},
		{"broadcast without text", "reminders:\n  - id: r  # <-\n    kind: broadcast\n    cron: \"0 10 * * MON\"\n", "reminders[0].text", "required for broadcasts"},
		{"reminder unknown employee", base + "reminders:\n  - id: r\n    kind: punch_in\n    audience: {employees: [E1, E7]}  # <-\n", "reminders[0].audience.employees[1]", `unknown employee "E7"`},
		{"bad role", base + "    role: boss  # <-\n", "employees[0].role", "must be employee, manager or hr"},
		{"active not bool", base + "    active: yes please  # <-\n", "employees[0].active", "true or false"},
		{"unclosed bracket", base + "    department: [hq  # <-\n  - id: E2\n", "", "syntax error: did not find expected ',' or ']'"},
		{"bad indentation", "employees:\n  - id: E1  # <-\n    name: Ann\n   role: hr\n", "", "syntax error: did not find expected"},
		{"tab indentation", "employees:\n\t- id: E1  # <-\n", "", "syntax error: tabs cannot indent YAML; indent this line with spaces"},
		{"control character", "name: Acme\nsites: []\ntimezone: UTC\x01  # <-\n", "", "syntax error: control characters"},
		{"invalid utf-8", "name: Acme\ntimezone: \xff  # <-\n", "", "syntax error"},
		{"mapping in scalar", "name: a: b  # <-\n", "", "syntax error: mapping values are not allowed"},
		{"two documents", base + "---  # <-\nname: other\n", "", "more than one YAML document"},
		{"empty", "# <-\n", "", "empty"},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org, err := ParseOrg([]byte(tt.doc))
			fe := MustFileError(t, err)
			if !reflect.DeepEqual(org, core.Org{}) {
				t.Errorf("org = %+v, want the zero Org on error", org)
			}
			line := lineOf(t, tt.doc, "# <-")
			for _, p := range fe.Problems {
				if p.Line == line && p.Field == tt.field && strings.Contains(p.Message, tt.msg) {
					return
				}
			}
			t.Errorf("problems:\n%v\nwant line %d: %s: ...%s...", fe, line, tt.field, tt.msg)
		})
	}
}

// TestParseOrgAllProblems reports every problem at once, in file order and
// without the core repeating what the parser already said.
func TestParseOrgAllProblems(t *testing.T) {
	doc := `name: Acme
sites:
  - id: hq
    lat: 39.9
    lng: 116.4
    datum: bd09
schedules:
  - id: day
    start: "09:00"
    end: "25:61"
    work_days: [mon, someday]
employees:
  - id: E1
    name: Ann
    manager: E7
    colour: blue
`
	_, err := ParseOrg([]byte(doc))
	fe := MustFileError(t, err)
	want := []string{
		`line 6: sites[0].datum: must be wgs84 or gcj02, not "bd09"`,
		`line 10: schedules[0].end: "25:61" is not a time like "09:00" (minutes 00-59; "26:00" is 02:00 the next day)`,
		`line 11: schedules[0].work_days[1]: "someday" is not a day of the week (use mon..sun, monday..sunday or 周一..周日)`,
		`line 15: employees[0].manager: unknown employee "E7"`,
		`line 16: employees[0].colour: unknown field "colour" (expected one of: id, name, lang, timezone, department, role, manager, active, joined, left, schedule, sites, identities)`,
	}
	if got := err.Error(); got != strings.Join(want, "\n") {
		t.Errorf("Error() =\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
	if len(fe.Problems) != len(want) {
		t.Errorf("got %d problems, want %d", len(fe.Problems), len(want))
	}
}

// TestParseOrgManyProblems caps the report instead of listing thousands.
func TestParseOrgManyProblems(t *testing.T) {
	var doc strings.Builder
	doc.WriteString("employees:\n")
	for range 150 {
		doc.WriteString("  - {id: X, nmae: x}\n")
	}
	_, err := ParseOrg([]byte(doc.String()))
	fe := MustFileError(t, err)
	if len(fe.Problems) != maxProblems+1 {
		t.Fatalf("got %d problems, want %d and a summary", len(fe.Problems), maxProblems)
	}
	if got, want := fe.Problems[maxProblems].String(), "and 349 more problems"; got != want {
		t.Errorf("last problem = %q, want %q", got, want)
	}
}

func TestClock(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{`"09:00"`, 540, true}, {`9:05`, 545, true}, {`"00:00"`, 0, true}, {`"23:59"`, 1439, true},
		{`"26:00"`, 1560, true}, {`"24:00"`, 1440, true},
		{`"25:61"`, 0, false}, {`9`, 0, false}, {`"09:0"`, 0, false}, {`"09:00:00"`, 0, false},
		{`"-1:00"`, 0, false}, {`"49:00"`, 0, false}, {`[9, 0]`, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var n yaml.Node
			if err := yaml.Unmarshal([]byte(tt.in), &n); err != nil {
				t.Fatal(err)
			}
			p := &parser{pos: map[string]position{}, failed: map[string]bool{}}
			var c clock
			c.decodeYAML(p, n.Content[0], "end")
			if ok := len(p.problems) == 0; ok != tt.ok || int(c) != tt.want {
				t.Errorf("clock %s = %d, problems %v; want %d, ok %v", tt.in, c, p.problems, tt.want, tt.ok)
			}
		})
	}
}

func TestParseOrgWeekdayNames(t *testing.T) {
	doc := "schedules:\n  - id: s\n    start: \"09:00\"\n    end: \"18:00\"\n    work_days: [SUN, monday, 周二, 星期三, Thurs, fri, 周六]\n"
	org, err := ParseOrg([]byte(doc))
	if err != nil {
		t.Fatalf("ParseOrg: %v", err)
	}
	want := []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}
	if got := org.Schedules[0].WorkDays; !reflect.DeepEqual(got, want) {
		t.Errorf("work days = %v, want %v", got, want)
	}
}

// TestExampleOrg keeps the demo organisation valid and as documented.
func TestExampleOrg(t *testing.T) {
	org, err := ParseOrg(ExampleOrg())
	if err != nil {
		t.Fatalf("demo.yaml: %v", err)
	}
	if len(org.Sites) != 2 {
		t.Fatalf("sites = %d, want 2", len(org.Sites))
	}
	if got := org.Sites[1]; got.ID != "zhangjiang" || got.Lat == 31.2055 || core.DistanceM(31.2055, 121.6025, got.Lat, got.Lng) > 1000 {
		t.Errorf("GCJ-02 site = %+v, want converted by a few hundred metres", got)
	}
	roles := map[core.Role]int{}
	byID := map[string]core.Employee{}
	firstChat := map[core.Platform]int{} // where the bot writes to people
	langs := map[string]int{}
	managed := map[string]map[string]bool{} // department → its people's managers
	for _, e := range org.Employees {
		roles[e.Role]++
		byID[e.ID] = e
		langs[e.Lang]++
		if r, ok := core.RecipientFor(e); ok {
			firstChat[r.Platform]++
		} else {
			t.Errorf("%s has no chat identity", e.ID)
		}
		if managed[e.Department] == nil {
			managed[e.Department] = map[string]bool{}
		}
		if e.ManagerID != "" {
			managed[e.Department][e.ManagerID] = true
		}
	}
	if len(org.Employees) != 20 || roles[core.RoleEmployee] != 16 || roles[core.RoleManager] != 3 || roles[core.RoleHR] != 1 {
		t.Errorf("%d people, roles = %v, want 20: 16 employees, 3 managers, 1 hr", len(org.Employees), roles)
	}
	for _, p := range []core.Platform{core.PlatformWeCom, core.PlatformFeishu, core.PlatformSlack} {
		if firstChat[p] < 3 {
			t.Errorf("%d people are first on %s, want several on each platform: %v", firstChat[p], p, firstChat)
		}
	}
	if langs["zh"] == 0 || langs["en"] == 0 {
		t.Errorf("languages = %v, want zh and en", langs)
	}
	// Each department's people answer to one manager of that department.
	if len(managed) != 3 {
		t.Errorf("departments = %v, want 3", managed)
	}
	for dept, mgrs := range managed {
		for m := range mgrs {
			if mgr := byID[m]; len(mgrs) != 1 || mgr.Role != core.RoleManager || mgr.Department != dept {
				t.Errorf("%s is managed by %v, want its one manager", dept, mgrs)
			}
		}
	}
	// The ids the docs and the playground's story name keep their parts:
	// 张三 files on WeCom, his manager approves on Slack.
	for id, want := range map[string]core.Role{"E001": core.RoleEmployee, "E002": core.RoleEmployee, "E003": core.RoleEmployee, "M001": core.RoleManager, "H001": core.RoleHR} {
		if got := byID[id].Role; got != want {
			t.Errorf("%s is %q, want %q", id, got, want)
		}
	}
	e001, _ := core.RecipientFor(byID["E001"])
	mgr, _ := core.RecipientFor(byID[byID["E001"].ManagerID])
	if e001.Platform != core.PlatformWeCom || mgr.Platform != core.PlatformSlack {
		t.Errorf("E001 on %s, their manager on %s; want WeCom and Slack", e001.Platform, mgr.Platform)
	}
	if got := org.LeaveTypes; len(got) != 3 || got[0].ID != "annual" || got[0].AnnualQuotaDays == 0 {
		t.Errorf("leave types = %+v, want annual (with a quota), sick, personal", got)
	}
	for _, d := range org.Calendars[0].Days {
		day, err := time.Parse(core.DateLayout, d.Date)
		if err != nil {
			t.Fatalf("date %q: %v", d.Date, err)
		}
		// A 调休 workday only makes sense on a weekend.
		if weekend := day.Weekday() == time.Saturday || day.Weekday() == time.Sunday; d.Workday && !weekend {
			t.Errorf("workday %s is a %s, want a weekend day", d.Date, day.Weekday())
		}
	}
	policies := map[string]core.OutOfRangePolicy{}
	for _, s := range org.Schedules {
		policies[s.ID] = s.OutOfRange
	}
	if want := map[string]core.OutOfRangePolicy{"day": core.OutOfRangeReject, "sales": core.OutOfRangeField}; !reflect.DeepEqual(policies, want) {
		t.Errorf("out-of-range policies = %v, want %v", policies, want)
	}
	if got := org.Makeup; got != (core.MakeupPolicy{MonthlyQuota: 3, DeadlineDays: 7, ExpireAfterHours: 72}) {
		t.Errorf("makeup = %+v", got)
	}
	var kinds []string
	for _, r := range org.Reminders {
		kinds = append(kinds, r.Kind)
	}
	if want := []string{core.ReminderPunchIn, core.ReminderStillClockedIn, core.ReminderMakeupDeadline, core.ReminderBroadcast}; !slices.Equal(kinds, want) {
		t.Errorf("reminder kinds = %v, want %v", kinds, want)
	}
	if b := org.Reminders[len(org.Reminders)-1]; b.Text == "" || b.TextEn == "" {
		t.Errorf("the demo broadcast = %+v, want a Chinese and an English text", b)
	}
	// Callers get a copy: changing it cannot change the next caller's file.
	ExampleOrg()[0] = 'X'
	if ExampleOrg()[0] == 'X' {
		t.Error("ExampleOrg returned shared bytes")
	}
}

// TestParseOrgAliasBomb stops walking a file whose aliases multiply it:
// 3,000 aliases of an employee with 3,000 aliased identities would be nine
// million identities from a 50 kB file.
func TestParseOrgAliasBomb(t *testing.T) {
	ids := strings.Repeat("*i, ", 2999) + "*i"
	emps := strings.Repeat("*e, ", 2999) + "*e"
	doc := "employees: [&e {id: E, name: N, identities: [&i {platform: slack, user: u}, " + ids + "]}, " + emps + "]\n"
	start := time.Now()
	_, err := ParseOrg([]byte(doc))
	fe := MustFileError(t, err)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("ParseOrg took %v on an alias bomb", d)
	}
	if !strings.Contains(fe.Error(), "expands to more than") {
		t.Errorf("problems = %v, want the expansion limit", fe)
	}
}

func FuzzParseOrg(f *testing.F) {
	f.Add([]byte(fullOrg))
	f.Add([]byte(base))
	f.Add(ExampleOrg())
	f.Fuzz(func(t *testing.T, data []byte) {
		org, err := ParseOrg(data)
		if err != nil {
			fe := MustFileError(t, err)
			if len(fe.Problems) == 0 {
				t.Fatal("FileError without problems")
			}
			return
		}
		// A document that parses is valid: preparing it again finds nothing.
		if err := org.Prepare(); err != nil {
			t.Fatalf("parsed org fails Prepare: %v", err)
		}
	})
}
