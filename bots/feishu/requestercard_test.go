package feishu

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// requesterCardID is the message id of Alice's recorded "submitted" card.
func (h *harness) requesterCardID(t *testing.T, id string) string {
	t.Helper()
	n, _ := strconv.ParseInt(id, 10, 64)
	svc := core.NewService(h.store, h.kv, h.kv, core.DefaultConfig(), h.clock.Now)
	ref, err := svc.CardRef(context.Background(), n, core.PlatformFeishu, aliceOpenID)
	var r cardRef
	if err != nil || !ref.Requester || json.Unmarshal([]byte(ref.Ref), &r) != nil || !strings.HasPrefix(r.MessageID, "om_new") {
		t.Fatalf("the requester's card of request %s = %+v, %v", id, ref, err)
	}
	return r.MessageID
}

// TestRequesterCardFollowsOnFeishu: Alice's "submitted" card is PATCHed
// in place (im/v1/messages/:message_id) when the manager decides, in her
// language: the state, the reason of a rejection, and the 撤回 button
// only while a withdrawal would still be accepted (an approved trip
// before it starts). A click on the updated card still withdraws, and
// the card is patched once more, without the button.
func TestRequesterCardFollowsOnFeishu(t *testing.T) {
	h := MustMakeupHarness(t)
	say := func(openID, text string) {
		t.Helper()
		if rec := h.post(h.event(msgEvent{openID: openID, msgType: "text", content: textContent(text)}), delivery{}); rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", text, rec.Code, rec.Body)
		}
		h.runOutbox()
	}
	tests := []struct {
		name, file, decide string
		want               []string
		button             bool
	}{
		{name: "an approved future trip keeps the button", file: "出差 11-30 上海 复盘", decide: "同意 %s",
			want: []string{"出差申请 #%s（上海 2026-11-30（周一）", "✅ 已同意 · 王经理"}, button: true},
		{name: "an approved trip that has started loses it", file: "出差 11-25 上海 驻场", decide: "同意 %s",
			want: []string{"出差申请 #%s（上海 2026-11-25（周三）", "✅ 已同意 · 王经理"}},
		{name: "a rejected trip shows the reason", file: "出差 11-27 北京 培训", decide: "驳回 %s 本周人手不够",
			want: []string{"❌ 已驳回 · 王经理", "理由：本周人手不够"}},
	}
	var kept string
	var keptValue map[string]any
	for _, tt := range tests {
		h.clock.Add(time.Minute)
		say(aliceOpenID, tt.file)
		_, button := h.filedCard(t)
		value := button["value"].(map[string]any)
		id := value["id"].(string)
		msgID := h.requesterCardID(t, id)
		say(managerOpenID, strings.ReplaceAll(tt.decide, "%s", id))
		patches := h.api.Calls("/open-apis/im/v1/messages/" + msgID)
		if len(patches) != 1 || patches[0].Method != http.MethodPatch {
			t.Fatalf("%s: patches of the requester's card = %+v, want one", tt.name, patches)
		}
		card := sentContent(t, patches[0])
		text, buttons := cardText(t, card)
		for _, w := range tt.want {
			if w = strings.ReplaceAll(w, "%s", id); !strings.Contains(text, w) {
				t.Errorf("%s: patched card =\n%s\nwant %q", tt.name, text, w)
			}
		}
		if card["config"].(map[string]any)["update_multi"] != true {
			t.Errorf("%s: the patched card is not shared (update_multi): %v", tt.name, card["config"])
		}
		if got := len(buttons) == 1 && buttons[0]["value"].(map[string]any)["action"] == ActionMakeupWithdraw; got != tt.button || (len(buttons) > 1) {
			t.Errorf("%s: buttons = %v, want the Withdraw button %v", tt.name, buttons, tt.button)
		}
		if tt.button {
			kept, keptValue = id, buttons[0]["value"].(map[string]any)
			if keptValue["for"] != aliceOpenID || keptValue["id"] != id {
				t.Errorf("%s: the kept button's value = %v", tt.name, keptValue)
			}
		}
	}

	// The kept button still works: Alice withdraws the approved trip (销假).
	msgID := h.requesterCardID(t, kept)
	h.clock.Add(time.Minute)
	res := h.mustClick(h.cardAction("ev-rc-1", aliceOpenID, msgID, keptValue))
	if res.Toast.Type != "success" || h.requestStatus(kept) != core.MakeupRevoked {
		t.Fatalf("click = %+v, request %s", res.Toast, h.requestStatus(kept))
	}
	h.runOutbox()
	patches := h.api.Calls("/open-apis/im/v1/messages/" + msgID)
	if len(patches) != 2 {
		t.Fatalf("%d patches of the requester's card, want 2", len(patches))
	}
	if text, buttons := cardText(t, sentContent(t, patches[1])); len(buttons) != 0 || !strings.Contains(text, "批准后申请人已撤回（销假）") {
		t.Errorf("after the click: buttons %v\n%s", buttons, text)
	}
}

// TestRequesterCardFollowsTheLeaveFormOnFeishu: the leave form's message,
// which became the JSON 2.0 confirmation, is the requester's card; the
// approval PATCHes it in 2.0 with the state and the Withdraw button (a
// 2.0 callback behaviour), since the outing has not started.
func TestRequesterCardFollowsTheLeaveFormOnFeishu(t *testing.T) {
	h := MustMakeupHarness(t)
	p := h.cardAction("ev-form-rc", aliceOpenID, "om_form_rc", nil)
	action := p["event"].(map[string]any)["action"].(map[string]any)
	delete(action, "value")
	action["name"], action["form_value"] = ActionLeaveForm, map[string]any{"type": "outing", "from": "2026-11-26 +0800", "start": "14:00 +0800", "end": "16:00 +0800", "place": "客户", "reason": "拜访"}
	if done := h.mustClick(p); done.Card == nil || done.Toast.Type != "success" {
		t.Fatalf("form submission = %+v", done)
	}
	svc := core.NewService(h.store, h.kv, h.kv, core.DefaultConfig(), h.clock.Now)
	filed, err := svc.ListMakeups(context.Background(), core.MakeupFilter{})
	if err != nil || len(filed) != 1 {
		t.Fatalf("requests = %+v, %v; want the outing", filed, err)
	}
	id := strconv.FormatInt(filed[0].ID, 10)
	if ref, err := svc.CardRef(context.Background(), filed[0].ID, core.PlatformFeishu, aliceOpenID); err != nil || !ref.Requester || ref.Ref != `{"message_id":"om_form_rc","schema":"2.0"}` {
		t.Fatalf("the requester's card = %+v, %v; want the form's message in 2.0", ref, err)
	}
	h.clock.Add(time.Minute)
	if rec := h.post(h.event(msgEvent{openID: managerOpenID, msgType: "text", content: textContent("同意 " + id)}), delivery{}); rec.Code != http.StatusOK {
		t.Fatalf("approve: %d %s", rec.Code, rec.Body)
	}
	h.runOutbox()
	patches := h.api.Calls("/open-apis/im/v1/messages/om_form_rc")
	if len(patches) != 1 || patches[0].Method != http.MethodPatch {
		t.Fatalf("patches of the form's card = %+v, want one", patches)
	}
	content, _ := patches[0].Body["content"].(string)
	var card struct {
		Schema string `json:"schema"`
		Config struct {
			UpdateMulti bool `json:"update_multi"`
		} `json:"config"`
		Body struct {
			Elements []struct {
				Tag       string `json:"tag"`
				Content   string `json:"content"`
				Behaviors []struct {
					Value map[string]any `json:"value"`
				} `json:"behaviors"`
			} `json:"elements"`
		} `json:"body"`
	}
	if err := json.Unmarshal([]byte(content), &card); err != nil {
		t.Fatalf("patched content %q: %v", content, err)
	}
	var text string
	var button map[string]any
	for _, el := range card.Body.Elements {
		text += el.Content + "\n"
		if el.Tag == "button" && len(el.Behaviors) == 1 {
			button = el.Behaviors[0].Value
		}
	}
	if card.Schema != "2.0" || !card.Config.UpdateMulti || !strings.Contains(text, "已同意 · 王经理") {
		t.Errorf("patched card = %s", content)
	}
	if button["action"] != ActionMakeupWithdraw || button["id"] != id || button["schema"] != "2.0" || button["for"] != aliceOpenID {
		t.Errorf("patched card's button = %v, want a 2.0 Withdraw button for request %s", button, id)
	}
}
