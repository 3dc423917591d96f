package postgres

import (
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/punchbot/punchbot/core"
)

// ts prepares an instant for timestamptz: UTC, truncated to the microsecond
// PostgreSQL keeps, so the stored value never depends on rounding.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// nullTS encodes an optional instant: the zero time is NULL.
func nullTS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ts(t)
}

// fromTS decodes an instant in UTC.
func fromTS(t time.Time) time.Time { return t.UTC() }

// fromNullTS decodes an optional instant.
func fromNullTS(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// jsonList encodes a list as JSON text for a jsonb column, "[]" when empty.
// pgx passes a string to json and jsonb parameters unchanged.
func jsonList[T any](v []T) string {
	if len(v) == 0 {
		return "[]"
	}
	b, err := json.Marshal(v)
	if err != nil {
		// Lists of strings always marshal.
		panic(err)
	}
	return string(b)
}

// nilIfEmpty returns nil for an empty list, so every store returns the same
// value for "none".
func nilIfEmpty[T any](v []T) []T {
	if len(v) == 0 {
		return nil
	}
	return v
}

const employeeCols = `id, name, lang, time_zone, manager_id, department, role, active, schedule_id, site_ids, joined_on, left_on`

func scanEmployee(row pgx.Row) (core.Employee, error) {
	var e core.Employee
	err := row.Scan(&e.ID, &e.Name, &e.Lang, &e.TimeZone, &e.ManagerID, &e.Department, &e.Role, &e.Active, &e.ScheduleID, &e.SiteIDs, &e.Joined, &e.Left)
	e.SiteIDs = nilIfEmpty(e.SiteIDs)
	return e, err
}

const punchCols = `id, employee_id, kind, at, received_at, shift_date, source, event_id, has_location, lat, lng, accuracy_m,
	label, site_id, distance_m, client_ip, outcome, time_result, late_min, early_min, reasons, flags, makeup_id`

func scanPunch(row pgx.Row) (core.Punch, error) {
	var p core.Punch
	err := scanPunchAnd(row, &p)
	return p, err
}

// scanPunchAnd scans punchCols into p.
func scanPunchAnd(row pgx.Row, p *core.Punch) error {
	var lateMin, earlyMin int32
	err := row.Scan(&p.ID, &p.EmployeeID, &p.Kind, &p.At, &p.ReceivedAt, &p.ShiftDate, &p.Source, &p.EventID, &p.HasLocation, &p.Lat, &p.Lng,
		&p.AccuracyM, &p.Label, &p.SiteID, &p.DistanceM, &p.ClientIP, &p.Outcome, &p.TimeResult, &lateMin, &earlyMin, &p.Reasons, &p.Flags, &p.MakeupID)
	p.LateMin, p.EarlyMin = int(lateMin), int(earlyMin)
	p.At, p.ReceivedAt = fromTS(p.At), fromTS(p.ReceivedAt)
	p.Reasons, p.Flags = nilIfEmpty(p.Reasons), nilIfEmpty(p.Flags)
	return err
}

// punchArgs are the values of every punch column but id, in punchCols order.
func punchArgs(p *core.Punch) []any {
	return []any{p.EmployeeID, string(p.Kind), ts(p.At), ts(p.ReceivedAt), p.ShiftDate, p.Source, p.EventID, p.HasLocation,
		p.Lat, p.Lng, p.AccuracyM, p.Label, p.SiteID, p.DistanceM, p.ClientIP, string(p.Outcome), string(p.TimeResult),
		int32(p.LateMin), int32(p.EarlyMin), jsonList(p.Reasons), jsonList(p.Flags), p.MakeupID}
}

const outboxCols = `id, platform, route, kind, payload, dedupe_key, attempts, next_attempt, status, last_error, created_at, sent_at, firing_id`

func scanOutbox(row pgx.Row) (core.OutboxMessage, error) {
	var m core.OutboxMessage
	var payload []byte
	var attempts int32
	var next, sent *time.Time
	err := row.Scan(&m.ID, &m.Platform, &m.Route, &m.Kind, &payload, &m.DedupeKey, &attempts, &next, &m.Status, &m.LastError, &m.CreatedAt, &sent, &m.FiringID)
	if len(payload) > 0 {
		m.Payload = json.RawMessage(payload)
	}
	m.Attempts = int(attempts)
	m.NextAttempt, m.CreatedAt, m.SentAt = fromNullTS(next), fromTS(m.CreatedAt), fromNullTS(sent)
	return m, err
}

// scheduleCols are the columns of a schedule, as scanSchedule reads them.
const scheduleCols = `id, name, work_days, start_min, end_min, check_in_opens_min, check_out_closes_min, flexible_min,
	late_grace_min, serious_late_min, absent_late_min, early_leave_grace_min, out_of_range, calendar_id, punch_mode, confirm_within_min,
	overtime_mode, overtime_starts_after_min, overtime_min_min, overtime_unit_min, overtime_before_start_min`

// scanSchedule reads one row of scheduleCols.
func scanSchedule(row pgx.Row) (core.Schedule, error) {
	var sc core.Schedule
	var days []int16
	var v [14]int32
	if err := row.Scan(&sc.ID, &sc.Name, &days, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &sc.OutOfRange, &sc.CalendarID,
		&sc.PunchMode, &v[9], &sc.Overtime.Mode, &v[10], &v[11], &v[12], &v[13]); err != nil {
		return sc, err
	}
	sc.StartMin, sc.EndMin, sc.CheckInOpensMin, sc.CheckOutClosesMin, sc.FlexibleMin = int(v[0]), int(v[1]), int(v[2]), int(v[3]), int(v[4])
	sc.LateGraceMin, sc.SeriousLateMin, sc.AbsentLateMin, sc.EarlyLeaveGraceMin = int(v[5]), int(v[6]), int(v[7]), int(v[8])
	sc.ConfirmWithinMin = int(v[9])
	sc.Overtime.StartsAfterMin, sc.Overtime.MinMin, sc.Overtime.UnitMin, sc.Overtime.BeforeStartMin = int(v[10]), int(v[11]), int(v[12]), int(v[13])
	for _, d := range days {
		sc.WorkDays = append(sc.WorkDays, time.Weekday(d))
	}
	return sc, nil
}
