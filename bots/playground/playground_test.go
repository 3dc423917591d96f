package playground

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/punchbot/punchbot/bots/playground/sim"
	"github.com/punchbot/punchbot/bots/wecom"
	"github.com/punchbot/punchbot/core"
)

var creds = sim.Config{
	WeCom:  sim.WeComConfig{CorpID: "ww1", AgentID: "1000002", Secret: "s", Token: "tok", EncodingAESKey: "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM"},
	Feishu: sim.FeishuConfig{AppID: "cli_pg", AppSecret: "s", VerificationToken: "v", EncryptKey: "k"},
	Slack:  sim.SlackConfig{SigningSecret: "ss", BotToken: "xoxb", TeamID: "T1"},
}

var org = core.Org{Name: "Acme",
	Sites: []core.OrgSite{{Site: core.Site{ID: "hq", Name: "望京SOHO", Lat: 39.9965, Lng: 116.4803, RadiusM: 300}}},
	Employees: []core.Employee{
		{ID: "E1", Name: "张三", Active: true, SiteIDs: []string{"hq"}, Identities: []core.Identity{{Platform: core.PlatformWeCom, UserID: "zhangsan"}, {Platform: core.PlatformWeb, UserID: "E1"}}},
		{ID: "X1", Name: "离职", Active: false, Identities: []core.Identity{{Platform: core.PlatformWeCom, UserID: "gone"}}},
	}}

// fixture is the playground over real simulators whose callbacks go to a
// fake bot that records the WeCom messages it got, decrypted.
type fixture struct {
	mux  *http.ServeMux
	mu   sync.Mutex
	got  []string
	sims *sim.Platforms
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{mux: http.NewServeMux()}
	cr, err := wecom.NewCrypto(creds.WeCom.Token, creds.WeCom.EncodingAESKey, creds.WeCom.CorpID)
	if err != nil {
		t.Fatal(err)
	}
	bot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		env, err := wecom.ParseEnvelope(body)
		q := r.URL.Query()
		if err != nil || !cr.Verify(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), env.Encrypt) {
			http.Error(w, "bad callback", http.StatusForbidden)
			return
		}
		plain, _ := cr.Decrypt(env.Encrypt)
		var m struct{ Content string }
		_ = xml.Unmarshal(plain, &m)
		f.mu.Lock()
		f.got = append(f.got, m.Content)
		f.mu.Unlock()
	}))
	t.Cleanup(bot.Close)
	if f.sims, err = sim.Start(creds); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.sims.Close)
	f.sims.SetTarget(bot.URL)
	New(Deps{Org: func(context.Context) (core.Org, error) { return org, nil }, Sims: f.sims, Panes: []Pane{{Employee: "E1", Platform: core.PlatformWeCom}}}).Register(f.mux)
	return f
}

func (f *fixture) do(t *testing.T, method, path, body string) (int, map[string]any, http.Header) {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, r)
	var out map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &out)
	return w.Code, out, w.Header()
}

func TestPage(t *testing.T) {
	f := newFixture(t)
	r := httptest.NewRequest("GET", "/playground", nil)
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, r)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "punchbot playground") || !strings.Contains(w.Header().Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("page = %d %q", w.Code, w.Header())
	}
	if strings.Contains(w.Body.String(), "https://") && strings.Contains(w.Body.String(), "<script src") {
		t.Error("the page loads an external script")
	}
	_, out, _ := f.do(t, "GET", "/playground/api/org", "")
	people, _ := out["people"].([]any)
	if len(people) != 1 || people[0].(map[string]any)["accounts"].(map[string]any)["wecom"] != "zhangsan" {
		t.Errorf("people = %v, want the active employee with their WeCom account and no web one", people)
	}
}

// TestActions: bad input is refused and sends nothing; 控制台 is sent as
// 管理, the command the bot answers with the console sign-in link.
func TestActions(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, path, body string
		want             int
	}{
		{"not JSON", "/playground/api/say", `{`, 400},
		{"unknown platform", "/playground/api/say", `{"platform":"teams","user":"zhangsan","text":"上班"}`, 400},
		{"not an employee", "/playground/api/say", `{"platform":"wecom","user":"stranger","text":"上班"}`, 404},
		{"left the company", "/playground/api/say", `{"platform":"wecom","user":"gone","text":"上班"}`, 404},
		{"empty text", "/playground/api/say", `{"platform":"wecom","user":"zhangsan","text":"  "}`, 400},
		{"latitude 200", "/playground/api/share", `{"platform":"wecom","user":"zhangsan","lat":200,"lng":116}`, 400},
		{"no such card", "/playground/api/press", `{"platform":"wecom","user":"zhangsan","id":"nope","index":0}`, 404},
	}
	for _, tt := range tests {
		if code, out, _ := f.do(t, "POST", tt.path, tt.body); code != tt.want {
			t.Errorf("%s: %d %v, want %d", tt.name, code, out, tt.want)
		}
	}
	if n := len(f.got); n != 0 {
		t.Fatalf("refused actions sent %d callbacks", n)
	}
	if code, out, _ := f.do(t, "POST", "/playground/api/say", `{"platform":"wecom","user":"zhangsan","text":"控制台"}`); code != 200 {
		t.Fatalf("say = %d %v", code, out)
	}
	if code, out, _ := f.do(t, "POST", "/playground/api/share", `{"platform":"wecom","user":"zhangsan","lat":39.9966,"lng":116.4803,"datum":"wgs84"}`); code != 200 {
		t.Fatalf("share = %d %v", code, out)
	}
	if len(f.got) != 2 || f.got[0] != "管理" {
		t.Errorf("the bot got %q, want 管理 then the location", f.got)
	}
	_, out, _ := f.do(t, "GET", "/playground/api/state?since=-1&c=wecom:zhangsan", "")
	chat, _ := out["chats"].(map[string]any)["wecom:zhangsan"].([]any)
	if len(chat) != 2 || !strings.Contains(chat[1].(map[string]any)["text"].(string), "GCJ-02") {
		t.Errorf("conversation = %v, want the text and the location, reported in GCJ-02", chat)
	}
}
