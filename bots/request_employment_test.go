package bots

import (
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestNotEmployedRefusalTexts: a request for dates outside the
// employment is answered in the reader's language naming the dates and
// the first or last working day, for every kind; an approver is told why
// the request cannot be approved and what to do.
func TestNotEmployedRefusalTexts(t *testing.T) {
	refusal := func(joined, left string, outside ...core.DateSpan) *core.MakeupRefusal {
		return &core.MakeupRefusal{Rule: core.RequestNotEmployed, Joined: joined, Left: left, Outside: outside}
	}
	one := func(d string) core.DateSpan { return core.DateSpan{From: d, To: d} }
	filed := func(t core.RequestType, date string, r *core.MakeupRefusal) core.MakeupView {
		return core.MakeupView{Request: core.MakeupRequest{Type: t, ShiftDate: date}, EmployeeName: "张三", Refusal: r}
	}
	pending := func(t core.RequestType, id int64, date string, r *core.MakeupRefusal) core.MakeupView {
		v := filed(t, date, r)
		v.Request.ID, v.Request.Status = id, core.MakeupPending
		return v
	}
	tests := []struct {
		name, lang string
		v          core.MakeupView
		want       string
	}{
		{"make-up before joined", "zh", filed(core.RequestMakeup, "2026-12-01", refusal("2026-12-05", "", one("2026-12-01"))),
			"❌ 补卡未提交：12月1日 你尚未入职（入职日期 2026-12-05），不能补卡。"},
		{"make-up before joined", "en", filed(core.RequestMakeup, "2026-12-01", refusal("2026-12-05", "", one("2026-12-01"))),
			"❌ Make-up not filed: Dec 1 is before you joined (2026-12-05); no make-up can be filed for it."},
		{"make-up after left", "zh", filed(core.RequestMakeup, "2026-12-21", refusal("", "2026-12-18", one("2026-12-21"))),
			"❌ 补卡未提交：12月21日 你已离职（最后工作日 2026-12-18），不能补卡。"},
		{"make-up after left", "en", filed(core.RequestMakeup, "2026-12-21", refusal("", "2026-12-18", one("2026-12-21"))),
			"❌ Make-up not filed: Dec 21 is after your last working day (2026-12-18); no make-up can be filed for it."},
		{"leave reaching past the last day", "zh", filed(core.RequestLeave, "2026-12-16", refusal("2026-03-02", "2026-12-18", core.DateSpan{From: "2026-12-19", To: "2026-12-22"})),
			"❌ 请假申请未提交：12月19日至12月22日 你已离职（最后工作日 2026-12-18），不能请假。请只申请在职期间（2026-03-02 至 2026-12-18）内的日期。"},
		{"leave reaching past the last day", "en", filed(core.RequestLeave, "2026-12-16", refusal("2026-03-02", "2026-12-18", core.DateSpan{From: "2026-12-19", To: "2026-12-22"})),
			"❌ Leave request not filed: Dec 19 to Dec 22 are after your last working day (2026-12-18); no leave can be filed for them. Ask only for dates within the employment (2026-03-02 to 2026-12-18)."},
		{"trip on both sides", "zh", filed(core.RequestTrip, "2026-11-30", refusal("2026-12-01", "2026-12-02", one("2026-11-30"), one("2026-12-03"))),
			"❌ 出差申请未提交：11月30日 你尚未入职（入职日期 2026-12-01）；12月3日 你已离职（最后工作日 2026-12-02），不能申请出差。请只申请在职期间（2026-12-01 至 2026-12-02）内的日期。"},
		{"trip on both sides", "en", filed(core.RequestTrip, "2026-11-30", refusal("2026-12-01", "2026-12-02", one("2026-11-30"), one("2026-12-03"))),
			"❌ Business trip request not filed: Nov 30 is before you joined (2026-12-01); Dec 3 is after your last working day (2026-12-02); no business trip can be filed for them. Ask only for dates within the employment (2026-12-01 to 2026-12-02)."},
		{"outing before joined, another year", "zh", filed(core.RequestOuting, "2025-12-31", refusal("2026-01-05", "", one("2025-12-31"))),
			"❌ 外出申请未提交：2025年12月31日 你尚未入职（入职日期 2026-01-05），不能申请外出。请只申请在职期间（2026-01-05 起）内的日期。"},
		{"outing before joined, another year", "en", filed(core.RequestOuting, "2025-12-31", refusal("2026-01-05", "", one("2025-12-31"))),
			"❌ Outing request not filed: Dec 31, 2025 is before you joined (2026-01-05); no outing can be filed for it. Ask only for dates within the employment (from 2026-01-05)."},
		{"overtime after left", "zh", filed(core.RequestOvertime, "2026-12-19", refusal("", "2026-12-18", one("2026-12-19"))),
			"❌ 加班申请未提交：12月19日 你已离职（最后工作日 2026-12-18），不能申请加班。"},
		{"overtime after left", "en", filed(core.RequestOvertime, "2026-12-19", refusal("", "2026-12-18", one("2026-12-19"))),
			"❌ Overtime request not filed: Dec 19 is after your last working day (2026-12-18); no overtime can be filed for it."},
		{"approving a make-up after left", "zh", pending(core.RequestMakeup, 12, "2026-12-19", refusal("", "2026-12-18", one("2026-12-19"))),
			"❌ 补卡申请 #12 未同意：12月19日 张三已离职（最后工作日 2026-12-18），不在在职期间，不能同意；请驳回，或请 HR 先更正在职日期后再审批。"},
		{"approving a make-up after left", "en", pending(core.RequestMakeup, 12, "2026-12-19", refusal("", "2026-12-18", one("2026-12-19"))),
			"❌ Make-up request #12 not approved: Dec 19 is after 张三's last working day (2026-12-18): outside the employment, so it cannot be approved; reject it, or ask HR to correct the employment dates first."},
		{"approving a field punch before joined", "zh", pending(core.RequestField, 7, "2026-12-01", refusal("2026-12-05", "", one("2026-12-01"))),
			"❌ 外勤打卡 #7 未同意：12月1日 张三尚未入职（入职日期 2026-12-05），不在在职期间，不能同意；请驳回，或请 HR 先更正在职日期后再审批。"},
		{"approving leave before joined", "en", pending(core.RequestLeave, 9, "2026-12-01", refusal("2026-12-05", "", core.DateSpan{From: "2026-12-01", To: "2026-12-04"})),
			"❌ Leave request #9 not approved: Dec 1 to Dec 4 are before 张三 joined (2026-12-05): outside the employment, so it cannot be approved; reject it, or ask HR to correct the employment dates first."},
	}
	for _, tt := range tests {
		if got := MakeupRefusalText(tt.v, tt.lang); got != tt.want {
			t.Errorf("%s (%s):\n got %q\nwant %q", tt.name, tt.lang, got, tt.want)
		}
		// Every platform answers a command with the reply's headline.
		r := core.Reply{Outcome: core.OutcomeMakeupRefused, Makeup: &tt.v}
		if got := Headline(r, tt.lang); got != tt.want {
			t.Errorf("%s (%s): headline %q, want the refusal text", tt.name, tt.lang, got)
		}
		if strings.Contains(tt.want, "\n") {
			t.Errorf("%s: the text has a line break; a Slack form shows only its first line", tt.name)
		}
	}
	if _, ok := NotEmployedReason(filed(core.RequestMakeup, "2026-12-01", &core.MakeupRefusal{Rule: core.MakeupQuotaExhausted}), "zh", false); ok {
		t.Error("NotEmployedReason answered a quota refusal")
	}
}

// TestNotEmployedReasonOnBehalf: HR or a manager filing at the console is
// told about the employee, by name, not "you".
func TestNotEmployedReasonOnBehalf(t *testing.T) {
	v := core.MakeupView{Request: core.MakeupRequest{ShiftDate: "2026-11-24"}, EmployeeName: "李四",
		Refusal: &core.MakeupRefusal{Rule: core.RequestNotEmployed, Joined: "2026-11-25", Outside: []core.DateSpan{{From: "2026-11-24", To: "2026-11-24"}}}}
	tests := []struct{ lang, want string }{
		{"zh", "11月24日 李四尚未入职（入职日期 2026-11-25），不能补卡。"},
		{"en", "Nov 24 is before 李四 joined (2026-11-25); no make-up can be filed for it."},
	}
	for _, tt := range tests {
		if got, ok := NotEmployedReason(v, tt.lang, true); !ok || got != tt.want {
			t.Errorf("%s: %q, %v; want %q", tt.lang, got, ok, tt.want)
		}
	}
}
