package bots

import (
	"reflect"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestParseRevoke: 撤销 / revoke with a number takes an approval back, at
// the start of a message or after 补卡, 请假, 出差, 外出; 撤销 alone is
// still the cancel of the latest pending request.
func TestParseRevoke(t *testing.T) {
	revoke := func(id int64, note string) MakeupIntent {
		return MakeupIntent{Action: MakeupRevoke, Args: core.MakeupArgs{ID: id, Decision: core.MakeupRevoked, Note: note}}
	}
	tests := []struct {
		text string
		want MakeupIntent
	}{
		{"撤销 12 员工已到岗", revoke(12, "员工已到岗")},
		{"撤销 #12", revoke(12, "")},
		{"revoke 12 came to work after all", revoke(12, "came to work after all")},
		{"leave revoke 12 plans changed", revoke(12, "plans changed")},
		{"请假 撤销 12", revoke(12, "")},
		{"出差 revoke 7 客户改期", revoke(7, "客户改期")},
		{"补卡 撤销", MakeupIntent{Action: MakeupCancel}},
		{"请假 取消 12", MakeupIntent{Action: MakeupCancel, Args: core.MakeupArgs{ID: 12}}},
		{"makeup revoke", MakeupIntent{Action: MakeupRevoke, Args: core.MakeupArgs{Decision: core.MakeupRevoked}, Problem: ProblemID}},
		{"makeup revoke twelve", MakeupIntent{Action: MakeupRevoke, Args: core.MakeupArgs{Decision: core.MakeupRevoked}, Problem: ProblemID}},
	}
	for _, tc := range tests {
		in := Parse(tc.text)
		if in.Verb != VerbMakeup {
			t.Errorf("Parse(%q) = %+v, want the makeup verb", tc.text, in)
			continue
		}
		if got := ParseMakeup(in.Args); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseMakeup(%q)\n got %+v\nwant %+v", in.Args, got, tc.want)
		}
		if got, want := MakeupCommand(ParseMakeup(in.Args)).Kind, map[MakeupAction]core.CommandKind{MakeupRevoke: core.CmdMakeupDecide, MakeupCancel: core.CmdMakeupCancel}[tc.want.Action]; tc.want.Problem == "" && got != want {
			t.Errorf("MakeupCommand(%q).Kind = %s, want %s", tc.text, got, want)
		}
	}
	// Not a command: a sentence that starts with 撤销 but names no request.
	if in := Parse("撤销 这个"); in.Verb != "" || in.Kind != "" {
		t.Errorf("Parse(撤销 这个) = %+v, want nothing", in)
	}
}

// leaveSample is 张三's approved annual leave #12 on Thursday 2026-12-03,
// routed to Manager Mo.
func leaveSample(t *testing.T) core.MakeupView {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return core.MakeupView{
		Request: core.MakeupRequest{ID: 12, EmployeeID: "E1", Type: core.RequestLeave, LeaveType: "annual", ShiftDate: "2026-12-03",
			Start: time.Date(2026, 12, 3, 0, 0, 0, 0, loc), End: time.Date(2026, 12, 4, 0, 0, 0, 0, loc), Status: core.MakeupApproved,
			ApproverID: "M1", DecidedBy: "M1", DecidedAt: time.Date(2026, 12, 1, 9, 0, 0, 0, loc)},
		EmployeeName: "张三", ApproverName: "Manager Mo", DeciderName: "Manager Mo", TimeZone: "Asia/Shanghai",
		Leave: &core.LeaveView{TypeName: "年假", Days: 1, Minutes: 540},
	}
}

// TestTakeBackTexts: what the requester, the approver and their cards say
// about a withdrawal, a revocation and the refusals.
func TestTakeBackTexts(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	withdrawn := leaveSample(t)
	withdrawn.Request.Status, withdrawn.Request.DecidedBy, withdrawn.DeciderName = core.MakeupRevoked, "E1", "张三"
	withdrawn.Request.DecidedAt = time.Date(2026, 12, 2, 10, 0, 0, 0, loc)
	revoked := leaveSample(t)
	revoked.Request.Status, revoked.Request.DecidedAt, revoked.Request.Note = core.MakeupRevoked, time.Date(2026, 12, 3, 9, 30, 0, 0, loc), "员工已到岗"
	refused := func(rule string, typ core.RequestType) core.MakeupView {
		v := leaveSample(t)
		v.Request.Type, v.Refusal = typ, &core.MakeupRefusal{Rule: rule}
		return v
	}
	line := func(r core.Reply) string {
		s, _ := MakeupLine(r, r.Lang)
		return s
	}
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"the approver's card after a withdrawal", MakeupStatusLine(withdrawn, "zh"), "↩️ 批准后申请人已撤回（销假） · 12-02 10:00"},
		{"the card after a revocation", MakeupStatusLine(revoked, "en"), "🚫 Revoked after approval by Manager Mo · 12-03 09:30\nReason: 员工已到岗"},
		{"the approver is told of the withdrawal", MakeupResultText(withdrawn, "en"),
			"↩️ 张三 withdrew the approved leave request #12 (年假 2026-12-03 (Thu), all day); that time is ordinary working time again."},
		{"the requester is told of the revocation", MakeupResultText(revoked, "zh"),
			"🚫 你已获批的请假申请 #12（年假 2026-12-03（周四） 全天）被 Manager Mo 撤销，理由：员工已到岗。这段时间请正常打卡。"},
		{"the requester's answer", line(core.Reply{Outcome: core.OutcomeMakeupCancelled, Makeup: &withdrawn, Lang: "zh"}),
			"↩️ 已销假：已撤回已批准的请假申请 #12（年假 2026-12-03（周四） 全天），这段时间请正常打卡；已通知 Manager Mo。"},
		{"the approver's answer", line(core.Reply{Outcome: core.OutcomeMakeupDecided, Makeup: &revoked, Lang: "zh"}),
			"🚫 已撤销 张三 的请假申请 #12（年假 2026-12-03（周四） 全天），已通知申请人。理由：员工已到岗"},
		{"too late to withdraw", MakeupRefusalText(refused(core.WithdrawStarted, core.RequestLeave), "zh"),
			"❌ 请假申请 #12 已于 12-03 00:00 开始，不能再自行撤回；请联系审批人 Manager Mo 或 HR 撤销。"},
		{"a make-up is not revocable", MakeupRefusalText(refused(core.RevokeNotRevocable, core.RequestMakeup), "en"),
			"❌ The approval of make-up request #12 wrote a punch, so it cannot be revoked; HR can correct the punch at the console."},
		{"a pending request is decided", MakeupRefusalText(refused(core.RevokeNotApproved, core.RequestTrip), "en"),
			"❌ Business trip request #12 is still pending: approve or reject it instead (for example: reject 12 reason)."},
		{"a revocation needs a reason", MakeupRefusalText(refused(core.RevokeNeedsReason, core.RequestLeave), "zh"),
			"❌ 撤销需要写明理由，申请人会收到，例如：撤销 12 员工已到岗。"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, tc.got, tc.want)
		}
	}
}
