package slack_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/punchbot/punchbot/bots/slack"
	"github.com/punchbot/punchbot/core"
)

// TestSendTreatsRateLimitedBodyAsRateLimit: chat.postMessage can refuse
// with HTTP 200 {"ok":false,"error":"rate_limited"} ("Application has
// posted too many messages", the Errors table of
// https://docs.slack.dev/reference/methods/chat.postMessage, as
// slack-ruby/slack-api-ref methods/chat/chat.postMessage.json copies it),
// which carries no Retry-After. It is a rate limit the outbox waits out
// (ERATELIMIT, a minute: Slack counts its tiers per minute), not a
// transient failure retried at once, nor a refusal dropped.
func TestSendTreatsRateLimitedBodyAsRateLimit(t *testing.T) {
	tests := []struct {
		name, body string
		wantCode   string
		wantWait   time.Duration
	}{
		{"rate_limited", `{"ok":false,"error":"rate_limited"}`, core.ERATELIMIT, time.Minute},
		{"ratelimited", `{"ok":false,"error":"ratelimited"}`, core.ERATELIMIT, time.Minute},
		{"internal_error stays a transient failure", `{"ok":false,"error":"internal_error"}`, core.EUNAVAILABLE, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := MustEnv(t)
			e.slack.mu.Lock()
			e.slack.fail = map[string]func(http.ResponseWriter){"chat.postMessage": func(w http.ResponseWriter) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, tt.body)
			}}
			e.slack.mu.Unlock()
			m := core.OutboxMessage{ID: 1, Platform: core.PlatformSlack, Kind: "text", Route: slack.Route{Channel: "C1"}.Encode(), Payload: []byte(`{"text":"hello"}`)}
			err := e.bot.Send(context.Background(), m)
			if got := core.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("Send error = %v (code %q), want %q", err, got, tt.wantCode)
			}
			if got := core.RetryAfter(err); got != tt.wantWait {
				t.Errorf("retry after %v, want %v", got, tt.wantWait)
			}
		})
	}
}
