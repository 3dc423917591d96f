package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/punchbot/punchbot/core"
)

// Org returns the whole organisation as applied, from one snapshot in one
// round trip: every site, schedule, calendar, employee (with identities),
// reminder, the make-up policy and the organisation's own settings, each
// list in id order. The console edits it and applies it back; the admin API
// exports it. Sites' Lat and Lng are WGS-84; a GCJ-02 site also has its
// datum and coordinates as written. Version is the organisation's version
// in the same snapshot (core.Org.Version).
func (s *Store) Org(ctx context.Context) (core.Org, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return core.Org{}, translate(err, "begin read")
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var org core.Org
	b := &pgx.Batch{}
	b.Queue(`SELECT COALESCE((SELECT version FROM org_version WHERE id = 1), 1)`).QueryRow(func(row pgx.Row) error { return row.Scan(&org.Version) })
	written := map[string]core.OrgSite{}
	b.Queue(`SELECT id, datum, written_lat, written_lng FROM sites WHERE datum <> 'wgs84'`).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var s core.OrgSite
			var w core.LatLng
			if err := rows.Scan(&s.ID, &s.Datum, &w.Lat, &w.Lng); err != nil {
				return err
			}
			s.Written = &w
			written[s.ID] = s
		}
		return rows.Err()
	})
	b.Queue(`SELECT name, lang, time_zone FROM org_info WHERE id = 1`).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			if err := rows.Scan(&org.Name, &org.Lang, &org.TimeZone); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	sites := map[string]core.Site{}
	b.Queue(`SELECT ` + siteCols + ` FROM sites st`).Query(func(rows pgx.Rows) error { return scanSites(rows, sites) })
	b.Queue(`SELECT ` + scheduleCols + ` FROM schedules ORDER BY id`).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			sc, err := scanSchedule(rows)
			if err != nil {
				return err
			}
			org.Schedules = append(org.Schedules, sc)
		}
		return rows.Err()
	})
	calendars := map[string]*core.Calendar{}
	b.Queue(`SELECT c.id, c.name, d.day, d.workday, d.statutory, d.name FROM calendars c LEFT JOIN calendar_days d ON d.calendar_id = c.id ORDER BY c.id, d.day`).
		Query(func(rows pgx.Rows) error { return scanCalendars(rows, calendars) })
	b.Queue(employeeWithIdentities + ` FROM employees e ORDER BY e.id`).Query(func(rows pgx.Rows) (err error) {
		org.Employees, err = pgx.AppendRows(org.Employees, rows, func(row pgx.CollectableRow) (core.Employee, error) { return scanEmployeeWithIdentities(row) })
		return err
	})
	b.Queue(`SELECT spec FROM reminders ORDER BY id`).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var spec []byte
			var r core.Reminder
			if err := rows.Scan(&spec); err != nil {
				return err
			}
			if err := json.Unmarshal(spec, &r); err != nil {
				return core.WrapError(core.EINTERNAL, err, "decode reminder")
			}
			org.Reminders = append(org.Reminders, r)
		}
		return rows.Err()
	})
	b.Queue(`SELECT monthly_quota, deadline_days, expire_after_hours FROM makeup_policy WHERE id = 1`).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var q, d, x int32
			if err := rows.Scan(&q, &d, &x); err != nil {
				return err
			}
			org.Makeup = core.MakeupPolicy{MonthlyQuota: int(q), DeadlineDays: int(d), ExpireAfterHours: int(x)}
		}
		return rows.Err()
	})
	b.Queue(`SELECT id, name, annual_quota_days, paid, from_overtime, expire_days FROM leave_types ORDER BY position`).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var t core.LeaveType
			var kinds string
			if err := rows.Scan(&t.ID, &t.Name, &t.AnnualQuotaDays, &t.Paid, &kinds, &t.ExpireDays); err != nil {
				return err
			}
			t.FromOvertime = core.SplitOvertimeKinds(kinds)
			org.LeaveTypes = append(org.LeaveTypes, t)
		}
		return rows.Err()
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return core.Org{}, translate(err, "load the organisation")
	}
	for _, id := range slices.Sorted(maps.Keys(sites)) {
		site := core.OrgSite{Site: sites[id], Datum: core.WGS84}
		if w, ok := written[id]; ok {
			site.Datum, site.Written = w.Datum, w.Written
		}
		org.Sites = append(org.Sites, site)
	}
	for _, id := range slices.Sorted(maps.Keys(calendars)) {
		org.Calendars = append(org.Calendars, *calendars[id])
	}
	slices.SortFunc(org.Employees, func(a, b core.Employee) int { return cmp.Compare(a.ID, b.ID) })
	return org, nil
}
