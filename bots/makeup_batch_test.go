package bots

import (
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

func batchView(id int64, name string, status core.MakeupStatus) core.MakeupView {
	at := time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC) // 09:00 in Shanghai
	return core.MakeupView{Request: core.MakeupRequest{ID: id, EmployeeID: "E" + name, ShiftDate: "2026-11-25", Kind: core.KindIn, At: at, Status: status, DecidedBy: "M1"},
		EmployeeName: name, DeciderName: "王经理", TimeZone: "Asia/Shanghai"}
}

// The lists and batch answers name every request and the exact command,
// in both languages.
func TestBatchTexts(t *testing.T) {
	two := []core.BatchItem{{ID: 12, View: batchView(12, "Alice", core.MakeupPending)}, {ID: 13, View: batchView(13, "Bob", core.MakeupPending)}}
	tests := []struct {
		name string
		r    core.Reply
		lang string
		want string
	}{
		{"lone word, none", core.Reply{Outcome: core.OutcomeMakeupPendingList, Batch: &core.MakeupBatch{}}, "en", "✅ You have no requests waiting for your decision."},
		{"lone word, zh", core.Reply{Outcome: core.OutcomeMakeupPendingList, Batch: &core.MakeupBatch{Decision: core.MakeupApproved, Items: two}}, "zh",
			"⏳ 你有 2 个待审批的申请：\n• #12 Alice · 补卡申请（2026-11-25 上班 09:00）\n• #13 Bob · 补卡申请（2026-11-25 上班 09:00）\n同意：发送「同意 12」；驳回：发送「驳回 12 理由」\n一次处理多个：发送「同意 12 13」或「驳回 12 13 理由」"},
		{"approve all, en", core.Reply{Outcome: core.OutcomeMakeupPendingList, Batch: &core.MakeupBatch{Decision: core.MakeupApproved, All: true, Items: two, More: 1}}, "en",
			"⏳ 3 request(s) wait for your decision:\n• #12 Alice · make-up request (2026-11-25 Clock-in 09:00)\n• #13 Bob · make-up request (2026-11-25 Clock-in 09:00)\n… and 1 more, listed once these are done.\nTo approve these 2, send “approve 12 13”\nNothing has been decided yet; only the numbers listed are."},
		{"reject all with a reason, zh", core.Reply{Outcome: core.OutcomeMakeupPendingList, Batch: &core.MakeupBatch{Decision: core.MakeupRejected, All: true, Note: "请补充证明", Items: two[:1]}}, "zh",
			"⏳ 你有 1 个待审批的申请：\n• #12 Alice · 补卡申请（2026-11-25 上班 09:00）\n确认全部驳回这 1 个，请发送：「驳回 12 请补充证明」（理由必填，会告知每位申请人）\n还没有处理任何申请；只会处理上面列出的编号。"},
		{"reject without a reason", core.Reply{Outcome: core.OutcomeMakeupBatch, Batch: &core.MakeupBatch{Decision: core.MakeupRejected, Problem: core.BatchNeedsReason, Items: []core.BatchItem{{ID: 12}, {ID: 13}}}}, "en",
			"❌ A batch rejection needs a reason (each requester receives it); nothing was decided. For example: “reject 12 13 reason”"},
		{"mixed results, en", core.Reply{Outcome: core.OutcomeMakeupBatch, Batch: &core.MakeupBatch{Decision: core.MakeupApproved, Items: []core.BatchItem{
			{ID: 12, Outcome: core.OutcomeMakeupDecided, View: batchView(12, "Alice", core.MakeupApproved)},
			{ID: 13, Outcome: core.OutcomeMakeupClosed, View: batchView(13, "Bob", core.MakeupExpired)},
			{ID: 14, Outcome: core.OutcomeMakeupForbidden, View: core.MakeupView{Request: core.MakeupRequest{ID: 14}}},
			{ID: 15, Outcome: core.OutcomeMakeupNotFound},
		}}}, "en",
			"Batch approval: 1 decided, 3 not.\n✅ #12 Alice · make-up request (2026-11-25 Clock-in 09:00): approved\n⚠️ #13 Bob · make-up request (2026-11-25 Clock-in 09:00): expired; not changed\n🚫 #14: not yours to decide; not changed\n❓ #15: no such request\nEach requester is told the outcome."},
		{"batch by an inactive account, zh", core.Reply{Outcome: core.OutcomeInactive, Command: core.CmdMakeupBatch, Contact: "HR"}, "zh",
			"你的账号已停用，审批未处理，申请仍在等待审批。如有疑问请联系 HR。"},
		{"old card, en", core.Reply{Outcome: core.OutcomeInactive, Command: core.CmdMakeupDecide, Contact: "HR",
			Makeup: &core.MakeupView{Request: core.MakeupRequest{ID: 12, Type: core.RequestLeave, Status: core.MakeupPending}, ApproverName: "HR Han"}}, "en",
			"Your account is inactive, so nothing was decided: leave request #12 was handed over to HR Han."},
		{"old card, decided since, zh", core.Reply{Outcome: core.OutcomeInactive, Command: core.CmdMakeupDecide, Contact: "HR",
			Makeup: &core.MakeupView{Request: core.MakeupRequest{ID: 12, Status: core.MakeupApproved, DecidedBy: "H1"}, ApproverName: "HR 韩", DeciderName: "HR 韩"}}, "zh",
			"你的账号已停用，审批未处理：补卡申请 #12 已转交给 HR 韩 审批，现在已被 HR 韩 同意。"},
	}
	for _, tt := range tests {
		if got := Headline(tt.r, tt.lang); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

// The departed approver's copy of a card keeps the facts, loses the
// buttons and names whom it went to.
func TestHandedOverCardContent(t *testing.T) {
	v := batchView(12, "Alice", core.MakeupPending)
	v.Request.Reason = "地铁故障"
	v.ApproverName = "HR 韩"
	for _, tt := range []struct{ lang, status string }{
		{"zh", "↪️ 已转交给 HR 韩 审批，此卡片上的按钮已失效"},
		{"en", "↪️ Handed over to HR 韩; the buttons on this card no longer work"},
	} {
		c := HandedOverCardContent(v, tt.lang)
		if c.Pending || !c.HandedOver || c.Status != tt.status || len(c.Fields) != len(MakeupCardContent(v, tt.lang).Fields) {
			t.Errorf("%s: pending=%v handedOver=%v status %q (%d fields); want no buttons, %q, the same facts", tt.lang, c.Pending, c.HandedOver, c.Status, len(c.Fields), tt.status)
		}
	}
	v.ApproverName = ""
	if got, want := HandedOverText(v, "en"), "Make-up request #12 (Alice): Handed over to HR at the console; the buttons on this card no longer work"; got != want {
		t.Errorf("HandedOverText = %q, want %q", got, want)
	}
}
