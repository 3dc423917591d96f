package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/punchbot/punchbot/core"
)

// Reminder firings and their deliveries (migration 0003). A firing is a
// row unique on (reminder_id, fire_at); its deliveries are outbox rows
// carrying its id, unique on their dedupe key, bulk-loaded with COPY.

var (
	_ core.ReminderStore   = (*Store)(nil)
	_ core.OutboxLaneStore = (*Store)(nil)
)

// Rosters returns every employee with schedule, calendar, sites and the
// make-up policy: one batch of six queries, one round trip.
func (s *Store) Rosters(ctx context.Context) ([]core.Roster, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, translate(err, "begin read")
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	b := &pgx.Batch{}
	var emps []core.Employee
	b.Queue(`SELECT ` + employeeCols + ` FROM employees ORDER BY id`).Query(func(rows pgx.Rows) (err error) {
		emps, err = pgx.AppendRows(emps, rows, func(row pgx.CollectableRow) (core.Employee, error) { return scanEmployee(row) })
		return err
	})
	ids := map[string][]core.Identity{}
	b.Queue(`SELECT platform, tenant, user_id, employee_id FROM identities ORDER BY employee_id, position, platform, tenant, user_id`).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var id core.Identity
			if err := rows.Scan(&id.Platform, &id.Tenant, &id.UserID, &id.EmployeeID); err != nil {
				return err
			}
			ids[id.EmployeeID] = append(ids[id.EmployeeID], id)
		}
		return rows.Err()
	})
	schedules := map[string]*core.Schedule{}
	b.Queue(`SELECT ` + scheduleCols + ` FROM schedules`).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			sc, err := scanSchedule(rows)
			if err != nil {
				return err
			}
			schedules[sc.ID] = &sc
		}
		return rows.Err()
	})
	calendars := map[string]*core.Calendar{}
	b.Queue(`SELECT c.id, c.name, d.day, d.workday, d.statutory, d.name FROM calendars c LEFT JOIN calendar_days d ON d.calendar_id = c.id ORDER BY c.id, d.day`).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var id, name string
				var day, dayName *string
				var work, statutory *bool
				if err := rows.Scan(&id, &name, &day, &work, &statutory, &dayName); err != nil {
					return err
				}
				c, ok := calendars[id]
				if !ok {
					c = &core.Calendar{ID: id, Name: name}
					calendars[id] = c
				}
				if day != nil {
					c.Days = append(c.Days, core.CalendarDay{Date: *day, Workday: *work, Statutory: *statutory, Name: *dayName})
				}
			}
			return rows.Err()
		})
	sites := map[string]core.Site{}
	b.Queue(`SELECT id, name, lat, lng, radius_m, ip_ranges FROM sites`).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var st core.Site
			if err := rows.Scan(&st.ID, &st.Name, &st.Lat, &st.Lng, &st.RadiusM, &st.IPRanges); err != nil {
				return err
			}
			st.IPRanges = nilIfEmpty(st.IPRanges)
			sites[st.ID] = st
		}
		return rows.Err()
	})
	var policy core.MakeupPolicy
	b.Queue(`SELECT monthly_quota, deadline_days, expire_after_hours FROM makeup_policy WHERE id = 1`).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var q, d, x int32
			if err := rows.Scan(&q, &d, &x); err != nil {
				return err
			}
			policy = core.MakeupPolicy{MonthlyQuota: int(q), DeadlineDays: int(d), ExpireAfterHours: int(x)}
		}
		return rows.Err()
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, translate(err, "list rosters")
	}
	out := make([]core.Roster, len(emps))
	for i, e := range emps {
		e.Identities = ids[e.ID]
		r := core.Roster{Employee: e, Policy: policy}
		if sc, ok := schedules[e.ScheduleID]; ok {
			r.Schedule = sc
			r.Calendar = calendars[sc.CalendarID]
		}
		for _, id := range e.SiteIDs {
			if st, ok := sites[id]; ok {
				r.Sites = append(r.Sites, st)
			}
		}
		out[i] = r
	}
	return out, nil
}

const firingCols = `id, reminder_id, kind, fire_at, status, late, manual, recipients, note, created_at, updated_at`

func scanFiring(row pgx.Row) (core.Firing, error) {
	var f core.Firing
	var recipients int32
	if err := row.Scan(&f.ID, &f.ReminderID, &f.Kind, &f.FireAt, &f.Status, &f.Late, &f.Manual, &recipients, &f.Note, &f.CreatedAt, &f.UpdatedAt); err != nil {
		return f, err
	}
	f.Recipients = int(recipients)
	f.FireAt, f.CreatedAt, f.UpdatedAt = fromTS(f.FireAt), fromTS(f.CreatedAt), fromTS(f.UpdatedAt)
	return f, nil
}

// BeginFiring records f unless its (reminder, fire time) is already known,
// in which case the stored firing comes back. Two replicas racing on one
// minute both get the one row.
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
	out, err := scanFiring(s.pool.QueryRow(ctx, `INSERT INTO reminder_firings (reminder_id, kind, fire_at, status, late, manual, recipients, note, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (reminder_id, fire_at) DO NOTHING RETURNING `+firingCols,
		f.ReminderID, f.Kind, ts(f.FireAt), f.Status, f.Late, f.Manual, int32(f.Recipients), f.Note, ts(f.CreatedAt), ts(f.UpdatedAt)))
	if err == nil {
		return out, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return core.Firing{}, false, translate(err, "record firing")
	}
	out, err = scanFiring(s.pool.QueryRow(ctx, `SELECT `+firingCols+` FROM reminder_firings WHERE reminder_id = $1 AND fire_at = $2`, f.ReminderID, ts(f.FireAt)))
	if err != nil {
		return core.Firing{}, false, translate(err, "load firing")
	}
	return out, false, nil
}

// deliveryCols are the outbox columns a delivery sets, in COPY order.
var deliveryCols = []string{"platform", "route", "kind", "payload", "dedupe_key", "attempts", "next_attempt", "status", "last_error", "created_at", "firing_id"}

// EnqueueDeliveries queues msgs for one firing in one transaction: COPY
// into a temporary table, then one INSERT … SELECT that skips dedupe keys
// already queued (by an earlier, interrupted attempt or another replica).
func (s *Store) EnqueueDeliveries(ctx context.Context, firingID int64, msgs []core.OutboxMessage) (int, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, translate(err, "begin")
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var one int32
	if err := tx.QueryRow(ctx, `SELECT 1 FROM reminder_firings WHERE id = $1 FOR SHARE`, firingID).Scan(&one); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, core.Errorf(core.ENOTFOUND, "no firing %d", firingID)
		}
		return 0, translate(err, "check firing")
	}
	if len(msgs) == 0 {
		return 0, nil
	}
	if _, err := tx.Exec(ctx, `CREATE TEMPORARY TABLE delivery_load (
		platform text, route text, kind text, payload json, dedupe_key text, attempts integer, next_attempt timestamptz,
		status text, last_error text, created_at timestamptz, firing_id bigint) ON COMMIT DROP`); err != nil {
		return 0, translate(err, "enqueue deliveries")
	}
	rows := make([][]any, len(msgs))
	for i, m := range msgs {
		status := m.Status
		if status == "" {
			status = core.OutboxPending
		}
		var payload any
		if len(m.Payload) > 0 {
			payload = string(m.Payload)
		}
		rows[i] = []any{string(m.Platform), m.Route, m.Kind, payload, m.DedupeKey, int32(m.Attempts), nullTS(m.NextAttempt), status, m.LastError, ts(m.CreatedAt), firingID}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"delivery_load"}, deliveryCols, pgx.CopyFromRows(rows)); err != nil {
		return 0, translate(err, "enqueue deliveries")
	}
	cols := strings.Join(deliveryCols, ", ")
	tag, err := tx.Exec(ctx, `INSERT INTO outbox (`+cols+`) SELECT `+cols+` FROM delivery_load
		ON CONFLICT (dedupe_key) WHERE dedupe_key <> '' DO NOTHING`)
	if err != nil {
		return 0, translate(err, "enqueue deliveries")
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, translate(err, "commit")
	}
	return int(tag.RowsAffected()), nil
}

// FinishFiring sets a firing's outcome.
func (s *Store) FinishFiring(ctx context.Context, id int64, status string, recipients int, note string, now time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE reminder_firings SET status = $1, recipients = $2, note = $3, updated_at = $4 WHERE id = $5`,
		status, int32(recipients), note, ts(now), id)
	if err != nil {
		return translate(err, "finish firing")
	}
	if tag.RowsAffected() == 0 {
		return core.Errorf(core.ENOTFOUND, "no firing %d", id)
	}
	return nil
}

// ListFirings returns matching firings, newest fire time first.
func (s *Store) ListFirings(ctx context.Context, f core.FiringFilter) ([]core.Firing, error) {
	var c conditions
	if f.ReminderID != "" {
		c.add("reminder_id = $%d", f.ReminderID)
	}
	if f.Status != "" {
		c.add("status = $%d", f.Status)
	}
	if !f.Since.IsZero() {
		c.add("fire_at >= $%d", ts(f.Since))
	}
	q, args := c.query(`SELECT `+firingCols+` FROM reminder_firings`, `fire_at DESC, id DESC`, f.Limit)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, translate(err, "list firings")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (core.Firing, error) { return scanFiring(row) })
	return out, translate(err, "list firings")
}

// FiringCounts counts each firing's deliveries by status.
func (s *Store) FiringCounts(ctx context.Context, ids []int64) (map[int64]core.DeliveryCounts, error) {
	out := map[int64]core.DeliveryCounts{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT firing_id, status, last_error <> '', count(*) FROM outbox WHERE firing_id = ANY($1)
		GROUP BY firing_id, status, last_error <> ''`, ids)
	if err != nil {
		return nil, translate(err, "count deliveries")
	}
	defer rows.Close()
	for rows.Next() {
		var id, n int64
		var status string
		var erred bool
		if err := rows.Scan(&id, &status, &erred, &n); err != nil {
			return nil, translate(err, "count deliveries")
		}
		c := out[id]
		c.Queued += int(n)
		switch status {
		case core.OutboxPending:
			c.Pending += int(n)
			if erred {
				c.Retrying += int(n)
			}
		case core.OutboxSent:
			c.Sent += int(n)
		case core.OutboxFailed:
			c.Failed += int(n)
		}
		out[id] = c
	}
	return out, translate(rows.Err(), "count deliveries")
}

// Checkpoint returns the named scheduler's last finished minute.
func (s *Store) Checkpoint(ctx context.Context, name string) (time.Time, error) {
	var at time.Time
	err := s.pool.QueryRow(ctx, `SELECT at FROM scheduler_checkpoints WHERE name = $1`, name).Scan(&at)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, translate(err, "load checkpoint")
	}
	return fromTS(at), nil
}

// SetCheckpoint moves the named checkpoint forward to t, never back: a slow
// former leader cannot rewind its successor.
func (s *Store) SetCheckpoint(ctx context.Context, name string, t time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO scheduler_checkpoints (name, at) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET at = greatest(scheduler_checkpoints.at, excluded.at)`, name, ts(t))
	return translate(err, "set checkpoint")
}

// laneCond is the lane's condition on the outbox.
func laneCond(lane core.OutboxLane) string {
	if lane == core.LaneDeliveries {
		return "firing_id <> 0"
	}
	return "firing_id = 0"
}

// ClaimOutboxLane is ClaimOutbox restricted to one lane; the partial
// indexes of migration 0003 keep each lane's scan short.
func (s *Store) ClaimOutboxLane(ctx context.Context, platform core.Platform, lane core.OutboxLane, limit int, now time.Time, lease time.Duration) ([]core.OutboxMessage, error) {
	return s.claimOutbox(ctx, platform, " AND "+laneCond(lane), limit, now, lease)
}

// FinishOutboxBatch records many delivery attempts with one UPDATE over
// arrays; nothing changes when one of the messages is unknown.
func (s *Store) FinishOutboxBatch(ctx context.Context, msgs []core.OutboxMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	ids := make([]int64, len(msgs))
	attempts := make([]int32, len(msgs))
	next := make([]*time.Time, len(msgs))
	status := make([]string, len(msgs))
	lastErr := make([]string, len(msgs))
	sent := make([]*time.Time, len(msgs))
	for i, m := range msgs {
		ids[i], attempts[i], status[i], lastErr[i] = m.ID, int32(m.Attempts), m.Status, m.LastError
		if !m.NextAttempt.IsZero() {
			t := ts(m.NextAttempt)
			next[i] = &t
		}
		if !m.SentAt.IsZero() {
			t := ts(m.SentAt)
			sent[i] = &t
		}
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return translate(err, "begin")
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	tag, err := tx.Exec(ctx, `UPDATE outbox o SET attempts = u.attempts, next_attempt = u.next_attempt, status = u.status,
			last_error = u.last_error, sent_at = u.sent_at, lease_until = NULL
		FROM unnest($1::bigint[], $2::integer[], $3::timestamptz[], $4::text[], $5::text[], $6::timestamptz[])
			AS u(id, attempts, next_attempt, status, last_error, sent_at)
		WHERE o.id = u.id`, ids, attempts, next, status, lastErr, sent)
	if err != nil {
		return translate(err, "finish outbox messages")
	}
	if int(tag.RowsAffected()) != len(msgs) {
		return core.Errorf(core.ENOTFOUND, "%d of %d outbox messages are unknown", len(msgs)-int(tag.RowsAffected()), len(msgs))
	}
	return translate(tx.Commit(ctx), "commit")
}

// problemCond selects a firing's deliveries that failed or wait for another
// attempt after an error; problemOrder lists the failed ones first.
const (
	problemCond  = `firing_id = $1 AND (status = 'failed' OR (status = 'pending' AND last_error <> ''))`
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
		q, args = q+` LIMIT $2`, append(args, limit)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, translate(err, "list delivery problems")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (core.OutboxMessage, error) { return scanOutbox(row) })
	return out, translate(err, "list delivery problems")
}

// RetryFailedDeliveries makes a firing's failed deliveries due again at now
// with no attempts counted; each keeps its row and dedupe key.
func (s *Store) RetryFailedDeliveries(ctx context.Context, firingID int64, now time.Time) (int, error) {
	if firingID <= 0 {
		return 0, core.Errorf(core.EINVALID, "no firing %d", firingID)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt = $2, lease_until = NULL
		WHERE firing_id = $1 AND status = 'failed'`, firingID, ts(now))
	if err != nil {
		return 0, translate(err, "retry failed deliveries")
	}
	return int(tag.RowsAffected()), nil
}
