package slack_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestSlashHistoryAndGreeting: /punch this week (or 记录) answers at once
// with the last seven days, and /punch hello with the commands addressed
// to the person, never "did not understand".
func TestSlashHistoryAndGreeting(t *testing.T) {
	tests := []struct {
		name, user, text string
		want             []string
	}{
		{"this week", "U1", "this week", []string{"📋 Last 7 days (02-24 to 03-02)", "Mon 03-02: in —, out —; in progress", "Total: 0 days at work"}},
		{"记录", "U2", "记录", []string{"📋 最近 7 天（02-24 至 03-02）", "合计：出勤 0 天"}},
		{"hello", "U1", "hello", []string{"👋 Hi Ann Lee!", "Commands:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := MustEnv(t)
			status, ack, raw := e.slash("T1", tt.user, tt.text)
			if status != http.StatusOK || ack["response_type"] != "ephemeral" {
				t.Fatalf("ack = %d %s, want 200 ephemeral", status, raw)
			}
			for _, w := range tt.want {
				if !strings.Contains(raw, w) {
					t.Errorf("ack %s lacks %q", raw, w)
				}
			}
			if strings.Contains(raw, "did not understand") || strings.Contains(raw, "没看懂") {
				t.Errorf("ack %s says it did not understand", raw)
			}
		})
	}
}

// TestSlashTypoIsNamed: /punch stauts names the command meant.
func TestSlashTypoIsNamed(t *testing.T) {
	e := MustEnv(t)
	_, _, raw := e.slash("T1", "U1", "stauts")
	if !strings.Contains(raw, "did not understand “stauts”. Did you mean “status”?") {
		t.Errorf("ack %s, want the guess", raw)
	}
}

// TestSlashGarbledText: /punch with a NUL byte is answered that the
// message could not be read, without the command list and without the
// byte; nothing is punched.
func TestSlashGarbledText(t *testing.T) {
	e := MustEnv(t)
	status, _, raw := e.slash("T1", "U3", "in\x00")
	if status != http.StatusOK || !strings.Contains(raw, "Your message has characters I cannot read") || strings.Contains(raw, "Commands:") {
		t.Errorf("ack = %d %s, want the unreadable-message answer alone", status, raw)
	}
	if strings.Contains(raw, `\u0000`) {
		t.Errorf("ack %s carries the NUL", raw)
	}
	if n := len(e.punches()); n != 0 {
		t.Errorf("%d punches, want 0 (U3 punches anywhere, so a read \"in\" would have punched)", n)
	}
}

// TestDirectMessageTypoIsNamed: a direct message that is no command is
// answered, through the outbox, with what was not understood and the
// command a slip meant, then the commands and buttons, as /punch is; a
// greeting gets the plain help.
func TestDirectMessageTypoIsNamed(t *testing.T) {
	tests := []struct {
		text, want, notWant string
	}{
		{"stauts", "Sorry, I did not understand “stauts”. Did you mean “status”?", ""},
		{"hello", "👋 Hi Ann Lee!", "did not understand"},
	}
	for i, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			e := MustEnv(t)
			resp := e.post("/slack/events", "application/json", eventBody("T1", "EvTypo"+string(rune('0'+i)), dm("U1", tt.text)))
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200", resp.StatusCode)
			}
			if n := e.runOutbox(); n != 1 {
				t.Fatalf("outbox sent %d, want 1", n)
			}
			posts := e.slack.Calls("chat.postMessage")
			if len(posts) != 1 {
				t.Fatalf("%d posts, want 1", len(posts))
			}
			text, blocks := posts[0].text(), posts[0].blocks()
			if !strings.Contains(text, tt.want) || !strings.Contains(blocks, "punch_in") {
				t.Errorf("post text %q blocks %s, want %q and the buttons", text, blocks, tt.want)
			}
			if tt.notWant != "" && strings.Contains(text, tt.notWant) {
				t.Errorf("post text %q contains %q", text, tt.notWant)
			}
		})
	}
}
