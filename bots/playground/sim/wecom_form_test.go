package sim

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/punchbot/punchbot/bots/wecom"
	"github.com/punchbot/punchbot/core"
)

// TestWeComSubmitForm: submitting a multiple_interaction card sends the
// signed, encrypted template_card_event a real submit brings (PLATFORMS.md
// §3.4, doc 90240 模板卡片事件推送): EventKey is submit_button.key, TaskId
// and CardType name the card, ResponseCode is a fresh one-time code, and
// SelectedItems carries every drop-down's QuestionKey and OptionIds, a
// drop-down not touched with the option it shows. The update the bot
// answers with greys the form, and a second submit is refused.
func TestWeComSubmitForm(t *testing.T) {
	cfg := WeComConfig{CorpID: "ww1", AgentID: "1000002", Secret: "sec", Token: "tok", EncodingAESKey: "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM"}
	cr, err := wecom.NewCrypto(cfg.Token, cfg.EncodingAESKey, cfg.CorpID)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var plains [][]byte
	bot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var env struct{ Encrypt string }
		if err := xml.Unmarshal(body, &env); err != nil {
			t.Errorf("callback body %s: %v", body, err)
		}
		q := r.URL.Query()
		if r.URL.Path != wecom.CallbackPath || !cr.Verify(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), env.Encrypt) {
			t.Errorf("callback %s: wrong path or msg_signature", r.URL)
		}
		plain, err := cr.Decrypt(env.Encrypt)
		if err != nil {
			t.Errorf("decrypt: %v", err)
		}
		mu.Lock()
		plains = append(plains, plain)
		mu.Unlock()
	}))
	defer bot.Close()
	clock := newClock()
	hub := NewHub(clock.Now, nil)
	s, err := newWeCom(cfg, hub, func() string { return bot.URL }, bot.Client())
	if err != nil {
		t.Fatal(err)
	}
	_, out, _ := do(t, s, "GET", "/cgi-bin/gettoken?corpid=ww1&corpsecret=sec", "", "")
	token := url.QueryEscape(out["access_token"].(string))
	_, out, _ = do(t, s, "POST", "/cgi-bin/message/send?access_token="+token, "application/json",
		`{"touser":"zs","msgtype":"template_card","agentid":1000002,"template_card":`+wecomDocMultipleCard+`}`)
	if out["errcode"] != float64(0) {
		t.Fatalf("send the documented form = %v", out)
	}

	ctx := context.Background()
	bad := []struct {
		name   string
		chosen map[string]string
		want   string
	}{
		{"an option the card does not offer", map[string]string{"question_key1": "selection_id3"}, core.EINVALID},
		{"a drop-down the card does not have", map[string]string{"question_key9": "selection_id1"}, core.EINVALID},
	}
	for _, tt := range bad {
		if err := s.Submit(ctx, "zs", "task_id", tt.chosen); core.ErrorCode(err) != tt.want {
			t.Errorf("%s: Submit = %v, want %s", tt.name, err, tt.want)
		}
	}
	if err := s.Submit(ctx, "zs", "task_id", map[string]string{"question_key1": "selection_id2"}); err != nil {
		t.Fatal(err)
	}
	if len(plains) != 1 {
		t.Fatalf("callbacks = %d, want 1 (refused choices send nothing)", len(plains))
	}
	var ev struct {
		ToUserName, FromUserName, MsgType, Event, EventKey, TaskId, CardType, ResponseCode, AgentID string
	}
	if err := xml.Unmarshal(plains[0], &ev); err != nil {
		t.Fatal(err)
	}
	code := ev.ResponseCode
	ev.ResponseCode = ""
	want := struct {
		ToUserName, FromUserName, MsgType, Event, EventKey, TaskId, CardType, ResponseCode, AgentID string
	}{"ww1", "zs", "event", "template_card_event", "key", "task_id", "multiple_interaction", "", "1000002"}
	if ev != want || code == "" {
		t.Errorf("event = %+v (response code %q)\nwant %+v with a response code", ev, code, want)
	}
	got, err := wecom.ParseSelectedItems(plains[0])
	if wantItems := map[string][]string{"question_key1": {"selection_id2"}, "question_key2": {"selection_id3"}}; err != nil || !reflect.DeepEqual(got, wantItems) {
		t.Errorf("SelectedItems = %v (%v), want %v", got, err, wantItems)
	}
	if i, j := strings.Index(string(plains[0]), "<AgentID>"), strings.Index(string(plains[0]), "<SelectedItems>"); i < 0 || j < i {
		t.Errorf("SelectedItems should follow AgentID as in the documented sample: %s", plains[0])
	}

	// The bot replaces the form with its answer: drop-downs disabled,
	// the submit button grey with replace_text.
	done := `{"userids":["zs"],"agentid":1000002,"response_code":"` + code + `","template_card":{"card_type":"multiple_interaction","task_id":"task_id",
	  "main_title":{"title":"已提交"},"replace_text":"已提交",
	  "select_list":[{"question_key":"question_key1","title":"选择器标签1","disable":true,"option_list":[{"id":"chosen","text":"选择器选项2"}]}],
	  "submit_button":{"text":"提交","key":"key"}}}`
	if _, out, _ := do(t, s, "POST", "/cgi-bin/message/update_template_card?access_token="+token, "application/json", done); out["errcode"] != float64(0) {
		t.Fatalf("update with the submit's response code = %v", out)
	}
	e, _ := hub.find(core.PlatformWeCom, "zs", "task_id")
	if e.Card == nil || e.Card.Done != "已提交" || len(e.Card.Selects) != 1 || !e.Card.Selects[0].Disabled {
		t.Errorf("form after the update = %+v, want one disabled drop-down and 已提交", e.Card)
	}
	if err := s.Submit(ctx, "zs", "task_id", nil); core.ErrorCode(err) != core.ECONFLICT {
		t.Errorf("a second submit = %v, want ECONFLICT", err)
	}
	if v := hub.Violations(); len(v) != 0 {
		t.Errorf("violations = %+v, want none", v)
	}
}
