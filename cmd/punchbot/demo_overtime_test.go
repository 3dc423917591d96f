package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestDemoOrgCountsOvertimeOnTheSalesSchedule: the demo organisation has
// overtime by approval (mode both) on the sales schedule, so the README's
// 加班 command and the overtime forms can be tried in the demo; with
// overtime off everywhere they could only be refused. The day schedule
// keeps it off, so the refusal can be seen too.
func TestDemoOrgCountsOvertimeOnTheSalesSchedule(t *testing.T) {
	_, s := startServer(t, env("PUNCHBOT_DB_PATH", filepath.Join(t.TempDir(), "p.db"), "PUNCHBOT_ADDR", "127.0.0.1:0"))
	org := applyDemoOrg(t, s)
	people := map[string]core.Employee{}
	for _, e := range org.Employees {
		people[e.ID] = e
	}
	for _, sc := range org.Schedules {
		if got, want := sc.Overtime.Mode, map[string]core.OvertimeMode{"day": core.OvertimeOff, "sales": core.OvertimeBoth}[sc.ID]; got != want {
			t.Errorf("schedule %s: overtime mode %q, want %q", sc.ID, got, want)
		}
	}
	ctx := context.Background()
	zone, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Now()
	date := now.In(zone).Format(core.DateLayout)
	tests := []struct {
		emp  string // E003 (Alice Chen) is on sales, E001 (张三) on the day schedule
		want core.Outcome
	}{
		{"E003", core.OutcomeMakeupFiled},
		{"E001", core.OutcomeMakeupRefused},
	}
	for i, tc := range tests {
		e := people[tc.emp]
		id, ok := chatIdentity(e)
		if !ok || e.ScheduleID == "" {
			t.Fatalf("%s has no chat account or schedule", tc.emp)
		}
		reply, err := s.core.Handle(ctx, core.Command{Actor: id, Kind: core.CmdLeave, At: now, ReceivedAt: now, Source: string(id.Platform),
			EventID: "test-demo-overtime-" + tc.emp + "-" + string(rune('a'+i)),
			Leave:   &core.LeaveArgs{Type: core.RequestOvertime, From: date, StartClock: "20:00", EndClock: "22:00", Reason: "客户演示"}})
		if err != nil {
			t.Fatalf("%s 加班: %v", tc.emp, err)
		}
		if reply.Outcome != tc.want {
			t.Errorf("%s (schedule %s) 加班 %s 20:00-22:00 = %s %v, want %s", tc.emp, e.ScheduleID, date, reply.Outcome, reply.Reasons, tc.want)
		}
	}
}
