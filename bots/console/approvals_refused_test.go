package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestApprovalsRefusedDecisionInReadersLanguage: a decision the core
// refuses (a reason too long, revoking a make-up whose approval wrote a
// punch) is sent back with the page and explained in the reader's
// language, never as the core's English message, and changes nothing.
func TestApprovalsRefusedDecisionInReadersLanguage(t *testing.T) {
	f := MustFixture(t, true)
	pending := f.makeupID(t, "E1")
	approved, err := f.svc.RequestMakeup(t.Context(), "E3", core.MakeupArgs{Date: "2026-11-24", Clock: "18:00", Kind: core.KindOut, Reason: "forgot"}, core.PlatformWeCom)
	if err != nil {
		t.Fatalf("RequestMakeup: %v", err)
	}
	if _, err := f.svc.DecideMakeup(t.Context(), core.MakeupDecision{ID: approved.Request.ID, Status: core.MakeupApproved, Actor: "M2"}); err != nil {
		t.Fatalf("approve: %v", err)
	}
	long := strings.Repeat("理", core.MaxMakeupReason+1)
	tests := []struct {
		name, who string
		id        int64
		form      url.Values
		want      string
		status    core.MakeupStatus // of the request afterwards
	}{
		{name: "a Chinese manager's reason too long", who: "M1", id: pending, form: url.Values{"decision": {"rejected"}, "note": {long}},
			want: "备注或理由不能超过 500 字，请缩短后再提交；申请未处理。", status: core.MakeupPending},
		{name: "an English manager's note too long", who: "M2", id: approved.Request.ID, form: url.Values{"decision": {"revoked"}, "note": {long}},
			want: "A note or reason can be at most 500 characters; shorten it and submit again. Nothing was decided.", status: core.MakeupApproved},
		{name: "HR revoking an approved make-up", who: "H1", id: approved.Request.ID, form: url.Values{"decision": {"revoked"}, "note": {"搞错了"}},
			want: "这份补卡申请的审批已写入打卡记录，不能撤销；请在「异常」页更正打卡。", status: core.MakeupApproved},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := f.MustSignIn(t, tc.who).post(t, fmt.Sprintf("/makeups/%d/decide", tc.id), tc.form)
			if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, tc.want) {
				t.Errorf("status %d, want 422 with %q in:\n%s", res.Status, tc.want, res.Body)
			}
			for _, english := range []string{"request refused", "decision_note_too_long", "revoke_not_revocable"} {
				if strings.Contains(res.Body, english) {
					t.Errorf("the page shows the core's message %q", english)
				}
			}
			if m := f.request(t, tc.id); m.Status != tc.status {
				t.Errorf("request %d is %s, want %s", tc.id, m.Status, tc.status)
			}
		})
	}
}

// TestApprovalsHandMadeDecisionInReadersLanguage: a POST the page's forms
// never send (an unknown decision, a request number that is not one) is
// refused with a 400 in the reader's language, not the core's English.
func TestApprovalsHandMadeDecisionInReadersLanguage(t *testing.T) {
	f := MustFixture(t, true)
	id := f.makeupID(t, "E1")
	tests := []struct {
		name, who, path string
		form            url.Values
		want            string
	}{
		{"an unknown decision", "H1", fmt.Sprintf("/makeups/%d/decide", id), url.Values{"decision": {"maybe"}}, "请求无效：“maybe”不是审批操作：可选同意、驳回或撤销。"},
		{"an unknown decision in English", "M2", fmt.Sprintf("/makeups/%d/decide", id), url.Values{"decision": {"maybe"}}, "Invalid request: “maybe” is not a decision: approve, reject or revoke."},
		{"not a request number", "H1", "/makeups/abc/decide", url.Values{"decision": {"approved"}}, "请求无效：“abc”不是申请编号。"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := f.MustSignIn(t, tc.who).post(t, tc.path, tc.form)
			if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, tc.want) {
				t.Errorf("status %d, want 400 with %q in:\n%s", res.Status, tc.want, res.Body)
			}
		})
	}
	if m := f.request(t, id); m.Status != core.MakeupPending {
		t.Errorf("a hand-made POST changed the request: %+v", m)
	}
}

// TestApprovalsReadOnlyDecision: without the approval service the page
// shows no forms; a stale form's POST is told why, in the reader's
// language, rather than "invalid request" in English.
func TestApprovalsReadOnlyDecision(t *testing.T) {
	f := MustFixture(t, false)
	res := f.MustSignIn(t, "H1").post(t, "/makeups/1/decide", url.Values{"decision": {"approved"}})
	if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "补卡审批服务未启用") {
		t.Errorf("status %d, want 400 saying the service is off:\n%s", res.Status, res.Body)
	}
}
