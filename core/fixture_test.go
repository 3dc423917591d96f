package core_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// Sites used across the tests. office is in Beijing (WGS-84).
var (
	office   = core.Site{ID: "office", Name: "国贸", Lat: 39.9087, Lng: 116.4599, RadiusM: 300}
	shanghai = core.Site{ID: "sh", Name: "陆家嘴", Lat: 31.2397, Lng: 121.4998, RadiusM: 300}
	nyc      = core.Site{ID: "nyc", Name: "Midtown", Lat: 40.7549, Lng: -73.9840, RadiusM: 200}
)

// testClock is a settable clock shared by a service and its fakes.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// sh returns a time in Asia/Shanghai.
func sh(tb testing.TB, s string) time.Time { return mustTime(tb, "Asia/Shanghai", s) }

func mustTime(tb testing.TB, zone, s string) time.Time {
	tb.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		tb.Fatal(err)
	}
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func testOrg() core.Org {
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	all := []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}
	day := core.Schedule{ID: "day", WorkDays: weekdays, StartMin: 9 * 60, EndMin: 18 * 60, CheckInOpensMin: 120, CheckOutClosesMin: 360,
		LateGraceMin: 5, SeriousLateMin: 30, AbsentLateMin: 120, CalendarID: "cn"}
	field, flag := day, day
	field.ID, field.OutOfRange = "field", core.OutOfRangeField
	flag.ID, flag.OutOfRange = "flag", core.OutOfRangeFlag
	flex := day
	flex.ID, flex.FlexibleMin = "flex", 30
	night := core.Schedule{ID: "night", WorkDays: all, StartMin: 22 * 60, EndMin: 26 * 60, CheckInOpensMin: 60, CheckOutClosesMin: 120}
	id := func(user string) []core.Identity {
		return []core.Identity{{Platform: core.PlatformWeCom, Tenant: "corp", UserID: user}}
	}
	return core.Org{
		Sites:     []core.OrgSite{{Site: office}, {Site: shanghai}, {Site: nyc}},
		Schedules: []core.Schedule{day, field, flag, flex, night},
		Calendars: []core.Calendar{{ID: "cn", Days: []core.CalendarDay{
			{Date: "2026-10-01", Name: "国庆节"}, {Date: "2026-10-10", Workday: true, Name: "国庆调休"},
		}}},
		Employees: []core.Employee{
			{ID: "E1", Name: "张三", Active: true, ScheduleID: "day", SiteIDs: []string{"office"}, Identities: id("zhangsan")},
			{ID: "E2", Name: "Alice", Lang: "en", TimeZone: "America/New_York", Active: true, ScheduleID: "day", SiteIDs: []string{"nyc"}, Identities: id("alice")},
			{ID: "N1", Name: "夜班", Active: true, ScheduleID: "night", SiteIDs: []string{"office"}, Identities: id("night")},
			{ID: "F1", Name: "外勤", Active: true, ScheduleID: "field", SiteIDs: []string{"office"}, Identities: id("field")},
			{ID: "G1", Name: "标记", Active: true, ScheduleID: "flag", SiteIDs: []string{"office"}, Identities: id("flag")},
			{ID: "T1", Name: "出差", Active: true, ScheduleID: "day", SiteIDs: []string{"office", "sh"}, Identities: id("travel")},
			{ID: "R1", Name: "远程", Active: true, ScheduleID: "day", Identities: id("remote")},
			{ID: "X1", Name: "离职", Active: false, ScheduleID: "day", SiteIDs: []string{"office"}, Identities: id("gone")},
			{ID: "W1", Name: "弹性", Active: true, ScheduleID: "flex", SiteIDs: []string{"office"}, Identities: id("flex")},
		},
	}
}

// harness is a service over the in-memory fakes with a settable clock.
type harness struct {
	svc   *core.Service
	store *coretest.MemStore
	kv    *coretest.MemKV
	clock *testClock
}

func newHarness(tb testing.TB, mutate func(*core.Config)) *harness {
	tb.Helper()
	org := testOrg()
	if err := org.Prepare(); err != nil {
		tb.Fatal(err)
	}
	store := coretest.NewMemStore()
	if _, err := store.ApplyOrg(context.Background(), org, core.AuditEntry{Action: "org.applied"}); err != nil {
		tb.Fatal(err)
	}
	clock := &testClock{}
	kv := coretest.NewMemKV(clock.Now)
	cfg := core.DefaultConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	svc := core.NewService(store, kv, kv, cfg, clock.Now)
	// Every test's transactions go through the bell's wrapper, as in the
	// server; a test of the bell rings one of its own.
	svc.RingOnCommit(&core.OutboxBell{})
	return &harness{svc: svc, store: store, kv: kv, clock: clock}
}

// at returns a location near office, metres north of its centre.
func north(site core.Site, metres float64) *core.Location {
	return &core.Location{Lat: site.Lat + metres/111195.0, Lng: site.Lng, Datum: core.WGS84}
}

// punch sends a punch command received at t (message time t).
func (h *harness) punch(tb testing.TB, user string, kind core.PunchKind, t time.Time, loc *core.Location, event string) core.Reply {
	tb.Helper()
	h.clock.Set(t)
	r, err := h.svc.Handle(context.Background(), core.Command{
		Actor: core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: user},
		Kind:  core.CmdPunch, Punch: kind, At: t, Location: loc, EventID: event, ReplyRoute: `{"touser":"` + user + `"}`,
	})
	if err != nil {
		tb.Fatalf("Handle(%s %s at %s): %v", user, kind, t, err)
	}
	return r
}

func (h *harness) punches(tb testing.TB, employee string) []core.Punch {
	tb.Helper()
	ps, err := h.store.ListPunches(context.Background(), core.PunchFilter{EmployeeID: employee})
	if err != nil {
		tb.Fatal(err)
	}
	return ps
}
