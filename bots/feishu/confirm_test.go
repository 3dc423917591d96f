package feishu

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

const peerOpenID2 = "ou_colleague"

// mustConfirmHarness is MustHarness with the schedule asking to confirm a
// clock-out within 10 minutes of the clock-in and any early leave, and a
// colleague who shares Alice's group chat.
func mustConfirmHarness(tb testing.TB) *harness {
	tb.Helper()
	h := MustHarness(tb)
	org := core.Org{
		Name: "Acme", Lang: "zh", TimeZone: "Asia/Shanghai",
		Sites: []core.OrgSite{{Site: core.Site{ID: "wj", Name: "望京SOHO", Lat: office.lat, Lng: office.lng, RadiusM: 200}, Datum: core.WGS84}},
		Schedules: []core.Schedule{{ID: "std", Name: "Standard", WorkDays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
			StartMin: 9 * 60, EndMin: 18 * 60, CheckInOpensMin: 120, CheckOutClosesMin: 360, LateGraceMin: 5, OutOfRange: core.OutOfRangeReject, ConfirmWithinMin: 10}},
		Employees: []core.Employee{
			{ID: "E1", Name: "Alice", Lang: "zh", TimeZone: "Asia/Shanghai", Active: true, ScheduleID: "std", SiteIDs: []string{"wj"},
				Identities: []core.Identity{{Platform: core.PlatformFeishu, Tenant: testTenant, UserID: aliceOpenID}}},
			{ID: "P2", Name: "同事", Lang: "zh", TimeZone: "Asia/Shanghai", Active: true, ScheduleID: "std", SiteIDs: []string{"wj"},
				Identities: []core.Identity{{Platform: core.PlatformFeishu, Tenant: testTenant, UserID: peerOpenID2}}},
		},
	}
	if err := org.Prepare(); err != nil {
		tb.Fatalf("org.Prepare: %v", err)
	}
	if _, err := h.store.ApplyOrg(context.Background(), org, core.AuditEntry{At: h.clock.Now(), Actor: "admin", Action: "org.applied"}); err != nil {
		tb.Fatalf("ApplyOrg: %v", err)
	}
	return h
}

func (h *harness) clockOuts() []core.Punch {
	var out []core.Punch
	for _, p := range h.punches() {
		if p.Valid() && p.Kind == core.KindOut {
			out = append(out, p)
		}
	}
	return out
}

// askClockOut clocks Alice in at 08:58 and shares her location again at
// 09:18 (a clock-out 522 minutes early): the answer is the question card.
// It returns the card's buttons.
func (h *harness) askClockOut(t *testing.T) []map[string]any {
	t.Helper()
	lat, lng := gcj(20, 0)
	h.post(h.event(msgEvent{openID: aliceOpenID, msgType: "location", content: locContent("望京SOHO", lat, lng), sentAt: h.clock.Now()}), delivery{})
	h.runOutbox()
	h.clock.Add(20 * time.Minute)
	h.post(h.event(msgEvent{messageID: "om_out", openID: aliceOpenID, msgType: "location", content: locContent("望京SOHO", lat, lng), sentAt: h.clock.Now()}), delivery{})
	if n := len(h.clockOuts()); n != 0 {
		t.Fatalf("the question recorded %d clock-outs", n)
	}
	h.runOutbox()
	replies := h.api.Calls("/open-apis/im/v1/messages/om_out/reply")
	if len(replies) != 1 || replies[0].Body["msg_type"] != "interactive" {
		t.Fatalf("answer to the clock-out = %+v, want one card", replies)
	}
	card := sentContent(t, replies[0])
	text, buttons := cardText(t, card)
	for _, want := range []string{"确认下班打卡？将记为早退 8 小时 42 分钟", "上班时间\n08:58", "早退\n8 小时 42 分钟"} {
		if !strings.Contains(text, want) {
			t.Errorf("question card lacks %q:\n%s", want, text)
		}
	}
	if len(buttons) != 2 {
		t.Fatalf("buttons = %v", buttons)
	}
	for i, want := range []string{ActionPunchConfirm, ActionPunchDecline} {
		v := buttons[i]["value"].(map[string]any)
		if v["action"] != want || v["for"] != aliceOpenID {
			t.Errorf("button %d value = %v, want action %s for %s", i, v, want, aliceOpenID)
		}
	}
	return buttons
}

func TestConfirmClockOutOnFeishu(t *testing.T) {
	h := mustConfirmHarness(t)
	buttons := h.askClockOut(t)
	confirm := buttons[0]["value"].(map[string]any)

	// A colleague in the group clicks Alice's card: an error toast, the card
	// stays, nothing is recorded.
	h.clock.Add(10 * time.Second)
	peer := h.mustClick(h.cardAction("ev-peer", peerOpenID2, "om_card", confirm))
	if peer.Toast.Type != "error" || !strings.Contains(peer.Toast.Content, "发给别人") || peer.Card != nil {
		t.Errorf("colleague's answer = %+v", peer)
	}
	if n := len(h.clockOuts()); n != 0 {
		t.Fatalf("a colleague's click recorded %d clock-outs", n)
	}

	// Alice confirms; Feishu retries the callback.
	h.clock.Add(time.Minute)
	click := h.cardAction("ev-yes", aliceOpenID, "om_card", confirm)
	got := h.mustClick(click)
	again := h.mustClick(click)
	if got.Toast.Type != "success" || !strings.Contains(got.Toast.Content, "下班打卡成功 09:18（早退 8 小时 42 分钟）") {
		t.Errorf("confirm toast = %+v", got.Toast)
	}
	if again.Toast != got.Toast {
		t.Errorf("retried callback toast = %+v, want %+v", again.Toast, got.Toast)
	}
	if got.Card == nil {
		t.Fatal("the answered card is not replaced")
	}
	if text, buttons := cardText(t, decodeCard(t, got.Card.Data)); len(buttons) != 0 || !strings.Contains(text, "下班打卡成功") {
		t.Errorf("replacement card: buttons %v, text %q", buttons, text)
	}
	outs := h.clockOuts()
	if len(outs) != 1 || outs[0].EarlyMin != 522 || outs[0].Source != "feishu" {
		t.Fatalf("clock-outs = %+v, want one 522 minutes early", outs)
	}
}

func TestDeclineAndTextConfirmOnFeishu(t *testing.T) {
	t.Run("decline", func(t *testing.T) {
		h := mustConfirmHarness(t)
		buttons := h.askClockOut(t)
		got := h.mustClick(h.cardAction("ev-no", aliceOpenID, "om_card", buttons[1]["value"].(map[string]any)))
		if got.Toast.Type != "info" || !strings.Contains(got.Toast.Content, "已取消") || got.Card == nil {
			t.Errorf("decline answer = %+v", got)
		}
		if n := len(h.clockOuts()); n != 0 {
			t.Errorf("decline recorded %d clock-outs", n)
		}
		// The question is gone: a late confirm finds nothing.
		late := h.mustClick(h.cardAction("ev-yes", aliceOpenID, "om_card", buttons[0]["value"].(map[string]any)))
		if late.Toast.Type != "warning" || !strings.Contains(late.Toast.Content, "没有等待确认的打卡") {
			t.Errorf("confirm after decline = %+v", late.Toast)
		}
	})
	t.Run("typed 确认", func(t *testing.T) {
		h := mustConfirmHarness(t)
		h.askClockOut(t)
		h.clock.Add(time.Minute)
		h.post(h.event(msgEvent{messageID: "om_yes", openID: aliceOpenID, msgType: "text", content: textContent("确认")}), delivery{})
		h.runOutbox()
		replies := h.api.Calls("/open-apis/im/v1/messages/om_yes/reply")
		if len(replies) != 1 {
			t.Fatalf("answer to 确认 = %+v", replies)
		}
		if text, _ := cardText(t, sentContent(t, replies[0])); !strings.Contains(text, "下班打卡成功") {
			t.Errorf("answer to 确认 = %q", text)
		}
		if n := len(h.clockOuts()); n != 1 {
			t.Errorf("%d clock-outs after 确认, want 1", n)
		}
	})
}
