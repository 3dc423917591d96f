package coretest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// OrgReadStore is a store that reads the organisation back.
type OrgReadStore interface {
	core.OrgStore
	Org(ctx context.Context) (core.Org, error)
}

// RunOrgReadSuite checks that a store's Org returns what ApplyOrg stored,
// exactly as the reference MemStore does: every site (in WGS-84, a GCJ-02
// one with its datum and coordinates as written), schedule, calendar with
// its days, employee with identities, reminder, the make-up policy, the
// organisation's settings and version, in id order, including a site,
// schedule and calendar nobody uses.
func RunOrgReadSuite(t *testing.T, open func(t *testing.T) OrgReadStore) {
	ctx := context.Background()
	org := core.Org{Name: "Acme", Lang: "zh", TimeZone: "Asia/Shanghai",
		Sites: []core.OrgSite{
			{Site: core.Site{ID: "zj", Name: "张江", Lat: 31.2055, Lng: 121.6025, RadiusM: 200}, Datum: core.GCJ02},
			{Site: core.Site{ID: "hq", Name: "望京", Lat: 39.9965, Lng: 116.4803, RadiusM: 300, IPRanges: []string{"203.0.113.0/24"}}},
			{Site: core.Site{ID: "unused", Lat: 1, Lng: 2}},
		},
		Calendars: []core.Calendar{{ID: "cn", Name: "中国", Days: []core.CalendarDay{{Date: "2026-10-01", Statutory: true, Name: "国庆节"}, {Date: "2026-10-04", Name: "国庆节"}, {Date: "2026-10-10", Workday: true, Name: "调休"}}}, {ID: "empty"}},
		Schedules: []core.Schedule{
			{ID: "day", Name: "标准班", WorkDays: []time.Weekday{time.Monday, time.Friday}, StartMin: 540, EndMin: 1080, CheckInOpensMin: 120, CheckOutClosesMin: 360, LateGraceMin: 5, CalendarID: "cn"},
			{ID: "spare", StartMin: 600, EndMin: 1200, OutOfRange: core.OutOfRangeField},
		},
		Employees: []core.Employee{
			{ID: "E2", Name: "李四", ManagerID: "M1", Active: false, ScheduleID: "day", SiteIDs: []string{"hq", "zj"}, Joined: "2025-03-03", Left: "2026-11-20"},
			{ID: "M1", Name: "王", Role: core.RoleManager, Active: true, Joined: "2026-11-16", Identities: []core.Identity{{Platform: core.PlatformSlack, Tenant: "T1", UserID: "U1"}, {Platform: core.PlatformWeCom, UserID: "wang"}}},
		},
		LeaveTypes: []core.LeaveType{{ID: "annual", Name: "年假", AnnualQuotaDays: 5, Paid: true}, {ID: "sick", Name: "病假"},
			{ID: "comp", Name: "调休", Paid: true, FromOvertime: []core.OvertimeKind{core.OvertimeRestDay, core.OvertimeHoliday}, ExpireDays: 90}},
		Makeup: core.MakeupPolicy{MonthlyQuota: 3, DeadlineDays: 7, ExpireAfterHours: 48},
		Reminders: []core.Reminder{{ID: "b", Kind: core.ReminderBroadcast, Cron: "0 9 * * MON", Text: "hi", TextEn: "hello", Markdown: true, Enabled: true, Audience: core.Audience{Departments: []string{"研发"}, Chats: []core.ChatTarget{{Platform: core.PlatformSlack, ChatID: "C1"}}}},
			// The keys of still_clocked_in and two-language text are kept as written.
			{ID: "still", Kind: core.ReminderStillClockedIn, HoursAfter: 10, Text: "请下班打卡", TextEn: "Clock out", Enabled: true}},
	}
	if err := org.Prepare(); err != nil {
		t.Fatal(err)
	}
	ref := NewMemStore()
	st := open(t)
	for _, s := range []OrgReadStore{ref, st} {
		if _, err := s.ApplyOrg(ctx, org, core.AuditEntry{At: time.Now(), Actor: "test", Action: "org.applied"}); err != nil {
			t.Fatal(err)
		}
	}
	want, err := ref.Org(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.Org(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Sites) != 3 || len(want.Schedules) != 2 || len(want.Calendars) != 2 || len(want.Employees) != 2 {
		t.Fatalf("reference Org = %+v, want every entity", want)
	}
	for i := range got.Employees {
		for j := range got.Employees[i].Identities {
			got.Employees[i].Identities[j].EmployeeID = got.Employees[i].ID
		}
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"settings", []string{got.Name, got.Lang, got.TimeZone}, []string{want.Name, want.Lang, want.TimeZone}},
		{"version after one apply", got.Version, want.Version},
		{"sites", got.Sites, want.Sites}, {"schedules", got.Schedules, want.Schedules}, {"calendars", got.Calendars, want.Calendars},
		{"employees", got.Employees, want.Employees}, {"leave types", got.LeaveTypes, want.LeaveTypes}, {"policy", got.Makeup, want.Makeup}, {"reminders", got.Reminders, want.Reminders},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("Org %s =\n%+v\nwant\n%+v", c.name, c.got, c.want)
		}
	}
	// Employment dates (入职, 离职) come back from every read the rules
	// use, not only from Org: the punch path finds the employee by
	// account, the reminders and reports by roster.
	employment := func(e core.Employee) [2]string { return [2]string{e.Joined, e.Left} }
	if got := employment(want.Employees[0]); got != [2]string{"2025-03-03", "2026-11-20"} {
		t.Errorf("reference Org employee E2 joined, left = %q, want the applied dates", got)
	}
	if cs, ok := st.(core.Store); ok {
		emp, err := cs.FindIdentity(ctx, core.PlatformWeCom, "", "wang")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := employment(emp), [2]string{"2026-11-16", ""}; got != want {
			t.Errorf("FindIdentity(wang) joined, left = %q, want %q", got, want)
		}
		r, err := cs.Roster(ctx, "E2")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := employment(r.Employee), [2]string{"2025-03-03", "2026-11-20"}; got != want {
			t.Errorf("Roster(E2) joined, left = %q, want %q", got, want)
		}
	}
	if rs, ok := st.(interface {
		Rosters(ctx context.Context) ([]core.Roster, error)
	}); ok {
		all, err := rs.Rosters(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range all {
			if r.Employee.ID == "E2" {
				if got, want := employment(r.Employee), [2]string{"2025-03-03", "2026-11-20"}; got != want {
					t.Errorf("Rosters E2 joined, left = %q, want %q", got, want)
				}
			}
		}
	}
}
