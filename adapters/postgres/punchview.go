package postgres

import (
	"slices"
	"sync"
	"time"

	"github.com/punchbot/punchbot/core"
)

// A punch is judged from the employee's punches of its shift and their
// latest located punch, read inside the transaction under the employee's
// lock. That read, and the round trip it needs before anything can be
// written, cost more than the punch's own writes. So the store keeps what it
// read and wrote, per employee, as a punchView stamped with
// employees.punch_seq, which a trigger bumps on every change to that
// employee's punches (migration 0001). A transaction run with a context
// marked core.Retryable answers the reads from the view and sends, instead
// of the employee's lock and in the same round trip as its writes,
// punchbot_lock_and_expect_punch_seq, which takes that lock and then checks
// the sequence: if any punch of the employee changed since (another
// replica, a repair by hand), the server refuses the whole transaction
// (SQLSTATE PB001), nothing is written, and InTx runs fn again reading
// inside the transaction as usual.
// The decision is therefore always made on the punches current at commit,
// under the employee's lock, exactly as without the view.

// punchView is an employee's punches as of employees.punch_seq = seq: every
// punch whose shift date is from or later, ordered by (at, id), and their
// latest punch carrying a location (nil: none at all). A view in the store's
// cache is never modified; transactions work on copies.
//
// The punches themselves are shared between a view and the copies made of
// it and never changed once in a view, so copying a view copies pointers.
type punchView struct {
	seq     int64
	from    string
	punches []*core.Punch
	latest  *core.Punch
}

func (v *punchView) covers(date string) bool { return date >= v.from }

// shift returns the punches of one shift date, by time.
func (v *punchView) shift(date string) []core.Punch {
	var out []core.Punch
	for _, p := range v.punches {
		if p.ShiftDate == date {
			out = append(out, clonePunch(*p))
		}
	}
	return out
}

// lastLocated returns the latest located punch at or before before; ok is
// false when the view cannot tell (its latest one is later).
func (v *punchView) lastLocated(before time.Time) (p *core.Punch, ok bool) {
	if v.latest == nil {
		return nil, true
	}
	if v.latest.At.After(before) {
		return nil, false
	}
	c := clonePunch(*v.latest)
	return &c, true
}

// add records a punch this transaction inserted; p is not changed after.
func (v *punchView) add(p *core.Punch) {
	if p.ShiftDate >= v.from {
		i, _ := slices.BinarySearchFunc(v.punches, p, comparePunches)
		v.punches = slices.Insert(v.punches, i, p)
	}
	if p.HasLocation && (v.latest == nil || comparePunches(p, v.latest) > 0) {
		v.latest = p
	}
}

// prune forgets punches of shifts before from.
func (v *punchView) prune(from string) {
	if from <= v.from {
		return
	}
	v.from = from
	v.punches = slices.DeleteFunc(v.punches, func(p *core.Punch) bool { return p.ShiftDate < from })
}

// clone copies v for a transaction, with room for the punch it is about to
// add.
func (v *punchView) clone() *punchView {
	c := *v
	c.punches = append(make([]*core.Punch, 0, len(v.punches)+1), v.punches...)
	return &c
}

// comparePunches orders punches as the store reads them: by time, then id.
func comparePunches(a, b *core.Punch) int {
	if c := a.At.Compare(b.At); c != 0 {
		return c
	}
	switch {
	case a.ID < b.ID:
		return -1
	case a.ID > b.ID:
		return 1
	}
	return 0
}

// clonePunch copies the lists a caller could change in place.
func clonePunch(p core.Punch) core.Punch {
	p.Reasons = slices.Clone(p.Reasons)
	p.Flags = slices.Clone(p.Flags)
	return p
}

// punchViewsMax bounds the employees the cache keeps views of; when full it
// starts again from empty, which costs each employee one read.
const punchViewsMax = 1 << 16

// punchViews is the store's cache of views, by employee id.
type punchViews struct {
	mu sync.Mutex
	m  map[string]*punchView
}

// get returns the cached view of an employee, to be cloned before use.
func (c *punchViews) get(employeeID string) *punchView {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[employeeID]
}

// put keeps v unless the cache already has a later one: transactions of one
// employee commit one after the other, but may report in another order.
func (c *punchViews) put(employeeID string, v *punchView) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur := c.m[employeeID]; cur != nil && cur.seq >= v.seq {
		return
	}
	if c.m == nil || len(c.m) >= punchViewsMax {
		c.m = map[string]*punchView{}
	}
	c.m[employeeID] = v
}

// drop forgets an employee's view, once it is known or suspected stale.
func (c *punchViews) drop(employeeID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, employeeID)
}

// Speculation pays only while views are current. With several replicas an
// employee's punches often change on another one, and every stale view
// costs its punch a wasted attempt and its group a retry alone; so when
// more than specStaleMax of the last specWindow attempts found their view
// stale, the store stops judging from views for specPause and reads inside
// the transaction, as it would without them.
const (
	specWindow   = 200
	specStaleMax = 0.05
	specPause    = time.Minute
)

// specStats counts how attempts judged from views ended.
type specStats struct {
	mu              sync.Mutex
	attempts, stale int
	pausedUntil     time.Time
}

// allowed reports whether transactions may judge from views at now.
func (c *specStats) allowed(now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !now.Before(c.pausedUntil)
}

// record counts one attempt judged from views.
func (c *specStats) record(stale bool, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.attempts++
	if stale {
		c.stale++
	}
	if c.attempts < specWindow {
		return
	}
	if float64(c.stale) > specStaleMax*float64(c.attempts) {
		c.pausedUntil = now.Add(specPause)
	}
	c.attempts, c.stale = 0, 0
}
