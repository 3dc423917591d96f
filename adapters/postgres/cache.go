package postgres

import (
	"maps"
	"sync"

	"github.com/punchbot/punchbot/core"
)

// rosterCacheMax bounds the entries of each map that reads fill one
// employee at a time; a full map starts again from empty, which costs each
// employee one read. The whole organisation loaded at once (putAll) is not
// bounded: it is as large as the organisation, about 1.3 KB an employee
// with five sites (125 MB for 100,000, loaded in about 6 s).
const rosterCacheMax = 1 << 16

// account is an identity lookup key.
type account struct {
	platform     core.Platform
	tenant, user string
}

// rosterCache keeps identities, rosters and the device-binding policy read
// from the database, for as long as nothing says they changed: it is used
// only while the store's listener is connected (live), and every
// organisation applied on any replica clears it (see listen.go). Every
// command reads an identity and a roster before its transaction, and every
// location-page punch the policy, so keeping them takes those reads off
// nearly every punch.
//
// gen counts clears and changes of live: a read that began before one must
// not put what it read afterwards, or a replica could keep serving the
// organisation it has just been told was replaced.
//
// The first miss of a generation starts a load of the whole organisation
// (Store.preload); once it is in (full), an account or employee the maps
// lack does not exist, and no employee costs a read until the next clear.
type rosterCache struct {
	mu      sync.RWMutex
	live    bool
	gen     uint64
	rosters map[string]core.Roster
	// accounts maps an account looked up to its employee ("" when none is
	// bound); when full, it maps every stored identity instead.
	accounts map[account]string
	full     bool
	// loaded is the generation a load was last started at, plus one (0:
	// none yet): one load per generation, even when it fails.
	loaded uint64
	// devices is the device-binding policy, which only an apply changes
	// (nil: not read in this generation); every location-page punch needs
	// it.
	devices *core.DevicePolicy
}

func newRosterCache() *rosterCache {
	return &rosterCache{rosters: map[string]core.Roster{}, accounts: map[account]string{}}
}

// generation returns the generation a read starts at, to pass to put.
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
	if !c.live {
		return "", false
	}
	if employeeID, ok = c.accounts[a]; ok || !c.full {
		return employeeID, ok
	}
	// The whole organisation is in: an identity without a tenant matches
	// any tenant, and none means nobody is bound.
	if a.tenant != "" {
		if employeeID, ok = c.accounts[account{platform: a.platform, user: a.user}]; ok {
			return employeeID, true
		}
	}
	return "", true
}

// roster returns a copy of the cached roster of an employee.
func (c *rosterCache) roster(employeeID string) (core.Roster, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	r, ok := c.rosters[employeeID]
	if !ok || !c.live {
		return core.Roster{}, false
	}
	return r.Clone(), true
}

// put keeps what a read begun at generation gen found: the roster (nil
// when the employee does not exist) and, when a is not nil, the account
// that led to it. It keeps nothing if the cache was cleared or went out of
// use since.
func (c *rosterCache) put(gen uint64, a *account, r *core.Roster) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || !c.live || c.full {
		return
	}
	if a != nil {
		if len(c.accounts) >= rosterCacheMax {
			clear(c.accounts)
		}
		id := ""
		if r != nil {
			id = r.Employee.ID
		}
		c.accounts[*a] = id
	}
	if r != nil {
		if len(c.rosters) >= rosterCacheMax {
			clear(c.rosters)
		}
		c.rosters[r.Employee.ID] = r.Clone()
	}
}

// devicePolicy returns a copy of the cached device-binding policy.
func (c *rosterCache) devicePolicy() (core.DevicePolicy, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.devices == nil || !c.live {
		return core.DevicePolicy{}, false
	}
	p := *c.devices
	p.Schedules = maps.Clone(p.Schedules)
	return p, true
}

// putDevicePolicy keeps the policy a read begun at generation gen found,
// unless the cache was cleared or went out of use since.
func (c *rosterCache) putDevicePolicy(gen uint64, p core.DevicePolicy) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || !c.live {
		return
	}
	p.Schedules = maps.Clone(p.Schedules)
	c.devices = &p
}

// startLoad reports whether the caller should load the whole organisation
// and put it with putAll: the cache is in use, does not hold it and no load
// was started in this generation. gen is the generation to pass to putAll.
func (c *rosterCache) startLoad() (gen uint64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || c.full || c.loaded == c.gen+1 {
		return 0, false
	}
	c.loaded = c.gen + 1
	return c.gen, true
}

// putAll replaces the cache with the whole organisation, read by a load
// begun at generation gen: every employee's roster and every stored
// identity's employee. It keeps nothing if the cache was cleared or went
// out of use since.
func (c *rosterCache) putAll(gen uint64, rosters map[string]core.Roster, accounts map[account]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || !c.live {
		return
	}
	c.rosters, c.accounts, c.full = rosters, accounts, true
}

// clear forgets everything: the organisation changed.
func (c *rosterCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clearLocked()
}

// setLive clears the cache and puts it in use (the listener is connected)
// or out of use (it is not: nobody would say that the organisation
// changed).
func (c *rosterCache) setLive(live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live = live
	c.clearLocked()
}

func (c *rosterCache) clearLocked() {
	c.gen++
	c.devices = nil
	if c.full {
		// New maps: the whole organisation's go to the collector.
		c.rosters, c.accounts, c.full = map[string]core.Roster{}, map[account]string{}, false
		return
	}
	clear(c.rosters)
	clear(c.accounts)
}
