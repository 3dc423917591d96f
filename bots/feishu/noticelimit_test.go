package feishu

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestLongNoticeCardFallsBackToText: a card request body is at most 30 KB,
// text 150 KB (SDK service/im/v1/model.go, CreateMessageReqBody.Content:
// "卡片及富文本消息请求体最大不能超过30KB"). A markdown broadcast or a list
// reminder whose card would be larger goes as text rather than be refused
// by Feishu and dropped by the outbox.
func TestLongNoticeCardFallsBackToText(t *testing.T) {
	tests := []struct {
		name    string
		notice  core.Notice
		text    string
		wantTyp string
	}{
		{"short markdown broadcast", core.Notice{Kind: core.ReminderBroadcast, Markdown: true}, "**hi**", "interactive"},
		{"31 KB markdown broadcast", core.Notice{Kind: core.ReminderBroadcast, Markdown: true}, strings.Repeat("通知", 31<<10/6), "text"},
		{"31 KB missed-punch list", core.Notice{Kind: core.ReminderMissedPunch}, strings.Repeat("a", 31<<10), "text"},
		{"200 KB broadcast, cut to the text limit", core.Notice{Kind: core.ReminderBroadcast, Markdown: true}, strings.Repeat("字", 200<<10/3), "text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NoticeMessage(tt.notice, tt.text, "zh")
			if m.MsgType != tt.wantTyp {
				t.Fatalf("msg_type %q (%d bytes), want %q", m.MsgType, len(m.Content), tt.wantTyp)
			}
			limit := 30 << 10
			if m.MsgType == "text" {
				limit = 150 << 10
				var c struct{ Text string }
				if err := json.Unmarshal([]byte(m.Content), &c); err != nil || !strings.HasPrefix(tt.text, c.Text) || c.Text == "" {
					t.Fatalf("text content %.40q… is not a prefix of the notice (%v)", c.Text, err)
				}
			}
			if len(m.Content) > limit {
				t.Fatalf("content is %d bytes, over Feishu's %d", len(m.Content), limit)
			}
		})
	}
}
