package sqlite

import (
	"database/sql"
	"encoding/json"
	"time"

	"github.com/punchbot/punchbot/core"
)

// Instants are stored as microseconds since the Unix epoch (UTC), the
// precision PostgreSQL keeps, so both stores truncate the same way.

// micros encodes a required instant.
func micros(t time.Time) int64 { return t.UnixMicro() }

// nullMicros encodes an optional instant: the zero time is NULL.
func nullMicros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// fromMicros decodes an instant in UTC.
func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// fromNullMicros decodes an optional instant.
func fromNullMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMicros(v.Int64)
}

// jsonList encodes a list as JSON text, "[]" when empty.
func jsonList[T any](v []T) string {
	if len(v) == 0 {
		return "[]"
	}
	b, err := json.Marshal(v)
	if err != nil {
		// Lists of strings and numbers always marshal.
		panic(err)
	}
	return string(b)
}

// parseList decodes a JSON list; empty lists come back nil so that every
// store returns the same value for "none".
func parseList[T any](s string, what string) ([]T, error) {
	var v []T
	if s == "" {
		return nil, nil
	}
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, core.WrapError(core.EINTERNAL, err, "decode %s", what)
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

const employeeCols = `id, name, lang, time_zone, manager_id, department, role, active, schedule_id, site_ids, joined_on, left_on`

func scanEmployee(sc scanner) (core.Employee, error) {
	var e core.Employee
	var role, sites string
	var active int
	if err := sc.Scan(&e.ID, &e.Name, &e.Lang, &e.TimeZone, &e.ManagerID, &e.Department, &role, &active, &e.ScheduleID, &sites, &e.Joined, &e.Left); err != nil {
		return e, err
	}
	e.Role, e.Active = core.Role(role), active != 0
	var err error
	e.SiteIDs, err = parseList[string](sites, "employee sites")
	return e, err
}

const punchCols = `id, employee_id, kind, at, received_at, shift_date, source, event_id, has_location, lat, lng, accuracy_m,
	label, site_id, distance_m, client_ip, outcome, time_result, late_min, early_min, reasons, flags, makeup_id`

func scanPunch(sc scanner) (core.Punch, error) {
	var p core.Punch
	var kind, outcome, timeResult, reasons, flags string
	var at, received int64
	var has int
	if err := sc.Scan(&p.ID, &p.EmployeeID, &kind, &at, &received, &p.ShiftDate, &p.Source, &p.EventID, &has, &p.Lat, &p.Lng, &p.AccuracyM,
		&p.Label, &p.SiteID, &p.DistanceM, &p.ClientIP, &outcome, &timeResult, &p.LateMin, &p.EarlyMin, &reasons, &flags, &p.MakeupID); err != nil {
		return p, err
	}
	p.Kind, p.Outcome, p.TimeResult = core.PunchKind(kind), core.Outcome(outcome), core.TimeResult(timeResult)
	p.At, p.ReceivedAt, p.HasLocation = fromMicros(at), fromMicros(received), has != 0
	var err error
	if p.Reasons, err = parseList[string](reasons, "punch reasons"); err != nil {
		return p, err
	}
	p.Flags, err = parseList[string](flags, "punch flags")
	return p, err
}

const outboxCols = `id, platform, route, kind, payload, dedupe_key, attempts, next_attempt, status, last_error, created_at, sent_at, firing_id`

func scanOutbox(sc scanner) (core.OutboxMessage, error) {
	var m core.OutboxMessage
	var platform string
	var payload []byte
	var next, sent sql.NullInt64
	var created int64
	if err := sc.Scan(&m.ID, &platform, &m.Route, &m.Kind, &payload, &m.DedupeKey, &m.Attempts, &next, &m.Status, &m.LastError, &created, &sent, &m.FiringID); err != nil {
		return m, err
	}
	m.Platform = core.Platform(platform)
	if len(payload) > 0 {
		m.Payload = json.RawMessage(payload)
	}
	m.NextAttempt, m.CreatedAt, m.SentAt = fromNullMicros(next), fromMicros(created), fromNullMicros(sent)
	return m, nil
}

// scanAudit reads the columns id, at, actor, action, subject, detail.
func scanAudit(sc scanner) (core.AuditEntry, error) {
	var a core.AuditEntry
	var at int64
	err := sc.Scan(&a.ID, &at, &a.Actor, &a.Action, &a.Subject, &a.Detail)
	a.At = fromMicros(at)
	return a, err
}

// scanSite reads the columns id, name, lat, lng, radius_m, ip_ranges.
func scanSite(sc scanner) (core.Site, error) {
	var s core.Site
	var ranges string
	if err := sc.Scan(&s.ID, &s.Name, &s.Lat, &s.Lng, &s.RadiusM, &ranges); err != nil {
		return s, err
	}
	var err error
	s.IPRanges, err = parseList[string](ranges, "site ip ranges")
	return s, err
}

// sitesByID indexes sites by id.
func sitesByID(list []core.Site) map[string]core.Site {
	out := make(map[string]core.Site, len(list))
	for _, s := range list {
		out[s.ID] = s
	}
	return out
}

// scanSchedule reads the columns id, name, work_days, start_min, end_min,
// check_in_opens_min, check_out_closes_min, flexible_min, late_grace_min,
// serious_late_min, absent_late_min, early_leave_grace_min, out_of_range,
// calendar_id, punch_mode, confirm_within_min, overtime_mode,
// overtime_starts_after_min, overtime_min_min, overtime_unit_min,
// overtime_before_start_min (scheduleCols).
func scanSchedule(sc scanner) (core.Schedule, error) {
	var s core.Schedule
	var days, oor, mode, otMode string
	if err := sc.Scan(&s.ID, &s.Name, &days, &s.StartMin, &s.EndMin, &s.CheckInOpensMin, &s.CheckOutClosesMin, &s.FlexibleMin,
		&s.LateGraceMin, &s.SeriousLateMin, &s.AbsentLateMin, &s.EarlyLeaveGraceMin, &oor, &s.CalendarID, &mode, &s.ConfirmWithinMin,
		&otMode, &s.Overtime.StartsAfterMin, &s.Overtime.MinMin, &s.Overtime.UnitMin, &s.Overtime.BeforeStartMin); err != nil {
		return s, err
	}
	s.OutOfRange, s.PunchMode, s.Overtime.Mode = core.OutOfRangePolicy(oor), core.PunchMode(mode), core.OvertimeMode(otMode)
	var err error
	s.WorkDays, err = parseList[time.Weekday](days, "schedule work days")
	return s, err
}
