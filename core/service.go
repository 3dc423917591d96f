package core

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"slices"
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
	// answers with the first reply. That saves a round trip on every punch;
	// punch looks the reply up itself before it touches session state.
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
	return s.store.InTx(ctx, func(tx Tx) error { return tx.EnqueueOutbox(ctx, m) })
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
	err := s.store.InTx(ctx, func(tx Tx) error { return s.record(ctx, tx, cmd, reply) })
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

func (s *Service) status(ctx context.Context, cmd Command, base Reply) (Reply, error) {
	r, err := s.Roster(ctx, base.EmployeeID)
	if err != nil {
		return Reply{}, err
	}
	now := s.now()
	date := now.In(r.Loc).Format(DateLayout)
	matched := r.Schedule == nil
	if !matched {
		if matches, _ := r.Schedule.ShiftCandidates(now, r.Loc, r.Calendar); len(matches) > 0 {
			date, matched = matches[0].Date, true
		}
	}
	reply := base
	reply.Outcome, reply.At = OutcomeStatus, now
	err = s.store.InTx(ctx, func(tx Tx) error {
		if !matched {
			// After midnight a rest day's stint is still the day a
			// clock-out would close (overtime_restday.go).
			carried, ok, err := restDayCarry(r, now, KindOut, func(d string) ([]Punch, error) { return tx.ShiftPunches(ctx, r.Employee.ID, d) })
			if err != nil {
				return err
			}
			if ok {
				date = carried.Date
			}
		}
		reply.ShiftDate = date
		punches, err := tx.ShiftPunches(ctx, r.Employee.ID, date)
		if err != nil {
			return err
		}
		approvals, err := dayApprovals(ctx, tx, r, date) // leave_day.go
		if err != nil {
			return err
		}
		day := ComputeDayWith(r, date, punches, approvals, now)
		reply.Day = &day
		if day.Has(DayNotStarted) && r.Schedule != nil {
			// The status says when punching opens, as a refused punch does.
			if d, err := time.ParseInLocation(DateLayout, date, r.Loc); err == nil {
				sh := r.Schedule.ShiftOn(d.Add(12*time.Hour), r.Loc, r.Calendar)
				reply.WindowOpens, reply.WindowCloses = sh.Opens, sh.Closes
			}
		}
		return s.record(ctx, tx, cmd, reply)
	})
	return s.settle(ctx, cmd, reply, err)
}

// punch verifies and stores a punch. pre is the session value read ahead
// with the rate limit, if any (admit.go). A location the platform reported
// (onlyIntent) punches only to complete a waiting text punch.
func (s *Service) punch(ctx context.Context, cmd Command, base Reply, pre *sessionRead, onlyIntent bool) (Reply, error) {
	loc := cmd.Location
	var flags []string
	// A text punch without a location either uses a position the platform
	// reported a moment ago or waits for the user to share one.
	if loc == nil && !cmd.LocationByLink {
		if buf, err := s.session(ctx, pre, sessionKey("pos", cmd.Actor)); err == nil {
			var pos reportedPosition
			if json.Unmarshal(buf, &pos) == nil {
				loc = &pos.Location
				if cmd.ReceivedAt.Sub(pos.At) > s.cfg.StaleLocationAfter {
					flags = append(flags, FlagStaleLocation)
				}
			}
		} else if ErrorCode(err) != ENOTFOUND {
			return Reply{}, err
		}
	}
	r, err := s.Roster(ctx, base.EmployeeID)
	if err != nil {
		return Reply{}, err
	}
	binding, device, err := s.punchDevice(ctx, cmd, r) // device_rule.go
	if err != nil {
		return Reply{}, err
	}
	askLocation := loc == nil && len(r.Sites) > 0 && !ipOnSite(r.Sites, cmd.ClientIP)
	if askLocation {
		// A punch the time alone refuses (no shift's window is open, nor
		// the day before's overnight shift or a rest day's open stint) is
		// refused at once, as its located follow-up would be: asking for a
		// location first only to refuse it then wastes the user's time.
		refused, err := s.refusedOnTime(ctx, r, cmd)
		if err != nil {
			return Reply{}, err
		}
		askLocation = !refused
	}
	if askLocation {
		reply := base
		reply.Outcome, reply.Kind, reply.At = OutcomeNeedLocation, cmd.Punch, cmd.ReceivedAt
		if cmd.LocationByLink {
			return s.commitReply(ctx, cmd, reply) // the page brings its own kind
		}
		return s.armIntent(ctx, cmd, r.Employee.ID, reply) // intent.go
	}
	kind := cmd.Punch

	// A punch outside every site under out_of_range: field waits for
	// approval; its approver is routed before the transaction (field.go).
	field, err := s.fieldFiling(ctx, r, cmd.Actor.Platform)
	if err != nil {
		return Reply{}, err
	}
	var reply Reply
	var asked *Punch // a clock-out waiting for confirmation (confirm.go)
	linkChecked := false
	// One transaction: the employee's lock, the reads the rules need, the
	// punch with its audit entry, event record and reply.
	tx := func(tx Tx) error {
		if err := tx.LockEmployee(ctx, r.Employee.ID); err != nil {
			return err
		}
		if judgedByStore(cmd) {
			if err := s.checkPunchRate(ctx, tx, r, cmd); err != nil { // punch_rate.go
				return err
			}
		}
		kind = cmd.Punch
		if cmd.Location != nil && kind == KindAuto {
			// A shared location completes a text punch that was waiting
			// for it, and uses it up in the same commit: a retry of the
			// location fails on its event's key and leaves a newer intent.
			in, ok, err := intentFor(ctx, tx, r.Employee.ID, cmd, s.now()) // intent.go
			if err != nil {
				return err
			}
			if ok {
				if err := tx.ClearIntent(ctx, in); err != nil {
					return err
				}
				kind = in.Kind
			} else if onlyIntent {
				return errNoIntent // used up since it was looked up
			}
		}
		p, err := s.verifyIn(ctx, tx, r, cmd, kind, loc, flags, false)
		if err != nil {
			return err
		}
		ApplyDeviceBinding(&p, binding, device) // device_rule.go
		field.hold(&p)                          // field.go
		cmd := cmd
		if LinkRetryable(cmd.source(), p.Outcome, p.Reasons) { // links.go
			if !linkChecked {
				return errLinkRetry // nothing is written yet; see below
			}
			cmd = spareLink(cmd, &p)
		}
		if p.Outcome == OutcomeConfirm {
			// Nothing is stored but the question, so a retry asks again.
			if err := s.countQuestion(ctx, cmd, r.Employee.ID); err != nil { // punch_rate.go
				return err
			}
			asked, reply = &p, base
			fillReply(&reply, p, r)
			if reply.Day, err = s.daySoFar(ctx, tx, r, p.ShiftDate); err != nil {
				return err
			}
			if err := s.record(ctx, tx, cmd, reply); err != nil {
				return err
			}
			if cmd.ReplyInline && cmd.ReplyRoute != "" {
				// An inline answer may not carry buttons (a WeCom passive
				// reply is text): the question is also queued, so the bot
				// can send it with its buttons.
				return tx.EnqueueOutbox(ctx, s.replyMessage(cmd, reply))
			}
			return nil
		}
		if reply, err = s.storePunch(ctx, tx, r, base, p); err != nil {
			return err
		}
		if err := field.file(ctx, tx, p, &reply); err != nil {
			return err
		}
		return s.record(ctx, tx, cmd, reply)
	}
	err = s.store.InTx(ctx, tx)
	if errors.Is(err, errLinkRetry) {
		// A refusal that leaves the location page's link usable: unless
		// the link already recorded a punch (then its first reply
		// answers), the attempt is stored without the link's event id.
		// Only such refusals pay for this look-up.
		if rep, ok, err := s.replayed(ctx, cmd); err != nil || ok {
			return rep, err
		}
		linkChecked = true
		err = s.store.InTx(ctx, tx)
	}
	switch {
	case errors.Is(err, errNoIntent):
		base.Outcome = OutcomeNoted
		return base, nil
	case ErrorCode(err) == ERATELIMIT:
		return s.rateLimited(ctx, cmd, base, RetryAfter(err))
	}
	if err == nil && asked != nil {
		if err := s.holdClockOut(ctx, cmd, *asked, loc, flags, kind); err != nil {
			return Reply{}, err
		}
	}
	return s.settle(ctx, cmd, reply, err)
}

// refusedOnTime reports whether Verify refuses cmd's punch on its time
// alone, whatever position would come with it: the check-in window of
// every candidate shift is not open yet (or has closed), no overnight
// shift of the day before is open, and no rest day's clock-in waits for
// its clock-out. Verify judges the time before the place, so the punch
// without a location gets the reasons a located one would. It reads
// only; nothing is stored.
func (s *Service) refusedOnTime(ctx context.Context, r Roster, cmd Command) (bool, error) {
	if r.Schedule == nil {
		return false, nil // no windows: any time is a punch time
	}
	at := cmd.At
	if at.IsZero() || at.After(cmd.ReceivedAt) {
		at = cmd.ReceivedAt // as Verify takes it
	}
	if matches, _ := r.Schedule.ShiftCandidates(at, r.Zone(), r.Calendar); len(matches) > 0 {
		// A window is open, the usual case: no read is needed to know the
		// time does not refuse it.
		return false, nil
	}
	var refused bool
	err := s.store.InTx(ctx, func(tx Tx) error {
		p, err := s.verifyIn(ctx, tx, r, cmd, cmd.Punch, nil, nil, false)
		if err != nil {
			return err
		}
		refused = p.Outcome == OutcomeRejected && (slices.Contains(p.Reasons, ReasonWindowNotOpen) || slices.Contains(p.Reasons, ReasonWindowClosed))
		return nil
	})
	return refused, err
}

// verifyIn runs Verify inside tx for the employee of r.
func (s *Service) verifyIn(ctx context.Context, tx Tx, r Roster, cmd Command, kind PunchKind, loc *Location, flags []string, confirmed bool) (Punch, error) {
	in := VerifyInput{Roster: r, Command: cmd, Kind: kind, Location: loc, Flags: flags, Config: &s.cfg, Confirmed: confirmed}
	in.ShiftPunches = func(date string) ([]Punch, error) { return tx.ShiftPunches(ctx, r.Employee.ID, date) }
	in.FieldWaiting = func(date string) ([]int64, error) { return waitingFieldPunches(ctx, tx, r.Employee.ID, date) } // field.go
	in.LastLocated = func(before time.Time) (*Punch, error) {
		p, err := tx.LastLocatedPunch(ctx, r.Employee.ID, before)
		if ErrorCode(err) == ENOTFOUND {
			return nil, nil
		}
		return &p, err
	}
	return Verify(in)
}

// storePunch inserts a verified punch with its audit entry and returns the
// reply to it. A punch that changes nothing (a repeat, a refused one under
// strict alternation) answers with the day so far.
func (s *Service) storePunch(ctx context.Context, tx Tx, r Roster, base Reply, p Punch) (Reply, error) {
	if err := tx.InsertPunch(ctx, &p); err != nil {
		return Reply{}, err
	}
	reply := base
	fillReply(&reply, p, r)
	detail, _ := json.Marshal(punchAuditDetail{Flags: p.Flags, Kind: p.Kind, PunchID: p.ID, Reasons: p.Reasons, Source: p.Source})
	if err := tx.InsertAudit(ctx, AuditEntry{At: s.now(), Actor: r.Employee.ID, Action: "punch." + string(p.Outcome), Subject: r.Employee.ID, Detail: string(detail)}); err != nil {
		return Reply{}, err
	}
	if p.Outcome == OutcomeRepeat || slices.Contains(p.Reasons, ReasonAlreadyOut) {
		day, err := s.daySoFar(ctx, tx, r, p.ShiftDate)
		if err != nil {
			return Reply{}, err
		}
		reply.Day = day
	}
	return reply, nil
}

// daySoFar is the day result of one shift date, read inside tx.
func (s *Service) daySoFar(ctx context.Context, tx Tx, r Roster, date string) (*DayResult, error) {
	punches, err := tx.ShiftPunches(ctx, r.Employee.ID, date)
	if err != nil {
		return nil, err
	}
	approvals, err := dayApprovals(ctx, tx, r, date) // leave_day.go
	if err != nil {
		return nil, err
	}
	day := ComputeDayWith(r, date, punches, approvals, s.now())
	return &day, nil
}

// punchAuditDetail is the detail of a punch's audit entry. Its fields are in
// the order a map of them would be encoded in, as entries were written
// before.
type punchAuditDetail struct {
	Flags   []string  `json:"flags"`
	Kind    PunchKind `json:"kind"`
	PunchID int64     `json:"punch_id"`
	Reasons []string  `json:"reasons"`
	Source  string    `json:"source"`
}

func fillReply(reply *Reply, p Punch, r Roster) {
	reply.Outcome, reply.Kind, reply.At, reply.ShiftDate = p.Outcome, p.Kind, p.At, p.ShiftDate
	reply.Reasons, reply.Flags, reply.TimeResult = p.Reasons, p.Flags, p.TimeResult
	reply.LateMin, reply.EarlyMin, reply.AccuracyM, reply.PunchID = p.LateMin, p.EarlyMin, p.AccuracyM, p.ID
	reply.SiteID, reply.DistanceM = p.SiteID, p.DistanceM
	reply.SlotKind, reply.SlotAt = makeupSlot(p, r) // day.go
	for _, site := range r.Sites {
		if site.ID == p.SiteID {
			reply.SiteName, reply.RadiusM = site.Name, site.RadiusM
		}
	}
	if r.Schedule != nil && (slices.Contains(p.Reasons, ReasonWindowNotOpen) || slices.Contains(p.Reasons, ReasonWindowClosed)) {
		sh := r.Schedule.ShiftOn(p.At, r.Loc, r.Calendar)
		reply.WindowOpens, reply.WindowCloses = sh.Opens, sh.Closes
	}
}

// ipOnSite reports whether ip falls in one of the sites' office ranges.
func ipOnSite(sites []Site, ip string) bool {
	_, ok := siteByIP(sites, ip)
	return ok
}

func siteByIP(sites []Site, ip string) (Site, bool) {
	if ip == "" {
		return Site{}, false
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return Site{}, false
	}
	addr = addr.Unmap()
	for _, s := range sites {
		for _, r := range s.IPRanges {
			if p, err := netip.ParsePrefix(r); err == nil && p.Contains(addr) {
				return s, true
			}
		}
	}
	return Site{}, false
}
