package bots

import (
	"testing"

	"github.com/punchbot/punchbot/core"
)

func TestParseLeave(t *testing.T) {
	tests := []struct {
		text string
		want core.LeaveArgs
	}{
		{"请假 2026-12-03 全天 年假 搬家", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "年假", From: "2026-12-03", Reason: "搬家"}},
		{"请假 12-03 09:00-12:00 病假", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "病假", From: "12-03", StartClock: "09:00", EndClock: "12:00"}},
		{"请假 12-03 上午 事假", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "事假", From: "12-03", EndClock: "12:00"}},
		{"请假 12-03 下午 调休 看病", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "调休", From: "12-03", StartClock: "12:00", Reason: "看病"}},
		{"请假 12-03 9点-12点 病假", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "病假", From: "12-03", StartClock: "09:00", EndClock: "12:00"}},
		{"请假 12-03 09:00 - 12:00 病假", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "病假", From: "12-03", StartClock: "09:00", EndClock: "12:00"}},
		{"请假 12月3日 年假 回老家", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "年假", From: "12-03", Reason: "回老家"}},
		{"请假 12-03..12-05 年假 旅行", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "年假", From: "12-03", To: "12-05", Reason: "旅行"}},
		{"请假 12-03 至 12-05 婚假", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "婚假", From: "12-03", To: "12-05"}},
		{"请假 明天 育儿假 孩子生病", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "育儿假", From: "tomorrow", Reason: "孩子生病"}},
		{"请假 2026-12-03 家里有事", core.LeaveArgs{Type: core.RequestLeave, From: "2026-12-03", Reason: "家里有事"}},
		{"请假 年假 12-03", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "年假", From: "12-03"}},
		{"leave 2026-12-03 annual moving house", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "annual", From: "2026-12-03", Reason: "moving house"}},
		{"leave 2026-12-03 annual leave moving", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "annual", From: "2026-12-03", Reason: "moving"}},
		{"leave tomorrow am sick dentist", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "sick", From: "tomorrow", EndClock: "12:00", Reason: "dentist"}},
		{"leave 12-03 all day personal", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "personal", From: "12-03"}},
		{"出差 12-04..12-06 上海 客户验收", core.LeaveArgs{Type: core.RequestTrip, From: "12-04", To: "12-06", Place: "上海", Reason: "客户验收"}},
		{"出差 12-04~12-06 上海", core.LeaveArgs{Type: core.RequestTrip, From: "12-04", To: "12-06", Place: "上海"}},
		{"出差 12月4日到12月6日 深圳 展会", core.LeaveArgs{Type: core.RequestTrip, From: "12-04", To: "12-06", Place: "深圳", Reason: "展会"}},
		{"trip 12-04..12-06 Shanghai", core.LeaveArgs{Type: core.RequestTrip, From: "12-04", To: "12-06", Place: "Shanghai"}},
		{"trip 2026-12-04 to 2026-12-06 Shanghai customer visit", core.LeaveArgs{Type: core.RequestTrip, From: "2026-12-04", To: "2026-12-06", Place: "Shanghai", Reason: "customer visit"}},
		{"外出 14:00-16:00 客户拜访", core.LeaveArgs{Type: core.RequestOuting, From: "today", StartClock: "14:00", EndClock: "16:00", Reason: "客户拜访"}},
		{"外出 12-03 14:00-16:00 国贸 客户拜访", core.LeaveArgs{Type: core.RequestOuting, From: "12-03", StartClock: "14:00", EndClock: "16:00", Place: "国贸", Reason: "客户拜访"}},
		{"outing 14:00-16:00 client visit", core.LeaveArgs{Type: core.RequestOuting, From: "today", StartClock: "14:00", EndClock: "16:00", Place: "client", Reason: "visit"}},
		{"outing tomorrow 14:00~16:00 bank", core.LeaveArgs{Type: core.RequestOuting, From: "tomorrow", StartClock: "14:00", EndClock: "16:00", Reason: "bank"}},
		// What does not read sets Problem.
		{"请假 年假 搬家", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "年假", Reason: "搬家", Problem: core.ProblemDate}},
		{"请假 13-45 年假", core.LeaveArgs{Type: core.RequestLeave, Reason: "13-45 年假", Problem: core.ProblemDate}},
		{"请假 12-03 12:00-09:00 病假", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "病假", From: "12-03", Problem: core.ProblemTime}},
		{"请假 12-03 25:00-26:00", core.LeaveArgs{Type: core.RequestLeave, From: "12-03", Problem: core.ProblemTime}},
		{"请假 12-03 15:00 病假", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "病假", From: "12-03", StartClock: "15:00"}},
		{"leave 12-03 pm annual", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "annual", From: "12-03", StartClock: "12:00"}},
		{"外出 客户拜访", core.LeaveArgs{Type: core.RequestOuting, Reason: "客户拜访", Problem: core.ProblemDate}},
		{"trip Shanghai", core.LeaveArgs{Type: core.RequestTrip, Place: "Shanghai", Problem: core.ProblemDate}},
	}
	for _, tt := range tests {
		in := Parse(tt.text)
		if in.Kind != core.CmdLeave {
			t.Errorf("Parse(%q).Kind = %q, want %q", tt.text, in.Kind, core.CmdLeave)
			continue
		}
		if got := ParseLeave(in); got != tt.want {
			t.Errorf("ParseLeave(%q) =\n %+v, want\n %+v", tt.text, got, tt.want)
		}
	}
}

func TestLeaveCommandWithoutArguments(t *testing.T) {
	cmd := LeaveCommand(Parse("请假"))
	if cmd.Kind != core.CmdLeave || cmd.Leave == nil || cmd.Leave.Problem != ProblemUsage || cmd.Leave.Type != core.RequestLeave {
		t.Fatalf("LeaveCommand(请假) = %+v %+v, want CmdLeave with problem %q", cmd, cmd.Leave, ProblemUsage)
	}
	cmd = LeaveCommand(Parse("出差 12-04 上海"))
	if cmd.Leave.Problem != "" || cmd.Leave.Type != core.RequestTrip || cmd.Leave.Place != "上海" {
		t.Fatalf("LeaveCommand(出差 12-04 上海) = %+v, want a trip to 上海", cmd.Leave)
	}
}

// FuzzParseLeave: any text after 请假 / 出差 / 外出 parses without
// panicking into one of the three types, and a date it reads is in a form
// the core accepts.
func FuzzParseLeave(f *testing.F) {
	for _, s := range []string{"请假 2026-12-03 全天 年假 搬家", "出差 12-04..12-06 上海", "外出 14:00-16:00 客户", "leave 12-03 am sick", "请假 13-45 25:00-26:00", "trip ..", "外出 9点-", "请假 12-03 至", "加班 20:00-02:00 上线"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		in := Parse(text)
		if in.Kind != core.CmdLeave {
			return
		}
		a := ParseLeave(in)
		switch a.Type {
		case core.RequestLeave, core.RequestTrip, core.RequestOuting, core.RequestOvertime:
		default:
			t.Fatalf("ParseLeave(%q).Type = %q", text, a.Type)
		}
		for _, d := range []string{a.From, a.To} {
			if d != "" && d != "today" && d != "tomorrow" && len(d) != len("2006-01-02") && len(d) != len("01-02") {
				t.Fatalf("ParseLeave(%q) date %q is not a form the core reads", text, d)
			}
		}
		if a.Problem == "" && a.From == "" {
			t.Fatalf("ParseLeave(%q) has no date and no problem", text)
		}
	})
}
