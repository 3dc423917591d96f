package scheduler

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TickResult says what one tick did.
type TickResult struct {
	Minutes int // minutes handled (more than one after downtime)
	Fired   int // firings queued (late ones included)
	Late    int // of which after their minute
	Skipped int // firings recorded as skipped: missed by more than LateWindow
	Resumed int // half-queued firings finished
	Queued  int // deliveries queued
}

// Tick handles every minute from the checkpoint up to now: it fires the
// reminders due in each (late, when the minute is past but within
// LateWindow), records older ones as skipped, and moves the checkpoint on.
// The first tick of a new installation starts at now. Only the leader
// should tick; a second ticker queues nothing twice, it only wastes work.
func (s *Scheduler) Tick(ctx context.Context, now time.Time) (TickResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var res TickResult
	minute := now.Truncate(time.Minute)
	last, err := s.store.Checkpoint(ctx, checkpointName)
	if err != nil {
		return res, err
	}
	if last.IsZero() {
		last = minute.Add(-time.Minute)
	}
	rems, err := s.store.ListReminders(ctx)
	if err != nil {
		return res, err
	}
	compiledRems := make([]compiled, 0, len(rems))
	for _, r := range rems {
		compiledRems = append(compiledRems, s.compile(r))
	}
	if err := s.resume(ctx, now, compiledRems, &res); err != nil {
		return res, err
	}
	if !last.Before(minute) {
		return res, nil
	}
	start := last.Add(time.Minute)
	if gap := minute.Sub(start); gap > s.cfg.MaxCatchUp {
		s.log.Warn("scheduler: no record of firings older than the catch-up limit", "from", start, "to", minute.Add(-s.cfg.MaxCatchUp), "limit", s.cfg.MaxCatchUp)
		start = minute.Add(-s.cfg.MaxCatchUp)
	}
	var schedules []core.Roster
	needRosters := false
	for _, c := range compiledRems {
		needRosters = needRosters || (c.Enabled && c.PerEmployee() && c.problem == "")
	}
	if needRosters {
		rs, err := s.organisationLocked(ctx, now)
		if err != nil {
			return res, err
		}
		schedules = core.DistinctSchedules(rs)
	}
	stillDue, err := s.stillClockedInMinutes(ctx, compiledRems, start, minute)
	if err != nil {
		return res, err
	}
	for m := start; !m.After(minute); m = m.Add(time.Minute) {
		late := now.Sub(m) >= time.Minute
		tooLate := now.Sub(m) > s.cfg.LateWindow
		for _, c := range compiledRems {
			if !s.dueAt(c, m, schedules, stillDue) {
				continue
			}
			// A still-clocked-in reminder stays true until the person
			// clocks out, and the plan asks whether they still can: after
			// downtime it goes out late rather than being skipped.
			if tooLate && c.Kind != core.ReminderStillClockedIn {
				created, err := s.skip(ctx, c, m, now)
				if err != nil {
					return res, err
				}
				if created {
					res.Skipped++
				}
				continue
			}
			rep, created, err := s.fire(ctx, c, m, now, late, false)
			if err != nil {
				return res, fmt.Errorf("reminder %s at %s: %w", c.ID, m.Format(time.RFC3339), err)
			}
			if created {
				res.Fired++
				res.Queued += rep.Recipients
				if late {
					res.Late++
				}
			}
		}
		if err := s.store.SetCheckpoint(ctx, checkpointName, m); err != nil {
			return res, err
		}
		res.Minutes++
	}
	return res, nil
}

// organisationLocked is organisation for callers holding s.mu.
func (s *Scheduler) organisationLocked(ctx context.Context, now time.Time) ([]core.Roster, error) {
	if s.rosters != nil && now.Sub(s.loadedAt) < s.cfg.RosterTTL && !now.Before(s.loadedAt) {
		return s.rosters, nil
	}
	rs, err := s.store.Rosters(ctx)
	if err != nil {
		return nil, err
	}
	core.ResolveZones(rs)
	s.rosters, s.loadedAt = rs, now
	return rs, nil
}

// dueAt reports whether a reminder fires in minute m: by its cron, or, for
// a per-employee reminder, for anyone on any schedule, or, for
// still_clocked_in, for anyone who clocked in HoursAfter before m.
func (s *Scheduler) dueAt(c compiled, m time.Time, schedules []core.Roster, stillDue map[string]map[int64]bool) bool {
	if c.problem != "" || !c.Enabled {
		return false
	}
	if c.Kind == core.ReminderStillClockedIn {
		return stillDue[c.ID][m.Unix()]
	}
	if c.PerEmployee() {
		return core.ReminderDueAny(c.Reminder, schedules, core.DueQuery{At: m, LocalFires: c.localFires(m)})
	}
	return c.firesAt(m)
}

// stillClockedInMinutes lists, for each enabled still_clocked_in
// reminder, the minutes in [start, end] when someone's clock-in makes it
// due: one read of the clock-ins HoursAfter earlier for the whole range,
// however many minutes a catch-up replays. A minute listed may still
// reach nobody (a repeated clock-in, someone who clocked out since): the
// plan decides, and a per-employee firing that reaches nobody records
// nothing.
func (s *Scheduler) stillClockedInMinutes(ctx context.Context, rems []compiled, start, end time.Time) (map[string]map[int64]bool, error) {
	out := map[string]map[int64]bool{}
	for _, c := range rems {
		if c.Kind != core.ReminderStillClockedIn || !c.Enabled || c.problem != "" {
			continue
		}
		from, _ := core.StillClockedInWindow(c.Reminder, core.DueQuery{At: start})
		_, to := core.StillClockedInWindow(c.Reminder, core.DueQuery{At: end})
		ps, err := s.store.ListPunches(ctx, core.PunchFilter{From: from, To: to})
		if err != nil {
			return nil, err
		}
		due := map[int64]bool{} // minutes, as Unix seconds: time.Time keys compare zones too
		for _, p := range ps {
			if p.Valid() && p.Kind == core.KindIn {
				due[c.StillClockedInDueAt(p.At).Unix()] = true
			}
		}
		out[c.ID] = due
	}
	return out, nil
}

// skip records a firing missed by more than LateWindow.
func (s *Scheduler) skip(ctx context.Context, c compiled, m, now time.Time) (bool, error) {
	f, created, err := s.store.BeginFiring(ctx, core.Firing{ReminderID: c.ID, Kind: c.Kind, FireAt: m, Status: core.FiringSkipped,
		Late: true, Note: fmt.Sprintf("missed by %s: no scheduler was running", now.Sub(m).Truncate(time.Second)), CreatedAt: now})
	if err != nil {
		return false, err
	}
	if created {
		s.log.Warn("scheduler: firing skipped, too late", "reminder", c.ID, "fire_at", m, "late_by", now.Sub(m).Truncate(time.Second))
		s.observe(f)
	}
	return created, nil
}

func (s *Scheduler) observe(f core.Firing) {
	if s.onFiring != nil {
		s.onFiring(f)
	}
}

// resume finishes firings whose queuing instance died half-way, or records
// them as skipped when they are too old to send now.
func (s *Scheduler) resume(ctx context.Context, now time.Time, rems []compiled, res *TickResult) error {
	stuck, err := s.store.ListFirings(ctx, core.FiringFilter{Status: core.FiringQueuing})
	if err != nil {
		return err
	}
	for _, f := range stuck {
		if now.Sub(f.CreatedAt) < s.cfg.ResumeAfter {
			continue // probably still being queued by a live instance
		}
		i := -1
		for j := range rems {
			if rems[j].ID == f.ReminderID {
				i = j
			}
		}
		var why string
		switch {
		case i < 0:
			why = "the reminder was removed before its firing was fully queued"
		case now.Sub(f.FireAt) > s.cfg.LateWindow:
			why = fmt.Sprintf("interrupted while queuing; missed by %s, too late to finish", now.Sub(f.FireAt).Truncate(time.Second))
		}
		if why != "" {
			counts, err := s.store.FiringCounts(ctx, []int64{f.ID})
			if err != nil {
				return err
			}
			if err := s.store.FinishFiring(ctx, f.ID, core.FiringSkipped, counts[f.ID].Queued, why, now); err != nil {
				return err
			}
			f.Status, f.Note = core.FiringSkipped, why
			s.observe(f)
			continue
		}
		c := rems[i]
		if f.Manual {
			c.Enabled, c.Until = true, ""
		}
		if _, _, err := s.fire(ctx, c, f.FireAt, now, true, f.Manual); err != nil {
			return fmt.Errorf("resume reminder %s at %s: %w", f.ReminderID, f.FireAt.Format(time.RFC3339), err)
		}
		s.log.Info("scheduler: resumed a half-queued firing", "reminder", f.ReminderID, "fire_at", f.FireAt)
		res.Resumed++
	}
	return nil
}

// fire plans a firing and queues its deliveries: the firing row first (the
// unique claim on the minute), then the deliveries in chunks, each chunk one
// transaction whose unique keys skip what an earlier attempt queued.
// created is false when the minute was already fired (or is being fired).
func (s *Scheduler) fire(ctx context.Context, c compiled, m, now time.Time, late, manual bool) (core.Firing, bool, error) {
	existing, err := s.store.ListFirings(ctx, core.FiringFilter{ReminderID: c.ID, Since: m})
	if err != nil {
		return core.Firing{}, false, err
	}
	resuming := false
	for _, e := range existing {
		if !e.FireAt.Equal(m) {
			continue
		}
		if e.Status != core.FiringQueuing {
			return e, false, nil
		}
		resuming = true
	}
	plan, err := s.plan(ctx, c, m, manual, late)
	if err != nil {
		return core.Firing{}, false, err
	}
	if len(plan.Deliveries) == 0 && c.PerEmployee() && !manual && !resuming {
		// Due for a schedule, but everyone concerned has punched (or is
		// outside the audience): nothing to record.
		return core.Firing{}, false, nil
	}
	f, created, err := s.store.BeginFiring(ctx, core.Firing{ReminderID: c.ID, Kind: c.Kind, FireAt: m, Status: core.FiringQueuing,
		Late: late, Manual: manual, CreatedAt: now})
	if err != nil {
		return core.Firing{}, false, err
	}
	if !created && f.Status != core.FiringQueuing {
		return f, false, nil
	}
	for i := 0; i < len(plan.Deliveries); i += s.cfg.Chunk {
		chunk := plan.Deliveries[i:min(i+s.cfg.Chunk, len(plan.Deliveries))]
		msgs, err := core.DeliveryMessages(chunk, f.ID, now)
		if err != nil {
			return f, false, err
		}
		if _, err := s.store.EnqueueDeliveries(ctx, f.ID, msgs); err != nil {
			return f, false, err
		}
	}
	note := ""
	switch {
	case c.problem != "":
		note = c.problem
	case len(plan.Unreachable) > 0:
		note = fmt.Sprintf("%d selected employee(s) have no chat account: %s", len(plan.Unreachable), abbreviate(plan.Unreachable, 10))
	}
	if err := s.store.FinishFiring(ctx, f.ID, core.FiringQueued, len(plan.Deliveries), note, s.now()); err != nil {
		return f, false, err
	}
	f.Status, f.Recipients, f.Note = core.FiringQueued, len(plan.Deliveries), note
	s.log.Info("scheduler: fired", "reminder", c.ID, "kind", c.Kind, "fire_at", m, "recipients", f.Recipients, "late", late, "manual", manual, "resumed", !created)
	s.observe(f)
	return f, created || resuming, nil
}

func abbreviate(ids []string, n int) string {
	if len(ids) <= n {
		return fmt.Sprint(ids)
	}
	return fmt.Sprintf("%v and %d more", ids[:n], len(ids)-n)
}

// plan resolves who receives reminder c fired in minute m. forced evaluates
// it "now" for the admin API, ignoring its timing.
func (s *Scheduler) plan(ctx context.Context, c compiled, m time.Time, forced, late bool) (core.ReminderPreview, error) {
	p := core.ReminderPreview{Reminder: c.Reminder, At: m}
	r := c.Reminder
	if forced {
		r.Enabled, r.Until = true, ""
	}
	var rosters []core.Roster
	var err error
	if forced {
		rosters, err = s.freshOrganisation(ctx, m)
	} else {
		rosters, err = s.organisationLocked(ctx, s.now())
	}
	if err != nil {
		return p, err
	}
	switch {
	case r.Kind == core.ReminderStillClockedIn:
		p.Deliveries, err = s.planStillClockedIn(ctx, r, rosters, core.DueQuery{At: m, Forced: forced}, late)
		if err != nil {
			return p, err
		}
	case r.Kind == core.ReminderMakeupDeadline:
		p.Deliveries, err = s.planMakeupDeadline(ctx, r, rosters, m, late)
		if err != nil {
			return p, err
		}
	case r.PerEmployee():
		q := core.DueQuery{At: m, Forced: forced, LocalFires: c.localFires(m)}
		cands := core.ReminderCandidates(r, rosters, q)
		if len(cands) == 0 {
			return p, nil
		}
		punches, err := s.punches(ctx, cands)
		if err != nil {
			return p, err
		}
		// Pending and approved requests cover missing slots; approved
		// leave, trips and outings the time itself, for every kind.
		makeups, err := s.slotMakeups(ctx, cands)
		if err != nil {
			return p, err
		}
		p.Deliveries = core.ReminderDeliveries(r, cands, punches, makeups, q, late)
	case r.Kind == core.ReminderBroadcast:
		p.Deliveries, p.Unreachable = core.BroadcastDeliveries(r, employeesOf(rosters), m, s.cfg.Lang, late)
	case r.Kind == core.ReminderApprovalDigest:
		var pending []core.MakeupRequest
		err := s.store.InTx(ctx, func(tx core.Tx) error {
			var err error
			pending, err = tx.ListMakeups(ctx, core.MakeupFilter{Statuses: []core.MakeupStatus{core.MakeupPending}})
			return err
		})
		if err != nil {
			return p, err
		}
		p.Deliveries = core.DigestDeliveries(r, pending, employeesOf(rosters), m, late)
	}
	return p, nil
}

// freshOrganisation loads the organisation for an admin request, which
// must see the latest org file. Callers hold s.mu.
func (s *Scheduler) freshOrganisation(ctx context.Context, now time.Time) ([]core.Roster, error) {
	rs, err := s.store.Rosters(ctx)
	if err != nil {
		return nil, err
	}
	core.ResolveZones(rs)
	s.rosters, s.loadedAt = rs, now
	return rs, nil
}

// smallPlan is the candidate count up to which punches are read per
// employee rather than by one query over the whole window.
const smallPlan = 200

// punches returns the candidates' punches around their shifts, by employee.
func (s *Scheduler) punches(ctx context.Context, cands []core.Candidate) (map[string][]core.Punch, error) {
	out := map[string][]core.Punch{}
	if len(cands) <= smallPlan {
		for _, c := range cands {
			ps, err := s.store.ListPunches(ctx, core.PunchFilter{EmployeeID: c.Roster.Employee.ID, From: c.Shift.Opens, To: c.Shift.Closes.Add(time.Minute)})
			if err != nil {
				return nil, err
			}
			out[c.Roster.Employee.ID] = ps
		}
		return out, nil
	}
	from, to := core.PunchWindow(cands)
	ps, err := s.store.ListPunches(ctx, core.PunchFilter{From: from, To: to})
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		out[p.EmployeeID] = append(out[p.EmployeeID], p)
	}
	return out, nil
}

// slotMakeups returns the pending and approved make-up requests of the
// candidates' shift dates, which cover missing slots.
func (s *Scheduler) slotMakeups(ctx context.Context, cands []core.Candidate) ([]core.MakeupRequest, error) {
	dates := map[string]bool{}
	for _, c := range cands {
		dates[c.Shift.Date] = true
	}
	var out []core.MakeupRequest
	var from, to time.Time
	for _, c := range cands {
		if from.IsZero() || c.Shift.Start.Before(from) {
			from = c.Shift.Start
		}
		if c.Shift.End.After(to) {
			to = c.Shift.End
		}
	}
	err := s.store.InTx(ctx, func(tx core.Tx) error {
		away, err := tx.ListMakeups(ctx, core.MakeupFilter{Types: []core.RequestType{core.RequestLeave, core.RequestTrip, core.RequestOuting},
			Statuses: []core.MakeupStatus{core.MakeupApproved}, CoverFrom: from, CoverTo: to.Add(time.Minute)})
		if err != nil {
			return err
		}
		out = append(out, away...)
		for d := range dates {
			ms, err := tx.ListMakeups(ctx, core.MakeupFilter{ShiftDate: d, Statuses: []core.MakeupStatus{core.MakeupPending, core.MakeupApproved}})
			if err != nil {
				return err
			}
			out = append(out, ms...)
		}
		return nil
	})
	return out, err
}

// planStillClockedIn reads the clock-ins that can make r due at q.At, then
// the punches and make-ups of the people who made them, and lets the core
// settle who is still clocked in.
func (s *Scheduler) planStillClockedIn(ctx context.Context, r core.Reminder, rosters []core.Roster, q core.DueQuery, late bool) ([]core.Delivery, error) {
	from, to := core.StillClockedInWindow(r, q)
	ins, err := s.store.ListPunches(ctx, core.PunchFilter{From: from, To: to})
	if err != nil {
		return nil, err
	}
	who := map[string]bool{}
	for _, p := range ins {
		if p.Valid() && p.Kind == core.KindIn {
			who[p.EmployeeID] = true
		}
	}
	if len(who) == 0 {
		return nil, nil
	}
	// Up to now, not the minute fired: a late firing must see a
	// clock-out made since. One query for just the people clocked in
	// in the window (at 18:00 that is everybody who came at 09:00), by
	// shift dates wide enough for any zone (a local date is the UTC one
	// ±1, an overnight shift's the day before); the instant decides.
	since := core.StillClockedInHistory(from)
	ids := slices.Sorted(maps.Keys(who))
	r0 := core.ShiftRange{From: since.UTC().AddDate(0, 0, -2).Format(core.DateLayout), To: s.now().UTC().AddDate(0, 0, 1).Format(core.DateLayout), EmployeeIDs: ids}
	punches := map[string][]core.Punch{}
	err = s.store.ScanShiftPunches(ctx, r0, func(p core.Punch) error {
		if !p.At.Before(since) {
			punches[p.EmployeeID] = append(punches[p.EmployeeID], p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var makeups []core.MakeupRequest
	err = s.store.InTx(ctx, func(tx core.Tx) error {
		var err error
		makeups, err = tx.ListMakeups(ctx, core.MakeupFilter{From: since, Types: []core.RequestType{core.RequestMakeup},
			Statuses: []core.MakeupStatus{core.MakeupPending, core.MakeupApproved}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return core.StillClockedInDeliveries(r, rosters, punches, makeups, q, late), nil
}

// deadlineChunk is how many people's punches the make-up deadline reminder
// holds at once. It looks back up to a month: everybody's at once would be
// a month of punches of the whole company in memory (ten thousand people
// are some 600,000 punches); a chunk's are a few megabytes.
var deadlineChunk = 1000

// shiftPunchScanner streams the punches of a range of shift dates of some
// people, in one query (core.ReportSource; every store has it).
type shiftPunchScanner interface {
	ScanShiftPunches(ctx context.Context, r core.ShiftRange, fn func(core.Punch) error) error
}

// planMakeupDeadline reads what the make-up deadline reminder judges: the
// requests created since the earliest of the days it looks at or month
// starts (make-ups, and the quota), the leave, trips and outings covering
// those days, and, deadlineChunk people at a time, the punches of those
// days.
func (s *Scheduler) planMakeupDeadline(ctx context.Context, r core.Reminder, rosters []core.Roster, m time.Time, late bool) ([]core.Delivery, error) {
	punchesFrom, createdFrom := core.MakeupDeadlineRange(rosters, m)
	if punchesFrom.IsZero() {
		return nil, nil
	}
	until := m.Truncate(time.Minute).Add(time.Minute)
	var reqs []core.MakeupRequest
	err := s.store.InTx(ctx, func(tx core.Tx) error {
		recent, err := tx.ListMakeups(ctx, core.MakeupFilter{From: createdFrom})
		if err != nil {
			return err
		}
		away, err := tx.ListMakeups(ctx, core.MakeupFilter{Types: []core.RequestType{core.RequestLeave, core.RequestTrip, core.RequestOuting},
			Statuses: []core.MakeupStatus{core.MakeupPending, core.MakeupApproved}, CoverFrom: punchesFrom, CoverTo: until})
		if err != nil {
			return err
		}
		seen := map[int64]bool{}
		for _, m := range append(recent, away...) {
			if !seen[m.ID] {
				seen[m.ID] = true
				reqs = append(reqs, m)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []core.Delivery
	for chunk := range slices.Chunk(core.MakeupDeadlineCandidates(r, rosters), deadlineChunk) {
		from, to := core.MakeupDeadlineDates(chunk, m)
		ids := make([]string, len(chunk))
		for i, ro := range chunk {
			ids[i] = ro.Employee.ID
		}
		var ps []core.Punch
		err := s.store.ScanShiftPunches(ctx, core.ShiftRange{From: from, To: to, EmployeeIDs: ids}, func(p core.Punch) error {
			ps = append(ps, p)
			return nil
		})
		if err != nil {
			return nil, err
		}
		out = append(out, core.MakeupDeadlineDeliveries(r, chunk, ps, reqs, m, late)...)
	}
	return out, nil
}
