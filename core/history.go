package core

import (
	"context"
	"time"
)

// HistoryDays is how many shift dates the history command (记录 / this
// week) answers with: today and the six before, so that a week is always
// whole whatever day it is asked on, as a personal weekly report
// (DingTalk's 个人考勤周报) is.
const HistoryDays = 7

// history answers CmdHistory: the day results of the last HistoryDays
// shift dates, oldest first, computed from punches and approved requests
// as the status and the reports are. Each day keeps only the time and
// direction of its counted punches: the reply is stored with the event and
// in the outbox, and needs no coordinates.
func (s *Service) history(ctx context.Context, cmd Command, base Reply) (Reply, error) {
	r, err := s.Roster(ctx, base.EmployeeID)
	if err != nil {
		return Reply{}, err
	}
	now := s.now()
	local := now.In(r.Loc)
	reply := base
	reply.Outcome, reply.At = OutcomeStatus, now
	err = s.store.InTx(ctx, func(tx Tx) error {
		for i := HistoryDays - 1; i >= 0; i-- {
			d := local.AddDate(0, 0, -i)
			date := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, r.Loc).Format(DateLayout)
			punches, err := tx.ShiftPunches(ctx, r.Employee.ID, date)
			if err != nil {
				return err
			}
			approvals, err := dayApprovals(ctx, tx, r, date) // leave_day.go
			if err != nil {
				return err
			}
			day := ComputeDayWith(r, date, punches, approvals, now)
			day.In, day.Out = slimPunch(day.In), slimPunch(day.Out)
			day.Approvals = nil
			reply.Days = append(reply.Days, day)
		}
		reply.ShiftDate = reply.Days[len(reply.Days)-1].Date
		// The latest day with a gap names its slot, so the reply can spell
		// out that 补卡 command (Reply.SlotKind, SlotAt; ShiftDate is then
		// that day's).
		for i := len(reply.Days) - 1; i >= 0; i-- {
			if kind, at, ok := daySlot(r, reply.Days[i]); ok {
				reply.SlotKind, reply.SlotAt, reply.ShiftDate = kind, at, reply.Days[i].Date
				break
			}
		}
		return s.record(ctx, tx, cmd, reply)
	})
	return s.settle(ctx, cmd, reply, err)
}

// slimPunch keeps what a history line shows of a punch.
func slimPunch(p *Punch) *Punch {
	if p == nil {
		return nil
	}
	return &Punch{Kind: p.Kind, At: p.At, ShiftDate: p.ShiftDate, Outcome: p.Outcome, Source: p.Source}
}
