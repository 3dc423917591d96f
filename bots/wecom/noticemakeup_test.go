package wecom

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// mustQueueMissedPunch queues a missed-punch notice for 张三: no clock-in
// on Friday 27 February (09:00 in Beijing).
func (e *env) mustQueueMissedPunch() {
	e.t.Helper()
	loc := time.FixedZone("CST", 8*3600)
	n := core.Notice{Reminder: "missed", Kind: core.ReminderMissedPunch, FireAt: e.clock.Now(), Lang: "zh", TimeZone: "Asia/Shanghai", Name: "张三",
		ShiftDate: "2026-02-27", Missing: []core.MissingSlot{{Date: "2026-02-27", Kind: core.KindIn, At: time.Date(2026, 2, 27, 9, 0, 0, 0, loc)}}}
	to := core.Recipient{Platform: core.PlatformWeCom, Tenant: testCorpID, UserID: testUser, EmployeeID: "e1", Lang: "zh"}
	mustQueueNotices(e.t, e.store, n, e.clock.Now(), 0, to)
}

func (e *env) makeupRequests() int { return e.makeupAudits("makeup.requested") }

func TestMissedPunchButtonFilesMakeupOnWeCom(t *testing.T) {
	e := newMakeupEnv(t)
	e.mustQueueMissedPunch()
	out, mark := e.drain(0)
	notices := findSent(out, "/cgi-bin/message/send", testUser)
	if len(notices) != 1 || notices[0].Body["msgtype"] != "template_card" {
		t.Fatalf("notice = %+v, want one template card", notices)
	}
	card := notices[0].Body["template_card"].(map[string]any)
	buttons := card["button_list"].([]any)
	if card["card_type"] != CardButtonInteraction || len(buttons) != 1 {
		t.Fatalf("card = %v", card)
	}
	button := buttons[0].(map[string]any)
	wantKey := KeyNoticeMakeupPrefix + "2026-02-27|09:00|in|" + testUser + "|zh"
	if button["text"] != "申请补卡 02-27 上班" || button["key"] != wantKey {
		t.Errorf("button = %v, want 申请补卡 02-27 上班 with key %q", button, wantKey)
	}
	if !strings.Contains(card["sub_title_text"].(string), "缺卡提醒") {
		t.Errorf("card text = %v", card["sub_title_text"])
	}
	taskID := card["task_id"].(string)

	// A colleague's forged click on 张三's notice is refused and remembered nowhere.
	e.clock.Advance(time.Second)
	e.post(cardEventXML("peer", wantKey, taskID, "C0", e.unix(0)))
	out, mark = e.drain(mark)
	if got := findSent(out, "/cgi-bin/message/send", "peer"); len(got) != 1 || !strings.Contains(textOf(got[0]), "发给别人") {
		t.Errorf("colleague's answer = %+v", got)
	}
	e.clock.Advance(time.Second)
	e.post(textXML("peer", "我的原因", "8001", e.unix(0)))
	_, mark = e.drain(mark)
	if n := e.makeupRequests(); n != 0 {
		t.Fatalf("the colleague's text filed %d requests", n)
	}

	// 张三 clicks (WeCom delivers it twice): one prompt.
	e.clock.Advance(time.Second)
	click := cardEventXML(testUser, wantKey, taskID, "C1", e.unix(0))
	e.post(click)
	e.post(click)
	out, mark = e.drain(mark)
	if got := findSent(out, "/cgi-bin/message/send", testUser); len(got) != 1 || !strings.Contains(textOf(got[0]), "请回复补卡原因") {
		t.Fatalf("prompt = %+v", got)
	}

	// A command instead of the reason is handled as the command; the slot
	// stays for the reason that follows.
	e.clock.Advance(time.Second)
	e.post(textXML(testUser, "状态", "8002", e.unix(0)))
	_, mark = e.drain(mark)
	if n := e.makeupRequests(); n != 0 {
		t.Fatalf("a status command filed %d requests", n)
	}

	e.clock.Advance(time.Second)
	e.post(textXML(testUser, "地铁故障", "8003", e.unix(0)))
	out, mark = e.drain(mark)
	if n := e.makeupRequests(); n != 1 {
		t.Fatalf("%d requests filed, want 1", n)
	}
	if got := findSent(out, "/cgi-bin/message/send", testUser); len(got) != 1 || !strings.HasPrefix(textOf(got[0]), "📝 补卡申请 #") || !strings.Contains(textOf(got[0]), "2026-02-27 上班 09:00") {
		t.Errorf("requester's reply = %+v", got)
	}
	cards := findSent(out, "/cgi-bin/message/send", "manager")
	if len(cards) != 1 || cards[0].Body["msgtype"] != "template_card" {
		t.Fatalf("approver's card = %+v", cards)
	}
	if sub := cards[0].Body["template_card"].(map[string]any)["sub_title_text"]; sub != "原因：地铁故障" {
		t.Errorf("approver's card reason = %v", sub)
	}

	// The slot is used up: the next free text is just that.
	e.clock.Advance(time.Second)
	e.post(textXML(testUser, "谢谢", "8004", e.unix(0)))
	e.drain(mark)
	if n := e.makeupRequests(); n != 1 {
		t.Errorf("%d requests after a second text, want 1", n)
	}
	actor := core.Identity{Platform: core.PlatformWeCom, Tenant: testCorpID, UserID: testUser}
	if _, ok, err := bots.PendingNoticeSlot(context.Background(), e.kv, actor); ok || err != nil {
		t.Errorf("pending slot after filing: ok=%v err=%v, want none", ok, err)
	}
}
