package coretest

import (
	"context"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/punchbot/punchbot/core"
)

var (
	_ core.ReminderStore   = (*MemStore)(nil)
	_ core.OutboxLaneStore = (*MemStore)(nil)
)

// Rosters returns every employee with schedule, calendar, sites and the
// make-up policy, ordered by id.
func (m *MemStore) Rosters(ctx context.Context) ([]core.Roster, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := slices.Sorted(maps.Keys(m.state.employees))
	out := make([]core.Roster, 0, len(ids))
	for _, id := range ids {
		e, err := m.employee(id)
		if err != nil {
			return nil, err
		}
		r := core.Roster{Employee: e, Policy: m.state.policy}
		if s, ok := m.state.schedules[e.ScheduleID]; ok {
			r.Schedule = &s
			if c, ok := m.state.calendars[s.CalendarID]; ok {
				r.Calendar = &c
			}
		}
		for _, sid := range e.SiteIDs {
			if s, ok := m.state.sites[sid]; ok {
				r.Sites = append(r.Sites, s)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// BeginFiring records f unless its (reminder, fire time) is already known.
func (m *MemStore) BeginFiring(ctx context.Context, f core.Firing) (core.Firing, bool, error) {
	if f.ReminderID == "" || f.FireAt.IsZero() {
		return core.Firing{}, false, core.Errorf(core.EINVALID, "a firing needs a reminder id and a fire time")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, g := range m.state.firings {
		if g.ReminderID == f.ReminderID && g.FireAt.Equal(f.FireAt) {
			return g, false, nil
		}
	}
	m.state.nextID++
	f.ID = m.state.nextID
	if f.Status == "" {
		f.Status = core.FiringQueuing
	}
	if f.UpdatedAt.IsZero() {
		f.UpdatedAt = f.CreatedAt
	}
	m.state.firings = append(m.state.firings, f)
	return f, true, nil
}

// EnqueueDeliveries queues msgs under firingID, skipping known dedupe keys.
func (m *MemStore) EnqueueDeliveries(ctx context.Context, firingID int64, msgs []core.OutboxMessage) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !slices.ContainsFunc(m.state.firings, func(f core.Firing) bool { return f.ID == firingID }) {
		return 0, core.Errorf(core.ENOTFOUND, "no firing %d", firingID)
	}
	keys := make(map[string]bool, len(m.state.outbox))
	for _, o := range m.state.outbox {
		if o.DedupeKey != "" {
			keys[o.DedupeKey] = true
		}
	}
	n := 0
	for _, msg := range msgs {
		if msg.DedupeKey != "" {
			if keys[msg.DedupeKey] {
				continue
			}
			keys[msg.DedupeKey] = true
		}
		m.state.nextID++
		msg.ID = m.state.nextID
		msg.FiringID = firingID
		if msg.Status == "" {
			msg.Status = core.OutboxPending
		}
		m.state.outbox = append(m.state.outbox, msg)
		n++
	}
	return n, nil
}

// FinishFiring updates a firing's outcome.
func (m *MemStore) FinishFiring(ctx context.Context, id int64, status string, recipients int, note string, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.state.firings {
		if f := &m.state.firings[i]; f.ID == id {
			f.Status, f.Recipients, f.Note, f.UpdatedAt = status, recipients, note, now
			return nil
		}
	}
	return core.Errorf(core.ENOTFOUND, "no firing %d", id)
}

// ListFirings returns matching firings, newest fire time first.
func (m *MemStore) ListFirings(ctx context.Context, f core.FiringFilter) ([]core.Firing, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []core.Firing
	for _, g := range m.state.firings {
		if (f.ReminderID == "" || g.ReminderID == f.ReminderID) && (f.Status == "" || g.Status == f.Status) && (f.Since.IsZero() || !g.FireAt.Before(f.Since)) {
			out = append(out, g)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].FireAt.Equal(out[j].FireAt) {
			return out[i].FireAt.After(out[j].FireAt)
		}
		return out[i].ID > out[j].ID
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

// FiringCounts counts each firing's deliveries by status.
func (m *MemStore) FiringCounts(ctx context.Context, ids []int64) (map[int64]core.DeliveryCounts, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[int64]core.DeliveryCounts{}
	for _, o := range m.state.outbox {
		if o.FiringID == 0 || !slices.Contains(ids, o.FiringID) {
			continue
		}
		c := out[o.FiringID]
		c.Queued++
		switch o.Status {
		case core.OutboxPending:
			c.Pending++
			if o.LastError != "" {
				c.Retrying++
			}
		case core.OutboxSent:
			c.Sent++
		case core.OutboxFailed:
			c.Failed++
		}
		out[o.FiringID] = c
	}
	return out, nil
}

// Checkpoint returns the named scheduler's last finished minute.
func (m *MemStore) Checkpoint(ctx context.Context, name string) (time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state.marks[name], nil
}

// SetCheckpoint moves the named checkpoint forward to t.
func (m *MemStore) SetCheckpoint(ctx context.Context, name string, t time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.state.marks == nil {
		m.state.marks = map[string]time.Time{}
	}
	if cur, ok := m.state.marks[name]; !ok || t.After(cur) {
		m.state.marks[name] = t
	}
	return nil
}

// ClaimOutboxLane leases due messages of one platform and lane.
func (m *MemStore) ClaimOutboxLane(ctx context.Context, platform core.Platform, lane core.OutboxLane, limit int, now time.Time, lease time.Duration) ([]core.OutboxMessage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []core.OutboxMessage
	for _, o := range m.state.outbox {
		if len(out) >= limit {
			break
		}
		if (lane == core.LaneReplies) != (o.FiringID == 0) {
			continue
		}
		if o.Platform != platform || o.Status != core.OutboxPending || o.NextAttempt.After(now) || m.state.leases[o.ID].After(now) {
			continue
		}
		m.state.leases[o.ID] = now.Add(lease)
		out = append(out, o)
	}
	return out, nil
}

// FinishOutboxBatch stores the results of many delivery attempts at once;
// it changes nothing when one of the messages is unknown.
func (m *MemStore) FinishOutboxBatch(ctx context.Context, msgs []core.OutboxMessage) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	index := make(map[int64]int, len(m.state.outbox))
	for i, o := range m.state.outbox {
		index[o.ID] = i
	}
	for _, msg := range msgs {
		if _, ok := index[msg.ID]; !ok {
			return core.Errorf(core.ENOTFOUND, "no outbox message %d", msg.ID)
		}
	}
	for _, msg := range msgs {
		msg.FiringID = m.state.outbox[index[msg.ID]].FiringID
		m.state.outbox[index[msg.ID]] = msg
		delete(m.state.leases, msg.ID)
	}
	return nil
}

// DeliveryProblems returns up to limit (all when limit is 0) of a firing's
// failed deliveries and those being retried after an error, failed first.
func (m *MemStore) DeliveryProblems(ctx context.Context, firingID int64, limit int) ([]core.OutboxMessage, error) {
	if firingID <= 0 {
		return nil, core.Errorf(core.EINVALID, "no firing %d", firingID)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var failed, retried []core.OutboxMessage
	for _, o := range m.state.outbox {
		switch {
		case o.FiringID != firingID:
		case o.Status == core.OutboxFailed:
			failed = append(failed, o)
		case o.Status == core.OutboxPending && o.LastError != "":
			retried = append(retried, o)
		}
	}
	out := append(failed, retried...)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// RetryFailedDeliveries makes a firing's failed deliveries due again.
func (m *MemStore) RetryFailedDeliveries(ctx context.Context, firingID int64, now time.Time) (int, error) {
	if firingID <= 0 {
		return 0, core.Errorf(core.EINVALID, "no firing %d", firingID)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for i := range m.state.outbox {
		if o := &m.state.outbox[i]; o.FiringID == firingID && o.Status == core.OutboxFailed {
			o.Status, o.Attempts, o.NextAttempt = core.OutboxPending, 0, now
			delete(m.state.leases, o.ID)
			n++
		}
	}
	return n, nil
}
