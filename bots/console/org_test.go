package console

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/bots/admin"
	"github.com/punchbot/punchbot/core"
)

// MustOrgFile is the organisation as applied, as an org file.
func (f *fixture) MustOrgFile(tb testing.TB) string {
	tb.Helper()
	org, err := f.store.Org(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	data, err := admin.MarshalOrg(org)
	if err != nil {
		tb.Fatal(err)
	}
	return string(data)
}

// fileProblem is the message the org file gives for a document.
func fileProblem(tb testing.TB, doc string) string {
	tb.Helper()
	_, err := admin.ParseOrg([]byte(doc))
	fe, ok := err.(*admin.FileError)
	if !ok || len(fe.Problems) == 0 {
		tb.Fatalf("ParseOrg: %v, want a file error", err)
	}
	return fe.Problems[0].Message
}

// TestManagementEdits saves each kind of entity through its form: a valid
// edit is applied and audited with the changed lines; an invalid one is
// refused with the org file's message (translated for Chinese HR), keeps
// the input, and changes nothing.
func TestManagementEdits(t *testing.T) {
	tests := []struct {
		name, path string
		form       url.Values
		lang       string // "" zh (H1), "en" admin page language
		wantErr    string // substring of the re-rendered form; "" means saved
		check      func(t *testing.T, org core.Org)
		audit      string // subject of the audit entry
	}{
		{name: "add a person with a Slack account", path: "/org/people/new",
			form:  url.Values{"id": {"E9"}, "name": {"Bob Li"}, "department": {"研发"}, "role": {"employee"}, "manager": {"M1"}, "schedule": {"day"}, "sites": {"hq", "sh"}, "identities": {"slack T01 U0BOB\n"}, "active": {"1"}},
			audit: "employees/E9",
			check: func(t *testing.T, org core.Org) {
				e := find(org.Employees, func(e core.Employee) bool { return e.ID == "E9" })
				if e == nil || e.ManagerID != "M1" || len(e.SiteIDs) != 2 || len(e.Identities) != 1 || e.Identities[0].UserID != "U0BOB" || e.Identities[0].Platform != core.PlatformSlack || !e.Active {
					t.Errorf("E9 = %+v", e)
				}
			}},
		{name: "unknown manager is refused", path: "/org/people/E1",
			form:    url.Values{"name": {"张三"}, "role": {"employee"}, "manager": {"NOBODY"}, "schedule": {"day"}, "active": {"1"}},
			wantErr: "没有员工 &#34;NOBODY&#34;"},
		{name: "self manager is refused", path: "/org/people/E1",
			form:    url.Values{"name": {"张三"}, "role": {"employee"}, "manager": {"E1"}, "schedule": {"day"}, "active": {"1"}},
			wantErr: "员工不能是自己的上级"},
		{name: "an account bound to someone else is refused", path: "/org/people/E1",
			form:    url.Values{"name": {"张三"}, "role": {"employee"}, "schedule": {"day"}, "identities": {"wecom corp lisi"}, "active": {"1"}},
			wantErr: "已绑定到 E2"},
		{name: "edit a site in GCJ-02", path: "/org/sites/hq",
			form:  url.Values{"name": {"望京"}, "lat": {"39.9965"}, "lng": {"116.4803"}, "datum": {"gcj02"}, "radius_m": {"250"}, "ip_ranges": {"203.0.113.0/24"}},
			audit: "sites/hq",
			check: func(t *testing.T, org core.Org) {
				s := find(org.Sites, func(s core.OrgSite) bool { return s.ID == "hq" })
				if s == nil || s.RadiusM != 250 || s.Lat == 39.9965 || s.Name != "望京" || len(s.IPRanges) != 1 {
					t.Errorf("hq = %+v, want radius 250, converted from GCJ-02", s)
				}
			}},
		{name: "bad radius is refused", path: "/org/sites/hq",
			form:    url.Values{"name": {"望京"}, "lat": {"39.9965"}, "lng": {"116.4803"}, "radius_m": {"5"}},
			wantErr: "半径必须在 10 到 5000 米之间"},
		{name: "bad CIDR is refused", path: "/org/sites/new",
			form:    url.Values{"id": {"x"}, "lat": {"39.9"}, "lng": {"116.4"}, "ip_ranges": {"10.0.0.0/99"}},
			wantErr: "不是 CIDR 网段"},
		{name: "latitude not a number keeps the input", path: "/org/sites/new",
			form:    url.Values{"id": {"x"}, "lat": {"north"}, "lng": {"116.4"}},
			wantErr: `value="north"`},
		{name: "add a schedule", path: "/org/schedules/new",
			form:  url.Values{"id": {"late"}, "name": {"晚班"}, "work_days": {"mon", "sat"}, "start": {"13:00"}, "end": {"22:00"}, "late_grace_min": {"5"}, "out_of_range": {"field"}},
			audit: "schedules/late",
			check: func(t *testing.T, org core.Org) {
				s := find(org.Schedules, func(s core.Schedule) bool { return s.ID == "late" })
				if s == nil || s.StartMin != 13*60 || s.EndMin != 22*60 || len(s.WorkDays) != 2 || s.OutOfRange != core.OutOfRangeField {
					t.Errorf("late = %+v", s)
				}
			}},
		{name: "end before start is refused", path: "/org/schedules/day",
			form:    url.Values{"name": {"标准班"}, "work_days": {"mon"}, "start": {"18:00"}, "end": {"09:00"}, "out_of_range": {"reject"}},
			wantErr: "必须晚于上班时间"},
		{name: "add a calendar by lines", path: "/org/calendars/new",
			form:  url.Values{"id": {"cn-2027"}, "name": {"2027"}, "days": {"2027-01-01 法定 元旦\n2027-02-07 workday 春节调休\n2027-02-15 holiday 春节\n"}},
			audit: "calendars/cn-2027",
			check: func(t *testing.T, org core.Org) {
				c := find(org.Calendars, func(c core.Calendar) bool { return c.ID == "cn-2027" })
				want := []core.CalendarDay{{Date: "2027-01-01", Statutory: true, Name: "元旦"}, {Date: "2027-02-07", Workday: true, Name: "春节调休"}, {Date: "2027-02-15", Name: "春节"}}
				if c == nil || !slices.Equal(c.Days, want) {
					t.Errorf("cn-2027 = %+v, want days %+v", c, want)
				}
			}},
		{name: "a date listed twice is refused", path: "/org/calendars/new",
			form:    url.Values{"id": {"dup"}, "days": {"2027-01-01 holiday\n2027-01-01 workday\n"}},
			wantErr: "日期 2027-01-01 重复"},
		{name: "policy", path: "/org/policy/policy",
			form:  url.Values{"monthly_quota": {"3"}, "deadline_days": {"7"}, "expire_after_hours": {"72"}},
			audit: "makeup/policy",
			check: func(t *testing.T, org core.Org) {
				if org.Makeup != (core.MakeupPolicy{MonthlyQuota: 3, DeadlineDays: 7, ExpireAfterHours: 72}) {
					t.Errorf("policy = %+v", org.Makeup)
				}
			}},
		{name: "negative policy is refused", path: "/org/policy/policy",
			form:    url.Values{"monthly_quota": {"-1"}, "deadline_days": {"7"}},
			wantErr: "不能为负数"},
		{name: "a one-off broadcast", path: "/org/reminders/new",
			form:  url.Values{"id": {"notice"}, "kind": {"broadcast"}, "text": {"**周五** 下午停电"}, "markdown": {"1"}, "departments": {"研发"}, "at": {"2026-11-27T14:30"}, "enabled": {"1"}},
			audit: "reminders/notice",
			check: func(t *testing.T, org core.Org) {
				r := find(org.Reminders, func(r core.Reminder) bool { return r.ID == "notice" })
				if r == nil || r.Cron != "CRON_TZ=Asia/Shanghai 30 14 27 11 *" || r.Until != "2026-11-27" || !r.Markdown || len(r.Audience.Departments) != 1 {
					t.Errorf("notice = %+v", r)
				}
			}},
		{name: "a broadcast without text is refused", path: "/org/reminders/new",
			form:    url.Values{"id": {"empty"}, "kind": {"broadcast"}, "everyone": {"1"}, "cron": {"0 9 * * MON"}, "enabled": {"1"}},
			wantErr: "群发消息必须填写内容"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := MustFixture(t, true)
			hr := f.MustSignIn(t, "H1")
			before := f.MustOrgFile(t)
			res := hr.post(t, tt.path, tt.form)
			if tt.wantErr != "" {
				if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, tt.wantErr) {
					t.Fatalf("status %d, want 422 with %q; body:\n%s", res.Status, tt.wantErr, res.Body)
				}
				if after := f.MustOrgFile(t); after != before {
					t.Errorf("a refused edit changed the organisation:\n%s", strings.Join(admin.DiffLines([]byte(before), []byte(after)), "\n"))
				}
				return
			}
			if res.Status != http.StatusSeeOther {
				t.Fatalf("status %d, want 303; body:\n%s", res.Status, res.Body)
			}
			org, err := f.store.Org(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, org)
			es := f.audits(t, core.AuditFilter{Action: "console.org_edited"})
			if len(es) != 1 || es[0].Subject != tt.audit || es[0].Actor == "" || !strings.Contains(es[0].Detail, `"changes"`) {
				t.Errorf("audit = %+v, want one console.org_edited of %s with changes", es, tt.audit)
			}
		})
	}
}

func find[T any](list []T, ok func(T) bool) *T {
	for i := range list {
		if ok(list[i]) {
			return &list[i]
		}
	}
	return nil
}

// TestManagementMessagesMatchTheOrgFile: the console's English message is
// the org file's, word for word.
func TestManagementMessagesMatchTheOrgFile(t *testing.T) {
	f := MustFixture(t, true)
	admin := f.MustSignIn(t, "admin") // the admin token's pages are in the organisation's language
	doc := strings.Replace(f.MustOrgFile(t), "radius_m: 300", "radius_m: 5", 1)
	want := fileProblem(t, doc)
	res := admin.post(t, "/org/sites/hq", url.Values{"name": {"望京"}, "lat": {"39.9965"}, "lng": {"116.4803"}, "radius_m": {"5"}})
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", res.Status)
	}
	if zh := translateProblem(want, "zh"); !strings.Contains(res.Body, zh) {
		t.Errorf("page does not say %q (the file's %q)", zh, want)
	}
	if got := translateProblem(want, "en"); got != want {
		t.Errorf("English message %q, want the file's %q", got, want)
	}
}

func TestManagementAccess(t *testing.T) {
	f := MustFixture(t, true)
	for _, who := range []string{"M1", "E1"} {
		c := f.MustSignIn(t, who)
		for _, path := range []string{"/org/people", "/org/sites/new", "/org/export.yaml", "/org/policy"} {
			if res := c.get(t, path); res.Status != http.StatusForbidden {
				t.Errorf("%s GET %s: status %d, want 403", who, path, res.Status)
			}
		}
		if res := c.post(t, "/org/people/E1", url.Values{"name": {"x"}}); res.Status != http.StatusForbidden {
			t.Errorf("%s POST: status %d, want 403", who, res.Status)
		}
	}
	hr := f.MustSignIn(t, "H1")
	res := hr.do(t, http.MethodPost, "/org/people/E1", url.Values{"name": {"x"}, "csrf": {"forged"}})
	if res.Status != http.StatusForbidden {
		t.Errorf("forged CSRF: status %d, want 403", res.Status)
	}
	if es := f.audits(t, core.AuditFilter{Action: "console.org_edited"}); len(es) != 0 {
		t.Errorf("refused requests were applied: %+v", es)
	}
}

func TestPeopleListPaginates(t *testing.T) {
	f := MustFixture(t, true)
	org := testOrg(t)
	var many []core.Employee
	for i := range 120 {
		many = append(many, core.Employee{ID: fmt.Sprintf("P%03d", i), Name: fmt.Sprintf("员工%03d", i), Active: true, Lang: "zh", TimeZone: "Asia/Shanghai", Role: core.RoleEmployee})
	}
	org.Employees = many
	if _, err := f.store.ApplyOrg(context.Background(), org, core.AuditEntry{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	hr := f.MustSignIn(t, "H1")
	total := 127 // the fixture's seven and 120 more
	for page, want := range map[string][]string{"1": {"data-id=\"E1\"", "1–50 / 127"}, "3": {"data-id=\"P119\"", "101–127 / 127"}, "9": {"101–127 / 127"}} {
		res := hr.get(t, "/org/people?page="+page)
		for _, w := range want {
			if !strings.Contains(res.Body, w) {
				t.Errorf("page %s: no %q", page, w)
			}
		}
		if n := strings.Count(res.Body, "<tr data-id="); n > pageSize {
			t.Errorf("page %s: %d rows, want at most %d of %d", page, n, pageSize, total)
		}
	}
	if res := hr.get(t, "/org/people?q=员工119"); !strings.Contains(res.Body, "P119") || strings.Contains(res.Body, "P118") {
		t.Errorf("search: body lacks P119 or has P118")
	}
}

func TestOrgDownload(t *testing.T) {
	f := MustFixture(t, true)
	hr := f.MustSignIn(t, "H1")
	res := hr.get(t, "/org/export.yaml")
	if res.Status != http.StatusOK || res.Body != f.MustOrgFile(t) {
		t.Fatalf("status %d; body differs from the export", res.Status)
	}
	if _, err := admin.ParseOrg([]byte(res.Body)); err != nil {
		t.Errorf("the download does not parse as an org file: %v", err)
	}
	if es := f.audits(t, core.AuditFilter{Action: "console.org_exported"}); len(es) != 1 {
		t.Errorf("exports audited: %d, want 1", len(es))
	}
}

// TestPersonPageNamesScheduleAndSites: the data page says 标准班 (day) and
// 望京SOHO (hq), not the bare ids.
func TestPersonPageNamesScheduleAndSites(t *testing.T) {
	f := MustFixture(t, true)
	body := f.MustSignIn(t, "H1").get(t, "/people/E1").Body
	for _, want := range []string{`<dd id="person-schedule">标准班 (day)</dd>`, `<dd id="person-sites">望京SOHO (hq)</dd>`, `href="/org/people/E1"`} {
		if !strings.Contains(body, want) {
			t.Errorf("person page lacks %s", want)
		}
	}
	if body := f.MustSignIn(t, "E1").get(t, "/me").Body; strings.Contains(body, `id="edit-person"`) {
		t.Errorf("an employee is offered the edit form")
	}
}

// TestApplyFileWithReview: an uploaded file is validated and its changes
// shown before anything is applied; the confirmation applies it (the file
// wins for what it names, a person added in the console stays); a stale
// review or an invalid file changes nothing.
func TestApplyFileWithReview(t *testing.T) {
	f := MustFixture(t, true)
	hr := f.MustSignIn(t, "H1")
	// A person added in the console, absent from the file HR applies later.
	if res := hr.post(t, "/org/people/new", url.Values{"id": {"N1"}, "name": {"新人"}, "role": {"employee"}, "active": {"1"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("add N1: %d", res.Status)
	}
	file := strings.Replace(f.MustOrgFile(t), "radius_m: 300", "radius_m: 280", 1)
	file = strings.Replace(file, "  - id: N1\n    name: 新人\n", "  - id: N1-gone\n    name: 新人\n", 1)
	// Drop N1 from the file entirely.
	var kept []string
	skip := false
	for _, line := range strings.Split(file, "\n") {
		if strings.HasPrefix(line, "  - id: N1-gone") {
			skip = true
			continue
		}
		if skip && strings.HasPrefix(line, "  - ") || skip && !strings.HasPrefix(line, "    ") {
			skip = false
		}
		if !skip {
			kept = append(kept, line)
		}
	}
	file = strings.Join(kept, "\n")
	before := f.MustOrgFile(t)

	res := hr.post(t, "/org/apply", url.Values{"text": {file}})
	if res.Status != http.StatusOK || !strings.Contains(res.Body, "-     radius_m: 300") || !strings.Contains(res.Body, "&#43;     radius_m: 280") || strings.Contains(res.Body, "新人") {
		t.Fatalf("review = %d; want the radius change and N1 untouched:\n%s", res.Status, res.Body)
	}
	if f.MustOrgFile(t) != before {
		t.Fatal("a review changed the organisation")
	}
	base := between(res.Body, `name="base" value="`, `"`)
	if res := hr.post(t, "/org/apply", url.Values{"text": {file}, "confirm": {"1"}, "base": {"stale"}}); res.Status != http.StatusConflict || f.MustOrgFile(t) != before {
		t.Errorf("a stale confirmation = %d, want 409 and nothing applied", res.Status)
	}
	if res := hr.post(t, "/org/apply", url.Values{"text": {file}, "confirm": {"1"}, "base": {base}}); res.Status != http.StatusSeeOther {
		t.Fatalf("confirm = %d %s", res.Status, res.Body)
	}
	org, _ := f.store.Org(context.Background())
	if s := find(org.Sites, func(s core.OrgSite) bool { return s.ID == "hq" }); s == nil || s.RadiusM != 280 {
		t.Errorf("hq after the apply = %+v", s)
	}
	if e := find(org.Employees, func(e core.Employee) bool { return e.ID == "N1" }); e == nil || !e.Active {
		t.Errorf("the console's N1 did not survive the file: %+v", e)
	}
	if es := f.audits(t, core.AuditFilter{Action: "org.applied", Actor: "H1"}); len(es) != 1 || !strings.Contains(es[0].Detail, "radius_m: 280") {
		t.Errorf("apply audit = %+v", es)
	}
	// An invalid file: the problems with their lines, the text kept.
	bad := strings.Replace(file, "radius_m: 280", "radius_m: 5", 1)
	res = hr.post(t, "/org/apply", url.Values{"text": {bad}, "confirm": {"1"}, "base": {base}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "第 ") || !strings.Contains(res.Body, "半径必须在 10 到 5000 米之间") || !strings.Contains(res.Body, "radius_m: 5") {
		t.Errorf("invalid file = %d:\n%s", res.Status, res.Body)
	}
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	return s[:strings.Index(s, to)]
}

// TestDeactivateAndReactivate: the button flips the person's active flag,
// audited, and their page says so.
func TestDeactivateAndReactivate(t *testing.T) {
	f := MustFixture(t, true)
	hr := f.MustSignIn(t, "H1")
	for _, want := range []bool{false, true} {
		if res := hr.post(t, "/org/people/E1/active", nil); res.Status != http.StatusSeeOther {
			t.Fatalf("toggle: %d %s", res.Status, res.Body)
		}
		e, err := f.store.Employee(context.Background(), "E1")
		if err != nil || e.Active != want {
			t.Errorf("E1 active = %v (%v), want %v", e.Active, err, want)
		}
	}
	if es := f.audits(t, core.AuditFilter{Action: "console.org_edited", Subject: "employees/E1"}); len(es) != 2 || !strings.Contains(es[0].Detail, "active") {
		t.Errorf("audit = %+v", es)
	}
	if res := f.MustSignIn(t, "M1").post(t, "/org/people/E1/active", nil); res.Status != http.StatusForbidden {
		t.Errorf("a manager deactivating = %d, want 403", res.Status)
	}
}

// TestCalendarImport: a year's holidays and 调休 days come from a CSV or
// an ICS file; the import replaces that year's days and keeps the others.
func TestCalendarImport(t *testing.T) {
	csv := "date,type,name\n2027-01-01,statutory,元旦\n2027-02-06,班,春节调休\n2027-02-12,法定,春节\n2027-02-15,休,春节\n2026-12-31,holiday,not this year\n"
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20271001\r\nDTEND;VALUE=DATE:20271004\r\nSUMMARY:国庆\r\n 节\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270926\r\nSUMMARY:国庆补班\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270101\r\nSUMMARY:元旦（法定）\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	tests := []struct {
		name, file string
		want       []string
	}{
		{"csv", csv, []string{"2026-10-01 holiday 国庆节", "2027-01-01 statutory 元旦", "2027-02-06 workday 春节调休", "2027-02-12 statutory 春节", "2027-02-15 holiday 春节"}},
		{"ics", ics, []string{"2026-10-01 holiday 国庆节", "2027-01-01 statutory 元旦（法定）", "2027-09-26 workday 国庆补班", "2027-10-01 holiday 国庆节", "2027-10-02 holiday 国庆节", "2027-10-03 holiday 国庆节"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := MustFixture(t, true)
			hr := f.MustSignIn(t, "H1")
			// An old day of 2027 the import replaces, and one of 2026 it keeps.
			if res := hr.post(t, "/org/calendars/new", url.Values{"id": {"cn"}, "days": {"2026-10-01 holiday 国庆节\n2027-05-01 holiday old\n"}}); res.Status != http.StatusSeeOther {
				t.Fatalf("create: %d %s", res.Status, res.Body)
			}
			res := hr.upload(t, "/org/calendars/cn", map[string]string{"name": "中国", "days": "2026-10-01 holiday 国庆节\n2027-05-01 holiday old\n", "year": "2027"}, "import", "cal."+tt.name, tt.file)
			if res.Status != http.StatusSeeOther {
				t.Fatalf("import: %d %s", res.Status, res.Body)
			}
			org, _ := f.store.Org(context.Background())
			c := find(org.Calendars, func(c core.Calendar) bool { return c.ID == "cn" })
			got := strings.Split(strings.TrimSpace(dayLines(c.Days)), "\n")
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("days =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			// The form shows the statutory days as they were imported, and
			// the list counts them.
			if form := hr.get(t, "/org/calendars/cn").Body; !strings.Contains(form, "2027-01-01 statutory 元旦") {
				t.Errorf("the calendar's form lacks its statutory day:\n%s", form)
			}
			if list := hr.get(t, "/org/calendars").Body; !strings.Contains(list, "其中法定节假日") {
				t.Errorf("the calendar list has no statutory column:\n%s", list)
			}
		})
	}
	f := MustFixture(t, true)
	hr := f.MustSignIn(t, "H1")
	res := hr.upload(t, "/org/calendars/new", map[string]string{"id": "x", "year": "2027"}, "import", "bad.csv", "2027-13-45,holiday\n")
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "2027-13-45") {
		t.Errorf("bad file = %d:\n%s", res.Status, res.Body)
	}
}

// upload posts a multipart form with one file and the CSRF token.
func (c *client) upload(tb testing.TB, path string, fields map[string]string, fileField, fileName, content string) response {
	tb.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fields["csrf"] = c.csrf(tb)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	fw, err := w.CreateFormFile(fileField, fileName)
	if err != nil {
		tb.Fatal(err)
	}
	fw.Write([]byte(content))
	w.Close()
	req, err := http.NewRequest(http.MethodPost, c.f.srv.URL+path, &body)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	res, err := c.http.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	buf, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Body: string(buf), Header: res.Header, Location: res.Header.Get("Location")}
}

// TestBroadcastPreviewWithoutJavaScript: the form's Preview button renders
// the message per platform on the server and saves nothing.
func TestBroadcastPreviewWithoutJavaScript(t *testing.T) {
	f := MustFixture(t, true)
	hr := f.MustSignIn(t, "H1")
	res := hr.post(t, "/org/reminders/new", url.Values{"id": {"p"}, "kind": {"broadcast"}, "text": {"# 通知\n**明天** 放假 <b>"}, "markdown": {"1"}, "everyone": {"1"}, "preview": {"1"}})
	if res.Status != http.StatusOK {
		t.Fatalf("preview = %d", res.Status)
	}
	for _, want := range []string{`data-platform="slack"`, "<strong>明天</strong>", "<strong>通知</strong>", "# 通知", "&lt;b&gt;"} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	if strings.Contains(res.Body, "<b>") {
		t.Errorf("the preview lets HTML through")
	}
	rs, _ := f.store.ListReminders(context.Background())
	if find(rs, func(r core.Reminder) bool { return r.ID == "p" }) != nil {
		t.Errorf("a preview saved the reminder")
	}
}

// TestOneOffReminderReadsBack: a reminder saved for one moment shows that
// moment again in its form, not its cron.
func TestOneOffReminderReadsBack(t *testing.T) {
	f := MustFixture(t, true)
	hr := f.MustSignIn(t, "H1")
	if res := hr.post(t, "/org/reminders/new", url.Values{"id": {"once"}, "kind": {"broadcast"}, "text": {"hi"}, "everyone": {"1"}, "at": {"2026-12-24T17:30"}, "enabled": {"1"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("save = %d %s", res.Status, res.Body)
	}
	body := hr.get(t, "/org/reminders/once").Body
	if !strings.Contains(body, `value="2026-12-24T17:30"`) || strings.Contains(body, `value="CRON_TZ=`) {
		t.Errorf("the one-off form does not show its moment")
	}
}

// TestErrorPageLeadsBack: an error page's link returns to the page the
// request came from (where the browser kept the input), never elsewhere.
func TestErrorPageLeadsBack(t *testing.T) {
	f := MustFixture(t, true)
	hr := f.MustSignIn(t, "H1")
	for referer, want := range map[string]string{
		f.srv.URL + "/exceptions?kind=k_late": `href="/exceptions?kind=k_late"`,
		"https://evil.example/phish":          `href="/"`,
		"":                                    `href="/"`,
	} {
		res := hr.do(t, http.MethodGet, "/exceptions?from=not-a-date", nil, "Referer", referer)
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, `id="back"`) || !strings.Contains(res.Body, want) {
			t.Errorf("referer %q: status %d, want a back link %s", referer, res.Status, want)
		}
	}
}

// TestCalendarImportInfersTheYear: a file of one year needs no year typed.
func TestCalendarImportInfersTheYear(t *testing.T) {
	f := MustFixture(t, true)
	hr := f.MustSignIn(t, "H1")
	res := hr.upload(t, "/org/calendars/new", map[string]string{"id": "y"}, "import", "y.csv", "2028-01-01,holiday,元旦\n")
	if res.Status != http.StatusSeeOther {
		t.Fatalf("import without a year = %d %s", res.Status, res.Body)
	}
	res = hr.upload(t, "/org/calendars/new", map[string]string{"id": "z"}, "import", "z.csv", "2028-01-01,holiday\n2029-01-01,holiday\n")
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "多个年份") {
		t.Errorf("two years without a year = %d", res.Status)
	}
}

// TestLeaveTypesOnThePolicyPage: leave types are edited with the policy
// and validated as the file's leave_types.
func TestLeaveTypesOnThePolicyPage(t *testing.T) {
	f := MustFixture(t, true)
	hr := f.MustSignIn(t, "H1")
	res := hr.post(t, "/org/policy/policy", url.Values{"monthly_quota": {"5"}, "deadline_days": {"30"}, "leave_types": {"annual 年假 5 paid\nmarriage 婚假 3 paid\n"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("save = %d %s", res.Status, res.Body)
	}
	org, _ := f.store.Org(context.Background())
	if len(org.LeaveTypes) != 2 || !reflect.DeepEqual(org.LeaveTypes[1], core.LeaveType{ID: "marriage", Name: "婚假", AnnualQuotaDays: 3, Paid: true}) {
		t.Errorf("leave types = %+v", org.LeaveTypes)
	}
	res = hr.post(t, "/org/policy/policy", url.Values{"monthly_quota": {"5"}, "leave_types": {"annual 年假 0.3\n"}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "0.3 不是整天或半天") {
		t.Errorf("a third of a day = %d", res.Status)
	}
}
