package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/punchbot/punchbot/core"
)

// ApplyOrg creates or updates everything org names in one transaction:
// sites, schedules, calendars (their days replaced), employees (their
// identities replaced), reminders and the make-up policy, plus the audit
// entry. An account still bound to an employee the document does not list is
// ECONFLICT, and so is an org.Version that is no longer the stored one
// (core.ErrOrgChanged); then nothing changes. Concurrent applies run one at
// a time.
// The transaction notifies every store on the schema, this one included,
// which clear their caches once it commits (see listen.go).
func (s *Store) ApplyOrg(ctx context.Context, org core.Org, audit core.AuditEntry) (core.ApplyResult, error) {
	var res core.ApplyResult
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		res, err = s.applyOrg(ctx, tx, org, audit)
		return err
	})
	if err != nil {
		return core.ApplyResult{}, translate(err, "apply organisation")
	}
	s.cache.clear()
	return res, nil
}

func (s *Store) applyOrg(ctx context.Context, tx pgx.Tx, org core.Org, audit core.AuditEntry) (core.ApplyResult, error) {
	var res core.ApplyResult
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "punchbot.apply:"+s.schema)
	// Under the lock, the version moves on; an apply over an older one
	// fails here, and then the whole batch is rolled back (core.Org.Version).
	b.Queue(`INSERT INTO org_version AS v (id, version) VALUES (1, 2)
		ON CONFLICT (id) DO UPDATE SET version = v.version + 1 RETURNING version - 1`).QueryRow(func(row pgx.Row) error {
		var stored int64
		if err := row.Scan(&stored); err != nil {
			return err
		}
		if org.Version != 0 && org.Version != stored {
			return core.OrgChanged(org.Version, stored)
		}
		return nil
	})
	b.Queue(`SELECT pg_notify($1, '')`, s.channel)
	for _, st := range org.Sites {
		datum, wlat, wlng := siteDatum(st)
		b.Queue(`INSERT INTO sites (id, name, lat, lng, radius_m, ip_ranges, datum, written_lat, written_lng) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, lat = excluded.lat, lng = excluded.lng,
				radius_m = excluded.radius_m, ip_ranges = excluded.ip_ranges,
				datum = excluded.datum, written_lat = excluded.written_lat, written_lng = excluded.written_lng`,
			st.ID, st.Name, st.Lat, st.Lng, st.RadiusM, nonNil(st.IPRanges), datum, wlat, wlng)
		res.Sites++
	}
	for _, c := range org.Calendars {
		b.Queue(`INSERT INTO calendars (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = excluded.name`, c.ID, c.Name)
		b.Queue(`DELETE FROM calendar_days WHERE calendar_id = $1`, c.ID)
		days, work, statutory, names := make([]string, len(c.Days)), make([]bool, len(c.Days)), make([]bool, len(c.Days)), make([]string, len(c.Days))
		for i, d := range c.Days {
			days[i], work[i], statutory[i], names[i] = d.Date, d.Workday, d.Statutory, d.Name
		}
		b.Queue(`INSERT INTO calendar_days (calendar_id, day, workday, statutory, name)
			SELECT $1, d, w, st, n FROM unnest($2::text[], $3::boolean[], $4::boolean[], $5::text[]) AS u(d, w, st, n)`, c.ID, days, work, statutory, names)
		res.Calendars++
	}
	for _, sc := range org.Schedules {
		days := make([]int16, len(sc.WorkDays))
		for i, d := range sc.WorkDays {
			days[i] = int16(d)
		}
		b.Queue(`INSERT INTO schedules (id, name, work_days, start_min, end_min, check_in_opens_min, check_out_closes_min, flexible_min,
				late_grace_min, serious_late_min, absent_late_min, early_leave_grace_min, out_of_range, calendar_id, punch_mode, confirm_within_min,
				overtime_mode, overtime_starts_after_min, overtime_min_min, overtime_unit_min, overtime_before_start_min)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, work_days = excluded.work_days, start_min = excluded.start_min,
				end_min = excluded.end_min, check_in_opens_min = excluded.check_in_opens_min, check_out_closes_min = excluded.check_out_closes_min,
				flexible_min = excluded.flexible_min, late_grace_min = excluded.late_grace_min, serious_late_min = excluded.serious_late_min,
				absent_late_min = excluded.absent_late_min, early_leave_grace_min = excluded.early_leave_grace_min,
				out_of_range = excluded.out_of_range, calendar_id = excluded.calendar_id,
				punch_mode = excluded.punch_mode, confirm_within_min = excluded.confirm_within_min,
				overtime_mode = excluded.overtime_mode, overtime_starts_after_min = excluded.overtime_starts_after_min,
				overtime_min_min = excluded.overtime_min_min, overtime_unit_min = excluded.overtime_unit_min,
				overtime_before_start_min = excluded.overtime_before_start_min`,
			sc.ID, sc.Name, days, int32(sc.StartMin), int32(sc.EndMin), int32(sc.CheckInOpensMin), int32(sc.CheckOutClosesMin), int32(sc.FlexibleMin),
			int32(sc.LateGraceMin), int32(sc.SeriousLateMin), int32(sc.AbsentLateMin), int32(sc.EarlyLeaveGraceMin), string(sc.OutOfRange), sc.CalendarID,
			string(sc.Mode()), int32(sc.ConfirmWithinMin),
			string(sc.OvertimeMode()), int32(sc.Overtime.StartsAfterMin), int32(sc.Overtime.MinMin), int32(sc.Overtime.UnitMin),
			int32(sc.Overtime.BeforeStartMin))
		res.Schedules++
	}
	var listed []string
	// Employee rows in id order, so that two applies (or an apply and any
	// other writer of several employees) never wait for each other in a
	// cycle.
	for _, e := range slices.SortedFunc(slices.Values(org.Employees), func(a, b core.Employee) int { return strings.Compare(a.ID, b.ID) }) {
		b.Queue(`INSERT INTO employees (id, name, lang, time_zone, manager_id, department, role, active, schedule_id, site_ids, updated_at, joined_on, left_on)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, lang = excluded.lang, time_zone = excluded.time_zone,
				manager_id = excluded.manager_id, department = excluded.department, role = excluded.role, active = excluded.active,
				schedule_id = excluded.schedule_id, site_ids = excluded.site_ids, updated_at = excluded.updated_at,
				joined_on = excluded.joined_on, left_on = excluded.left_on`,
			e.ID, e.Name, e.Lang, e.TimeZone, e.ManagerID, e.Department, string(e.Role), e.Active, e.ScheduleID, nonNil(e.SiteIDs), ts(audit.At),
			e.Joined, e.Left)
		listed = append(listed, e.ID)
		res.Employees++
	}
	// Identities of every listed employee go before any is inserted, so an
	// account can move between two employees of one document.
	b.Queue(`DELETE FROM identities WHERE employee_id = ANY($1)`, nonNil(listed))
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return res, translate(err, "save organisation")
	}

	var platforms, tenants, users, owners []string
	var positions []int32
	for _, e := range org.Employees {
		for _, id := range e.Identities {
			platforms, tenants, users, owners = append(platforms, string(id.Platform)), append(tenants, id.Tenant), append(users, id.UserID), append(owners, e.ID)
			positions = append(positions, int32(len(positions)))
		}
	}
	if len(users) > 0 {
		var platform, user, owner string
		err := tx.QueryRow(ctx, `SELECT i.platform, i.user_id, i.employee_id FROM identities i
			JOIN unnest($1::text[], $2::text[], $3::text[]) AS u(p, t, usr) ON i.platform = u.p AND i.tenant = u.t AND i.user_id = u.usr
			LIMIT 1`, platforms, tenants, users).Scan(&platform, &user, &owner)
		if err == nil {
			return res, core.Errorf(core.ECONFLICT, "%s account %q is already bound to employee %s", platform, user, owner)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return res, translate(err, "check identities")
		}
	}

	b = &pgx.Batch{}
	if len(users) > 0 {
		b.Queue(`INSERT INTO identities (platform, tenant, user_id, employee_id, position)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[])`, platforms, tenants, users, owners, positions)
		res.Identities = len(users)
	}
	for _, r := range org.Reminders {
		spec, err := json.Marshal(r)
		if err != nil {
			return res, core.WrapError(core.EINTERNAL, err, "encode reminder %s", r.ID)
		}
		b.Queue(`INSERT INTO reminders (id, spec) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET spec = excluded.spec`, r.ID, string(spec))
		res.Reminders++
	}
	p := org.Makeup
	b.Queue(`INSERT INTO makeup_policy (id, monthly_quota, deadline_days, expire_after_hours) VALUES (1, $1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET monthly_quota = excluded.monthly_quota, deadline_days = excluded.deadline_days,
			expire_after_hours = excluded.expire_after_hours`, int32(p.MonthlyQuota), int32(p.DeadlineDays), int32(p.ExpireAfterHours))
	queueOrgInfo(b, org)    // report.go
	queueLeaveTypes(b, org) // makeup.go
	// The device-binding policy; see devices.go.
	queueDevicePolicy(b, org)
	b.Queue(insertAudit, auditArgs(audit)...)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return res, translate(err, fmt.Sprintf("save organisation %s", org.Name))
	}
	return res, nil
}

// siteDatum is what a site's datum columns hold: the datum, and the
// coordinates as written for a GCJ-02 site (NULL for WGS-84, written as
// stored).
func siteDatum(st core.OrgSite) (string, *float64, *float64) {
	if st.Datum != core.GCJ02 {
		return string(core.WGS84), nil, nil
	}
	lat, lng := st.WrittenLatLng()
	return string(core.GCJ02), &lat, &lng
}

// nonNil turns a nil list into an empty one: a NULL array would violate
// the NOT NULL columns.
func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
