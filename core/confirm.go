package core

import (
	"context"
	"encoding/json"
	"slices"
	"time"
)

// Reasons a clock-out waits for confirmation (OutcomeConfirm). The reply's
// EarlyMin says by how much it would be early; for ReasonSoonAfterIn the
// reply's Day.In is the clock-in it follows.
const (
	ReasonConfirmEarly = "confirm_early_leave" // an early leave beyond the schedule's grace
	ReasonSoonAfterIn  = "soon_after_in"       // within ConfirmWithinMin of the clock-in
)

// confirmReason says why a clock-out p needs confirmation, "" when it does
// not: confirmation is on (ConfirmWithinMin > 0), the punch would count, and
// it is an early leave beyond grace, or an explicit clock-out within
// ConfirmWithinMin of the clock-in. asked is the direction the user gave
// (KindAuto when the core decided).
func confirmReason(s *Schedule, asked PunchKind, in *Punch, p Punch) string {
	if s == nil || s.ConfirmWithinMin <= 0 || !p.Valid() {
		return ""
	}
	if p.TimeResult == TimeEarly {
		return ReasonConfirmEarly
	}
	if asked == KindOut && in != nil && p.At.Sub(in.At) < time.Duration(s.ConfirmWithinMin)*time.Minute {
		return ReasonSoonAfterIn
	}
	return ""
}

// reshared reports whether a punch whose direction the core decides (a
// location shared alone) at t comes within ConfirmWithinMin of the shift's
// clock-in with no clock-out yet: the user is making sure the clock-in went
// through, so it repeats the clock-in instead of clocking out.
func reshared(s *Schedule, prior []Punch, t time.Time) bool {
	if s == nil || s.ConfirmWithinMin <= 0 || hasValid(prior, KindOut) {
		return false
	}
	in := clockInOf(prior) // field.go: a field clock-in waiting for approval counts here
	return in != nil && t.Sub(in.At) < time.Duration(s.ConfirmWithinMin)*time.Minute
}

// pendingClockOut is a clock-out waiting for CmdConfirm, kept in the
// session store for ConfirmTTL: everything Verify needs to judge it again
// at its original time.
type pendingClockOut struct {
	Punch      PunchKind // the direction the user gave
	At         time.Time
	ReceivedAt time.Time
	Location   *Location `json:",omitempty"`
	Flags      []string  `json:",omitempty"` // found before verification (stale location)
	// Signals are the flags the question's punch carried (set after
	// Verify too, such as a verified device): the confirmed punch keeps them.
	Signals   []string `json:",omitempty"`
	Source    string
	EventID   string // the asking event's; the punch is stored under it
	ClientIP  string `json:",omitempty"`
	ShiftDate string
}

func confirmKey(id Identity) string { return sessionKey("confirm", id) }

// command rebuilds the clock-out command the user is confirming.
func (p pendingClockOut) command(actor Identity) Command {
	return Command{Actor: actor, Kind: CmdPunch, Punch: p.Punch, At: p.At, ReceivedAt: p.ReceivedAt,
		Location: p.Location, Source: p.Source, EventID: p.EventID, ClientIP: p.ClientIP}
}

// holdClockOut remembers a clock-out Verify asked to confirm. It runs after
// the question's commit: a platform retry of the question is answered from
// the event record and does not arm it again.
func (s *Service) holdClockOut(ctx context.Context, cmd Command, p Punch, loc *Location, flags []string, asked PunchKind) error {
	buf, err := json.Marshal(pendingClockOut{Punch: asked, At: p.At, ReceivedAt: p.ReceivedAt, Location: loc, Flags: flags, Signals: p.Flags,
		Source: cmd.source(), EventID: cmd.EventID, ClientIP: cmd.ClientIP, ShiftDate: p.ShiftDate})
	if err != nil {
		return WrapError(EINTERNAL, err, "encode pending clock-out")
	}
	return s.sessions.Put(ctx, confirmKey(cmd.Actor), buf, ConfirmTTL)
}

// pendingFor reads the clock-out waiting for the actor's confirmation.
func (s *Service) pendingFor(ctx context.Context, actor Identity) (pendingClockOut, bool, error) {
	buf, err := s.sessions.Get(ctx, confirmKey(actor))
	if ErrorCode(err) == ENOTFOUND {
		return pendingClockOut{}, false, nil
	}
	if err != nil {
		return pendingClockOut{}, false, err
	}
	var p pendingClockOut
	if json.Unmarshal(buf, &p) != nil || p.EventID == "" {
		// Unreadable state is no question the user was asked.
		return pendingClockOut{}, false, nil
	}
	return p, true, nil
}

// confirm records the clock-out waiting for confirmation at its original
// time, judged again inside the transaction (the day may have changed). The
// event record is the confirm's own, so a retry of the click is answered
// the same; a second click (another event) finds the punch already stored
// under the question's event and answers with it.
func (s *Service) confirm(ctx context.Context, cmd Command, base Reply) (Reply, error) {
	pending, ok, err := s.pendingFor(ctx, cmd.Actor)
	if err != nil {
		return Reply{}, err
	}
	if !ok {
		reply := base
		reply.Outcome, reply.At = OutcomeNothingPending, cmd.ReceivedAt
		return s.commitReply(ctx, cmd, reply)
	}
	r, err := s.Roster(ctx, base.EmployeeID)
	if err != nil {
		return Reply{}, err
	}
	orig := pending.command(cmd.Actor)
	field, err := s.fieldFiling(ctx, r, cmd.Actor.Platform) // field.go
	if err != nil {
		return Reply{}, err
	}
	var reply Reply
	err = s.inTx(ctx, func(tx Tx) error {
		if err := tx.LockEmployee(ctx, r.Employee.ID); err != nil {
			return err
		}
		done, err := tx.ShiftPunches(ctx, r.Employee.ID, pending.ShiftDate)
		if err != nil {
			return err
		}
		for _, p := range done {
			if p.EventID == pending.EventID && p.Source == pending.Source {
				reply = base
				fillReply(&reply, p, r)
				reply.Replayed = true
				return s.record(ctx, tx, cmd, reply)
			}
		}
		if overtaken(done, pending) {
			reply = base
			reply.Outcome, reply.At = OutcomeNothingPending, cmd.ReceivedAt
			return s.record(ctx, tx, cmd, reply)
		}
		p, err := s.verifyIn(ctx, tx, r, orig, orig.Punch, pending.Location, pending.Flags, true)
		if err != nil {
			return err
		}
		field.hold(&p)
		for _, f := range pending.Signals {
			if p.Valid() && !slices.Contains(p.Flags, f) {
				p.Flags = append(p.Flags, f)
			}
		}
		reply, err = s.storePunch(ctx, tx, r, base, p)
		if err != nil {
			return err
		}
		if err := field.file(ctx, tx, p, &reply); err != nil {
			return err
		}
		return s.record(ctx, tx, cmd, reply)
	})
	if err == nil {
		_ = s.sessions.Delete(ctx, confirmKey(cmd.Actor))
	}
	return s.settle(ctx, cmd, reply, err)
}

// overtaken reports whether a punch was stored after the question was
// asked: like any other command, it ended the wait. Handle leaves the
// session key of a stored punch alone, because this read under the
// employee's lock answers it without a round trip on every punch.
func overtaken(punches []Punch, pending pendingClockOut) bool {
	for _, p := range punches {
		if p.ReceivedAt.After(pending.ReceivedAt) {
			return true
		}
	}
	return false
}

// decline drops the clock-out waiting for confirmation; nothing is
// recorded but the event's answer.
func (s *Service) decline(ctx context.Context, cmd Command, base Reply) (Reply, error) {
	pending, ok, err := s.pendingFor(ctx, cmd.Actor)
	if err != nil {
		return Reply{}, err
	}
	reply := base
	reply.Outcome, reply.At = OutcomeNothingPending, cmd.ReceivedAt
	if ok {
		reply.Outcome, reply.Kind, reply.At, reply.ShiftDate = OutcomeDeclined, KindOut, pending.At, pending.ShiftDate
	}
	reply, err = s.commitReply(ctx, cmd, reply)
	if err == nil && ok {
		_ = s.sessions.Delete(ctx, confirmKey(cmd.Actor))
	}
	return reply, err
}

// dropsPendingClockOut reports whether a handled command ends the wait for
// a confirmation: anything the user does other than confirm or decline,
// except a position the app reports by itself, a retry of an earlier event,
// the question itself, a command the rate limit refused (it did nothing),
// and a punch that only asks for a location (Slack's
// /punch link, a text 下班 with no position): the punch that location
// brings is what ends the wait, and until then the question still stands.
// A punch that asks for a location thus costs no session round trip.
func dropsPendingClockOut(cmd Command, reply Reply) bool {
	switch cmd.Kind {
	case CmdConfirm, CmdDecline, CmdReportLocation:
		return false
	}
	switch reply.Outcome {
	case OutcomeConfirm, OutcomeNoted, OutcomeUnknownUser, OutcomeInactive, OutcomeNeedLocation, OutcomeRateLimited:
		return false
	}
	return !reply.Replayed
}
