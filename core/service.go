package core

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// Config holds the tunable limits of the verification pipeline.
type Config struct {
	// OfflineTolerance is how old a platform message time may be and still
	// be used as the punch time (phones queue messages without network).
	OfflineTolerance time.Duration
	// OfflineFlagAfter flags punches delivered later than this.
	OfflineFlagAfter time.Duration
	// FutureSkew is how far ahead of the server a message time may be.
	FutureSkew time.Duration
	// IntentTTL is how long a text punch waits for its location.
	IntentTTL time.Duration
	// ReportedLocationTTL is how long a reported position (WeCom LOCATION
	// event) can stand in for a location; older than StaleLocationAfter it
	// is used but flagged.
	ReportedLocationTTL time.Duration
	StaleLocationAfter  time.Duration
	// RateLimit commands per RateWindow per employee.
	RateLimit  int
	RateWindow time.Duration
	// MaxSpeedKmh above which travel between two punches is impossible.
	MaxSpeedKmh float64
	// AccuracyAllowanceM caps how much of the reported accuracy widens a
	// site's radius: a fix of ±30 m at 320 m from a 300 m site counts.
	AccuracyAllowanceM float64
	// MaxAccuracyM rejects fixes vaguer than this.
	MaxAccuracyM float64
	// BlockFlags lists signals that reject a punch instead of flagging it.
	BlockFlags []string
	// Contact is whom unregistered users are told to ask.
	Contact string
}

// DefaultConfig returns the limits used when nothing is configured.
func DefaultConfig() Config {
	return Config{
		OfflineTolerance:    12 * time.Hour,
		OfflineFlagAfter:    2 * time.Minute,
		FutureSkew:          2 * time.Minute,
		IntentTTL:           5 * time.Minute,
		ReportedLocationTTL: 5 * time.Minute,
		StaleLocationAfter:  2 * time.Minute,
		RateLimit:           10,
		RateWindow:          time.Minute,
		MaxSpeedKmh:         300,
		AccuracyAllowanceM:  100,
		MaxAccuracyM:        1500,
		Contact:             "HR",
	}
}

// Service is the verification core every bot calls.
type Service struct {
	store    Store
	sessions SessionStore
	limiter  RateLimiter
	// reader is the limiter when it also reads the session store's values
	// (admit.go); nil otherwise.
	reader SessionReadingLimiter
	cfg    Config
	now    func() time.Time

	zonesMu sync.RWMutex
	zones   map[string]*time.Location

	links LinkSigner // answers CmdLink; see SetLinkSigner

	deviceLinks LinkSigner  // answers CmdLink for LinkDevice; see SetDeviceLinkSigner
	devices     DeviceStore // device binding; see SetDevices (device_rule.go)

	bell *OutboxBell // rung after a commit that queued messages; see RingOnCommit (outbox_bell.go)
}

// NewService wires the core. now is the clock; tests pass a fixed one.
func NewService(store Store, sessions SessionStore, limiter RateLimiter, cfg Config, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, sessions: sessions, limiter: limiter, reader: sessionReader(limiter, sessions),
		cfg: cfg, now: now, zones: map[string]*time.Location{}}
}

// Now returns the service clock, for bots that need to stamp receipt times.
func (s *Service) Now() time.Time { return s.now() }

// zone resolves a time zone name once; time.LoadLocation reads the zone
// database from disk and would dominate the punch path otherwise.
func (s *Service) zone(name string) *time.Location {
	s.zonesMu.RLock()
	loc, ok := s.zones[name]
	s.zonesMu.RUnlock()
	if ok {
		return loc
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "" {
		loc = time.UTC
	}
	s.zonesMu.Lock()
	s.zones[name] = loc
	s.zonesMu.Unlock()
	return loc
}

// Roster loads an employee's rules with the time zone resolved.
func (s *Service) Roster(ctx context.Context, employeeID string) (Roster, error) {
	r, err := s.store.Roster(ctx, employeeID)
	if err != nil {
		return r, err
	}
	r.Loc = s.zone(r.Employee.TimeZone)
	return r, nil
}

func sessionKey(kind string, id Identity) string {
	return kind + ":" + string(id.Platform) + ":" + id.Tenant + ":" + id.UserID
}

// reportedPosition is a position remembered from a LOCATION event.
type reportedPosition struct {
	Location Location
	At       time.Time
}

// Handle runs one command through the pipeline: identity, idempotency, rate
// limit, time, place, signals, and one transaction that stores the punch, the
// audit entry, the event's reply and the outgoing message together.
func (s *Service) Handle(ctx context.Context, cmd Command) (Reply, error) {
	reply, err := s.handle(ctx, cmd)
	if err == nil && dropsPendingClockOut(cmd, reply) && reply.PunchID == 0 {
		// Anything else the user does ends the wait for a confirmation;
		// only after that command committed. A stored punch needs no
		// session round trip: confirm finds it in the database (see
		// overtaken in confirm.go).
		_ = s.sessions.Delete(ctx, confirmKey(cmd.Actor))
	}
	return reply, err
}

func (s *Service) handle(ctx context.Context, cmd Command) (Reply, error) {
	now := s.now()
	cmd, err := cmd.sanitize()
	if err != nil {
		return Reply{}, err
	}
	if cmd.ReceivedAt.IsZero() {
		cmd.ReceivedAt = now
	}
	if cmd.Kind == "" {
		cmd.Kind = CmdPunch
	}
	emp, err := s.store.FindIdentity(ctx, cmd.Actor.Platform, cmd.Actor.Tenant, cmd.Actor.UserID)
	for _, alt := range cmd.AltUserIDs {
		if ErrorCode(err) != ENOTFOUND {
			break
		}
		if alt != "" && alt != cmd.Actor.UserID {
			emp, err = s.store.FindIdentity(ctx, cmd.Actor.Platform, cmd.Actor.Tenant, alt)
		}
	}
	if ErrorCode(err) == ENOTFOUND {
		reply := Reply{Outcome: OutcomeUnknownUser, Platform: cmd.Actor.Platform, Contact: s.cfg.Contact, At: cmd.ReceivedAt, ActorID: cmd.Actor.UserID}
		return reply, s.replyOnly(ctx, cmd, reply)
	}
	if err != nil {
		return Reply{}, err
	}
	base := Reply{Platform: cmd.Actor.Platform, EmployeeID: emp.ID, EmployeeName: emp.Name, Lang: emp.Lang, TimeZone: emp.TimeZone, Contact: s.cfg.Contact}
	if !emp.Active {
		base.Outcome, base.Command = OutcomeInactive, cmd.Kind
		base.Makeup = s.handedOverView(ctx, emp, cmd) // makeup_queries.go
		return base, s.replyOnly(ctx, cmd, base)
	}
	// A punch skips the look-up of an earlier reply: its transaction records
	// the event, so a retry fails there on the event's unique key and settle
	// answers with the first reply (or, once the retention job deleted the
	// record, punch answers with the stored punch: storedPunchReply). That
	// saves a round trip on every punch; punch looks the reply up itself
	// before it touches session state.
	if cmd.Kind != CmdPunch {
		if rep, ok, err := s.replayed(ctx, cmd); err != nil || ok {
			return rep, err
		}
	}
	var pre *sessionRead // the session value a punch needs, read with the rate limit
	if s.limiter != nil && s.cfg.RateLimit > 0 && cmd.Kind != CmdReportLocation && !judgedByStore(cmd) {
		var ok bool
		var after time.Duration
		ok, after, pre, err = s.admit(ctx, cmd, emp.ID) // admit.go
		if err != nil {
			return Reply{}, err
		}
		if !ok {
			return s.rateLimited(ctx, cmd, base, after)
		}
	}

	switch cmd.Kind {
	case CmdHelp:
		base.Outcome = OutcomeHelp
		return s.commitReply(ctx, cmd, base)
	case CmdStatus:
		return s.status(ctx, cmd, base)
	case CmdHistory:
		return s.history(ctx, cmd, base) // history.go
	case CmdReportLocation:
		if cmd.Location == nil {
			return Reply{}, Errorf(EINVALID, "a location report needs a location")
		}
		if !ValidCoordinates(cmd.Location.Lat, cmd.Location.Lng) || !plausibleAccuracy(cmd.Location.AccuracyM) {
			// Not remembered: a text punch that follows asks for a location
			// rather than using this one.
			base.Outcome, base.Reasons = OutcomeRejected, []string{ReasonBadCoordinates}
			return base, nil
		}
		at := cmd.At
		if at.IsZero() || at.After(cmd.ReceivedAt) {
			at = cmd.ReceivedAt
		}
		buf, _ := json.Marshal(reportedPosition{Location: *cmd.Location, At: at})
		if err := s.sessions.Put(ctx, sessionKey("pos", cmd.Actor), buf, s.cfg.ReportedLocationTTL); err != nil {
			return Reply{}, err
		}
		waiting, err := s.waitingIntent(ctx, cmd, emp.ID) // intent.go
		if err != nil {
			return Reply{}, err
		}
		if waiting {
			// A text punch waiting for a location: the reported one
			// completes it as a shared location would.
			cmd.Kind, cmd.Punch = CmdPunch, KindAuto
			return s.punch(ctx, cmd, base, nil, true)
		}
		base.Outcome = OutcomeNoted
		return base, nil
	case CmdConfirm:
		return s.confirm(ctx, cmd, base)
	case CmdDecline:
		return s.decline(ctx, cmd, base)
	case CmdPunch:
		return s.punch(ctx, cmd, base, pre, false)
	case CmdLink:
		return s.link(ctx, cmd, emp, base)
	case CmdMakeup, CmdMakeupCancel, CmdMakeupDecide, CmdMakeupEvidence, CmdLeave:
		return s.handleMakeup(ctx, cmd, base)
	case CmdMakeupBatch:
		return s.handleBatch(ctx, cmd, base) // makeup_batch.go
	default:
		return Reply{}, Errorf(EINVALID, "unknown command %q", cmd.Kind)
	}
}

// replayed returns the reply recorded for the command's event, marked as
// replayed; ok is false when there is none.
func (s *Service) replayed(ctx context.Context, cmd Command) (reply Reply, ok bool, err error) {
	if cmd.EventID == "" {
		return Reply{}, false, nil
	}
	rec, err := s.store.EventReply(ctx, cmd.source(), cmd.EventID)
	if ErrorCode(err) == ENOTFOUND {
		return Reply{}, false, nil
	}
	if err != nil {
		return Reply{}, false, err
	}
	rec.Reply.Replayed = true
	return rec.Reply, true, nil
}

// replyOnly queues a reply that records nothing else (unknown users,
// inactive ones). The dedupe key keeps platform retries from answering
// twice.
func (s *Service) replyOnly(ctx context.Context, cmd Command, reply Reply) error {
	return s.queueOnly(ctx, cmd, s.replyMessage(cmd, reply))
}

// queueOnly queues m, the reply to cmd, in a transaction of its own.
func (s *Service) queueOnly(ctx context.Context, cmd Command, m OutboxMessage) error {
	// An inline answer is the bot's to give; there is nothing to record.
	if cmd.ReplyRoute == "" || cmd.ReplyInline {
		return nil
	}
	return s.inTx(ctx, func(tx Tx) error { return tx.EnqueueOutbox(ctx, m) })
}

// rateLimited answers a command the rate limit refused. A retried event
// counts against the limit too, so a refused retry gets the answer its
// first delivery got. Otherwise the refusal's reply is queued under a key
// of its own: the event is not recorded, so a retry after the wait may
// still punch, and that punch's reply must not be taken for this one's
// duplicate.
func (s *Service) rateLimited(ctx context.Context, cmd Command, base Reply, after time.Duration) (Reply, error) {
	if rep, ok, err := s.replayed(ctx, cmd); err != nil || ok {
		return rep, err
	}
	base.Outcome, base.RetryAfter = OutcomeRateLimited, after
	m := s.replyMessage(cmd, base)
	if m.DedupeKey != "" {
		m.DedupeKey += ":" + string(OutcomeRateLimited)
	}
	return base, s.queueOnly(ctx, cmd, m)
}

func (s *Service) replyMessage(cmd Command, reply Reply) OutboxMessage {
	payload, _ := json.Marshal(reply)
	return s.encodedReplyMessage(cmd, payload)
}

// encodedReplyMessage queues payload, a Reply already encoded, as the reply
// to cmd.
func (s *Service) encodedReplyMessage(cmd Command, payload []byte) OutboxMessage {
	key := ""
	if cmd.EventID != "" {
		key = "reply:" + cmd.source() + ":" + cmd.EventID
	}
	platform := cmd.ReplyPlatform
	if platform == "" {
		platform = cmd.Actor.Platform
	}
	return OutboxMessage{Platform: platform, Route: cmd.ReplyRoute, Kind: "reply", Payload: payload, DedupeKey: key, NextAttempt: s.now(), Status: OutboxPending, CreatedAt: s.now()}
}

// commitReply records the event's reply and queues it, for commands that
// change nothing else.
func (s *Service) commitReply(ctx context.Context, cmd Command, reply Reply) (Reply, error) {
	if !cmd.recordsReply() {
		return reply, nil // nothing to record: no transaction
	}
	err := s.inTx(ctx, func(tx Tx) error { return s.record(ctx, tx, cmd, reply) })
	return s.settle(ctx, cmd, reply, err)
}

// record writes the event record and the outgoing reply inside tx.
// The reply is encoded once for both.
func (s *Service) record(ctx context.Context, tx Tx, cmd Command, reply Reply) error {
	if !cmd.recordsReply() {
		return nil
	}
	encoded, err := json.Marshal(reply)
	if err != nil {
		return WrapError(EINTERNAL, err, "encode reply")
	}
	if cmd.EventID != "" {
		if err := tx.InsertEvent(ctx, EventRecord{Source: cmd.source(), EventID: cmd.EventID, EmployeeID: reply.EmployeeID, Reply: reply, ReplyJSON: encoded, CreatedAt: s.now()}); err != nil {
			return err
		}
	}
	// An inline reply goes out in the HTTP answer, after this commits.
	if cmd.ReplyRoute != "" && !cmd.ReplyInline {
		return tx.EnqueueOutbox(ctx, s.encodedReplyMessage(cmd, encoded))
	}
	return nil
}

// settle turns a lost idempotency race into the winner's reply.
func (s *Service) settle(ctx context.Context, cmd Command, reply Reply, err error) (Reply, error) {
	if err == nil {
		return reply, nil
	}
	if ErrorCode(err) == ECONFLICT && cmd.EventID != "" {
		if rec, e := s.store.EventReply(ctx, cmd.source(), cmd.EventID); e == nil {
			rec.Reply.Replayed = true
			return rec.Reply, nil
		}
	}
	return Reply{}, err
}
