// Package coretest holds test doubles for the core's ports and the
// conformance suites every implementation must pass.
package coretest

import (
	"context"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/punchbot/punchbot/core"
)

// MemStore is an in-memory core.Store for tests of packages that may not
// import a real adapter (the bots). It passes the same conformance suite as
// the SQL stores. Transactions are serialised by one mutex and roll back by
// restoring a snapshot.
type MemStore struct {
	mu    sync.Mutex
	state memState
}

type memState struct {
	employees  map[string]core.Employee
	identities []core.Identity
	sites      map[string]core.Site
	schedules  map[string]core.Schedule
	calendars  map[string]core.Calendar
	reminders  map[string]core.Reminder
	policy     core.MakeupPolicy
	events     map[string]core.EventRecord
	intents    map[string]core.PunchIntent // by employee id; see memintent.go
	punches    []core.Punch
	audit      []core.AuditEntry
	outbox     []core.OutboxMessage
	makeups    []core.MakeupRequest
	leaveTypes []core.LeaveType // see memmakeup.go
	cardRefs   []core.CardRef
	orgInfo    core.OrgInfo         // see memreport.go
	retention  map[string]time.Time // claimed retention days, see memreport.go
	leases     map[int64]time.Time
	nextID     int64
	firings    []core.Firing        // see memdelivery.go
	marks      map[string]time.Time // scheduler checkpoints, see memdelivery.go
	devices    memDevices           // devices, device policy, access subjects; see memdevice.go
	org        memOrg               // the organisation's version and sites' datums; see memorg.go
}

var (
	_ core.Store       = (*MemStore)(nil)
	_ core.OutboxStore = (*MemStore)(nil)
	_ core.OrgStore    = (*MemStore)(nil)
)

// NewMemStore returns an empty store.
func NewMemStore() *MemStore {
	return &MemStore{state: memState{
		employees: map[string]core.Employee{}, sites: map[string]core.Site{}, schedules: map[string]core.Schedule{},
		calendars: map[string]core.Calendar{}, reminders: map[string]core.Reminder{}, events: map[string]core.EventRecord{},
		leases: map[int64]time.Time{},
	}}
}

func (s memState) clone() memState {
	c := s
	c.employees, c.sites, c.schedules = maps.Clone(s.employees), maps.Clone(s.sites), maps.Clone(s.schedules)
	c.calendars, c.reminders, c.events, c.leases = maps.Clone(s.calendars), maps.Clone(s.reminders), maps.Clone(s.events), maps.Clone(s.leases)
	c.identities, c.punches, c.audit = slices.Clone(s.identities), slices.Clone(s.punches), slices.Clone(s.audit)
	c.firings, c.marks = slices.Clone(s.firings), maps.Clone(s.marks)
	c.outbox, c.makeups = slices.Clone(s.outbox), slices.Clone(s.makeups)
	c.cardRefs = slices.Clone(s.cardRefs)
	c.retention = maps.Clone(s.retention)
	c.intents = maps.Clone(s.intents)
	c.devices = s.devices.clone()
	c.org = s.org.clone()
	return c
}

// InTx runs fn with the store locked and restores the previous state when fn
// fails.
func (m *MemStore) InTx(ctx context.Context, fn func(core.Tx) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	snapshot := m.state.clone()
	if err := fn(memTx{m}); err != nil {
		m.state = snapshot
		return err
	}
	return nil
}

// ApplyOrg creates or updates everything in org. Like the SQL stores it
// replaces the identities of every listed employee, refuses (ECONFLICT) an
// account still bound to an employee the document does not list, and changes
// nothing when it fails.
func (m *MemStore) ApplyOrg(ctx context.Context, org core.Org, audit core.AuditEntry) (core.ApplyResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	snapshot := m.state.clone()
	if err := m.checkOrgVersion(org); err != nil { // memorg.go
		return core.ApplyResult{}, err
	}
	res, err := m.applyOrg(org, audit)
	if err != nil {
		m.state = snapshot
		return core.ApplyResult{}, err
	}
	return res, nil
}

func (m *MemStore) applyOrg(org core.Org, audit core.AuditEntry) (core.ApplyResult, error) {
	var res core.ApplyResult
	for _, s := range org.Sites {
		m.state.sites[s.ID] = s.Site
		res.Sites++
	}
	for _, s := range org.Schedules {
		s.PunchMode = s.Mode() // as the SQL stores keep it
		s.Overtime.Mode = s.OvertimeMode()
		m.state.schedules[s.ID] = s
		res.Schedules++
	}
	for _, c := range org.Calendars {
		m.state.calendars[c.ID] = c
		res.Calendars++
	}
	listed := map[string]bool{}
	for _, e := range org.Employees {
		listed[e.ID] = true
	}
	m.state.identities = slices.DeleteFunc(m.state.identities, func(i core.Identity) bool { return listed[i.EmployeeID] })
	for _, e := range org.Employees {
		for _, id := range e.Identities {
			id.EmployeeID = e.ID
			for _, other := range m.state.identities {
				if other.Platform == id.Platform && other.Tenant == id.Tenant && other.UserID == id.UserID {
					return res, core.Errorf(core.ECONFLICT, "%s account %q is already bound to employee %s", id.Platform, id.UserID, other.EmployeeID)
				}
			}
			m.state.identities = append(m.state.identities, id)
			res.Identities++
		}
		e.Identities = nil
		m.state.employees[e.ID] = e
		res.Employees++
	}
	for _, r := range org.Reminders {
		m.state.reminders[r.ID] = r
		res.Reminders++
	}
	m.state.policy = org.Makeup
	m.state.leaveTypes = slices.Clone(org.LeaveTypes)
	m.state.orgInfo = core.OrgInfo{Name: org.Name, Lang: org.Lang, TimeZone: org.TimeZone}
	m.saveDevicePolicy(org) // memdevice.go
	m.savedOrg(org)         // memorg.go
	m.state.nextID++
	audit.ID = m.state.nextID
	m.state.audit = append(m.state.audit, audit)
	return res, nil
}

// FindIdentity prefers an exact tenant match over a tenant-less identity.
func (m *MemStore) FindIdentity(ctx context.Context, platform core.Platform, tenant, userID string) (core.Employee, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var found *core.Identity
	for i, id := range m.state.identities {
		if id.Platform == platform && id.UserID == userID && (id.Tenant == tenant || id.Tenant == "") {
			if found == nil || id.Tenant != "" {
				found = &m.state.identities[i]
			}
		}
	}
	if found == nil {
		return core.Employee{}, core.Errorf(core.ENOTFOUND, "no employee for %s user %s", platform, userID)
	}
	return m.employee(found.EmployeeID)
}

func (m *MemStore) employee(id string) (core.Employee, error) {
	e, ok := m.state.employees[id]
	if !ok {
		return e, core.Errorf(core.ENOTFOUND, "no employee %q", id)
	}
	for _, i := range m.state.identities {
		if i.EmployeeID == id {
			e.Identities = append(e.Identities, i)
		}
	}
	return e, nil
}

// Employee returns one employee with identities.
func (m *MemStore) Employee(ctx context.Context, id string) (core.Employee, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.employee(id)
}

// ListEmployees returns every employee with identities, ordered by id.
func (m *MemStore) ListEmployees(ctx context.Context) ([]core.Employee, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := slices.Sorted(maps.Keys(m.state.employees))
	out := make([]core.Employee, 0, len(ids))
	for _, id := range ids {
		e, err := m.employee(id)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// ListReminders returns every reminder ordered by id.
func (m *MemStore) ListReminders(ctx context.Context) ([]core.Reminder, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]core.Reminder, 0, len(m.state.reminders))
	for _, id := range slices.Sorted(maps.Keys(m.state.reminders)) {
		out = append(out, m.state.reminders[id])
	}
	return out, nil
}

// ListAudit returns the latest limit audit entries, newest first; limit 0 or
// less returns all.
func (m *MemStore) ListAudit(ctx context.Context, limit int) ([]core.AuditEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := slices.Clone(m.state.audit)
	slices.Reverse(out)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Roster returns an employee's rules.
func (m *MemStore) Roster(ctx context.Context, employeeID string) (core.Roster, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.employee(employeeID)
	if err != nil {
		return core.Roster{}, err
	}
	r := core.Roster{Employee: e, Policy: m.state.policy}
	if s, ok := m.state.schedules[e.ScheduleID]; ok {
		r.Schedule = &s
		if c, ok := m.state.calendars[s.CalendarID]; ok {
			r.Calendar = &c
		}
	}
	for _, id := range e.SiteIDs {
		if s, ok := m.state.sites[id]; ok {
			r.Sites = append(r.Sites, s)
		}
	}
	return r, nil
}

// eventKey is the key of an event's record in the state's events.
func eventKey(source, eventID string) string { return source + "\x00" + eventID }

// EventReply returns the recorded reply of an event.
func (m *MemStore) EventReply(ctx context.Context, source, eventID string) (core.EventRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.state.events[eventKey(source, eventID)]
	if !ok {
		return rec, core.Errorf(core.ENOTFOUND, "no event %s/%s", source, eventID)
	}
	return rec, nil
}

// PunchByEvent returns the punch stored under an event.
func (m *MemStore) PunchByEvent(ctx context.Context, source, eventID string) (core.Punch, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range m.state.punches {
		if eventID != "" && p.Source == source && p.EventID == eventID {
			return p, nil
		}
	}
	return core.Punch{}, core.Errorf(core.ENOTFOUND, "no punch for event %s/%s", source, eventID)
}

// ListPunches returns matching punches by time.
func (m *MemStore) ListPunches(ctx context.Context, f core.PunchFilter) ([]core.Punch, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []core.Punch
	for _, p := range m.state.punches {
		if (f.EmployeeID == "" || p.EmployeeID == f.EmployeeID) && (f.From.IsZero() || !p.At.Before(f.From)) && (f.To.IsZero() || p.At.Before(f.To)) {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

// Outbox returns a copy of every queued message, for assertions.
func (m *MemStore) Outbox() []core.OutboxMessage {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.state.outbox)
}

// Audit returns a copy of the audit log, for assertions.
func (m *MemStore) Audit() []core.AuditEntry {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.state.audit)
}

// ClaimOutbox leases due messages of one platform.
func (m *MemStore) ClaimOutbox(ctx context.Context, platform core.Platform, limit int, now time.Time, lease time.Duration) ([]core.OutboxMessage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []core.OutboxMessage
	for _, o := range m.state.outbox {
		if len(out) >= limit {
			break
		}
		if o.Platform != platform || o.Status != core.OutboxPending || o.NextAttempt.After(now) || m.state.leases[o.ID].After(now) {
			continue
		}
		m.state.leases[o.ID] = now.Add(lease)
		out = append(out, o)
	}
	return out, nil
}

// FinishOutbox stores the result of a delivery attempt.
func (m *MemStore) FinishOutbox(ctx context.Context, msg core.OutboxMessage) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.state.outbox {
		if m.state.outbox[i].ID == msg.ID {
			m.state.outbox[i] = msg
			delete(m.state.leases, msg.ID)
			return nil
		}
	}
	return core.Errorf(core.ENOTFOUND, "no outbox message %d", msg.ID)
}

// OutboxDepth counts pending messages.
func (m *MemStore) OutboxDepth(ctx context.Context) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, o := range m.state.outbox {
		if o.Status == core.OutboxPending {
			n++
		}
	}
	return n, nil
}

type memTx struct{ m *MemStore }

func (t memTx) LockEmployee(ctx context.Context, employeeID string) error { return nil }

func (t memTx) InsertEvent(ctx context.Context, e core.EventRecord) error {
	key := eventKey(e.Source, e.EventID)
	if _, dup := t.m.state.events[key]; dup {
		return core.Errorf(core.ECONFLICT, "event %s/%s already recorded", e.Source, e.EventID)
	}
	t.m.state.events[key] = e
	return nil
}

func (t memTx) ShiftPunches(ctx context.Context, employeeID, shiftDate string) ([]core.Punch, error) {
	return t.ShiftPunchesBetween(ctx, employeeID, shiftDate, shiftDate)
}

func (t memTx) ShiftPunchesBetween(ctx context.Context, employeeID, from, to string) ([]core.Punch, error) {
	var out []core.Punch
	for _, p := range t.m.state.punches {
		if p.EmployeeID == employeeID && p.ShiftDate >= from && p.ShiftDate <= to {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}

func (t memTx) LastLocatedPunch(ctx context.Context, employeeID string, before time.Time) (core.Punch, error) {
	var best *core.Punch
	for i, p := range t.m.state.punches {
		if p.EmployeeID == employeeID && p.HasLocation && !p.At.After(before) && (best == nil || !p.At.Before(best.At)) {
			best = &t.m.state.punches[i]
		}
	}
	if best == nil {
		return core.Punch{}, core.Errorf(core.ENOTFOUND, "no located punch")
	}
	return *best, nil
}

func (t memTx) InsertPunch(ctx context.Context, p *core.Punch) error {
	if p.EventID != "" {
		for _, q := range t.m.state.punches {
			if q.Source == p.Source && q.EventID == p.EventID {
				return core.Errorf(core.ECONFLICT, "punch for event %s/%s exists", p.Source, p.EventID)
			}
		}
	}
	t.m.state.nextID++
	p.ID = t.m.state.nextID
	t.m.state.punches = append(t.m.state.punches, *p)
	return nil
}

func (t memTx) InsertAudit(ctx context.Context, a core.AuditEntry) error {
	t.m.state.nextID++
	a.ID = t.m.state.nextID
	t.m.state.audit = append(t.m.state.audit, a)
	return nil
}

func (t memTx) EnqueueOutbox(ctx context.Context, msg core.OutboxMessage) error {
	if msg.DedupeKey != "" {
		for _, o := range t.m.state.outbox {
			if o.DedupeKey == msg.DedupeKey {
				return nil
			}
		}
	}
	t.m.state.nextID++
	msg.ID = t.m.state.nextID
	if msg.Status == "" {
		msg.Status = core.OutboxPending
	}
	t.m.state.outbox = append(t.m.state.outbox, msg)
	return nil
}

func (t memTx) InsertMakeup(ctx context.Context, mr *core.MakeupRequest) error {
	t.m.state.nextID++
	mr.ID = t.m.state.nextID
	t.m.state.makeups = append(t.m.state.makeups, *mr)
	return nil
}

func (t memTx) GetMakeupForUpdate(ctx context.Context, id int64) (core.MakeupRequest, error) {
	for _, mr := range t.m.state.makeups {
		if mr.ID == id {
			return mr, nil
		}
	}
	return core.MakeupRequest{}, core.Errorf(core.ENOTFOUND, "no request %d", id)
}

func (t memTx) UpdateMakeup(ctx context.Context, mr core.MakeupRequest) error {
	for i := range t.m.state.makeups {
		if t.m.state.makeups[i].ID == mr.ID {
			t.m.state.makeups[i] = mr
			return nil
		}
	}
	return core.Errorf(core.ENOTFOUND, "no request %d", mr.ID)
}

func (t memTx) ListMakeups(ctx context.Context, f core.MakeupFilter) ([]core.MakeupRequest, error) {
	var out []core.MakeupRequest
	for _, mr := range t.m.state.makeups {
		if f.Matches(mr) {
			out = append(out, mr)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, nil
}

// MemKV is an in-memory SessionStore, Deduper and RateLimiter for tests,
// driven by an injected clock.
type MemKV struct {
	mu   sync.Mutex
	now  func() time.Time
	vals map[string]memVal
	hits map[string][]time.Time
}

type memVal struct {
	v   []byte
	exp time.Time
}

var (
	_ core.SessionStore = (*MemKV)(nil)
	_ core.Deduper      = (*MemKV)(nil)
	_ core.RateLimiter  = (*MemKV)(nil)

	_ core.SessionReadingLimiter = (*MemKV)(nil)
)

// NewMemKV returns an empty store using now as its clock (time.Now if nil).
func NewMemKV(now func() time.Time) *MemKV {
	if now == nil {
		now = time.Now
	}
	return &MemKV{now: now, vals: map[string]memVal{}, hits: map[string][]time.Time{}}
}

// Put stores value under key for ttl.
func (k *MemKV) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.vals[key] = memVal{v: slices.Clone(value), exp: k.now().Add(ttl)}
	return nil
}

// PutIfAbsent stores value unless key holds a live value, which it returns.
func (k *MemKV) PutIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) ([]byte, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if v, ok := k.vals[key]; ok && k.now().Before(v.exp) {
		return append([]byte{}, v.v...), false, nil
	}
	k.vals[key] = memVal{v: slices.Clone(value), exp: k.now().Add(ttl)}
	return nil, true, nil
}

// Get returns the live value of key or ENOTFOUND.
func (k *MemKV) Get(ctx context.Context, key string) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.vals[key]
	if !ok || !k.now().Before(v.exp) {
		return nil, core.Errorf(core.ENOTFOUND, "no session value %q", key)
	}
	return slices.Clone(v.v), nil
}

// Delete removes key.
func (k *MemKV) Delete(ctx context.Context, key string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.vals, key)
	return nil
}

// Claim returns true the first time key is claimed within ttl.
func (k *MemKV) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	key = "claim:" + key
	if v, ok := k.vals[key]; ok && k.now().Before(v.exp) {
		return false, nil
	}
	k.vals[key] = memVal{exp: k.now().Add(ttl)}
	return true, nil
}

// Allow is a sliding-window limiter.
func (k *MemKV) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, time.Duration, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	hits := slices.DeleteFunc(k.hits[key], func(t time.Time) bool { return !t.After(now.Add(-window)) })
	if len(hits) >= limit {
		k.hits[key] = hits
		return false, hits[0].Add(window).Sub(now), nil
	}
	k.hits[key] = append(hits, now)
	return true, 0, nil
}

// Keys lists live keys with a prefix, for assertions.
func (k *MemKV) Keys(prefix string) []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []string
	for key, v := range k.vals {
		if strings.HasPrefix(key, prefix) && k.now().Before(v.exp) {
			out = append(out, key)
		}
	}
	sort.Strings(out)
	return out
}

// AllowRead is Allow and Get; in process they cost no round trip.
func (k *MemKV) AllowRead(ctx context.Context, rateKey string, limit int, window time.Duration, sessionKey string) (core.Admission, error) {
	return core.AllowThenRead(ctx, k, rateKey, limit, window, sessionKey)
}
