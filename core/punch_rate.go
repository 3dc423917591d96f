package core

import (
	"context"
	"strconv"
	"time"
)

// A punch that brings its location is rate-limited by the database rather
// than by the limiter: its transaction already reads the employee's recent
// punches under their lock, so counting those costs nothing, where the
// limiter costs a round trip to Redis on every punch. Every located punch
// attempt is stored (accepted, refused or a repeat), so the count is the
// number of attempts, and it is exact across replicas and with Redis down.
// Commands without a location still count in the limiter (admit.go), and
// so does a located clock-out that only asks for a confirmation.

// judgedByStore reports whether cmd's rate limit is counted in its
// transaction instead of by the limiter.
func judgedByStore(cmd Command) bool {
	return cmd.Kind == CmdPunch && cmd.Location != nil
}

// checkPunchRate returns an ERATELIMIT error, which ends the transaction
// with nothing written, when the employee's punches
// received within the last RateWindow number RateLimit or more. They are
// read from the shift dates around today in the employee's zone (a punch
// received now belongs to the day before's overnight shift, today's or
// tomorrow's early window); this read is the first of the transaction, so
// the store fetches the rules' later reads along with it.
func (s *Service) checkPunchRate(ctx context.Context, tx Tx, r Roster, cmd Command) error {
	if s.cfg.RateLimit <= 0 {
		return nil
	}
	now := s.now()
	day := now.In(r.Zone())
	recent, err := tx.ShiftPunchesBetween(ctx, r.Employee.ID, day.AddDate(0, 0, -1).Format(DateLayout), day.AddDate(0, 0, 1).Format(DateLayout))
	if err != nil {
		return err
	}
	since := now.Add(-s.cfg.RateWindow)
	var counted int
	oldest := now
	for _, p := range recent {
		if p.ReceivedAt.After(since) && !p.ReceivedAt.After(now) {
			counted++
			if p.ReceivedAt.Before(oldest) {
				oldest = p.ReceivedAt
			}
		}
	}
	if counted < s.cfg.RateLimit {
		return nil
	}
	after := max(oldest.Add(s.cfg.RateWindow).Sub(now), time.Second)
	return &Error{Code: ERATELIMIT, Message: "too many punches: " + strconv.Itoa(counted) + " within " + s.cfg.RateWindow.String(), RetryAfter: after}
}

// countQuestion counts a located clock-out that only asks for a
// confirmation in the limiter: it stores no punch for checkPunchRate to
// count, and the question it records is work a flood could repeat. Only
// this rare outcome pays the limiter's round trip.
func (s *Service) countQuestion(ctx context.Context, cmd Command, employeeID string) error {
	if !judgedByStore(cmd) || s.limiter == nil || s.cfg.RateLimit <= 0 {
		return nil
	}
	ok, after, err := s.limiter.Allow(ctx, rateKey(employeeID), s.cfg.RateLimit, s.cfg.RateWindow)
	if err != nil || ok {
		return err
	}
	return &Error{Code: ERATELIMIT, Message: "too many questions within " + s.cfg.RateWindow.String(), RetryAfter: after}
}
