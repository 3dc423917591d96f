package feishu

import (
	"strings"
	"testing"
	"time"
)

// lastMessageTo is the content of the last message created for openID
// (not a reply); the test fails when there is none.
func (h *harness) lastMessageTo(tb testing.TB, openID string) map[string]any {
	tb.Helper()
	var last map[string]any
	for _, c := range h.api.Calls("/open-apis/im/v1/messages") {
		if c.Body["receive_id"] == openID {
			last = sentContent(tb, c)
		}
	}
	if last == nil {
		tb.Fatalf("no message for %s", openID)
	}
	return last
}

// inputAction is the card.action.trigger Feishu sends when someone submits
// a standalone input box: action.tag "input", the text as
// action.input_value and the input's value as action.value.
func (h *harness) inputAction(eventID, openID, messageID string, value map[string]any, typed string) map[string]any {
	ev := h.cardAction(eventID, openID, messageID, value)
	ev["event"].(map[string]any)["action"] = map[string]any{"value": value, "tag": "input", "input_value": typed}
	return ev
}

// The approval card has an input box for the reason to reject: typing in it
// and pressing Enter rejects the request with that reason, which the
// requester is told; control characters are dropped, not stored.
func TestRejectWithReasonOnCard(t *testing.T) {
	tests := []struct {
		name, typed, wantReason string
	}{
		{"a reason", "请补充行程单", "请补充行程单"},
		{"a NUL byte in it", "请补充\x00行程单", "请补充行程单"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := MustMakeupHarness(t)
			if rec := h.post(h.event(msgEvent{openID: aliceOpenID, msgType: "text", content: textContent("出差 11-26..11-27 上海 客户验收")}), delivery{}); rec.Code != 200 {
				t.Fatalf("request: %d %s", rec.Code, rec.Body)
			}
			h.runOutbox()
			card := h.lastMessageTo(t, managerOpenID)
			var input map[string]any
			for _, el := range card["elements"].([]any) {
				if e := el.(map[string]any); e["tag"] == "input" {
					input = e
				}
			}
			if input == nil {
				t.Fatalf("the card has no input box: %v", card["elements"])
			}
			value := input["value"].(map[string]any)
			if value["action"] != ActionMakeupReject || value["id"] == "" || !strings.Contains(input["placeholder"].(map[string]any)["content"].(string), "驳回理由") {
				t.Fatalf("input box = %v, want the reject action, the request id and a placeholder naming the reason", input)
			}

			h.clock.Add(time.Minute)
			res := h.mustClick(h.inputAction("ev-reject-note", managerOpenID, "om_card", value, tc.typed))
			if res.Card == nil || res.Toast.Type != "success" || !strings.Contains(res.Toast.Content, "已驳回 Alice 的出差申请") {
				t.Fatalf("answer = %+v", res)
			}
			if got := decodeCard(t, res.Card.Data)["header"].(map[string]any)["template"]; got != "red" {
				t.Errorf("rejected card header = %v, want red", got)
			}
			if text, _ := cardText(t, decodeCard(t, res.Card.Data)); !strings.Contains(text, tc.wantReason) {
				t.Errorf("rejected card lacks the reason %q:\n%s", tc.wantReason, text)
			}
			h.runOutbox()
			var told string
			for _, c := range h.api.Calls("/open-apis/im/v1/messages") {
				if c.Body["receive_id"] == aliceOpenID && c.Body["msg_type"] == "text" {
					told = sentContent(t, c)["text"].(string)
				}
			}
			if !strings.Contains(told, "驳回") || !strings.Contains(told, tc.wantReason) {
				t.Errorf("Alice is told %q, want the rejection with the reason %q", told, tc.wantReason)
			}
			if got := h.audits("trip.rejected"); got != 1 {
				t.Errorf("%d rejections audited, want 1", got)
			}
		})
	}
}
