package feishu

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// answering is a fake Open Platform that answers the token endpoint with
// tokenBody and every other call with status and body, with the
// Content-Type the real API sends.
func answering(tb testing.TB, tokenBody string, status int, body string) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if r.URL.Path == "/open-apis/auth/v3/tenant_access_token/internal" {
			_, _ = io.WriteString(w, tokenBody)
			return
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

const okToken = `{"code":0,"msg":"ok","tenant_access_token":"t-ok","expire":7200}`

var appSeq atomic.Int64

// TestClientClassifiesConfigErrors runs each call against the platform's
// own answers: permission refusals as "如何为应用申请所需权限" shows them
// (99991672 with error.permission_violations), bad credentials from the
// token endpoint, refused tokens, and the errors that are not set-up
// problems.
func TestClientClassifiesConfigErrors(t *testing.T) {
	const scopeBody = `{"code":99991672,"msg":"Access denied. One of the following scopes is required: [im:message:send_multi_users]. 应用尚未开通所需的应用身份权限：[im:message:send_multi_users]","error":{"message":"Refer to the documentation to fix the error: https://open.feishu.cn/document/uAjLw4CM/ugTN1YjL4UTN24CO1UjN/trouble-shooting/how-to-fix-the-99991672-error","log_id":"202312041618216F3E9EB64DC7E1234","permission_violations":[{"type":"action_scope_required","subject":"im:message:send_multi_users"}],"helps":[{"url":"https://open.feishu.cn/app/cli_x/auth?q=im:message:send_multi_users&op_from=openapi","description":"Learn more about scopes and how to add them: [im:message:send_multi_users]"}]}}`
	tests := []struct {
		name      string
		token     string
		status    int
		body      string
		batch     bool // batch_send instead of a message create
		code      string
		reason    string
		fixHas    []string
		wantCalls int
	}{
		{name: "broadcast without send_multi_users", token: okToken, status: 400, body: scopeBody, batch: true,
			code: core.ECONFIG, reason: "99991672", fixHas: []string{"im:message:send_multi_users", "broadcasts", "publish"}},
		{name: "no send permission, no details", token: okToken, status: 400,
			body: `{"code":99991672,"msg":"Access denied. One of the following scopes is required: [im:message, im:message:send_as_bot]."}`,
			code: core.ECONFIG, reason: "99991672", fixHas: []string{"im:message:send_as_bot", "reminders"}},
		{name: "user authorization", token: okToken, status: 400,
			body: `{"code":99991679,"msg":"Unauthorized. required one of these privileges: [im:message]","error":{"permission_violations":[{"subject":"im:message","type":"action_privilege_required"}]}}`,
			code: core.ECONFIG, reason: "99991679", fixHas: []string{"im:message"}},
		{name: "wrong app secret", token: `{"code":10014,"msg":"app secret invalid"}`,
			code: core.ECONFIG, reason: "10014", fixHas: []string{"PUNCHBOT_FEISHU_APP_SECRET"}},
		{name: "wrong app id", token: `{"code":10003,"msg":"invalid param"}`,
			code: core.ECONFIG, reason: "10003", fixHas: []string{"PUNCHBOT_FEISHU_APP_ID"}},
		{name: "fresh token refused too", token: okToken, status: 400,
			body: `{"code":99991663,"msg":"Invalid access token for authorization. Please make a request with token attached."}`,
			code: core.ECONFIG, reason: "99991663", fixHas: []string{"PUNCHBOT_FEISHU_BASE_URL"}},
		{name: "no token sent", token: okToken, status: 400, body: `{"code":99991661,"msg":"Missing access token for authorization. Please make a request with token attached."}`,
			code: core.ECONFIG, reason: "99991661"},
		{name: "IP allow-list", token: okToken, status: 400, body: `{"code":99991401,"msg":"ip 203.0.113.7 is denied by app setting"}`,
			code: core.ECONFIG, reason: "99991401", fixHas: []string{"IP"}},
		{name: "bot capability off", token: okToken, status: 400, body: `{"code":230006,"msg":"Bot ability is not activated."}`,
			code: core.ECONFIG, reason: "230006", fixHas: []string{"机器人"}},
		{name: "outside availability", token: okToken, status: 400, body: `{"code":230013,"msg":"Bot has NO availability to this user."}`,
			code: core.EINVALID},
		{name: "rate limited", token: okToken, status: 429, body: `{"code":99991400,"msg":"request trigger frequency limit"}`, code: core.ERATELIMIT},
		{name: "server trouble", token: okToken, status: 502, body: `<html>bad gateway</html>`, code: core.EUNAVAILABLE},
		{name: "token endpoint down", token: `<html>`, code: core.EUNAVAILABLE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := answering(t, tt.token, tt.status, tt.body)
			c := NewClient(fmt.Sprintf("cli_cfg%d", appSeq.Add(1)), "secret", srv.URL, srv.Client(), nil, discardLog())
			var err error
			if tt.batch {
				_, err = c.BatchSend(context.Background(), "open_id", []string{"ou_1"}, TextMessage("hello"))
			} else {
				_, err = c.CreateMessage(context.Background(), "open_id", "ou_1", TextMessage("hello"), "u1")
			}
			if got := core.ErrorCode(err); got != tt.code {
				t.Fatalf("code %q (%v), want %q", got, err, tt.code)
			}
			if got := core.ErrorReason(err); got != tt.reason {
				t.Errorf("reason %q, want %q", got, tt.reason)
			}
			for _, s := range tt.fixHas {
				if !strings.Contains(core.ErrorMessage(err), s) {
					t.Errorf("fix %q does not mention %q", core.ErrorMessage(err), s)
				}
			}
		})
	}
}

// TestBroadcastWithoutPermissionStaysQueued: the broadcast refused for a
// missing im:message:send_multi_users is kept, not dropped (issue 14), and
// tried again only after a minute.
func TestBroadcastWithoutPermissionStaysQueued(t *testing.T) {
	h := MustHarness(t)
	h.api.script(scripted{status: 400, body: `{"code":99991672,"msg":"Access denied. One of the following scopes is required: [im:message:send_multi_users].","error":{"permission_violations":[{"type":"action_scope_required","subject":"im:message:send_multi_users"}]}}`})
	at := h.clock.Now()
	n := &core.Notice{Reminder: "policy", Kind: core.ReminderBroadcast, Text: "新制度", FireAt: at}
	var ds []core.Delivery
	for _, id := range []string{"ou_1", "ou_2"} {
		to := core.Recipient{Platform: core.PlatformFeishu, UserID: id, EmployeeID: id}
		ds = append(ds, core.Delivery{Recipient: to, Notice: n, Key: core.DeliveryKey(n.Reminder, at, to)})
	}
	f, _, err := h.store.BeginFiring(context.Background(), core.Firing{ReminderID: n.Reminder, Kind: n.Kind, FireAt: at, CreatedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := core.DeliveryMessages(ds, f.ID, at)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.EnqueueDeliveries(context.Background(), f.ID, msgs); err != nil {
		t.Fatal(err)
	}
	cfg := core.NewConfigErrors(h.clock.Now, discardLog())
	w := &core.OutboxWorker{Store: h.store, Senders: map[core.Platform]core.Sender{core.PlatformFeishu: h.bot}, Now: h.clock.Now, Log: discardLog(), Config: cfg}
	for range 3 {
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(h.api.Calls("/batch_send/")); got != 1 {
		t.Errorf("%d batch_send calls, want 1 before the minute is up", got)
	}
	for _, m := range h.store.Outbox() {
		if m.Status != core.OutboxPending || m.Attempts != 0 || m.NextAttempt.Sub(at) < 50*time.Second {
			t.Errorf("delivery %d: %s, %d attempts, next %s; want pending about a minute later", m.ID, m.Status, m.Attempts, m.NextAttempt.Sub(at))
		}
	}
	if p := cfg.Problems(); len(p) != 1 || p[0].Reason != "99991672" || !strings.Contains(p[0].Fix, "im:message:send_multi_users") {
		t.Errorf("problems = %+v, want the missing send_multi_users", p)
	}
	// Granted: the next try, a minute on, delivers both.
	h.clock.Add(time.Minute)
	h.api.script(scripted{status: 200, body: `{"code":0,"msg":"ok","data":{"message_id":"bm-1","invalid_open_ids":[]}}`})
	if _, err := w.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, m := range h.store.Outbox() {
		if m.Status != core.OutboxSent {
			t.Errorf("delivery %d after the grant: %s (%s), want sent", m.ID, m.Status, m.LastError)
		}
	}
}

// apiPath finds the Open Platform calls in the bot's source.
var apiPath = regexp.MustCompile(`HttpMethod:\s*http\.Method(\w+),\s*(?:\n\s*)?ApiPath:\s*"([^"]+)"`)

// TestPermissions fails when the code calls an Open Platform API whose
// permission the README and SETUP.md do not list: every ApiPath in the
// source must be in APIPermissions, every entry must be called, and each
// permission group the table or EventPermissions needs must have a member
// on the documents' permission list.
func TestPermissions(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	called := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "permissions.go" {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if n, m := strings.Count(string(src), "ApiPath:"), apiPath.FindAllStringSubmatch(string(src), -1); n != len(m) {
			t.Errorf("%s: %d ApiPath fields but %d in the form HttpMethod: http.MethodX, ApiPath: \"…\" this test reads", f, n, len(m))
		}
		for _, m := range apiPath.FindAllStringSubmatch(string(src), -1) {
			key := strings.ToUpper(m[1]) + " " + m[2]
			if _, ok := APIPermissions[key]; !ok {
				t.Errorf("%s calls %s, which APIPermissions (permissions.go) does not list with its permissions", f, key)
			}
			called[key] = true
		}
	}
	for key := range APIPermissions {
		if !called[key] {
			t.Errorf("APIPermissions lists %s, which the code never calls", key)
		}
	}
	for key, path := range opPaths {
		if _, ok := APIPermissions[path]; !ok {
			t.Errorf("opPaths[%q] = %q, not in APIPermissions", key, path)
		}
	}
	for _, doc := range []string{"../../README.md", "SETUP.md"} {
		listed, err := docPermissions(doc)
		if err != nil {
			t.Errorf("%s: %v", doc, err)
			continue
		}
		for _, table := range []map[string]APIPermission{APIPermissions, EventPermissions} {
			for key, p := range table {
				for _, anyOf := range p.Needs {
					if !slices.ContainsFunc(anyOf, func(s string) bool { return slices.Contains(listed, s) }) {
						t.Errorf("%s: %s (%s) needs one of %v, which the permission list %v does not name", doc, key, p.Feature, anyOf, listed)
					}
				}
			}
		}
	}
	if !strings.Contains(mustRead(t, "SETUP.md"), "card.action.trigger") || !strings.Contains(mustRead(t, "SETUP.md"), "回调配置") {
		t.Errorf("SETUP.md does not subscribe the card.action.trigger callback under 回调配置")
	}
}

func mustRead(tb testing.TB, path string) string {
	tb.Helper()
	buf, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return string(buf)
}

// docPermissions reads the Feishu permission list of a document: the
// first `code` of each "- " item after the "**Permissions**" step, up to the
// next numbered step.
func docPermissions(path string) ([]string, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	text := string(buf)
	if i := strings.Index(text, "### Feishu"); i >= 0 {
		text = text[i:]
	}
	i := strings.Index(text, "**Permissions**")
	if i < 0 {
		return nil, fmt.Errorf("no **Permissions** step")
	}
	var out []string
	for _, l := range strings.Split(text[i:], "\n")[1:] {
		l = strings.TrimSpace(l)
		if regexp.MustCompile(`^\d+\. `).MatchString(l) {
			break
		}
		l = strings.TrimPrefix(l, "- ")
		l = strings.TrimPrefix(l, "optional: ")
		if strings.HasPrefix(l, "`") {
			rest := l[1:]
			out = append(out, rest[:strings.IndexByte(rest, '`')])
		}
	}
	return out, nil
}
