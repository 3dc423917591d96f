package core

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Org is a whole organisation as declared in the org file: applied in one
// transaction, it creates or updates everything it names.
type Org struct {
	Name      string
	Lang      string // organisation language for reports: "zh" or "en"
	TimeZone  string // default for employees that name none
	Sites     []OrgSite
	Schedules []Schedule
	Calendars []Calendar
	Employees []Employee
	Makeup    MakeupPolicy
	Reminders []Reminder
	// LeaveTypes are the kinds of leave people may request, in order.
	LeaveTypes []LeaveType
	// Devices is the device-binding policy (device.go).
	Devices DevicePolicy
	// Version is the organisation's version as a store's Org read it;
	// every ApplyOrg moves the stored one on. Applying an organisation
	// that was read, changed and written back (a file over the stored
	// settings, a console edit) must not undo an apply that landed in
	// between, so ApplyOrg given a non-zero Version applies only while
	// the stored version is still that one, in its transaction, and
	// otherwise refuses with ErrOrgChanged and changes nothing. Zero
	// applies unconditionally (a new organisation, the demo, tests).
	Version int64
}

// ErrOrgChanged is the cause of the ECONFLICT an ApplyOrg returns when the
// organisation changed after the Version it was given: the caller reads it
// again and redoes its change (errors.Is tells it from an account conflict).
var ErrOrgChanged = errors.New("the organisation changed since it was read")

// OrgChanged is the error a store returns when the organisation moved from
// read to stored.
func OrgChanged(read, stored int64) error {
	return WrapError(ECONFLICT, ErrOrgChanged, "someone else changed the organisation meanwhile (version %d, read at %d); nothing was changed", stored, read)
}

// OrgSite is a site as written in the org file. Datum says which datum its
// coordinates were written in; Prepare converts a GCJ-02 site's into
// Site's Lat and Lng (WGS-84, what distances are measured in) and keeps
// what was written in Written, and the stores keep both, so an export
// writes back what the admin wrote rather than coordinates that look
// edited and drift when re-applied.
type OrgSite struct {
	Site
	Datum Datum
	// Written is a GCJ-02 site's coordinates as written, once prepared;
	// nil for a WGS-84 site, and for a GCJ-02 site not yet prepared,
	// whose Lat and Lng are then the written ones.
	Written *LatLng
}

// LatLng is a pair of coordinates in a datum said elsewhere.
type LatLng struct{ Lat, Lng float64 }

// WrittenLatLng returns the site's coordinates as written, in its Datum.
func (s OrgSite) WrittenLatLng() (lat, lng float64) {
	if s.Datum == GCJ02 && s.Written != nil {
		return s.Written.Lat, s.Written.Lng
	}
	return s.Lat, s.Lng
}

// Reminder is a scheduled message declared in the org file. The scheduler
// interprets it; the store keeps it as declared.
type Reminder struct {
	ID            string
	Kind          string // punch_in, punch_out, missed_punch, still_clocked_in, makeup_deadline, approval_digest, broadcast
	Cron          string // for broadcasts, digests and make-up deadlines; "CRON_TZ=" prefixes allowed
	MinutesBefore int    // punch_in: how long before shift start
	OlderThanHrs  int    // approval_digest: requests waiting longer than this
	// HoursAfter is, for still_clocked_in, how long after the clock-in a
	// person still clocked in is reminded; 0 is DefaultStillClockedInHours
	// (Jibble's "Jibbled In Reminder" default).
	HoursAfter int
	// Text is a broadcast's message, or a note HR adds under any other
	// reminder's own words; it is the Chinese text, or the one text for
	// everybody when TextEn is empty. TextEn is the English text: people
	// whose language is en get it instead (reminder_text.go).
	Text     string
	TextEn   string
	Markdown bool
	Audience Audience
	Until    string // last date (inclusive), "" for no end
	Enabled  bool
}

// Reminder kinds.
const (
	ReminderPunchIn        = "punch_in"
	ReminderPunchOut       = "punch_out"
	ReminderMissedPunch    = "missed_punch"
	ReminderApprovalDigest = "approval_digest"
	ReminderBroadcast      = "broadcast"
	// ReminderStillClockedIn reminds a person who clocked in HoursAfter
	// hours ago and has not clocked out (reminder_still.go).
	ReminderStillClockedIn = "still_clocked_in"
	// ReminderMakeupDeadline tells each person, at its cron time, the gaps
	// they may still file a 补卡 for before the deadline and the monthly
	// quota close (WeCom buka_remind; reminder_deadline.go).
	ReminderMakeupDeadline = "makeup_deadline"
)

// MaxStillClockedInHours bounds hours_after: a shift's clock-out window
// closes at most a day after it starts, so a longer wait never fires.
const MaxStillClockedInHours = 24

// Audience selects who receives a broadcast.
type Audience struct {
	Everyone    bool
	Departments []string
	Employees   []string
	Chats       []ChatTarget
}

// ChatTarget is a named group chat or channel on one platform.
type ChatTarget struct {
	Platform Platform
	ChatID   string
}

// ApplyResult counts what an org apply changed.
type ApplyResult struct {
	Sites, Schedules, Calendars, Employees, Identities, Reminders int
}

// FieldError names the offending field of an org document by path, such as
// "employees[2].manager"; the file parser maps the path back to a line.
type FieldError struct {
	Path    string
	Message string
}

func (e FieldError) Error() string { return e.Path + ": " + e.Message }

// ValidationError carries every problem found in a document at once, so the
// author can fix them all in one pass.
type ValidationError struct{ Fields []FieldError }

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Error()
	}
	return "invalid organisation: " + strings.Join(parts, "; ")
}

// Schedule defaults applied when the org file leaves a field out, chosen to
// match what DingTalk and WeCom use out of the box.
const (
	DefaultCheckInOpensMin   = 120
	DefaultCheckOutClosesMin = 360
	DefaultRadiusM           = 300
)

// Prepare fills defaults, converts GCJ-02 sites to WGS-84 (keeping what was
// written) and validates the document. It returns a *ValidationError
// listing every problem. Preparing a prepared organisation changes nothing.
func (o *Org) Prepare() error {
	var errs []FieldError
	add := func(path, format string, args ...any) {
		errs = append(errs, FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	if o.Lang == "" {
		o.Lang = "zh"
	}
	if o.Lang != "zh" && o.Lang != "en" {
		add("lang", "must be zh or en, not %q", o.Lang)
	}
	if o.TimeZone == "" {
		o.TimeZone = "Asia/Shanghai"
	}
	if _, err := time.LoadLocation(o.TimeZone); err != nil {
		add("timezone", "unknown time zone %q", o.TimeZone)
	}

	sites := map[string]bool{}
	for i := range o.Sites {
		s := &o.Sites[i]
		p := fmt.Sprintf("sites[%d]", i)
		if s.ID == "" {
			add(p+".id", "is required")
		} else if sites[s.ID] {
			add(p+".id", "duplicate site id %q", s.ID)
		}
		sites[s.ID] = true
		if s.Name == "" {
			s.Name = s.ID
		}
		// Checked as written; converting from a prepared site's written
		// coordinates again gives the same result, so Prepare may run on
		// an organisation read back from a store.
		lat, lng := s.WrittenLatLng()
		if !ValidCoordinates(lat, lng) {
			if ValidCoordinates(lng, lat) {
				// 116.48,39.99 is Beijing written lng first, as AMap and
				// GeoJSON write it.
				add(p+".lat", "coordinates %v,%v are not a place on Earth: a latitude is within ±90; lat and lng may be swapped (lat: %v, lng: %v)", lat, lng, lng, lat)
			} else {
				add(p+".lat", "coordinates %v,%v are not a place on Earth", lat, lng)
			}
		}
		switch s.Datum {
		case "", WGS84:
			s.Datum, s.Written = WGS84, nil
		case GCJ02:
			s.Written = &LatLng{Lat: lat, Lng: lng}
			s.Lat, s.Lng = GCJ02ToWGS84(lat, lng)
		default:
			add(p+".datum", "must be wgs84 or gcj02, not %q", s.Datum)
		}
		if s.RadiusM == 0 {
			s.RadiusM = DefaultRadiusM
		}
		if s.RadiusM < 10 || s.RadiusM > 5000 {
			add(p+".radius_m", "must be between 10 and 5000 metres, not %v", s.RadiusM)
		}
		for j, r := range s.IPRanges {
			if _, err := netip.ParsePrefix(r); err != nil {
				add(fmt.Sprintf("%s.ip_ranges[%d]", p, j), "%q is not a CIDR range", r)
			}
		}
	}

	calendars := map[string]bool{}
	for i, c := range o.Calendars {
		p := fmt.Sprintf("calendars[%d]", i)
		if c.ID == "" {
			add(p+".id", "is required")
		} else if calendars[c.ID] {
			add(p+".id", "duplicate calendar id %q", c.ID)
		}
		calendars[c.ID] = true
		seen := map[string]bool{}
		for j, d := range c.Days {
			if _, err := time.Parse(DateLayout, d.Date); err != nil {
				add(fmt.Sprintf("%s.days[%d]", p, j), "date %q is not YYYY-MM-DD", d.Date)
			} else if seen[d.Date] {
				add(fmt.Sprintf("%s.days[%d]", p, j), "date %s is listed twice", d.Date)
			} else if d.Workday && d.Statutory {
				add(fmt.Sprintf("%s.days[%d]", p, j), "%s is a 调休 working day, so it cannot be a statutory holiday", d.Date)
			}
			seen[d.Date] = true
		}
	}

	schedules := map[string]bool{}
	for i := range o.Schedules {
		s := &o.Schedules[i]
		p := fmt.Sprintf("schedules[%d]", i)
		if s.ID == "" {
			add(p+".id", "is required")
		} else if schedules[s.ID] {
			add(p+".id", "duplicate schedule id %q", s.ID)
		}
		schedules[s.ID] = true
		if s.StartMin < 0 || s.StartMin >= 24*60 {
			add(p+".start", "must be between 00:00 and 23:59")
		}
		if s.EndMin <= s.StartMin || s.EndMin-s.StartMin > 24*60 {
			add(p+".end", "must be after start and at most 24 hours later (use 26:00 for 02:00 next day)")
		}
		if s.OutOfRange == "" {
			s.OutOfRange = OutOfRangeReject
		}
		if !slices.Contains([]OutOfRangePolicy{OutOfRangeReject, OutOfRangeField, OutOfRangeFlag}, s.OutOfRange) {
			add(p+".out_of_range", "must be reject, field or flag, not %q", s.OutOfRange)
		}
		if s.SeriousLateMin > 0 && s.SeriousLateMin < s.LateGraceMin {
			add(p+".serious_late_min", "must be at least late_grace_min")
		}
		if s.AbsentLateMin > 0 && s.SeriousLateMin > 0 && s.AbsentLateMin <= s.SeriousLateMin {
			add(p+".absent_late_min", "must be greater than serious_late_min")
		}
		for _, v := range []struct {
			name string
			val  int
		}{{"check_in_opens_min", s.CheckInOpensMin}, {"check_out_closes_min", s.CheckOutClosesMin}, {"flexible_min", s.FlexibleMin}, {"late_grace_min", s.LateGraceMin}, {"serious_late_min", s.SeriousLateMin}, {"absent_late_min", s.AbsentLateMin}, {"early_leave_grace_min", s.EarlyLeaveGraceMin}} {
			if v.val < 0 || v.val > 24*60 {
				add(p+"."+v.name, "must be between 0 and 1440 minutes")
			}
		}
		if s.CalendarID != "" && !calendars[s.CalendarID] {
			add(p+".calendar", "unknown calendar %q", s.CalendarID)
		}
		s.Overtime.validate(p+".overtime", add) // overtime.go
		if m := s.Overtime.Mode; (m == OvertimePunch || m == OvertimeBoth) && s.Overtime.BeforeStartMin > 0 && s.Overtime.BeforeStartMin >= s.CheckInOpensMin {
			// Clock-ins before the window opens are refused, so such a
			// setting could never count a minute of punched overtime.
			add(p+".overtime.before_start_min", "must be less than check_in_opens_min (%d): earlier clock-ins are refused", s.CheckInOpensMin)
		}
	}

	employees := map[string]bool{}
	for _, e := range o.Employees {
		employees[e.ID] = true
	}
	seenEmp := map[string]bool{}
	identities := map[string]string{}
	for i := range o.Employees {
		e := &o.Employees[i]
		p := fmt.Sprintf("employees[%d]", i)
		if e.ID == "" {
			add(p+".id", "is required")
		} else if seenEmp[e.ID] {
			add(p+".id", "duplicate employee id %q", e.ID)
		} else if strings.ContainsFunc(e.ID, unicode.IsControl) {
			// Stores may use control characters to separate ids.
			add(p+".id", "employee id %q contains a control character", e.ID)
		}
		seenEmp[e.ID] = true
		if e.Name == "" {
			add(p+".name", "is required")
		}
		if e.Lang == "" {
			e.Lang = o.Lang
		}
		if e.Lang != "zh" && e.Lang != "en" {
			add(p+".lang", "must be zh or en, not %q", e.Lang)
		}
		if e.TimeZone == "" {
			e.TimeZone = o.TimeZone
		}
		if _, err := time.LoadLocation(e.TimeZone); err != nil {
			add(p+".timezone", "unknown time zone %q", e.TimeZone)
		}
		if e.Role == "" {
			e.Role = RoleEmployee
		}
		if !slices.Contains([]Role{RoleEmployee, RoleManager, RoleHR}, e.Role) {
			add(p+".role", "must be employee, manager or hr, not %q", e.Role)
		}
		if e.ManagerID != "" && !employees[e.ManagerID] {
			add(p+".manager", "unknown employee %q", e.ManagerID)
		}
		if e.ManagerID == e.ID && e.ID != "" {
			add(p+".manager", "an employee cannot manage themselves")
		}
		e.employmentProblems(p, add)
		if e.ScheduleID != "" && !schedules[e.ScheduleID] {
			add(p+".schedule", "unknown schedule %q", e.ScheduleID)
		}
		for j, s := range e.SiteIDs {
			if !sites[s] {
				add(fmt.Sprintf("%s.sites[%d]", p, j), "unknown site %q", s)
			}
		}
		for j := range e.Identities {
			id := &e.Identities[j]
			ip := fmt.Sprintf("%s.identities[%d]", p, j)
			id.EmployeeID = e.ID
			if !slices.Contains([]Platform{PlatformWeCom, PlatformFeishu, PlatformSlack, PlatformWeb}, id.Platform) {
				add(ip+".platform", "must be wecom, feishu, slack or web, not %q", id.Platform)
			}
			if id.UserID == "" {
				add(ip+".user", "is required")
			}
			key := string(id.Platform) + "/" + id.Tenant + "/" + id.UserID
			if other, dup := identities[key]; dup {
				add(ip+".user", "%s account %q is already bound to %s", id.Platform, id.UserID, other)
			}
			identities[key] = e.ID
		}
	}
	if err := managerCycle(o.Employees); err != "" {
		add("employees", "manager chain has a cycle: %s", err)
	}

	if o.Makeup.MonthlyQuota < 0 || o.Makeup.DeadlineDays < 0 || o.Makeup.ExpireAfterHours < 0 {
		add("makeup", "quota, deadline and expiry must not be negative")
	}

	kinds := []string{ReminderPunchIn, ReminderPunchOut, ReminderMissedPunch, ReminderStillClockedIn, ReminderMakeupDeadline, ReminderApprovalDigest, ReminderBroadcast}
	reminders := map[string]bool{}
	for i := range o.Reminders {
		r := &o.Reminders[i]
		p := fmt.Sprintf("reminders[%d]", i)
		if r.ID == "" {
			add(p+".id", "is required")
		} else if reminders[r.ID] {
			add(p+".id", "duplicate reminder id %q", r.ID)
		}
		reminders[r.ID] = true
		if !slices.Contains(kinds, r.Kind) {
			add(p+".kind", "must be one of %s, not %q", strings.Join(kinds, ", "), r.Kind)
		}
		if (r.Kind == ReminderBroadcast || r.Kind == ReminderApprovalDigest || r.Kind == ReminderMakeupDeadline) && r.Cron == "" {
			add(p+".cron", "is required for %s reminders", r.Kind)
		}
		if r.Kind == ReminderBroadcast && r.Text == "" {
			add(p+".text", "is required for broadcasts")
		}
		if r.TextEn != "" && r.Text == "" {
			add(p+".text_en", "needs text as well: text is the Chinese text (or the one text for everybody), text_en the English one")
		}
		if r.HoursAfter < 0 || r.HoursAfter > MaxStillClockedInHours {
			add(p+".hours_after", "must be from 1 to %d hours after the clock-in (0 or absent: %d), not %d", MaxStillClockedInHours, DefaultStillClockedInHours, r.HoursAfter)
		} else if r.HoursAfter != 0 && r.Kind != ReminderStillClockedIn {
			add(p+".hours_after", "is only for %s reminders", ReminderStillClockedIn)
		}
		if r.Until != "" {
			if _, err := time.Parse(DateLayout, r.Until); err != nil {
				add(p+".until", "date %q is not YYYY-MM-DD", r.Until)
			}
		}
		for j, e := range r.Audience.Employees {
			if !employees[e] {
				add(fmt.Sprintf("%s.audience.employees[%d]", p, j), "unknown employee %q", e)
			}
		}
	}
	if len(errs) > 0 {
		return &ValidationError{Fields: errs}
	}
	return nil
}

// DayNotEmployed is a day outside the employee's employment (before
// Joined or after Left): nothing is due on it, so it is neither absent
// nor a scheduled working day, and it carries no other verdict.
const DayNotEmployed DayStatus = "not_employed"

// ReasonNotEmployed refuses a punch whose shift date is outside the
// employee's employment: before the first working day or after the last
// (Feishu and DingTalk do not count those days either).
const ReasonNotEmployed = "not_employed"

// EmployedOn reports whether date (YYYY-MM-DD, a shift date in the
// employee's zone) lies within [Joined, Left]. The dates share one layout,
// so comparing the text compares the days.
func (e Employee) EmployedOn(date string) bool {
	return (e.Joined == "" || date >= e.Joined) && (e.Left == "" || date <= e.Left)
}

// employmentProblems checks Joined and Left: each a real date, and the
// last working day not before the first (Feishu and DingTalk refuse the
// same). path is the employee's, "employees[2]".
func (e *Employee) employmentProblems(path string, add func(path, format string, args ...any)) {
	e.Joined, e.Left = strings.TrimSpace(e.Joined), strings.TrimSpace(e.Left)
	ok := true
	for _, v := range []struct{ key, val string }{{"joined", e.Joined}, {"left", e.Left}} {
		if v.val == "" {
			continue
		}
		if t, err := time.Parse(DateLayout, v.val); err != nil || t.Format(DateLayout) != v.val {
			add(path+"."+v.key, "date %q is not YYYY-MM-DD", v.val)
			ok = false
		}
	}
	if ok && e.Joined != "" && e.Left != "" && e.Left < e.Joined {
		add(path+".left", "left %s is before joined %s: left is the last working day, on or after the first", e.Left, e.Joined)
	}
}

// managerCycle returns a description of the first manager cycle, or "".
// An employee who manages themselves is not a cycle here: Prepare already
// says so, and one problem is enough.
// Chains already proven acyclic are remembered, so a long chain costs
// linear time rather than quadratic.
func managerCycle(emps []Employee) string {
	manager := map[string]string{}
	for _, e := range emps {
		if e.ManagerID != e.ID { // managing oneself is reported on its own
			manager[e.ID] = e.ManagerID
		}
	}
	acyclic := map[string]bool{}
	for _, e := range emps {
		onPath := map[string]bool{}
		var chain []string
		id := e.ID
		for id != "" && !acyclic[id] {
			if onPath[id] {
				return strings.Join(append(chain, id), " → ")
			}
			onPath[id] = true
			chain = append(chain, id)
			id = manager[id]
		}
		for _, c := range chain {
			acyclic[c] = true
		}
	}
	return ""
}

// ParseClock parses "09:00" or an overnight "26:00" into minutes after midnight.
func ParseClock(s string) (int, error) {
	var h, m int
	if n, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || n != 2 || h < 0 || h > 48 || m < 0 || m > 59 {
		return 0, Errorf(EINVALID, "%q is not a time like 09:00 (or 26:00 for 02:00 the next day)", s)
	}
	return h*60 + m, nil
}

// FormatClock formats minutes after midnight as "HH:MM", keeping hours above 23.
func FormatClock(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }
