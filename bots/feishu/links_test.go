package feishu

import (
	"context"
	"encoding/json"
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

// MustLinkHarness is the harness with a core that signs links.
func MustLinkHarness(tb testing.TB) *harness {
	tb.Helper()
	var svc *core.Service
	h := MustHarness(tb, func(c *Config, d *Deps) { svc = d.Core.(*core.Service) })
	svc.SetLinkSigner(linkSigner{now: h.clock.Now})
	return h
}

func TestLinkInAGroupGoesToThePerson(t *testing.T) {
	h := MustLinkHarness(t)
	ev := h.event(msgEvent{openID: aliceOpenID, chatType: "group", msgType: "text", content: textContent("@_user_1 管理"),
		mentions: []map[string]any{{"key": "@_user_1", "name": "punchbot", "id": map[string]any{"open_id": "ou_bot"}}}})
	if rec := h.post(ev, delivery{}); rec.Code != http.StatusOK {
		t.Fatalf("status = %d (%s)", rec.Code, rec.Body)
	}
	out := h.store.Outbox()
	if len(out) != 1 {
		t.Fatalf("%d replies queued, want 1", len(out))
	}
	var rt route
	_ = json.Unmarshal([]byte(out[0].Route), &rt)
	if rt.ReceiveIDType != "open_id" || rt.ReceiveID != aliceOpenID || rt.MessageID != "" {
		t.Fatalf("route = %+v, want a direct message to Alice, not the group", rt)
	}
	if n := h.runOutbox(); n != 1 {
		t.Fatalf("sent %d, want 1", n)
	}
	calls := h.api.Calls("/im/v1/messages")
	if len(calls) != 1 || calls[0].Query.Get("receive_id_type") != "open_id" || calls[0].Body["receive_id"] != aliceOpenID {
		t.Fatalf("create-message calls = %+v", calls)
	}
	text, _ := sentContent(t, calls[0])["text"].(string)
	if !strings.Contains(text, "https://punch.example.com/auth/E1-console") || !strings.Contains(text, "控制台") {
		t.Errorf("sent text = %q", text)
	}
}

func TestMyDataInADirectChatThreads(t *testing.T) {
	h := MustLinkHarness(t)
	h.post(h.event(msgEvent{messageID: "om_q", openID: aliceOpenID, msgType: "text", content: textContent("我的数据")}), delivery{})
	if n := h.runOutbox(); n != 1 {
		t.Fatalf("sent %d, want 1", n)
	}
	calls := h.api.Calls("/reply")
	if len(calls) != 1 || !strings.Contains(calls[0].Path, "om_q") {
		t.Fatalf("reply calls = %+v, want a reply to om_q", calls)
	}
	if text, _ := sentContent(t, calls[0])["text"].(string); !strings.Contains(text, "E1-mydata") {
		t.Errorf("sent text = %q", text)
	}
}
