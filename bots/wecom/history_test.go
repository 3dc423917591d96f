package wecom

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestHistoryAndGreetingAnsweredInline: 记录 / 本周 / history and a first
// 你好 are answered in the callback's passive reply, like the status:
// the last seven days, and the commands addressed to the person; never
// the command list for 记录.
func TestHistoryAndGreetingAnsweredInline(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"记录", []string{"📋 最近 7 天（", "合计：出勤"}},
		{"本周", []string{"📋 最近 7 天（"}},
		{"history", []string{"📋 最近 7 天（"}}, // the employee's language, whatever the message's
		{"你好", []string{"👋 ", "你好！", "可用命令："}},
	}
	for i, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			got := mustOpenPassive(t, e.enc, e.deliver(e.seal(textXML(testUser, tt.text, "3000"+string(rune('0'+i)), e.unix(0)))))
			for _, w := range tt.want {
				if !strings.Contains(got.Msg.Content, w) {
					t.Errorf("passive reply %q lacks %q", got.Msg.Content, w)
				}
			}
			if len(got.Msg.Content) > passiveTextMax {
				t.Errorf("passive reply is %d bytes, WeCom cuts past %d", len(got.Msg.Content), passiveTextMax)
			}
			if n := len(e.store.Outbox()); n != 0 {
				t.Errorf("%d outbox messages, want 0 (answered inline)", n)
			}
		})
	}
}

// TestTypoIsNamedOnWeCom: the passive reply to text that is no command
// says what was not understood and the command a slip meant, then the
// list and the menu hint.
func TestTypoIsNamedOnWeCom(t *testing.T) {
	e := newEnv(t, envOptions{})
	got := mustOpenPassive(t, e.enc, e.deliver(e.seal(textXML(testUser, "下斑", "31001", e.unix(0)))))
	for _, w := range []string{"没看懂“下斑”，你是想发“下班”吗？", "可用命令：", "应用菜单"} {
		if !strings.Contains(got.Msg.Content, w) {
			t.Errorf("passive reply %q lacks %q", got.Msg.Content, w)
		}
	}
	if n := len(e.punches()); n != 0 {
		t.Errorf("%d punches, want 0", n)
	}
}

// TestGarbledTextOnWeCom: a text message carrying a NUL byte or broken
// UTF-8 is refused as malformed XML or answered as unreadable; either way
// nothing is punched or remembered, and no reply carries the bad bytes.
func TestGarbledTextOnWeCom(t *testing.T) {
	for i, content := range []string{"上班\x00", "上班\xff", "上班\x1b"} {
		e := newEnv(t, envOptions{})
		rec := e.deliver(e.seal(textXML(testUser, content, "3200"+string(rune('0'+i)), e.unix(0))))
		switch rec.Code {
		case http.StatusOK:
			got := mustOpenPassive(t, e.enc, rec)
			if rec.Body.Len() > 0 && !strings.HasPrefix(got.Msg.Content, "你的消息里有无法识别的字符") {
				t.Errorf("%q: passive reply %q, want the unreadable-message answer", content, got.Msg.Content)
			}
		case http.StatusBadRequest:
		default:
			t.Errorf("%q: status %d (%s), want 200 or 400", content, rec.Code, rec.Body)
		}
		if n := len(e.punches()); n != 0 {
			t.Errorf("%q: %d punches, want 0", content, n)
		}
		if got := e.store.Intents(); len(got) != 0 {
			t.Errorf("%q: an intent to punch was remembered", content)
		}
	}
}

// TestVoiceMessageIsAnswered: a voice message (doc 90239) is answered in
// the passive reply that only text and locations are read; it punches
// nothing. Before, it went unanswered.
func TestVoiceMessageIsAnswered(t *testing.T) {
	e := newEnv(t, envOptions{})
	voice := fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[media_1]]></MediaId><Format><![CDATA[amr]]></Format><MsgId>33001</MsgId><AgentID>%d</AgentID></xml>",
		testCorpID, testUser, e.unix(0), testAgentID)
	got := mustOpenPassive(t, e.enc, e.deliver(e.seal(voice)))
	if !strings.HasPrefix(got.Msg.Content, "🎤 我还听不懂语音，什么也没有记录。") {
		t.Errorf("passive reply %q, want the voice answer", got.Msg.Content)
	}
	if n := len(e.punches()); n != 0 {
		t.Errorf("%d punches, want 0", n)
	}
}
