package slack_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	punchslack "github.com/punchbot/punchbot/bots/slack"
	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// slackAnswers is a fake Web API that answers every method with one
// response, as Slack's servers would.
func slackAnswers(t testing.TB, status int, header http.Header, body string) *punchslack.Bot {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		for k, v := range header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	b, err := punchslack.New(punchslack.Config{SigningSecret: "s", BotToken: "xoxb-test", APIURL: srv.URL + "/"},
		punchslack.Deps{Core: coreFunc(func(context.Context, core.Command) (core.Reply, error) { return core.Reply{}, nil }), Links: noLinks{},
			Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSendClassifiesErrors sends a channel message and a DM notice (which
// calls conversations.open first) against Slack's own error bodies (the
// method reference pages' "Errors" tables; missing_scope carries "needed"
// and "provided") and checks the core code the outbox acts on.
func TestSendClassifiesErrors(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		header   http.Header
		body     string
		code     string
		reason   string
		fixHas   string
		noticeDM bool
	}{
		{name: "missing im:write on conversations.open", status: 200, noticeDM: true,
			body: `{"ok":false,"error":"missing_scope","needed":"im:write","provided":"commands,chat:write,im:history,app_mentions:read"}`,
			code: core.ECONFIG, reason: "missing_scope", fixHas: "im:write"},
		{name: "missing chat:write", status: 200,
			body: `{"ok":false,"error":"missing_scope","needed":"chat:write:bot","provided":"commands"}`,
			code: core.ECONFIG, reason: "missing_scope", fixHas: "chat:write:bot"},
		{name: "invalid token", status: 200, body: `{"ok":false,"error":"invalid_auth"}`,
			code: core.ECONFIG, reason: "invalid_auth", fixHas: "PUNCHBOT_SLACK_BOT_TOKEN"},
		{name: "no token", status: 200, body: `{"ok":false,"error":"not_authed"}`, code: core.ECONFIG, reason: "not_authed"},
		{name: "uninstalled", status: 200, body: `{"ok":false,"error":"token_revoked"}`, code: core.ECONFIG, reason: "token_revoked"},
		{name: "deleted workspace", status: 200, body: `{"ok":false,"error":"account_inactive"}`, code: core.ECONFIG, reason: "account_inactive"},
		{name: "user token", status: 200, body: `{"ok":false,"error":"not_allowed_token_type"}`, code: core.ECONFIG, reason: "not_allowed_token_type"},
		{name: "admin refused", status: 200, body: `{"ok":false,"error":"no_permission"}`, code: core.ECONFIG, reason: "no_permission"},
		{name: "IP allow-list", status: 200, body: `{"ok":false,"error":"accesslimited"}`, code: core.ECONFIG, reason: "accesslimited"},
		{name: "messages tab off", status: 200, noticeDM: true, body: `{"ok":false,"error":"messages_tab_disabled"}`,
			code: core.ECONFIG, reason: "messages_tab_disabled", fixHas: "Messages Tab"},
		{name: "bad channel", status: 200, body: `{"ok":false,"error":"channel_not_found"}`, code: core.EINVALID},
		{name: "unknown user", status: 200, noticeDM: true, body: `{"ok":false,"error":"user_not_found"}`, code: core.EINVALID},
		{name: "Slack trouble", status: 200, body: `{"ok":false,"error":"internal_error"}`, code: core.EUNAVAILABLE},
		{name: "rate limited", status: 429, header: http.Header{"Retry-After": {"3"}}, body: `{"ok":false,"error":"ratelimited"}`, code: core.ERATELIMIT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bot := slackAnswers(t, tt.status, tt.header, tt.body)
			m := core.OutboxMessage{ID: 7, Platform: core.PlatformSlack, Kind: "broadcast", Route: `{"channel":"C1"}`, Payload: json.RawMessage(`{"text":"hello"}`)}
			if tt.noticeDM {
				n, _ := json.Marshal(core.Notice{Kind: core.ReminderBroadcast, Text: "hello"})
				m = core.OutboxMessage{ID: 7, Platform: core.PlatformSlack, Kind: core.OutboxNotice, Route: `{"platform":"slack","user_id":"U1"}`, Payload: n}
			}
			err := bot.Send(context.Background(), m)
			if got := core.ErrorCode(err); got != tt.code {
				t.Fatalf("Send: code %q (%v), want %q", got, err, tt.code)
			}
			if got := core.ErrorReason(err); got != tt.reason {
				t.Errorf("reason = %q, want %q", got, tt.reason)
			}
			if !strings.Contains(core.ErrorMessage(err), tt.fixHas) {
				t.Errorf("fix %q does not mention %q", core.ErrorMessage(err), tt.fixHas)
			}
		})
	}
}

// TestMissingScopeStaysQueued: a broadcast Slack refuses for a missing
// im:write is neither dropped nor retried at once, and the problem names
// the scope.
func TestMissingScopeStaysQueued(t *testing.T) {
	bot := slackAnswers(t, 200, nil, `{"ok":false,"error":"missing_scope","needed":"im:write","provided":"commands,chat:write"}`)
	store := coretest.NewMemStore()
	at := time.Now().Add(-time.Minute)
	queueSlackNotices(t, store, at, &core.Notice{Reminder: "policy", Kind: core.ReminderBroadcast, Text: "hello", FireAt: at},
		core.Recipient{Platform: core.PlatformSlack, UserID: "U1", EmployeeID: "e1"})
	cfg := core.NewConfigErrors(nil, slog.New(slog.DiscardHandler))
	w := core.OutboxWorker{Store: store, Senders: map[core.Platform]core.Sender{core.PlatformSlack: bot}, Log: slog.New(slog.DiscardHandler), Config: cfg}
	for range 3 {
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	msgs := store.Outbox()
	if len(msgs) != 1 || msgs[0].Status != core.OutboxPending || msgs[0].Attempts != 0 || msgs[0].NextAttempt.Before(time.Now().Add(50*time.Second)) {
		t.Fatalf("outbox = %+v, want the delivery pending, no attempt spent, next try in about a minute", msgs)
	}
	p := cfg.Problems()
	if len(p) != 1 || p[0].Reason != "missing_scope" || !strings.Contains(p[0].Fix, "im:write") || p[0].Count != 1 {
		t.Errorf("problems = %+v, want one missing_scope naming im:write, seen once", p)
	}
}
