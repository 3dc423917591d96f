package scheduler_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/scheduler"
)

// stillOrg is schedOrg with only a still_clocked_in reminder of 9 hours.
func stillOrg() core.Org {
	org := schedOrg()
	org.Reminders = []core.Reminder{{ID: "still", Kind: core.ReminderStillClockedIn, Enabled: true}}
	return org
}

// punchOut punches an employee out at the office at t.
func (e *env) punchOut(tb testing.TB, user string, p core.Platform, t time.Time) {
	tb.Helper()
	e.clock.Set(t)
	r, err := e.svc.Handle(context.Background(), core.Command{Actor: core.Identity{Platform: p, UserID: user, Tenant: "corp"}, Kind: core.CmdPunch,
		Punch: core.KindOut, At: t, Location: &core.Location{Lat: office.Lat, Lng: office.Lng, Datum: core.WGS84}, EventID: "ev-out-" + user + t.String()})
	if err != nil || r.Outcome != core.OutcomeAccepted {
		tb.Fatalf("punch out %s at %s: %+v, %v", user, t, r, err)
	}
}

// TestStillClockedInFires: ticking every minute of the day, the reminder
// goes to whoever clocked in 9 hours earlier and is still in, once, and a
// second scheduler on the same store (a second replica, a restart) queues
// nothing more.
func TestStillClockedInFires(t *testing.T) {
	e := newEnv(t, stillOrg(), scheduler.Config{})
	e.tick(t, at(t, "Asia/Shanghai", "2026-11-26 08:00:00"))
	e.punchIn(t, "zhangsan", core.PlatformWeCom, at(t, "Asia/Shanghai", "2026-11-26 08:45:10"))
	e.punchIn(t, "ou_li", core.PlatformFeishu, at(t, "Asia/Shanghai", "2026-11-26 08:50:00"))
	e.punchOut(t, "ou_li", core.PlatformFeishu, at(t, "Asia/Shanghai", "2026-11-26 17:40:00"))
	other := mustScheduler(t, e.store, e.clock.Now, scheduler.Config{})
	for m := at(t, "Asia/Shanghai", "2026-11-26 08:01:00"); !m.After(at(t, "Asia/Shanghai", "2026-11-26 23:00:00")); m = m.Add(time.Minute) {
		e.tick(t, m.Add(time.Second))
		if _, err := other.Tick(context.Background(), m.Add(2*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	ns := e.notices(t, "still")
	if got := whoGot(ns); !slices.Equal(got, []string{"zhang"}) {
		t.Fatalf("still_clocked_in went to %v, want [zhang] (li clocked out)", got)
	}
	n, ok := ns["zhang@2026-11-26T09:45:00Z"]
	if !ok {
		t.Fatalf("notices = %v, want zhang's at 17:45 Shanghai", ns)
	}
	if !n.ClockedInAt.Equal(at(t, "Asia/Shanghai", "2026-11-26 08:45:10")) || n.ShiftDate != "2026-11-26" || n.HoursAfter != 9 || n.Late {
		t.Errorf("notice = %+v, want clocked in 08:45:10 on the 11-26 shift, 9 h, on time", n)
	}
	fs, _ := e.store.ListFirings(context.Background(), core.FiringFilter{ReminderID: "still"})
	if len(fs) != 1 || fs[0].Recipients != 1 {
		t.Errorf("firings = %+v, want one (minutes that reach nobody record nothing)", fs)
	}
}

// TestStillClockedInAfterDowntime: down from 17:30 to 18:30, past the late
// window, the reminder still goes out, late, to someone who is still in:
// unlike a punch-in reminder it stays true; and not to someone who
// clocked out meanwhile.
func TestStillClockedInAfterDowntime(t *testing.T) {
	e := newEnv(t, stillOrg(), scheduler.Config{LateWindow: 15 * time.Minute})
	e.tick(t, at(t, "Asia/Shanghai", "2026-11-26 08:00:00"))
	e.punchIn(t, "zhangsan", core.PlatformWeCom, at(t, "Asia/Shanghai", "2026-11-26 08:45:00"))
	e.punchIn(t, "ou_li", core.PlatformFeishu, at(t, "Asia/Shanghai", "2026-11-26 08:50:00"))
	e.tick(t, at(t, "Asia/Shanghai", "2026-11-26 17:30:00"))
	e.punchOut(t, "ou_li", core.PlatformFeishu, at(t, "Asia/Shanghai", "2026-11-26 18:10:00"))
	res := e.tick(t, at(t, "Asia/Shanghai", "2026-11-26 18:30:00"))
	ns := e.notices(t, "still")
	if got := whoGot(ns); !slices.Equal(got, []string{"zhang"}) {
		t.Fatalf("after downtime still_clocked_in went to %v, want [zhang]", got)
	}
	if n := ns["zhang@2026-11-26T09:45:00Z"]; !n.Late {
		t.Errorf("notice = %+v, want it marked late", n)
	}
	if res.Skipped != 0 || res.Late != 1 {
		t.Errorf("tick = %+v, want one late firing and nothing skipped", res)
	}
}

// TestMakeupDeadlineFires: at its cron time everyone with gaps they may
// still file gets one message with the count, the last date and the
// quota; nobody else (no chat account, inactive, no schedule) does.
func TestMakeupDeadlineFires(t *testing.T) {
	for _, chunk := range []int{1000, 1, 2} {
		t.Run(fmt.Sprintf("chunk %d", chunk), func(t *testing.T) {
			defer scheduler.SetDeadlineChunk(chunk)()
			testMakeupDeadlineFires(t)
		})
	}
}

// testMakeupDeadlineFires is TestMakeupDeadlineFires with the punches read
// in chunks of whatever size the caller set: chunks of one person or two
// must find the same gaps as one read of everybody.
func testMakeupDeadlineFires(t *testing.T) {
	org := schedOrg()
	org.Makeup = core.MakeupPolicy{MonthlyQuota: 3, DeadlineDays: 7}
	org.Reminders = []core.Reminder{{ID: "month-end", Kind: core.ReminderMakeupDeadline, Cron: "CRON_TZ=Asia/Shanghai 0 10 28 * *", Enabled: true}}
	e := newEnv(t, org, scheduler.Config{})
	e.punchIn(t, "zhangsan", core.PlatformWeCom, at(t, "Asia/Shanghai", "2026-11-26 08:45:00"))
	fire := at(t, "Asia/Shanghai", "2026-11-28 10:00:00")
	e.tick(t, fire.Add(-time.Minute))
	if res := e.tick(t, fire.Add(time.Second)); res.Fired != 1 {
		t.Fatalf("tick = %+v, want one firing", res)
	}
	ns := e.notices(t, "month-end")
	if got := whoGot(ns); !slices.Equal(got, []string{"alice", "li", "zhang"}) {
		t.Fatalf("makeup_deadline went to %v, want [alice li zhang]", got)
	}
	// 11-20 closed at midnight; 11-23, 24, 25 and 27 are absent (two gaps
	// each) and 11-26 lacks its clock-out.
	z := ns["zhang@2026-11-28T02:00:00Z"]
	if z.Gaps != 9 || z.FileBy != "2026-11-30" || z.QuotaLeft != 3 || z.LatestGap == nil || z.LatestGap.Date != "2026-11-27" || z.LatestGap.Kind != core.KindOut {
		t.Errorf("zhang's notice = gaps %d, file by %q, quota %d, latest %+v; want 9, 2026-11-30, 3, the 11-27 clock-out", z.Gaps, z.FileBy, z.QuotaLeft, z.LatestGap)
	}
	// The next minute, or a second replica, sends nothing more.
	e.tick(t, fire.Add(time.Minute+time.Second))
	other := mustScheduler(t, e.store, e.clock.Now, scheduler.Config{})
	if _, err := other.Tick(context.Background(), fire.Add(time.Minute+2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := len(e.notices(t, "month-end")); got != 3 {
		t.Errorf("%d notices after more ticks, want the 3", got)
	}
}
