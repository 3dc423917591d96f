package coretest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// Store is what the store conformance suite exercises: everything the core,
// the outbox worker and the org file need, plus the listing methods the admin
// API and the scheduler use. MemStore, adapters/sqlite and adapters/postgres
// implement it.
type Store interface {
	core.Store
	core.OutboxStore
	core.OrgStore
	// Employee returns one employee with their identities; ENOTFOUND if none.
	Employee(ctx context.Context, id string) (core.Employee, error)
	// ListEmployees returns every employee, with identities, ordered by id.
	ListEmployees(ctx context.Context) ([]core.Employee, error)
	// ListAudit returns the latest limit audit entries, newest first; a
	// limit of 0 or less returns all of them.
	ListAudit(ctx context.Context, limit int) ([]core.AuditEntry, error)
	// ListReminders returns every reminder ordered by id.
	ListReminders(ctx context.Context) ([]core.Reminder, error)
}

// Time precision contract: a store keeps instants to at least the
// microsecond and may truncate (never round) anything finer. PostgreSQL
// timestamptz keeps microseconds, so both SQL stores truncate to the
// microsecond; MemStore keeps nanoseconds. Locations are not kept: times
// come back as the same instant, compared with time.Equal.
const storePrecision = time.Microsecond

// RunStoreSuite is the conformance suite every core.Store implementation
// passes. open returns a fresh, empty store for one subtest and registers its
// own cleanup on t.
func RunStoreSuite(t *testing.T, open func(t *testing.T) Store) {
	cases := []struct {
		name string
		run  func(t *testing.T, s Store)
	}{
		// Each case is in the file of its area: applysuite.go (the
		// organisation), orgversionsuite.go, txsuite.go, punchsuite.go,
		// intentsuite.go, outboxsuite.go, makeupsuite.go, approvalsuite.go
		// and auditsuite.go.
		{"ApplyOrgThenRead", stApplyOrgThenRead},
		{"IdentitiesKeepFileOrder", stIdentityOrder},
		{"NotFound", stNotFound},
		{"Conflicts", stConflicts},
		{"IdentityConflictChangesNothing", stIdentityConflict},
		{"ReapplyUpdates", stReapplyUpdates},
		{"OrgVersion", stOrgVersion},
		{"SiteDatum", stSiteDatum},
		{"ConcurrentIdempotentHandle", stConcurrentHandle},
		{"RollbackOnError", stRollback},
		{"TimeZoneRoundTrip", stTimeZoneRoundTrip},
		{"PunchRoundTrip", stPunchRoundTrip},
		{"ShiftPunchesAndListing", stShiftPunches},
		{"LastLocatedPunch", stLastLocated},
		{"EventRoundTrip", stEventRoundTrip},
		{"PunchIntents", stIntents},
		{"Outbox", stOutbox},
		{"OutboxConcurrentClaims", stOutboxConcurrentClaims},
		{"Makeups", stMakeups},
		{"MakeupConcurrentDecisions", stMakeupConcurrentDecisions},
		{"MakeupCardRefs", stCardRefs},
		{"MakeupRevoked", stMakeupRevoked},
		{"MakeupHandoverAndBatch", stHandoverAndBatch},
		{"ListAudit", stListAudit},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, open(t)) })
	}
}

// stNow is the suite's clock: Thursday 26 November 2026, 09:01 in Shanghai.
var stNow = time.Date(2026, 11, 26, 1, 1, 0, 0, time.UTC)

func stZone(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatalf("load zone %s: %v", name, err)
	}
	return loc
}

// stOrg is the organisation the suite applies: two sites, a calendar with a
// holiday and a 调休 workday, a day and a night schedule, four employees in
// two time zones (one inactive), and reminders.
func stOrg(tb testing.TB) core.Org {
	tb.Helper()
	org := core.Org{
		Name:     "Acme",
		TimeZone: "Asia/Shanghai",
		Sites: []core.OrgSite{
			{Site: core.Site{ID: "hq", Name: "望京SOHO", Lat: 39.9961, Lng: 116.4810, RadiusM: 300, IPRanges: []string{"10.1.0.0/16"}}},
			{Site: core.Site{ID: "home-li", Name: "Li's home", Lat: 39.9, Lng: 116.3, RadiusM: 100}},
			{Site: core.Site{ID: "nyc", Name: "NYC office", Lat: 40.7527, Lng: -73.9772, RadiusM: 200}},
		},
		Calendars: []core.Calendar{{
			ID: "cn-2026", Name: "China 2026",
			Days: []core.CalendarDay{
				{Date: "2026-10-01", Statutory: true, Name: "国庆节"},
				{Date: "2026-10-10", Workday: true, Name: "调休"},
			},
		}},
		Schedules: []core.Schedule{
			{ID: "day", Name: "Day shift", WorkDays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
				StartMin: 9 * 60, EndMin: 18 * 60, CheckInOpensMin: 120, CheckOutClosesMin: 360, FlexibleMin: 15, LateGraceMin: 5,
				SeriousLateMin: 30, AbsentLateMin: 120, EarlyLeaveGraceMin: 1, OutOfRange: core.OutOfRangeField, CalendarID: "cn-2026",
				PunchMode: core.PunchStrict, ConfirmWithinMin: 10,
				Overtime: core.OvertimeRule{Mode: core.OvertimePunch, StartsAfterMin: 45, BeforeStartMin: 20, MinMin: 60, UnitMin: 15}},
			{ID: "night", Name: "Night shift", WorkDays: []time.Weekday{time.Sunday, time.Saturday},
				StartMin: 22 * 60, EndMin: 26 * 60, CheckInOpensMin: 60, CheckOutClosesMin: 60},
		},
		Employees: []core.Employee{
			{ID: "li", Name: "李雷", Lang: "zh", TimeZone: "Asia/Shanghai", ManagerID: "boss", Department: "Ops", Active: true,
				ScheduleID: "day", SiteIDs: []string{"home-li", "hq"},
				Identities: []core.Identity{{Platform: core.PlatformWeCom, Tenant: "corp1", UserID: "lilei"}, {Platform: core.PlatformSlack, UserID: "U1"}}},
			{ID: "boss", Name: "韩梅梅", Lang: "zh", Role: core.RoleManager, Department: "Ops", Active: true, ScheduleID: "day", SiteIDs: []string{"hq"},
				Identities: []core.Identity{{Platform: core.PlatformSlack, Tenant: "T1", UserID: "U1"}}},
			{ID: "alice", Name: "Alice", Lang: "en", TimeZone: "America/New_York", ManagerID: "boss", Role: core.RoleHR, Active: true, SiteIDs: []string{"nyc"},
				Identities: []core.Identity{{Platform: core.PlatformFeishu, Tenant: "tk", UserID: "ou_alice"}}},
			{ID: "gone", Name: "Former", Active: false, Identities: []core.Identity{{Platform: core.PlatformWeCom, Tenant: "corp1", UserID: "gone"}}},
		},
		Makeup: core.MakeupPolicy{MonthlyQuota: 3, DeadlineDays: 7, ExpireAfterHours: 72},
		Reminders: []core.Reminder{
			{ID: "in", Kind: core.ReminderPunchIn, MinutesBefore: 10, Enabled: true},
			{ID: "weekly", Kind: core.ReminderBroadcast, Cron: "CRON_TZ=Asia/Shanghai 0 9 * * MON", Text: "**周报**", Markdown: true,
				Audience: core.Audience{Departments: []string{"Ops"}, Employees: []string{"alice"}, Chats: []core.ChatTarget{{Platform: core.PlatformSlack, ChatID: "C1"}}},
				Until:    "2027-01-01", Enabled: true},
		},
	}
	if err := org.Prepare(); err != nil {
		tb.Fatalf("suite org does not validate: %v", err)
	}
	return org
}

func stMustApply(tb testing.TB, s Store, org core.Org) core.ApplyResult {
	tb.Helper()
	res, err := s.ApplyOrg(context.Background(), org, core.AuditEntry{At: stNow, Actor: "admin", Action: "org.applied", Subject: org.Name, Detail: `{"file":"org.yaml"}`})
	if err != nil {
		tb.Fatalf("ApplyOrg: %v", err)
	}
	return res
}

func stMustInTx(tb testing.TB, s Store, fn func(tx core.Tx) error) {
	tb.Helper()
	if err := s.InTx(context.Background(), fn); err != nil {
		tb.Fatalf("InTx: %v", err)
	}
}

func stMustInsertPunch(tb testing.TB, s Store, p core.Punch) core.Punch {
	tb.Helper()
	stMustInTx(tb, s, func(tx core.Tx) error { return tx.InsertPunch(context.Background(), &p) })
	if p.ID == 0 {
		tb.Fatalf("InsertPunch left the id at 0")
	}
	return p
}

func stMustListPunches(tb testing.TB, s Store, f core.PunchFilter) []core.Punch {
	tb.Helper()
	ps, err := s.ListPunches(context.Background(), f)
	if err != nil {
		tb.Fatalf("ListPunches(%+v): %v", f, err)
	}
	return ps
}

func stMustDepth(tb testing.TB, s Store) int {
	tb.Helper()
	n, err := s.OutboxDepth(context.Background())
	if err != nil {
		tb.Fatalf("OutboxDepth: %v", err)
	}
	return n
}

func stWantCode(tb testing.TB, what string, err error, code string) {
	tb.Helper()
	if got := core.ErrorCode(err); got != code {
		tb.Errorf("%s: error code = %q (%v), want %q", what, got, err, code)
	}
}

// stPunch is an accepted, located punch of li at the given instant.
func stPunch(at time.Time, eventID string) core.Punch {
	return core.Punch{
		EmployeeID: "li", Kind: core.KindIn, At: at, ReceivedAt: at.Add(1500 * time.Millisecond),
		ShiftDate: at.In(time.FixedZone("CST", 8*3600)).Format(core.DateLayout), Source: "wecom", EventID: eventID,
		HasLocation: true, Lat: 39.9962, Lng: 116.4811, AccuracyM: 25, Label: "望京SOHO T1", SiteID: "hq", DistanceM: 14.2,
		Outcome: core.OutcomeAccepted, TimeResult: core.TimeNormal,
	}
}

// Normalisers make values from different stores comparable with
// reflect.DeepEqual: instants in UTC, empty lists nil, identities sorted.

func stNilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

func stUTC(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func stNormEmployee(e core.Employee) core.Employee {
	e.SiteIDs = stNilIfEmpty(e.SiteIDs)
	ids := slices.Clone(e.Identities)
	for i := range ids {
		ids[i].EmployeeID = e.ID
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := ids[i], ids[j]
		if a.Platform != b.Platform {
			return a.Platform < b.Platform
		}
		if a.Tenant != b.Tenant {
			return a.Tenant < b.Tenant
		}
		return a.UserID < b.UserID
	})
	e.Identities = stNilIfEmpty(ids)
	return e
}

func stNormSite(s core.Site) core.Site {
	s.IPRanges = stNilIfEmpty(s.IPRanges)
	return s
}

func stNormSchedule(s core.Schedule) core.Schedule {
	s.WorkDays = stNilIfEmpty(s.WorkDays)
	s.PunchMode = s.Mode() // "" is stored as standard
	s.Overtime.Mode = s.OvertimeMode()
	return s
}

func stNormCalendar(c core.Calendar) core.Calendar {
	days := slices.Clone(c.Days)
	sort.Slice(days, func(i, j int) bool { return days[i].Date < days[j].Date })
	c.Days = stNilIfEmpty(days)
	return c
}

func stNormReminder(r core.Reminder) core.Reminder {
	r.Audience.Departments = stNilIfEmpty(r.Audience.Departments)
	r.Audience.Employees = stNilIfEmpty(r.Audience.Employees)
	r.Audience.Chats = stNilIfEmpty(r.Audience.Chats)
	return r
}

func stNormPunch(p core.Punch) core.Punch {
	p.At, p.ReceivedAt = stUTC(p.At), stUTC(p.ReceivedAt)
	p.Reasons, p.Flags = stNilIfEmpty(p.Reasons), stNilIfEmpty(p.Flags)
	return p
}

func stNormMakeup(m core.MakeupRequest) core.MakeupRequest {
	m.At, m.DecidedAt, m.CreatedAt = stUTC(m.At), stUTC(m.DecidedAt), stUTC(m.CreatedAt)
	m.Evidence = stNilIfEmpty(m.Evidence)
	return m
}

func stNormOutbox(m core.OutboxMessage) core.OutboxMessage {
	m.NextAttempt, m.CreatedAt, m.SentAt = stUTC(m.NextAttempt), stUTC(m.CreatedAt), stUTC(m.SentAt)
	m.Payload = stNilIfEmpty(m.Payload)
	return m
}

func stNormAudit(a core.AuditEntry) core.AuditEntry {
	a.At = stUTC(a.At)
	return a
}

func stDiff[T any](tb testing.TB, what string, got, want T) {
	tb.Helper()
	if !reflect.DeepEqual(got, want) {
		tb.Errorf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

var errStBoom = errors.New("boom")
