package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// wecomDocCard is the button_interaction example of doc 90236
// (PLATFORMS.md §4.2).
const wecomDocCard = `{
  "card_type" : "button_interaction",
  "source" : {"icon_url": "图片的url", "desc": "企业微信", "desc_color": 1},
  "action_menu": {"desc": "卡片副交互辅助文本说明", "action_list": [{"text": "接受推送", "key": "A"}, {"text": "不再推送", "key": "B"}]},
  "main_title" : {"title" : "欢迎使用企业微信", "desc" : "您的好友正在邀请您加入企业微信"},
  "quote_area": {"type": 1, "url": "https://work.weixin.qq.com", "title": "企业微信的引用样式", "quote_text": "企业微信真好用呀真好用"},
  "sub_title_text" : "下载企业微信还能抢红包！",
  "horizontal_content_list" : [
    {"keyname": "邀请人", "value": "张三"},
    {"type": 1, "keyname": "企业微信官网", "value": "点击访问", "url": "https://work.weixin.qq.com"},
    {"type": 2, "keyname": "企业微信下载", "value": "企业微信.apk", "media_id": "文件的media_id"},
    {"type": 3, "keyname": "员工信息", "value": "点击查看", "userid": "zhangsan"}
  ],
  "card_action": {"type": 2, "url": "https://work.weixin.qq.com", "appid": "小程序的appid", "pagepath": "/index.html"},
  "task_id": "task_id",
  "button_selection": {"question_key": "btn_question_key1", "title": "企业微信评分",
     "option_list": [{"id": "btn_selection_id1", "text": "100分"}, {"id": "btn_selection_id2", "text": "101分"}],
     "selected_id": "btn_selection_id1"},
  "button_list": [{"text": "按钮1", "style": 1, "key": "button_key_1"}, {"text": "按钮2", "style": 2, "key": "button_key_2"}]
}`

// wecomDocMultipleCard is the multiple_interaction (多项选择型) example of
// doc 90236; its select_list and submit_button fields are those of doc
// 101032 (模板卡片类型: SelectionItem, submit_button).
const wecomDocMultipleCard = `{
  "card_type" : "multiple_interaction",
  "source" : {"icon_url": "图片的url", "desc": "企业微信"},
  "main_title" : {"title" : "欢迎使用企业微信", "desc" : "您的好友正在邀请您加入企业微信"},
  "task_id": "task_id",
  "select_list": [
    {"question_key": "question_key1", "title": "选择器标签1", "selected_id": "selection_id1",
     "option_list": [{"id": "selection_id1", "text": "选择器选项1"}, {"id": "selection_id2", "text": "选择器选项2"}]},
    {"question_key": "question_key2", "title": "选择器标签2", "selected_id": "selection_id3",
     "option_list": [{"id": "selection_id3", "text": "选择器选项3"}, {"id": "selection_id4", "text": "选择器选项4"}]}
  ],
  "submit_button": {"text": "提交", "key": "key"}
}`

func mustJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	m, err := decodeJSON(s)
	if err != nil {
		t.Fatalf("%v in %s", err, s)
	}
	return m
}

// TestCheckTemplateCard: the documented example passes; each broken rule
// of doc 90236 is reported with WeCom's code.
func TestCheckTemplateCard(t *testing.T) {
	for _, doc := range []string{wecomDocCard, wecomDocMultipleCard} {
		if problems, code := checkTemplateCard(mustJSON(t, doc)); len(problems) > 0 || code != 0 {
			t.Fatalf("documented example: %v (%d), want none", problems, code)
		}
	}
	form := func(selects string) string {
		return `{"card_type":"multiple_interaction","main_title":{"title":"x"},"task_id":"t","select_list":` + selects + `,"submit_button":{"text":"ok","key":"k"}}`
	}
	opts := func(n int) string {
		var o []string
		for i := range n {
			o = append(o, fmt.Sprintf(`{"id":"o%d","text":"o%d"}`, i, i))
		}
		return `[` + strings.Join(o, ",") + `]`
	}
	buttons := func(n int) string {
		var b []string
		for i := range n {
			b = append(b, fmt.Sprintf(`{"text":"b%d","key":"k%d"}`, i, i))
		}
		return `[` + strings.Join(b, ",") + `]`
	}
	tests := []struct {
		name, card string
		wantCode   int
		wantRule   string
	}{
		{"unknown card type", `{"card_type":"fancy","main_title":{"title":"x"}}`, 42027, "not a template card type"},
		{"no title", `{"card_type":"text_notice"}`, 42028, "main_title.title or sub_title_text"},
		{"interactive without task_id", `{"card_type":"button_interaction","main_title":{"title":"x"},"button_list":` + buttons(1) + `}`, 42014, "needs a task_id"},
		{"task_id too long", `{"card_type":"button_interaction","main_title":{"title":"x"},"task_id":"` + strings.Repeat("a", 129) + `","button_list":` + buttons(1) + `}`, 42014, "at most 128 bytes"},
		{"task_id with a space", `{"card_type":"text_notice","main_title":{"title":"x"},"task_id":"a b"}`, 42014, "letters, digits"},
		{"seven buttons", `{"card_type":"button_interaction","main_title":{"title":"x"},"task_id":"t","button_list":` + buttons(7) + `}`, 42037, "wants 1 to 6"},
		{"button without key", `{"card_type":"button_interaction","main_title":{"title":"x"},"task_id":"t","button_list":[{"text":"a"}]}`, 42039, "key must be"},
		{"four drop-downs", form(`[{"question_key":"a","option_list":` + opts(1) + `},{"question_key":"b","option_list":` + opts(1) + `},{"question_key":"c","option_list":` + opts(1) + `},{"question_key":"d","option_list":` + opts(1) + `}]`), 40058, "wants 1 to 3"},
		{"eleven options", form(`[{"question_key":"a","option_list":` + opts(11) + `}]`), 40058, "wants 1 to 10"},
		{"repeated option id", form(`[{"question_key":"a","option_list":[{"id":"x","text":"1"},{"id":"x","text":"2"}]}]`), 40058, "unique"},
		{"form without submit key", `{"card_type":"multiple_interaction","task_id":"t","select_list":[{"question_key":"a","option_list":` + opts(1) + `}],"submit_button":{"text":"ok"}}`, 40058, "submit_button.key"},
		{"seven horizontal lines", `{"card_type":"text_notice","main_title":{"title":"x"},"horizontal_content_list":[{},{},{},{},{},{},{}]}`, 42030, "at most 6"},
		// Doc 90236: text_notice/news_notice need card_action of type 1 or
		// 2 (42045 as a developers.weixin.qq.com capture shows it); a
		// row's keyname and the target of its type; distinct button keys.
		{"text_notice without card_action", `{"card_type":"text_notice","main_title":{"title":"x"}}`, 42045, "card_action of type 1"},
		{"news_notice card_action type 0", `{"card_type":"news_notice","main_title":{"title":"x"},"card_image":{"url":"https://x"},"card_action":{"type":0}}`, 42045, "card_action of type 1"},
		{"card_action url type without url", `{"card_type":"text_notice","main_title":{"title":"x"},"card_action":{"type":1}}`, 42045, "without its url"},
		{"row without keyname", `{"card_type":"button_interaction","main_title":{"title":"x"},"task_id":"t","button_list":` + buttons(1) + `,"horizontal_content_list":[{"value":"v"}]}`, 42030, "keyname is empty"},
		{"url row without url", `{"card_type":"button_interaction","main_title":{"title":"x"},"task_id":"t","button_list":` + buttons(1) + `,"horizontal_content_list":[{"type":1,"keyname":"k","value":"v"}]}`, 42030, "without its url"},
		{"member row without userid", `{"card_type":"button_interaction","main_title":{"title":"x"},"task_id":"t","button_list":` + buttons(1) + `,"horizontal_content_list":[{"type":3,"keyname":"k","value":"v"}]}`, 42030, "without its userid"},
		{"repeated button key", `{"card_type":"button_interaction","main_title":{"title":"x"},"task_id":"t","button_list":[{"text":"a","key":"k"},{"text":"b","key":"k"}]}`, 42039, "repeats"},
	}
	for _, tt := range tests {
		problems, code := checkTemplateCard(mustJSON(t, tt.card))
		if code != tt.wantCode || !strings.Contains(strings.Join(problems, ";"), tt.wantRule) {
			t.Errorf("%s: got %v (%d), want %q (%d)", tt.name, problems, code, tt.wantRule, tt.wantCode)
		}
	}
}

// TestCheckSend: message/send's own rules (doc 90236).
func TestCheckSend(t *testing.T) {
	tests := []struct {
		name, body string
		wantCode   int
	}{
		{"documented text", `{"touser":"UserID1|UserID2","toparty":"","totag":"","msgtype":"text","agentid":1000002,"text":{"content":"hello"},"safe":0}`, 0},
		{"empty content", `{"touser":"u","msgtype":"text","agentid":1000002,"text":{"content":""}}`, 44004},
		{"wrong agent", `{"touser":"u","msgtype":"text","agentid":7,"text":{"content":"x"}}`, 40056},
		{"no recipient", `{"msgtype":"text","agentid":1000002,"text":{"content":"x"}}`, 40035},
		{"1001 members", `{"touser":"` + strings.Repeat("u|", 1000) + `u","msgtype":"text","agentid":1000002,"text":{"content":"x"}}`, 40035},
		{"unknown type", `{"touser":"u","msgtype":"sticker","agentid":1000002}`, 40008},
	}
	for _, tt := range tests {
		if _, code := checkSend(mustJSON(t, tt.body), "1000002"); code != tt.wantCode {
			t.Errorf("%s: code %d, want %d", tt.name, code, tt.wantCode)
		}
	}
	// Over 2048 bytes is recorded, not refused: WeCom cuts the text.
	long := `{"touser":"u","msgtype":"text","agentid":1000002,"text":{"content":"` + strings.Repeat("好", 700) + `"}}`
	if problems, code := checkSend(mustJSON(t, long), "1000002"); code != 0 || len(problems) != 1 || !strings.Contains(problems[0], "cuts it at 2048") {
		t.Errorf("long text: %v (%d), want one truncation note and no refusal", problems, code)
	}
}

// TestCheckBlocks: the chat.postMessage doc's example passes; Block Kit's
// limits are reported.
func TestCheckBlocks(t *testing.T) {
	var doc []any
	_ = json.Unmarshal([]byte(`[{"type": "section", "text": {"type": "plain_text", "text": "Hello world"}}]`), &doc)
	if problems := checkBlocks(doc, 50); len(problems) > 0 {
		t.Fatalf("documented example: %v", problems)
	}
	section := func(text string) string {
		return `{"type":"section","text":{"type":"mrkdwn","text":` + quote(text) + `}}`
	}
	many := func(n int, one string) string { return `[` + strings.TrimSuffix(strings.Repeat(one+",", n), ",") + `]` }
	button := func(text string) string {
		return `{"type":"button","action_id":"a","text":{"type":"plain_text","text":` + quote(text) + `}}`
	}
	tests := []struct {
		name, blocks string
		max          int
		want         string
	}{
		{"51 blocks", many(51, section("x")), 50, "51 blocks, at most 50"},
		{"101 modal blocks", many(101, section("x")), 100, "at most 100"},
		{"section over 3000", `[` + section(strings.Repeat("a", 3001)) + `]`, 50, "over 3000"},
		{"11 fields", `[{"type":"section","fields":` + many(11, `{"type":"mrkdwn","text":"f"}`) + `}]`, 50, "11 fields"},
		{"empty section", `[{"type":"section"}]`, 50, "neither text nor fields"},
		{"26 buttons", `[{"type":"actions","elements":` + many(26, button("b")) + `}]`, 50, "wants 1 to 25"},
		{"button text 76", `[{"type":"actions","elements":[` + button(strings.Repeat("b", 76)) + `]}]`, 50, "1 to 75"},
		{"header not plain", `[{"type":"header","text":{"type":"mrkdwn","text":"h"}}]`, 50, "plain_text"},
		{"11 context elements", `[{"type":"context","elements":` + many(11, `{"type":"mrkdwn","text":"c"}`) + `}]`, 50, "1 to 10"},
		{"bad style", `[{"type":"actions","elements":[{"type":"button","action_id":"a","style":"green","text":{"type":"plain_text","text":"b"}}]}]`, 50, "not primary or danger"},
	}
	for _, tt := range tests {
		var blocks []any
		if err := json.Unmarshal([]byte(tt.blocks), &blocks); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var rules []string
		for _, r := range checkBlocks(blocks, tt.max) {
			rules = append(rules, r.rule)
		}
		if !strings.Contains(strings.Join(rules, ";"), tt.want) {
			t.Errorf("%s: rules %v, want %q", tt.name, rules, tt.want)
		}
	}
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func newClock() *fakeClock               { return &fakeClock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)} }
func do(t *testing.T, h http.Handler, method, path, ctype, body string) (int, map[string]any, http.Header) {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var out map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &out)
	return w.Code, out, w.Header()
}

// TestWeComAPI: gettoken checks the credentials; message/send shows the
// message in the recipient's conversation and refuses the 31st message a
// minute to one member with 45009; a card's response_code updates it
// once.
func TestWeComAPI(t *testing.T) {
	clock := newClock()
	hub := NewHub(clock.Now, nil)
	s, err := newWeCom(WeComConfig{CorpID: "ww1", AgentID: "1000002", Secret: "sec", Token: "tok", EncodingAESKey: "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM"}, hub, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, out, _ := do(t, s, "GET", "/cgi-bin/gettoken?corpid=ww1&corpsecret=wrong", "", ""); out["errcode"] != float64(40001) {
		t.Errorf("gettoken with a wrong secret = %v, want 40001", out)
	}
	_, out, _ := do(t, s, "GET", "/cgi-bin/gettoken?corpid=ww1&corpsecret=sec", "", "")
	token, _ := out["access_token"].(string)
	send := "/cgi-bin/message/send?access_token=" + url.QueryEscape(token)
	if _, out, _ := do(t, s, "POST", "/cgi-bin/message/send?access_token=nope", "application/json", `{}`); out["errcode"] != float64(40014) {
		t.Errorf("send with a wrong token = %v, want 40014", out)
	}
	for i := range 30 {
		if _, out, _ := do(t, s, "POST", send, "application/json", fmt.Sprintf(`{"touser":"zs","msgtype":"text","agentid":1000002,"text":{"content":"m%d"}}`, i)); out["errcode"] != float64(0) {
			t.Fatalf("message %d = %v", i, out)
		}
	}
	if _, out, _ := do(t, s, "POST", send, "application/json", `{"touser":"zs","msgtype":"text","agentid":1000002,"text":{"content":"31"}}`); out["errcode"] != float64(45009) {
		t.Errorf("31st message in a minute = %v, want 45009", out)
	}
	if got := len(hub.Conversation(core.PlatformWeCom, "zs")); got != 30 {
		t.Errorf("conversation holds %d messages, want 30", got)
	}
	clock.Add(time.Minute)
	card := `{"touser":"zs","msgtype":"template_card","agentid":1000002,"template_card":` + wecomDocCard + `}`
	_, out, _ = do(t, s, "POST", send, "application/json", card)
	code, _ := out["response_code"].(string)
	if out["errcode"] != float64(0) || code == "" {
		t.Fatalf("card = %v, want ok with a response_code", out)
	}
	if _, out, _ := do(t, s, "POST", send, "application/json", card); out["errcode"] != float64(42014) {
		t.Errorf("the same task_id again = %v, want 42014", out)
	}
	update := `{"userids":["zs"],"agentid":1000002,"response_code":"` + code + `","button":{"replace_name":"已处理"}}`
	upd := "/cgi-bin/message/update_template_card?access_token=" + url.QueryEscape(token)
	if _, out, _ := do(t, s, "POST", upd, "application/json", update); out["errcode"] != float64(0) {
		t.Fatalf("update = %v", out)
	}
	if e, _ := hub.find(core.PlatformWeCom, "zs", "task_id"); e.Card == nil || e.Card.Done != "已处理" || len(e.Card.Buttons) != 2 {
		t.Errorf("card after the update = %+v, want its buttons replaced by 已处理", e.Card)
	}
	if _, out, _ := do(t, s, "POST", upd, "application/json", update); out["errcode"] != float64(40117) {
		t.Errorf("the spent response_code again = %v, want 40117", out)
	}
	if n := len(hub.Violations()); n != 3 {
		t.Errorf("violations = %+v, want 3 (the limit, the task_id, the spent code)", hub.Violations())
	}
}

// TestFeishuAPI: a card is sent, replied to and patched only while it
// keeps config.update_multi (doc "更新应用发送的消息卡片").
func TestFeishuAPI(t *testing.T) {
	hub := NewHub(newClock().Now, nil)
	s := newFeishu(FeishuConfig{AppID: "cli_1", AppSecret: "sec"}, hub, nil, nil)
	_, out, _ := do(t, s, "POST", "/open-apis/auth/v3/tenant_access_token/internal", "application/json", `{"app_id":"cli_1","app_secret":"sec"}`)
	token := out["tenant_access_token"].(string)
	call := func(method, path, body string) (int, map[string]any) {
		r := httptest.NewRequest(method, path, bytes.NewReader([]byte(body)))
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		var m map[string]any
		_ = json.Unmarshal(w.Body.Bytes(), &m)
		return w.Code, m
	}
	card := func(multi bool) string {
		c := fmt.Sprintf(`{"config":{"update_multi":%v},"header":{"title":{"tag":"plain_text","content":"打卡"},"template":"green"},"elements":[{"tag":"action","actions":[{"tag":"button","text":{"tag":"plain_text","content":"上班打卡"},"type":"primary","value":{"action":"punch_in"}}]}]}`, multi)
		return quote(c)
	}
	status, out := call("POST", "/open-apis/im/v1/messages?receive_id_type=open_id", `{"receive_id":"ou_1","msg_type":"interactive","content":`+card(true)+`}`)
	id, _ := out["data"].(map[string]any)["message_id"].(string)
	if status != 200 || id == "" {
		t.Fatalf("create = %d %v", status, out)
	}
	e, _ := hub.find(core.PlatformFeishu, "ou_1", id)
	if e.Card == nil || e.Card.Title != "打卡" || e.Card.Color != "green" || len(e.Card.Buttons) != 1 || e.Card.Buttons[0].Style != "primary" {
		t.Errorf("card = %+v, want the header, its colour and the button", e.Card)
	}
	if status, _ := call("POST", "/open-apis/im/v1/messages?receive_id_type=phone", `{"receive_id":"x","msg_type":"text","content":"{\"text\":\"hi\"}"}`); status != 400 {
		t.Errorf("an unknown receive_id_type = %d, want 400", status)
	}
	if status, _ := call("POST", "/open-apis/im/v1/messages/"+id+"/reply", `{"msg_type":"text","content":"{\"text\":\"ok\"}"}`); status != 200 || len(hub.Conversation(core.PlatformFeishu, "ou_1")) != 2 {
		t.Errorf("reply = %d, want it in ou_1's chat", status)
	}
	if status, _ := call("PATCH", "/open-apis/im/v1/messages/"+id, `{"content":`+card(false)+`}`); status != 400 {
		t.Errorf("patch dropping update_multi = %d, want 400", status)
	}
	if status, _ := call("PATCH", "/open-apis/im/v1/messages/"+id, `{"content":`+card(true)+`}`); status != 200 {
		t.Errorf("patch = %d, want 200", status)
	}
	// 批量发送消息: bm- messages "不支持编辑、回复等操作", and the patch doc
	// "不支持更新批量发送的消息".
	if status, _ := call("POST", "/open-apis/message/v4/batch_send/", `{"open_ids":["ou_1"],"msg_type":"interactive","card":{"config":{"update_multi":true},"elements":[{"tag":"div","text":{"tag":"plain_text","content":"通知"}}]}}`); status != 200 {
		t.Fatalf("batch_send = %d, want 200", status)
	}
	var bm string
	for _, e := range hub.Conversation(core.PlatformFeishu, "ou_1") {
		if isBatchMessage(e.ID) {
			bm = e.ID
		}
	}
	if bm == "" {
		t.Fatalf("no batch message in ou_1's chat")
	}
	if status, _ := call("POST", "/open-apis/im/v1/messages/"+bm+"/reply", `{"msg_type":"text","content":"{\"text\":\"ok\"}"}`); status != 400 {
		t.Errorf("reply to batch message %s = %d, want 400", bm, status)
	}
	if status, _ := call("PATCH", "/open-apis/im/v1/messages/"+bm, `{"content":`+card(true)+`}`); status != 400 {
		t.Errorf("patch of batch message %s = %d, want 400", bm, status)
	}
	if status, _ := call("POST", "/open-apis/im/v1/messages?receive_id_type=open_id", `{"receive_id":"ou_1","msg_type":"text","content":"not json"}`); status != 400 {
		t.Errorf("content that is not JSON = %d, want 400", status)
	}
	if status, _ := call("POST", "/open-apis/im/v1/messages?receive_id_type=open_id", `{"receive_id":"ou_1","msg_type":"text","content":`+quote(`{"text":"`+strings.Repeat("a", 151<<10)+`"}`)+`}`); status != 400 {
		t.Errorf("text over 150 KB = %d, want 400", status)
	}
}

// TestSlackAPI: chat.postMessage needs text or blocks and paces one
// channel; a response_url works five times.
func TestSlackAPI(t *testing.T) {
	hub := NewHub(newClock().Now, nil)
	s := newSlack(SlackConfig{BotToken: "xoxb-1", TeamID: "T1"}, hub, nil, nil)
	s.base = "http://sim"
	post := func(form url.Values) (int, map[string]any, http.Header) {
		form.Set("token", "xoxb-1")
		return do(t, s, "POST", "/api/chat.postMessage", "application/x-www-form-urlencoded", form.Encode())
	}
	if _, out, _ := post(url.Values{"channel": {"DU1"}}); out["error"] != "no_text" {
		t.Errorf("no text or blocks = %v, want no_text", out)
	}
	for i := range 5 {
		if _, out, _ := post(url.Values{"channel": {"DU1"}, "text": {fmt.Sprint(i)}}); out["ok"] != true {
			t.Fatalf("post %d = %v", i, out)
		}
	}
	if status, _, hdr := post(url.Values{"channel": {"DU1"}, "text": {"6"}}); status != http.StatusTooManyRequests || hdr.Get("Retry-After") == "" {
		t.Errorf("6th post in the same second = %d %v, want 429 with Retry-After", status, hdr)
	}
	// "Ephemeral messages can't be updated in this way" (chat.update),
	// https://docs.slack.dev/messaging/modifying-messages.
	_, eph, _ := do(t, s, "POST", "/api/chat.postEphemeral", "application/x-www-form-urlencoded",
		url.Values{"token": {"xoxb-1"}, "channel": {"DU1"}, "user": {"U1"}, "text": {"only you"}}.Encode())
	ephTS, _ := eph["message_ts"].(string)
	if ephTS == "" {
		t.Fatalf("chat.postEphemeral = %v", eph)
	}
	if _, out, _ := do(t, s, "POST", "/api/chat.update", "application/x-www-form-urlencoded",
		url.Values{"token": {"xoxb-1"}, "channel": {"DU1"}, "ts": {ephTS}, "text": {"changed"}}.Encode()); out["ok"] != false {
		t.Errorf("chat.update of an ephemeral message = %v, want refused", out)
	}
	// chat.update needs the DM's D id, not the user id
	// (https://docs.slack.dev/reference/methods/chat.update).
	_, posted, _ := post(url.Values{"channel": {"U1"}, "text": {"to update"}})
	ts, _ := posted["ts"].(string)
	if ts == "" || posted["channel"] != "DU1" {
		t.Fatalf("post to U1 = %v, want a ts and the DM channel DU1", posted)
	}
	update := func(channel string) map[string]any {
		_, out, _ := do(t, s, "POST", "/api/chat.update", "application/x-www-form-urlencoded",
			url.Values{"token": {"xoxb-1"}, "channel": {channel}, "ts": {ts}, "text": {"changed"}}.Encode())
		return out
	}
	if out := update("U1"); out["error"] != "channel_not_found" {
		t.Errorf("chat.update with a user id as channel = %v, want channel_not_found", out)
	}
	if out := update("DU1"); out["ok"] != true {
		t.Errorf("chat.update with the DM channel = %v, want ok", out)
	}
	u := s.newResponseURL("U1", "")
	path := strings.TrimPrefix(u, "http://sim")
	for i := range 6 {
		r := httptest.NewRequest("POST", path, strings.NewReader(`{"text":"r"}`))
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if want := 200; i == 5 {
			if w.Code != http.StatusNotFound {
				t.Errorf("6th use of a response_url = %d, want 404", w.Code)
			}
		} else if w.Code != want {
			body, _ := io.ReadAll(w.Body)
			t.Errorf("use %d = %d %s", i+1, w.Code, body)
		}
	}
}
