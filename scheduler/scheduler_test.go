package scheduler_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
	"github.com/punchbot/punchbot/scheduler"
)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

func mustZone(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// at parses a wall time in a zone.
func at(tb testing.TB, zone, s string) time.Time {
	tb.Helper()
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, mustZone(tb, zone))
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Office is the Shanghai site everyone punches at.
var office = core.Site{ID: "office", Name: "国贸", Lat: 39.9087, Lng: 116.4599, RadiusM: 300}

// schedOrg has a 09:00–18:00 weekday schedule under a calendar with a
// holiday (2026-10-01) and a 调休 Saturday (2026-10-10), people in Shanghai
// and New York on three platforms, and one reminder of each kind.
func schedOrg() core.Org {
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	return core.Org{
		Name: "Acme", TimeZone: "Asia/Shanghai",
		Sites: []core.OrgSite{{Site: office}},
		Calendars: []core.Calendar{{ID: "cn", Days: []core.CalendarDay{
			{Date: "2026-10-01", Name: "国庆节"}, {Date: "2026-10-10", Workday: true, Name: "国庆调休"},
		}}},
		Schedules: []core.Schedule{{ID: "day", WorkDays: weekdays, StartMin: 9 * 60, EndMin: 18 * 60, CheckInOpensMin: 120, CheckOutClosesMin: 360, CalendarID: "cn"}},
		Employees: []core.Employee{
			{ID: "zhang", Name: "张三", Active: true, ScheduleID: "day", SiteIDs: []string{"office"}, Department: "Ops", ManagerID: "boss",
				Identities: []core.Identity{{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"}}},
			{ID: "li", Name: "李四", Active: true, ScheduleID: "day", SiteIDs: []string{"office"}, Department: "Ops", ManagerID: "boss",
				Identities: []core.Identity{{Platform: core.PlatformFeishu, UserID: "ou_li"}}},
			{ID: "alice", Name: "Alice", Lang: "en", TimeZone: "America/New_York", Active: true, ScheduleID: "day", SiteIDs: []string{"office"},
				Department: "Sales", Identities: []core.Identity{{Platform: core.PlatformSlack, Tenant: "T1", UserID: "UALICE"}}},
			{ID: "boss", Name: "老板", Role: core.RoleManager, Active: true, Identities: []core.Identity{{Platform: core.PlatformSlack, Tenant: "T1", UserID: "UBOSS"}}},
			{ID: "gone", Name: "离职", Active: false, ScheduleID: "day", Identities: []core.Identity{{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "gone"}}},
			{ID: "wang", Name: "王五", Active: true, ScheduleID: "day", Department: "Ops", Identities: []core.Identity{{Platform: core.PlatformWeb, UserID: "wang"}}},
		},
		Reminders: []core.Reminder{
			{ID: "in10", Kind: core.ReminderPunchIn, MinutesBefore: 10, Enabled: true},
			{ID: "out", Kind: core.ReminderPunchOut, Enabled: true},
			{ID: "missed", Kind: core.ReminderMissedPunch, Enabled: true},
			{ID: "digest", Kind: core.ReminderApprovalDigest, Cron: "CRON_TZ=Asia/Shanghai 30 9 * * *", OlderThanHrs: 24, Enabled: true},
			{ID: "weekly", Kind: core.ReminderBroadcast, Cron: "CRON_TZ=Asia/Shanghai 0 10 * * MON", Text: "**周会** 10:30", Markdown: true,
				Audience: core.Audience{Departments: []string{"Ops"}, Chats: []core.ChatTarget{{Platform: core.PlatformSlack, ChatID: "C1"}}}, Until: "2026-12-31", Enabled: true},
		},
	}
}

// env is a scheduler over the in-memory store, with a core service to punch
// through.
type env struct {
	store *coretest.MemStore
	kv    *coretest.MemKV
	svc   *core.Service
	clock *clock
	sched *scheduler.Scheduler
}

func newEnv(tb testing.TB, org core.Org, cfg scheduler.Config) *env {
	tb.Helper()
	if err := org.Prepare(); err != nil {
		tb.Fatal(err)
	}
	store := coretest.NewMemStore()
	if _, err := store.ApplyOrg(context.Background(), org, core.AuditEntry{Action: "org.applied"}); err != nil {
		tb.Fatal(err)
	}
	c := &clock{}
	kv := coretest.NewMemKV(c.Now)
	e := &env{store: store, kv: kv, svc: core.NewService(store, kv, kv, core.DefaultConfig(), c.Now), clock: c}
	e.sched = mustScheduler(tb, store, c.Now, cfg)
	return e
}

func mustScheduler(tb testing.TB, store scheduler.Store, now func() time.Time, cfg scheduler.Config) *scheduler.Scheduler {
	tb.Helper()
	if cfg.Zone == nil {
		cfg.Zone = mustZone(tb, "Asia/Shanghai")
	}
	s, err := scheduler.New(cfg, scheduler.Deps{Store: store, Now: now, Log: quietLog()})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// tick runs one tick at t.
func (e *env) tick(tb testing.TB, t time.Time) scheduler.TickResult {
	tb.Helper()
	e.clock.Set(t)
	res, err := e.sched.Tick(context.Background(), t)
	if err != nil {
		tb.Fatalf("Tick(%s): %v", t, err)
	}
	return res
}

// punchIn punches an employee in at the office at t.
func (e *env) punchIn(tb testing.TB, user string, p core.Platform, t time.Time) {
	tb.Helper()
	e.clock.Set(t)
	r, err := e.svc.Handle(context.Background(), core.Command{Actor: core.Identity{Platform: p, UserID: user, Tenant: "corp"}, Kind: core.CmdPunch,
		Punch: core.KindIn, At: t, Location: &core.Location{Lat: office.Lat, Lng: office.Lng, Datum: core.WGS84}, EventID: "ev-" + user + t.String()})
	if err != nil || r.Outcome != core.OutcomeAccepted {
		tb.Fatalf("punch in %s at %s: %+v, %v", user, t, r, err)
	}
}

// notices returns the queued notices of one reminder as "employee or chat"
// → notice.
func (e *env) notices(tb testing.TB, reminder string) map[string]core.Notice {
	tb.Helper()
	out := map[string]core.Notice{}
	for _, m := range e.store.Outbox() {
		if m.Kind != core.OutboxNotice {
			continue
		}
		var n core.Notice
		var to core.Recipient
		if err := json.Unmarshal(m.Payload, &n); err != nil {
			tb.Fatal(err)
		}
		if err := json.Unmarshal([]byte(m.Route), &to); err != nil {
			tb.Fatal(err)
		}
		if n.Reminder != reminder {
			continue
		}
		who := to.EmployeeID
		if who == "" {
			who = string(to.Platform) + ":" + to.ChatID
		}
		if _, dup := out[who+"@"+n.FireAt.UTC().Format(time.RFC3339)]; dup {
			tb.Errorf("%s has two deliveries of %s at %s", who, reminder, n.FireAt)
		}
		out[who+"@"+n.FireAt.UTC().Format(time.RFC3339)] = n
	}
	return out
}

func whoGot(ns map[string]core.Notice) []string {
	var out []string
	for k := range ns {
		out = append(out, k[:len(k)-len("@2006-01-02T15:04:05Z")])
	}
	sort.Strings(out)
	return out
}

// onlyPunchIn keeps the punch-in reminder alone, so a case sees only it.
func onlyPunchIn(org core.Org) core.Org {
	org.Reminders = org.Reminders[:1]
	return org
}

func TestPunchInReminderAt0850(t *testing.T) {
	tests := []struct {
		name string
		at   time.Time
		want []string
	}{
		{"a workday", at(t, "Asia/Shanghai", "2026-11-26 08:50:00"), []string{"li", "zhang"}},
		{"a public holiday", at(t, "Asia/Shanghai", "2026-10-01 08:50:00"), nil},
		{"a 调休 Saturday", at(t, "Asia/Shanghai", "2026-10-10 08:50:00"), []string{"li", "zhang"}},
		{"an ordinary Saturday", at(t, "Asia/Shanghai", "2026-10-17 08:50:00"), nil},
		{"08:50 in New York", at(t, "America/New_York", "2026-11-26 08:50:00"), []string{"alice"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, onlyPunchIn(schedOrg()), scheduler.Config{})
			e.tick(t, tc.at.Add(-time.Minute)) // the first tick starts the checkpoint
			res := e.tick(t, tc.at.Add(2*time.Second))
			if got := whoGot(e.notices(t, "in10")); !slices.Equal(got, tc.want) {
				t.Errorf("recipients = %v, want %v", got, tc.want)
			}
			if wantFired := min(len(tc.want), 1); res.Fired != wantFired || res.Late != 0 {
				t.Errorf("tick = %+v, want %d firing on time", res, wantFired)
			}
		})
	}
}

func TestPunchInReminderSkipsWhoPunched(t *testing.T) {
	e := newEnv(t, onlyPunchIn(schedOrg()), scheduler.Config{})
	e.tick(t, at(t, "Asia/Shanghai", "2026-11-26 08:40:00"))
	e.punchIn(t, "zhangsan", core.PlatformWeCom, at(t, "Asia/Shanghai", "2026-11-26 08:45:00"))
	e.tick(t, at(t, "Asia/Shanghai", "2026-11-26 08:50:01"))
	ns := e.notices(t, "in10")
	if got := whoGot(ns); !slices.Equal(got, []string{"li"}) {
		t.Fatalf("recipients = %v, want [li]: zhang already punched in", got)
	}
	n := ns["li@2026-11-26T00:50:00Z"]
	if n.ShiftDate != "2026-11-26" || !n.ShiftStart.Equal(at(t, "Asia/Shanghai", "2026-11-26 09:00:00")) || n.Late {
		t.Errorf("notice = %+v, want the 09:00 shift on time", n)
	}
	// Ticking again, or a second scheduler on the same store, queues nothing more.
	e.tick(t, at(t, "Asia/Shanghai", "2026-11-26 08:50:30"))
	other := mustScheduler(t, e.store, e.clock.Now, scheduler.Config{})
	if _, err := other.Tick(context.Background(), at(t, "Asia/Shanghai", "2026-11-26 08:50:40")); err != nil {
		t.Fatal(err)
	}
	if got := len(e.store.Outbox()); got != 1 {
		t.Errorf("outbox has %d messages, want 1", got)
	}
	fs, _ := e.store.ListFirings(context.Background(), core.FiringFilter{})
	if len(fs) != 1 || fs[0].Status != core.FiringQueued || fs[0].Recipients != 1 {
		t.Errorf("firings = %+v, want one queued firing with one recipient", fs)
	}
}

func TestPunchOutAndMissedPunch(t *testing.T) {
	e := newEnv(t, schedOrg(), scheduler.Config{})
	e.tick(t, at(t, "Asia/Shanghai", "2026-11-26 08:40:00"))
	e.punchIn(t, "zhangsan", core.PlatformWeCom, at(t, "Asia/Shanghai", "2026-11-26 08:45:00"))
	// Tick every minute through the day and the next morning, as the
	// leader does.
	for m := at(t, "Asia/Shanghai", "2026-11-26 08:41:00"); !m.After(at(t, "Asia/Shanghai", "2026-11-27 09:05:00")); m = m.Add(time.Minute) {
		e.tick(t, m.Add(time.Second))
	}
	if got := whoGot(e.notices(t, "out")); !slices.Equal(got, []string{"zhang"}) {
		t.Errorf("punch-out reminder went to %v, want [zhang] (the only one in)", got)
	}
	missed := e.notices(t, "missed")
	var friday []string
	for k := range missed {
		if strings.HasSuffix(k, "@2026-11-27T01:00:00Z") {
			friday = append(friday, strings.TrimSuffix(k, "@2026-11-27T01:00:00Z"))
		}
	}
	sort.Strings(friday)
	// (Thursday 09:00 brought the notices about Wednesday, and 09:00 in New
	// York, 22:00 in Shanghai, Alice's.)
	if !slices.Equal(friday, []string{"li", "zhang"}) {
		t.Errorf("Friday 09:00's missed-punch notice went to %v, want [li zhang]", friday)
	}
	if z := missed["zhang@2026-11-27T01:00:00Z"]; len(z.Missing) != 1 || z.Missing[0].Kind != core.KindOut {
		t.Errorf("zhang's missing slots = %+v, want the check-out", z.Missing)
	}
	if l := missed["li@2026-11-27T01:00:00Z"]; len(l.Missing) != 2 {
		t.Errorf("li's missing slots = %+v, want both", l.Missing)
	}
}

func TestBroadcastCron(t *testing.T) {
	e := newEnv(t, schedOrg(), scheduler.Config{})
	monday := at(t, "Asia/Shanghai", "2026-11-30 10:00:00")
	e.tick(t, monday.Add(-time.Minute))
	res := e.tick(t, monday.Add(time.Second))
	got := whoGot(e.notices(t, "weekly"))
	// Ops is zhang, li and wang; wang has no chat account; plus the channel.
	if !slices.Equal(got, []string{"li", "slack:C1", "zhang"}) {
		t.Errorf("broadcast went to %v, want [li slack:C1 zhang]", got)
	}
	if res.Fired != 1 || res.Queued != 3 {
		t.Errorf("tick = %+v, want 1 firing of 3 deliveries", res)
	}
	reps, err := e.sched.Firings(context.Background(), core.FiringFilter{ReminderID: "weekly"})
	if err != nil || len(reps) != 1 {
		t.Fatalf("Firings = %+v, %v", reps, err)
	}
	if c := reps[0].Counts; c.Queued != 3 || c.Pending != 3 {
		t.Errorf("counts = %+v, want 3 queued and pending", c)
	}
	if reps[0].Note == "" {
		t.Errorf("firing note is empty, want it to name the employee without a chat account")
	}
	// Past its end date it stops.
	e2 := newEnv(t, schedOrg(), scheduler.Config{})
	jan := at(t, "Asia/Shanghai", "2027-01-04 10:00:00")
	e2.tick(t, jan.Add(-time.Minute))
	if res := e2.tick(t, jan.Add(time.Second)); res.Fired != 0 {
		t.Errorf("after the end date: %+v, want nothing", res)
	}
}

func TestApprovalDigest(t *testing.T) {
	e := newEnv(t, schedOrg(), scheduler.Config{})
	fire := at(t, "Asia/Shanghai", "2026-11-27 09:30:00")
	if err := e.store.InTx(context.Background(), func(tx core.Tx) error {
		for i, age := range []time.Duration{30 * time.Hour, 2 * time.Hour} {
			m := core.MakeupRequest{EmployeeID: "zhang", ShiftDate: fmt.Sprint("2026-11-2", 4+i), Kind: core.KindIn, At: fire.Add(-48 * time.Hour),
				Status: core.MakeupPending, CreatedAt: fire.Add(-age)}
			if err := tx.InsertMakeup(context.Background(), &m); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.tick(t, fire.Add(-time.Minute))
	e.tick(t, fire.Add(time.Second))
	ns := e.notices(t, "digest")
	if got := whoGot(ns); !slices.Equal(got, []string{"boss"}) {
		t.Fatalf("digest went to %v, want [boss] (zhang's manager)", got)
	}
	if n := ns["boss@2026-11-27T01:30:00Z"]; n.PendingTotal != 1 || n.Pending[0].ShiftDate != "2026-11-24" {
		t.Errorf("digest = %+v, want only the request older than 24 h", n)
	}
}

func TestDowntimeLateAndSkipped(t *testing.T) {
	e := newEnv(t, onlyPunchIn(schedOrg()), scheduler.Config{LateWindow: 15 * time.Minute})
	// Last tick at 08:30 on Thursday, then nothing until 08:58: the 08:50
	// reminder is 8 minutes late and goes out once.
	e.tick(t, at(t, "Asia/Shanghai", "2026-11-26 08:30:00"))
	res := e.tick(t, at(t, "Asia/Shanghai", "2026-11-26 08:58:00"))
	if res.Fired != 1 || res.Late != 1 || res.Minutes != 28 {
		t.Errorf("catch-up tick = %+v, want one late firing over 28 minutes", res)
	}
	ns := e.notices(t, "in10")
	if got := whoGot(ns); !slices.Equal(got, []string{"li", "zhang"}) || !ns["li@2026-11-26T00:50:00Z"].Late {
		t.Errorf("late recipients = %v (%+v), want li and zhang marked late", got, ns)
	}
	if res := e.tick(t, at(t, "Asia/Shanghai", "2026-11-26 08:59:00")); res.Fired != 0 {
		t.Errorf("next tick fired again: %+v", res)
	}
	// Friday: down from 08:00 to 09:30, 40 minutes after the reminder.
	e.tick(t, at(t, "Asia/Shanghai", "2026-11-27 08:00:00"))
	res = e.tick(t, at(t, "Asia/Shanghai", "2026-11-27 09:30:00"))
	if res.Fired != 0 || res.Skipped != 1 {
		t.Errorf("after a long outage: %+v, want the firing recorded as skipped", res)
	}
	fs, _ := e.store.ListFirings(context.Background(), core.FiringFilter{Status: core.FiringSkipped, Since: at(t, "Asia/Shanghai", "2026-11-27 08:00:00")})
	if len(fs) != 1 || !fs[0].FireAt.Equal(at(t, "Asia/Shanghai", "2026-11-27 08:50:00")) || fs[0].Note == "" {
		t.Errorf("skipped firings = %+v, want Friday 08:50 with a note", fs)
	}
	if got := len(e.notices(t, "in10")); got != 2 {
		t.Errorf("%d punch-in notices in all, want the 2 of Thursday", got)
	}
}

func TestResumeHalfQueuedFiring(t *testing.T) {
	e := newEnv(t, schedOrg(), scheduler.Config{})
	ctx := context.Background()
	monday := at(t, "Asia/Shanghai", "2026-11-30 10:00:00")
	// An instance recorded the firing and queued one delivery, then died.
	f, _, err := e.store.BeginFiring(ctx, core.Firing{ReminderID: "weekly", Kind: core.ReminderBroadcast, FireAt: monday, Status: core.FiringQueuing, CreatedAt: monday})
	if err != nil {
		t.Fatal(err)
	}
	to := core.Recipient{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan", EmployeeID: "zhang"}
	route, _ := json.Marshal(to)
	payload, _ := json.Marshal(core.Notice{Reminder: "weekly", Kind: core.ReminderBroadcast, FireAt: monday, Text: "**周会** 10:30", Markdown: true, Lang: "zh"})
	if _, err := e.store.EnqueueDeliveries(ctx, f.ID, []core.OutboxMessage{{Platform: core.PlatformWeCom, Route: string(route), Kind: core.OutboxNotice,
		Payload: payload, DedupeKey: core.DeliveryKey("weekly", monday, to), CreatedAt: monday}}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetCheckpoint(ctx, "reminders", monday); err != nil {
		t.Fatal(err)
	}
	// Too fresh to resume: it may still be queuing elsewhere.
	if res := e.tick(t, monday.Add(20*time.Second)); res.Resumed != 0 {
		t.Errorf("resumed a fresh firing: %+v", res)
	}
	res := e.tick(t, monday.Add(90*time.Second))
	if res.Resumed != 1 {
		t.Fatalf("tick = %+v, want the firing resumed", res)
	}
	if got := whoGot(e.notices(t, "weekly")); !slices.Equal(got, []string{"li", "slack:C1", "zhang"}) {
		t.Errorf("after resuming: %v, want each recipient once", got)
	}
	fs, _ := e.store.ListFirings(ctx, core.FiringFilter{ReminderID: "weekly"})
	if len(fs) != 1 || fs[0].Status != core.FiringQueued || fs[0].Recipients != 3 {
		t.Errorf("firing = %+v, want it queued with 3 recipients", fs)
	}
}

func TestPreviewAndFire(t *testing.T) {
	e := newEnv(t, schedOrg(), scheduler.Config{})
	ctx := context.Background()
	e.clock.Set(at(t, "Asia/Shanghai", "2026-11-26 15:00:00"))
	p, err := e.sched.Preview(ctx, "in10")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range p.Deliveries {
		got = append(got, d.Recipient.EmployeeID)
	}
	sort.Strings(got)
	// At 15:00 in Shanghai nobody has punched in for today's shift, which
	// for Alice in New York starts in seven hours.
	if !slices.Equal(got, []string{"alice", "li", "zhang"}) {
		t.Errorf("preview = %v, want [alice li zhang]", got)
	}
	if len(e.store.Outbox()) != 0 {
		t.Errorf("preview queued messages")
	}
	rep, created, err := e.sched.Fire(ctx, "weekly")
	if err != nil || !created || rep.Recipients != 3 || rep.Counts.Queued != 3 || !rep.Manual {
		t.Errorf("Fire = %+v, created %v, %v; want a manual firing of 3", rep, created, err)
	}
	again, created, err := e.sched.Fire(ctx, "weekly")
	if err != nil || created || again.ID != rep.ID {
		t.Errorf("Fire again in the same minute = %+v, created %v, %v; want the same firing", again, created, err)
	}
	if _, _, err := e.sched.Fire(ctx, "nope"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Errorf("Fire(unknown) = %v, want ENOTFOUND", err)
	}
	sts, err := e.sched.Reminders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]core.ReminderStatus{}
	for _, st := range sts {
		byID[st.Reminder.ID] = st
	}
	if w := byID["weekly"]; !w.Next.Equal(at(t, "Asia/Shanghai", "2026-11-30 10:00:00")) || len(w.Recent) != 1 || w.Problem != "" {
		t.Errorf("weekly status = %+v, want next Monday 10:00 and the manual firing", w)
	}
	if d := byID["in10"]; d.Schedule == "" || !d.Next.IsZero() {
		t.Errorf("in10 status = %+v, want a description and no single next time", d)
	}
}

func TestBadCronIsReported(t *testing.T) {
	org := schedOrg()
	org.Reminders = []core.Reminder{
		{ID: "bad", Kind: core.ReminderBroadcast, Cron: "61 * * * *", Text: "x", Audience: core.Audience{Everyone: true}, Enabled: true},
		{ID: "tz", Kind: core.ReminderMissedPunch, Cron: "CRON_TZ=UTC 0 9 * * *", Enabled: true},
	}
	e := newEnv(t, org, scheduler.Config{})
	e.clock.Set(at(t, "Asia/Shanghai", "2026-11-26 15:00:00"))
	sts, err := e.sched.Reminders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range sts {
		if st.Problem == "" {
			t.Errorf("%s: no problem reported for %q", st.Reminder.ID, st.Reminder.Cron)
		}
	}
}

// crashLocker hands out leases that are never released: stopping a
// scheduler that holds one is a crash, as far as the lock can tell.
type crashLocker struct{ core.Locker }

type crashLease struct{ core.Lease }

func (l crashLocker) TryLock(ctx context.Context, key string, ttl time.Duration) (core.Lease, error) {
	lease, err := l.Locker.TryLock(ctx, key, ttl)
	if err != nil {
		return nil, err
	}
	return crashLease{lease}, nil
}

func (crashLease) Release(context.Context) error { return nil }

// waitFor polls cond for up to d.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return cond()
}

func TestLeaderElectionHandsOver(t *testing.T) {
	store := coretest.NewMemStore()
	kv := coretest.NewMemKV(time.Now)
	const ttl = 300 * time.Millisecond
	cfg := scheduler.Config{TTL: ttl, Poll: 20 * time.Millisecond}
	a, b := mustScheduler(t, store, time.Now, cfg), mustScheduler(t, store, time.Now, cfg)
	ctxA, stopA := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	defer stopB()
	doneA, doneB := make(chan error, 1), make(chan error, 1)
	go func() { doneA <- a.Run(ctxA, crashLocker{kv}) }()
	if !waitFor(2*time.Second, a.IsLeader) {
		t.Fatal("the first instance never became leader")
	}
	go func() { doneB <- b.Run(ctxB, kv) }()
	// The lease is renewed: b stays a follower well past one TTL.
	time.Sleep(3 * ttl)
	if !a.IsLeader() || b.IsLeader() {
		t.Fatalf("leaders: a %v, b %v; want a only", a.IsLeader(), b.IsLeader())
	}
	// a dies without releasing its lease: b takes over within the TTL.
	stopA()
	died := time.Now()
	if err := <-doneA; err != nil {
		t.Fatal(err)
	}
	if !waitFor(3*ttl, b.IsLeader) {
		t.Fatal("the second instance did not take over")
	}
	if took := time.Since(died); took > ttl+100*time.Millisecond {
		t.Errorf("took over after %s, want within the TTL (%s)", took, ttl)
	}
	// An orderly stop releases at once.
	stopB()
	if err := <-doneB; err != nil {
		t.Fatal(err)
	}
	if _, err := kv.TryLock(context.Background(), "scheduler:leader", ttl); err != nil {
		t.Errorf("lock after an orderly stop: %v, want it free", err)
	}
}

// flakyLease fails renewals with a transport error.
type flakyLocker struct {
	core.Locker
	fail bool
}

type flakyLease struct {
	core.Lease
	l *flakyLocker
}

func (l *flakyLocker) TryLock(ctx context.Context, key string, ttl time.Duration) (core.Lease, error) {
	lease, err := l.Locker.TryLock(ctx, key, ttl)
	if err != nil {
		return nil, err
	}
	return flakyLease{lease, l}, nil
}

func (f flakyLease) Renew(ctx context.Context, ttl time.Duration) error {
	if f.l.fail {
		return core.Errorf(core.EUNAVAILABLE, "redis: connection refused")
	}
	return f.Lease.Renew(ctx, ttl)
}

func TestLeaderStepsDownWhenItCannotRenew(t *testing.T) {
	store := coretest.NewMemStore()
	kv := coretest.NewMemKV(time.Now)
	const ttl = 300 * time.Millisecond
	s := mustScheduler(t, store, time.Now, scheduler.Config{TTL: ttl, Poll: 20 * time.Millisecond})
	l := &flakyLocker{Locker: kv, fail: true}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, l) }()
	if !waitFor(time.Second, s.IsLeader) {
		t.Fatal("never became leader")
	}
	became := time.Now()
	if !waitFor(2*ttl, func() bool { return !s.IsLeader() }) {
		t.Fatal("kept leading without renewing its lease")
	}
	if d := time.Since(became); d >= ttl {
		t.Errorf("stepped down after %s, want before the TTL (%s) runs out", d, ttl)
	}
	stop()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}
