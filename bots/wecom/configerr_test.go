package wecom

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// wecomAnswering fakes WeCom with fixed answers: gettoken answers token,
// message/send answers the next of sends (the last one repeats). It counts
// the calls of each path.
type wecomAnswering struct {
	srv   *httptest.Server
	mu    sync.Mutex
	calls map[string]int
}

func newWeComAnswering(tb testing.TB, token string, sends ...string) *wecomAnswering {
	tb.Helper()
	f := &wecomAnswering{calls: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		f.mu.Lock()
		n := f.calls[r.URL.Path]
		f.calls[r.URL.Path]++
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		if r.URL.Path == "/cgi-bin/gettoken" {
			_, _ = io.WriteString(w, token)
			return
		}
		_, _ = io.WriteString(w, sends[min(n, len(sends)-1)])
	}))
	tb.Cleanup(f.srv.Close)
	return f
}

// TestClassifiesConfigErrors checks each set-up errcode of 全局错误码
// (https://developer.work.weixin.qq.com/document/path/90313) against
// answers shaped like WeCom's (errmsg with hint, from ip and the devtool
// link), and that an expired token counts only after the refetch fails.
func TestClassifiesConfigErrors(t *testing.T) {
	const okToken = `{"errcode":0,"errmsg":"ok","access_token":"accesstoken000001","expires_in":7200}`
	const ok = `{"errcode":0,"errmsg":"ok","invaliduser":"","msgid":"m1"}`
	hint := func(code, text string) string {
		return `{"errcode":` + code + `,"errmsg":"` + text + `, hint: [1764640000_11_abcdef], from ip: 203.0.113.7, more info at https://open.work.weixin.qq.com/devtool/query?e=` + code + `"}`
	}
	tests := []struct {
		name           string
		token          string
		sends          []string
		code, reason   string
		fixHas         string
		wantSends      int
		wantTokenCalls int
	}{
		{name: "untrusted IP", token: okToken, sends: []string{hint("60020", "not allow to access from your ip")},
			code: core.ECONFIG, reason: "60020", fixHas: "add 203.0.113.7", wantSends: 1, wantTokenCalls: 1},
		{name: "wrong secret", token: hint("40001", "invalid credential"),
			code: core.ECONFIG, reason: "40001", fixHas: "PUNCHBOT_WECOM_SECRET", wantTokenCalls: 1},
		{name: "wrong corp id", token: hint("40013", "invalid corpid"),
			code: core.ECONFIG, reason: "40013", fixHas: "PUNCHBOT_WECOM_CORP_ID", wantTokenCalls: 1},
		{name: "API forbidden", token: okToken, sends: []string{hint("48002", "api forbidden")},
			code: core.ECONFIG, reason: "48002", fixHas: "自建应用", wantSends: 1, wantTokenCalls: 1},
		{name: "no privilege", token: okToken, sends: []string{hint("60011", "no privilege to access/modify contact/party/agent ")},
			code: core.ECONFIG, reason: "60011", fixHas: "可见范围", wantSends: 1, wantTokenCalls: 1},
		{name: "wrong agent id", token: okToken, sends: []string{hint("40056", "invalid agentid")},
			code: core.ECONFIG, reason: "40056", fixHas: "PUNCHBOT_WECOM_AGENT_ID", wantSends: 1, wantTokenCalls: 1},
		{name: "expired token is refetched, not a set-up error", token: okToken, sends: []string{hint("42001", "access_token expired"), ok},
			wantSends: 2, wantTokenCalls: 2},
		{name: "a fresh token refused too", token: okToken, sends: []string{hint("42001", "access_token expired")},
			code: core.ECONFIG, reason: "42001", fixHas: "PUNCHBOT_WECOM_SECRET", wantSends: 2, wantTokenCalls: 2},
		{name: "no valid recipient", token: okToken, sends: []string{hint("81013", "user & party & tag all invalid")},
			code: core.EINVALID, wantSends: 1, wantTokenCalls: 1},
		{name: "frequency limit", token: okToken, sends: []string{`{"errcode":45009,"errmsg":"api freq out of limit"}`},
			code: core.ERATELIMIT, wantSends: 1, wantTokenCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sends := tt.sends
			if sends == nil {
				sends = []string{ok}
			}
			f := newWeComAnswering(t, tt.token, sends...)
			c := NewClient(ClientConfig{APIURL: f.srv.URL, CorpID: "ww0123456789abcdef", Secret: "s", AgentID: 1000002, HTTPClient: f.srv.Client(),
				Sleep: func(context.Context, time.Duration) error { return nil }})
			_, err := c.SendText(context.Background(), "zhangsan", "上班打卡成功")
			if got := core.ErrorCode(err); got != tt.code {
				t.Fatalf("code %q (%v), want %q", got, err, tt.code)
			}
			if got := core.ErrorReason(err); got != tt.reason {
				t.Errorf("reason %q, want %q", got, tt.reason)
			}
			if !strings.Contains(core.ErrorMessage(err), tt.fixHas) {
				t.Errorf("fix %q does not mention %q", core.ErrorMessage(err), tt.fixHas)
			}
			if tt.code == core.ECONFIG && apiCode(err) == 0 {
				t.Errorf("the set-up error %v does not wrap the *APIError (punchbot doctor reads it)", err)
			}
			if got := f.calls["/cgi-bin/message/send"]; got != tt.wantSends {
				t.Errorf("%d message/send calls, want %d", got, tt.wantSends)
			}
			if got := f.calls["/cgi-bin/gettoken"]; got != tt.wantTokenCalls {
				t.Errorf("%d gettoken calls, want %d", got, tt.wantTokenCalls)
			}
		})
	}
}
