package feishu

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestHistoryAndGreetingOnFeishu: 记录 / this week answers with the last
// seven days in the employee's language, and 你好 / hello with the
// commands addressed to them, as text messages; neither is a punch.
func TestHistoryAndGreetingOnFeishu(t *testing.T) {
	tests := []struct {
		name, user, text string
		want             []string
	}{
		{"记录", aliceOpenID, "记录", []string{"📋 最近 7 天（11-19 至 11-25）", "周三 11-25：", "合计：出勤 0 天"}},
		{"this week, English employee", bobUserID, "this week", []string{"📋 Last 7 days (11-19 to 11-25)", "Wed 11-25: ", "Total: 0 days at work"}},
		{"你好", aliceOpenID, "你好", []string{"👋 Alice，你好！", "可用命令："}},
		{"hello", bobUserID, "hello", []string{"👋 Hi Bob!", "Commands:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := MustHarness(t)
			ev := msgEvent{openID: tt.user, msgType: "text", content: textContent(tt.text)}
			if tt.user == bobUserID {
				ev.openID, ev.userID = "ou_bob", bobUserID
			}
			if rec := h.post(h.event(ev), delivery{}); rec.Code != http.StatusOK {
				t.Fatalf("status = %d (%s), want 200", rec.Code, rec.Body)
			}
			h.runOutbox()
			replies := h.api.Calls("/reply")
			if len(replies) != 1 || replies[0].Body["msg_type"] != "text" {
				t.Fatalf("replies = %+v, want one text", replies)
			}
			text, _ := sentContent(t, replies[0])["text"].(string)
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("reply %q lacks %q", text, w)
				}
			}
			if n := len(h.punches()); n != 0 {
				t.Errorf("%d punches, want 0", n)
			}
		})
	}
}

// TestTypoIsNamedOnFeishu: text that is no command is answered with what
// was not understood, the command a slip meant, and the list; nothing is
// punched. An oversized message is quoted in 40 characters, not echoed.
func TestTypoIsNamedOnFeishu(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
		notWant    string
	}{
		{"typo", "上斑", []string{"没看懂“上斑”，你是想发“上班”吗？", "可用命令："}, "👋"},
		{"nonsense", "跳个舞", []string{"没看懂“跳个舞”。发送“帮助”查看可用命令。", "可用命令："}, "你是想"},
		{"oversized", strings.Repeat("啊", 5000), []string{"没看懂“" + strings.Repeat("啊", 39) + "…”", "可用命令："}, strings.Repeat("啊", 41)},
		{"greeting is no typo", "你好", []string{"👋 Alice，你好！"}, "没看懂"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := MustHarness(t)
			if rec := h.post(h.event(msgEvent{openID: aliceOpenID, msgType: "text", content: textContent(tt.text)}), delivery{}); rec.Code != http.StatusOK {
				t.Fatalf("status = %d (%s), want 200", rec.Code, rec.Body)
			}
			h.runOutbox()
			replies := h.api.Calls("/reply")
			if len(replies) != 1 {
				t.Fatalf("%d replies, want 1", len(replies))
			}
			text, _ := sentContent(t, replies[0])["text"].(string)
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("reply %q lacks %q", text, w)
				}
			}
			if strings.Contains(text, tt.notWant) {
				t.Errorf("reply %q contains %q", text, tt.notWant)
			}
			if n := len(h.punches()); n != 0 {
				t.Errorf("%d punches, want 0", n)
			}
		})
	}
}

// TestGarbledTextOnFeishu: a text with a NUL byte is no command, even one
// that spells 上班: nothing is punched or remembered, and the reply says
// the message could not be read, in the employee's language.
func TestGarbledTextOnFeishu(t *testing.T) {
	h := MustHarness(t)
	if rec := h.post(h.event(msgEvent{openID: aliceOpenID, msgType: "text", content: textContent("上班\x00")}), delivery{}); rec.Code != http.StatusOK {
		t.Fatalf("status = %d (%s), want 200", rec.Code, rec.Body)
	}
	h.runOutbox()
	replies := h.api.Calls("/reply")
	if len(replies) != 1 {
		t.Fatalf("%d replies, want 1", len(replies))
	}
	text, _ := sentContent(t, replies[0])["text"].(string)
	if !strings.HasPrefix(text, "你的消息里有无法识别的字符（如 NUL 或乱码）：“上班\uFFFD”。没有执行任何操作") || strings.Contains(text, "可用命令") {
		t.Errorf("reply %q, want the unreadable-message answer alone", text)
	}
	if strings.ContainsRune(text, 0) {
		t.Errorf("reply %q carries the NUL", text)
	}
	if n := len(h.punches()); n != 0 {
		t.Errorf("%d punches, want 0", n)
	}
	if got := h.store.Intents(); len(got) != 0 {
		t.Errorf("an intent to punch was remembered")
	}
}

// TestRichTextIsReadAsText: a rich-text (post) message, which the client
// sends for text with a line break or formatting, is read as its words: a
// status, a punch; a post that is no command is answered as text that is
// not understood. Before, posts went unanswered.
func TestRichTextIsReadAsText(t *testing.T) {
	post := func(title string, paras ...[]map[string]string) map[string]any {
		return map[string]any{"title": title, "content": paras}
	}
	tests := []struct {
		name    string
		content any
		want    string
	}{
		{"status", post("", []map[string]string{{"tag": "text", "text": "状态"}}), "📋 2026-11-25"},
		{"two lines", post("", []map[string]string{{"tag": "text", "text": "本周"}}, []map[string]string{{"tag": "text", "text": "记录"}}), "📋 最近 7 天"},
		{"with a link", post("", []map[string]string{{"tag": "a", "text": "上班", "href": "https://example.com"}}), "📍 请在 5 分钟内发送你的位置"},
		{"sent shape, in a locale", map[string]any{"zh_cn": post("", []map[string]string{{"tag": "text", "text": "帮助"}})}, "可用命令："},
		{"no command", post("周报", []map[string]string{{"tag": "text", "text": "本周完成了三件事"}}), "没看懂“周报 本周完成了三件事”"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := MustHarness(t)
			if rec := h.post(h.event(msgEvent{openID: aliceOpenID, msgType: "post", content: tt.content}), delivery{}); rec.Code != http.StatusOK {
				t.Fatalf("status = %d (%s), want 200", rec.Code, rec.Body)
			}
			h.runOutbox()
			replies := h.api.Calls("/reply")
			if len(replies) != 1 {
				t.Fatalf("%d replies, want 1", len(replies))
			}
			text, _ := sentContent(t, replies[0])["text"].(string)
			if !strings.Contains(text, tt.want) {
				t.Errorf("reply %q lacks %q", text, tt.want)
			}
		})
	}
}

// TestHistoryAskedInAGroupGoesToThePerson: 记录 asked in a group chat
// (mentioning the bot) is answered to the person, not to the group.
func TestHistoryAskedInAGroupGoesToThePerson(t *testing.T) {
	h := MustHarness(t)
	ev := h.event(msgEvent{openID: aliceOpenID, chatType: "group", msgType: "text", content: textContent("@_user_1 记录"),
		mentions: []map[string]any{{"key": "@_user_1", "name": "punchbot", "id": map[string]any{"open_id": "ou_bot"}}}})
	if rec := h.post(ev, delivery{}); rec.Code != http.StatusOK {
		t.Fatalf("status = %d (%s), want 200", rec.Code, rec.Body)
	}
	out := h.store.Outbox()
	if len(out) != 1 {
		t.Fatalf("%d replies queued, want 1", len(out))
	}
	var rt route
	_ = json.Unmarshal([]byte(out[0].Route), &rt)
	if rt.ReceiveIDType != "open_id" || rt.ReceiveID != aliceOpenID || rt.MessageID != "" {
		t.Errorf("route = %+v, want a direct message to %s, not a reply in the group", rt, aliceOpenID)
	}
}

// TestVoiceMessageOnFeishu: an audio message is answered, in the
// employee's language, that only text and locations are read. Before, it
// went unanswered.
func TestVoiceMessageOnFeishu(t *testing.T) {
	for _, tt := range []struct{ open, user, want string }{
		{aliceOpenID, "", "🎤 我还听不懂语音"},
		{"ou_bob", bobUserID, "🎤 I cannot understand voice messages yet"},
	} {
		h := MustHarness(t)
		ev := h.event(msgEvent{openID: tt.open, userID: tt.user, msgType: "audio", content: map[string]any{"file_key": "file_v2_x", "duration": 2000}})
		if rec := h.post(ev, delivery{}); rec.Code != http.StatusOK {
			t.Fatalf("status = %d (%s), want 200", rec.Code, rec.Body)
		}
		h.runOutbox()
		replies := h.api.Calls("/reply")
		if len(replies) != 1 {
			t.Fatalf("%d replies, want 1", len(replies))
		}
		if text, _ := sentContent(t, replies[0])["text"].(string); !strings.HasPrefix(text, tt.want) {
			t.Errorf("reply %q, want it to start %q", text, tt.want)
		}
		if n := len(h.punches()); n != 0 {
			t.Errorf("%d punches, want 0", n)
		}
	}
}
