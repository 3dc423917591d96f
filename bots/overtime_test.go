package bots

import (
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

func TestParseOvertime(t *testing.T) {
	ot := core.RequestOvertime
	tests := []struct {
		text string
		want core.LeaveArgs
	}{
		{"加班 12-05 18:00-21:00 版本上线", core.LeaveArgs{Type: ot, From: "12-05", StartClock: "18:00", EndClock: "21:00", Reason: "版本上线"}},
		{"加班 18:00-21:00 版本 上线", core.LeaveArgs{Type: ot, From: "today", StartClock: "18:00", EndClock: "21:00", Reason: "版本 上线"}},
		{"加班 2026-12-05 10:00~16:00 周六值班", core.LeaveArgs{Type: ot, From: "2026-12-05", StartClock: "10:00", EndClock: "16:00", Reason: "周六值班"}},
		{"加班 明天 19点-22点", core.LeaveArgs{Type: ot, From: "tomorrow", StartClock: "19:00", EndClock: "22:00"}},
		{"加班 20:00-02:00 通宵发布", core.LeaveArgs{Type: ot, From: "today", StartClock: "20:00", EndClock: "02:00", Reason: "通宵发布"}},
		{"加班 12-05 18:00 - 21:00", core.LeaveArgs{Type: ot, From: "12-05", StartClock: "18:00", EndClock: "21:00"}},
		{"申请加班 12-05 18:00-21:00", core.LeaveArgs{Type: ot, From: "12-05", StartClock: "18:00", EndClock: "21:00"}},
		{"加班18:00-21:00", core.LeaveArgs{Type: ot, From: "today", StartClock: "18:00", EndClock: "21:00"}},
		{"overtime 12-05 18:00-21:00 release night", core.LeaveArgs{Type: ot, From: "12-05", StartClock: "18:00", EndClock: "21:00", Reason: "release night"}},
		{"overtime 19:00-21:30 on-call", core.LeaveArgs{Type: ot, From: "today", StartClock: "19:00", EndClock: "21:30", Reason: "on-call"}},
		{"<@U1> overtime tomorrow 18:00-20:00", core.LeaveArgs{Type: ot, From: "tomorrow", StartClock: "18:00", EndClock: "20:00"}},
		// What does not read sets Problem; the core answers with the format.
		{"加班 版本上线", core.LeaveArgs{Type: ot, Reason: "版本上线", Problem: core.ProblemDate}},
		{"加班 12-05 25:00-26:00", core.LeaveArgs{Type: ot, From: "12-05", Problem: core.ProblemTime}},
		{"overtime 12-05 18:00-18:00", core.LeaveArgs{Type: ot, From: "12-05", Problem: core.ProblemTime}},
	}
	for _, tt := range tests {
		in := Parse(tt.text)
		if in.Kind != core.CmdLeave || in.Verb != VerbOvertime {
			t.Errorf("Parse(%q) = %+v, want CmdLeave %s", tt.text, in, VerbOvertime)
			continue
		}
		if got := ParseLeave(in); got != tt.want {
			t.Errorf("ParseLeave(%q) =\n %+v, want\n %+v", tt.text, got, tt.want)
		}
	}
}

// TestOvertimeGrammarRoutesTheEngine: withdrawing or deciding overtime is
// the request engine's command, as for leave; "加班" alone asks for the
// format.
func TestOvertimeGrammarRoutesTheEngine(t *testing.T) {
	for _, tt := range []struct{ text, want, args string }{
		{"加班 取消 12", "makeup", "取消 12"},
		{"overtime cancel #3", "makeup", "cancel #3"},
		{"overtime approve 5", "makeup", "approve 5"},
		{"加班", "overtime", ""},
	} {
		in := Parse(tt.text)
		if got := kindOf(in); got != tt.want || in.Args != tt.args {
			t.Errorf("Parse(%q) = %s %q, want %s %q", tt.text, got, in.Args, tt.want, tt.args)
		}
	}
	if cmd := LeaveCommand(Parse("加班")); cmd.Leave.Problem != ProblemUsage || cmd.Leave.Type != core.RequestOvertime {
		t.Errorf("LeaveCommand(加班) = %+v, want the overtime usage", cmd.Leave)
	}
}

// TestOvertimeTexts: what the approver's card, the requester's replies and
// the refusals say about overtime, in both languages.
func TestOvertimeTexts(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	v := core.MakeupView{EmployeeName: "张三", ApproverName: "王经理", TimeZone: "Asia/Shanghai",
		Request: core.MakeupRequest{ID: 7, Type: core.RequestOvertime, EmployeeID: "E1", ShiftDate: "2026-12-05", Status: core.MakeupPending,
			Start: time.Date(2026, 12, 5, 18, 0, 0, 0, loc), End: time.Date(2026, 12, 5, 21, 0, 0, 0, loc), Reason: "上线"},
		Leave: &core.LeaveView{Minutes: 150}}
	card := MakeupCardContent(v, "zh").Text()
	for _, want := range []string{"加班申请 #7 · 张三", "2026-12-05（周六） 18:00–21:00", "加班时长：2.5 小时", "事由：上线"} {
		if !strings.Contains(card, want) {
			t.Errorf("zh card lacks %q:\n%s", want, card)
		}
	}
	if en := MakeupCardContent(v, "en").Text(); !strings.Contains(en, "Overtime request #7") || !strings.Contains(en, "Overtime: 2.5 h") {
		t.Errorf("en card:\n%s", en)
	}
	filed, _ := MakeupLine(core.Reply{Outcome: core.OutcomeMakeupFiled, Makeup: &v}, "zh")
	if !strings.Contains(filed, "加班申请 #7 已提交") || !strings.Contains(filed, "等待 王经理 审批") || !strings.Contains(filed, "加班时长 2.5 小时") {
		t.Errorf("filed reply = %q", filed)
	}
	approved := v
	approved.Request.Status, approved.Request.DecidedBy, approved.DeciderName = core.MakeupApproved, "M1", "王经理"
	if got := MakeupResultText(approved, "en"); !strings.Contains(got, "Your overtime request #7") || !strings.Contains(got, "approved") {
		t.Errorf("result text = %q", got)
	}
	for _, tt := range []struct {
		rule, lang, want string
	}{
		{core.OvertimeNotByApproval, "zh", "不按审批计算加班"},
		{core.OvertimeNoTime, "en", "none of that time is overtime"},
		{core.LeaveOverlap, "zh", "与申请 #3 的时间重叠"},
	} {
		refused := v
		refused.Refusal = &core.MakeupRefusal{Rule: tt.rule, OtherID: 3}
		if got := MakeupRefusalText(refused, tt.lang); !strings.Contains(got, tt.want) {
			t.Errorf("refusal %s = %q, want %q", tt.rule, got, tt.want)
		}
	}
	usage := v
	usage.Refusal, usage.Problem = &core.MakeupRefusal{Rule: core.MakeupInvalid}, ProblemUsage
	if got := MakeupRefusalText(usage, "zh"); !strings.Contains(got, "加班格式：加班 [12-05] 18:00-21:00 事由") {
		t.Errorf("usage = %q", got)
	}
	if got := OvertimeKindWord(core.OvertimeRestDay, "zh") + "/" + OvertimeKindWord(core.OvertimeHoliday, "en"); got != "休息日/holiday" {
		t.Errorf("kind words = %q", got)
	}
}
