package feishu

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTripOnFeishu: Alice types 出差; 王经理's card has the trip's colour
// (turquoise), title, period, place and reason, and a hint to reject with
// a reason; his Reject click turns the card red and tells Alice.
func TestTripOnFeishu(t *testing.T) {
	h := MustMakeupHarness(t)
	if rec := h.post(h.event(msgEvent{openID: aliceOpenID, msgType: "text", content: textContent("出差 11-26..11-27 上海 客户验收")}), delivery{}); rec.Code != 200 {
		t.Fatalf("request: %d %s", rec.Code, rec.Body)
	}
	h.runOutbox()
	replies := h.api.Calls("/reply")
	// The answer is the card with the Withdraw button (withdraw.go).
	if len(replies) != 1 || replies[0].Body["msg_type"] != "interactive" {
		t.Fatalf("requester's reply = %+v", replies)
	}
	if text, _ := cardText(t, sentContent(t, replies[0])); !strings.Contains(text, "（上海 2026-11-26（周四） 至 2026-11-27（周五）），等待 王经理 审批。") {
		t.Fatalf("requester's reply = %+v", replies)
	}
	card := h.lastMessageTo(t, managerOpenID)
	header := card["header"].(map[string]any)
	title := header["title"].(map[string]any)["content"].(string)
	if header["template"] != "turquoise" || !strings.HasPrefix(title, "出差申请 #") || !strings.HasSuffix(title, " · Alice") {
		t.Errorf("header = %v", header)
	}
	text, buttons := cardText(t, card)
	for _, want := range []string{"申请人\nAlice", "时间\n2026-11-26（周四） 至 2026-11-27（周五）", "时长\n2 天（18 小时）", "地点\n上海", "事由\n客户验收", "⏳ 待审批（审批人：王经理）"} {
		if !strings.Contains(text, want) {
			t.Errorf("card lacks %q:\n%s", want, text)
		}
	}
	if len(buttons) != 2 {
		t.Fatalf("buttons = %v", buttons)
	}
	id := buttons[1]["value"].(map[string]any)["id"].(string)
	if raw, _ := json.Marshal(card); !strings.Contains(string(raw), "驳回并写明理由：发送「驳回 "+id+" 理由」") {
		t.Errorf("card lacks the reject hint: %s", raw)
	}

	h.clock.Add(time.Minute)
	res := h.mustClick(h.cardAction("ev-trip-reject", managerOpenID, "om_card", map[string]any{"action": ActionMakeupReject, "id": id}))
	if res.Card == nil || !strings.Contains(res.Toast.Content, "已驳回 Alice 的出差申请 #"+id) {
		t.Fatalf("reject answer = %+v", res)
	}
	inline := decodeCard(t, res.Card.Data)
	if inline["header"].(map[string]any)["template"] != "red" {
		t.Errorf("rejected card header = %v", inline["header"])
	}
	h.runOutbox()
	var told bool
	for _, c := range h.api.Calls("/open-apis/im/v1/messages") {
		if c.Body["receive_id"] == aliceOpenID && c.Body["msg_type"] == "text" {
			told = told || strings.HasPrefix(sentContent(t, c)["text"].(string), "❌ 你的出差申请 #"+id+"（上海 2026-11-26（周四） 至 2026-11-27（周五））被 王经理 驳回")
		}
	}
	if !told {
		t.Errorf("Alice is not told: %+v", h.api.Calls("/open-apis/im/v1/messages"))
	}
	if _, err := strconv.Atoi(id); err != nil || h.audits("trip.rejected") != 1 {
		t.Errorf("trip.rejected audits = %d", h.audits("trip.rejected"))
	}
}

// TestLeaveFormOnFeishu: 请假 alone is answered with a form card; its
// submission (action.name and action.form_value) files the leave, and the
// form gives way to the confirmation; a bad submission is an error toast.
func TestLeaveFormOnFeishu(t *testing.T) {
	h := MustMakeupHarness(t)
	if rec := h.post(h.event(msgEvent{openID: aliceOpenID, msgType: "text", content: textContent("请假")}), delivery{}); rec.Code != 200 {
		t.Fatalf("request: %d %s", rec.Code, rec.Body)
	}
	h.runOutbox()
	replies := h.api.Calls("/reply")
	if len(replies) != 1 || replies[0].Body["msg_type"] != "interactive" {
		t.Fatalf("reply = %+v, want the form card", replies)
	}
	form := sentContent(t, replies[0])
	raw, _ := json.Marshal(form)
	for _, want := range []string{`"schema":"2.0"`, `"tag":"form"`, `"tag":"date_picker"`, `"name":"from"`, `"tag":"picker_time"`, `"tag":"select_static"`, `"initial_option":"leave"`,
		`"form_action_type":"submit"`, `"name":"` + ActionLeaveForm + `"`, "请假格式"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("form card lacks %s: %s", want, raw)
		}
	}
	submit := func(eventID string, values map[string]any) cardResponse {
		p := h.cardAction(eventID, aliceOpenID, "om_form", nil)
		action := p["event"].(map[string]any)["action"].(map[string]any)
		delete(action, "value")
		action["name"], action["form_value"] = ActionLeaveForm, values
		return h.mustClick(p)
	}
	bad := submit("ev-form-1", map[string]any{"type": "leave", "leave_type": "年假", "from": "2026-11-26 +0800", "start": "12:00 +0800", "end": "09:00 +0800"})
	if bad.Toast.Type != "error" || !strings.Contains(bad.Toast.Content, "时间看不懂") || bad.Card != nil {
		t.Errorf("bad submission = %+v", bad)
	}
	ok := submit("ev-form-2", map[string]any{"type": "leave", "leave_type": "年假", "from": "2026-11-26 +0800", "reason": "搬家"})
	if ok.Toast.Type != "success" || !strings.Contains(ok.Toast.Content, "请假申请 #") || ok.Card == nil {
		t.Fatalf("submission = %+v", ok)
	}
	if done := string(ok.Card.Data); !strings.Contains(done, "等待 王经理 审批") || strings.Contains(done, `"tag":"form"`) {
		t.Errorf("confirmation card = %s", done)
	}
	if h.audits("leave.requested") != 1 {
		t.Errorf("leave.requested audits = %d", h.audits("leave.requested"))
	}
	h.runOutbox()
	var card map[string]any
	for _, c := range h.api.Calls("/open-apis/im/v1/messages") {
		if c.Body["receive_id"] == managerOpenID {
			card = sentContent(t, c)
		}
	}
	if card == nil || card["header"].(map[string]any)["template"] != "violet" {
		t.Fatalf("manager's leave card = %v", card)
	}
	if text, _ := cardText(t, card); !strings.Contains(text, "类型\n年假") || !strings.Contains(text, "时间\n2026-11-26（周四） 全天") || !strings.Contains(text, "事由\n搬家") {
		t.Errorf("leave card:\n%s", text)
	}
}
