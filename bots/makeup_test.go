package bots

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

func TestParseMakeup(t *testing.T) {
	tests := []struct {
		text string
		want MakeupIntent
	}{
		{"补卡 11-25 09:00 上班 地铁故障", MakeupIntent{Action: MakeupFile, Args: core.MakeupArgs{Date: "11-25", Clock: "09:00", Kind: core.KindIn, Reason: "地铁故障"}}},
		{"makeup 2026-11-25 09:00 in subway outage", MakeupIntent{Action: MakeupFile, Args: core.MakeupArgs{Date: "2026-11-25", Clock: "09:00", Kind: core.KindIn, Reason: "subway outage"}}},
		{"/punch makeup 11/25 6:05 out forgot to clock out", MakeupIntent{Action: MakeupFile, Args: core.MakeupArgs{Date: "11-25", Clock: "06:05", Kind: core.KindOut, Reason: "forgot to clock out"}}},
		{"补卡 下班 18：30 11月24日 忘记打卡", MakeupIntent{Action: MakeupFile, Args: core.MakeupArgs{Date: "11-24", Clock: "18:30", Kind: core.KindOut, Reason: "忘记打卡"}}},
		{"补卡 昨天 9点 上班 堵车", MakeupIntent{Action: MakeupFile, Args: core.MakeupArgs{Date: "yesterday", Clock: "09:00", Kind: core.KindIn, Reason: "堵车"}}},
		{"补卡 2026年11月25日 9点30 签到 医院", MakeupIntent{Action: MakeupFile, Args: core.MakeupArgs{Date: "2026-11-25", Clock: "09:30", Kind: core.KindIn, Reason: "医院"}}},
		{"补卡 11-25 下午6点半 下班 忘了", MakeupIntent{Action: MakeupFile, Args: core.MakeupArgs{Date: "11-25", Clock: "18:30", Kind: core.KindOut, Reason: "忘了"}}},
		{"补卡 11-25 上午9:05 上班 堵车", MakeupIntent{Action: MakeupFile, Args: core.MakeupArgs{Date: "11-25", Clock: "09:05", Kind: core.KindIn, Reason: "堵车"}}},
		{"补卡 11-25 晚上12点 下班 加班", MakeupIntent{Action: MakeupFile, Args: core.MakeupArgs{Date: "11-25", Reason: "晚上12点 下班 加班"}, Problem: core.ProblemTime}},
		{"补卡 11-25 中午1点 上班 看病", MakeupIntent{Action: MakeupFile, Args: core.MakeupArgs{Date: "11-25", Clock: "13:00", Kind: core.KindIn, Reason: "看病"}}},
		{"补卡 11-25 8点半 上班 堵车", MakeupIntent{Action: MakeupFile, Args: core.MakeupArgs{Date: "11-25", Clock: "08:30", Kind: core.KindIn, Reason: "堵车"}}},
		{"makeup 2026-11-25T09:00 in train late", MakeupIntent{Action: MakeupFile, Args: core.MakeupArgs{Date: "2026-11-25", Clock: "09:00", Kind: core.KindIn, Reason: "train late"}}},
		{"补卡 11-25 09:00 上班", MakeupIntent{Action: MakeupFile, Args: core.MakeupArgs{Date: "11-25", Clock: "09:00", Kind: core.KindIn}, Problem: core.ProblemReason}},
		{"补卡 11-25 上班 地铁", MakeupIntent{Action: MakeupFile, Args: core.MakeupArgs{Date: "11-25", Kind: core.KindIn, Reason: "地铁"}, Problem: core.ProblemTime}},
		{"补卡 09:00 上班 地铁", MakeupIntent{Action: MakeupFile, Args: core.MakeupArgs{Clock: "09:00", Kind: core.KindIn, Reason: "地铁"}, Problem: core.ProblemDate}},
		{"makeup 11-25 09:00 subway", MakeupIntent{Action: MakeupFile, Args: core.MakeupArgs{Date: "11-25", Clock: "09:00", Reason: "subway"}, Problem: core.ProblemKind}},
		{"makeup 13-45 09:00 in x", MakeupIntent{Action: MakeupFile, Args: core.MakeupArgs{Reason: "13-45 09:00 in x"}, Problem: core.ProblemDate}},
		{"makeup 11-25 24:00 in x", MakeupIntent{Action: MakeupFile, Args: core.MakeupArgs{Date: "11-25", Reason: "24:00 in x"}, Problem: core.ProblemTime}},
		{"补卡", MakeupIntent{Action: MakeupForm}},
		{"/punch makeup", MakeupIntent{Action: MakeupForm}},
		{"补卡 取消", MakeupIntent{Action: MakeupCancel}},
		{"makeup cancel #12", MakeupIntent{Action: MakeupCancel, Args: core.MakeupArgs{ID: 12}}},
		{"makeup cancel please", MakeupIntent{Action: MakeupCancel, Problem: ProblemID}},
		{"补卡 同意 12", MakeupIntent{Action: MakeupApprove, Args: core.MakeupArgs{ID: 12, Decision: core.MakeupApproved}}},
		// A decision word alone lists the approver's pending requests.
		{"makeup approve", MakeupIntent{Action: MakeupBatch, Args: core.MakeupArgs{Decision: core.MakeupApproved}}},
		{"补卡 驳回 #7 没有证明 请补充", MakeupIntent{Action: MakeupReject, Args: core.MakeupArgs{ID: 7, Decision: core.MakeupRejected, Note: "没有证明 请补充"}}},
		{"makeup reject 7", MakeupIntent{Action: MakeupReject, Args: core.MakeupArgs{ID: 7, Decision: core.MakeupRejected}}},
		// Several requests at once are a batch (makeup_batch.go), never
		// the first with the others as its note.
		{"同意 12 13", MakeupIntent{Action: MakeupBatch, Args: core.MakeupArgs{Decision: core.MakeupApproved, IDs: []int64{12, 13}}}},
		{"approve #12, #13 #14", MakeupIntent{Action: MakeupBatch, Args: core.MakeupArgs{Decision: core.MakeupApproved, IDs: []int64{12, 13, 14}}}},
		{"驳回 12 2 次迟到", MakeupIntent{Action: MakeupReject, Args: core.MakeupArgs{ID: 12, Decision: core.MakeupRejected, Note: "2 次迟到"}}},
		{"驳回 12、13 都没有证明", MakeupIntent{Action: MakeupBatch, Args: core.MakeupArgs{Decision: core.MakeupRejected, IDs: []int64{12, 13}, Note: "都没有证明"}}},
		{"reject #12 #13 no evidence", MakeupIntent{Action: MakeupBatch, Args: core.MakeupArgs{Decision: core.MakeupRejected, IDs: []int64{12, 13}, Note: "no evidence"}}},
		{"驳回 12,13 2 次迟到", MakeupIntent{Action: MakeupBatch, Args: core.MakeupArgs{Decision: core.MakeupRejected, IDs: []int64{12, 13}, Note: "2 次迟到"}}},
		{"全部同意", MakeupIntent{Action: MakeupBatch, Args: core.MakeupArgs{Decision: core.MakeupApproved, All: true}}},
		{"同意全部", MakeupIntent{Action: MakeupBatch, Args: core.MakeupArgs{Decision: core.MakeupApproved, All: true}}},
		{"approve all", MakeupIntent{Action: MakeupBatch, Args: core.MakeupArgs{Decision: core.MakeupApproved, All: true}}},
		{"全部驳回 重新提交", MakeupIntent{Action: MakeupBatch, Args: core.MakeupArgs{Decision: core.MakeupRejected, All: true, Note: "重新提交"}}},
		{"reject all wrong dates", MakeupIntent{Action: MakeupBatch, Args: core.MakeupArgs{Decision: core.MakeupRejected, All: true, Note: "wrong dates"}}},
		{"revoke 12 13", MakeupIntent{Action: MakeupBatch, Args: core.MakeupArgs{Decision: core.MakeupRevoked, IDs: []int64{12, 13}}}},
	}
	for _, tc := range tests {
		in := Parse(tc.text)
		if in.Verb != VerbMakeup {
			t.Errorf("Parse(%q).Verb = %q, want makeup", tc.text, in.Verb)
			continue
		}
		if got := ParseMakeup(in.Args); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseMakeup(%q)\n got %+v\nwant %+v", in.Args, got, tc.want)
		}
	}
}

func TestMakeupCommand(t *testing.T) {
	tests := []struct {
		text    string
		kind    core.CommandKind
		problem string
	}{
		{"11-25 09:00 上班 地铁", core.CmdMakeup, ""},
		{"取消", core.CmdMakeupCancel, ""},
		{"同意 3", core.CmdMakeupDecide, ""},
		{"驳回 3 no", core.CmdMakeupDecide, ""},
		{"同意", core.CmdMakeupBatch, ""},
		{"同意 3 4", core.CmdMakeupBatch, ""},
		{"全部同意", core.CmdMakeupBatch, ""},
		{"同意 abc", core.CmdMakeup, ProblemID},
		{"", core.CmdMakeup, ProblemUsage},
		{"11-25 上班 地铁", core.CmdMakeup, core.ProblemTime},
	}
	for _, tc := range tests {
		cmd := MakeupCommand(ParseMakeup(tc.text))
		if cmd.Kind != tc.kind || cmd.Makeup == nil || cmd.Makeup.Problem != tc.problem {
			t.Errorf("MakeupCommand(%q) = %s %+v, want %s with problem %q", tc.text, cmd.Kind, cmd.Makeup, tc.kind, tc.problem)
		}
	}
}

func FuzzParseMakeup(f *testing.F) {
	for _, s := range []string{"11-25 09:00 上班 地铁故障", "2026-11-25 09:00 in x", "取消 #3", "驳回 3 原因", "11月25日 9点 下班 x", "2026-11-25T09:00 out y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		in := ParseMakeup(s)
		if in.Action == MakeupFile && in.Problem == "" {
			if in.Args.Reason == "" || (in.Args.Kind != core.KindIn && in.Args.Kind != core.KindOut) || in.Args.Clock == "" || in.Args.Date == "" {
				t.Fatalf("ParseMakeup(%q) = %+v: filed without every part", s, in)
			}
		}
		if cmd := MakeupCommand(in); in.Problem != "" && (cmd.Kind != core.CmdMakeup || cmd.Makeup.Problem != in.Problem) {
			t.Fatalf("MakeupCommand(%+v) = %+v: the problem is lost", in, cmd)
		}
	})
}

// sampleView is a request of 张三 for the clock-in of Wednesday 25
// November 2026 at 09:00 Shanghai time, with a late punch that day.
func sampleView(status core.MakeupStatus) core.MakeupView {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	v := core.MakeupView{
		Request: core.MakeupRequest{ID: 12, EmployeeID: "E1", ShiftDate: "2026-11-25", Kind: core.KindIn, At: time.Date(2026, 11, 25, 9, 0, 0, 0, loc),
			Reason: "地铁故障", Evidence: []string{"wecom:image:MEDIA1", "https://files.slack.com/x.png"}, Status: status, ApproverID: "M1"},
		EmployeeName: "张三", ApproverName: "Manager Mo", TimeZone: "Asia/Shanghai", Used: 2, Quota: 3,
		Punches: []core.Punch{{Kind: core.KindIn, At: time.Date(2026, 11, 25, 9, 40, 0, 0, loc), Outcome: core.OutcomeAccepted, TimeResult: core.TimeSeriousLate, LateMin: 40},
			{Kind: core.KindOut, At: time.Date(2026, 11, 25, 18, 2, 0, 0, loc), Outcome: core.OutcomeRejected}},
	}
	if status != core.MakeupPending {
		v.Request.DecidedBy, v.DeciderName, v.Request.DecidedAt = "M1", "Manager Mo", time.Date(2026, 11, 26, 11, 30, 0, 0, loc)
	}
	return v
}

func TestMakeupCardContent(t *testing.T) {
	c := MakeupCardContent(sampleView(core.MakeupPending), "zh")
	if c.Title != "补卡申请 #12 · 张三" || !c.Pending || c.Status != "⏳ 待审批（审批人：Manager Mo）" {
		t.Errorf("card = %+v", c)
	}
	want := []MakeupField{
		{"申请人", "张三", false}, {"日期", "2026-11-25（周三）", false}, {"补卡", "上班 09:00", false}, {"本月已申请", "2/3", false},
		{"原因", "地铁故障", true}, {"当天打卡", "09:40 上班（迟到 40 分钟）；18:02 下班（未通过）", true},
	}
	if !reflect.DeepEqual(c.Fields, want) {
		t.Errorf("fields\n got %v\nwant %v", c.Fields, want)
	}
	if wantEv := []Evidence{{Label: "附件 1（企业微信图片）"}, {Label: "附件 2", URL: "https://files.slack.com/x.png"}}; !reflect.DeepEqual(c.Evidence, wantEv) {
		t.Errorf("evidence = %v, want %v", c.Evidence, wantEv)
	}
	en := MakeupCardContent(sampleView(core.MakeupRejected), "en")
	en2 := sampleView(core.MakeupRejected)
	en2.Request.Note = "no proof"
	if en.Pending || en.Status != "❌ Rejected by Manager Mo · 11-26 11:30" || !strings.Contains(MakeupCardContent(en2, "en").Status, "Reason: no proof") {
		t.Errorf("rejected card = %+v", en)
	}
	if text := c.Text(); !strings.Contains(text, "原因：地铁故障") || !strings.Contains(text, "📎 附件 2 https://files.slack.com/x.png") {
		t.Errorf("text = %s", text)
	}
}

func TestMakeupTexts(t *testing.T) {
	approved := sampleView(core.MakeupApproved)
	expired := sampleView(core.MakeupExpired)
	expired.Request.DecidedBy = core.ActorSystem
	noReason := sampleView(core.MakeupRejected)
	console := sampleView(core.MakeupRejected)
	console.Request.DecidedBy, console.DeciderName, console.Request.Note = core.ActorAdmin, "", "重复申请"
	quota := core.MakeupView{Request: core.MakeupRequest{Kind: core.KindIn, ShiftDate: "2026-11-25"}, Refusal: &core.MakeupRefusal{Rule: core.MakeupQuotaExhausted, Used: 3, Quota: 3}}
	deadline := core.MakeupView{Request: core.MakeupRequest{Kind: core.KindOut, ShiftDate: "2026-11-01"}, Refusal: &core.MakeupRefusal{Rule: core.MakeupPastDeadline, Days: 7}}
	open := core.MakeupView{Request: core.MakeupRequest{Kind: core.KindOut, ShiftDate: "2026-11-24"}, Refusal: &core.MakeupRefusal{Rule: core.MakeupAlreadyOpen}}
	bad := core.MakeupView{Refusal: &core.MakeupRefusal{Rule: core.MakeupInvalid}, Problem: core.ProblemDate}
	batch := core.MakeupView{Refusal: &core.MakeupRefusal{Rule: core.MakeupInvalid}, Problem: ProblemBatch}
	noID := core.MakeupView{Refusal: &core.MakeupRefusal{Rule: core.MakeupInvalid}, Problem: ProblemID}
	longNote := sampleView(core.MakeupPending)
	longNote.Refusal = &core.MakeupRefusal{Rule: core.DecisionNoteTooLong}
	longLeave := longNote
	longLeave.Request.Type = core.RequestLeave
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"approved", MakeupResultText(approved, "zh"), "✅ 你的补卡申请 #12（2026-11-25 上班 09:00）已被 Manager Mo 同意，当天考勤已更新。"},
		{"expired en", MakeupResultText(expired, "en"), "⌛ Your make-up request #12 (2026-11-25 Clock-in 09:00) expired without a decision; file it again if you still need it."},
		{"rejected at the console", MakeupResultText(console, "zh"), "❌ 你的补卡申请 #12（2026-11-25 上班 09:00）被 HR（管理后台） 驳回：重复申请"},
		{"rejected by a button, no reason", MakeupResultText(noReason, "zh"), "❌ 你的补卡申请 #12（2026-11-25 上班 09:00）被 Manager Mo 驳回。未写理由，如有疑问请联系 Manager Mo。"},
		{"rejected by a button, no reason, en", MakeupResultText(noReason, "en"), "❌ Your make-up request #12 (2026-11-25 Clock-in 09:00) was rejected by Manager Mo. No reason was given; ask Manager Mo if you have questions."},
		{"quota", MakeupRefusalText(quota, "zh"), "❌ 补卡未提交：本月补卡次数已用完（3/3）。"},
		{"deadline en", MakeupRefusalText(deadline, "en"), "❌ Make-up not filed: it is past the deadline (make-ups are allowed for the last 7 days)."},
		{"already open", MakeupRefusalText(open, "zh"), "❌ 补卡未提交：2026-11-24 的下班卡已有待审批的补卡申请。"},
		{"a decision note too long", MakeupRefusalText(longNote, "zh"), "❌ 理由或备注不能超过 500 字，补卡申请 #12 未处理；请缩短后重试。"},
		{"a decision note too long en", MakeupRefusalText(longLeave, "en"), "❌ A reason or note can be at most 500 characters; leave request #12 is unchanged. Please shorten it and try again."},
		{"several requests at once", strings.SplitN(MakeupRefusalText(batch, "zh"), "\n", 2)[0], "❌ 一次只能审批一个申请，这次什么也没有处理；请逐个发送，例如先发“同意 12”，再发“同意 13”。"},
		{"no request number", strings.SplitN(MakeupRefusalText(noID, "en"), "\n", 2)[0], "❌ Please give the request number, for example 12."},
		{"bad date", strings.SplitN(MakeupRefusalText(bad, "zh"), "\n", 2)[0], "❌ 补卡未提交：日期看不懂，请写成 11-25 或 2026-11-25。"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, tc.got, tc.want)
		}
	}
}

func TestHeadlineRendersMakeupReplies(t *testing.T) {
	filed := sampleView(core.MakeupPending)
	notRevocable := sampleView(core.MakeupApproved)
	notRevocable.Refusal = &core.MakeupRefusal{Rule: core.RevokeNotRevocable}
	tests := []struct {
		r    core.Reply
		want string
	}{
		{core.Reply{Outcome: core.OutcomeMakeupFiled, Makeup: &filed, Lang: "zh"},
			"📝 补卡申请 #12 已提交：2026-11-25 上班 09:00，等待 Manager Mo 审批（本月 2/3）。如有证明，请在 10 分钟内发送图片或文件。"},
		{core.Reply{Outcome: core.OutcomeMakeupForbidden, Makeup: &core.MakeupView{Request: core.MakeupRequest{ID: 12}}, Lang: "en"},
			"⛔ You cannot approve this make-up request (#12): only the assigned approver or HR can decide or revoke it, and only the requester can withdraw it."},
		{core.Reply{Outcome: core.OutcomeMakeupNotFound, Lang: "zh"}, "你没有待审批的申请。"},
		{core.Reply{Outcome: core.OutcomeMakeupNotFound, Lang: "en"}, "You have no pending request."},
		{core.Reply{Outcome: core.OutcomeMakeupNotFound, Makeup: &core.MakeupView{Request: core.MakeupRequest{ID: 50}}, Lang: "en"}, "There is no request #50."},
		{core.Reply{Outcome: core.OutcomeMakeupForbidden, Makeup: &core.MakeupView{Request: core.MakeupRequest{ID: 50, Type: core.RequestLeave}}, Lang: "zh"},
			"⛔ 你不能审批或处理请假申请 #50：只有指定的审批人或 HR 可以审批或撤销，申请人本人可以撤回。"},
		{core.Reply{Outcome: core.OutcomeMakeupForbidden, Makeup: &core.MakeupView{Request: core.MakeupRequest{ID: 50, Type: core.RequestOvertime}}, Lang: "en"},
			"⛔ You cannot approve this overtime request (#50): only the assigned approver or HR can decide or revoke it, and only the requester can withdraw it."},
		{core.Reply{Outcome: core.OutcomeMakeupCancelled, Makeup: &filed, Lang: "en"}, "↩️ Make-up request #12 withdrawn."},
		// The requester withdrawing an approved make-up is told what
		// happened to it; the approver revoking it, why not.
		{core.Reply{Outcome: core.OutcomeMakeupRefused, EmployeeID: "E1", Makeup: &notRevocable, Lang: "zh"},
			"❌ 补卡申请 #12 已被 Manager Mo 同意并计入考勤，不能再撤回；如有错误，请联系 HR 更正打卡。"},
		{core.Reply{Outcome: core.OutcomeMakeupRefused, EmployeeID: "E1", Makeup: &notRevocable, Lang: "en"},
			"❌ Make-up request #12 was already approved by Manager Mo and counts in your attendance, so it can no longer be withdrawn; if it is wrong, ask HR to correct the punch."},
		{core.Reply{Outcome: core.OutcomeMakeupRefused, EmployeeID: "M1", Makeup: &notRevocable, Lang: "zh"},
			"❌ 补卡申请 #12 的审批已写入打卡记录，不能撤销；如需更正，请 HR 在管理后台修改打卡。"},
	}
	for _, tc := range tests {
		if got := Headline(tc.r, ""); got != tc.want {
			t.Errorf("Headline(%s):\n got %s\nwant %s", tc.r.Outcome, got, tc.want)
		}
	}
}
