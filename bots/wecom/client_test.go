package wecom

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// newTestClient returns a client of the fake API whose retry waits are
// recorded instead of slept.
func newTestClient(t *testing.T) (*Client, *fakeWeCom, *testClock, *[]time.Duration) {
	t.Helper()
	clock := &testClock{t: start}
	fake := newFakeWeCom(t, clock.Now)
	var mu sync.Mutex
	var waits []time.Duration
	c := NewClient(ClientConfig{APIURL: fake.srv.URL, CorpID: testCorpID, Secret: testSecret, AgentID: testAgentID, HTTPClient: fake.srv.Client(), Now: clock.Now,
		Sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			waits = append(waits, d)
			return ctx.Err()
		}})
	return c, fake, clock, &waits
}

// trace lists the calls as "path token" pairs.
func trace(calls []apiCall) []string {
	var out []string
	for _, c := range calls {
		out = append(out, strings.TrimPrefix(c.Path, "/cgi-bin/")+" "+c.Query.Get("access_token"))
	}
	return out
}

func TestTokenCaching(t *testing.T) {
	c, fake, clock, _ := newTestClient(t)
	ctx := context.Background()
	for range 3 {
		if _, err := c.SendText(ctx, testUser, "hi"); err != nil {
			t.Fatalf("SendText: %v", err)
		}
	}
	// 7200 s minus the 5 min margin: still cached at 1h54m, refreshed at 1h56m.
	clock.Advance(114 * time.Minute)
	if _, err := c.SendText(ctx, testUser, "hi"); err != nil {
		t.Fatalf("SendText: %v", err)
	}
	clock.Advance(2 * time.Minute)
	if _, err := c.SendText(ctx, testUser, "hi"); err != nil {
		t.Fatalf("SendText: %v", err)
	}
	got := trace(fake.Calls())
	want := []string{"gettoken ", "message/send tok-1", "message/send tok-1", "message/send tok-1", "message/send tok-1", "gettoken ", "message/send tok-2"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("calls =\n%q\nwant\n%q", got, want)
	}
	if q := fake.Calls()[0].Query; q.Get("corpid") != testCorpID || q.Get("corpsecret") != testSecret || fake.Calls()[0].Method != http.MethodGet {
		t.Errorf("gettoken request = %s %v, want GET with corpid and corpsecret", fake.Calls()[0].Method, q)
	}
}

func TestTokenRefetchedOnce(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(f *fakeWeCom)
		wantErr  string
		wantCall []string
	}{
		{"revoked token (42001) is refetched and the send retried", func(f *fakeWeCom) { f.Revoke() }, "",
			[]string{"gettoken ", "message/send tok-1", "gettoken ", "message/send tok-2"}},
		{"40014 invalid token likewise", func(f *fakeWeCom) { f.Fail("/cgi-bin/message/send", 40014) }, "",
			[]string{"gettoken ", "message/send tok-1", "gettoken ", "message/send tok-2"}},
		{"a second 42001 is not retried again", func(f *fakeWeCom) { f.Fail("/cgi-bin/message/send", 42001, 42001) }, core.ECONFIG, // a fresh token refused too: the set-up is wrong
			[]string{"gettoken ", "message/send tok-1", "gettoken ", "message/send tok-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake, _, _ := newTestClient(t)
			ctx := context.Background()
			if _, err := c.Token(ctx); err != nil {
				t.Fatalf("Token: %v", err)
			}
			tt.setup(fake)
			_, err := c.SendText(ctx, testUser, "上班打卡成功")
			if got := core.ErrorCode(err); got != tt.wantErr {
				t.Errorf("SendText error = %v, want code %q", err, tt.wantErr)
			}
			if got := trace(fake.Calls()); !reflect.DeepEqual(got, tt.wantCall) {
				t.Errorf("calls =\n%q\nwant\n%q", got, tt.wantCall)
			}
		})
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name       string
		path       string
		codes      []int
		wantCode   string
		wantAfter  time.Duration
		wantWaits  []time.Duration
		wantSends  int
		wantTokens int
	}{
		{"busy twice then ok", "/cgi-bin/message/send", []int{-1, -1}, "", 0, []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}, 3, 1},
		{"busy four times gives up after three retries", "/cgi-bin/message/send", []int{-1, -1, -1, -1}, core.EUNAVAILABLE, 0, []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second}, 4, 1},
		{"45009 frequency limit", "/cgi-bin/message/send", []int{45009}, core.ERATELIMIT, time.Minute, nil, 1, 1},
		{"45033 concurrency limit", "/cgi-bin/message/send", []int{45033}, core.ERATELIMIT, 5 * time.Second, nil, 1, 1},
		{"40003 invalid user id", "/cgi-bin/message/send", []int{40003}, core.EINVALID, 0, nil, 1, 1},
		{"81013 no valid recipient", "/cgi-bin/message/send", []int{81013}, core.EINVALID, 0, nil, 1, 1},
		{"42038 template card field", "/cgi-bin/message/send", []int{42038}, core.EINVALID, 0, nil, 1, 1},
		{"60020 untrusted IP", "/cgi-bin/message/send", []int{60020}, core.ECONFIG, 0, nil, 1, 1},
		{"unknown errcode is retried later", "/cgi-bin/message/send", []int{12345}, core.EUNAVAILABLE, 0, nil, 1, 1},
		{"gettoken busy then ok", "/cgi-bin/gettoken", []int{-1}, "", 0, []time.Duration{250 * time.Millisecond}, 1, 2},
		{"gettoken 40001 wrong secret", "/cgi-bin/gettoken", []int{40001}, core.ECONFIG, 0, nil, 0, 1},
		{"gettoken 40013 wrong corp id", "/cgi-bin/gettoken", []int{40013}, core.ECONFIG, 0, nil, 0, 1},
		{"gettoken 45009", "/cgi-bin/gettoken", []int{45009}, core.ERATELIMIT, time.Minute, nil, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake, _, waits := newTestClient(t)
			fake.Fail(tt.path, tt.codes...)
			_, err := c.SendText(context.Background(), testUser, "hi")
			if got := core.ErrorCode(err); got != tt.wantCode {
				t.Errorf("error = %v, want code %q", err, tt.wantCode)
			}
			if got := core.RetryAfter(err); got != tt.wantAfter {
				t.Errorf("RetryAfter = %v, want %v", got, tt.wantAfter)
			}
			if !reflect.DeepEqual(*waits, tt.wantWaits) {
				t.Errorf("waits = %v, want %v", *waits, tt.wantWaits)
			}
			if got := len(fake.CallsTo("/cgi-bin/message/send")); got != tt.wantSends {
				t.Errorf("%d message/send calls, want %d", got, tt.wantSends)
			}
			if got := len(fake.CallsTo("/cgi-bin/gettoken")); got != tt.wantTokens {
				t.Errorf("%d gettoken calls, want %d", got, tt.wantTokens)
			}
			if err != nil && strings.Contains(err.Error(), testSecret) {
				t.Errorf("error %q leaks the secret", err)
			}
		})
	}
}

func TestTransportErrors(t *testing.T) {
	t.Run("HTTP 502", func(t *testing.T) {
		c, fake, _, _ := newTestClient(t)
		fake.status = http.StatusBadGateway
		_, err := c.SendText(context.Background(), testUser, "hi")
		if core.ErrorCode(err) != core.EUNAVAILABLE {
			t.Errorf("error = %v, want EUNAVAILABLE", err)
		}
	})
	t.Run("connection refused does not leak the secret", func(t *testing.T) {
		c, fake, _, _ := newTestClient(t)
		fake.srv.Close()
		_, err := c.SendText(context.Background(), testUser, "hi")
		if core.ErrorCode(err) != core.EUNAVAILABLE || strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), "corpsecret") {
			t.Errorf("error = %v, want EUNAVAILABLE without the secret or URL", err)
		}
	})
}

func TestSendMessageBodies(t *testing.T) {
	c, fake, _, _ := newTestClient(t)
	ctx := context.Background()
	if _, err := c.SendText(ctx, "zhangsan|lisi", "hello"); err != nil {
		t.Fatalf("SendText: %v", err)
	}
	if _, err := c.SendMarkdown(ctx, testUser, "**上班**提醒"); err != nil {
		t.Fatalf("SendMarkdown: %v", err)
	}
	card := TemplateCard{
		CardType:  CardButtonInteraction,
		MainTitle: &CardTitle{Title: "补卡申请", Desc: "张三 · 2026-03-02 上班 09:00"},
		HorizontalContentList: []CardHorizontal{
			{KeyName: "原因", Value: "地铁故障"},
		},
		TaskID:     "makeup-42",
		ButtonList: []CardButton{{Text: "同意", Style: 1, Key: "approve"}, {Text: "拒绝", Style: 2, Key: "reject"}},
	}
	res, err := c.SendTemplateCard(ctx, "wangwu", card)
	if err != nil {
		t.Fatalf("SendTemplateCard: %v", err)
	}
	if !strings.HasPrefix(res.ResponseCode, "RESPONSE_CODE_") || res.MsgID == "" {
		t.Errorf("SendTemplateCard result = %+v, want the response_code and msgid", res)
	}
	sends := fake.CallsTo("/cgi-bin/message/send")
	if len(sends) != 3 {
		t.Fatalf("%d sends, want 3", len(sends))
	}
	wantBodies := []string{
		`{"touser":"zhangsan|lisi","msgtype":"text","agentid":1000002,"text":{"content":"hello"}}`,
		`{"touser":"zhangsan","msgtype":"markdown","agentid":1000002,"markdown":{"content":"**上班**提醒"}}`,
		`{"touser":"wangwu","msgtype":"template_card","agentid":1000002,"template_card":{"card_type":"button_interaction","main_title":{"title":"补卡申请","desc":"张三 · 2026-03-02 上班 09:00"},"horizontal_content_list":[{"keyname":"原因","value":"地铁故障"}],"task_id":"makeup-42","button_list":[{"text":"同意","style":1,"key":"approve"},{"text":"拒绝","style":2,"key":"reject"}]}}`,
	}
	for i, want := range wantBodies {
		if !reflect.DeepEqual(mustJSON(t, sends[i].Body), mustJSON(t, []byte(want))) {
			t.Errorf("send %d body =\n%s\nwant\n%s", i, sends[i].Body, want)
		}
	}

	if err := c.UpdateTemplateCard(ctx, TemplateCardUpdate{UserIDs: []string{"wangwu"}, ResponseCode: res.ResponseCode, Button: &ReplaceButton{ReplaceName: "已同意"}}); err != nil {
		t.Fatalf("UpdateTemplateCard(button): %v", err)
	}
	done := card
	done.ButtonList = []CardButton{{Text: "已同意 · 王五", Style: 1, Key: "done"}}
	if err := c.UpdateTemplateCard(ctx, TemplateCardUpdate{UserIDs: []string{"wangwu"}, ResponseCode: "RC2", TemplateCard: &done}); err != nil {
		t.Fatalf("UpdateTemplateCard(card): %v", err)
	}
	updates := fake.CallsTo("/cgi-bin/message/update_template_card")
	if len(updates) != 2 {
		t.Fatalf("%d updates, want 2", len(updates))
	}
	want := `{"userids":["wangwu"],"agentid":1000002,"response_code":"` + res.ResponseCode + `","button":{"replace_name":"已同意"}}`
	if !reflect.DeepEqual(mustJSON(t, updates[0].Body), mustJSON(t, []byte(want))) {
		t.Errorf("update body =\n%s\nwant\n%s", updates[0].Body, want)
	}
	got := mustJSON(t, updates[1].Body)
	if got["response_code"] != "RC2" || got["button"] != nil || got["template_card"].(map[string]any)["task_id"] != "makeup-42" {
		t.Errorf("card update body = %s, want response_code RC2 and the whole card", updates[1].Body)
	}
	if tok := updates[0].Query.Get("access_token"); tok != "tok-1" {
		t.Errorf("update token = %q, want the cached tok-1", tok)
	}
}

func TestClientValidation(t *testing.T) {
	c, fake, _, _ := newTestClient(t)
	ctx := context.Background()
	okCard := TemplateCard{CardType: CardButtonInteraction, MainTitle: &CardTitle{Title: "t"}, TaskID: "t1", ButtonList: []CardButton{{Text: "ok", Key: "k"}}}
	badTask := okCard
	badTask.TaskID = "has space"
	noTask := okCard
	noTask.TaskID = ""
	sevenButtons := okCard
	sevenButtons.ButtonList = make([]CardButton, 7)
	tests := []struct {
		name string
		call func() error
	}{
		{"no recipient", func() error { _, err := c.SendText(ctx, "", "hi"); return err }},
		{"empty text", func() error { _, err := c.SendText(ctx, testUser, "  "); return err }},
		{"markdown over 2048 bytes", func() error { _, err := c.SendMarkdown(ctx, testUser, strings.Repeat("字", 700)); return err }},
		{"1001 users", func() error { _, err := c.SendText(ctx, strings.Repeat("u|", 1000)+"u", "hi"); return err }},
		{"text and markdown", func() error {
			_, err := c.SendMessage(ctx, AppMessage{ToUser: testUser, MsgType: "text", Text: &Content{"a"}, Markdown: &Content{"b"}})
			return err
		}},
		{"unknown msgtype", func() error {
			_, err := c.SendMessage(ctx, AppMessage{ToUser: testUser, MsgType: "video", Text: &Content{"a"}})
			return err
		}},
		{"card task id with a space", func() error { _, err := c.SendTemplateCard(ctx, testUser, badTask); return err }},
		{"interactive card without task id", func() error { _, err := c.SendTemplateCard(ctx, testUser, noTask); return err }},
		{"seven buttons", func() error { _, err := c.SendTemplateCard(ctx, testUser, sevenButtons); return err }},
		{"unknown card type", func() error {
			_, err := c.SendTemplateCard(ctx, testUser, TemplateCard{CardType: "poster"})
			return err
		}},
		// duplicate_check_interval "最大不超过4小时" (doc 90236 via
		// zsmhub/workweixin apis/发送应用消息-模板卡片消息.go).
		{"duplicate check over 4 hours", func() error {
			_, err := c.SendMessage(ctx, AppMessage{ToUser: testUser, MsgType: "text", Text: &Content{"a"}, EnableDuplicateCheck: 1, DuplicateCheckInterval: 4*3600 + 1})
			return err
		}},
		{"update without response code", func() error {
			return c.UpdateTemplateCard(ctx, TemplateCardUpdate{UserIDs: []string{"a"}, Button: &ReplaceButton{"x"}})
		}},
		{"update with button and card", func() error {
			return c.UpdateTemplateCard(ctx, TemplateCardUpdate{UserIDs: []string{"a"}, ResponseCode: "r", Button: &ReplaceButton{"x"}, TemplateCard: &okCard})
		}},
		{"update without recipients", func() error {
			return c.UpdateTemplateCard(ctx, TemplateCardUpdate{ResponseCode: "r", Button: &ReplaceButton{"x"}})
		}},
	}
	for _, tt := range tests {
		if err := tt.call(); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("%s: error %v, want EINVALID", tt.name, err)
		}
	}
	if n := len(fake.Calls()); n != 0 {
		t.Errorf("invalid requests made %d API calls, want 0", n)
	}
}

func TestLongTextIsTruncatedOnACharacter(t *testing.T) {
	c, fake, _, _ := newTestClient(t)
	if _, err := c.SendText(context.Background(), testUser, strings.Repeat("打", 1000)); err != nil {
		t.Fatalf("SendText: %v", err)
	}
	var body struct {
		Text Content `json:"text"`
	}
	if err := json.Unmarshal(fake.CallsTo("/cgi-bin/message/send")[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if n := len(body.Text.Content); n != 2046 || !strings.HasSuffix(body.Text.Content, "打") {
		t.Errorf("sent %d bytes, want 2046 (682 whole characters within 2048 bytes)", n)
	}
}

func TestConcurrentSendsShareOneToken(t *testing.T) {
	c, fake, _, _ := newTestClient(t)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := c.SendText(context.Background(), testUser, "hi"); err != nil {
				t.Errorf("SendText: %v", err)
			}
		})
	}
	wg.Wait()
	if n := len(fake.CallsTo("/cgi-bin/gettoken")); n != 1 {
		t.Errorf("%d gettoken calls for 20 concurrent sends, want 1", n)
	}
}

// update_template_card's invaliduser is a string in some copies of doc
// 94888 and an array in others: both read, neither fails the update.
func TestInvalidUserAsStringOrArray(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`"a|b"`, "a|b"},
		{`["a","b"]`, "a|b"},
		{`""`, ""},
		{`[]`, ""},
	} {
		var r updateResponse
		if err := json.Unmarshal([]byte(`{"errcode":0,"errmsg":"ok","invaliduser":`+tc.body+`}`), &r); err != nil || string(r.InvalidUser) != tc.want {
			t.Errorf("invaliduser %s = %q, %v; want %q", tc.body, r.InvalidUser, err, tc.want)
		}
	}
}
