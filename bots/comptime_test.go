package bots

import (
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestCompLeaveTexts: the 调休 balance in the filed reply and the refusal
// with the numbers, in both languages.
func TestCompLeaveTexts(t *testing.T) {
	start := time.Date(2026, 12, 3, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	req := core.MakeupRequest{ID: 7, Type: core.RequestLeave, LeaveType: "comp", Status: core.MakeupPending, Start: start, End: start.Add(3 * time.Hour), ShiftDate: "2026-12-03"}
	filed := func(left int) core.Reply {
		return core.Reply{Outcome: core.OutcomeMakeupFiled, Makeup: &core.MakeupView{Request: req, ApproverName: "王经理", TimeZone: "Asia/Shanghai",
			Leave: &core.LeaveView{TypeName: "调休", Paid: true, Days: 0.5, Minutes: 180, Comp: true, CompLeftMin: left}}}
	}
	refused := func(available, asked int) core.Reply {
		return core.Reply{Outcome: core.OutcomeMakeupRefused, Makeup: &core.MakeupView{Request: req, Leave: &core.LeaveView{TypeName: "调休", Comp: true},
			Refusal: &core.MakeupRefusal{Rule: core.LeaveCompExhausted, AvailableMin: available, AskedMin: asked}}}
	}
	tests := []struct {
		name string
		r    core.Reply
		lang string
		want string
	}{
		{"filed zh", filed(210), "zh", "调休余额：剩余 3.5 小时。"},
		{"filed en", filed(210), "en", " Balance: 3.5 h left."},
		{"overdrawn shows none left", filed(-60), "zh", "调休余额：剩余 0 小时。"},
		{"refused zh", refused(210, 480), "zh", "❌ 请假申请未提交：调休余额不足：可用 3.5 小时，本次需要 8 小时。"},
		{"refused en", refused(0, 90), "en", "❌ Leave request not filed: not enough 调休 left: 0 h available, this needs 1.5 h."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := MakeupLine(tt.r, tt.lang)
			if !ok || !strings.HasSuffix(got, tt.want) {
				t.Errorf("MakeupLine = %q, want it to end with %q", got, tt.want)
			}
		})
	}
}
