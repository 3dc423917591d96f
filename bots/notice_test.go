package bots

import (
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

func TestNoticeText(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	at := func(h, m int) time.Time { return time.Date(2026, 11, 26, h, m, 0, 0, sh) }
	fire := at(8, 50)
	missing := []core.MissingSlot{{Date: "2026-11-25", Kind: core.KindIn, At: at(9, 0).AddDate(0, 0, -1)}, {Date: "2026-11-25", Kind: core.KindOut, At: at(18, 0).AddDate(0, 0, -1)}}
	pending := []core.PendingMakeup{{ID: 12, EmployeeName: "张三", ShiftDate: "2026-11-24", Kind: core.KindIn, At: at(9, 0).AddDate(0, 0, -2), CreatedAt: fire.Add(-30 * time.Hour)}}
	tests := []struct {
		name string
		n    core.Notice
		lang string
		want []string
		not  []string
	}{
		{"punch in, zh", core.Notice{Kind: core.ReminderPunchIn, TimeZone: "Asia/Shanghai", ShiftDate: "2026-11-26", ShiftStart: at(9, 0), FireAt: fire}, "zh",
			[]string{"上班打卡提醒", "2026-11-26", "09:00", "「上班」"}, []string{"late"}},
		{"punch in, en from the notice's language", core.Notice{Kind: core.ReminderPunchIn, Lang: "en", TimeZone: "Asia/Shanghai", ShiftDate: "2026-11-26", ShiftStart: at(9, 0)}, "zh",
			[]string{"Clock-in reminder", "09:00", "“in”"}, nil},
		{"punch in, the employee's own zone", core.Notice{Kind: core.ReminderPunchIn, Lang: "en", TimeZone: "America/New_York", ShiftStart: at(22, 0)}, "",
			[]string{"09:00"}, nil},
		{"punch out", core.Notice{Kind: core.ReminderPunchOut, TimeZone: "Asia/Shanghai", ShiftDate: "2026-11-26", ShiftEnd: at(18, 20)}, "zh",
			[]string{"下班打卡提醒", "18:20", "「下班」"}, nil},
		{"missed punch with the make-up hint", core.Notice{Kind: core.ReminderMissedPunch, TimeZone: "Asia/Shanghai", Missing: missing}, "zh",
			[]string{"缺卡提醒：2026-11-25 缺少上班打卡（09:00）、下班打卡（18:00）", "补卡 2026-11-25 09:00 上班 <原因>"}, nil},
		{"missed punch, en", core.Notice{Kind: core.ReminderMissedPunch, Lang: "en", TimeZone: "Asia/Shanghai", Missing: missing[1:]}, "",
			[]string{"Missed punch on 2026-11-25: no clock-out (18:00)", "makeup 2026-11-25 18:00 out <reason>"}, nil},
		{"digest", core.Notice{Kind: core.ReminderApprovalDigest, TimeZone: "Asia/Shanghai", FireAt: fire, Pending: pending, PendingTotal: 3, OlderThanHours: 24}, "zh",
			[]string{"3 条补卡申请等待你审批超过 24 小时", "张三 2026-11-24 上班 09:00（#12，已等待 30 小时）", "还有 2 条"}, nil},
		{"late reminders say so", core.Notice{Kind: core.ReminderPunchIn, Late: true, ShiftStart: at(9, 0)}, "en",
			[]string{"This reminder is late"}, nil},
		{"a broadcast is HR's text as written", core.Notice{Kind: core.ReminderBroadcast, Text: "**周会** 10:30", Markdown: true, Late: true}, "en",
			[]string{"**周会** 10:30"}, []string{"late", "迟"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := NoticeText(tc.n, tc.lang)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("NoticeText = %q, want it to contain %q", got, w)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(got, w) {
					t.Errorf("NoticeText = %q, want no %q", got, w)
				}
			}
		})
	}
	if got := MakeupButtonLabel("en"); got != "Request make-up" {
		t.Errorf("button = %q", got)
	}
	if got := NoticeTitle(core.Notice{Kind: core.ReminderMissedPunch}, "zh"); got != "缺卡提醒" {
		t.Errorf("title = %q", got)
	}
}
