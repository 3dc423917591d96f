package sim

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestCardReduction: each platform's card reduces to what a client draws,
// whatever its parts, so a card type added later shows without a change.
func TestCardReduction(t *testing.T) {
	wc := wecomCard(mustJSON(t, wecomDocCard))
	if wc.Type != "button_interaction" || wc.Title != "欢迎使用企业微信" || len(wc.Fields) != 4 || wc.Fields[1].URL == "" {
		t.Errorf("WeCom card = %+v", wc)
	}
	if got := []string{wc.Buttons[0].Label, wc.Buttons[0].Style, wc.Buttons[1].Style}; !reflect.DeepEqual(got, []string{"按钮1", "primary", "danger"}) {
		t.Errorf("WeCom buttons = %v", got)
	}
	if key, _ := wc.Buttons[0].payload.(string); key != "button_key_1" {
		t.Errorf("WeCom button key = %v, want button_key_1 echoed on a click", wc.Buttons[0].payload)
	}
	done := wecomCard(mustJSON(t, `{"card_type":"text_notice","main_title":{"title":"补卡"},"replace_text":"已同意"}`))
	if done.Done != "已同意" {
		t.Errorf("replace_text = %q", done.Done)
	}

	// multiple_interaction: the drop-downs and the submit button of doc
	// 90236's 多项选择型 example (fields in doc 101032), and the greyed
	// drop-downs of an update.
	mc := wecomCard(mustJSON(t, wecomDocMultipleCard))
	wantSelects := []Select{
		{Key: "question_key1", Title: "选择器标签1", Selected: "selection_id1", Options: []Option{{"selection_id1", "选择器选项1"}, {"selection_id2", "选择器选项2"}}},
		{Key: "question_key2", Title: "选择器标签2", Selected: "selection_id3", Options: []Option{{"selection_id3", "选择器选项3"}, {"selection_id4", "选择器选项4"}}},
	}
	if mc.Type != "multiple_interaction" || mc.Title != "欢迎使用企业微信" || !reflect.DeepEqual(mc.Selects, wantSelects) {
		t.Errorf("WeCom multiple_interaction selects = %+v\nwant %+v", mc.Selects, wantSelects)
	}
	if mc.Submit == nil || *mc.Submit != (Submit{Text: "提交", Key: "key"}) || len(mc.Buttons) != 0 {
		t.Errorf("WeCom submit button = %+v, buttons %+v; want 提交/key and no buttons", mc.Submit, mc.Buttons)
	}
	greyed := wecomCard(mustJSON(t, `{"card_type":"multiple_interaction","task_id":"t","replace_text":"已提交",
	  "select_list":[{"question_key":"q","title":"日期","disable":true,"selected_id":"nope","option_list":[{"id":"a","text":"A"},{"id":"b","text":"B"}]}],
	  "submit_button":{"text":"提交","key":"k"}}`))
	if got, want := greyed.Selects, []Select{{Key: "q", Title: "日期", Selected: "a", Disabled: true, Options: []Option{{"a", "A"}, {"b", "B"}}}}; !reflect.DeepEqual(got, want) || greyed.Done != "已提交" {
		t.Errorf("updated form = %+v (done %q), want %+v: a wrong selected_id shows the first option", got, greyed.Done, want)
	}

	fc := feishuCard(mustJSON(t, `{"config":{"update_multi":true},
	  "header":{"title":{"tag":"plain_text","content":"补卡申请 #4"},"template":"red","subtitle":{"tag":"plain_text","content":"张三"}},
	  "elements":[{"tag":"div","text":{"tag":"lark_md","content":"⏳ 待审批"},"fields":[{"is_short":true,"text":{"tag":"lark_md","content":"**日期**\n11-30"}}]},
	    {"tag":"hr"},{"tag":"markdown","content":"**原因** 地铁"},
	    {"tag":"column_set","columns":[{"elements":[{"tag":"markdown","content":"列"}]}]},
	    {"tag":"action","actions":[{"tag":"button","text":{"tag":"plain_text","content":"同意"},"type":"primary","value":{"action":"makeup_approve","id":"4"}},
	      {"tag":"button","text":{"tag":"plain_text","content":"打开"},"type":"default","url":"https://example.com"}]},
	    {"tag":"note","elements":[{"tag":"plain_text","content":"72 小时内有效"}]}]}`))
	if fc.Title != "补卡申请 #4" || fc.Color != "red" || fc.Subtitle != "张三" || len(fc.Lines) != 3 || fc.Fields[0] != (Field{Label: "日期", Value: "11-30"}) || fc.Notes[0] != "72 小时内有效" {
		t.Errorf("Feishu card = %+v", fc)
	}
	if v, _ := fc.Buttons[0].payload.(map[string]any); v["action"] != "makeup_approve" || fc.Buttons[1].URL == "" || fc.Buttons[1].Style != "" {
		t.Errorf("Feishu buttons = %+v", fc.Buttons)
	}
	v2 := feishuCard(mustJSON(t, `{"schema":"2.0","header":{"title":{"content":"确认"},"template":"green"},"body":{"elements":[{"tag":"markdown","content":"body"}]}}`))
	if v2.Color != "green" || len(v2.Lines) != 1 {
		t.Errorf("Feishu JSON 2.0 card = %+v", v2)
	}
	v2b := feishuCard(mustJSON(t, `{"schema":"2.0","body":{"elements":[{"tag":"button","text":{"tag":"plain_text","content":"撤回"},
	  "behaviors":[{"type":"open_url","default_url":"https://example.com"},{"type":"callback","value":{"action":"makeup_withdraw","id":"7"}}]}]}}`))
	if len(v2b.Buttons) != 1 {
		t.Fatalf("Feishu JSON 2.0 buttons = %+v", v2b.Buttons)
	}
	if v, _ := v2b.Buttons[0].payload.(map[string]any); v["action"] != "makeup_withdraw" || v["id"] != "7" {
		t.Errorf("Feishu JSON 2.0 button sends %v, want its callback behaviour's value", v2b.Buttons[0].payload)
	}

	var blocks []any
	_ = json.Unmarshal([]byte(`[{"type":"header","text":{"type":"plain_text","text":"Make-up #4"}},
	  {"type":"section","block_id":"s1","text":{"type":"mrkdwn","text":"*Alice* asks"},"fields":[{"type":"mrkdwn","text":"*Date*\n11-30"}],
	   "accessory":{"type":"button","action_id":"open","text":{"type":"plain_text","text":"Open"},"url":"https://example.com"}},
	  {"type":"actions","block_id":"b1","elements":[{"type":"button","action_id":"makeup_approve","value":"4","style":"primary","text":{"type":"plain_text","text":"Approve"}},{"type":"datepicker","action_id":"d"}]},
	  {"type":"context","elements":[{"type":"mrkdwn","text":"expires in 72 h"}]},{"type":"divider"}]`), &blocks)
	sc := slackCard(blocks)
	if sc.Title != "Make-up #4" || len(sc.Lines) != 1 || sc.Fields[0] != (Field{Label: "Date", Value: "11-30"}) || sc.Notes[0] != "expires in 72 h" || len(sc.Buttons) != 2 {
		t.Errorf("Slack card = %+v", sc)
	}
	if a, _ := sc.Buttons[1].payload.(slackAction); a != (slackAction{BlockID: "b1", ActionID: "makeup_approve", Value: "4", Text: "Approve"}) || sc.Buttons[0].URL == "" {
		t.Errorf("Slack buttons = %+v", sc.Buttons)
	}
}
