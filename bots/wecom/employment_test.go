package wecom

import (
	"strconv"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestRequestsOutsideEmploymentOnWeCom: a 补卡 and a 请假 for days after
// the last working day are refused in Chinese naming the dates and the
// last working day; no card goes to the manager and nothing is filed.
func TestRequestsOutsideEmploymentOnWeCom(t *testing.T) {
	e := newMakeupEnv(t, func(o *core.Org) { o.Employees[0].Left = "2026-02-26" })
	for i, tc := range []struct{ text, want string }{
		{"补卡 02-27 09:00 上班 地铁故障", "❌ 补卡未提交：2月27日 你已离职（最后工作日 2026-02-26），不能补卡。"},
		{"请假 02-26..03-03 年假 旅行", "❌ 请假申请未提交：2月27日至3月3日 你已离职（最后工作日 2026-02-26），不能请假。请只申请在职期间（至 2026-02-26）内的日期。"},
	} {
		e.post(textXML(testUser, tc.text, strconv.Itoa(9500+i), e.unix(0)))
		out, _ := e.drain(len(e.fake.Calls()))
		got := findSent(out, "/cgi-bin/message/send", testUser)
		if len(got) != 1 || textOf(got[0]) != tc.want {
			t.Errorf("%q answered %+v, want %q", tc.text, got, tc.want)
		}
		if cards := findSent(out, "/cgi-bin/message/send", "manager"); len(cards) != 0 {
			t.Errorf("%q sent the manager %+v", tc.text, cards)
		}
	}
	if n := e.makeupAudits("makeup.requested") + e.makeupAudits("leave.requested"); n != 0 {
		t.Errorf("%d requests filed", n)
	}
}
