package postgres

import (
	"slices"
	"sync"
	"time"

	"github.com/punchbot/punchbot/core"
)

// rosterCacheTTL bounds how stale an identity or roster this store hands
// out may be. Every command reads both before its transaction (outside it,
// so they were never more than a snapshot); keeping them for a few seconds
// takes that read off the path of nearly every punch.
//
// Staleness: ApplyOrg on this store clears the cache, so this replica sees
// its own changes at once. Another replica sees an organisation change
// within rosterCacheTTL: until then it may still accept a punch from an
// employee just deactivated, still route an account to its previous owner or
// judge a punch by the previous schedule or sites. Punches themselves are
// never cached: the shift's punches are always read inside the
// transaction, under the employee's lock.
const rosterCacheTTL = 5 * time.Second

// rosterCacheMax bounds the entries of each map; when full, expired entries
// go first and, if none has expired, everything.
const rosterCacheMax = 1 << 16

// account is an identity lookup key.
type account struct {
	platform     core.Platform
	tenant, user string
}

type cachedRoster struct {
	r  core.Roster
	at time.Time
}

type cachedAccount struct {
	employeeID string // "" when no employee is bound to the account
	at         time.Time
}

// rosterCache keeps identities and rosters read from the database for
// rosterCacheTTL. gen counts clears: a read that started before a clear
// must not put what it read afterwards, or a replica could keep serving the
// organisation it has just replaced.
type rosterCache struct {
	mu       sync.RWMutex
	now      func() time.Time
	ttl      time.Duration
	gen      uint64
	rosters  map[string]cachedRoster
	accounts map[account]cachedAccount
}

func newRosterCache(now func() time.Time, ttl time.Duration) *rosterCache {
	return &rosterCache{now: now, ttl: ttl, rosters: map[string]cachedRoster{}, accounts: map[account]cachedAccount{}}
}

// fresh reports whether something read at at may still be handed out.
func (c *rosterCache) fresh(at, now time.Time) bool {
	age := now.Sub(at)
	return age >= 0 && age <= c.ttl
}

// generation returns the clear count, to pass to put after a read.
func (c *rosterCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// account returns the employee bound to a, "" for none; ok is false when
// the cache does not know.
func (c *rosterCache) account(a account) (employeeID string, ok bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.accounts[a]
	if !ok || !c.fresh(e.at, c.now()) {
		return "", false
	}
	return e.employeeID, true
}

// roster returns a copy of the cached roster of an employee.
func (c *rosterCache) roster(employeeID string) (core.Roster, bool) {
	c.mu.RLock()
	e, ok := c.rosters[employeeID]
	c.mu.RUnlock()
	if !ok || !c.fresh(e.at, c.now()) {
		return core.Roster{}, false
	}
	return cloneRoster(e.r), true
}

// employee returns a copy of the employee of a cached roster.
func (c *rosterCache) employee(employeeID string) (core.Employee, bool) {
	c.mu.RLock()
	e, ok := c.rosters[employeeID]
	c.mu.RUnlock()
	if !ok || !c.fresh(e.at, c.now()) {
		return core.Employee{}, false
	}
	emp := e.r.Employee
	emp.SiteIDs = slices.Clone(emp.SiteIDs)
	emp.Identities = slices.Clone(emp.Identities)
	return emp, true
}

// put keeps what a read begun at generation gen found: the roster (nil
// when the employee does not exist) and, when a is not nil, the account
// that led to it. It keeps nothing if the cache was cleared since.
func (c *rosterCache) put(gen uint64, a *account, r *core.Roster) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	now := c.now()
	if a != nil {
		makeRoom(c.accounts, now, c, func(e cachedAccount) time.Time { return e.at })
		id := ""
		if r != nil {
			id = r.Employee.ID
		}
		c.accounts[*a] = cachedAccount{employeeID: id, at: now}
	}
	if r != nil {
		makeRoom(c.rosters, now, c, func(e cachedRoster) time.Time { return e.at })
		c.rosters[r.Employee.ID] = cachedRoster{r: cloneRoster(*r), at: now}
	}
}

// makeRoom drops expired entries of a full map, or all of them.
func makeRoom[K comparable, V any](m map[K]V, now time.Time, c *rosterCache, at func(V) time.Time) {
	if len(m) < rosterCacheMax {
		return
	}
	for k, v := range m {
		if !c.fresh(at(v), now) {
			delete(m, k)
		}
	}
	if len(m) >= rosterCacheMax {
		clear(m)
	}
}

// clear forgets everything, after this store changed the organisation.
func (c *rosterCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.rosters)
	clear(c.accounts)
}

// cloneRoster copies everything a caller could change in place, so that
// callers never share a roster with the cache or with each other.
func cloneRoster(r core.Roster) core.Roster {
	r.Employee.SiteIDs = slices.Clone(r.Employee.SiteIDs)
	r.Employee.Identities = slices.Clone(r.Employee.Identities)
	r.Sites = slices.Clone(r.Sites)
	for i := range r.Sites {
		r.Sites[i].IPRanges = slices.Clone(r.Sites[i].IPRanges)
	}
	if r.Schedule != nil {
		sc := *r.Schedule
		sc.WorkDays = slices.Clone(sc.WorkDays)
		r.Schedule = &sc
	}
	if r.Calendar != nil {
		cal := *r.Calendar
		cal.Days = slices.Clone(cal.Days)
		r.Calendar = &cal
	}
	return r
}
