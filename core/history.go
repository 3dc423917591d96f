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
	dates := make([]string, HistoryDays)
	for i := range dates {
		d := local.AddDate(0, 0, i-(HistoryDays-1))
		dates[i] = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, r.Loc).Format(DateLayout)
	}
	err = s.inTx(ctx, func(tx Tx) error {
		// Two reads for the week, not two a day: on PostgreSQL each read
		// is a round trip.
		punches, err := tx.ShiftPunchesBetween(ctx, r.Employee.ID, dates[0], dates[len(dates)-1])
		if err != nil {
			return err
		}
		byDate := map[string][]Punch{}
		for _, p := range punches {
			byDate[p.ShiftDate] = append(byDate[p.ShiftDate], p)
		}
		f := approvalFilter(dates[0], dates[len(dates)-1]) // ComputeDayWith keeps what touches each day
		f.EmployeeID = r.Employee.ID
		approvals, err := tx.ListMakeups(ctx, f)
		if err != nil {
			return err
		}
		for _, date := range dates {
			day := ComputeDayWith(r, date, byDate[date], approvals, now)
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
