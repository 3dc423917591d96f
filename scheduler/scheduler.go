// Package scheduler fires reminders and HR broadcasts: once a minute the
// leader (one replica at a time, elected through a core.Locker lease) asks
// the core which employees each reminder is due for in that minute, in
// their own time zones, or evaluates a broadcast's cron expression, and
// queues one outbox delivery per recipient under a unique key. The outbox
// workers of every replica then send them within the platforms' limits.
//
// Exactly-once rests on the store, not on the lock: a firing is a row unique
// on (reminder, fire time) and each delivery an outbox row unique on
// (reminder, fire time, recipient), so two leaders (a lease lost in a
// network partition) or a restart in the middle of queuing never queue a
// message twice. A checkpoint records the last minute handled; after
// downtime the missed minutes are replayed: firings missed by less than
// LateWindow are sent late, once, and older ones are recorded as skipped.
package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/punchbot/punchbot/core"
)

// Store is what the scheduler needs from durable storage.
type Store interface {
	core.Store
	core.ReminderStore
	shiftPunchScanner
}

// checkpointName names the scheduler's checkpoint in the store.
const checkpointName = "reminders"

// Config tunes the scheduler. Zero values take the documented defaults.
type Config struct {
	// LockKey is the leader lock's key (default "scheduler:leader").
	LockKey string
	// TTL bounds how long the replicas go without a leader after the
	// leader dies (default 30 s): the lease itself lasts TTL less the
	// followers' retry period (TTL/10) and is renewed every third of that,
	// so a follower takes over within TTL.
	TTL time.Duration
	// Poll is the longest wait between two ticks of the leader (default
	// 5 s); ticks also happen right after each minute boundary.
	Poll time.Duration
	// LateWindow: a firing missed by less than this (downtime, no leader)
	// is sent late, once; an older one is recorded as skipped (default
	// 15 min).
	LateWindow time.Duration
	// MaxCatchUp bounds how far back a restart looks for missed firings to
	// record (default 24 h).
	MaxCatchUp time.Duration
	// ResumeAfter: a firing left half-queued (its queuing instance died)
	// is resumed by the leader once it is this old (default 1 min).
	ResumeAfter time.Duration
	// RosterTTL is how long the leader reuses the organisation it loaded
	// (default 1 min: once per tick).
	RosterTTL time.Duration
	// Chunk is how many deliveries one enqueue transaction writes (default
	// 5000): large enough for bulk speed, small enough that the embedded
	// store's single writer is never held for long.
	Chunk int
	// Zone is the zone of cron expressions without a CRON_TZ= prefix and of
	// broadcast end dates (default UTC).
	Zone *time.Location
	// Lang is the language of messages to named chats (default "zh").
	Lang string
}

func (c *Config) defaults() {
	if c.LockKey == "" {
		c.LockKey = "scheduler:leader"
	}
	if c.TTL <= 0 {
		c.TTL = 30 * time.Second
	}
	if c.Poll <= 0 {
		c.Poll = 5 * time.Second
	}
	if c.LateWindow <= 0 {
		c.LateWindow = 15 * time.Minute
	}
	if c.MaxCatchUp <= 0 {
		c.MaxCatchUp = 24 * time.Hour
	}
	if c.ResumeAfter <= 0 {
		c.ResumeAfter = time.Minute
	}
	if c.RosterTTL <= 0 {
		c.RosterTTL = time.Minute
	}
	if c.Chunk <= 0 {
		c.Chunk = 5000
	}
	if c.Zone == nil {
		c.Zone = time.UTC
	}
	if c.Lang != "en" {
		c.Lang = "zh"
	}
}

// Deps are the scheduler's collaborators.
type Deps struct {
	Store Store
	Now   func() time.Time
	Log   *slog.Logger
	// OnFiring, when set, observes every firing the scheduler records or
	// completes (metrics).
	OnFiring func(f core.Firing)
}

// Scheduler fires reminders. Tick does the work of one moment and is what
// tests drive with a fixed clock; Run adds leader election and timing.
type Scheduler struct {
	cfg      Config
	store    Store
	now      func() time.Time
	log      *slog.Logger
	onFiring func(core.Firing)
	parser   cron.Parser

	leader atomic.Bool

	mu       sync.Mutex // serialises ticks and admin firings; guards the cache below
	rosters  []core.Roster
	loadedAt time.Time
}

// New returns a scheduler.
func New(cfg Config, deps Deps) (*Scheduler, error) {
	if deps.Store == nil {
		return nil, core.Errorf(core.EINVALID, "scheduler: a store is required")
	}
	cfg.defaults()
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	return &Scheduler{
		cfg: cfg, store: deps.Store, now: deps.Now, log: deps.Log.With("component", "scheduler"), onFiring: deps.OnFiring,
		parser: newParser(),
	}, nil
}

// newParser reads the five-field cron expressions of the org file, with
// CRON_TZ= prefixes and @daily-style descriptors.
func newParser() cron.Parser {
	return cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
}

// IsLeader reports whether this instance holds the leader lease.
func (s *Scheduler) IsLeader() bool { return s.leader.Load() }

func (s *Scheduler) setLeader(v bool) { s.leader.Store(v) }

// Run elects a leader through locker until ctx ends: the instance holding
// the lease (0.9 TTL) ticks and renews it every third of that, the others
// retry every TTL/10, so a dead leader is replaced within TTL. A leader that cannot renew
// its lease stops firing at once (ECONFLICT: someone else has it) or before
// its TTL runs out (the lock store is unreachable). On return the lease is
// released, so a replica stopping in an orderly way hands over at once.
func (s *Scheduler) Run(ctx context.Context, locker core.Locker) error {
	if locker == nil {
		return core.Errorf(core.EINVALID, "scheduler: a locker is required")
	}
	// Followers retry often, so a dead leader is replaced as soon as its
	// lease runs out rather than up to a renewal period later.
	retry := s.cfg.TTL / 10
	// unreachable is set while the lock store cannot be reached, so that
	// an outage is logged once, not at every retry.
	unreachable := false
	for ctx.Err() == nil {
		lease, err := locker.TryLock(ctx, s.cfg.LockKey, s.hold())
		if err == nil || core.ErrorCode(err) == core.ECONFLICT {
			if unreachable {
				s.log.Info("scheduler: the leader lock can be taken again")
			}
			unreachable = false
		}
		if err != nil {
			if core.ErrorCode(err) != core.ECONFLICT && ctx.Err() == nil && !unreachable {
				unreachable = true
				s.log.Warn("scheduler: cannot take the leader lock; reminders pause until it can be taken", "err", err)
			}
			if core.SleepContext(ctx, retry) != nil {
				break
			}
			continue
		}
		s.log.Info("scheduler: leading", "lock", s.cfg.LockKey, "ttl", s.cfg.TTL, "lease", s.hold())
		s.lead(ctx, lease)
	}
	return nil
}

// lead ticks while the lease holds, renewing it in the background.
func (s *Scheduler) lead(ctx context.Context, lease core.Lease) {
	leaderCtx, resign := context.WithCancel(ctx)
	defer resign()
	s.setLeader(true)
	defer s.setLeader(false)
	kept := make(chan struct{})
	go func() {
		defer close(kept)
		s.keep(leaderCtx, lease, resign)
	}()
	for leaderCtx.Err() == nil {
		if _, err := s.Tick(leaderCtx, s.now()); err != nil && leaderCtx.Err() == nil {
			s.log.Error("scheduler: tick failed", "err", err)
		}
		now := s.now()
		wait := min(s.cfg.Poll, now.Truncate(time.Minute).Add(time.Minute+50*time.Millisecond).Sub(now))
		if core.SleepContext(leaderCtx, wait) != nil {
			break
		}
	}
	resign()
	<-kept
	s.setLeader(false)
	if ctx.Err() != nil {
		// Stopping: hand over at once rather than after the TTL.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if err := lease.Release(rctx); err != nil {
			s.log.Warn("scheduler: releasing the leader lock", "err", err)
		}
		s.log.Info("scheduler: stepped down")
	}
}

// hold is the lease duration: TTL less the followers' retry period, so that
// lease expiry plus one retry stays within TTL.
func (s *Scheduler) hold() time.Duration { return s.cfg.TTL - s.cfg.TTL/10 }

// keep renews the lease every third of its duration and resigns when it is
// lost, or when it could not be renewed for so long that it may have expired.
func (s *Scheduler) keep(ctx context.Context, lease core.Lease, resign func()) {
	every := s.hold() / 3
	lastOK := time.Now()
	for {
		if core.SleepContext(ctx, every) != nil {
			return
		}
		err := lease.Renew(ctx, s.hold())
		switch {
		case err == nil:
			lastOK = time.Now()
		case core.ErrorCode(err) == core.ECONFLICT:
			s.log.Warn("scheduler: lost the leader lock", "err", err)
			resign()
			return
		case ctx.Err() != nil:
			return
		default:
			s.log.Warn("scheduler: cannot renew the leader lock", "err", err)
			// Leave a margin of one renewal period before the lease
			// could have run out on the server.
			if time.Since(lastOK) >= s.hold()-every {
				resign()
				return
			}
		}
	}
}

// compiled is a reminder with its schedule parsed.
type compiled struct {
	core.Reminder
	spec    *cron.SpecSchedule // broadcast, approval_digest and makeup_deadline
	loc     *time.Location     // the cron expression's zone: its end date is read there
	local   *cron.SpecSchedule // missed_punch with its own time: evaluated in each employee's zone
	problem string
}

// compile parses a reminder's cron expression. A cron without CRON_TZ= runs
// in the configured zone; a missed_punch cron names a local time and runs
// in each employee's zone.
func (s *Scheduler) compile(r core.Reminder) compiled {
	c := compiled{Reminder: r, loc: s.cfg.Zone}
	switch r.Kind {
	case core.ReminderBroadcast, core.ReminderApprovalDigest, core.ReminderMakeupDeadline:
		if r.Kind == core.ReminderBroadcast && r.Audience.Empty() {
			c.problem = "the audience is empty: name everyone, departments, employees or chats"
		}
		expr := strings.TrimSpace(r.Cron)
		if !strings.HasPrefix(expr, "CRON_TZ=") && !strings.HasPrefix(expr, "TZ=") {
			expr = "CRON_TZ=" + s.cfg.Zone.String() + " " + expr
		}
		sched, err := s.parser.Parse(expr)
		if err != nil {
			c.problem = fmt.Sprintf("cron %q: %v", r.Cron, err)
			return c
		}
		spec, ok := sched.(*cron.SpecSchedule)
		if !ok {
			c.problem = fmt.Sprintf("cron %q: use a calendar expression, not @every", r.Cron)
			return c
		}
		c.spec, c.loc = spec, spec.Location
	case core.ReminderMissedPunch:
		if strings.TrimSpace(r.Cron) == "" {
			return c
		}
		if strings.Contains(r.Cron, "TZ=") {
			c.problem = fmt.Sprintf("cron %q: a missed_punch time is local to each employee; remove the CRON_TZ= prefix", r.Cron)
			return c
		}
		sched, err := s.parser.Parse(r.Cron)
		if err != nil {
			c.problem = fmt.Sprintf("cron %q: %v", r.Cron, err)
			return c
		}
		spec, ok := sched.(*cron.SpecSchedule)
		if !ok {
			c.problem = fmt.Sprintf("cron %q: use a calendar expression, not @every", r.Cron)
			return c
		}
		c.local = spec
	case core.ReminderPunchIn, core.ReminderPunchOut, core.ReminderStillClockedIn:
	default:
		c.problem = fmt.Sprintf("unknown kind %q", r.Kind)
	}
	return c
}

// firesAt reports whether a cron reminder fires in minute m (and has not
// ended by then).
func (c compiled) firesAt(m time.Time) bool {
	if c.spec == nil || c.problem != "" || !c.Enabled {
		return false
	}
	if !cronFires(c.spec, c.loc, m) {
		return false
	}
	return !c.Expired(m.In(c.loc).Format(core.DateLayout))
}

// next returns the cron reminder's next firing after t, zero if none.
func (c compiled) next(t time.Time) time.Time {
	if c.spec == nil || c.problem != "" || !c.Enabled {
		return time.Time{}
	}
	n := c.spec.Next(t)
	if n.IsZero() || c.Expired(n.In(c.loc).Format(core.DateLayout)) {
		return time.Time{}
	}
	return n
}

// localFires returns the per-zone test of a missed_punch reminder with its
// own time, remembering each zone's answer for the minute.
func (c compiled) localFires(m time.Time) func(*time.Location) bool {
	if c.local == nil {
		return nil
	}
	memo := map[*time.Location]bool{}
	return func(loc *time.Location) bool {
		v, ok := memo[loc]
		if !ok {
			v = cronFires(c.local, loc, m)
			memo[loc] = v
		}
		return v
	}
}

// describe says how a reminder is timed, for people.
func (c compiled) describe() string {
	switch c.Kind {
	case core.ReminderPunchIn:
		return fmt.Sprintf("%d min before each shift start, in each employee's zone", c.MinutesBefore)
	case core.ReminderPunchOut:
		return "at each shift end, in each employee's zone"
	case core.ReminderMissedPunch:
		if c.Cron != "" {
			return fmt.Sprintf("cron %q in each employee's zone, about the previous shift", c.Cron)
		}
		return "09:00 in each employee's zone, about the previous shift"
	case core.ReminderStillClockedIn:
		return fmt.Sprintf("%d h after each clock-in not yet clocked out, once per shift", int(c.StillClockedInAfter()/time.Hour))
	}
	return fmt.Sprintf("cron %q (%s)", c.Cron, c.loc)
}

func employeesOf(rs []core.Roster) []core.Employee {
	out := make([]core.Employee, len(rs))
	for i, r := range rs {
		out[i] = r.Employee
	}
	return out
}

func (s *Scheduler) reminder(ctx context.Context, id string) (core.Reminder, error) {
	rems, err := s.store.ListReminders(ctx)
	if err != nil {
		return core.Reminder{}, err
	}
	i := slices.IndexFunc(rems, func(r core.Reminder) bool { return r.ID == id })
	if i < 0 {
		return core.Reminder{}, core.Errorf(core.ENOTFOUND, "no reminder %q", id)
	}
	return rems[i], nil
}
