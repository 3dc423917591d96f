package sqlite

import (
	"sync"

	"github.com/punchbot/punchbot/core"
)

// orgCacheMax bounds each map of orgCache; a full map starts again from
// empty, which costs each employee one read. About 1.3 KB an employee with
// five sites.
const orgCacheMax = 1 << 16

// orgCache keeps identities and rosters read at one version of the
// organisation (the org_version row, which every ApplyOrg and every erasure
// moves on in its transaction). Every command reads an identity and a
// roster before its transaction: by pprof, ten statements and 28% of the
// process's CPU for a punch. With the cache a punch reads the version, in
// the snapshot it would read the rest from, and nothing else while the
// organisation stays as it was. Another process applying to the same file
// (`punchbot apply`) moves the version too, so the next command sees its
// change: there is no time during which a deactivated employee could
// still punch. The first command of a version starts a load of every
// roster (Store.preload), so that in a rush, when each employee's first
// punch of the day comes in, a punch reads its identity and nothing else.
type orgCache struct {
	mu sync.Mutex
	// version is the organisation's version the maps were read at.
	version int64
	rosters map[string]core.Roster
	// accounts maps an account looked up (an identity without its
	// employee) to its employee, "" when none is bound.
	accounts map[core.Identity]string
	// loading is the version a load of every roster was last started at
	// (0: none): one load per version, even when it fails.
	loading int64
}

func newOrgCache() *orgCache {
	return &orgCache{rosters: map[string]core.Roster{}, accounts: map[core.Identity]string{}}
}

// at makes the cache hold version v, forgetting what it held for another.
// Any difference counts, not only a newer version: a read from an older
// snapshot costs the next reader a read, never a stale answer.
func (c *orgCache) at(v int64) {
	if c.version != v {
		c.version = v
		clear(c.rosters)
		clear(c.accounts)
	}
}

// account returns the employee bound to a at version v, "" for none; ok is
// false when the cache does not know.
func (c *orgCache) account(v int64, a core.Identity) (employeeID string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at(v)
	employeeID, ok = c.accounts[a]
	return employeeID, ok
}

// roster returns a copy of the roster of an employee at version v.
func (c *orgCache) roster(v int64, employeeID string) (core.Roster, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at(v)
	r, ok := c.rosters[employeeID]
	if !ok {
		return core.Roster{}, false
	}
	return r.Clone(), true
}

// putAccount keeps the employee a read at version v found bound to a.
func (c *orgCache) putAccount(v int64, a core.Identity, employeeID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version == v {
		keep(c.accounts, a, employeeID)
	}
}

// putRoster keeps a roster read at version v.
func (c *orgCache) putRoster(v int64, r core.Roster) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version == v {
		keep(c.rosters, r.Employee.ID, r.Clone())
	}
}

// keep sets m[k], starting m again from empty when it holds orgCacheMax.
func keep[K comparable, V any](m map[K]V, k K, v V) {
	if len(m) >= orgCacheMax {
		clear(m)
	}
	m[k] = v
}

// startLoad reports whether the caller should load every roster at version
// v and put them with putRosters: no load was started at v yet.
func (c *orgCache) startLoad(v int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loading == v {
		return false
	}
	c.loading = v
	return true
}

// putRosters keeps every roster a load at version v read, unless the
// cache holds another version by now: a load that took long must not put
// back an organisation a command has already seen replaced.
func (c *orgCache) putRosters(v int64, rs []core.Roster) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != 0 && c.version != v {
		return
	}
	c.at(v)
	for _, r := range rs {
		c.rosters[r.Employee.ID] = r.Clone()
	}
}
