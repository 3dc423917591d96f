package bots

import (
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestRequesterCardContent: the requester's card says what was filed and
// its state in their language, and offers Withdraw exactly while
// core.MakeupRequest.Withdrawable does.
func TestRequesterCardContent(t *testing.T) {
	start := time.Date(2026, 12, 3, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	before, after := start.Add(-time.Hour), start.Add(time.Hour)
	leave := func(st core.MakeupStatus, note string) core.MakeupView {
		return core.MakeupView{
			Request:      core.MakeupRequest{ID: 12, EmployeeID: "E1", Type: core.RequestLeave, Status: st, Start: start, End: start.Add(24 * time.Hour), DecidedBy: "M1", DecidedAt: before, Note: note, LeaveType: "annual"},
			EmployeeName: "张三", ApproverName: "王经理", DeciderName: "王经理", TimeZone: "Asia/Shanghai",
		}
	}
	tests := []struct {
		name     string
		v        core.MakeupView
		lang     string
		now      time.Time
		withdraw bool
		state    string
		want     []string // in Text
	}{
		{"pending", leave(core.MakeupPending, ""), "zh", after, true, "待审批", []string{"请假申请 #12", "⏳ 待审批（审批人：王经理）", "请假 取消 12"}},
		{"approved, before the start", leave(core.MakeupApproved, ""), "en", before, true, "Approved", []string{"Leave request #12", "✅ Approved by 王经理", "leave cancel 12"}},
		{"approved, started", leave(core.MakeupApproved, ""), "zh", after, false, "已同意", []string{"✅ 已同意 · 王经理"}},
		{"rejected", leave(core.MakeupRejected, "人手不够"), "zh", before, false, "已驳回", []string{"❌ 已驳回 · 王经理", "理由：人手不够"}},
		{"revoked by the approver", leave(core.MakeupRevoked, "项目上线"), "en", before, false, "Revoked", []string{"🚫 Revoked after approval by 王经理", "Reason: 项目上线"}},
	}
	for _, tt := range tests {
		c := RequesterCardContent(tt.v, tt.lang, tt.now)
		if c.Withdraw != tt.withdraw || c.State != tt.state || (c.Hint != "") != tt.withdraw {
			t.Errorf("%s: withdraw %v, state %q, hint %q; want %v, %q", tt.name, c.Withdraw, c.State, c.Hint, tt.withdraw, tt.state)
		}
		for _, w := range tt.want {
			if got := c.Text(); !strings.Contains(got, w) {
				t.Errorf("%s: text = %q, want %q", tt.name, got, w)
			}
		}
	}
}
