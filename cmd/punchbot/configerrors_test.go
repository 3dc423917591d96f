package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestConfigErrorReported: with a Slack token that lacks im:write, a queued
// message stays pending, /readyz stays 200 and its verbose form names the
// problem and the fix, and punchbot_platform_config_errors{platform,code}
// reports it, all through the real wiring.
func TestConfigErrorReported(t *testing.T) {
	slackAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":false,"error":"missing_scope","needed":"im:write","provided":"commands,chat:write,im:history,app_mentions:read"}`)
	}))
	t.Cleanup(slackAPI.Close)
	base, s := startServer(t, env("PUNCHBOT_DB_PATH", filepath.Join(t.TempDir(), "p.db"), "PUNCHBOT_PUBLIC_URL", "https://punch.example.com",
		"PUNCHBOT_SLACK_SIGNING_SECRET", "signing", "PUNCHBOT_SLACK_BOT_TOKEN", "xoxb-test", "PUNCHBOT_SLACK_API_URL", slackAPI.URL+"/"))

	now := time.Now()
	notice, _ := json.Marshal(core.Notice{Kind: core.ReminderBroadcast, Text: "policy"})
	if err := s.store.InTx(context.Background(), func(tx core.Tx) error {
		return tx.EnqueueOutbox(context.Background(), core.OutboxMessage{Platform: core.PlatformSlack, Kind: core.OutboxNotice,
			Route: `{"platform":"slack","user_id":"U1"}`, Payload: notice, CreatedAt: now, NextAttempt: now})
	}); err != nil {
		t.Fatal(err)
	}

	var ready string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		code, body := do(t, "GET", base+"/readyz?verbose", "", nil)
		if code != http.StatusOK {
			t.Fatalf("/readyz?verbose = %d %s, want 200: a set-up problem does not make a replica unready", code, body)
		}
		if ready = body; strings.Contains(body, "slack: config error missing_scope") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(ready, "slack: config error missing_scope") || !strings.Contains(ready, "im:write") {
		t.Fatalf("/readyz?verbose =\n%s\nwant the missing im:write named", ready)
	}
	_, metrics := do(t, "GET", base+"/metrics", "", nil)
	if want := `punchbot_platform_config_errors{code="missing_scope",platform="slack"} 1`; !strings.Contains(metrics, want) {
		t.Errorf("/metrics lacks %s", want)
	}
	if n, err := s.store.OutboxDepth(context.Background()); err != nil || n != 1 {
		t.Errorf("outbox depth = %d, %v; want the message still queued", n, err)
	}
}
