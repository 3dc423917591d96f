package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/punchbot/punchbot/core"
)

// employeeWithIdentities selects an employee row followed by their
// identities as one JSON array of [platform, tenant, user] triples, so that
// an employee is one row and one statement.
const employeeWithIdentities = `SELECT e.id, e.name, e.lang, e.time_zone, e.manager_id, e.department, e.role, e.active, e.schedule_id, e.site_ids, e.joined_on, e.left_on,
	(SELECT json_agg(json_build_array(i2.platform, i2.tenant, i2.user_id) ORDER BY i2.position, i2.platform, i2.tenant, i2.user_id)
	   FROM identities i2 WHERE i2.employee_id = e.id)`

func scanEmployeeWithIdentities(row pgx.Row) (core.Employee, error) {
	var e core.Employee
	var ids []byte
	if err := row.Scan(&e.ID, &e.Name, &e.Lang, &e.TimeZone, &e.ManagerID, &e.Department, &e.Role, &e.Active, &e.ScheduleID, &e.SiteIDs, &e.Joined, &e.Left, &ids); err != nil {
		return e, err
	}
	e.SiteIDs = nilIfEmpty(e.SiteIDs)
	if len(ids) == 0 {
		return e, nil
	}
	var triples [][3]string
	if err := json.Unmarshal(ids, &triples); err != nil {
		return e, core.WrapError(core.EINTERNAL, err, "decode identities of %s", e.ID)
	}
	for _, t := range triples {
		e.Identities = append(e.Identities, core.Identity{Platform: core.Platform(t[0]), Tenant: t[1], UserID: t[2], EmployeeID: e.ID})
	}
	return e, nil
}

// FindIdentity returns the employee bound to the account; an identity with
// the exact tenant wins over a tenant-less one. The same round trip reads the
// employee's roster, which the service asks for next; both are cached until
// an organisation is applied (see rosterCache), so that a punch usually
// needs neither.
func (s *Store) FindIdentity(ctx context.Context, platform core.Platform, tenant, userID string) (core.Employee, error) {
	a := account{platform: platform, tenant: tenant, user: userID}
	if id, ok := s.cache.account(a); ok {
		if id == "" {
			return core.Employee{}, core.Errorf(core.ENOTFOUND, "no employee for %s user %s", platform, userID)
		}
		if r, ok := s.cache.roster(id); ok {
			return r.Employee, nil
		}
	}
	s.preload()
	gen := s.cache.generation()
	// Two point lookups on the unique key, the exact tenant first.
	r, found, err := s.roster(ctx, `COALESCE(
		(SELECT employee_id FROM identities WHERE platform = $1 AND tenant = $3 AND user_id = $2),
		(SELECT employee_id FROM identities WHERE platform = $1 AND tenant = '' AND user_id = $2))`, string(platform), userID, tenant)
	if err != nil {
		return core.Employee{}, translate(err, "find identity")
	}
	if !found {
		s.cache.put(gen, &a, nil)
		return core.Employee{}, core.Errorf(core.ENOTFOUND, "no employee for %s user %s", platform, userID)
	}
	s.cache.put(gen, &a, &r)
	return r.Employee, nil
}

// Employee returns one employee with identities.
func (s *Store) Employee(ctx context.Context, id string) (core.Employee, error) {
	e, err := scanEmployeeWithIdentities(s.pool.QueryRow(ctx, employeeWithIdentities+` FROM employees e WHERE e.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return e, core.Errorf(core.ENOTFOUND, "no employee %q", id)
	}
	return e, translate(err, "load employee")
}

// ListEmployees returns every employee with identities, ordered by id.
func (s *Store) ListEmployees(ctx context.Context) ([]core.Employee, error) {
	rows, err := s.pool.Query(ctx, employeeWithIdentities+` FROM employees e ORDER BY e.id`)
	if err != nil {
		return nil, translate(err, "list employees")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (core.Employee, error) { return scanEmployeeWithIdentities(row) })
	return out, translate(err, "list employees")
}

// Roster returns an employee with schedule, sites, calendar and policy,
// cached until an organisation is applied (see rosterCache).
func (s *Store) Roster(ctx context.Context, employeeID string) (core.Roster, error) {
	if r, ok := s.cache.roster(employeeID); ok {
		return r, nil
	}
	s.preload()
	gen := s.cache.generation()
	r, found, err := s.roster(ctx, `$1::text`, employeeID)
	if err != nil {
		return core.Roster{}, translate(err, "load roster")
	}
	if !found {
		return core.Roster{}, core.Errorf(core.ENOTFOUND, "no employee %q", employeeID)
	}
	s.cache.put(gen, nil, &r)
	return r, nil
}

// preloadTimeout bounds a load of the whole organisation.
const preloadTimeout = time.Minute

// preload loads the whole organisation into the cache in the background,
// on the first miss of a generation (after a connect, a reconnect or an
// apply): employees punching for the first time since then would each cost
// a read otherwise. Misses read one employee meanwhile, as before.
func (s *Store) preload() {
	gen, ok := s.cache.startLoad()
	if !ok || s.background.Err() != nil {
		return
	}
	s.loads.Go(func() {
		ctx, cancel := context.WithTimeout(s.background, preloadTimeout)
		defer cancel()
		// A failed load leaves single reads until the next generation.
		if rosters, accounts, err := s.loadOrg(ctx); err == nil {
			s.cache.putAll(gen, rosters, accounts)
		}
	})
}

// loadOrg reads every employee's roster and every identity's employee in
// one round trip: one read-only transaction, so that all of it is one
// organisation even while an apply commits.
func (s *Store) loadOrg(ctx context.Context) (map[string]core.Roster, map[account]string, error) {
	conn, err := s.acquire(ctx)
	if err != nil {
		return nil, nil, err
	}
	// A transaction the batch left open makes the pool close the connection.
	defer conn.Release()
	rosters := map[string]core.Roster{}
	accounts := map[account]string{}
	ids := map[string][]core.Identity{}
	calendars := map[string]*core.Calendar{}
	sites := map[string]core.Site{}
	b := &pgx.Batch{}
	b.Queue(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`)
	b.Queue(`SELECT ` + rosterCols + ` FROM employees e LEFT JOIN schedules s ON s.id = e.schedule_id LEFT JOIN makeup_policy p ON p.id = 1`).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				r, err := scanRosterRow(rows)
				if err != nil {
					return err
				}
				rosters[r.Employee.ID] = r
			}
			return nil
		})
	b.Queue(`SELECT employee_id, platform, tenant, user_id FROM identities ORDER BY employee_id, position, platform, tenant, user_id`).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var id core.Identity
				if err := rows.Scan(&id.EmployeeID, &id.Platform, &id.Tenant, &id.UserID); err != nil {
					return err
				}
				ids[id.EmployeeID] = append(ids[id.EmployeeID], id)
				accounts[account{platform: id.Platform, tenant: id.Tenant, user: id.UserID}] = id.EmployeeID
			}
			return nil
		})
	b.Queue(`SELECT c.id, c.name, d.day, d.workday, d.statutory, d.name FROM calendars c LEFT JOIN calendar_days d ON d.calendar_id = c.id ORDER BY c.id, d.day`).
		Query(func(rows pgx.Rows) error { return scanCalendars(rows, calendars) })
	b.Queue(`SELECT ` + siteCols + ` FROM sites st`).Query(func(rows pgx.Rows) error { return scanSites(rows, sites) })
	b.Queue(`COMMIT`)
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return nil, nil, translate(err, "load the organisation")
	}
	schedules := map[string]*core.Schedule{}
	for id, r := range rosters {
		r.Employee.Identities = ids[id]
		if r.Schedule != nil {
			// One copy of each schedule, not one per employee.
			if sc, ok := schedules[r.Schedule.ID]; ok {
				r.Schedule = sc
			} else {
				schedules[r.Schedule.ID] = r.Schedule
			}
			r.Calendar = calendars[r.Schedule.CalendarID]
		}
		r.Sites = employeeSites(r.Employee.SiteIDs, sites)
		rosters[id] = r
	}
	// The schedule and calendar values are shared between rosters here;
	// the cache copies them for every caller (core.Roster.Clone).
	return rosters, accounts, nil
}

// rosterCols are the columns scanRosterRow reads, over employees e, their
// schedule s and the make-up policy p.
const rosterCols = `e.id, e.name, e.lang, e.time_zone, e.manager_id, e.department, e.role, e.active, e.schedule_id, e.site_ids, e.joined_on, e.left_on,
	s.id, s.name, s.work_days, s.start_min, s.end_min, s.check_in_opens_min, s.check_out_closes_min, s.flexible_min,
	s.late_grace_min, s.serious_late_min, s.absent_late_min, s.early_leave_grace_min, s.out_of_range, s.calendar_id,
	s.punch_mode, s.confirm_within_min,
	s.overtime_mode, s.overtime_starts_after_min, s.overtime_min_min, s.overtime_unit_min, s.overtime_before_start_min,
	p.monthly_quota, p.deadline_days, p.expire_after_hours`

// siteCols are the columns scanSites reads, over sites st.
const siteCols = `st.id, st.name, st.lat, st.lng, st.radius_m, st.ip_ranges`

// scanSites reads sites into by id.
func scanSites(rows pgx.Rows, into map[string]core.Site) error {
	for rows.Next() {
		var st core.Site
		if err := rows.Scan(&st.ID, &st.Name, &st.Lat, &st.Lng, &st.RadiusM, &st.IPRanges); err != nil {
			return err
		}
		st.IPRanges = nilIfEmpty(st.IPRanges)
		into[st.ID] = st
	}
	return nil
}

// employeeSites returns an employee's sites in the employee's order; an
// unknown id is skipped.
func employeeSites(ids []string, sites map[string]core.Site) []core.Site {
	if len(ids) == 0 {
		return nil
	}
	out := make([]core.Site, 0, len(ids))
	for _, id := range ids {
		if st, ok := sites[id]; ok {
			out = append(out, st)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// scanCalendars reads rows of (calendar id, name, day, workday, day name),
// ordered by calendar and day, a calendar without days once with NULL
// days, into by id.
func scanCalendars(rows pgx.Rows, into map[string]*core.Calendar) error {
	for rows.Next() {
		var c core.Calendar
		var day, name *string
		var work, statutory *bool
		if err := rows.Scan(&c.ID, &c.Name, &day, &work, &statutory, &name); err != nil {
			return err
		}
		cal := into[c.ID]
		if cal == nil {
			cal = &c
			into[c.ID] = cal
		}
		if day != nil {
			cal.Days = append(cal.Days, core.CalendarDay{Date: *day, Workday: *work, Statutory: *statutory, Name: *name})
		}
	}
	return nil
}

// roster reads an employee's roster in one round trip of four simple
// statements; who is the SQL expression of the employee id over args.
// Simple statements cost the server less than one that assembles the same
// data as JSON.
func (s *Store) roster(ctx context.Context, who string, args ...any) (r core.Roster, found bool, err error) {
	b := &pgx.Batch{}
	b.Queue(`SELECT `+rosterCols+`
		FROM employees e LEFT JOIN schedules s ON s.id = e.schedule_id LEFT JOIN makeup_policy p ON p.id = 1
		WHERE e.id = `+who, args...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var err error
			if r, err = scanRosterRow(rows); err != nil {
				return err
			}
			found = true
		}
		return nil
	})
	var ids []core.Identity
	b.Queue(`SELECT platform, tenant, user_id FROM identities WHERE employee_id = `+who+` ORDER BY position, platform, tenant, user_id`, args...).
		Query(func(rows pgx.Rows) (err error) {
			ids, err = pgx.AppendRows(ids, rows, func(row pgx.CollectableRow) (core.Identity, error) {
				var id core.Identity
				return id, row.Scan(&id.Platform, &id.Tenant, &id.UserID)
			})
			return err
		})
	cals := map[string]*core.Calendar{}
	b.Queue(`SELECT c.id, c.name, d.day, d.workday, d.statutory, d.name
		FROM employees e JOIN schedules s ON s.id = e.schedule_id JOIN calendars c ON c.id = s.calendar_id
		LEFT JOIN calendar_days d ON d.calendar_id = c.id
		WHERE e.id = `+who+` ORDER BY d.day`, args...).Query(func(rows pgx.Rows) error { return scanCalendars(rows, cals) })
	sites := map[string]core.Site{}
	b.Queue(`SELECT `+siteCols+`
		FROM employees e JOIN sites st ON st.id = ANY(e.site_ids) WHERE e.id = `+who, args...).Query(func(rows pgx.Rows) error { return scanSites(rows, sites) })
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil || !found {
		return core.Roster{}, false, err
	}
	for _, id := range ids {
		id.EmployeeID = r.Employee.ID
		r.Employee.Identities = append(r.Employee.Identities, id)
	}
	if r.Schedule != nil {
		r.Calendar = cals[r.Schedule.CalendarID]
	}
	r.Sites = employeeSites(r.Employee.SiteIDs, sites)
	return r, true, nil
}

// scanRosterRow reads the employee, their schedule (columns NULL when they
// have none) and the make-up policy (NULL before the first apply).
func scanRosterRow(row pgx.Row) (core.Roster, error) {
	var r core.Roster
	e := &r.Employee
	var (
		sID, sName, sOOR, sCal *string
		sMode, sOTMode         *string
		days                   []int16
		v                      [14]*int32
		q, d, x                *int32
	)
	if err := row.Scan(&e.ID, &e.Name, &e.Lang, &e.TimeZone, &e.ManagerID, &e.Department, &e.Role, &e.Active, &e.ScheduleID, &e.SiteIDs, &e.Joined, &e.Left,
		&sID, &sName, &days, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &sOOR, &sCal, &sMode, &v[9],
		&sOTMode, &v[10], &v[11], &v[12], &v[13], &q, &d, &x); err != nil {
		return r, err
	}
	e.SiteIDs = nilIfEmpty(e.SiteIDs)
	if sID != nil {
		n := func(p *int32) int { return int(*p) }
		sc := core.Schedule{ID: *sID, Name: *sName, StartMin: n(v[0]), EndMin: n(v[1]), CheckInOpensMin: n(v[2]), CheckOutClosesMin: n(v[3]),
			FlexibleMin: n(v[4]), LateGraceMin: n(v[5]), SeriousLateMin: n(v[6]), AbsentLateMin: n(v[7]), EarlyLeaveGraceMin: n(v[8]),
			OutOfRange: core.OutOfRangePolicy(*sOOR), CalendarID: *sCal, PunchMode: core.PunchMode(*sMode), ConfirmWithinMin: n(v[9]),
			Overtime: core.OvertimeRule{Mode: core.OvertimeMode(*sOTMode), StartsAfterMin: n(v[10]), MinMin: n(v[11]), UnitMin: n(v[12]),
				BeforeStartMin: n(v[13])}}
		for _, day := range days {
			sc.WorkDays = append(sc.WorkDays, time.Weekday(day))
		}
		r.Schedule = &sc
	}
	if q != nil {
		r.Policy = core.MakeupPolicy{MonthlyQuota: int(*q), DeadlineDays: int(*d), ExpireAfterHours: int(*x)}
	}
	return r, nil
}

// PunchByEvent returns the punch stored under an event (punches_event_key).
func (s *Store) PunchByEvent(ctx context.Context, source, eventID string) (core.Punch, error) {
	p, err := scanPunch(s.pool.QueryRow(ctx, `SELECT `+punchCols+` FROM punches WHERE source = $1 AND event_id = $2 AND event_id <> ''`, source, eventID))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, core.Errorf(core.ENOTFOUND, "no punch for event %s/%s", source, eventID)
	}
	return p, translate(err, "load punch of event")
}

// EventReply returns the reply recorded for an event.
func (s *Store) EventReply(ctx context.Context, source, eventID string) (core.EventRecord, error) {
	rec := core.EventRecord{Source: source, EventID: eventID}
	var reply []byte
	err := s.pool.QueryRow(ctx, `SELECT employee_id, reply, created_at FROM events WHERE source = $1 AND event_id = $2`, source, eventID).
		Scan(&rec.EmployeeID, &reply, &rec.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return rec, core.Errorf(core.ENOTFOUND, "no event %s/%s", source, eventID)
	}
	if err != nil {
		return rec, translate(err, "load event")
	}
	rec.CreatedAt = fromTS(rec.CreatedAt)
	if err := json.Unmarshal(reply, &rec.Reply); err != nil {
		return rec, core.WrapError(core.EINTERNAL, err, "decode reply of event %s/%s", source, eventID)
	}
	return rec, nil
}

// ListPunches returns punches in [From, To) ordered by time.
func (s *Store) ListPunches(ctx context.Context, f core.PunchFilter) ([]core.Punch, error) {
	var c conditions
	if f.EmployeeID != "" {
		c.add("employee_id = $%d", f.EmployeeID)
	}
	if !f.From.IsZero() {
		c.add("at >= $%d", ts(f.From))
	}
	if !f.To.IsZero() {
		c.add("at < $%d", ts(f.To))
	}
	q, args := c.query(`SELECT `+punchCols+` FROM punches`, `at, id`, f.Limit)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, translate(err, "list punches")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (core.Punch, error) { return scanPunch(row) })
	return out, translate(err, "list punches")
}

// ListAudit returns the latest limit entries, newest first; limit 0 or less
// returns all of them.
func (s *Store) ListAudit(ctx context.Context, limit int) ([]core.AuditEntry, error) {
	var lim any
	if limit > 0 {
		lim = limit
	}
	rows, err := s.pool.Query(ctx, `SELECT id, at, actor, action, subject, detail FROM audit ORDER BY id DESC LIMIT $1`, lim)
	if err != nil {
		return nil, translate(err, "list audit")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (core.AuditEntry, error) {
		var a core.AuditEntry
		err := row.Scan(&a.ID, &a.At, &a.Actor, &a.Action, &a.Subject, &a.Detail)
		a.At = fromTS(a.At)
		return a, err
	})
	return out, translate(err, "list audit")
}

// ListReminders returns every reminder ordered by id.
func (s *Store) ListReminders(ctx context.Context) ([]core.Reminder, error) {
	rows, err := s.pool.Query(ctx, `SELECT spec FROM reminders ORDER BY id`)
	if err != nil {
		return nil, translate(err, "list reminders")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (core.Reminder, error) {
		var spec []byte
		var r core.Reminder
		if err := row.Scan(&spec); err != nil {
			return r, err
		}
		if err := json.Unmarshal(spec, &r); err != nil {
			return r, core.WrapError(core.EINTERNAL, err, "decode reminder")
		}
		return r, nil
	})
	return out, translate(err, "list reminders")
}
