package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/punchbot/punchbot/core"
)

// querier is what reads need: the read pool, a read transaction or the
// write transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queryAll runs query and scans every row with scan. what names the read
// in every error it returns, so callers keep their own messages; no rows
// give a nil slice, the value every store returns for "none".
func queryAll[T any](ctx context.Context, q querier, what, query string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, translate(err, what)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, translate(err, what)
		}
		out = append(out, v)
	}
	return out, translate(rows.Err(), what)
}

// FindIdentity returns the employee bound to the account; an identity with
// an exact tenant wins over a tenant-less one. It reads the employee's
// roster too, which the service asks for next; both are kept until the
// organisation's version moves (orgCache).
func (s *Store) FindIdentity(ctx context.Context, platform core.Platform, tenant, userID string) (core.Employee, error) {
	a := core.Identity{Platform: platform, Tenant: tenant, UserID: userID}
	var e core.Employee
	err := s.readOrg(ctx, func(tx txConn, version int64) error {
		s.preload(version)
		empID, ok := s.cache.account(version, a)
		if !ok {
			err := tx.QueryRowContext(ctx, `SELECT employee_id FROM identities
				WHERE platform = ? AND user_id = ? AND (tenant = ? OR tenant = '')
				ORDER BY tenant = '' LIMIT 1`, string(platform), userID, tenant).Scan(&empID)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return translate(err, "find identity")
			}
			s.cache.putAccount(version, a, empID)
		}
		if empID == "" {
			return core.Errorf(core.ENOTFOUND, "no employee for %s user %s", platform, userID)
		}
		r, err := s.cachedRoster(ctx, tx, version, empID)
		e = r.Employee
		return err
	})
	return e, err
}

// Employee returns one employee with identities.
func (s *Store) Employee(ctx context.Context, id string) (core.Employee, error) {
	return employee(ctx, poolConn{s.rs}, id)
}

func employee(ctx context.Context, q querier, id string) (core.Employee, error) {
	e, err := scanEmployee(q.QueryRowContext(ctx, `SELECT `+employeeCols+` FROM employees WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, core.Errorf(core.ENOTFOUND, "no employee %q", id)
	}
	if err != nil {
		return e, translate(err, "load employee")
	}
	ids, err := identities(ctx, q, `WHERE employee_id = ?`, id)
	if err != nil {
		return e, err
	}
	e.Identities = ids[id]
	return e, nil
}

// identities loads identities matching where, grouped by employee.
func identities(ctx context.Context, q querier, where string, args ...any) (map[string][]core.Identity, error) {
	list, err := queryAll(ctx, q, "load identities",
		`SELECT platform, tenant, user_id, employee_id FROM identities `+where+` ORDER BY employee_id, position, platform, tenant, user_id`, args,
		func(sc scanner) (core.Identity, error) {
			var i core.Identity
			var platform string
			err := sc.Scan(&platform, &i.Tenant, &i.UserID, &i.EmployeeID)
			i.Platform = core.Platform(platform)
			return i, err
		})
	if err != nil {
		return nil, err
	}
	out := map[string][]core.Identity{}
	for _, i := range list {
		out[i.EmployeeID] = append(out[i.EmployeeID], i)
	}
	return out, nil
}

// ListEmployees returns every employee with identities, ordered by id.
func (s *Store) ListEmployees(ctx context.Context) ([]core.Employee, error) {
	var out []core.Employee
	err := s.readTx(ctx, func(tx txConn) (err error) {
		out, err = queryAll(ctx, tx, "list employees", `SELECT `+employeeCols+` FROM employees ORDER BY id`, nil, scanEmployee)
		if err != nil {
			return err
		}
		ids, err := identities(ctx, tx, ``)
		for i := range out {
			out[i].Identities = ids[out[i].ID]
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Roster returns an employee with schedule, sites, calendar and policy, read
// from one snapshot and kept until the organisation's version moves
// (orgCache).
func (s *Store) Roster(ctx context.Context, employeeID string) (core.Roster, error) {
	var r core.Roster
	err := s.readOrg(ctx, func(tx txConn, version int64) (err error) {
		s.preload(version)
		r, err = s.cachedRoster(ctx, tx, version, employeeID)
		return err
	})
	return r, err
}

// readOrg runs fn in a read transaction with the organisation's version
// that transaction's snapshot holds.
func (s *Store) readOrg(ctx context.Context, fn func(tx txConn, version int64) error) error {
	return s.readTx(ctx, func(tx txConn) error {
		var version int64
		if err := tx.QueryRowContext(ctx, orgVersionSQL).Scan(&version); err != nil {
			return translate(err, "read the organisation's version")
		}
		return fn(tx, version)
	})
}

// preloadTimeout bounds a load of every roster.
const preloadTimeout = time.Minute

// preload loads every roster at version into the cache in the background,
// once per version (or not at all when Rosters has read them at version
// first): employees punching for the first time since the store opened or
// the organisation changed would each cost a roster's read otherwise.
// Those reads go on meanwhile, as without a cache.
func (s *Store) preload(version int64) {
	s.closing.Lock()
	defer s.closing.Unlock()
	if s.background.Err() != nil || !s.cache.startLoad(version) {
		return
	}
	s.loads.Go(func() {
		ctx, cancel := context.WithTimeout(s.background, preloadTimeout)
		defer cancel()
		// A failed load leaves single reads until the next version.
		_ = s.readOrg(ctx, func(tx txConn, v int64) error {
			rs, err := rosters(ctx, tx)
			if err == nil {
				s.cache.putRosters(v, rs)
			}
			return err
		})
	})
}

// orgVersionSQL reads the organisation's version; a missing row reads as 1
// (migration 0017).
const orgVersionSQL = `SELECT COALESCE((SELECT version FROM org_version WHERE id = 1), 1)`

// cachedRoster returns the roster of an employee at version, from the
// cache or read in tx and kept.
func (s *Store) cachedRoster(ctx context.Context, tx txConn, version int64, employeeID string) (core.Roster, error) {
	if r, ok := s.cache.roster(version, employeeID); ok {
		return r, nil
	}
	r, err := roster(ctx, tx, employeeID)
	if err != nil {
		return r, err
	}
	s.cache.putRoster(version, r)
	return r, nil
}

// roster reads the roster of an employee in tx.
func roster(ctx context.Context, tx querier, employeeID string) (core.Roster, error) {
	e, err := employee(ctx, tx, employeeID)
	if err != nil {
		return core.Roster{}, err
	}
	r := core.Roster{Employee: e}
	if e.ScheduleID != "" {
		sch, err := schedule(ctx, tx, e.ScheduleID)
		switch {
		case err == nil:
			r.Schedule = &sch
		case core.ErrorCode(err) != core.ENOTFOUND:
			return r, err
		}
	}
	if r.Schedule != nil && r.Schedule.CalendarID != "" {
		cal, err := calendar(ctx, tx, r.Schedule.CalendarID)
		switch {
		case err == nil:
			r.Calendar = &cal
		case core.ErrorCode(err) != core.ENOTFOUND:
			return r, err
		}
	}
	if r.Sites, err = sites(ctx, tx, e.SiteIDs); err != nil {
		return r, err
	}
	err = tx.QueryRowContext(ctx, `SELECT monthly_quota, deadline_days, expire_after_hours FROM makeup_policy WHERE id = 1`).
		Scan(&r.Policy.MonthlyQuota, &r.Policy.DeadlineDays, &r.Policy.ExpireAfterHours)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return r, translate(err, "load make-up policy")
	}
	return r, nil
}

// scheduleCols are the columns scanSchedule reads.
const scheduleCols = `id, name, work_days, start_min, end_min, check_in_opens_min, check_out_closes_min, flexible_min,
	late_grace_min, serious_late_min, absent_late_min, early_leave_grace_min, out_of_range, calendar_id, punch_mode, confirm_within_min,
	overtime_mode, overtime_starts_after_min, overtime_min_min, overtime_unit_min, overtime_before_start_min`

func schedule(ctx context.Context, q querier, id string) (core.Schedule, error) {
	s, err := scanSchedule(q.QueryRowContext(ctx, `SELECT `+scheduleCols+` FROM schedules WHERE id = ?`, id))
	return s, translate(err, "load schedule "+id)
}

func calendar(ctx context.Context, q querier, id string) (core.Calendar, error) {
	c := core.Calendar{ID: id}
	if err := q.QueryRowContext(ctx, `SELECT name FROM calendars WHERE id = ?`, id).Scan(&c.Name); err != nil {
		return c, translate(err, "load calendar "+id)
	}
	var err error
	c.Days, err = queryAll(ctx, q, "load calendar days", `SELECT day, workday, statutory, name FROM calendar_days WHERE calendar_id = ? ORDER BY day`, []any{id},
		func(sc scanner) (core.CalendarDay, error) {
			var d core.CalendarDay
			var work, statutory int
			err := sc.Scan(&d.Date, &work, &statutory, &d.Name)
			d.Workday, d.Statutory = work != 0, statutory != 0
			return d, err
		})
	return c, err
}

// sites loads the named sites in the order given; unknown ids are skipped.
func sites(ctx context.Context, q querier, ids []string) ([]core.Site, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := queryAll(ctx, q, "load sites", `SELECT id, name, lat, lng, radius_m, ip_ranges FROM sites WHERE id IN (SELECT value FROM json_each(?))`,
		[]any{jsonList(ids)}, scanSite)
	if err != nil {
		return nil, err
	}
	byID := sitesByID(list)
	var out []core.Site
	for _, id := range ids {
		if s, ok := byID[id]; ok {
			out = append(out, s)
		}
	}
	return out, nil
}

// PunchByEvent returns the punch stored under an event (punches_event_key).
func (s *Store) PunchByEvent(ctx context.Context, source, eventID string) (core.Punch, error) {
	p, err := scanPunch(poolConn{s.rs}.QueryRowContext(ctx, `SELECT `+punchCols+` FROM punches WHERE source = ? AND event_id = ? AND event_id <> ''`, source, eventID))
	if errors.Is(err, sql.ErrNoRows) {
		return p, core.Errorf(core.ENOTFOUND, "no punch for event %s/%s", source, eventID)
	}
	return p, translate(err, "load punch of event")
}

// EventReply returns the reply recorded for an event.
func (s *Store) EventReply(ctx context.Context, source, eventID string) (core.EventRecord, error) {
	rec := core.EventRecord{Source: source, EventID: eventID}
	var reply string
	var created int64
	err := poolConn{s.rs}.QueryRowContext(ctx, `SELECT employee_id, reply, created_at FROM events WHERE source = ? AND event_id = ?`, source, eventID).
		Scan(&rec.EmployeeID, &reply, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return rec, core.Errorf(core.ENOTFOUND, "no event %s/%s", source, eventID)
	}
	if err != nil {
		return rec, translate(err, "load event")
	}
	rec.CreatedAt = fromMicros(created)
	if err := json.Unmarshal([]byte(reply), &rec.Reply); err != nil {
		return rec, core.WrapError(core.EINTERNAL, err, "decode reply of event %s/%s", source, eventID)
	}
	return rec, nil
}

// ListPunches returns punches in [From, To) ordered by time.
func (s *Store) ListPunches(ctx context.Context, f core.PunchFilter) ([]core.Punch, error) {
	var c conditions
	if f.EmployeeID != "" {
		c.add("employee_id = ?", f.EmployeeID)
	}
	if !f.From.IsZero() {
		c.add("at >= ?", micros(f.From))
	}
	if !f.To.IsZero() {
		c.add("at < ?", micros(f.To))
	}
	q, args := c.query(`SELECT `+punchCols+` FROM punches`, `at, id`, f.Limit)
	return punches(ctx, s.r, q, args...)
}

func punches(ctx context.Context, q querier, query string, args ...any) ([]core.Punch, error) {
	return queryAll(ctx, q, "list punches", query, args, scanPunch)
}

// ListAudit returns the latest limit entries, newest first; limit 0 or less
// returns all of them.
func (s *Store) ListAudit(ctx context.Context, limit int) ([]core.AuditEntry, error) {
	if limit <= 0 {
		limit = -1
	}
	return queryAll(ctx, poolConn{s.rs}, "list audit", `SELECT id, at, actor, action, subject, detail FROM audit ORDER BY id DESC LIMIT ?`, []any{limit}, scanAudit)
}

// ListReminders returns every reminder ordered by id.
func (s *Store) ListReminders(ctx context.Context) ([]core.Reminder, error) {
	return queryAll(ctx, poolConn{s.rs}, "list reminders", `SELECT spec FROM reminders ORDER BY id`, nil, func(sc scanner) (core.Reminder, error) {
		var spec string
		var r core.Reminder
		if err := sc.Scan(&spec); err != nil {
			return r, err
		}
		if err := json.Unmarshal([]byte(spec), &r); err != nil {
			return r, core.WrapError(core.EINTERNAL, err, "decode reminder")
		}
		return r, nil
	})
}
