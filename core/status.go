package core

import (
	"context"
	"time"
)

// status answers 状态 / status: the employee's current shift day (the
// shift the clock is in, else a rest day's stint still open after
// midnight, else today) as the punches and approvals so far make it, and
// when punching opens if the shift has not started. Nothing is punched;
// the reply is recorded with the event.
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
	err = s.inTx(ctx, func(tx Tx) error {
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
