package coretest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

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
	// The conflict's other side: the punch stored under an event.
	got, err := s.PunchByEvent(ctx, "wecom", "m1")
	if err != nil || got.ID != first.ID {
		t.Errorf("PunchByEvent(wecom, m1) = punch %d, %v; want punch %d", got.ID, err, first.ID)
	}
	for _, k := range [][2]string{{"wecom", "fresh"}, {"feishu", "m1"}, {core.SourceAdmin, ""}} {
		_, err := s.PunchByEvent(ctx, k[0], k[1])
		stWantCode(t, fmt.Sprintf("PunchByEvent(%s, %q)", k[0], k[1]), err, core.ENOTFOUND)
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
