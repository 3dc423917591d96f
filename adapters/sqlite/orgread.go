package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"maps"
	"slices"

	"github.com/punchbot/punchbot/core"
)

// Org returns the whole organisation as applied, from one snapshot: every
// site, schedule, calendar, employee (with identities), reminder, the
// make-up policy and the organisation's own settings, each list in id
// order. The console edits it and applies it back; the admin API exports it.
// Sites' Lat and Lng are WGS-84; a GCJ-02 site also has its datum and
// coordinates as written. Version is the organisation's version in the same
// snapshot (core.Org.Version).
func (s *Store) Org(ctx context.Context) (core.Org, error) {
	var org core.Org
	err := s.readTx(ctx, func(q txConn) error {
		err := q.QueryRowContext(ctx, `SELECT name, lang, time_zone FROM org_info WHERE id = 1`).Scan(&org.Name, &org.Lang, &org.TimeZone)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return translate(err, "load organisation settings")
		}
		sites, err := rosterSites(ctx, q)
		if err != nil {
			return err
		}
		if err := q.QueryRowContext(ctx, orgVersionSQL).Scan(&org.Version); err != nil {
			return translate(err, "read the organisation's version")
		}
		written, err := queryAll(ctx, q, "list sites' datums", `SELECT id, datum, written_lat, written_lng FROM sites WHERE datum <> 'wgs84'`, nil,
			func(sc scanner) (core.OrgSite, error) {
				var s core.OrgSite
				var w core.LatLng
				err := sc.Scan(&s.ID, &s.Datum, &w.Lat, &w.Lng)
				s.Written = &w
				return s, err
			})
		if err != nil {
			return err
		}
		for _, st := range sites {
			site := core.OrgSite{Site: st, Datum: core.WGS84}
			if i := slices.IndexFunc(written, func(w core.OrgSite) bool { return w.ID == st.ID }); i >= 0 {
				site.Datum, site.Written = written[i].Datum, written[i].Written
			}
			org.Sites = append(org.Sites, site)
		}
		slices.SortFunc(org.Sites, func(a, b core.OrgSite) int { return cmp.Compare(a.ID, b.ID) })
		schedules, err := rosterSchedules(ctx, q)
		if err != nil {
			return err
		}
		for _, id := range slices.Sorted(maps.Keys(schedules)) {
			org.Schedules = append(org.Schedules, *schedules[id])
		}
		calendars, err := rosterCalendars(ctx, q)
		if err != nil {
			return err
		}
		for _, id := range slices.Sorted(maps.Keys(calendars)) {
			org.Calendars = append(org.Calendars, *calendars[id])
		}
		if org.Employees, err = queryAll(ctx, q, "list employees", `SELECT `+employeeCols+` FROM employees ORDER BY id`, nil, scanEmployee); err != nil {
			return err
		}
		ids, err := identities(ctx, q, ``)
		if err != nil {
			return err
		}
		for i := range org.Employees {
			org.Employees[i].Identities = ids[org.Employees[i].ID]
		}
		org.Reminders, err = queryAll(ctx, q, "list reminders", `SELECT spec FROM reminders ORDER BY id`, nil, func(sc scanner) (core.Reminder, error) {
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
		if err != nil {
			return err
		}
		org.LeaveTypes, err = queryAll(ctx, q, "list leave types", `SELECT id, name, annual_quota_days, paid, from_overtime, expire_days FROM leave_types ORDER BY position`, nil,
			func(sc scanner) (core.LeaveType, error) {
				var t core.LeaveType
				var kinds string
				err := sc.Scan(&t.ID, &t.Name, &t.AnnualQuotaDays, &t.Paid, &kinds, &t.ExpireDays)
				t.FromOvertime = core.SplitOvertimeKinds(kinds)
				return t, err
			})
		if err != nil {
			return err
		}
		err = q.QueryRowContext(ctx, `SELECT monthly_quota, deadline_days, expire_after_hours FROM makeup_policy WHERE id = 1`).
			Scan(&org.Makeup.MonthlyQuota, &org.Makeup.DeadlineDays, &org.Makeup.ExpireAfterHours)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return translate(err, "load make-up policy")
		}
		return nil
	})
	return org, err
}
