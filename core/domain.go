package core

import (
	"encoding/json"
	"time"
)

// Platform names a channel a command can arrive through.
type Platform string

// The channels punchbot speaks.
const (
	PlatformWeCom  Platform = "wecom"
	PlatformFeishu Platform = "feishu"
	PlatformSlack  Platform = "slack"
	PlatformWeb    Platform = "web"
)

// Punch sources besides the chat platforms.
const (
	SourceMakeup = "makeup"
	SourceAdmin  = "admin"
)

// Role decides what a person may see and approve.
type Role string

// Roles, from least to most privileged.
const (
	RoleEmployee Role = "employee"
	RoleManager  Role = "manager"
	RoleHR       Role = "hr"
)

// Employee is a person whose attendance punchbot keeps. ID is the stable key
// from the organisation file (for example a staff number).
type Employee struct {
	ID         string
	Name       string
	Lang       string // "zh" or "en"; replies are rendered in it
	TimeZone   string // IANA name; rules run in this zone
	ManagerID  string
	Department string
	Role       Role
	Active     bool
	ScheduleID string
	SiteIDs    []string
	Identities []Identity
	// Joined and Left bound the employment (入职, 离职; DingTalk's and
	// frappe HRMS's date_of_joining and relieving_date): dates YYYY-MM-DD
	// in the employee's zone, both inclusive, Left being the last working
	// day. "" leaves that side open. Days outside are not employed: not
	// absent, not reminded, and a punch on them is refused (EmployedOn).
	Joined string
	Left   string
}

// Location returns the employee's time zone, falling back to UTC when the
// name is empty (validation rejects unknown names before they are stored).
func (e Employee) Location() *time.Location {
	if e.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(e.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Identity binds an account on a platform to an employee. Tenant is the
// WeCom corp id, Feishu tenant key or Slack team id; empty matches any tenant.
type Identity struct {
	Platform   Platform
	Tenant     string
	UserID     string
	EmployeeID string
}

// Datum names the geodetic datum coordinates are expressed in.
type Datum string

// Datums punchbot understands. Mainland-China maps (Tencent, AMap) and the
// WeCom and Feishu location messages use GCJ-02; GPS and browsers use WGS-84.
const (
	WGS84 Datum = "wgs84"
	GCJ02 Datum = "gcj02"
)

// Site is a place where punches count as on site. Lat and Lng are always
// WGS-84; a site declared in GCJ-02 is converted once when the org is applied.
type Site struct {
	ID       string
	Name     string
	Lat      float64
	Lng      float64
	RadiusM  float64
	IPRanges []string // CIDRs; a punch from one of them counts as on site
}

// OutOfRangePolicy says what happens to a punch outside every site.
type OutOfRangePolicy string

// Out-of-range policies, after WeCom's option_out_range.
const (
	OutOfRangeReject OutOfRangePolicy = "reject" // refuse the punch
	OutOfRangeField  OutOfRangePolicy = "field"  // accept as a field punch (外勤) needing approval
	OutOfRangeFlag   OutOfRangePolicy = "flag"   // accept and flag it
)

// Schedule is a fixed shift pattern. Times are minutes after local midnight of
// the shift day; EndMin above 1440 is an overnight shift ("26:00").
type Schedule struct {
	ID                 string
	Name               string
	WorkDays           []time.Weekday
	StartMin           int
	EndMin             int
	CheckInOpensMin    int // check-in opens this many minutes before start
	CheckOutClosesMin  int // check-out closes this many minutes after end
	FlexibleMin        int // 弹性: start may slide this late, end slides with it
	LateGraceMin       int // lateness up to this is still normal
	SeriousLateMin     int // lateness above this is serious (0: never)
	AbsentLateMin      int // lateness above this counts as absent (0: never)
	EarlyLeaveGraceMin int // leaving up to this early is still normal
	OutOfRange         OutOfRangePolicy
	CalendarID         string
	// PunchMode says which punches count; "" is PunchStandard.
	PunchMode PunchMode
	// ConfirmWithinMin asks to confirm a clock-out this soon after the
	// clock-in (and any early leave beyond grace); 0 turns confirmation
	// off. The org file defaults it to 10.
	ConfirmWithinMin int
	// Overtime is the schedule's overtime (加班) rule (overtime.go); the
	// zero rule is off.
	Overtime OvertimeRule
}

// Calendar lists public holidays and 调休 (swapped) working days by local date.
type Calendar struct {
	ID   string
	Name string
	Days []CalendarDay
}

// CalendarDay is one exception to the weekly pattern.
type CalendarDay struct {
	Date    string // "2006-01-02"
	Workday bool   // true: a 调休 working day; false: a holiday
	// Statutory marks a holiday as a statutory holiday (法定节假日, the
	// days 《全国年节及纪念日放假办法》 第二条 lists, such as 国庆 10-01..10-03),
	// whose overtime 劳动法 第四十四条 pays at 300%; the other days off of
	// a holiday block are weekends moved by 调休 (OvertimeKind). Only a
	// holiday can be statutory.
	Statutory bool
	Name      string
}

// Location is a position reported by a platform or a browser.
type Location struct {
	Lat       float64
	Lng       float64
	AccuracyM float64 // 0 when the platform does not say
	Datum     Datum
	Label     string
}

// PunchKind is the direction of a punch.
type PunchKind string

// Punch directions. KindAuto is only in commands: the core decides.
const (
	KindIn   PunchKind = "in"
	KindOut  PunchKind = "out"
	KindAuto PunchKind = ""
)

// Outcome is what happened to a command.
type Outcome string

// Outcomes a reply can carry.
const (
	OutcomeAccepted     Outcome = "accepted"      // punch recorded, on site
	OutcomeField        Outcome = "field"         // punch recorded as a field punch (外勤)
	OutcomeRejected     Outcome = "rejected"      // attempt recorded, punch refused
	OutcomeNeedLocation Outcome = "need_location" // intent remembered, waiting for a location
	OutcomeStatus       Outcome = "status"        // the day so far
	OutcomeHelp         Outcome = "help"
	OutcomeUnknownUser  Outcome = "unknown_user" // nothing stored
	OutcomeInactive     Outcome = "inactive"     // nothing stored
	OutcomeRateLimited  Outcome = "rate_limited" // nothing stored
	OutcomeNoted        Outcome = "noted"        // a reported position was remembered
)

// Reason codes explain a rejection or qualify an accepted punch.
const (
	ReasonOutOfRange      = "out_of_range"
	ReasonNoLocation      = "no_location"
	ReasonLowAccuracy     = "low_accuracy"
	ReasonBadCoordinates  = "bad_coordinates"
	ReasonWindowNotOpen   = "window_not_open"
	ReasonWindowClosed    = "window_closed"
	ReasonFutureTime      = "future_time"
	ReasonTooOld          = "too_old"
	ReasonAlreadyIn       = "already_in"
	ReasonNotIn           = "not_in"
	ReasonRestDay         = "rest_day"
	ReasonHoliday         = "holiday"
	ReasonBlockedBySignal = "blocked_by_signal"
	ReasonNoSchedule      = "no_schedule"
)

// Flags are anti-cheating and quality signals recorded on a punch.
const (
	FlagImpossibleTravel = "impossible_travel"
	FlagIdenticalCoords  = "identical_coordinates"
	FlagStaleLocation    = "stale_location"
	FlagOfflineDelay     = "offline_delay"
	FlagOutOfRange       = "out_of_range"
	FlagLowAccuracy      = "low_accuracy"
	FlagByIP             = "on_site_by_ip"
)

// TimeResult classifies a punch against its shift.
type TimeResult string

// Time results, after DingTalk's timeResult.
const (
	TimeNormal      TimeResult = "normal"
	TimeLate        TimeResult = "late"
	TimeSeriousLate TimeResult = "serious_late"
	TimeAbsentLate  TimeResult = "absent_late"
	TimeEarly       TimeResult = "early_leave"
	TimeRestDay     TimeResult = "rest_day"
)

// Punch is one recorded attempt, accepted or not. Rejected attempts are kept
// (with their reasons) so HR can see them and retries get the same answer.
type Punch struct {
	ID         int64
	EmployeeID string
	Kind       PunchKind
	At         time.Time // the punch time (platform message time when trusted)
	ReceivedAt time.Time
	ShiftDate  string // local date the shift started, "2006-01-02"
	Source     string // platform name, "makeup" or "admin"
	EventID    string

	HasLocation bool
	Lat, Lng    float64 // WGS-84
	AccuracyM   float64
	Label       string
	SiteID      string
	DistanceM   float64 // to SiteID, or to the nearest site when out of range
	ClientIP    string

	Outcome    Outcome
	TimeResult TimeResult
	LateMin    int
	EarlyMin   int
	Reasons    []string
	Flags      []string
	MakeupID   int64
}

// Valid reports whether the punch counts towards attendance.
func (p Punch) Valid() bool { return p.Outcome == OutcomeAccepted || p.Outcome == OutcomeField }

// AuditEntry records who did what, for HR and for the privacy log.
type AuditEntry struct {
	ID      int64
	At      time.Time
	Actor   string // employee id, "system" or "admin"
	Action  string // for example "punch.accepted", "org.applied"
	Subject string // employee id or object key
	Detail  string // JSON
}

// OutboxMessage is a message waiting to be delivered to a platform. It is
// written in the same transaction as the change it reports, so a reply is
// never lost and never sent for a change that did not commit.
type OutboxMessage struct {
	ID          int64
	Platform    Platform
	Route       string // platform-specific address (JSON), written by the bot
	Kind        string // "reply", "reminder", "card", ...
	Payload     json.RawMessage
	DedupeKey   string // unique when set: the same message is never queued twice
	Attempts    int
	NextAttempt time.Time
	Status      string // pending, sent, failed
	LastError   string
	CreatedAt   time.Time
	SentAt      time.Time
	// FiringID links a reminder delivery to its firing (0 for replies and
	// cards), so counts per firing can be queried and replies can be sent
	// ahead of a large broadcast.
	FiringID int64
}

// Outbox statuses.
const (
	OutboxPending = "pending"
	OutboxSent    = "sent"
	OutboxFailed  = "failed"
)

// EventRecord remembers the reply given to one platform event so that a retry
// of the same event gets the same reply and changes nothing.
type EventRecord struct {
	Source     string
	EventID    string
	EmployeeID string
	Reply      Reply
	// ReplyJSON is Reply already encoded, when the writer has it (the same
	// bytes go to the outbox); stores read it through EncodedReply.
	ReplyJSON []byte
	CreatedAt time.Time
}

// EncodedReply returns the reply as JSON, encoding it unless ReplyJSON
// already holds it.
func (e EventRecord) EncodedReply() ([]byte, error) {
	if e.ReplyJSON != nil {
		return e.ReplyJSON, nil
	}
	b, err := json.Marshal(e.Reply)
	if err != nil {
		return nil, WrapError(EINTERNAL, err, "encode reply")
	}
	return b, nil
}

// PunchFilter selects punches for listing.
type PunchFilter struct {
	EmployeeID string
	From, To   time.Time // At in [From, To); zero means unbounded
	Limit      int
}

// Outbox kinds. A "reply" carries the bot's own route (written by the bot
// that received the command); every other kind is started by the core and
// carries a Recipient route that each bot turns into its own send call.
const (
	OutboxReply = "reply"
)

// Recipient addresses a person (or a named chat) on one platform when the
// core starts the conversation: approval cards, reminders, broadcasts.
type Recipient struct {
	Platform   Platform `json:"platform"`
	Tenant     string   `json:"tenant,omitempty"`
	UserID     string   `json:"user_id,omitempty"`
	ChatID     string   `json:"chat_id,omitempty"` // a group chat or channel instead of a person
	EmployeeID string   `json:"employee_id,omitempty"`
	Lang       string   `json:"lang,omitempty"`
	// Requester marks a request's card update bound for the requester's
	// own "submitted" card (CardRef.Requester), which the bots render as
	// the requester's copy, not as the approval card.
	Requester bool `json:"requester,omitempty"`
}

// RecipientFor picks where to reach an employee: the first identity on a
// chat platform (the org file lists the preferred one first).
func RecipientFor(e Employee) (Recipient, bool) {
	for _, id := range e.Identities {
		if id.Platform != PlatformWeb {
			return Recipient{Platform: id.Platform, Tenant: id.Tenant, UserID: id.UserID, EmployeeID: e.ID, Lang: e.Lang}, true
		}
	}
	return Recipient{}, false
}
