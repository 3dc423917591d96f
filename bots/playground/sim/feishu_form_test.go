package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"

	"github.com/punchbot/punchbot/bots/feishu"
	"github.com/punchbot/punchbot/core"
)

// feishuOvertimeForm is a card JSON 2.0 with a form container as the bot's
// 加班 form has it (bots/feishu/overtimeform.go), plus a select_static and
// a reset button: form container, date_picker, picker_time, select_static
// and input of card JSON 2.0
// (https://open.feishu.cn/document/feishu-cards/card-json-v2-components/containers/form-container).
const feishuOvertimeForm = `{"schema":"2.0","config":{"update_multi":true},"header":{"template":"orange","title":{"tag":"plain_text","content":"申请加班"}},
"body":{"elements":[{"tag":"markdown","content":"填写后点提交"},{"tag":"form","name":"overtime_form","elements":[
{"tag":"date_picker","name":"overtime_date","required":true,"placeholder":{"tag":"plain_text","content":"日期"}},
{"tag":"picker_time","name":"overtime_start","required":true,"placeholder":{"tag":"plain_text","content":"开始时间"}},
{"tag":"picker_time","name":"overtime_end","required":true,"placeholder":{"tag":"plain_text","content":"结束时间"}},
{"tag":"select_static","name":"kind","initial_option":"workday","label":{"tag":"plain_text","content":"类别"},"options":[
 {"text":{"tag":"plain_text","content":"工作日"},"value":"workday"},{"text":{"tag":"plain_text","content":"休息日"},"value":"rest"}]},
{"tag":"input","name":"overtime_reason","max_length":10,"label":{"tag":"plain_text","content":"事由"}},
{"tag":"button","name":"leave_form_submit","text":{"tag":"plain_text","content":"提交"},"type":"primary","form_action_type":"submit"},
{"tag":"button","name":"clear","text":{"tag":"plain_text","content":"清空"},"form_action_type":"reset"}]}]}}`

// TestFeishuSubmitForm: a form container is drawn as its inputs and its
// submit button, and submitting it sends the signed, encrypted
// card.action.trigger a Feishu client sends (PLATFORMS.md §7.2): action.tag
// button, action.name the submit button's name, action.form_value every
// filled input by name, dates and times with the client's UTC offset
// ("2025-06-10 +0800", "05:05 +0800", as date_picker and picker_time call
// back), a select left alone with its initial option. Like the client, a
// required input left empty, an option not offered or text over
// max_length sends nothing. The card in the answer replaces the form.
// formBot is a bot's callback endpoint that checks the signature,
// decrypts each card.action.trigger into *events and answers with answer,
// and a simulator that has sent card (JSON) to ou_1 as message id.
func formBot(t *testing.T, card, answer string) (s *Feishu, hub *Hub, id string, events *[]map[string]any) {
	t.Helper()
	const key = "encrypt-key-form"
	var mu sync.Mutex
	events = &[]map[string]any{}
	bot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var env struct{ Encrypt string }
		if err := json.Unmarshal(body, &env); err != nil {
			t.Errorf("callback body %s: %v", body, err)
		}
		if got, want := r.Header.Get("X-Lark-Signature"), feishu.Signature(r.Header.Get("X-Lark-Request-Timestamp"), r.Header.Get("X-Lark-Request-Nonce"), key, body); got != want {
			t.Errorf("X-Lark-Signature = %s, want %s", got, want)
		}
		plain, err := feishu.Decrypt(env.Encrypt, key)
		if err != nil {
			t.Errorf("decrypt: %v", err)
		}
		var ev map[string]any
		_ = json.Unmarshal(plain, &ev)
		mu.Lock()
		*events = append(*events, ev)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(answer))
	}))
	t.Cleanup(bot.Close)
	hub = NewHub(newClock().Now, nil)
	s = newFeishu(FeishuConfig{AppID: "cli_1", AppSecret: "sec", EncryptKey: key}, hub, func() string { return bot.URL }, bot.Client())
	_, out, _ := do(t, s, "POST", "/open-apis/auth/v3/tenant_access_token/internal", "application/json", `{"app_id":"cli_1","app_secret":"sec"}`)
	r := httptest.NewRequest("POST", "/open-apis/im/v1/messages?receive_id_type=open_id",
		bytes.NewReader([]byte(`{"receive_id":"ou_1","msg_type":"interactive","content":`+quote(card)+`}`)))
	r.Header.Set("Authorization", "Bearer "+out["tenant_access_token"].(string))
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var sent struct {
		Data struct {
			MessageID string `json:"message_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &sent); err != nil || sent.Data.MessageID == "" {
		t.Fatalf("send the card = %d %s", w.Code, w.Body)
	}
	return s, hub, sent.Data.MessageID, events
}

func TestFeishuSubmitForm(t *testing.T) {
	s, hub, id, sent := formBot(t, feishuOvertimeForm, `{"toast":{"type":"success","content":"已提交"},"card":{"type":"raw","data":{"schema":"2.0","header":{"template":"orange","title":{"tag":"plain_text","content":"加班申请 #7 已提交"}},"body":{"elements":[{"tag":"markdown","content":"等待审批"}]}}}}`)

	e, _ := hub.find(core.PlatformFeishu, "ou_1", id)
	wantInputs := []Input{
		{Tag: "date_picker", Name: "overtime_date", Placeholder: "日期", Required: true},
		{Tag: "picker_time", Name: "overtime_start", Placeholder: "开始时间", Required: true},
		{Tag: "picker_time", Name: "overtime_end", Placeholder: "结束时间", Required: true},
		{Tag: "select_static", Name: "kind", Label: "类别", Initial: "workday", Options: []Option{{"workday", "工作日"}, {"rest", "休息日"}}},
		{Tag: "input", Name: "overtime_reason", Label: "事由", MaxLength: 10},
	}
	if e.Card == nil || !reflect.DeepEqual(e.Card.Inputs, wantInputs) {
		t.Fatalf("form inputs = %+v\nwant %+v", e.Card, wantInputs)
	}
	if got, want := e.Card.Submit, (&Submit{Text: "提交", Key: "leave_form_submit"}); !reflect.DeepEqual(got, want) || len(e.Card.Buttons) != 0 {
		t.Errorf("submit = %+v, buttons %+v; want %+v and no other button (reset only clears)", got, e.Card.Buttons, want)
	}

	ctx := context.Background()
	full := map[string]string{"overtime_date": "2026-12-05", "overtime_start": "19:00", "overtime_end": "21:30", "overtime_reason": "客户演示"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range full {
			m[a] = b
		}
		m[k] = v
		return m
	}
	bad := []struct {
		name   string
		values map[string]string
	}{
		{"a required date left empty", with("overtime_date", "")},
		{"a required time left empty", with("overtime_end", " ")},
		{"an option the select does not offer", with("kind", "holiday")},
		{"a reason over max_length", with("overtime_reason", "一二三四五六七八九十一")},
		{"an input the form does not have", with("note", "x")},
		{"a date the picker cannot give", with("overtime_date", "12/05")},
	}
	for _, tt := range bad {
		if err := s.SubmitForm(ctx, "ou_1", id, tt.values); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("%s: SubmitForm = %v, want %s", tt.name, err, core.EINVALID)
		}
	}
	events := *sent
	if len(events) != 0 {
		t.Fatalf("callbacks = %d, want none for forms a client would not send", len(events))
	}
	if err := s.SubmitForm(ctx, "ou_1", id, full); err != nil {
		t.Fatal(err)
	}
	events = *sent
	if len(events) != 1 {
		t.Fatalf("callbacks = %d, want 1", len(events))
	}
	if got := events[0]["header"].(map[string]any)["event_type"]; got != "card.action.trigger" {
		t.Errorf("event_type = %v", got)
	}
	ev := events[0]["event"].(map[string]any)
	action := ev["action"].(map[string]any)
	wantAction := map[string]any{"tag": "button", "name": "leave_form_submit", "timezone": "Asia/Shanghai", "form_value": map[string]any{
		"overtime_date": "2026-12-05 +0800", "overtime_start": "19:00 +0800", "overtime_end": "21:30 +0800", "kind": "workday", "overtime_reason": "客户演示"}}
	if !reflect.DeepEqual(action, wantAction) {
		t.Errorf("action = %v\nwant %v", action, wantAction)
	}
	if got := ev["operator"].(map[string]any)["open_id"]; got != "ou_1" {
		t.Errorf("operator = %v", got)
	}
	if got := ev["context"].(map[string]any)["open_message_id"]; got != id {
		t.Errorf("open_message_id = %v, want %s", got, id)
	}
	e, _ = hub.find(core.PlatformFeishu, "ou_1", id)
	if e.Card == nil || e.Card.Title != "加班申请 #7 已提交" || len(e.Card.Inputs) != 0 || e.Card.Submit != nil {
		t.Errorf("after the submit the card is %+v, want the answer's card in place of the form", e.Card)
	}
	if err := s.SubmitForm(ctx, "ou_1", id, full); core.ErrorCode(err) != core.ENOTFOUND {
		t.Errorf("a second submit on the replaced card = %v, want %s", err, core.ENOTFOUND)
	}
}

// feishuApprovalCard is a JSON 1.0 card with buttons and an input box
// outside any form, as the bot's approval card has it
// (bots/feishu/makeup.go; 输入框, JSON 1.0:
// https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-components/interactive-components/input).
const feishuApprovalCard = `{"config":{"wide_screen_mode":true,"update_multi":true},"header":{"template":"blue","title":{"tag":"plain_text","content":"补卡申请 #3"}},
"elements":[{"tag":"action","actions":[{"tag":"button","text":{"tag":"plain_text","content":"同意"},"type":"primary","value":{"action":"makeup_approve","id":"3"}}]},
{"tag":"input","name":"reject_note","width":"fill","max_length":5,"placeholder":{"tag":"plain_text","content":"驳回理由"},"value":{"action":"makeup_reject","id":"3"}}]}`

// TestFeishuSubmitInput: an input box outside a form is drawn as an input
// with its value, and Enter in it sends card.action.trigger with
// action.tag input, the text as input_value and the box's value; like the
// client, an empty box or text over max_length sends nothing.
func TestFeishuSubmitInput(t *testing.T) {
	s, hub, id, sent := formBot(t, feishuApprovalCard, `{"toast":{"type":"success","content":"已驳回"}}`)
	e, _ := hub.find(core.PlatformFeishu, "ou_1", id)
	want := []Input{{Tag: "input", Name: "reject_note", Placeholder: "驳回理由", MaxLength: 5, Value: map[string]any{"action": "makeup_reject", "id": "3"}}}
	if e.Card == nil || !reflect.DeepEqual(e.Card.Inputs, want) || e.Card.Submit != nil || len(e.Card.Buttons) != 1 {
		t.Fatalf("card = %+v, want the button and the input box %+v", e.Card, want)
	}
	ctx := context.Background()
	for _, tt := range []struct {
		name   string
		values map[string]string
	}{
		{"nothing typed", map[string]string{"reject_note": "  "}},
		{"over max_length", map[string]string{"reject_note": "一二三四五六"}},
		{"a box the card does not have", map[string]string{"note": "x"}},
		{"two at once", map[string]string{"reject_note": "x", "other": "y"}},
	} {
		if err := s.SubmitForm(ctx, "ou_1", id, tt.values); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("%s: SubmitForm = %v, want %s", tt.name, err, core.EINVALID)
		}
	}
	if len(*sent) != 0 {
		t.Fatalf("callbacks = %d, want none for input a client would not send", len(*sent))
	}
	if err := s.SubmitForm(ctx, "ou_1", id, map[string]string{"reject_note": "缺证明"}); err != nil {
		t.Fatal(err)
	}
	if len(*sent) != 1 {
		t.Fatalf("callbacks = %d, want 1", len(*sent))
	}
	got := (*sent)[0]["event"].(map[string]any)["action"]
	wantAction := map[string]any{"tag": "input", "name": "reject_note", "input_value": "缺证明", "value": map[string]any{"action": "makeup_reject", "id": "3"}}
	if !reflect.DeepEqual(got, wantAction) {
		t.Errorf("action = %v\nwant %v", got, wantAction)
	}
}
