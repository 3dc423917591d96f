package feishu

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// queueMissedPunch queues Alice's notice: no clock-in on Tuesday 24 November.
func (h *harness) queueMissedPunch() {
	h.tb.Helper()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	n := &core.Notice{Reminder: "missed", Kind: core.ReminderMissedPunch, FireAt: h.clock.Now(), Lang: "zh", TimeZone: "Asia/Shanghai", Name: "Alice",
		ShiftDate: "2026-11-24", Missing: []core.MissingSlot{{Date: "2026-11-24", Kind: core.KindIn, At: time.Date(2026, 11, 24, 9, 0, 0, 0, loc)}}}
	to := core.Recipient{Platform: core.PlatformFeishu, Tenant: testTenant, UserID: aliceOpenID, EmployeeID: "E1", Lang: "zh"}
	queueNotices(h.tb, h.store, h.clock.Now(), []core.Delivery{noticeTo(n, h.clock.Now(), to)})
}

func (h *harness) mustText(openID, text string) {
	h.tb.Helper()
	if rec := h.post(h.event(msgEvent{openID: openID, msgType: "text", content: textContent(text)}), delivery{}); rec.Code != http.StatusOK {
		h.tb.Fatalf("text %q: %d %s", text, rec.Code, rec.Body)
	}
}

func TestMissedPunchButtonFilesMakeupOnFeishu(t *testing.T) {
	h := MustMakeupHarness(t)
	h.queueMissedPunch()
	h.runOutbox()
	var notices []map[string]any
	for _, c := range h.api.Calls("/open-apis/im/v1/messages") {
		if c.Body["receive_id"] == aliceOpenID && c.Body["msg_type"] == "interactive" {
			notices = append(notices, sentContent(t, c))
		}
	}
	if len(notices) != 1 {
		t.Fatalf("%d notice cards, want 1", len(notices))
	}
	text, buttons := cardText(t, notices[0])
	if !strings.Contains(text, "缺卡提醒") || len(buttons) != 1 {
		t.Fatalf("notice card text %q, buttons %v", text, buttons)
	}
	value := buttons[0]["value"].(map[string]any)
	wantSlot := "2026-11-24|09:00|in|" + aliceOpenID + "|zh"
	if label := buttons[0]["text"].(map[string]any)["content"]; label != "申请补卡 11-24 上班" || value["action"] != ActionNoticeMakeup || value["slot"] != wantSlot {
		t.Fatalf("button %q value %v, want slot %q", label, value, wantSlot)
	}
	requested := func() int { return h.audits("makeup.requested") }

	// A colleague clicking Alice's button is refused; their text stays text.
	r := h.mustClick(h.cardAction("ev-click-peer", peerOpenID, "om_notice", value))
	if r.Toast.Type != "error" || !strings.Contains(r.Toast.Content, "发给别人") {
		t.Errorf("colleague's toast = %+v", r.Toast)
	}
	h.mustText(peerOpenID, "我的原因")
	if n := requested(); n != 0 {
		t.Fatalf("the colleague's text filed %d requests", n)
	}

	r = h.mustClick(h.cardAction("ev-click-alice", aliceOpenID, "om_notice", value))
	if r.Toast.Type != "info" || !strings.Contains(r.Toast.Content, "请回复补卡原因") {
		t.Fatalf("Alice's toast = %+v", r.Toast)
	}
	// A command in between is that command; the slot waits for the reason.
	h.mustText(aliceOpenID, "状态")
	if n := requested(); n != 0 {
		t.Fatalf("a status command filed %d requests", n)
	}
	h.mustText(aliceOpenID, "地铁故障")
	if n := requested(); n != 1 {
		t.Fatalf("%d requests filed, want 1", n)
	}
	mark := len(h.api.Calls("/open-apis/im/v1/messages"))
	h.runOutbox()
	var cards []map[string]any
	for _, c := range h.api.Calls("/open-apis/im/v1/messages")[mark:] {
		if c.Body["receive_id"] == managerOpenID {
			cards = append(cards, sentContent(t, c))
		}
	}
	if len(cards) != 1 {
		t.Fatalf("%d approver cards, want 1", len(cards))
	}
	if text, _ := cardText(t, cards[0]); !strings.Contains(text, "原因\n地铁故障") || !strings.Contains(text, "补卡\n上班 09:00") || !strings.Contains(text, "2026-11-24") {
		t.Errorf("approver's card:\n%s", text)
	}
	h.mustText(aliceOpenID, "谢谢")
	if n := requested(); n != 1 {
		t.Errorf("%d requests after another text, want 1", n)
	}
	actor := core.Identity{Platform: core.PlatformFeishu, Tenant: testTenant, UserID: aliceOpenID}
	if _, ok, err := bots.PendingNoticeSlot(context.Background(), h.kv, actor); ok || err != nil {
		t.Errorf("pending slot after filing: ok=%v err=%v, want none", ok, err)
	}
}
