package core

import "time"

// RequestType is what an approval request asks for. Make-up, field-punch
// and leave requests are one engine: the same routing (manager, then HR),
// cards, authorization, inline updates, expiry, digests and audit. The
// request type is MakeupRequest for historical reasons; Type says which.
type RequestType string

// Request types. The empty type reads as RequestMakeup (requests stored
// before types existed).
const (
	RequestMakeup RequestType = "makeup" // 补卡: record a missing or wrong punch
	RequestField  RequestType = "field"  // 外勤: count a punch made outside every site
	RequestLeave  RequestType = "leave"  // 请假: the covered time is not required
	RequestTrip   RequestType = "trip"   // 出差: the covered time counts as worked in the field
	RequestOuting RequestType = "outing" // 外出: as a trip, usually within a day
)

// TypeOf returns the request's type, RequestMakeup when unset.
func (m MakeupRequest) TypeOf() RequestType {
	if m.Type == "" {
		return RequestMakeup
	}
	return m.Type
}

// Commands of the punch confirmation and of leave requests.
const (
	// CmdConfirm records the clock-out waiting for confirmation (the
	// 确认 button or reply).
	CmdConfirm CommandKind = "confirm"
	// CmdDecline drops the clock-out waiting for confirmation.
	CmdDecline CommandKind = "decline"
	// CmdLeave files a leave, trip or outing request (Command.Leave).
	CmdLeave CommandKind = "leave"
)

// Outcomes of punch confirmation, repeated punches and field approval.
const (
	// OutcomeConfirm: nothing recorded yet; the clock-out would be an early
	// leave beyond grace, or come right after the clock-in, and waits for
	// CmdConfirm (see ConfirmTTL).
	OutcomeConfirm Outcome = "confirm"
	// OutcomeDeclined: the clock-out waiting for confirmation was dropped.
	OutcomeDeclined Outcome = "declined"
	// OutcomeNothingPending: a confirm or decline with nothing waiting.
	OutcomeNothingPending Outcome = "nothing_pending"
	// OutcomeRepeat: the punch repeats the current state (a second
	// clock-in, a re-shared location); it is kept as a non-counting
	// attempt and the reply carries the day so far.
	OutcomeRepeat Outcome = "repeat"
	// OutcomeFieldPending: a field punch (外勤) recorded and waiting for
	// approval; it does not count until a manager approves it.
	OutcomeFieldPending Outcome = "field_pending"
)

// ConfirmTTL is how long a clock-out waits for confirmation.
const ConfirmTTL = 5 * time.Minute

// PunchMode says which punches of a shift count.
type PunchMode string

// Punch modes. Standard is DingTalk's default: the first clock-in and the
// last clock-out of the shift count, later clock-outs replace earlier ones.
// Strict alternates: a clock-out needs an open clock-in, a clock-in after a
// clock-out is refused.
const (
	PunchStandard PunchMode = "standard"
	PunchStrict   PunchMode = "strict"
)

// LeaveArgs are the arguments of CmdLeave, as the bots read them from
// "请假 2026-12-03 全天 年假 <原因>", "请假 12-03 09:00-12:00 病假",
// "出差 12-04..12-06 上海 <原因>" or "leave 2026-12-03 annual …".
type LeaveArgs struct {
	Type      RequestType // RequestLeave, RequestTrip or RequestOuting
	LeaveType string      // for leave: a LeaveType.ID; "" the organisation's first
	From      string      // "2006-01-02", or "01-02" for the nearest such date
	To        string      // the last date, inclusive; "" means From
	// StartClock and EndClock ("15:04") cover part of a day; empty covers
	// the whole shift of every date.
	StartClock, EndClock string
	Place                string // trip or outing destination
	Reason               string
	// Problem is a part the bot could not read (ProblemDate, ProblemTime,
	// ProblemLeaveType); the core answers naming it and changes nothing.
	Problem string
}

// LeaveType is one kind of leave the organisation grants, after DingTalk's
// and Feishu's leave types.
type LeaveType struct {
	ID   string // "annual", "sick", …
	Name string // shown to people, for example "年假"
	// AnnualQuotaDays is the days per calendar year; 0 means no balance is
	// kept.
	AnnualQuotaDays float64
	Paid            bool
	// FromOvertime makes the type time off in lieu of overtime (调休假,
	// comptime.go): its balance is the overtime of these kinds, not a
	// yearly quota. ExpireDays lapses earned time after so many days; 0
	// keeps it (CompLookbackDays bounds what is read back).
	FromOvertime []OvertimeKind `json:",omitempty"`
	ExpireDays   int            `json:",omitempty"`
}

// ProblemLeaveType names an unknown leave type in a request.
const ProblemLeaveType = "leave_type"

// Day verdicts of approvals.
const (
	DayLeave           DayStatus = "leave"            // approved leave covers (part of) the day
	DayTrip            DayStatus = "trip"             // on an approved business trip
	DayOuting          DayStatus = "outing"           // on an approved outing
	DayPendingApproval DayStatus = "pending_approval" // a field punch or request waits for a decision
)
