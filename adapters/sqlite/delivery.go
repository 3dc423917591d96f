package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

// Reminder firings and their deliveries (migration 0003). A firing is a
// row unique on (reminder_id, fire_at); its deliveries are outbox rows
// carrying its id, unique on their dedupe key.

var (
	_ core.ReminderStore   = (*Store)(nil)
	_ core.OutboxLaneStore = (*Store)(nil)
)

// Rosters returns every employee with schedule, calendar, sites and the
// make-up policy, read from one snapshot with one query per table. They are
// what a command's first read of that version would load again in the
// background (preload), so the cache keeps them instead.
func (s *Store) Rosters(ctx context.Context) ([]core.Roster, error) {
	var out []core.Roster
	err := s.readOrg(ctx, func(tx txConn, version int64) (err error) {
		out, err = rosters(ctx, tx)
		if err == nil && s.cache.startLoad(version) {
			s.cache.putRosters(version, out)
		}
		return err
	})
	return out, err
}

// rosters reads every employee's roster in q; rosters on one schedule
// share it and its calendar.
func rosters(ctx context.Context, q querier) ([]core.Roster, error) {
	emps, err := queryAll(ctx, q, "list rosters", `SELECT `+employeeCols+` FROM employees ORDER BY id`, nil, scanEmployee)
	if err != nil {
		return nil, err
	}
	ids, err := identities(ctx, q, ``)
	if err != nil {
		return nil, err
	}
	schedules, err := rosterSchedules(ctx, q)
	if err != nil {
		return nil, err
	}
	calendars, err := rosterCalendars(ctx, q)
	if err != nil {
		return nil, err
	}
	siteByID, err := rosterSites(ctx, q)
	if err != nil {
		return nil, err
	}
	var policy core.MakeupPolicy
	err = q.QueryRowContext(ctx, `SELECT monthly_quota, deadline_days, expire_after_hours FROM makeup_policy WHERE id = 1`).
		Scan(&policy.MonthlyQuota, &policy.DeadlineDays, &policy.ExpireAfterHours)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, translate(err, "load make-up policy")
	}
	out := make([]core.Roster, len(emps))
	for i, e := range emps {
		e.Identities = ids[e.ID]
		r := core.Roster{Employee: e, Policy: policy}
		if sch, ok := schedules[e.ScheduleID]; ok {
			r.Schedule = sch
			r.Calendar = calendars[sch.CalendarID]
		}
		for _, id := range e.SiteIDs {
			if site, ok := siteByID[id]; ok {
				r.Sites = append(r.Sites, site)
			}
		}
		out[i] = r
	}
	return out, nil
}

// rosterSchedules loads every schedule; rosters on one schedule share it.
func rosterSchedules(ctx context.Context, q querier) (map[string]*core.Schedule, error) {
	list, err := queryAll(ctx, q, "load schedules", `SELECT `+scheduleCols+` FROM schedules`, nil, scanSchedule)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*core.Schedule, len(list))
	for i := range list {
		out[list[i].ID] = &list[i]
	}
	return out, nil
}

// rosterCalendars loads every calendar with its days.
func rosterCalendars(ctx context.Context, q querier) (map[string]*core.Calendar, error) {
	list, err := queryAll(ctx, q, "load calendars", `SELECT id, name FROM calendars`, nil, func(sc scanner) (*core.Calendar, error) {
		c := &core.Calendar{}
		return c, sc.Scan(&c.ID, &c.Name)
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]*core.Calendar, len(list))
	for _, c := range list {
		out[c.ID] = c
	}
	days, err := q.QueryContext(ctx, `SELECT calendar_id, day, workday, statutory, name FROM calendar_days ORDER BY calendar_id, day`)
	if err != nil {
		return nil, translate(err, "load calendar days")
	}
	defer days.Close()
	for days.Next() {
		var id string
		var d core.CalendarDay
		var work, statutory int
		if err := days.Scan(&id, &d.Date, &work, &statutory, &d.Name); err != nil {
			return nil, translate(err, "load calendar days")
		}
		d.Workday, d.Statutory = work != 0, statutory != 0
		if c, ok := out[id]; ok {
			c.Days = append(c.Days, d)
		}
	}
	return out, translate(days.Err(), "load calendar days")
}

// rosterSites loads every site by id.
func rosterSites(ctx context.Context, q querier) (map[string]core.Site, error) {
	list, err := queryAll(ctx, q, "load sites", `SELECT id, name, lat, lng, radius_m, ip_ranges FROM sites`, nil, scanSite)
	if err != nil {
		return nil, err
	}
	return sitesByID(list), nil
}

const firingCols = `id, reminder_id, kind, fire_at, status, late, manual, recipients, note, created_at, updated_at`

func scanFiring(sc scanner) (core.Firing, error) {
	var f core.Firing
	var fireAt, created, updated int64
	var late, manual int
	if err := sc.Scan(&f.ID, &f.ReminderID, &f.Kind, &fireAt, &f.Status, &late, &manual, &f.Recipients, &f.Note, &created, &updated); err != nil {
		return f, err
	}
	f.FireAt, f.CreatedAt, f.UpdatedAt = fromMicros(fireAt), fromMicros(created), fromMicros(updated)
	f.Late, f.Manual = late != 0, manual != 0
	return f, nil
}

// BeginFiring records f unless its (reminder, fire time) is already known,
// in which case the stored firing comes back.
func (s *Store) BeginFiring(ctx context.Context, f core.Firing) (core.Firing, bool, error) {
	if f.ReminderID == "" || f.FireAt.IsZero() {
		return core.Firing{}, false, core.Errorf(core.EINVALID, "a firing needs a reminder id and a fire time")
	}
	if f.Status == "" {
		f.Status = core.FiringQueuing
	}
	if f.UpdatedAt.IsZero() {
		f.UpdatedAt = f.CreatedAt
	}
	var out core.Firing
	created := false
	err := s.writeTx(ctx, func(tx txConn) error {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO reminder_firings (reminder_id, kind, fire_at, status, late, manual, recipients, note, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (reminder_id, fire_at) DO NOTHING RETURNING id`,
			f.ReminderID, f.Kind, micros(f.FireAt), f.Status, boolInt(f.Late), boolInt(f.Manual), f.Recipients, f.Note, micros(f.CreatedAt), micros(f.UpdatedAt)).Scan(&id)
		switch {
		case err == nil:
			created = true
		case !errors.Is(err, sql.ErrNoRows):
			return translate(err, "record firing")
		}
		out, err = scanFiring(tx.QueryRowContext(ctx, `SELECT `+firingCols+` FROM reminder_firings WHERE reminder_id = ? AND fire_at = ?`, f.ReminderID, micros(f.FireAt)))
		return translate(err, "load firing")
	})
	return out, created, err
}

// enqueueRows is how many outbox rows one INSERT writes: 11 parameters a
// row stays far below SQLite's limit of 32766.
const enqueueRows = 500

// EnqueueDeliveries queues msgs for one firing in one transaction with
// multi-row inserts; rows whose dedupe key is already queued are skipped.
func (s *Store) EnqueueDeliveries(ctx context.Context, firingID int64, msgs []core.OutboxMessage) (int, error) {
	inserted := 0
	err := s.writeTx(ctx, func(tx txConn) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM reminder_firings WHERE id = ?`, firingID).Scan(&one); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return core.Errorf(core.ENOTFOUND, "no firing %d", firingID)
			}
			return translate(err, "check firing")
		}
		for i := 0; i < len(msgs); i += enqueueRows {
			chunk := msgs[i:min(i+enqueueRows, len(msgs))]
			var b strings.Builder
			b.WriteString(`INSERT INTO outbox (platform, route, kind, payload, dedupe_key, attempts, next_attempt, status, last_error, created_at, firing_id) VALUES `)
			args := make([]any, 0, len(chunk)*11)
			for j, m := range chunk {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
				status := m.Status
				if status == "" {
					status = core.OutboxPending
				}
				var payload any
				if len(m.Payload) > 0 {
					payload = []byte(m.Payload)
				}
				args = append(args, string(m.Platform), m.Route, m.Kind, payload, m.DedupeKey, m.Attempts, nullMicros(m.NextAttempt), status, m.LastError,
					micros(m.CreatedAt), firingID)
			}
			b.WriteString(` ON CONFLICT (dedupe_key) WHERE dedupe_key <> '' DO NOTHING`)
			res, err := tx.tx.ExecContext(ctx, b.String(), args...)
			if err != nil {
				return translate(err, "enqueue deliveries")
			}
			n, err := res.RowsAffected()
			if err != nil {
				return translate(err, "enqueue deliveries")
			}
			inserted += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return inserted, nil
}

// FinishFiring sets a firing's outcome.
func (s *Store) FinishFiring(ctx context.Context, id int64, status string, recipients int, note string, now time.Time) error {
	return s.writeTx(ctx, func(tx txConn) error {
		res, err := tx.ExecContext(ctx, `UPDATE reminder_firings SET status = ?, recipients = ?, note = ?, updated_at = ? WHERE id = ?`,
			status, recipients, note, micros(now), id)
		if err != nil {
			return translate(err, "finish firing")
		}
		if n, err := res.RowsAffected(); err != nil {
			return translate(err, "finish firing")
		} else if n == 0 {
			return core.Errorf(core.ENOTFOUND, "no firing %d", id)
		}
		return nil
	})
}

// ListFirings returns matching firings, newest fire time first.
func (s *Store) ListFirings(ctx context.Context, f core.FiringFilter) ([]core.Firing, error) {
	var c conditions
	if f.ReminderID != "" {
		c.add("reminder_id = ?", f.ReminderID)
	}
	if f.Status != "" {
		c.add("status = ?", f.Status)
	}
	if !f.Since.IsZero() {
		c.add("fire_at >= ?", micros(f.Since))
	}
	q, args := c.query(`SELECT `+firingCols+` FROM reminder_firings`, `fire_at DESC, id DESC`, f.Limit)
	return queryAll(ctx, poolConn{s.rs}, "list firings", q, args, scanFiring)
}

// FiringCounts counts each firing's deliveries by status.
func (s *Store) FiringCounts(ctx context.Context, ids []int64) (map[int64]core.DeliveryCounts, error) {
	out := map[int64]core.DeliveryCounts{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := poolConn{s.rs}.QueryContext(ctx, `SELECT firing_id, status, last_error <> '', count(*) FROM outbox
		WHERE firing_id IN (SELECT value FROM json_each(?)) GROUP BY firing_id, status, last_error <> ''`, jsonList(ids))
	if err != nil {
		return nil, translate(err, "count deliveries")
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var status string
		var n, erred int
		if err := rows.Scan(&id, &status, &erred, &n); err != nil {
			return nil, translate(err, "count deliveries")
		}
		c := out[id]
		c.Queued += n
		switch status {
		case core.OutboxPending:
			c.Pending += n
			if erred != 0 {
				c.Retrying += n
			}
		case core.OutboxSent:
			c.Sent += n
		case core.OutboxFailed:
			c.Failed += n
		}
		out[id] = c
	}
	return out, translate(rows.Err(), "count deliveries")
}

// Checkpoint returns the named scheduler's last finished minute.
func (s *Store) Checkpoint(ctx context.Context, name string) (time.Time, error) {
	var at int64
	err := poolConn{s.rs}.QueryRowContext(ctx, `SELECT at FROM scheduler_checkpoints WHERE name = ?`, name).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, translate(err, "load checkpoint")
	}
	return fromMicros(at), nil
}

// SetCheckpoint moves the named checkpoint forward to t, never back.
func (s *Store) SetCheckpoint(ctx context.Context, name string, t time.Time) error {
	return s.writeTx(ctx, func(tx txConn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO scheduler_checkpoints (name, at) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET at = max(at, excluded.at)`, name, micros(t))
		return translate(err, "set checkpoint")
	})
}

// laneCond is the lane's condition on the outbox.
func laneCond(lane core.OutboxLane) string {
	if lane == core.LaneDeliveries {
		return "firing_id <> 0"
	}
	return "firing_id = 0"
}

// ClaimOutboxLane is ClaimOutbox restricted to one lane; the partial
// indexes of migration 0003 keep the replies lane fast behind a large
// broadcast.
func (s *Store) ClaimOutboxLane(ctx context.Context, platform core.Platform, lane core.OutboxLane, limit int, now time.Time, lease time.Duration) ([]core.OutboxMessage, error) {
	return s.claimOutbox(ctx, platform, " AND "+laneCond(lane), limit, now, lease)
}

// FinishOutboxBatch records many delivery attempts in one transaction;
// nothing changes when one of the messages is unknown.
func (s *Store) FinishOutboxBatch(ctx context.Context, msgs []core.OutboxMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	return s.writeTx(ctx, func(tx txConn) error {
		for _, m := range msgs {
			res, err := tx.ExecContext(ctx, `UPDATE outbox SET attempts = ?, next_attempt = ?, status = ?, last_error = ?, sent_at = ?, lease_until = NULL
				WHERE id = ?`, m.Attempts, nullMicros(m.NextAttempt), m.Status, m.LastError, nullMicros(m.SentAt), m.ID)
			if err != nil {
				return translate(err, "finish outbox messages")
			}
			if n, err := res.RowsAffected(); err != nil {
				return translate(err, "finish outbox messages")
			} else if n == 0 {
				return core.Errorf(core.ENOTFOUND, "no outbox message %d", m.ID)
			}
		}
		return nil
	})
}

// problemCond selects a firing's deliveries that failed or wait for another
// attempt after an error; problemOrder lists the failed ones first.
const (
	problemCond  = `firing_id = ? AND (status = 'failed' OR (status = 'pending' AND last_error <> ''))`
	problemOrder = ` ORDER BY CASE status WHEN 'failed' THEN 0 ELSE 1 END, id`
)

// DeliveryProblems returns up to limit (all when limit is 0) of a firing's
// failed deliveries and those being retried after an error.
func (s *Store) DeliveryProblems(ctx context.Context, firingID int64, limit int) ([]core.OutboxMessage, error) {
	if firingID <= 0 {
		return nil, core.Errorf(core.EINVALID, "no firing %d", firingID)
	}
	q, args := `SELECT `+outboxCols+` FROM outbox WHERE `+problemCond+problemOrder, []any{firingID}
	if limit > 0 {
		q, args = q+` LIMIT ?`, append(args, limit)
	}
	return queryAll(ctx, poolConn{s.rs}, "list delivery problems", q, args, scanOutbox)
}

// RetryFailedDeliveries makes a firing's failed deliveries due again at now
// with no attempts counted; each keeps its row and dedupe key.
func (s *Store) RetryFailedDeliveries(ctx context.Context, firingID int64, now time.Time) (int, error) {
	if firingID <= 0 {
		return 0, core.Errorf(core.EINVALID, "no firing %d", firingID)
	}
	n := 0
	err := s.writeTx(ctx, func(tx txConn) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt = ?, lease_until = NULL
			WHERE firing_id = ? AND status = 'failed'`, micros(now), firingID)
		if err != nil {
			return translate(err, "retry failed deliveries")
		}
		affected, err := res.RowsAffected()
		n = int(affected)
		return translate(err, "retry failed deliveries")
	})
	return n, err
}
