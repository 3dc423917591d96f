package feishu

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// apiCall is one request the fake Feishu API received, as the real API
// would see it.
type apiCall struct {
	Method      string
	Path        string
	Query       url.Values
	ContentType string
	Auth        string
	Body        map[string]any
}

// fakeAPI speaks the Open Platform endpoints the bot uses: the tenant token,
// message create / reply / patch and bot info. Like the real API it always
// answers Content-Type: application/json. Failures can be scripted.
type fakeAPI struct {
	srv *httptest.Server

	mu     sync.Mutex
	calls  []apiCall
	tokens int             // tokens issued
	valid  map[string]bool // tokens the API accepts
	// fail scripts the next responses of message endpoints, consumed in
	// order: status, headers, body.
	fail []scripted
	next int // message ids issued
}

type scripted struct {
	status int
	header map[string]string
	body   string
}

func newFakeAPI(tb testing.TB) *fakeAPI {
	tb.Helper()
	f := &fakeAPI{valid: map[string]bool{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	tb.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) URL() string { return f.srv.URL }

// script queues responses for the next message requests.
func (f *fakeAPI) script(s ...scripted) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = append(f.fail, s...)
}

// revoke makes the API refuse a token it issued, as after a secret reset.
func (f *fakeAPI) revoke(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.valid, token)
}

// Calls returns the recorded requests, optionally only those to a path
// with the given suffix.
func (f *fakeAPI) Calls(suffix string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if strings.HasSuffix(c.Path, suffix) {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	call := apiCall{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), ContentType: r.Header.Get("Content-Type"), Auth: r.Header.Get("Authorization")}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &call.Body); err != nil {
			call.Body = map[string]any{"_unparsable": string(raw)}
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	reply := func(status int, v any) {
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}

	if r.URL.Path == "/open-apis/auth/v3/tenant_access_token/internal" {
		if r.Method != http.MethodPost || call.Body["app_id"] == nil || call.Body["app_secret"] != "secret" {
			reply(http.StatusOK, map[string]any{"code": 10014, "msg": "app secret invalid"})
			return
		}
		f.tokens++
		token := fmt.Sprintf("t-%d", f.tokens)
		f.valid[token] = true
		reply(http.StatusOK, map[string]any{"code": 0, "msg": "ok", "tenant_access_token": token, "expire": 7200})
		return
	}

	token := strings.TrimPrefix(call.Auth, "Bearer ")
	if !f.valid[token] {
		reply(http.StatusBadRequest, map[string]any{"code": 99991663, "msg": "Invalid access token for authorization. Please make a request with token attached."})
		return
	}
	if len(f.fail) > 0 {
		s := f.fail[0]
		f.fail = f.fail[1:]
		for k, v := range s.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(s.status)
		_, _ = io.WriteString(w, s.body)
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/open-apis/bot/v3/info":
		reply(http.StatusOK, map[string]any{"code": 0, "msg": "ok", "bot": map[string]any{"activate_status": 2, "app_name": "punchbot", "open_id": "ou_bot"}})
	case r.Method == http.MethodPost && r.URL.Path == "/open-apis/im/v1/messages":
		if call.Query.Get("receive_id_type") == "" {
			reply(http.StatusBadRequest, map[string]any{"code": 99992402, "msg": "field validation failed: receive_id_type"})
			return
		}
		f.next++
		reply(http.StatusOK, map[string]any{"code": 0, "msg": "success", "data": map[string]any{"message_id": fmt.Sprintf("om_new%d", f.next), "msg_type": call.Body["msg_type"]}})
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/open-apis/im/v1/messages/") && strings.HasSuffix(r.URL.Path, "/reply"):
		f.next++
		reply(http.StatusOK, map[string]any{"code": 0, "msg": "success", "data": map[string]any{"message_id": fmt.Sprintf("om_new%d", f.next), "msg_type": call.Body["msg_type"]}})
	case r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/open-apis/im/v1/messages/"):
		reply(http.StatusOK, map[string]any{"code": 0, "msg": "success", "data": map[string]any{}})
	default:
		reply(http.StatusNotFound, map[string]any{"code": 404, "msg": "not found"})
	}
}
