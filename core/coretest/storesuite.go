package coretest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"sync"
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
		{"ApplyOrgThenRead", stApplyOrgThenRead},
		{"IdentitiesKeepFileOrder", stIdentityOrder},
		{"NotFound", stNotFound},
		{"Conflicts", stConflicts},
		{"IdentityConflictChangesNothing", stIdentityConflict},
		{"ReapplyUpdates", stReapplyUpdates},
		{"OrgVersion", stOrgVersion}, // orgversionsuite.go
		{"SiteDatum", stSiteDatum},   // orgversionsuite.go
		{"ConcurrentIdempotentHandle", stConcurrentHandle},
		{"RollbackOnError", stRollback},
		{"TimeZoneRoundTrip", stTimeZoneRoundTrip},
		{"PunchRoundTrip", stPunchRoundTrip},
		{"ShiftPunchesAndListing", stShiftPunches},
		{"LastLocatedPunch", stLastLocated},
		{"EventRoundTrip", stEventRoundTrip},
		{"PunchIntents", stIntents}, // intentsuite.go
		{"Outbox", stOutbox},
		{"OutboxConcurrentClaims", stOutboxConcurrentClaims},
		{"Makeups", stMakeups},
		{"MakeupConcurrentDecisions", stMakeupConcurrentDecisions},
		{"MakeupCardRefs", stCardRefs},
		{"MakeupRevoked", stMakeupRevoked},             // makeupsuite.go
		{"MakeupHandoverAndBatch", stHandoverAndBatch}, // approvalsuite.go
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

func stApplyOrgThenRead(t *testing.T, s Store) {
	ctx := context.Background()
	org := stOrg(t)
	res := stMustApply(t, s, org)
	if want := (core.ApplyResult{Sites: 3, Schedules: 2, Calendars: 1, Employees: 4, Identities: 5, Reminders: 2}); res != want {
		t.Errorf("ApplyOrg result = %+v, want %+v", res, want)
	}

	lookups := []struct {
		name     string
		platform core.Platform
		tenant   string
		user     string
		want     string // employee id, "" for ENOTFOUND
	}{
		{"exact tenant", core.PlatformWeCom, "corp1", "lilei", "li"},
		{"tenant-bound identity does not match another tenant", core.PlatformWeCom, "corp2", "lilei", ""},
		{"exact tenant beats a tenant-less identity", core.PlatformSlack, "T1", "U1", "boss"},
		{"tenant-less identity matches any other tenant", core.PlatformSlack, "T9", "U1", "li"},
		{"tenant-less identity matches an empty tenant", core.PlatformSlack, "", "U1", "li"},
		{"same user on another platform", core.PlatformFeishu, "", "U1", ""},
		{"inactive employees are still found", core.PlatformWeCom, "corp1", "gone", "gone"},
		{"user ids are case-sensitive", core.PlatformWeCom, "corp1", "LILEI", ""},
	}
	for _, tc := range lookups {
		e, err := s.FindIdentity(ctx, tc.platform, tc.tenant, tc.user)
		if tc.want == "" {
			stWantCode(t, tc.name, err, core.ENOTFOUND)
			continue
		}
		if err != nil {
			t.Errorf("%s: FindIdentity: %v", tc.name, err)
			continue
		}
		if e.ID != tc.want {
			t.Errorf("%s: FindIdentity = %q, want %q", tc.name, e.ID, tc.want)
		}
	}

	wantEmp := map[string]core.Employee{}
	for _, e := range org.Employees {
		wantEmp[e.ID] = stNormEmployee(e)
	}
	got, err := s.FindIdentity(ctx, core.PlatformWeCom, "corp1", "lilei")
	if err != nil {
		t.Fatalf("FindIdentity: %v", err)
	}
	stDiff(t, "FindIdentity employee", stNormEmployee(got), wantEmp["li"])
	if gone, _ := s.Employee(ctx, "gone"); gone.Active {
		t.Errorf("Employee(gone).Active = true, want false")
	}

	r, err := s.Roster(ctx, "li")
	if err != nil {
		t.Fatalf("Roster(li): %v", err)
	}
	stDiff(t, "roster employee", stNormEmployee(r.Employee), wantEmp["li"])
	if r.Schedule == nil {
		t.Fatalf("roster schedule is nil, want day")
	}
	stDiff(t, "roster schedule", stNormSchedule(*r.Schedule), stNormSchedule(org.Schedules[0]))
	var gotSites []core.Site
	for _, site := range r.Sites {
		gotSites = append(gotSites, stNormSite(site))
	}
	// Sites come in the employee's order, which need not be the file's.
	stDiff(t, "roster sites", gotSites, []core.Site{stNormSite(org.Sites[1].Site), stNormSite(org.Sites[0].Site)})
	if r.Calendar == nil {
		t.Fatalf("roster calendar is nil, want cn-2026")
	}
	stDiff(t, "roster calendar", stNormCalendar(*r.Calendar), stNormCalendar(org.Calendars[0]))
	stDiff(t, "roster policy", r.Policy, org.Makeup)
	if loc := r.Zone(); loc.String() != "Asia/Shanghai" {
		t.Errorf("roster zone = %s, want Asia/Shanghai", loc)
	}

	alice, err := s.Roster(ctx, "alice")
	if err != nil {
		t.Fatalf("Roster(alice): %v", err)
	}
	if alice.Schedule != nil || alice.Calendar != nil {
		t.Errorf("Roster(alice) schedule, calendar = %v, %v, want none", alice.Schedule, alice.Calendar)
	}
	if len(alice.Sites) != 1 || alice.Sites[0].ID != "nyc" {
		t.Errorf("Roster(alice) sites = %+v, want [nyc]", alice.Sites)
	}
	stDiff(t, "Roster(alice) policy", alice.Policy, org.Makeup)

	emps, err := s.ListEmployees(ctx)
	if err != nil {
		t.Fatalf("ListEmployees: %v", err)
	}
	var ids []string
	for _, e := range emps {
		ids = append(ids, e.ID)
		stDiff(t, "ListEmployees "+e.ID, stNormEmployee(e), wantEmp[e.ID])
	}
	stDiff(t, "ListEmployees ids", ids, []string{"alice", "boss", "gone", "li"})

	rems, err := s.ListReminders(ctx)
	if err != nil {
		t.Fatalf("ListReminders: %v", err)
	}
	var gotRems []core.Reminder
	for _, rem := range rems {
		gotRems = append(gotRems, stNormReminder(rem))
	}
	stDiff(t, "ListReminders", gotRems, []core.Reminder{stNormReminder(org.Reminders[0]), stNormReminder(org.Reminders[1])})

	audit, err := s.ListAudit(ctx, 10)
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	if len(audit) != 1 || audit[0].Action != "org.applied" || audit[0].Actor != "admin" || audit[0].Subject != "Acme" ||
		audit[0].Detail != `{"file":"org.yaml"}` || !audit[0].At.Equal(stNow) || audit[0].ID == 0 {
		t.Errorf("ListAudit after apply = %+v, want one org.applied entry by admin at %v", audit, stNow)
	}
}

func stNotFound(t *testing.T, s Store) {
	ctx := context.Background()
	stMustApply(t, s, stOrg(t))
	checks := []struct {
		name string
		call func() error
	}{
		{"FindIdentity", func() error {
			_, err := s.FindIdentity(ctx, core.PlatformSlack, "T1", "nobody")
			return err
		}},
		{"Roster", func() error { _, err := s.Roster(ctx, "nobody"); return err }},
		{"Employee", func() error { _, err := s.Employee(ctx, "nobody"); return err }},
		{"EventReply", func() error { _, err := s.EventReply(ctx, "slack", "nope"); return err }},
		{"LastLocatedPunch", func() error {
			return s.InTx(ctx, func(tx core.Tx) error {
				_, err := tx.LastLocatedPunch(ctx, "li", stNow)
				return err
			})
		}},
		{"GetMakeupForUpdate", func() error {
			return s.InTx(ctx, func(tx core.Tx) error {
				_, err := tx.GetMakeupForUpdate(ctx, 987654)
				return err
			})
		}},
		{"UpdateMakeup", func() error {
			return s.InTx(ctx, func(tx core.Tx) error {
				// Written before and after the failing update: neither may stay.
				if err := tx.InsertAudit(ctx, core.AuditEntry{At: stNow, Actor: "t", Action: "before"}); err != nil {
					return err
				}
				if err := tx.UpdateMakeup(ctx, core.MakeupRequest{ID: 987654, EmployeeID: "li", Status: core.MakeupApproved, At: stNow, CreatedAt: stNow}); err != nil {
					return err
				}
				return tx.InsertAudit(ctx, core.AuditEntry{At: stNow, Actor: "t", Action: "after"})
			})
		}},
		{"FinishOutbox", func() error {
			return s.FinishOutbox(ctx, core.OutboxMessage{ID: 987654, Platform: core.PlatformSlack, Status: core.OutboxSent, SentAt: stNow})
		}},
	}
	for _, c := range checks {
		stWantCode(t, c.name, c.call(), core.ENOTFOUND)
	}
	if a, _ := s.ListAudit(ctx, 0); len(a) != 1 {
		t.Errorf("audit entries after failed transactions = %+v, want only the org entry", a)
	}
	if ps := stMustListPunches(t, s, core.PunchFilter{EmployeeID: "nobody"}); len(ps) != 0 {
		t.Errorf("ListPunches(nobody) = %d punches, want 0", len(ps))
	}
	stMustInTx(t, s, func(tx core.Tx) error {
		ps, err := tx.ShiftPunches(ctx, "li", "2026-11-26")
		if err != nil || len(ps) != 0 {
			t.Errorf("ShiftPunches with no punches = %v, %v, want none", ps, err)
		}
		ms, err := tx.ListMakeups(ctx, core.MakeupFilter{EmployeeID: "li"})
		if err != nil || len(ms) != 0 {
			t.Errorf("ListMakeups with no requests = %v, %v, want none", ms, err)
		}
		return nil
	})
}

func stConflicts(t *testing.T, s Store) {
	ctx := context.Background()
	stMustApply(t, s, stOrg(t))
	ev := core.EventRecord{Source: "slack", EventID: "Ev1", EmployeeID: "li", Reply: core.Reply{Outcome: core.OutcomeHelp}, CreatedAt: stNow}
	stMustInTx(t, s, func(tx core.Tx) error { return tx.InsertEvent(ctx, ev) })

	first := stMustInsertPunch(t, s, stPunch(stNow, "m1"))
	tests := []struct {
		name string
		fn   func(tx core.Tx) error
		want string
	}{
		{"same event again", func(tx core.Tx) error { return tx.InsertEvent(ctx, ev) }, core.ECONFLICT},
		{"same event id from another source", func(tx core.Tx) error {
			e := ev
			e.Source = "wecom"
			return tx.InsertEvent(ctx, e)
		}, ""},
		{"punch for an event that already has one", func(tx core.Tx) error {
			p := stPunch(stNow.Add(time.Minute), "m1")
			return tx.InsertPunch(ctx, &p)
		}, core.ECONFLICT},
		{"punch for the same event id from another source", func(tx core.Tx) error {
			p := stPunch(stNow.Add(time.Minute), "m1")
			p.Source = "slack"
			return tx.InsertPunch(ctx, &p)
		}, ""},
		{"punches without an event id never conflict", func(tx core.Tx) error {
			for range 2 {
				p := stPunch(stNow.Add(2*time.Minute), "")
				p.Source = core.SourceAdmin
				if err := tx.InsertPunch(ctx, &p); err != nil {
					return err
				}
			}
			return nil
		}, ""},
		{"a conflict rolls back what the transaction wrote before it", func(tx core.Tx) error {
			p := stPunch(stNow.Add(3*time.Minute), "fresh")
			if err := tx.InsertPunch(ctx, &p); err != nil {
				return err
			}
			return tx.InsertEvent(ctx, ev)
		}, core.ECONFLICT},
	}
	for _, tc := range tests {
		err := s.InTx(ctx, tc.fn)
		stWantCode(t, tc.name, err, tc.want)
	}
	ps := stMustListPunches(t, s, core.PunchFilter{EmployeeID: "li"})
	if len(ps) != 4 {
		t.Errorf("punches after conflicts = %d, want 4 (the first, another source's, two without event id)", len(ps))
	}
	for _, p := range ps {
		if p.EventID == "fresh" {
			t.Errorf("punch of a rolled-back transaction was kept: %+v", p)
		}
		if p.EventID == "m1" && p.Source == "wecom" && p.ID != first.ID {
			t.Errorf("duplicate punch for wecom/m1 stored with id %d", p.ID)
		}
	}
}

func stIdentityConflict(t *testing.T, s Store) {
	ctx := context.Background()
	stMustApply(t, s, stOrg(t))
	before, err := s.ListAudit(ctx, 0)
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}

	// A new employee claims li's WeCom account while li is not in the
	// document: the apply must fail as a whole, after it has already
	// written the site rename and the new employee.
	bad := core.Org{
		Name:  "Acme",
		Sites: []core.OrgSite{{Site: core.Site{ID: "hq", Name: "renamed", Lat: 39.9961, Lng: 116.4810, RadiusM: 300}}},
		Employees: []core.Employee{{ID: "thief", Name: "Thief", Active: true,
			Identities: []core.Identity{{Platform: core.PlatformWeCom, Tenant: "corp1", UserID: "lilei"}}}},
		Makeup:    core.MakeupPolicy{MonthlyQuota: 99},
		Reminders: []core.Reminder{{ID: "new", Kind: core.ReminderPunchOut, Enabled: true}},
	}
	if err := bad.Prepare(); err != nil {
		t.Fatalf("conflicting org should validate on its own: %v", err)
	}
	_, err = s.ApplyOrg(ctx, bad, core.AuditEntry{At: stNow, Actor: "admin", Action: "org.applied"})
	stWantCode(t, "ApplyOrg claiming a bound account", err, core.ECONFLICT)

	e, err := s.FindIdentity(ctx, core.PlatformWeCom, "corp1", "lilei")
	if err != nil || e.ID != "li" {
		t.Errorf("after failed apply FindIdentity = %q, %v, want li", e.ID, err)
	}
	stWantCode(t, "Employee(thief) after failed apply", func() error { _, err := s.Employee(ctx, "thief"); return err }(), core.ENOTFOUND)
	r, err := s.Roster(ctx, "boss")
	if err != nil {
		t.Fatalf("Roster(boss): %v", err)
	}
	if len(r.Sites) != 1 || r.Sites[0].Name != "望京SOHO" {
		t.Errorf("site after failed apply = %+v, want the old name", r.Sites)
	}
	if r.Policy.MonthlyQuota != 3 {
		t.Errorf("policy after failed apply = %+v, want quota 3", r.Policy)
	}
	rems, _ := s.ListReminders(ctx)
	if len(rems) != 2 {
		t.Errorf("reminders after failed apply = %d, want 2", len(rems))
	}
	after, _ := s.ListAudit(ctx, 0)
	if len(after) != len(before) {
		t.Errorf("audit entries after failed apply = %d, want %d", len(after), len(before))
	}

	// Moving an account between two employees named in one document works
	// whatever their order: identities of listed employees are replaced.
	move := stOrg(t)
	move.Employees[0].Identities = move.Employees[0].Identities[1:] // li drops the WeCom account
	move.Employees[1].Identities = append(move.Employees[1].Identities, core.Identity{Platform: core.PlatformWeCom, Tenant: "corp1", UserID: "lilei", EmployeeID: "boss"})
	stMustApply(t, s, move)
	if e, err := s.FindIdentity(ctx, core.PlatformWeCom, "corp1", "lilei"); err != nil || e.ID != "boss" {
		t.Errorf("after moving the account FindIdentity = %q, %v, want boss", e.ID, err)
	}
}

func stReapplyUpdates(t *testing.T, s Store) {
	ctx := context.Background()
	stMustApply(t, s, stOrg(t))

	org := stOrg(t)
	org.Sites[0].Name = "望京SOHO T3"
	org.Sites[0].RadiusM = 500
	org.Sites[0].IPRanges = nil
	org.Schedules[0].StartMin, org.Schedules[0].LateGraceMin = 9*60+30, 10
	org.Schedules[0].WorkDays = []time.Weekday{time.Monday, time.Wednesday}
	org.Schedules[0].PunchMode, org.Schedules[0].ConfirmWithinMin = core.PunchStandard, 0
	// before_start_min (上班前加班) set on the first apply goes back to 0.
	org.Schedules[0].Overtime = core.OvertimeRule{Mode: core.OvertimeOff, StartsAfterMin: 0, MinMin: 0, UnitMin: 60}
	// 10-02 becomes statutory and 10-06 a swapped day off: the flag is kept
	// per day, and replacing the days replaces it.
	org.Calendars[0].Days = []core.CalendarDay{{Date: "2026-10-02", Statutory: true, Name: "国庆节"}, {Date: "2026-10-06", Name: "国庆节"}, {Date: "2026-10-11", Workday: true, Name: "调休"}}
	org.Employees[0].Name = "Li Lei"
	org.Employees[0].SiteIDs = []string{"hq"}
	org.Employees[0].Identities = []core.Identity{{Platform: core.PlatformFeishu, Tenant: "tk", UserID: "ou_li", EmployeeID: "li"}}
	org.Employees[3].Active = true
	org.Reminders[0].MinutesBefore = 5
	org.Makeup = core.MakeupPolicy{MonthlyQuota: 5, DeadlineDays: 3}
	res := stMustApply(t, s, org)
	if want := (core.ApplyResult{Sites: 3, Schedules: 2, Calendars: 1, Employees: 4, Identities: 4, Reminders: 2}); res != want {
		t.Errorf("second ApplyOrg result = %+v, want %+v", res, want)
	}

	emps, err := s.ListEmployees(ctx)
	if err != nil {
		t.Fatalf("ListEmployees: %v", err)
	}
	if len(emps) != 4 {
		t.Errorf("employees after re-apply = %d, want 4 (updated, not duplicated)", len(emps))
	}
	r, err := s.Roster(ctx, "li")
	if err != nil {
		t.Fatalf("Roster(li): %v", err)
	}
	stDiff(t, "employee after re-apply", stNormEmployee(r.Employee), stNormEmployee(org.Employees[0]))
	stDiff(t, "schedule after re-apply", stNormSchedule(*r.Schedule), stNormSchedule(org.Schedules[0]))
	stDiff(t, "calendar after re-apply (days replaced)", stNormCalendar(*r.Calendar), stNormCalendar(org.Calendars[0]))
	stDiff(t, "sites after re-apply", []core.Site{stNormSite(r.Sites[0])}, []core.Site{stNormSite(org.Sites[0].Site)})
	stDiff(t, "policy after re-apply", r.Policy, org.Makeup)
	stWantCode(t, "dropped identity", func() error {
		_, err := s.FindIdentity(ctx, core.PlatformWeCom, "corp1", "lilei")
		return err
	}(), core.ENOTFOUND)
	if e, err := s.FindIdentity(ctx, core.PlatformFeishu, "tk", "ou_li"); err != nil || e.ID != "li" {
		t.Errorf("new identity FindIdentity = %q, %v, want li", e.ID, err)
	}
	if e, err := s.Employee(ctx, "gone"); err != nil || !e.Active {
		t.Errorf("reactivated employee = %+v, %v, want active", e, err)
	}
	rems, err := s.ListReminders(ctx)
	if err != nil {
		t.Fatalf("ListReminders: %v", err)
	}
	if len(rems) != 2 || rems[0].ID != "in" || rems[0].MinutesBefore != 5 {
		t.Errorf("reminders after re-apply = %+v, want 2 with in.MinutesBefore 5", rems)
	}

	// A document naming only some objects leaves the others alone.
	partial := core.Org{Name: "Acme", Employees: []core.Employee{{ID: "new", Name: "New", Active: true}}}
	if err := partial.Prepare(); err != nil {
		t.Fatalf("partial org: %v", err)
	}
	stMustApply(t, s, partial)
	if emps, _ := s.ListEmployees(ctx); len(emps) != 5 {
		t.Errorf("employees after partial apply = %d, want 5", len(emps))
	}
	if _, err := s.Roster(ctx, "li"); err != nil {
		t.Errorf("Roster(li) after partial apply: %v", err)
	}
}

func stConcurrentHandle(t *testing.T, s Store) {
	ctx := context.Background()
	stMustApply(t, s, stOrg(t))
	now := func() time.Time { return stNow }
	kv := NewMemKV(now)
	svc := core.NewService(s, kv, nil, core.DefaultConfig(), now)
	cmd := core.Command{
		Actor: core.Identity{Platform: core.PlatformWeCom, Tenant: "corp1", UserID: "lilei"},
		Kind:  core.CmdPunch, Punch: core.KindIn, At: stNow.Add(-3 * time.Second),
		Location: &core.Location{Lat: 39.9962, Lng: 116.4811, AccuracyM: 20, Datum: core.WGS84, Label: "望京SOHO"},
		EventID:  "msg-20", ReplyRoute: `{"to":"lilei"}`,
	}

	const n = 20
	replies := make([]core.Reply, n)
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			replies[i], errs[i] = svc.Handle(ctx, cmd)
		}()
	}
	start.Done()
	done.Wait()

	for i, err := range errs {
		if err != nil {
			t.Fatalf("Handle #%d: %v", i, err)
		}
	}
	first := replies[0]
	if first.Outcome != core.OutcomeAccepted || first.PunchID == 0 {
		t.Fatalf("reply = %+v, want an accepted punch", first)
	}
	replayed := 0
	for i, r := range replies {
		if r.Replayed {
			replayed++
		}
		if r.PunchID != first.PunchID || r.Outcome != first.Outcome || !r.At.Equal(first.At) || r.ShiftDate != first.ShiftDate || r.SiteID != first.SiteID {
			t.Errorf("reply #%d = %+v, want the same as %+v", i, r, first)
		}
	}
	if replayed != n-1 {
		t.Errorf("replayed replies = %d, want %d", replayed, n-1)
	}
	ps := stMustListPunches(t, s, core.PunchFilter{})
	if len(ps) != 1 || ps[0].ID != first.PunchID || ps[0].EventID != "msg-20" {
		t.Errorf("punches = %+v, want exactly one for msg-20", ps)
	}
	rec, err := s.EventReply(ctx, "wecom", "msg-20")
	if err != nil || rec.Reply.PunchID != first.PunchID || rec.EmployeeID != "li" {
		t.Errorf("EventReply = %+v, %v, want the punch reply", rec, err)
	}
	if d := stMustDepth(t, s); d != 1 {
		t.Errorf("outbox depth = %d, want 1", d)
	}
	msgs, err := s.ClaimOutbox(ctx, core.PlatformWeCom, 10, stNow, time.Minute)
	if err != nil || len(msgs) != 1 || msgs[0].DedupeKey != "reply:wecom:msg-20" || msgs[0].Route != cmd.ReplyRoute {
		t.Errorf("ClaimOutbox = %+v, %v, want one reply for msg-20", msgs, err)
	}
	audit, err := s.ListAudit(ctx, 0)
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	punchAudits := 0
	for _, a := range audit {
		if a.Action == "punch."+string(core.OutcomeAccepted) {
			punchAudits++
		}
	}
	if punchAudits != 1 {
		t.Errorf("punch audit entries = %d, want 1", punchAudits)
	}
}

var errStBoom = errors.New("boom")

func stRollback(t *testing.T, s Store) {
	ctx := context.Background()
	stMustApply(t, s, stOrg(t))
	err := s.InTx(ctx, func(tx core.Tx) error {
		if err := tx.LockEmployee(ctx, "li"); err != nil {
			return err
		}
		p := stPunch(stNow, "rb-1")
		if err := tx.InsertPunch(ctx, &p); err != nil {
			return err
		}
		if err := tx.InsertAudit(ctx, core.AuditEntry{At: stNow, Actor: "li", Action: "punch.accepted", Subject: "li"}); err != nil {
			return err
		}
		if err := tx.InsertEvent(ctx, core.EventRecord{Source: "wecom", EventID: "rb-1", EmployeeID: "li", CreatedAt: stNow}); err != nil {
			return err
		}
		if err := tx.EnqueueOutbox(ctx, core.OutboxMessage{Platform: core.PlatformWeCom, Kind: "reply", Payload: json.RawMessage(`{}`), DedupeKey: "rb-1", NextAttempt: stNow, Status: core.OutboxPending, CreatedAt: stNow}); err != nil {
			return err
		}
		m := core.MakeupRequest{EmployeeID: "li", ShiftDate: "2026-11-25", Kind: core.KindOut, At: stNow.Add(-15 * time.Hour), Status: core.MakeupPending, CreatedAt: stNow}
		if err := tx.InsertMakeup(ctx, &m); err != nil {
			return err
		}
		// The writes are visible inside the transaction...
		ps, err := tx.ShiftPunches(ctx, "li", p.ShiftDate)
		if err != nil {
			return err
		}
		if len(ps) != 1 {
			t.Errorf("ShiftPunches inside the transaction = %d, want 1", len(ps))
		}
		return fmt.Errorf("verify failed: %w", errStBoom)
	})
	// ...and gone after it fails, with fn's error returned as is.
	if !errors.Is(err, errStBoom) {
		t.Fatalf("InTx error = %v, want fn's error", err)
	}
	if ps := stMustListPunches(t, s, core.PunchFilter{}); len(ps) != 0 {
		t.Errorf("punches after rollback = %+v, want none", ps)
	}
	stWantCode(t, "EventReply after rollback", func() error { _, err := s.EventReply(ctx, "wecom", "rb-1"); return err }(), core.ENOTFOUND)
	if d := stMustDepth(t, s); d != 0 {
		t.Errorf("outbox depth after rollback = %d, want 0", d)
	}
	if a, _ := s.ListAudit(ctx, 0); len(a) != 1 {
		t.Errorf("audit entries after rollback = %d, want only the org entry", len(a))
	}
	stMustInTx(t, s, func(tx core.Tx) error {
		ms, err := tx.ListMakeups(ctx, core.MakeupFilter{EmployeeID: "li"})
		if len(ms) != 0 {
			t.Errorf("makeups after rollback = %+v, want none", ms)
		}
		return err
	})

	// A core.Error from fn keeps its code, and the same event can then be
	// recorded: nothing of the failed attempt is left to conflict with.
	err = s.InTx(ctx, func(tx core.Tx) error {
		if err := tx.InsertEvent(ctx, core.EventRecord{Source: "wecom", EventID: "rb-1", CreatedAt: stNow}); err != nil {
			return err
		}
		return core.Errorf(core.EINVALID, "bad input")
	})
	stWantCode(t, "InTx returning a core error", err, core.EINVALID)
	stMustInTx(t, s, func(tx core.Tx) error {
		return tx.InsertEvent(ctx, core.EventRecord{Source: "wecom", EventID: "rb-1", CreatedAt: stNow})
	})
}

func stTimeZoneRoundTrip(t *testing.T, s Store) {
	ctx := context.Background()
	shanghai, newYork := stZone(t, "Asia/Shanghai"), stZone(t, "America/New_York")
	tests := []struct {
		name string
		at   time.Time
	}{
		{"Shanghai morning", time.Date(2026, 11, 26, 9, 0, 0, 0, shanghai)},
		{"Shanghai one minute to midnight", time.Date(2026, 11, 26, 23, 59, 0, 0, shanghai)},
		{"New York just before the DST jump", time.Date(2026, 3, 8, 1, 59, 59, 999999000, newYork)},
		{"New York in the repeated DST hour", time.Date(2026, 11, 1, 1, 30, 0, 0, newYork).Add(time.Hour)},
		{"microseconds", time.Date(2026, 11, 26, 9, 0, 0, 123456000, shanghai)},
		{"nanoseconds", time.Date(2026, 11, 26, 9, 0, 0, 123456789, newYork)},
		{"UTC", time.Date(2026, 11, 26, 1, 0, 0, 1000, time.UTC)},
	}
	for i, tc := range tests {
		p := stPunch(tc.at, fmt.Sprintf("tz-%d", i))
		p.ReceivedAt = tc.at.In(newYork).Add(time.Second)
		p.ShiftDate = tc.at.Format(core.DateLayout)
		stored := stMustInsertPunch(t, s, p)

		got := stMustListPunches(t, s, core.PunchFilter{EmployeeID: "li", From: tc.at.In(time.UTC).Truncate(storePrecision), To: tc.at.In(shanghai).Add(storePrecision)})
		if len(got) != 1 || got[0].ID != stored.ID {
			t.Errorf("%s: ListPunches around %v = %+v, want punch %d", tc.name, tc.at, got, stored.ID)
			continue
		}
		stWantInstant(t, tc.name+" At", got[0].At, tc.at)
		stWantInstant(t, tc.name+" ReceivedAt", got[0].ReceivedAt, p.ReceivedAt)
		if got[0].ShiftDate != p.ShiftDate {
			t.Errorf("%s: ShiftDate = %q, want %q", tc.name, got[0].ShiftDate, p.ShiftDate)
		}
		if got[0].At.Compare(tc.at) > 0 {
			t.Errorf("%s: stored time %v is after the original %v (rounded up)", tc.name, got[0].At, tc.at)
		}
		stMustInTx(t, s, func(tx core.Tx) error {
			last, err := tx.LastLocatedPunch(ctx, "li", tc.at)
			if err != nil {
				return err
			}
			if last.ID != stored.ID {
				t.Errorf("%s: LastLocatedPunch(%v) = %d, want %d", tc.name, tc.at, last.ID, stored.ID)
			}
			return nil
		})
		stMustInTx(t, s, func(tx core.Tx) error {
			return tx.InsertEvent(ctx, core.EventRecord{Source: "tz", EventID: p.EventID, CreatedAt: tc.at})
		})
		rec, err := s.EventReply(ctx, "tz", p.EventID)
		if err != nil {
			t.Fatalf("EventReply: %v", err)
		}
		stWantInstant(t, tc.name+" event CreatedAt", rec.CreatedAt, tc.at)
	}
	// Ranges use the instant whatever zone the bounds are written in.
	from := time.Date(2026, 11, 26, 9, 0, 0, 0, shanghai)
	to := time.Date(2026, 11, 26, 11, 0, 0, 0, newYork) // 00:00 next day in Shanghai
	got := stMustListPunches(t, s, core.PunchFilter{EmployeeID: "li", From: from, To: to})
	if len(got) != 5 {
		t.Errorf("ListPunches(%v, %v) = %d punches, want 5", from, to, len(got))
	}
}

// stWantInstant checks got is want, or want truncated to the store's
// precision; see storePrecision.
func stWantInstant(tb testing.TB, what string, got, want time.Time) {
	tb.Helper()
	if !got.Equal(want) && !got.Equal(want.Truncate(storePrecision)) {
		tb.Errorf("%s = %v, want %v (or truncated to %v)", what, got.UTC().Format(time.RFC3339Nano), want.UTC().Format(time.RFC3339Nano), storePrecision)
	}
}

func stPunchRoundTrip(t *testing.T, s Store) {
	p := stPunch(stNow, "rt-1")
	p.Kind, p.Outcome, p.TimeResult = core.KindOut, core.OutcomeField, core.TimeEarly
	p.EarlyMin, p.LateMin = 17, 3
	p.Reasons = []string{core.ReasonOutOfRange, core.ReasonNotIn}
	p.Flags = []string{core.FlagOfflineDelay, core.FlagIdenticalCoords}
	p.ClientIP, p.MakeupID, p.Lat, p.Lng = "2001:db8::1", 42, -33.856784, 151.215297
	stored := stMustInsertPunch(t, s, p)
	other := stMustInsertPunch(t, s, stPunch(stNow.Add(time.Second), "rt-2"))
	if other.ID <= stored.ID {
		t.Errorf("punch ids %d then %d, want increasing", stored.ID, other.ID)
	}
	got := stMustListPunches(t, s, core.PunchFilter{EmployeeID: "li", Limit: 1})
	if len(got) != 1 {
		t.Fatalf("ListPunches limit 1 = %d punches", len(got))
	}
	want := p
	want.ID = stored.ID
	stDiff(t, "punch round trip", stNormPunch(got[0]), stNormPunch(want))

	rejected := stPunch(stNow.Add(2*time.Second), "rt-3")
	rejected.HasLocation, rejected.Lat, rejected.Lng, rejected.AccuracyM, rejected.Label, rejected.SiteID, rejected.DistanceM = false, 0, 0, 0, "", "", 0
	rejected.Outcome, rejected.TimeResult, rejected.Reasons, rejected.Flags = core.OutcomeRejected, "", []string{core.ReasonNoLocation}, nil
	rejected = stMustInsertPunch(t, s, rejected)
	got = stMustListPunches(t, s, core.PunchFilter{EmployeeID: "li", From: rejected.At})
	if len(got) != 1 {
		t.Fatalf("ListPunches from %v = %d punches, want 1", rejected.At, len(got))
	}
	stDiff(t, "rejected punch round trip", stNormPunch(got[0]), stNormPunch(rejected))
}

func stShiftPunches(t *testing.T, s Store) {
	ctx := context.Background()
	base := time.Date(2026, 11, 26, 9, 0, 0, 0, stZone(t, "Asia/Shanghai"))
	mk := func(emp, date string, at time.Time, ev string) core.Punch {
		p := stPunch(at, ev)
		p.EmployeeID, p.ShiftDate = emp, date
		return stMustInsertPunch(t, s, p)
	}
	// Inserted out of order; the overnight punch at 01:30 on the 27th
	// belongs to the shift of the 26th.
	p3 := mk("li", "2026-11-26", base.Add(16*time.Hour+30*time.Minute), "s3")
	p1 := mk("li", "2026-11-26", base, "s1")
	p2 := mk("li", "2026-11-26", base.Add(9*time.Hour), "s2")
	mk("li", "2026-11-27", base.Add(24*time.Hour), "s4")
	mk("boss", "2026-11-26", base.Add(time.Minute), "s5")

	stMustInTx(t, s, func(tx core.Tx) error {
		ps, err := tx.ShiftPunches(ctx, "li", "2026-11-26")
		if err != nil {
			return err
		}
		var ids []int64
		for _, p := range ps {
			ids = append(ids, p.ID)
		}
		stDiff(t, "ShiftPunches ids by time", ids, []int64{p1.ID, p2.ID, p3.ID})
		if len(ps) == 3 {
			stDiff(t, "ShiftPunches first punch", stNormPunch(ps[0]), stNormPunch(p1))
		}
		return nil
	})

	tests := []struct {
		name string
		f    core.PunchFilter
		want []string
	}{
		{"all of li", core.PunchFilter{EmployeeID: "li"}, []string{"s1", "s2", "s3", "s4"}},
		{"everyone", core.PunchFilter{}, []string{"s1", "s5", "s2", "s3", "s4"}},
		{"from is inclusive", core.PunchFilter{EmployeeID: "li", From: p2.At}, []string{"s2", "s3", "s4"}},
		{"to is exclusive", core.PunchFilter{EmployeeID: "li", To: p3.At}, []string{"s1", "s2"}},
		{"limit keeps the earliest", core.PunchFilter{From: base, Limit: 2}, []string{"s1", "s5"}},
		{"empty range", core.PunchFilter{From: p2.At, To: p2.At}, nil},
	}
	for _, tc := range tests {
		var got []string
		for _, p := range stMustListPunches(t, s, tc.f) {
			got = append(got, p.EventID)
		}
		stDiff(t, "ListPunches "+tc.name, got, tc.want)
	}

	// A span of shift dates in one read, the overnight punch with the
	// shift it belongs to; a punch inserted earlier in the same
	// transaction is seen.
	spans := []struct {
		from, to string
		want     []string
	}{
		{"2026-11-26", "2026-11-27", []string{"s1", "s2", "s3", "s4"}},
		{"2026-11-27", "2026-11-27", []string{"s4"}},
		{"2026-11-25", "2026-11-30", []string{"s1", "s2", "s3", "s4", "s6"}},
		{"2026-11-29", "2026-11-30", nil},
	}
	readSpans := func(tx core.Tx, what string) error {
		for _, sp := range spans {
			ps, err := tx.ShiftPunchesBetween(ctx, "li", sp.from, sp.to)
			if err != nil {
				return err
			}
			var got []string
			for _, p := range ps {
				got = append(got, p.EventID)
			}
			stDiff(t, what+" ShiftPunchesBetween "+sp.from+".."+sp.to, got, sp.want)
		}
		return nil
	}
	stMustInTx(t, s, func(tx core.Tx) error {
		late := stPunch(base.Add(48*time.Hour), "s6")
		late.ShiftDate = "2026-11-28"
		if err := tx.InsertPunch(ctx, &late); err != nil {
			return err
		}
		return readSpans(tx, "after an insert:")
	})
	// The same spans as the first reads under the employee's lock, which a
	// store may answer from one read of the days around them.
	for _, first := range spans {
		stMustInTx(t, s, func(tx core.Tx) error {
			if err := tx.LockEmployee(ctx, "li"); err != nil {
				return err
			}
			if _, err := tx.ShiftPunchesBetween(ctx, "li", first.from, first.to); err != nil {
				return err
			}
			return readSpans(tx, "locked, "+first.from+" first:")
		})
	}
}

func stLastLocated(t *testing.T, s Store) {
	ctx := context.Background()
	t1 := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	located := func(at time.Time, ev string, has bool) core.Punch {
		p := stPunch(at, ev)
		p.HasLocation = has
		p.Lat += float64(at.Minute()) / 1000
		return stMustInsertPunch(t, s, p)
	}
	a := located(t1, "l1", true)
	located(t1.Add(10*time.Minute), "l2", false)
	c := located(t1.Add(20*time.Minute), "l3", true)
	d := located(t1.Add(30*time.Minute), "l4", true)
	other := stPunch(t1.Add(25*time.Minute), "l5")
	other.EmployeeID = "boss"
	stMustInsertPunch(t, s, other)

	tests := []struct {
		name   string
		before time.Time
		want   int64 // 0: ENOTFOUND
	}{
		{"at a punch's own time", c.At, c.ID},
		{"skips a punch without location", t1.Add(15 * time.Minute), a.ID},
		{"ignores other employees", t1.Add(27 * time.Minute), c.ID},
		{"latest", t1.Add(time.Hour), d.ID},
		{"before the first", t1.Add(-time.Microsecond), 0},
	}
	for _, tc := range tests {
		stMustInTx(t, s, func(tx core.Tx) error {
			got, err := tx.LastLocatedPunch(ctx, "li", tc.before)
			if tc.want == 0 {
				stWantCode(t, tc.name, err, core.ENOTFOUND)
				return nil
			}
			if err != nil {
				t.Errorf("%s: LastLocatedPunch: %v", tc.name, err)
				return nil
			}
			if got.ID != tc.want || !got.HasLocation {
				t.Errorf("%s: LastLocatedPunch = %d, want %d", tc.name, got.ID, tc.want)
			}
			if got.ID == c.ID {
				stDiff(t, tc.name+" punch", stNormPunch(got), stNormPunch(c))
			}
			return nil
		})
	}
	// Inside one transaction a punch just inserted counts.
	stMustInTx(t, s, func(tx core.Tx) error {
		if err := tx.LockEmployee(ctx, "li"); err != nil {
			return err
		}
		if _, err := tx.ShiftPunches(ctx, "li", d.ShiftDate); err != nil {
			return err
		}
		if got, err := tx.LastLocatedPunch(ctx, "li", t1.Add(time.Hour)); err != nil || got.ID != d.ID {
			t.Errorf("LastLocatedPunch before insert = %d, %v, want %d", got.ID, err, d.ID)
		}
		e := stPunch(t1.Add(40*time.Minute), "l6")
		if err := tx.InsertPunch(ctx, &e); err != nil {
			return err
		}
		got, err := tx.LastLocatedPunch(ctx, "li", t1.Add(time.Hour))
		if err != nil {
			return err
		}
		if got.ID != e.ID {
			t.Errorf("LastLocatedPunch after insert in the same transaction = %d, want %d", got.ID, e.ID)
		}
		return nil
	})
}

func stEventRoundTrip(t *testing.T, s Store) {
	ctx := context.Background()
	shanghai := stZone(t, "Asia/Shanghai")
	at := time.Date(2026, 11, 26, 9, 3, 0, 0, shanghai)
	in := core.Punch{ID: 7, EmployeeID: "li", Kind: core.KindIn, At: at, ShiftDate: "2026-11-26", Outcome: core.OutcomeAccepted}
	rec := core.EventRecord{
		Source: "feishu", EventID: "om_x100", EmployeeID: "li", CreatedAt: at,
		Reply: core.Reply{
			Outcome: core.OutcomeAccepted, Kind: core.KindIn, Reasons: []string{core.ReasonAlreadyIn}, Flags: []string{core.FlagLowAccuracy},
			Platform: core.PlatformFeishu, EmployeeID: "li", EmployeeName: "李雷", Lang: "zh", TimeZone: "Asia/Shanghai",
			At: at, ShiftDate: "2026-11-26", TimeResult: core.TimeLate, LateMin: 3, SiteID: "hq", SiteName: "望京SOHO",
			DistanceM: 12.5, RadiusM: 300, AccuracyM: 30, WindowOpens: at.Add(-time.Hour), WindowCloses: at.Add(10 * time.Hour),
			PunchID: 7, RetryAfter: 1500 * time.Millisecond, Contact: "HR",
			Day: &core.DayResult{EmployeeID: "li", Date: "2026-11-26", Workday: true, Statuses: []core.DayStatus{core.DayLate}, In: &in, LateMin: 3},
		},
	}
	stMustInTx(t, s, func(tx core.Tx) error { return tx.InsertEvent(ctx, rec) })
	got, err := s.EventReply(ctx, "feishu", "om_x100")
	if err != nil {
		t.Fatalf("EventReply: %v", err)
	}
	if got.Source != rec.Source || got.EventID != rec.EventID || got.EmployeeID != rec.EmployeeID || !got.CreatedAt.Equal(rec.CreatedAt) {
		t.Errorf("EventReply record = %+v, want %+v", got, rec)
	}
	gotJSON, _ := json.Marshal(got.Reply)
	wantJSON, _ := json.Marshal(rec.Reply)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("EventReply reply:\n got  %s\n want %s", gotJSON, wantJSON)
	}
	if !got.Reply.At.Equal(at) {
		t.Errorf("reply At = %v, want %v", got.Reply.At, at)
	}
}

func stOutbox(t *testing.T, s Store) {
	ctx := context.Background()
	now := stNow
	enqueue := func(msgs ...core.OutboxMessage) {
		t.Helper()
		stMustInTx(t, s, func(tx core.Tx) error {
			for _, m := range msgs {
				if err := tx.EnqueueOutbox(ctx, m); err != nil {
					return err
				}
			}
			return nil
		})
	}
	msg := func(p core.Platform, key string, next time.Time) core.OutboxMessage {
		return core.OutboxMessage{Platform: p, Route: `{"channel":"C1","ts":"1.2"}`, Kind: "reply", Payload: json.RawMessage(`{"Outcome":"accepted","n":1}`),
			DedupeKey: key, NextAttempt: next, Status: core.OutboxPending, CreatedAt: now.Add(-time.Second)}
	}
	first := msg(core.PlatformSlack, "k1", now)
	first.FiringID = 7
	enqueue(first, msg(core.PlatformSlack, "", now.Add(-time.Minute)))
	// A duplicate key is skipped without error, in the same or a later
	// transaction, whatever its content.
	dup := msg(core.PlatformSlack, "k1", now)
	dup.Payload = json.RawMessage(`{"other":true}`)
	enqueue(dup, msg(core.PlatformWeCom, "k2", now), msg(core.PlatformSlack, "later", now.Add(time.Hour)))
	enqueue(msg(core.PlatformWeCom, "k2", now))
	// A message without a next attempt time is due at once.
	enqueue(core.OutboxMessage{Platform: core.PlatformFeishu, Kind: "card", Payload: json.RawMessage(`[1,2]`), CreatedAt: now})

	if d := stMustDepth(t, s); d != 5 {
		t.Errorf("depth = %d, want 5 (duplicates skipped)", d)
	}
	claim := func(p core.Platform, limit int, at time.Time) []core.OutboxMessage {
		t.Helper()
		ms, err := s.ClaimOutbox(ctx, p, limit, at, time.Minute)
		if err != nil {
			t.Fatalf("ClaimOutbox(%s): %v", p, err)
		}
		return ms
	}
	keys := func(ms []core.OutboxMessage) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.DedupeKey)
		}
		return out
	}

	got := claim(core.PlatformSlack, 10, now)
	stDiff(t, "first claim (due slack messages, oldest first)", keys(got), []string{"k1", ""})
	if len(got) == 2 {
		want := first
		want.ID = got[0].ID
		stDiff(t, "claimed message", stNormOutbox(got[0]), stNormOutbox(want))
	}
	if again := claim(core.PlatformSlack, 10, now.Add(30*time.Second)); len(again) != 0 {
		t.Errorf("claim while leased = %v, want none", keys(again))
	}
	if f := claim(core.PlatformFeishu, 10, now); len(f) != 1 || f[0].Status != core.OutboxPending || string(f[0].Payload) != `[1,2]` {
		t.Errorf("claim of a message without next attempt = %+v, want it", f)
	}
	if w := claim(core.PlatformWeCom, 1, now); len(w) != 1 || w[0].DedupeKey != "k2" {
		t.Errorf("wecom claim = %v, want [k2]", keys(w))
	}

	// The lease runs out: the same messages can be claimed again, with a
	// limit.
	expired := claim(core.PlatformSlack, 1, now.Add(61*time.Second))
	stDiff(t, "claim after lease expiry, limit 1", keys(expired), []string{"k1"})

	sent := got[0]
	sent.Attempts, sent.Status, sent.SentAt = 1, core.OutboxSent, now.Add(62*time.Second)
	if err := s.FinishOutbox(ctx, sent); err != nil {
		t.Fatalf("FinishOutbox(sent): %v", err)
	}
	retry := got[1]
	retry.Attempts, retry.LastError, retry.NextAttempt = 1, "slack: ratelimited", now.Add(5*time.Minute)
	if err := s.FinishOutbox(ctx, retry); err != nil {
		t.Fatalf("FinishOutbox(retry): %v", err)
	}
	if d := stMustDepth(t, s); d != 4 {
		t.Errorf("depth after one sent = %d, want 4", d)
	}
	// Finishing releases the lease, but the retry waits for its time.
	if c := claim(core.PlatformSlack, 10, now.Add(2*time.Minute)); len(c) != 0 {
		t.Errorf("claim before the retry time = %v, want none", keys(c))
	}
	c := claim(core.PlatformSlack, 10, now.Add(5*time.Minute))
	stDiff(t, "claim at the retry time", keys(c), []string{""})
	if len(c) == 1 {
		want := retry
		stDiff(t, "retried message", stNormOutbox(c[0]), stNormOutbox(want))
	}
	failed := c[0]
	failed.Attempts, failed.Status, failed.LastError = 8, core.OutboxFailed, "gave up"
	if err := s.FinishOutbox(ctx, failed); err != nil {
		t.Fatalf("FinishOutbox(failed): %v", err)
	}
	if d := stMustDepth(t, s); d != 3 {
		t.Errorf("depth after one failed = %d, want 3", d)
	}
	if c := claim(core.PlatformSlack, 10, now.Add(2*time.Hour)); !slices.Equal(keys(c), []string{"later"}) {
		t.Errorf("final slack claim = %v, want [later]: sent and failed messages are never claimed", keys(c))
	}
}

func stOutboxConcurrentClaims(t *testing.T, s Store) {
	ctx := context.Background()
	const n = 40
	stMustInTx(t, s, func(tx core.Tx) error {
		for i := range n {
			m := core.OutboxMessage{Platform: core.PlatformSlack, Kind: "reply", Payload: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i)),
				DedupeKey: fmt.Sprintf("c-%d", i), NextAttempt: stNow, Status: core.OutboxPending, CreatedAt: stNow}
			if err := tx.EnqueueOutbox(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	claimEachOnce(t, "ClaimOutbox", n, func() ([]core.OutboxMessage, error) {
		return s.ClaimOutbox(ctx, core.PlatformSlack, 3, stNow, time.Hour)
	})
}

// claimEachOnce runs claim on 4 goroutines until it returns nothing and
// checks that the n queued messages were each claimed exactly once.
func claimEachOnce(t *testing.T, what string, n int, claim func() ([]core.OutboxMessage, error)) {
	t.Helper()
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ms, err := claim()
				if err != nil {
					errs <- err
					return
				}
				if len(ms) == 0 {
					return
				}
				mu.Lock()
				for _, m := range ms {
					seen[m.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent %s: %v", what, err)
	}
	if len(seen) != n {
		t.Errorf("%s claimed %d distinct messages, want %d", what, len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("%s claimed message %d %d times, want once", what, id, k)
		}
	}
}

func stMakeups(t *testing.T, s Store) {
	ctx := context.Background()
	shanghai := stZone(t, "Asia/Shanghai")
	mk := func(emp, date string, kind core.PunchKind, created time.Time) core.MakeupRequest {
		return core.MakeupRequest{EmployeeID: emp, ShiftDate: date, Kind: kind, At: time.Date(2026, 11, 20, 18, 5, 0, 0, shanghai),
			Reason: "忘记打卡", Evidence: []string{"file_v2_1", "file_v2_2"}, Status: core.MakeupPending, ApproverID: "boss",
			Platform: core.PlatformFeishu, CreatedAt: created}
	}
	reqs := []core.MakeupRequest{
		mk("li", "2026-11-20", core.KindOut, time.Date(2026, 11, 21, 10, 0, 0, 0, shanghai)),
		mk("li", "2026-11-24", core.KindIn, time.Date(2026, 11, 24, 12, 0, 0, 0, shanghai)),
		mk("li", "2026-10-30", core.KindIn, time.Date(2026, 10, 31, 12, 0, 0, 0, shanghai)),
		mk("boss", "2026-11-20", core.KindOut, time.Date(2026, 11, 21, 11, 0, 0, 0, shanghai)),
	}
	reqs[2].Evidence = nil
	stMustInTx(t, s, func(tx core.Tx) error {
		for i := range reqs {
			if err := tx.InsertMakeup(ctx, &reqs[i]); err != nil {
				return err
			}
			if reqs[i].ID == 0 {
				t.Errorf("InsertMakeup left the id at 0")
			}
		}
		return nil
	})

	// Approve the first: load for update, transition, write back.
	decided := time.Date(2026, 11, 21, 14, 30, 0, 0, shanghai)
	stMustInTx(t, s, func(tx core.Tx) error {
		m, err := tx.GetMakeupForUpdate(ctx, reqs[0].ID)
		if err != nil {
			return err
		}
		stDiff(t, "GetMakeupForUpdate", stNormMakeup(m), stNormMakeup(reqs[0]))
		if err := m.Transition(core.MakeupApproved, "boss", decided, "ok"); err != nil {
			return err
		}
		m.PunchID = 77
		reqs[0] = m
		return tx.UpdateMakeup(ctx, m)
	})
	stMustInTx(t, s, func(tx core.Tx) error {
		m, err := tx.GetMakeupForUpdate(ctx, reqs[0].ID)
		if err != nil {
			return err
		}
		stDiff(t, "approved request", stNormMakeup(m), stNormMakeup(reqs[0]))
		return nil
	})
	// A second decision on the same request is refused by the core, and
	// the stored state stays approved.
	err := s.InTx(ctx, func(tx core.Tx) error {
		m, err := tx.GetMakeupForUpdate(ctx, reqs[0].ID)
		if err != nil {
			return err
		}
		if err := m.Transition(core.MakeupRejected, "hr", decided, "no"); err != nil {
			return err
		}
		return tx.UpdateMakeup(ctx, m)
	})
	stWantCode(t, "second decision", err, core.ECONFLICT)

	ids := func(ms []core.MakeupRequest) []int64 {
		var out []int64
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	tests := []struct {
		name string
		f    core.MakeupFilter
		want []int64
	}{
		{"one employee, oldest first", core.MakeupFilter{EmployeeID: "li"}, []int64{reqs[2].ID, reqs[0].ID, reqs[1].ID}},
		{"by shift date", core.MakeupFilter{EmployeeID: "li", ShiftDate: "2026-11-24"}, []int64{reqs[1].ID}},
		{"by status", core.MakeupFilter{EmployeeID: "li", Statuses: []core.MakeupStatus{core.MakeupPending}}, []int64{reqs[2].ID, reqs[1].ID}},
		{"several statuses", core.MakeupFilter{Statuses: []core.MakeupStatus{core.MakeupApproved, core.MakeupRejected}}, []int64{reqs[0].ID}},
		{"created in November (Shanghai)", core.MakeupFilter{EmployeeID: "li", From: time.Date(2026, 11, 1, 0, 0, 0, 0, shanghai), To: time.Date(2026, 12, 1, 0, 0, 0, 0, shanghai)}, []int64{reqs[0].ID, reqs[1].ID}},
		{"to is exclusive", core.MakeupFilter{EmployeeID: "li", To: reqs[1].CreatedAt}, []int64{reqs[2].ID, reqs[0].ID}},
		{"everyone", core.MakeupFilter{}, []int64{reqs[2].ID, reqs[0].ID, reqs[3].ID, reqs[1].ID}},
	}
	stMustInTx(t, s, func(tx core.Tx) error {
		for _, tc := range tests {
			ms, err := tx.ListMakeups(ctx, tc.f)
			if err != nil {
				return err
			}
			stDiff(t, "ListMakeups "+tc.name, ids(ms), tc.want)
		}
		ms, err := tx.ListMakeups(ctx, core.MakeupFilter{EmployeeID: "boss"})
		if err != nil {
			return err
		}
		if len(ms) == 1 {
			stDiff(t, "listed request", stNormMakeup(ms[0]), stNormMakeup(reqs[3]))
		}
		return nil
	})
}

func stListAudit(t *testing.T, s Store) {
	ctx := context.Background()
	stMustInTx(t, s, func(tx core.Tx) error {
		for i := range 5 {
			a := core.AuditEntry{At: stNow.Add(time.Duration(i) * time.Second), Actor: "li", Action: fmt.Sprintf("a%d", i), Subject: "li", Detail: `{"i":1}`}
			if err := tx.InsertAudit(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	got, err := s.ListAudit(ctx, 3)
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	var actions []string
	for _, a := range got {
		actions = append(actions, a.Action)
		if a.ID == 0 {
			t.Errorf("audit entry %s has no id", a.Action)
		}
	}
	stDiff(t, "ListAudit(3), newest first", actions, []string{"a4", "a3", "a2"})
	if len(got) == 3 {
		want := core.AuditEntry{ID: got[0].ID, At: stNow.Add(4 * time.Second), Actor: "li", Action: "a4", Subject: "li", Detail: `{"i":1}`}
		stDiff(t, "audit entry", stNormAudit(got[0]), stNormAudit(want))
	}
	if all, _ := s.ListAudit(ctx, 0); len(all) != 5 {
		t.Errorf("ListAudit(0) = %d entries, want 5", len(all))
	}
}

// stIdentityOrder checks that identities come back in the order the org
// file lists them: the first chat account is where the core reaches a
// person with cards and reminders (core.RecipientFor).
func stIdentityOrder(t *testing.T, s Store) {
	org := stOrg(t)
	stMustApply(t, s, org)
	ctx := context.Background()
	e, err := s.Employee(ctx, "li")
	if err != nil {
		t.Fatal(err)
	}
	var got []core.Platform
	for _, id := range e.Identities {
		got = append(got, id.Platform)
	}
	want := []core.Platform{core.PlatformWeCom, core.PlatformSlack}
	if !slices.Equal(got, want) {
		t.Errorf("Employee(li) identities = %v, want the file order %v", got, want)
	}
	emps, err := s.ListEmployees(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range emps {
		if e.ID != "li" {
			continue
		}
		if r, ok := core.RecipientFor(e); !ok || r.Platform != core.PlatformWeCom {
			t.Errorf("RecipientFor(li) from ListEmployees = %+v, want the first listed account (wecom)", r)
		}
	}
}
