package slack_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

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

// TestLongTextSkipsTheSectionBlock: a section block's text is at most 3000
// characters ("Maximum length for the text in this field is 3000
// characters", https://docs.slack.dev/reference/block-kit/blocks/section-block;
// Slack answers invalid_blocks past it and the outbox drops the message),
// counted in characters, not bytes. A longer broadcast goes as text alone;
// a Chinese text of 1,500 characters (4,500 bytes) still gets its section.
func TestLongTextSkipsTheSectionBlock(t *testing.T) {
	tests := []struct {
		name        string
		text        string
		wantSection bool
	}{
		{"3000 characters", strings.Repeat("a", 3000), true},
		{"3001 characters", strings.Repeat("a", 3001), false},
		{"1500 Chinese characters", strings.Repeat("打", 1500), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := MustEnv(t)
			payload, _ := json.Marshal(slack.TextPayload{Text: tt.text})
			m := core.OutboxMessage{ID: 1, Platform: core.PlatformSlack, Kind: "text", Route: slack.Route{Channel: "C1"}.Encode(), Payload: payload}
			if err := e.bot.Send(context.Background(), m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			calls := e.slack.Calls("chat.postMessage")
			if len(calls) != 1 {
				t.Fatalf("%d chat.postMessage calls, want 1", len(calls))
			}
			var blocks []struct {
				Type string `json:"type"`
				Text struct {
					Text string `json:"text"`
				} `json:"text"`
			}
			if raw := calls[0].blocks(); raw != "" && raw != "null" {
				if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
					t.Fatalf("blocks %q: %v", raw, err)
				}
			}
			for _, b := range blocks {
				if n := utf8.RuneCountInString(b.Text.Text); b.Type == "section" && n > 3000 {
					t.Fatalf("section of %d characters sent, Slack refuses over 3000", n)
				}
			}
			if got := len(blocks) == 1 && blocks[0].Type == "section"; got != tt.wantSection {
				t.Fatalf("section block sent = %v (%d blocks), want %v", got, len(blocks), tt.wantSection)
			}
			if got := calls[0].text(); got != tt.text {
				t.Errorf("text of %d characters sent, want all %d", utf8.RuneCountInString(got), utf8.RuneCountInString(tt.text))
			}
		})
	}
}
