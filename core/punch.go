package core

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"slices"
	"time"
)

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
	err = s.inTx(ctx, tx)
	if errors.Is(err, errLinkRetry) {
		// A refusal that leaves the location page's link usable: unless
		// the link already recorded a punch (then its first reply
		// answers), the attempt is stored without the link's event id.
		// Only such refusals pay for this look-up.
		if rep, ok, err := s.replayed(ctx, cmd); err != nil || ok {
			return rep, err
		}
		linkChecked = true
		err = s.inTx(ctx, tx)
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
	reply, err = s.settle(ctx, cmd, reply, err)
	if ErrorCode(err) == ECONFLICT && cmd.EventID != "" {
		return s.storedPunchReply(ctx, cmd, base, r, err)
	}
	return reply, err
}

// storedPunchReply answers a retry of a punch whose event record the
// retention job deleted (RetentionStore.ReducePunches) with the punch
// stored under the event, as its reply did; any other conflict stays one.
func (s *Service) storedPunchReply(ctx context.Context, cmd Command, base Reply, r Roster, conflict error) (Reply, error) {
	p, err := s.store.PunchByEvent(ctx, cmd.source(), cmd.EventID)
	if err != nil {
		return Reply{}, conflict
	}
	reply := base
	fillReply(&reply, p, r)
	reply.Replayed = true
	return reply, nil
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
	err := s.inTx(ctx, func(tx Tx) error {
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
