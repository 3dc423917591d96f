package bots

import (
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

func TestLeavePeriod(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	at := func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, sh) }
	tests := []struct {
		start, end time.Time
		lang, want string
	}{
		{at(3, 0, 0), at(4, 0, 0), "zh", "2026-12-03（周四） 全天"},
		{at(3, 0, 0), at(4, 0, 0), "en", "2026-12-03 (Thu), all day"},
		{at(4, 0, 0), at(7, 0, 0), "zh", "2026-12-04（周五） 至 2026-12-06（周日）"},
		{at(4, 0, 0), at(7, 0, 0), "en", "2026-12-04 (Fri) to 2026-12-06 (Sun)"},
		{at(3, 9, 0), at(3, 12, 0), "zh", "2026-12-03（周四） 09:00–12:00"},
		{at(3, 0, 0), at(3, 12, 0), "zh", "2026-12-03（周四） 至 12:00"},
		{at(3, 0, 0), at(3, 12, 0), "en", "2026-12-03 (Thu) until 12:00"},
		{at(3, 12, 0), at(4, 0, 0), "zh", "2026-12-03（周四） 12:00 起"},
		{at(3, 14, 0), at(5, 11, 0), "en", "2026-12-03 (Thu) 14:00 to 2026-12-05 (Sat) 11:00"},
		// A whole day on an overnight schedule ends the next morning.
		{at(3, 0, 0), at(4, 2, 0), "zh", "2026-12-03（周四） 全天"},
	}
	for _, tt := range tests {
		v := core.MakeupView{TimeZone: "Asia/Shanghai", Request: core.MakeupRequest{Type: core.RequestLeave, Start: tt.start, End: tt.end}}
		if got := LeavePeriod(v, tt.lang); got != tt.want {
			t.Errorf("LeavePeriod(%s, %s, %s) = %q, want %q", tt.start, tt.end, tt.lang, got, tt.want)
		}
	}
}

func TestLeaveAmountAndBalance(t *testing.T) {
	v := core.MakeupView{Leave: &core.LeaveView{TypeName: "年假", Days: 0.5, Minutes: 240, QuotaDays: 10, UsedDays: 3.5, Year: 2026}}
	for _, tt := range []struct{ got, want string }{
		{LeaveAmount(v, "zh"), "0.5 天（4 小时）"},
		{LeaveAmount(v, "en"), "0.5 day (4 h)"},
		{LeaveBalance(v, "zh"), "2026 年已用 3.5/10 天，剩余 6.5 天"},
		{LeaveBalance(v, "en"), "3.5/10 days used in 2026, 6.5 left"},
		{LeaveBalance(core.MakeupView{Leave: &core.LeaveView{Days: 1}}, "zh"), ""},
		{LeaveAmount(core.MakeupView{}, "zh"), ""},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestMapURL(t *testing.T) {
	if got, want := MapURL(39.99636, 116.48043), "https://www.openstreetmap.org/?mlat=39.996360&mlon=116.480430#map=17/39.996360/116.480430"; got != want {
		t.Errorf("MapURL = %q, want %q", got, want)
	}
}

// TestCardContentByType: each request type gets its own title and facts;
// only the field card has a map link, only make-ups the monthly count.
func TestCardContentByType(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	punchAt := time.Date(2026, 12, 3, 9, 5, 0, 0, sh)
	base := core.MakeupView{EmployeeName: "张三", ApproverName: "王经理", TimeZone: "Asia/Shanghai"}
	field := base
	field.Request = core.MakeupRequest{ID: 7, Type: core.RequestField, ShiftDate: "2026-12-03", Kind: core.KindIn, At: punchAt, Status: core.MakeupPending, Reason: "客户现场"}
	field.Field = &core.FieldView{Kind: core.KindIn, At: punchAt, Lat: 39.9, Lng: 116.4, Label: "国贸", SiteName: "望京SOHO", RadiusM: 300, DistanceM: 1234}
	leave := base
	leave.Request = core.MakeupRequest{ID: 8, Type: core.RequestLeave, LeaveType: "annual", Start: time.Date(2026, 12, 3, 0, 0, 0, 0, sh), End: time.Date(2026, 12, 4, 0, 0, 0, 0, sh),
		Status: core.MakeupRejected, DecidedBy: "M1", Note: "那天要开会", Reason: "搬家"}
	leave.DeciderName = "王经理"
	leave.Leave = &core.LeaveView{TypeName: "年假", Paid: true, Days: 1, Minutes: 480, QuotaDays: 10, UsedDays: 1, Year: 2026}
	trip := base
	trip.Request = core.MakeupRequest{ID: 9, Type: core.RequestTrip, Place: "上海", Start: time.Date(2026, 12, 4, 0, 0, 0, 0, sh), End: time.Date(2026, 12, 7, 0, 0, 0, 0, sh), Status: core.MakeupApproved, DecidedBy: "M1"}
	trip.DeciderName = "王经理"
	tests := []struct {
		name string
		v    core.MakeupView
		want []string
		not  []string
	}{
		{"field", field, []string{"外勤打卡审批 #7 · 张三", "位置：距 望京SOHO 1.2 km（允许 300 m）", "地点：国贸", "说明：客户现场", "https://www.openstreetmap.org/?mlat=39.900000&mlon=116.400000", "⏳ 待审批（审批人：王经理）"},
			[]string{"本月已申请"}},
		{"leave", leave, []string{"请假申请 #8 · 张三", "类型：年假", "时间：2026-12-03（周四） 全天", "时长：1 天（8 小时）", "余额：2026 年已用 1/10 天，剩余 9 天", "事由：搬家", "❌ 已驳回 · 王经理", "理由：那天要开会"},
			[]string{"openstreetmap", "本月已申请"}},
		{"trip", trip, []string{"出差申请 #9 · 张三", "时间：2026-12-04（周五） 至 2026-12-06（周日）", "地点：上海", "事由：（未填写）", "✅ 已同意 · 王经理"},
			[]string{"类型"}},
	}
	for _, tt := range tests {
		c := MakeupCardContent(tt.v, "zh")
		text := c.Text()
		if c.Type != tt.v.Request.Type {
			t.Errorf("%s: card type %q", tt.name, c.Type)
		}
		for _, w := range tt.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s card lacks %q:\n%s", tt.name, w, text)
			}
		}
		for _, w := range tt.not {
			if strings.Contains(text, w) {
				t.Errorf("%s card has %q:\n%s", tt.name, w, text)
			}
		}
	}

	// The requester's results.
	for _, tt := range []struct{ got, want string }{
		{MakeupResultText(leave, "zh"), "❌ 你的请假申请 #8（年假 2026-12-03（周四） 全天）被 王经理 驳回：那天要开会"},
		{MakeupResultText(leave, "en"), "❌ Your leave request #8 (年假 2026-12-03 (Thu), all day) was rejected by 王经理: 那天要开会"},
		{MakeupResultText(trip, "zh"), "✅ 你的出差申请 #9（上海 2026-12-04（周五） 至 2026-12-06（周日））已被 王经理 同意，这段时间按外勤出勤计算。"},
	} {
		if tt.got != tt.want {
			t.Errorf("result =\n %q, want\n %q", tt.got, tt.want)
		}
	}
}

// TestFieldPendingHeadline: a field punch waiting for approval is yellow,
// names the approver and never carries the green tick.
func TestFieldPendingHeadline(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	r := core.Reply{Outcome: core.OutcomeFieldPending, Kind: core.KindIn, TimeZone: "Asia/Shanghai", At: time.Date(2026, 12, 3, 9, 5, 0, 0, sh), SiteName: "望京SOHO", DistanceM: 1234,
		Makeup: &core.MakeupView{ApproverName: "王经理", Request: core.MakeupRequest{ID: 7, Type: core.RequestField}}}
	for lang, want := range map[string]string{
		"zh": "🟡 外勤上班打卡已提交 #7 09:05 · 距 望京SOHO 1.2 km，等待 王经理 审批；审批通过前不计入考勤。",
		"en": "🟡 Field clock-in submitted #7 at 09:05 · 1.2 km from 望京SOHO, waiting for approval by 王经理; it does not count until approved.",
	} {
		if got := Headline(r, lang); got != want {
			t.Errorf("Headline(%s) =\n %q, want\n %q", lang, got, want)
		}
	}
}

// TestLeaveRefusals explains each refusal with the numbers.
func TestLeaveRefusals(t *testing.T) {
	v := func(ref *core.MakeupRefusal, problem string) core.Reply {
		return core.Reply{Outcome: core.OutcomeMakeupRefused, Makeup: &core.MakeupView{Request: core.MakeupRequest{Type: core.RequestLeave, LeaveType: "annual"},
			Leave: &core.LeaveView{TypeName: "年假"}, Refusal: ref, Problem: problem}}
	}
	tests := []struct {
		r    core.Reply
		lang string
		want string
	}{
		{v(&core.MakeupRefusal{Rule: core.LeaveOverlap, OtherID: 5}, ""), "zh", "❌ 请假申请未提交：与申请 #5 的时间重叠。"},
		{v(&core.MakeupRefusal{Rule: core.LeaveBalanceExhausted, UsedDays: 9, QuotaDays: 10, AskedDays: 2, Year: 2026}, ""), "zh", "❌ 请假申请未提交：年假余额不足：2026 年已用 9/10 天，本次需要 2 天，剩余 1 天。"},
		{v(&core.MakeupRefusal{Rule: core.LeaveNoWorkingTime}, ""), "en", "❌ Leave request not filed: that period has no working time (rest days or holidays)."},
		{v(&core.MakeupRefusal{Rule: core.MakeupInvalid}, core.ProblemLeaveType), "zh", "❌ 请假申请未提交：没有这种假期类型"},
		{v(&core.MakeupRefusal{Rule: core.MakeupInvalid}, ProblemUsage), "zh", "请假格式：请假 2026-12-03 全天 年假 原因"},
	}
	for _, tt := range tests {
		if got := Headline(tt.r, tt.lang); !strings.HasPrefix(got, tt.want) {
			t.Errorf("Headline = %q, want it to start with %q", got, tt.want)
		}
	}
}
