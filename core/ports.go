package core

import (
	"context"
	"slices"
	"time"
)

// Store is what the core needs from durable storage. Business rules stay in
// core; a Store only keeps data and provides atomicity through InTx.
type Store interface {
	// InTx runs fn in one transaction: every write fn makes commits together
	// or not at all. An error from fn rolls back and is returned as is.
	InTx(ctx context.Context, fn func(Tx) error) error

	// FindIdentity returns the employee bound to the platform account. An
	// identity stored with an empty tenant matches any tenant.
	FindIdentity(ctx context.Context, platform Platform, tenant, userID string) (Employee, error)
	// Roster returns an employee with their schedule, sites and calendar.
	Roster(ctx context.Context, employeeID string) (Roster, error)
	// EventReply returns the reply recorded for (source, eventID); ENOTFOUND if none.
	EventReply(ctx context.Context, source, eventID string) (EventRecord, error)
	// PunchByEvent returns the punch stored under (source, eventID);
	// ENOTFOUND if none. It answers a retry whose event record the
	// retention job deleted with its punch (RetentionStore.ReducePunches).
	PunchByEvent(ctx context.Context, source, eventID string) (Punch, error)
	// ListPunches returns punches ordered by time.
	ListPunches(ctx context.Context, f PunchFilter) ([]Punch, error)
	// WaitingIntent is Tx.PunchIntent outside a transaction: one read, for
	// a location the platform reports on its own, often.
	WaitingIntent(ctx context.Context, employeeID string, now time.Time) (PunchIntent, error)
}

// Tx is the transactional view of a Store used inside InTx.
type Tx interface {
	// LockEmployee serialises concurrent commands of one employee until commit.
	LockEmployee(ctx context.Context, employeeID string) error
	// InsertEvent records the reply to an event. A second insert with the same
	// (source, event id) makes the write fail with ECONFLICT: at the call, or
	// at the latest from InTx (a store may send the insert with COMMIT), and
	// nothing of the transaction is committed.
	InsertEvent(ctx context.Context, e EventRecord) error
	// ShiftPunches returns the employee's punches for one shift date, by time.
	ShiftPunches(ctx context.Context, employeeID, shiftDate string) ([]Punch, error)
	// ShiftPunchesBetween returns the employee's punches of the shift dates
	// from to to (both included), by time: one read for a span of dates.
	ShiftPunchesBetween(ctx context.Context, employeeID, from, to string) ([]Punch, error)
	// LastLocatedPunch returns the employee's latest punch at or before t that
	// carries a location; ENOTFOUND if none.
	LastLocatedPunch(ctx context.Context, employeeID string, before time.Time) (Punch, error)
	// InsertPunch stores p and sets p.ID.
	InsertPunch(ctx context.Context, p *Punch) error
	// InsertAudit appends an audit entry.
	InsertAudit(ctx context.Context, a AuditEntry) error
	// EnqueueOutbox queues a message; a duplicate non-empty DedupeKey is
	// silently skipped (the message is already queued).
	EnqueueOutbox(ctx context.Context, m OutboxMessage) error
	// PunchIntent returns the employee's text punch waiting for a location,
	// if it expires after now; ENOTFOUND if none.
	PunchIntent(ctx context.Context, employeeID string, now time.Time) (PunchIntent, error)
	// ArmIntent stores the employee's waiting text punch, replacing theirs.
	ArmIntent(ctx context.Context, in PunchIntent) error
	// ClearIntent deletes the intent PunchIntent returned, unless it was
	// replaced since (then the newer one stays).
	ClearIntent(ctx context.Context, in PunchIntent) error

	// InsertMakeup stores m and sets m.ID.
	InsertMakeup(ctx context.Context, m *MakeupRequest) error
	// GetMakeupForUpdate loads a request and locks it until commit.
	GetMakeupForUpdate(ctx context.Context, id int64) (MakeupRequest, error)
	// UpdateMakeup writes back a request loaded in this transaction.
	UpdateMakeup(ctx context.Context, m MakeupRequest) error
	// ListMakeups returns requests of one employee created or slotted in a range.
	ListMakeups(ctx context.Context, f MakeupFilter) ([]MakeupRequest, error)
}

// Roster is everything the rules need about one employee.
type Roster struct {
	Employee Employee
	Schedule *Schedule // nil: no schedule, punches are accepted at any time
	Sites    []Site
	Calendar *Calendar
	Policy   MakeupPolicy
	// Loc is the employee's resolved time zone; Service.Roster fills it.
	Loc *time.Location
}

// Zone returns the roster's time zone, resolving it when Loc is unset.
func (r Roster) Zone() *time.Location {
	if r.Loc != nil {
		return r.Loc
	}
	return r.Employee.Location()
}

// Clone copies everything a caller could change in place, so that a store
// that keeps rosters never shares one with its callers or between them.
func (r Roster) Clone() Roster {
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

// OutboxStore is what the outbox worker needs.
type OutboxStore interface {
	// ClaimOutbox leases up to limit due messages of one platform until
	// now+lease, so that two workers never send the same message at once.
	ClaimOutbox(ctx context.Context, platform Platform, limit int, now time.Time, lease time.Duration) ([]OutboxMessage, error)
	// FinishOutbox records the result of one delivery attempt.
	FinishOutbox(ctx context.Context, m OutboxMessage) error
	// OutboxDepth counts messages not yet sent or failed.
	OutboxDepth(ctx context.Context) (int, error)
}

// OrgStore applies an organisation document atomically.
type OrgStore interface {
	ApplyOrg(ctx context.Context, org Org, audit AuditEntry) (ApplyResult, error)
}

// RateLimiter admits at most limit events per window for one key.
type RateLimiter interface {
	Allow(ctx context.Context, key string, limit int, window time.Duration) (ok bool, retryAfter time.Duration, err error)
}

// SessionStore keeps short-lived conversational state such as a punch intent
// waiting for a location.
type SessionStore interface {
	Put(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Get returns ENOTFOUND for a missing or expired key.
	Get(ctx context.Context, key string) ([]byte, error)
	Delete(ctx context.Context, key string) error
	// PutIfAbsent stores value under key for ttl unless the key holds a
	// live value, in one step: stored is false and existing is that value
	// when it does (a marker "the first of these was ..." in one round trip).
	PutIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (existing []byte, stored bool, err error)
}

// Deduper claims keys once within a TTL; platforms retry deliveries and a
// cheap first check saves the database a transaction.
type Deduper interface {
	// Claim returns true for the first claim of key within ttl.
	Claim(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// Locker hands out exclusive leases, for example the scheduler's leader lock.
type Locker interface {
	// TryLock returns a lease, or ECONFLICT when another holder has the key.
	TryLock(ctx context.Context, key string, ttl time.Duration) (Lease, error)
}

// Lease is a held lock. Renew extends it; it fails with ECONFLICT when the
// lease was lost (expired and taken by someone else).
type Lease interface {
	Renew(ctx context.Context, ttl time.Duration) error
	Release(ctx context.Context) error
}
