package wecom

import (
	"context"
	"encoding/json"
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

func TestLinkVerbsReplyWithASignedLink(t *testing.T) {
	tests := []struct {
		text, purpose, want string
	}{
		{"管理", core.LinkConsole, "控制台"},
		{"我的数据", core.LinkMyData, "个人数据"},
		{"/punch mydata", core.LinkMyData, "10 分钟内有效"}, // the employee's language wins
	}
	for i, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			e.svc.SetLinkSigner(linkSigner{now: e.clock.Now})
			e.post(textXML(testUser, tc.text, "20"+string(rune('0'+i)), e.unix(time.Second)))
			rs := e.replies()
			if len(rs) != 1 || rs[0].Outcome != core.OutcomeLink || rs[0].LinkPurpose != tc.purpose || rs[0].Link != "https://punch.example.com/auth/e1-"+tc.purpose {
				t.Fatalf("replies = %+v, want one %s link", rs, tc.purpose)
			}
			if n := e.mustRun(); n != 1 {
				t.Fatalf("sent %d messages, want 1", n)
			}
			calls := e.fake.CallsTo("/cgi-bin/message/send")
			if len(calls) != 1 {
				t.Fatalf("message/send calls: %d", len(calls))
			}
			var msg struct {
				ToUser string `json:"touser"`
				Text   struct{ Content string }
			}
			if err := json.Unmarshal(calls[0].Body, &msg); err != nil {
				t.Fatal(err)
			}
			if msg.ToUser != testUser || !strings.Contains(msg.Text.Content, rs[0].Link) || !strings.Contains(msg.Text.Content, tc.want) {
				t.Errorf("sent %+v, want the link to %s alone", msg, testUser)
			}
		})
	}
}
