package bots

import (
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestNoticeTextNewKinds: still_clocked_in, makeup_deadline and HR's note
// under a reminder, in both languages and with each platform's way to act.
func TestNoticeTextNewKinds(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, sh) }
	still := core.Notice{Kind: core.ReminderStillClockedIn, TimeZone: "Asia/Shanghai", FireAt: at(26, 17, 45), ClockedInAt: at(26, 8, 45).Add(20 * time.Second), HoursAfter: 9, ShiftDate: "2026-11-26"}
	night := still
	night.ClockedInAt, night.FireAt = at(25, 22, 0), at(26, 7, 0)
	gap := core.MissingSlot{Date: "2026-11-25", Kind: core.KindOut, At: at(25, 18, 0)}
	deadline := core.Notice{Kind: core.ReminderMakeupDeadline, TimeZone: "Asia/Shanghai", FireAt: at(28, 10, 0), Gaps: 3, FileBy: "2026-11-29", QuotaLeft: 2, LatestGap: &gap}
	noLimits := deadline
	noLimits.FileBy, noLimits.QuotaLeft = "", 0
	noted := core.Notice{Kind: core.ReminderPunchOut, TimeZone: "Asia/Shanghai", ShiftDate: "2026-11-26", ShiftEnd: at(26, 18, 0), Text: "加班请先申请"}
	tests := []struct {
		name     string
		n        core.Notice
		lang     string
		platform core.Platform
		want     string
	}{
		{"still clocked in, zh, WeCom", still, "zh", core.PlatformWeCom,
			"⏰ 仍在上班提醒：你自今天 08:45 上班打卡，9 小时后仍未下班打卡。如已下班，请发送「下班」或你的位置，也可以点应用菜单的打卡按钮。"},
		{"still clocked in, en, Slack", still, "en", core.PlatformSlack,
			"⏰ Still clocked in: you clocked in at 08:45 today and have not clocked out 9 hours later. If you have finished, type /punch out (or DM me “out”), then tap “Share my location” in my reply to open the location page."},
		{"still clocked in since last night, en, Feishu", night, "en", "",
			"⏰ Still clocked in: you clocked in at 22:00 yesterday and have not clocked out 9 hours later. If you have finished, send “out” or your location."},
		{"make-up deadline, zh", deadline, "zh", "",
			"📋 补卡截止提醒：你还有 3 处缺卡、迟到或早退可以补卡，最早的一处最晚在 2026-11-29 提交；本月还可申请补卡 2 次。\n最近一处（2026-11-25 下班）的补卡请发送：补卡 2026-11-25 18:00 下班 <原因>"},
		{"make-up deadline, en", deadline, "en", "",
			"📋 Make-up deadline: you can still request a make-up for 3 missing, late or early punch(es); the earliest must be filed by 2026-11-29; 2 make-up request(s) left this month.\nFor the latest (2026-11-25 clock-out), send: makeup 2026-11-25 18:00 out <reason>"},
		{"make-up deadline without deadline or quota", noLimits, "zh", "",
			"📋 补卡截止提醒：你还有 3 处缺卡、迟到或早退可以补卡。\n最近一处（2026-11-25 下班）的补卡请发送：补卡 2026-11-25 18:00 下班 <原因>"},
		{"HR's note under a punch-out reminder", noted, "zh", "",
			"⏰ 下班打卡提醒：2026-11-26 的班次 18:00 结束，别忘了下班打卡：发送「下班」或你的位置。\n加班请先申请"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := NoticeTextOn(tc.n, tc.lang, tc.platform); got != tc.want {
				t.Errorf("NoticeTextOn =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		n    core.Notice
		want string
	}{{still, "Still clocked in"}, {deadline, "Make-up deadline"}} {
		if got := NoticeTitle(tc.n, "en"); got != tc.want {
			t.Errorf("NoticeTitle(%s) = %q, want %q", tc.n.Kind, got, tc.want)
		}
	}
}
