package core

import "time"

// CommandKind is what the user asked for.
type CommandKind string

// Command kinds the bots produce from the shared grammar and platform events.
const (
	CmdPunch          CommandKind = "punch"           // punch in, out or by context
	CmdStatus         CommandKind = "status"          // 状态: the day so far
	CmdHistory        CommandKind = "history"         // 记录 / this week: the last HistoryDays days
	CmdHelp           CommandKind = "help"            // 帮助
	CmdReportLocation CommandKind = "report_location" // a position reported without a punch (WeCom LOCATION event)
)

// Command is one user action, translated by a bot from its platform's wire
// format. It carries no platform types, only what the rules need.
type Command struct {
	Actor      Identity // Platform, Tenant, UserID; EmployeeID is ignored
	Kind       CommandKind
	Punch      PunchKind // for CmdPunch: in, out, or KindAuto to decide by context
	At         time.Time // platform message time; zero means ReceivedAt
	ReceivedAt time.Time // when punchbot received it; zero means the service clock
	Location   *Location // nil when the message carried none
	Source     string    // defaults to the platform name
	EventID    string    // platform event or message id; retries carry the same one
	ClientIP   string    // the browser's address, for the web channel
	// ReplyRoute is the bot's own address for the answer (JSON). When set,
	// the reply is queued in the outbox in the same transaction as the punch.
	ReplyRoute string
	// ReplyInline means the bot answers in the callback's own HTTP
	// response (a WeCom passive reply, a Slack slash-command answer, a
	// Feishu card-callback toast): the event's reply is still recorded with
	// the punch, so a retry is answered the same, but nothing is queued in
	// the outbox and the answer costs no send call against the platform's
	// limits.
	ReplyInline bool
	// LocationByLink means the platform cannot share a location in chat
	// (Slack): a punch that needs one is answered OutcomeNeedLocation and
	// the bot links the location page, so no position reported earlier is
	// looked up and no intent is kept for a chat location to complete.
	LocationByLink bool
	// ReplyPlatform is whose outbox sender delivers the reply; it defaults
	// to Actor.Platform. The web page sets it to the chat platform whose
	// message carried the link, so that message is updated with the result.
	ReplyPlatform Platform
	// AltUserIDs are other ids of the same platform account (Feishu sends
	// open_id, user_id and union_id together), tried in order when
	// Actor.UserID is bound to nobody, so the org file may name any of them.
	AltUserIDs []string
	// Makeup carries the arguments of the make-up commands (CmdMakeup,
	// CmdMakeupCancel, CmdMakeupDecide, CmdMakeupEvidence).
	Makeup *MakeupArgs
	// Leave carries the arguments of CmdLeave.
	Leave *LeaveArgs
	// DeviceID is, for a browser punch, the passkey credential id whose
	// assertion the bot verified (see ApplyDeviceBinding); "" for none.
	DeviceID string
	// LinkPurpose is, for CmdLink, which link is asked for (LinkConsole or
	// LinkMyData).
	LinkPurpose string
}

// recordsReply reports whether the command's reply is recorded: under its
// event id, so that a retry is answered the same, or in the outbox, to be
// sent.
func (c Command) recordsReply() bool { return c.EventID != "" || c.ReplyRoute != "" }

func (c Command) source() string {
	if c.Source != "" {
		return c.Source
	}
	return string(c.Actor.Platform)
}

// Reply is the structured answer to a command. Bots render it in the user's
// language; it never contains pre-rendered text. It is stored twice per
// command (the event's record and the queued message), so its JSON leaves
// out zero fields.
type Reply struct {
	Outcome      Outcome       `json:",omitempty"`
	Kind         PunchKind     `json:",omitempty"`
	Reasons      []string      `json:",omitempty"`
	Flags        []string      `json:",omitempty"`
	Platform     Platform      `json:",omitempty"`
	EmployeeID   string        `json:",omitempty"`
	EmployeeName string        `json:",omitempty"`
	Lang         string        `json:",omitempty"`
	TimeZone     string        `json:",omitempty"`
	At           time.Time     `json:",omitzero"`
	ShiftDate    string        `json:",omitempty"`
	TimeResult   TimeResult    `json:",omitempty"`
	LateMin      int           `json:",omitempty"`
	EarlyMin     int           `json:",omitempty"`
	SiteID       string        `json:",omitempty"`
	SiteName     string        `json:",omitempty"`
	DistanceM    float64       `json:",omitempty"` // to SiteName (the matched site, or the nearest one)
	RadiusM      float64       `json:",omitempty"`
	AccuracyM    float64       `json:",omitempty"`
	WindowOpens  time.Time     `json:",omitzero"` // set with window_not_open / window_closed
	WindowCloses time.Time     `json:",omitzero"`
	PunchID      int64         `json:",omitempty"`
	RetryAfter   time.Duration `json:",omitempty"`
	Day          *DayResult    `json:",omitempty"` // for status
	Contact      string        `json:",omitempty"` // whom an unknown user should ask
	Replayed     bool          `json:",omitempty"` // this is the stored answer to an earlier delivery
	// Makeup describes the make-up request a make-up command acted on.
	Makeup *MakeupView `json:",omitempty"`
	// Batch is, for OutcomeMakeupPendingList and OutcomeMakeupBatch, the
	// approver's pending requests or what a batch decision did to each
	// (makeup_batch.go).
	Batch *MakeupBatch `json:",omitempty"`
	// Link is, for OutcomeLink, the signed one-time URL; LinkPurpose says
	// where it leads and LinkExpires when it stops working.
	Link        string    `json:",omitempty"`
	LinkPurpose string    `json:",omitempty"`
	LinkExpires time.Time `json:",omitzero"`
	// SlotKind and SlotAt name the slot a make-up (补卡) for this punch
	// would fill, with its scheduled time: a late clock-in's, the missing
	// clock-in of a clock-out without one, an early clock-out's. Zero when
	// nothing needs making up. The reply spells out the 补卡 command for it,
	// as DingTalk's and WeCom's result pages offer 补卡 on a late or missing
	// punch.
	SlotKind PunchKind `json:",omitempty"`
	SlotAt   time.Time `json:",omitzero"`
	// ActorID is, for OutcomeUnknownUser, the platform user id the message
	// came from: the reply shows it, so the person can hand HR the exact id
	// the org file must name.
	ActorID string `json:",omitempty"`
	// Command is, for OutcomeInactive, the kind of command refused, so the
	// reply can say what was not done (a punch, a decision, …).
	Command CommandKind `json:",omitempty"`
	// Days is, for the history command (an OutcomeStatus reply), the last
	// HistoryDays day results, oldest first (history.go); SlotKind and
	// SlotAt then name the slot of the latest day with a gap, and ShiftDate
	// is that day.
	Days []DayResult `json:",omitempty"`
}
