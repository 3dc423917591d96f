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

// shownText is what a sent message shows: a text message's text, or a
// card's texts (the filed answer is a card with the Withdraw button).
func shownText(tb testing.TB, c apiCall) string {
	tb.Helper()
	content := sentContent(tb, c)
	if text, ok := content["text"].(string); ok {
		return text
	}
	text, _ := cardText(tb, content)
	return text
}

// filedCard is the newest answer Alice got with a Withdraw button: the
// card and the button's value.
func (h *harness) filedCard(t *testing.T) (map[string]any, map[string]any) {
	t.Helper()
	replies := h.api.Calls("/reply")
	if len(replies) == 0 || replies[len(replies)-1].Body["msg_type"] != "interactive" {
		t.Fatalf("replies = %+v, want the filed card", replies)
	}
	card := sentContent(t, replies[len(replies)-1])
	_, buttons := cardText(t, card)
	if len(buttons) != 1 {
		t.Fatalf("filed card buttons = %v, want the Withdraw button", buttons)
	}
	return card, buttons[0]
}

func (h *harness) requestStatus(id string) core.MakeupStatus {
	h.tb.Helper()
	svc := core.NewService(h.store, h.kv, h.kv, core.DefaultConfig(), h.clock.Now)
	all, err := svc.ListMakeups(context.Background(), core.MakeupFilter{})
	if err != nil {
		h.tb.Fatal(err)
	}
	for _, m := range all {
		if strconv.FormatInt(m.ID, 10) == id {
			return m.Status
		}
	}
	h.tb.Fatalf("no request %s", id)
	return ""
}

// TestWithdrawButtonOnFeishu: Alice's filed trip is answered with a card
// whose 撤回 button names her; 同事's click is an error toast and changes
// nothing; Alice's withdraws and the card turns grey without the button;
// Feishu's retry and a second click withdraw nothing more; an approved
// trip that has not started is withdrawn too (销假); the leave form's
// JSON 2.0 confirmation carries the button and is answered in 2.0.
func TestWithdrawButtonOnFeishu(t *testing.T) {
	h := MustMakeupHarness(t)
	file := func(text string) (string, map[string]any) {
		t.Helper()
		h.clock.Add(time.Minute)
		if rec := h.post(h.event(msgEvent{openID: aliceOpenID, msgType: "text", content: textContent(text)}), delivery{}); rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", text, rec.Code, rec.Body)
		}
		h.runOutbox()
		card, button := h.filedCard(t)
		value := button["value"].(map[string]any)
		if button["type"] != "danger" || button["text"].(map[string]any)["content"] != "撤回" || value["action"] != ActionMakeupWithdraw || value["for"] != aliceOpenID || value["lang"] != "zh" {
			t.Fatalf("%s: button = %v", text, button)
		}
		if raw, _ := json.Marshal(card); !strings.Contains(string(raw), "获批后、开始前也可以撤回（销假）") || card["config"].(map[string]any)["update_multi"] != true {
			t.Errorf("%s: card = %s", text, raw)
		}
		return value["id"].(string), value
	}
	id, value := file("出差 11-26..11-27 上海 客户验收")
	approvedID, approvedValue := file("出差 11-30 上海 复盘")
	approve := h.mustClick(h.cardAction("ev-approve", managerOpenID, "om_card", map[string]any{"action": ActionMakeupApprove, "id": approvedID}))
	if !strings.Contains(approve.Toast.Content, "已同意 Alice 的出差申请 #"+approvedID) {
		t.Fatalf("approve = %+v", approve)
	}

	steps := []struct {
		name, eventID, openID, request string
		value                          map[string]any
		status                         core.MakeupStatus
		toast, toastType, header       string // header "": the card stays
	}{
		{name: "同事's click changes nothing", eventID: "ev-w-0", openID: peerOpenID, value: value, request: id, status: core.MakeupPending,
			toast: "这个按钮是发给别人的，你的点击没有改变任何记录。", toastType: "error"},
		{name: "Alice withdraws", eventID: "ev-w-1", openID: aliceOpenID, value: value, request: id, status: core.MakeupCancelled,
			toast: "↩️ 出差申请 #" + id + " 已撤回。", toastType: "success", header: "已撤回"},
		{name: "Feishu retries the callback", eventID: "ev-w-1", openID: aliceOpenID, value: value, request: id, status: core.MakeupCancelled,
			toast: "↩️ 出差申请 #" + id + " 已撤回。", toastType: "success", header: "已撤回"},
		{name: "a second click answers with the state", eventID: "ev-w-2", openID: aliceOpenID, value: value, request: id, status: core.MakeupCancelled,
			toast: "出差申请 #" + id + " 已处理：↩️ 申请人已撤回", toastType: "info", header: "已撤回"},
		{name: "the approved trip is withdrawn before it starts", eventID: "ev-w-3", openID: aliceOpenID, value: approvedValue, request: approvedID, status: core.MakeupRevoked,
			toast: "↩️ 已销假：已撤回已批准的出差申请 #" + approvedID, toastType: "success", header: "已撤回"},
	}
	for _, st := range steps {
		h.clock.Add(time.Minute)
		res := h.mustClick(h.cardAction(st.eventID, st.openID, "om_filed", st.value))
		if got := h.requestStatus(st.request); got != st.status {
			t.Errorf("%s: request %s is %s, want %s", st.name, st.request, got, st.status)
		}
		if res.Toast.Type != st.toastType || !strings.Contains(res.Toast.Content, st.toast) {
			t.Errorf("%s: toast = %+v, want %s %q", st.name, res.Toast, st.toastType, st.toast)
		}
		if st.header == "" {
			if res.Card != nil {
				t.Errorf("%s: the card was replaced: %s", st.name, res.Card.Data)
			}
			continue
		}
		if res.Card == nil {
			t.Fatalf("%s: no card in the answer", st.name)
		}
		card := decodeCard(t, res.Card.Data)
		header := card["header"].(map[string]any)
		if header["template"] != "grey" || header["title"].(map[string]any)["content"] != st.header {
			t.Errorf("%s: header = %v, want grey %q", st.name, header, st.header)
		}
		if _, buttons := cardText(t, card); len(buttons) != 0 {
			t.Errorf("%s: the answered card still has buttons %v", st.name, buttons)
		}
	}
	for action, want := range map[string]int{"trip.cancelled": 1, "trip.withdrawn": 1} {
		if got := h.audits(action); got != want {
			t.Errorf("%s audits = %d, want %d", action, got, want)
		}
	}

	// The leave form's confirmation is a JSON 2.0 card: the button's value
	// travels in behaviors, and the answer keeps the schema.
	p := h.cardAction("ev-form", aliceOpenID, "om_form", nil)
	action := p["event"].(map[string]any)["action"].(map[string]any)
	delete(action, "value")
	action["name"], action["form_value"] = ActionLeaveForm, map[string]any{"type": "outing", "from": "2026-11-26 +0800", "start": "14:00 +0800", "end": "16:00 +0800", "place": "客户", "reason": "拜访"}
	done := h.mustClick(p)
	if done.Card == nil {
		t.Fatalf("form submission = %+v", done)
	}
	var form struct {
		Schema string `json:"schema"`
		Body   struct {
			Elements []struct {
				Tag       string `json:"tag"`
				Behaviors []struct {
					Type  string         `json:"type"`
					Value map[string]any `json:"value"`
				} `json:"behaviors"`
			} `json:"elements"`
		} `json:"body"`
	}
	if err := json.Unmarshal(done.Card.Data, &form); err != nil {
		t.Fatal(err)
	}
	var formValue map[string]any
	for _, el := range form.Body.Elements {
		if el.Tag == "button" && len(el.Behaviors) == 1 && el.Behaviors[0].Type == "callback" {
			formValue = el.Behaviors[0].Value
		}
	}
	if form.Schema != "2.0" || formValue["action"] != ActionMakeupWithdraw || formValue["for"] != aliceOpenID || formValue["schema"] != "2.0" {
		t.Fatalf("form confirmation = %s, want a 2.0 Withdraw button", done.Card.Data)
	}
	res := h.mustClick(h.cardAction("ev-w-form", aliceOpenID, "om_form", formValue))
	if got := h.requestStatus(formValue["id"].(string)); got != core.MakeupCancelled || res.Card == nil || !strings.Contains(string(res.Card.Data), `"schema":"2.0"`) {
		t.Errorf("withdraw from the form's card: status %s, answer %+v", got, res)
	}
}
