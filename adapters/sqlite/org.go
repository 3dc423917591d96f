package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/punchbot/punchbot/core"
)

// ApplyOrg creates or updates everything org names in one transaction:
// sites, schedules, calendars (their days replaced), employees (their
// identities replaced), reminders and the make-up policy, plus the audit
// entry. An account still bound to an employee the document does not list is
// ECONFLICT, and so is an org.Version that is no longer the stored one
// (core.ErrOrgChanged); then nothing changes.
func (s *Store) ApplyOrg(ctx context.Context, org core.Org, audit core.AuditEntry) (core.ApplyResult, error) {
	var res core.ApplyResult
	err := s.writeTx(ctx, func(tx txConn) error {
		var err error
		res, err = applyOrg(ctx, tx, org, audit)
		return err
	})
	if err != nil {
		return core.ApplyResult{}, err
	}
	return res, nil
}

func applyOrg(ctx context.Context, tx txConn, org core.Org, audit core.AuditEntry) (core.ApplyResult, error) {
	var res core.ApplyResult
	exec := func(what, q string, args ...any) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return translate(err, what)
	}
	// The version first: an apply over an older one changes nothing
	// (core.Org.Version). The write transaction holds the database's one
	// write lock, so nobody moves it between this read and the commit.
	var stored int64
	if err := tx.QueryRowContext(ctx, orgVersionSQL).Scan(&stored); err != nil {
		return res, translate(err, "read the organisation's version")
	}
	if org.Version != 0 && org.Version != stored {
		return res, core.OrgChanged(org.Version, stored)
	}
	if err := exec("move the organisation's version on", `INSERT INTO org_version (id, version) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET version = excluded.version`, stored+1); err != nil {
		return res, err
	}
	for _, st := range org.Sites {
		datum, wlat, wlng := siteDatum(st)
		if err := exec("save site "+st.ID, `INSERT INTO sites (id, name, lat, lng, radius_m, ip_ranges, datum, written_lat, written_lng) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, lat = excluded.lat, lng = excluded.lng,
				radius_m = excluded.radius_m, ip_ranges = excluded.ip_ranges,
				datum = excluded.datum, written_lat = excluded.written_lat, written_lng = excluded.written_lng`,
			st.ID, st.Name, st.Lat, st.Lng, st.RadiusM, jsonList(st.IPRanges), datum, wlat, wlng); err != nil {
			return res, err
		}
		res.Sites++
	}
	for _, c := range org.Calendars {
		if err := exec("save calendar "+c.ID, `INSERT INTO calendars (id, name) VALUES (?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name`, c.ID, c.Name); err != nil {
			return res, err
		}
		if err := exec("replace calendar days", `DELETE FROM calendar_days WHERE calendar_id = ?`, c.ID); err != nil {
			return res, err
		}
		for _, d := range c.Days {
			if err := exec("save calendar day "+d.Date, `INSERT INTO calendar_days (calendar_id, day, workday, statutory, name) VALUES (?, ?, ?, ?, ?)`,
				c.ID, d.Date, boolInt(d.Workday), boolInt(d.Statutory), d.Name); err != nil {
				return res, err
			}
		}
		res.Calendars++
	}
	for _, sc := range org.Schedules {
		if err := exec("save schedule "+sc.ID, `INSERT INTO schedules (id, name, work_days, start_min, end_min, check_in_opens_min,
				check_out_closes_min, flexible_min, late_grace_min, serious_late_min, absent_late_min, early_leave_grace_min, out_of_range, calendar_id,
				punch_mode, confirm_within_min, overtime_mode, overtime_starts_after_min, overtime_min_min, overtime_unit_min,
				overtime_before_start_min)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, work_days = excluded.work_days, start_min = excluded.start_min,
				end_min = excluded.end_min, check_in_opens_min = excluded.check_in_opens_min, check_out_closes_min = excluded.check_out_closes_min,
				flexible_min = excluded.flexible_min, late_grace_min = excluded.late_grace_min, serious_late_min = excluded.serious_late_min,
				absent_late_min = excluded.absent_late_min, early_leave_grace_min = excluded.early_leave_grace_min,
				out_of_range = excluded.out_of_range, calendar_id = excluded.calendar_id,
				punch_mode = excluded.punch_mode, confirm_within_min = excluded.confirm_within_min,
				overtime_mode = excluded.overtime_mode, overtime_starts_after_min = excluded.overtime_starts_after_min,
				overtime_min_min = excluded.overtime_min_min, overtime_unit_min = excluded.overtime_unit_min,
				overtime_before_start_min = excluded.overtime_before_start_min`,
			sc.ID, sc.Name, jsonList(sc.WorkDays), sc.StartMin, sc.EndMin, sc.CheckInOpensMin, sc.CheckOutClosesMin, sc.FlexibleMin,
			sc.LateGraceMin, sc.SeriousLateMin, sc.AbsentLateMin, sc.EarlyLeaveGraceMin, string(sc.OutOfRange), sc.CalendarID,
			string(sc.Mode()), sc.ConfirmWithinMin, string(sc.OvertimeMode()), sc.Overtime.StartsAfterMin, sc.Overtime.MinMin, sc.Overtime.UnitMin,
			sc.Overtime.BeforeStartMin); err != nil {
			return res, err
		}
		res.Schedules++
	}
	for _, e := range org.Employees {
		if err := exec("save employee "+e.ID, `INSERT INTO employees (id, name, lang, time_zone, manager_id, department, role, active, schedule_id, site_ids, updated_at, joined_on, left_on)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, lang = excluded.lang, time_zone = excluded.time_zone,
				manager_id = excluded.manager_id, department = excluded.department, role = excluded.role, active = excluded.active,
				schedule_id = excluded.schedule_id, site_ids = excluded.site_ids, updated_at = excluded.updated_at,
				joined_on = excluded.joined_on, left_on = excluded.left_on`,
			e.ID, e.Name, e.Lang, e.TimeZone, e.ManagerID, e.Department, string(e.Role), boolInt(e.Active), e.ScheduleID,
			jsonList(e.SiteIDs), micros(audit.At), e.Joined, e.Left); err != nil {
			return res, err
		}
		if err := exec("replace identities of "+e.ID, `DELETE FROM identities WHERE employee_id = ?`, e.ID); err != nil {
			return res, err
		}
		res.Employees++
	}
	// Identities go in after every listed employee dropped theirs, so an
	// account can move between two employees of one document.
	for _, e := range org.Employees {
		for position, id := range e.Identities {
			var owner string
			err := tx.QueryRowContext(ctx, `SELECT employee_id FROM identities WHERE platform = ? AND tenant = ? AND user_id = ?`,
				string(id.Platform), id.Tenant, id.UserID).Scan(&owner)
			if err == nil {
				return res, core.Errorf(core.ECONFLICT, "%s account %q is already bound to employee %s", id.Platform, id.UserID, owner)
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return res, translate(err, "check identity")
			}
			if err := exec("save identity", `INSERT INTO identities (platform, tenant, user_id, employee_id, position) VALUES (?, ?, ?, ?, ?)`,
				string(id.Platform), id.Tenant, id.UserID, e.ID, position); err != nil {
				return res, err
			}
			res.Identities++
		}
	}
	for _, r := range org.Reminders {
		spec, err := json.Marshal(r)
		if err != nil {
			return res, core.WrapError(core.EINTERNAL, err, "encode reminder %s", r.ID)
		}
		if err := exec("save reminder "+r.ID, `INSERT INTO reminders (id, spec) VALUES (?, ?)
			ON CONFLICT (id) DO UPDATE SET spec = excluded.spec`, r.ID, string(spec)); err != nil {
			return res, err
		}
		res.Reminders++
	}
	p := org.Makeup
	if err := exec("save make-up policy", `INSERT INTO makeup_policy (id, monthly_quota, deadline_days, expire_after_hours) VALUES (1, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET monthly_quota = excluded.monthly_quota, deadline_days = excluded.deadline_days,
			expire_after_hours = excluded.expire_after_hours`, p.MonthlyQuota, p.DeadlineDays, p.ExpireAfterHours); err != nil {
		return res, err
	}
	if err := exec("clear leave types", `DELETE FROM leave_types`); err != nil {
		return res, err
	}
	for i, lt := range org.LeaveTypes {
		if err := exec("save leave type "+lt.ID, `INSERT INTO leave_types (id, position, name, annual_quota_days, paid, from_overtime, expire_days) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			lt.ID, i, lt.Name, lt.AnnualQuotaDays, lt.Paid, core.JoinOvertimeKinds(lt.FromOvertime), lt.ExpireDays); err != nil {
			return res, err
		}
	}
	if err := saveOrgInfo(ctx, tx, org); err != nil { // report.go
		return res, err
	}
	if err := saveDevicePolicy(ctx, tx, org); err != nil { // devices.go
		return res, err
	}
	return res, insertAudit(ctx, tx, audit)
}

// siteDatum is what a site's datum columns hold: the datum, and the
// coordinates as written for a GCJ-02 site (NULL for WGS-84, written as
// stored).
func siteDatum(st core.OrgSite) (string, any, any) {
	if st.Datum != core.GCJ02 {
		return string(core.WGS84), nil, nil
	}
	lat, lng := st.WrittenLatLng()
	return string(core.GCJ02), lat, lng
}
