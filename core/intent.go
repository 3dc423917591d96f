package core

import (
	"context"
	"errors"
	"time"
)

// PunchIntent is a text punch waiting for its location (OutcomeNeedLocation):
// the next location its sender shares, or their platform reports, completes
// it with its kind. It lives in the database, next to the punches it leads
// to, so the location's transaction reads it under the employee's lock in the
// round trip it already makes, and uses it up in the same commit as the punch.
// One per employee: a newer text punch replaces it.
type PunchIntent struct {
	EmployeeID string
	Actor      Identity  // who typed it: only their location completes it
	Kind       PunchKind // in, out, or KindAuto for an undirected 打卡
	ArmedAt    time.Time // told apart from a newer one by this
	ExpiresAt  time.Time
}

// intentFor returns the waiting text punch a shared location by cmd's actor
// completes; ok is false when there is none.
func intentFor(ctx context.Context, tx Tx, employeeID string, cmd Command, now time.Time) (in PunchIntent, ok bool, err error) {
	in, err = tx.PunchIntent(ctx, employeeID, now)
	if ErrorCode(err) == ENOTFOUND {
		return PunchIntent{}, false, nil
	}
	if err != nil {
		return PunchIntent{}, false, err
	}
	return in, completes(in, cmd), nil
}

// completes reports whether a location sent by cmd's actor completes in.
// Any kind does: an undirected 打卡 (KindAuto) waits too, and its location
// is then judged by the day so far.
func completes(in PunchIntent, cmd Command) bool { return in.Actor == cmd.Actor }

// armIntent records a text punch that now waits for its location, with the
// reply that asks for it: a retry of the text fails on the event's key and
// arms nothing, because both are one commit.
func (s *Service) armIntent(ctx context.Context, cmd Command, employeeID string, reply Reply) (Reply, error) {
	now := s.now()
	in := PunchIntent{EmployeeID: employeeID, Actor: cmd.Actor, Kind: cmd.Punch, ArmedAt: now, ExpiresAt: now.Add(s.cfg.IntentTTL)}
	err := s.inTx(ctx, func(tx Tx) error {
		if err := tx.ArmIntent(ctx, in); err != nil {
			return err
		}
		return s.record(ctx, tx, cmd, reply)
	})
	return s.settle(ctx, cmd, reply, err)
}

// waitingIntent reports whether the employee has a text punch a location
// reported by cmd's actor completes: one read outside the punch, which
// reads it again under the lock. WeCom may report a position every few
// seconds, so this is not a transaction.
func (s *Service) waitingIntent(ctx context.Context, cmd Command, employeeID string) (bool, error) {
	in, err := s.store.WaitingIntent(ctx, employeeID, s.now())
	if ErrorCode(err) == ENOTFOUND {
		return false, nil
	}
	return err == nil && completes(in, cmd), err
}

// errNoIntent ends the transaction of a reported location whose waiting
// text punch was used up after it was looked up: the report is only noted.
var errNoIntent = errors.New("no waiting text punch any more")
