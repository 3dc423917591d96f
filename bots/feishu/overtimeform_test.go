package feishu

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// mustOvertimeHarness is MustMakeupHarness with Alice (zh) and Bob (en)
// on a schedule whose overtime comes from the given mode.
func mustOvertimeHarness(t *testing.T, mode core.OvertimeMode) *harness {
	t.Helper()
	h := MustMakeupHarness(t)
	org := core.Org{
		Name: "Acme", Lang: "zh", TimeZone: "Asia/Shanghai",
		Sites: []core.OrgSite{{Site: core.Site{ID: "wj", Name: "望京SOHO", Lat: office.lat, Lng: office.lng, RadiusM: 200}, Datum: core.WGS84}},
		Schedules: []core.Schedule{{ID: "std", Name: "Standard", WorkDays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
			StartMin: 9 * 60, EndMin: 18 * 60, CheckInOpensMin: 120, CheckOutClosesMin: 360,
			Overtime: core.OvertimeRule{Mode: mode, StartsAfterMin: 30, MinMin: 30, UnitMin: 30}}},
		Employees: []core.Employee{
			{ID: "E1", Name: "Alice", Lang: "zh", Active: true, ScheduleID: "std", SiteIDs: []string{"wj"}, ManagerID: "M1",
				Identities: []core.Identity{{Platform: core.PlatformFeishu, Tenant: testTenant, UserID: aliceOpenID}}},
			{ID: "E2", Name: "Bob", Lang: "en", Active: true, ScheduleID: "std", SiteIDs: []string{"wj"}, ManagerID: "M1",
				Identities: []core.Identity{{Platform: core.PlatformFeishu, Tenant: testTenant, UserID: bobUserID}}},
			{ID: "M1", Name: "王经理", Lang: "zh", Role: core.RoleManager, Active: true,
				Identities: []core.Identity{{Platform: core.PlatformFeishu, Tenant: testTenant, UserID: managerOpenID}}},
		},
	}
	if err := org.Prepare(); err != nil {
		t.Fatalf("org.Prepare: %v", err)
	}
	if _, err := h.store.ApplyOrg(context.Background(), org, core.AuditEntry{At: h.clock.Now(), Actor: "admin", Action: "org.applied"}); err != nil {
		t.Fatalf("ApplyOrg: %v", err)
	}
	return h
}

func (h *harness) submitOvertime(eventID, openID string, values map[string]any) cardResponse {
	p := h.cardAction(eventID, openID, "om_otform", nil)
	action := p["event"].(map[string]any)["action"].(map[string]any)
	delete(action, "value")
	action["name"], action["form_value"] = ActionLeaveForm, values
	return h.mustClick(p)
}

// managerCard is the first card sent to 王经理.
func (h *harness) managerCard(t *testing.T) string {
	t.Helper()
	for _, c := range h.api.Calls("/open-apis/im/v1/messages") {
		if c.Body["receive_id"] == managerOpenID {
			raw, _ := json.Marshal(sentContent(t, c))
			return string(raw)
		}
	}
	t.Fatal("no card for the manager")
	return ""
}

// TestOvertimeFormOnFeishu: 加班 and overtime alone are answered with the
// form card (JSON 2.0 like the leave form: date, two times, reason,
// submit).
func TestOvertimeFormOnFeishu(t *testing.T) {
	for _, tc := range []struct{ text, openID, userID, want string }{{"加班", aliceOpenID, "", "申请加班"}, {"overtime", "", bobUserID, "Request overtime"}} {
		h := mustOvertimeHarness(t, core.OvertimeApproval)
		if rec := h.post(h.event(msgEvent{openID: tc.openID, userID: tc.userID, msgType: "text", content: textContent(tc.text)}), delivery{}); rec.Code != 200 {
			t.Fatalf("%s: got %d %s", tc.text, rec.Code, rec.Body)
		}
		h.runOutbox()
		replies := h.api.Calls("/reply")
		if len(replies) != 1 || replies[0].Body["msg_type"] != "interactive" {
			t.Fatalf("%s: got reply %+v, want the form card", tc.text, replies)
		}
		if n := h.audits("overtime.requested"); n != 0 {
			t.Errorf("%s: asking for the form filed %d requests, want none", tc.text, n)
		}
		raw, _ := json.Marshal(sentContent(t, replies[0]))
		for _, want := range []string{`"schema":"2.0"`, `"tag":"form"`, `"tag":"date_picker"`, `"name":"overtime_date"`, `"tag":"picker_time"`, `"name":"overtime_start"`,
			`"name":"overtime_end"`, `"name":"overtime_reason"`, `"form_action_type":"submit"`, `"name":"` + ActionLeaveForm + `"`, tc.want} {
			if !strings.Contains(string(raw), want) {
				t.Errorf("%s: form card lacks %s: %s", tc.text, want, raw)
			}
		}
	}
}

// TestOvertimeFormSubmitsOnFeishu: bad input is an error toast in the
// employee's language and files nothing; a good submission files what the
// typed command files (the approver's card is the same), once however
// often the callback is delivered.
func TestOvertimeFormSubmitsOnFeishu(t *testing.T) {
	h := mustOvertimeHarness(t, core.OvertimeApproval)
	for _, tc := range []struct {
		name, event, user   string
		values              map[string]any
		wantToast, wantText string
		wantCard            bool
		wantRequests        int
	}{
		{"no end", "ev-ot-1", aliceOpenID, map[string]any{"overtime_date": "2026-11-26 +0800", "overtime_start": "18:30 +0800"}, "error", "❌ 加班申请未提交：请写明开始和结束时间", false, 0},
		{"no date, English", "ev-ot-2", bobUserID, map[string]any{"overtime_start": "18:30 +0800", "overtime_end": "21:00 +0800"}, "error", "❌ Overtime request not filed: I could not read the date", false, 0},
		{"end before start", "ev-ot-3", aliceOpenID, map[string]any{"overtime_date": "2026-11-26 +0800", "overtime_start": "22:00 +0800", "overtime_end": "17:00 +0800"}, "error", "跨过午夜的加班如 20:00-02:00，最长 12 小时", false, 0},
		{"within the shift", "ev-ot-4", aliceOpenID, map[string]any{"overtime_date": "2026-11-26 +0800", "overtime_start": "10:00 +0800", "overtime_end": "12:00 +0800"}, "error", "这段时间不算加班", false, 0},
		{"filed", "ev-ot-5", aliceOpenID, map[string]any{"overtime_date": "2026-11-26 +0800", "overtime_start": "18:00 +0800", "overtime_end": "21:00 +0800", "overtime_reason": "版本发布"}, "success", "加班申请 #", true, 1},
		{"retried", "ev-ot-5", aliceOpenID, map[string]any{"overtime_date": "2026-11-26 +0800", "overtime_start": "18:00 +0800", "overtime_end": "21:00 +0800", "overtime_reason": "版本发布"}, "success", "加班申请 #", true, 1},
	} {
		got := h.submitOvertime(tc.event, tc.user, tc.values)
		if got.Toast.Type != tc.wantToast || !strings.Contains(got.Toast.Content, tc.wantText) || (got.Card != nil) != tc.wantCard {
			t.Errorf("%s: got toast %s %q, card %v; want %s %q, card %v", tc.name, got.Toast.Type, got.Toast.Content, got.Card != nil, tc.wantToast, tc.wantText, tc.wantCard)
		}
		if n := h.audits("overtime.requested"); n != tc.wantRequests {
			t.Errorf("%s: got %d overtime requests, want %d", tc.name, n, tc.wantRequests)
		}
	}
	h.runOutbox()
	typed := mustOvertimeHarness(t, core.OvertimeApproval)
	if rec := typed.post(typed.event(msgEvent{openID: aliceOpenID, msgType: "text", content: textContent("加班 11-26 18:00-21:00 版本发布")}), delivery{}); rec.Code != 200 {
		t.Fatalf("typed: %d %s", rec.Code, rec.Body)
	}
	typed.runOutbox()
	if got, want := h.managerCard(t), typed.managerCard(t); got != want {
		t.Errorf("approver's card from the form:\n%s\nwant the typed command's:\n%s", got, want)
	}
}

// TestOvertimeFormRefusedByScheduleOnFeishu: under overtime off or by
// punch the answer to 加班 alone is the typed request's refusal, not the
// form, and a form submitted anyway files nothing.
func TestOvertimeFormRefusedByScheduleOnFeishu(t *testing.T) {
	const want = "❌ 加班申请未提交：你的班次不按审批计算加班"
	for _, mode := range []core.OvertimeMode{core.OvertimeOff, core.OvertimePunch} {
		h := mustOvertimeHarness(t, mode)
		if rec := h.post(h.event(msgEvent{openID: aliceOpenID, msgType: "text", content: textContent("加班")}), delivery{}); rec.Code != 200 {
			t.Fatalf("%s: got %d %s", mode, rec.Code, rec.Body)
		}
		h.runOutbox()
		replies := h.api.Calls("/reply")
		if len(replies) != 1 || replies[0].Body["msg_type"] != "text" {
			t.Fatalf("%s: got replies %+v, want one text", mode, replies)
		}
		if raw, _ := json.Marshal(sentContent(t, replies[0])); !strings.Contains(string(raw), want) {
			t.Errorf("%s: got %s, want the text %q", mode, raw, want)
		}
		got := h.submitOvertime("ev-ot-"+string(mode), aliceOpenID, map[string]any{"overtime_date": "2026-11-26 +0800", "overtime_start": "18:00 +0800", "overtime_end": "21:00 +0800"})
		if got.Toast.Type != "error" || !strings.Contains(got.Toast.Content, want) || h.audits("overtime.requested") != 0 {
			t.Errorf("%s: submitted form got %s %q, %d requests; want the refusal and none", mode, got.Toast.Type, got.Toast.Content, h.audits("overtime.requested"))
		}
	}
}
