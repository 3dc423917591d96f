package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"

	"github.com/punchbot/punchbot/bots/slack"
	"github.com/punchbot/punchbot/bots/wecom"
	"github.com/punchbot/punchbot/core"
)

// Credentials of the test WeCom application and Slack app.
const (
	mkCorpID   = "ww0123456789abcdef"
	mkAgentID  = "1000002"
	mkSecret   = "wecom-secret"
	mkToken    = "punchtoken"
	mkAESKey   = "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM"
	mkSigning  = "8f742231b10e8888abcd99yyyzzz85a5"
	mkAdminTok = "test-admin-token"
)

// platformCalls records what the fake platforms received.
type platformCalls struct {
	mu    sync.Mutex
	calls []recordedCall
	seq   int
}

type recordedCall struct {
	API  string         // "wecom message/send", "slack chat.update", …
	Body map[string]any // JSON body, or the form as strings
}

func (p *platformCalls) add(api string, body map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, recordedCall{api, body})
}

func (p *platformCalls) find(api string, match func(map[string]any) bool) []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []map[string]any
	for _, c := range p.calls {
		if c.API == api && match(c.Body) {
			out = append(out, c.Body)
		}
	}
	return out
}

// fakeWeCom answers gettoken and message/send like WeCom.
func fakeWeCom(t *testing.T, rec *platformCalls) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/cgi-bin/gettoken":
			_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok","access_token":"tok","expires_in":7200}`)
		case "/cgi-bin/message/send", "/cgi-bin/message/update_template_card":
			var body map[string]any
			_ = json.NewDecoder(r.Body).Decode(&body)
			rec.add("wecom "+strings.TrimPrefix(r.URL.Path, "/cgi-bin/"), body)
			_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok","msgid":"m1","response_code":"RC"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// fakeSlack is slacktest with chat.postMessage and chat.update recorded.
func fakeSlack(t *testing.T, rec *platformCalls) string {
	t.Helper()
	form := func(method string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			raw, _ := io.ReadAll(r.Body)
			vals, _ := url.ParseQuery(string(raw))
			body := map[string]any{}
			for k := range vals {
				body[k] = vals.Get(k)
			}
			rec.mu.Lock()
			rec.seq++
			ts := fmt.Sprintf("1772412900.%06d", rec.seq)
			rec.mu.Unlock()
			if vals.Get("ts") != "" {
				ts = vals.Get("ts")
			}
			rec.add("slack "+method, body)
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": "D" + vals.Get("channel"), "ts": ts})
		}
	}
	fake := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", form("chat.postMessage"))
		c.Handle("/chat.update", form("chat.update"))
	})
	fake.Start()
	t.Cleanup(fake.Stop)
	return fake.GetAPIURL()
}

// startWeComAndSlack runs the server with WeCom and Slack pointed at fakes
// that record the calls they get.
func startWeComAndSlack(t *testing.T) (string, *server, *platformCalls) {
	t.Helper()
	rec := &platformCalls{}
	base, s := startServer(t, env(
		"PUNCHBOT_DB_PATH", filepath.Join(t.TempDir(), "p.db"), "PUNCHBOT_ADMIN_TOKEN", mkAdminTok,
		"PUNCHBOT_WECOM_CORP_ID", mkCorpID, "PUNCHBOT_WECOM_AGENT_ID", mkAgentID, "PUNCHBOT_WECOM_SECRET", mkSecret,
		"PUNCHBOT_WECOM_TOKEN", mkToken, "PUNCHBOT_WECOM_ENCODING_AES_KEY", mkAESKey, "PUNCHBOT_WECOM_API_URL", fakeWeCom(t, rec),
		"PUNCHBOT_SLACK_SIGNING_SECRET", mkSigning, "PUNCHBOT_SLACK_BOT_TOKEN", "xoxb-test", "PUNCHBOT_SLACK_API_URL", fakeSlack(t, rec),
	))
	return base, s, rec
}

// postWeCom sends msg (a WeCom message's plain XML) to the server's WeCom
// callback as WeCom does: encrypted, in its envelope, signed with nonce.
func postWeCom(t *testing.T, base, msg, nonce string) {
	t.Helper()
	crypto, err := wecom.NewCrypto(mkToken, mkAESKey, mkCorpID)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := crypto.Encrypt([]byte(msg), []byte("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	q := url.Values{"msg_signature": {crypto.Sign(ts, nonce, enc)}, "timestamp": {ts}, "nonce": {nonce}}
	envelope := fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><Encrypt><![CDATA[%s]]></Encrypt><AgentID><![CDATA[%s]]></AgentID></xml>", mkCorpID, enc, mkAgentID)
	if code, body := do(t, http.MethodPost, base+wecom.CallbackPath+"?"+q.Encode(), "", strings.NewReader(envelope)); code != http.StatusOK {
		t.Fatalf("WeCom callback = %d %s", code, body)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// wecomText is what a WeCom message/send body says: a text message's
// content, or the answer line of the button card a filed request's answer
// is (with its 撤回 button, bots/wecom/withdraw.go).
func wecomText(b map[string]any) string {
	if c, ok := b["template_card"].(map[string]any); ok {
		return fmt.Sprint(c["sub_title_text"])
	}
	return fmt.Sprint(b["text"])
}

// TestMakeupAcrossPlatforms runs the server with WeCom and Slack pointed at
// fakes: an employee on WeCom files a make-up request, the card reaches
// their manager on Slack, the manager approves with a click, the Slack card
// is updated in place, the employee is told on WeCom, the punch is stored,
// and the console lists the request as approved.
func TestMakeupAcrossPlatforms(t *testing.T) {
	base, s, rec := startWeComAndSlack(t)
	ctx := context.Background()
	org := core.Org{
		Name: "Acme", TimeZone: "Asia/Shanghai",
		Employees: []core.Employee{
			{ID: "E1", Name: "张三", Lang: "zh", Active: true, ManagerID: "M1",
				Identities: []core.Identity{{Platform: core.PlatformWeCom, Tenant: mkCorpID, UserID: "zhangsan"}}},
			{ID: "M1", Name: "Mia Manager", Lang: "en", Role: core.RoleManager, Active: true,
				Identities: []core.Identity{{Platform: core.PlatformSlack, Tenant: "T1", UserID: "UM"}}},
		},
		Makeup: core.MakeupPolicy{MonthlyQuota: 3, DeadlineDays: 7, ExpireAfterHours: 72},
	}
	if err := org.Prepare(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.store.ApplyOrg(ctx, org, core.AuditEntry{At: time.Now(), Actor: "test", Action: "org.applied"}); err != nil {
		t.Fatal(err)
	}
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	yesterday := time.Now().In(shanghai).AddDate(0, 0, -1).Format(core.DateLayout)

	// 1. The employee writes to the WeCom application.
	now := time.Now().Unix()
	msg := fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[补卡 %s 09:00 上班 地铁故障]]></Content><MsgId>7001</MsgId><AgentID>%s</AgentID></xml>",
		mkCorpID, now, yesterday, mkAgentID)
	postWeCom(t, base, msg, "4242")

	// 2. The card reaches the manager on Slack; the employee's reply on WeCom.
	var card map[string]any
	waitFor(t, "the approval card on Slack", func() bool {
		cards := rec.find("slack chat.postMessage", func(b map[string]any) bool { return b["channel"] == "UM" })
		if len(cards) > 0 {
			card = cards[0]
		}
		return card != nil
	})
	blocks := card["blocks"].(string)
	for _, want := range []string{"Make-up request #", "Employee\\n张三", "Clock-in 09:00", "Reason: 地铁故障", "Waiting for Mia Manager", `"action_id":"makeup_approve"`} {
		if !strings.Contains(blocks, want) {
			t.Errorf("Slack card lacks %s: %s", want, blocks)
		}
	}
	var parsed []map[string]any
	if err := json.Unmarshal([]byte(blocks), &parsed); err != nil {
		t.Fatal(err)
	}
	id := ""
	for _, b := range parsed {
		if b["type"] == "actions" {
			id = b["elements"].([]any)[0].(map[string]any)["value"].(string)
		}
	}
	waitFor(t, "the requester's reply on WeCom", func() bool {
		return len(rec.find("wecom message/send", func(b map[string]any) bool {
			return b["touser"] == "zhangsan" && strings.Contains(wecomText(b), "等待 Mia Manager 审批")
		})) == 1
	})

	// 3. The manager clicks Approve on Slack.
	payload := fmt.Sprintf(`{"type":"block_actions","user":{"id":"UM","team_id":"T1"},"team":{"id":"T1"},"trigger_id":"55.66.cross",
"container":{"type":"message","message_ts":"1772412900.000001","channel_id":"DUM"},"channel":{"id":"DUM"},"message":{"ts":"1772412900.000001","text":"Make-up request"},
"actions":[{"action_id":"makeup_approve","block_id":"makeup_actions","type":"button","value":%q,"action_ts":"1772412901.000200"}]}`, id)
	form := url.Values{"payload": {payload}}.Encode()
	sts := strconv.FormatInt(time.Now().Unix(), 10)
	req, _ := http.NewRequest(http.MethodPost, base+"/slack/interactions", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", sts)
	req.Header.Set("X-Slack-Signature", slack.Sign(mkSigning, sts, []byte(form)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Slack click = %d", resp.StatusCode)
	}

	// 4. The Slack card changes in place; the employee is told on WeCom.
	waitFor(t, "the Slack card update", func() bool {
		return len(rec.find("slack chat.update", func(b map[string]any) bool {
			return b["channel"] == "DUM" && b["ts"] == "1772412900.000001" && strings.Contains(b["blocks"].(string), "Approved by Mia Manager") &&
				!strings.Contains(b["blocks"].(string), "makeup_approve")
		})) == 1
	})
	waitFor(t, "the employee's notification on WeCom", func() bool {
		return len(rec.find("wecom message/send", func(b map[string]any) bool {
			return b["touser"] == "zhangsan" && strings.Contains(fmt.Sprint(b["text"]), "已被 Mia Manager 同意")
		})) == 1
	})
	code, body := do(t, http.MethodGet, base+"/api/v1/punches?employee=E1", mkAdminTok, nil)
	if code != http.StatusOK || !strings.Contains(body, `"source":"makeup"`) || !strings.Contains(body, `"makeup_id":`+id) {
		t.Errorf("punches = %d %s, want the make-up punch", code, body)
	}
	code, body = do(t, http.MethodGet, base+"/api/v1/makeups?status=approved", mkAdminTok, nil)
	if code != http.StatusOK || !strings.Contains(body, `"id":`+id) || !strings.Contains(body, `"decided_by":"M1"`) {
		t.Errorf("approved make-ups = %d %s", code, body)
	}
}
