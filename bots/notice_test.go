package bots

import (
	"slices"
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

// TestNoticeTextOnPlatforms: the punch reminders tell each platform's
// users how to act; Slack, which cannot send a location, gets the slash
// command and the location page.
func TestNoticeTextOnPlatforms(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	in := core.Notice{Kind: core.ReminderPunchIn, TimeZone: "Asia/Shanghai", ShiftDate: "2026-11-26", ShiftStart: time.Date(2026, 11, 26, 9, 0, 0, 0, sh)}
	out := core.Notice{Kind: core.ReminderPunchOut, Lang: "en", TimeZone: "Asia/Shanghai", ShiftDate: "2026-11-26", ShiftEnd: time.Date(2026, 11, 26, 18, 0, 0, 0, sh)}
	tests := []struct {
		n         core.Notice
		platform  core.Platform
		want, not string
	}{
		{in, core.PlatformSlack, "输入 /punch 上班（或私信我「上班」），再点回复里的「发送我的位置」按钮打开定位页面", "或你的位置"},
		{out, core.PlatformSlack, "type /punch out (or DM me “out”), then tap “Share my location”", "your location"},
		{in, core.PlatformWeCom, "发送「上班」或你的位置，也可以点应用菜单的打卡按钮", "/punch"},
		{in, core.PlatformFeishu, "发送「上班」或你的位置即可打卡", "/punch"},
		{out, "", "send “out” or your location", "/punch"},
	}
	for _, tt := range tests {
		got := NoticeTextOn(tt.n, "", tt.platform)
		if !strings.Contains(got, tt.want) || strings.Contains(got, tt.not) {
			t.Errorf("NoticeTextOn(%s, %s) = %q, want %q and not %q", tt.n.Kind, tt.platform, got, tt.want, tt.not)
		}
	}
}

// TestDigestListsEveryRequestType: a digest with leave and a field punch
// names each by its type.
func TestDigestListsEveryRequestType(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	fire := time.Date(2026, 12, 2, 9, 0, 0, 0, sh)
	n := core.Notice{Kind: core.ReminderApprovalDigest, TimeZone: "Asia/Shanghai", FireAt: fire, PendingTotal: 2, OlderThanHours: 24, Pending: []core.PendingMakeup{
		{ID: 3, EmployeeName: "张三", Type: core.RequestLeave, LeaveType: "annual", Start: time.Date(2026, 12, 3, 0, 0, 0, 0, sh), End: time.Date(2026, 12, 4, 0, 0, 0, 0, sh), CreatedAt: fire.Add(-26 * time.Hour)},
		{ID: 4, EmployeeName: "李四", Type: core.RequestField, ShiftDate: "2026-12-01", Kind: core.KindIn, At: time.Date(2026, 12, 1, 9, 10, 0, 0, sh), CreatedAt: fire.Add(-48 * time.Hour)},
	}}
	text := NoticeText(n, "zh")
	for _, want := range []string{"2 条申请等待你审批超过 24 小时", "张三 请假申请（annual 2026-12-03（周四） 全天）（#3，已等待 26 小时）", "李四 外勤打卡（2026-12-01 上班 09:10）（#4，已等待 48 小时）"} {
		if !strings.Contains(text, want) {
			t.Errorf("digest lacks %q:\n%s", want, text)
		}
	}
	if got := NoticeTitle(n, "en"); got != "Requests waiting for you" {
		t.Errorf("title = %q", got)
	}
}

// TestPunchInNoticeSaysWhichDay: a reminder that fires the evening before
// its shift (a 00:30 start, or a long lead) says tomorrow, not today.
func TestPunchInNoticeSaysWhichDay(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	start := time.Date(2026, 11, 27, 0, 30, 0, 0, sh)
	tests := []struct {
		name string
		fire time.Time
		zone string
		lang string
		want string
	}{
		{"the evening before, zh", start.Add(-time.Hour), "Asia/Shanghai", "zh", "上班打卡提醒：明天（2026-11-27）00:30 上班"},
		{"the evening before, en", start.Add(-time.Hour), "Asia/Shanghai", "en", "your shift starts at 00:30 tomorrow (2026-11-27)"},
		{"the same morning, zh", start.Add(-10 * time.Minute), "Asia/Shanghai", "zh", "上班打卡提醒：今天（2026-11-27）00:30 上班"},
		{"the same morning, en", start.Add(-10 * time.Minute), "Asia/Shanghai", "en", "your shift starts at 00:30 today (2026-11-27)"},
		{"days are the employee's, not UTC's", start.Add(-10 * time.Minute), "Asia/Shanghai", "en", "today"},
		{"no fire time (a preview of old data)", time.Time{}, "Asia/Shanghai", "zh", "今天（2026-11-27）00:30"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := core.Notice{Kind: core.ReminderPunchIn, Lang: tc.lang, TimeZone: tc.zone, ShiftDate: "2026-11-27", ShiftStart: start, FireAt: tc.fire}
			if got := NoticeText(n, tc.lang); !strings.Contains(got, tc.want) {
				t.Errorf("NoticeText = %q, want it to contain %q", got, tc.want)
			}
		})
	}
}

// TestDigestEndsWithTheBatchCommand: a digest of several requests ends
// with the command that approves exactly those it listed, and that
// command reads back as the batch decision of those numbers.
func TestDigestEndsWithTheBatchCommand(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	fire := time.Date(2026, 12, 2, 9, 0, 0, 0, sh)
	pending := []core.PendingMakeup{
		{ID: 12, EmployeeName: "张三", ShiftDate: "2026-12-01", Kind: core.KindIn, At: time.Date(2026, 12, 1, 9, 0, 0, 0, sh), CreatedAt: fire.Add(-30 * time.Hour)},
		{ID: 15, EmployeeName: "李四", ShiftDate: "2026-12-01", Kind: core.KindOut, At: time.Date(2026, 12, 1, 18, 0, 0, 0, sh), CreatedAt: fire.Add(-26 * time.Hour)},
	}
	tests := []struct {
		name    string
		pending []core.PendingMakeup
		total   int
		lang    string
		want    string // the last line; "" for no batch line
		command string // the command in it
	}{
		{"two, zh", pending, 2, "zh", "回复「同意 12 15」同意以上全部，或「驳回 编号 理由」驳回其中一条。", "同意 12 15"},
		{"two of five, en: only the listed ones", pending, 5, "en", "Reply “approve 12 15” to approve all of these, or “reject <number> <reason>” to reject one.", "approve 12 15"},
		{"one: the card's own command is enough", pending[:1], 1, "zh", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := core.Notice{Kind: core.ReminderApprovalDigest, TimeZone: "Asia/Shanghai", FireAt: fire, Pending: tc.pending, PendingTotal: tc.total, OlderThanHours: 24}
			text := NoticeText(n, tc.lang)
			lines := strings.Split(text, "\n")
			last := lines[len(lines)-1]
			if tc.want == "" {
				if strings.Contains(text, "同意以上全部") || strings.Contains(text, "approve all") {
					t.Errorf("digest of one offers a batch command:\n%s", text)
				}
				return
			}
			if last != tc.want {
				t.Errorf("last line = %q, want %q", last, tc.want)
			}
			got := ParseMakeup(tc.command)
			if got.Action != MakeupBatch || got.Args.Decision != core.MakeupApproved || !slices.Equal(got.Args.IDs, []int64{12, 15}) {
				t.Errorf("ParseMakeup(%q) = %+v, want the batch approval of 12 and 15", tc.command, got)
			}
		})
	}
}
