package scheduler

import (
	"context"
	"time"

	"github.com/punchbot/punchbot/core"
)

// recentFirings is how many firings each reminder lists with its status.
const recentFirings = 5

// Reminders lists every reminder with how it is timed, its next cron
// firing, what keeps it from firing, and its latest firings with delivery
// counts.
func (s *Scheduler) Reminders(ctx context.Context) ([]core.ReminderStatus, error) {
	rems, err := s.store.ListReminders(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]core.ReminderStatus, 0, len(rems))
	for _, r := range rems {
		c := s.compile(r)
		st := core.ReminderStatus{Reminder: r, Schedule: c.describe(), Next: c.next(now), Problem: c.problem}
		if st.Problem == "" && !r.Enabled {
			st.Problem = "disabled"
		}
		if st.Problem == "" && c.spec != nil && st.Next.IsZero() {
			st.Problem = "ended: no firing on or before " + r.Until
		}
		st.Recent, err = s.Firings(ctx, core.FiringFilter{ReminderID: r.ID, Limit: recentFirings})
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// Firings returns matching firings, newest first, with delivery counts.
func (s *Scheduler) Firings(ctx context.Context, f core.FiringFilter) ([]core.FiringReport, error) {
	fs, err := s.store.ListFirings(ctx, f)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(fs))
	for i, g := range fs {
		ids[i] = g.ID
	}
	counts := map[int64]core.DeliveryCounts{}
	if len(ids) > 0 {
		if counts, err = s.store.FiringCounts(ctx, ids); err != nil {
			return nil, err
		}
	}
	out := make([]core.FiringReport, len(fs))
	for i, g := range fs {
		out[i] = core.FiringReport{Firing: g, Counts: counts[g.ID]}
	}
	return out, nil
}

// Preview returns who would receive reminder id if it fired now, ignoring
// its timing, its enabled flag and its end date: today's shift for punch_in
// and punch_out, yesterday's for missed_punch, the current queue for a
// digest, the audience for a broadcast. Nothing is stored.
func (s *Scheduler) Preview(ctx context.Context, id string) (core.ReminderPreview, error) {
	r, err := s.reminder(ctx, id)
	if err != nil {
		return core.ReminderPreview{}, err
	}
	c := s.compile(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.plan(ctx, c, s.now().Truncate(time.Minute), true, false)
}

// Fire fires reminder id now, like Preview decides, and queues its
// deliveries. Firing twice in one minute queues once: the second call
// returns the first firing with created false.
func (s *Scheduler) Fire(ctx context.Context, id string) (core.FiringReport, bool, error) {
	r, err := s.reminder(ctx, id)
	if err != nil {
		return core.FiringReport{}, false, err
	}
	c := s.compile(r)
	// Firing by hand ignores the timing, so only a problem with the
	// recipients or the kind stops it.
	switch {
	case r.Kind == core.ReminderBroadcast && r.Audience.Empty(), !r.PerEmployee() && r.Kind != core.ReminderBroadcast && r.Kind != core.ReminderApprovalDigest && r.Kind != core.ReminderMakeupDeadline:
		return core.FiringReport{}, false, core.Errorf(core.EINVALID, "reminder %s cannot fire: %s", id, c.problem)
	}
	c.problem = ""
	s.mu.Lock()
	now := s.now()
	f, created, err := s.fire(ctx, c, now.Truncate(time.Minute), now, false, true)
	s.mu.Unlock()
	if err != nil {
		return core.FiringReport{}, false, err
	}
	counts, err := s.store.FiringCounts(ctx, []int64{f.ID})
	if err != nil {
		return core.FiringReport{}, false, err
	}
	return core.FiringReport{Firing: f, Counts: counts[f.ID]}, created, nil
}

// firing returns firing firingID of reminder id with its counts.
func (s *Scheduler) firing(ctx context.Context, id string, firingID int64) (core.FiringReport, error) {
	fs, err := s.Firings(ctx, core.FiringFilter{ReminderID: id})
	if err != nil {
		return core.FiringReport{}, err
	}
	for _, f := range fs {
		if f.ID == firingID {
			return f, nil
		}
	}
	return core.FiringReport{}, core.Errorf(core.ENOTFOUND, "reminder %s has no firing %d", id, firingID)
}

// DeliveryProblems returns firing firingID of reminder id and up to limit
// (all when 0) of its deliveries that failed or are being retried after an
// error such as a rate limit, failed first: who, on which platform, and
// what the platform answered, which the counts alone do not say.
func (s *Scheduler) DeliveryProblems(ctx context.Context, id string, firingID int64, limit int) (core.FiringReport, []core.DeliveryProblem, error) {
	f, err := s.firing(ctx, id, firingID)
	if err != nil {
		return f, nil, err
	}
	msgs, err := s.store.DeliveryProblems(ctx, firingID, limit)
	if err != nil {
		return f, nil, err
	}
	return f, core.DeliveryProblemsOf(msgs), nil
}

// RetryFailed sends the failed deliveries of firing firingID of reminder
// id again, and only those: each goes back to the outbox as the same row
// under the same key, so the people it already reached get nothing twice.
// It returns the firing with its new counts and how many were requeued.
func (s *Scheduler) RetryFailed(ctx context.Context, id string, firingID int64) (core.FiringReport, int, error) {
	f, err := s.firing(ctx, id, firingID)
	if err != nil {
		return core.FiringReport{}, 0, err
	}
	// A punch reminder is about one moment ("your shift starts at 09:00"):
	// resent later than a late firing would be, it misleads rather than
	// helps, as the catch-up after downtime also judges.
	if late := s.now().Sub(f.FireAt); (f.Kind == core.ReminderPunchIn || f.Kind == core.ReminderPunchOut) && late > s.cfg.LateWindow && f.Counts.Failed > 0 {
		return f, 0, core.WrapError(core.EINVALID, core.ErrStaleReminder, "the %s reminder of %s is %s old, more than %s: resent now it would be out of date",
			f.Kind, f.FireAt.Format(time.RFC3339), late.Truncate(time.Minute), s.cfg.LateWindow)
	}
	n, err := s.store.RetryFailedDeliveries(ctx, firingID, s.now())
	if err != nil {
		return core.FiringReport{}, 0, err
	}
	if n > 0 {
		s.log.Info("scheduler: failed deliveries requeued", "reminder", id, "firing", firingID, "deliveries", n)
	}
	f, err = s.firing(ctx, id, firingID)
	return f, n, err
}
