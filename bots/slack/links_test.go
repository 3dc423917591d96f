package slack_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// linkSigner signs predictable links valid for ten minutes.
type linkSigner struct{ now func() time.Time }

func (s linkSigner) SignLink(ctx context.Context, e core.Employee, purpose string) (string, time.Time, error) {
	return "https://punch.example.com/auth/" + e.ID + "-" + purpose, s.now().Add(10 * time.Minute), nil
}

func TestSlashLinkCommands(t *testing.T) {
	tests := []struct {
		user, text string
		want       []string
	}{
		{"U1", "admin", []string{"Sign in to the attendance console", "expires in 10 minutes", "https://punch.example.com/auth/e1-console", "Open the console"}},
		{"U2", "我的数据", []string{"你的个人数据", "10 分钟内有效", "https://punch.example.com/auth/e2-mydata", "查看我的数据"}},
		{"U9", "admin", []string{"not registered with punchbot"}},
	}
	for _, tc := range tests {
		t.Run(tc.user+" "+tc.text, func(t *testing.T) {
			e := MustEnv(t)
			e.svc.SetLinkSigner(linkSigner{now: e.clock.Now})
			status, ack, raw := e.slash("T1", tc.user, tc.text)
			if status != http.StatusOK || ack["response_type"] != "ephemeral" {
				t.Fatalf("ack = %d %s, want 200 ephemeral", status, raw)
			}
			for _, w := range tc.want {
				if !strings.Contains(raw, w) {
					t.Errorf("ack %s lacks %q", raw, w)
				}
			}
			if out := e.store.Outbox(); len(out) != 0 {
				t.Errorf("outbox = %+v, want the slash answer inline only", out)
			}
		})
	}
}

func TestLinkInAMentionIsEphemeral(t *testing.T) {
	e := MustEnv(t)
	e.svc.SetLinkSigner(linkSigner{now: e.clock.Now})
	mention := `{"type":"app_mention","user":"U1","text":"<@UBOT> admin","ts":"1772412900.000300","channel":"C7","event_ts":"1772412900.000300"}`
	resp := e.post("/slack/events", "application/json", eventBody("T1", "Ev9", mention))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mention = %d", resp.StatusCode)
	}
	e.runOutbox()
	eph := e.slack.Calls("chat.postEphemeral")
	if len(eph) != 1 || eph[0].Form.Get("user") != "U1" || !strings.Contains(eph[0].Form.Get("blocks"), "https://punch.example.com/auth/e1-console") {
		t.Fatalf("ephemeral posts = %+v, want the link to U1 only", eph)
	}
	if len(e.slack.Calls("chat.postMessage")) != 0 {
		t.Errorf("a sign-in link was posted publicly")
	}
}
