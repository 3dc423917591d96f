package feishu

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

const (
	managerOpenID = "ou_manager"
	peerOpenID    = "ou_peer"
)

// MustMakeupHarness is MustHarness with Alice reporting to 王经理 and a
// colleague who may not approve, all on Feishu, and a make-up policy.
func MustMakeupHarness(tb testing.TB, mutate ...func(*Config, *Deps)) *harness {
	tb.Helper()
	h := MustHarness(tb, mutate...)
	org := core.Org{
		Name: "Acme", Lang: "zh", TimeZone: "Asia/Shanghai",
		Sites: []core.OrgSite{{Site: core.Site{ID: "wj", Name: "望京SOHO", Lat: office.lat, Lng: office.lng, RadiusM: 200}, Datum: core.WGS84}},
		Schedules: []core.Schedule{{ID: "std", Name: "Standard", WorkDays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
			StartMin: 9 * 60, EndMin: 18 * 60, CheckInOpensMin: 120, CheckOutClosesMin: 360, LateGraceMin: 5, OutOfRange: core.OutOfRangeReject}},
		Employees: []core.Employee{
			{ID: "E1", Name: "Alice", Lang: "zh", Active: true, ScheduleID: "std", SiteIDs: []string{"wj"}, ManagerID: "M1",
				Identities: []core.Identity{{Platform: core.PlatformFeishu, Tenant: testTenant, UserID: aliceOpenID}}},
			{ID: "E2", Name: "Bob", Lang: "en", Active: true, ScheduleID: "std", SiteIDs: []string{"wj"},
				Identities: []core.Identity{{Platform: core.PlatformFeishu, UserID: bobUserID}}},
			{ID: "M1", Name: "王经理", Lang: "zh", Role: core.RoleManager, Active: true,
				Identities: []core.Identity{{Platform: core.PlatformFeishu, Tenant: testTenant, UserID: managerOpenID}}},
			{ID: "P1", Name: "同事", Lang: "zh", Active: true, ManagerID: "M1",
				Identities: []core.Identity{{Platform: core.PlatformFeishu, Tenant: testTenant, UserID: peerOpenID}}},
		},
		Makeup: core.MakeupPolicy{MonthlyQuota: 3, DeadlineDays: 7},
	}
	if err := org.Prepare(); err != nil {
		tb.Fatalf("org.Prepare: %v", err)
	}
	if _, err := h.store.ApplyOrg(context.Background(), org, core.AuditEntry{At: h.clock.Now(), Actor: "admin", Action: "org.applied"}); err != nil {
		tb.Fatalf("ApplyOrg: %v", err)
	}
	return h
}

// cardAction is a card.action.trigger callback as Feishu sends it.
func (h *harness) cardAction(eventID, openID, messageID string, value map[string]any) map[string]any {
	ms := strconv.FormatInt(h.clock.Now().UnixMilli(), 10)
	return map[string]any{
		"schema": "2.0",
		"header": map[string]any{"event_id": eventID, "event_type": "card.action.trigger", "create_time": ms, "token": testToken, "app_id": testAppID, "tenant_key": testTenant},
		"event": map[string]any{
			"operator": map[string]any{"tenant_key": testTenant, "open_id": openID, "user_id": "u_" + openID},
			"token":    "c-update-token",
			"action":   map[string]any{"value": value, "tag": "button"},
			"host":     "im_message",
			"context":  map[string]any{"open_message_id": messageID, "open_chat_id": "oc_p2p_manager"},
		},
	}
}

// cardResponse is the inline answer to a card action.
type cardResponse struct {
	Toast struct {
		Type    string `json:"type"`
		Content string `json:"content"`
	} `json:"toast"`
	Card *struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	} `json:"card"`
}

func (h *harness) mustClick(payload map[string]any) cardResponse {
	h.tb.Helper()
	rec := h.post(payload, delivery{})
	if rec.Code != http.StatusOK {
		h.tb.Fatalf("card action: status %d (%s)", rec.Code, rec.Body.String())
	}
	var r cardResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		h.tb.Fatalf("card action answer %q: %v", rec.Body.String(), err)
	}
	return r
}

// cardText flattens a card's texts for assertions, and reports its buttons.
func cardText(tb testing.TB, card map[string]any) (text string, buttons []map[string]any) {
	tb.Helper()
	var b strings.Builder
	for _, el := range card["elements"].([]any) {
		e := el.(map[string]any)
		if t, ok := e["text"].(map[string]any); ok {
			b.WriteString(t["content"].(string) + "\n")
		}
		for _, f := range asList(e["fields"]) {
			b.WriteString(f.(map[string]any)["text"].(map[string]any)["content"].(string) + "\n")
		}
		for _, a := range asList(e["actions"]) {
			buttons = append(buttons, a.(map[string]any))
		}
	}
	return b.String(), buttons
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func decodeCard(tb testing.TB, raw json.RawMessage) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		tb.Fatalf("card %s: %v", raw, err)
	}
	return m
}

func (h *harness) audits(action string) int {
	n := 0
	for _, a := range h.store.Audit() {
		if a.Action == action {
			n++
		}
	}
	return n
}

func TestMakeupApprovalOnFeishu(t *testing.T) {
	h := MustMakeupHarness(t)
	if rec := h.post(h.event(msgEvent{openID: aliceOpenID, msgType: "text", content: textContent("补卡 11-24 09:00 上班 地铁故障")}), delivery{}); rec.Code != http.StatusOK {
		t.Fatalf("request: %d %s", rec.Code, rec.Body)
	}
	h.runOutbox()
	replies := h.api.Calls("/reply")
	if len(replies) != 1 || !strings.Contains(shownText(t, replies[0]), "等待 王经理 审批（本月 1/3）") {
		t.Fatalf("requester's reply = %+v", replies)
	}
	var cards []apiCall
	for _, c := range h.api.Calls("/open-apis/im/v1/messages") {
		if c.Body["receive_id"] == managerOpenID {
			cards = append(cards, c)
		}
	}
	if len(cards) != 1 || cards[0].Query.Get("receive_id_type") != "open_id" || cards[0].Body["msg_type"] != "interactive" {
		t.Fatalf("approver's card = %+v", cards)
	}
	card := sentContent(t, cards[0])
	if card["config"].(map[string]any)["update_multi"] != true {
		t.Errorf("card config = %v, want update_multi", card["config"])
	}
	text, buttons := cardText(t, card)
	for _, want := range []string{"申请人\nAlice", "日期\n2026-11-24（周二）", "补卡\n上班 09:00", "原因\n地铁故障", "本月已申请\n1/3", "当天打卡\n无打卡记录", "⏳ 待审批（审批人：王经理）"} {
		if !strings.Contains(text, want) {
			t.Errorf("card lacks %q:\n%s", want, text)
		}
	}
	if len(buttons) != 2 {
		t.Fatalf("buttons = %v", buttons)
	}
	value := buttons[0]["value"].(map[string]any)
	id, _ := strconv.ParseInt(value["id"].(string), 10, 64)
	if value["action"] != ActionMakeupApprove || buttons[1]["value"].(map[string]any)["action"] != ActionMakeupReject || id == 0 {
		t.Errorf("button values = %v, %v", value, buttons[1]["value"])
	}
	ref, err := h.bot.makeups.CardRef(context.Background(), id, core.PlatformFeishu, managerOpenID)
	var cref cardRef
	if err != nil || json.Unmarshal([]byte(ref.Ref), &cref) != nil || !strings.HasPrefix(cref.MessageID, "om_new") {
		t.Fatalf("card reference = %+v, %v", ref, err)
	}
	msgID := cref.MessageID

	// A photo right after: attached, and the card is patched to show it.
	h.clock.Add(time.Minute)
	h.post(h.event(msgEvent{openID: aliceOpenID, msgType: "image", content: map[string]string{"image_key": "img_v2_photo"}}), delivery{})
	h.runOutbox()
	patches := h.api.Calls("/open-apis/im/v1/messages/" + msgID)
	if len(patches) != 1 || patches[0].Method != http.MethodPatch {
		t.Fatalf("evidence patch = %+v", patches)
	}
	if text, _ := cardText(t, sentContent(t, patches[0])); !strings.Contains(text, "附件 1（飞书图片）") {
		t.Errorf("patched card lacks the evidence:\n%s", text)
	}

	// A colleague clicks: an error toast, the card stays, nothing changes.
	h.clock.Add(time.Minute)
	peer := h.mustClick(h.cardAction("ev-peer", peerOpenID, msgID, map[string]any{"action": ActionMakeupApprove, "id": value["id"]}))
	if peer.Toast.Type != "error" || !strings.Contains(peer.Toast.Content, "你不能审批") || peer.Card != nil {
		t.Errorf("colleague's answer = %+v", peer)
	}
	if len(h.punches()) != 0 || h.audits("makeup.approved") != 0 {
		t.Fatal("a colleague's click changed something")
	}

	// The manager approves; Feishu delivers the callback twice.
	h.clock.Add(time.Minute)
	click := h.cardAction("ev-approve", managerOpenID, msgID, map[string]any{"action": ActionMakeupApprove, "id": value["id"]})
	first := h.mustClick(click)
	again := h.mustClick(click)
	if first.Toast.Type != "success" || !strings.Contains(first.Toast.Content, "已同意 Alice 的补卡申请") || first.Card == nil || first.Card.Type != "raw" {
		t.Fatalf("approval answer = %+v", first)
	}
	if string(again.Card.Data) != string(first.Card.Data) || again.Toast != first.Toast {
		t.Errorf("the retried callback got a different answer:\n%+v\n%+v", first, again)
	}
	inline := decodeCard(t, first.Card.Data)
	text, buttons = cardText(t, inline)
	if len(buttons) != 0 || !strings.Contains(text, "✅ 已同意 · 王经理 · 11-25 09:01") || inline["config"].(map[string]any)["update_multi"] != true {
		t.Errorf("inline card: buttons %v\n%s", buttons, text)
	}
	h.runOutbox()
	patches = h.api.Calls("/open-apis/im/v1/messages/" + msgID)
	if len(patches) != 2 {
		t.Fatalf("%d patches, want 2", len(patches))
	}
	if text, buttons := cardText(t, sentContent(t, patches[1])); len(buttons) != 0 || !strings.Contains(text, "✅ 已同意 · 王经理") || !strings.Contains(text, "09:00 上班（补卡）") {
		t.Errorf("patched card: buttons %v\n%s", buttons, text)
	}
	var result *apiCall
	for _, c := range h.api.Calls("/open-apis/im/v1/messages") {
		if c.Body["receive_id"] == aliceOpenID && c.Body["msg_type"] == "text" {
			result = &c
		}
	}
	if result == nil || !strings.Contains(sentContent(t, *result)["text"].(string), "已被 王经理 同意") {
		t.Errorf("employee notification = %+v", result)
	}
	ps := h.punches()
	if len(ps) != 1 || ps[0].Source != core.SourceMakeup || ps[0].MakeupID != id || ps[0].ShiftDate != "2026-11-24" {
		t.Fatalf("punches = %+v", ps)
	}
	if n := h.audits("makeup.approved") + h.audits("makeup.rejected"); n != 1 {
		t.Errorf("%d decisions, want 1", n)
	}

	// A later reject click on the same card: told it is closed.
	late := h.mustClick(h.cardAction("ev-reject", managerOpenID, msgID, map[string]any{"action": ActionMakeupReject, "id": fmt.Sprint(id)}))
	if late.Toast.Type != "info" || !strings.Contains(late.Toast.Content, "已处理") || late.Card == nil {
		t.Errorf("late click = %+v", late)
	}
}

func TestMakeupCardActionsRefuseBadInput(t *testing.T) {
	h := MustMakeupHarness(t)
	for name, value := range map[string]map[string]any{
		"no id":  {"action": ActionMakeupApprove},
		"bad id": {"action": ActionMakeupApprove, "id": "twelve"},
	} {
		if rec := h.post(h.cardAction("ev-"+name, managerOpenID, "om_x", value), delivery{}); rec.Code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", name, rec.Code)
		}
	}
	if rec := h.post(h.cardAction("ev-other", managerOpenID, "om_x", map[string]any{"action": "something_else"}), delivery{}); rec.Code != http.StatusOK {
		t.Errorf("unknown action: status %d, want 200", rec.Code)
	}
	if r := h.mustClick(h.cardAction("ev-stranger", strangerOpen, "om_x", map[string]any{"action": ActionMakeupApprove, "id": "1"})); r.Toast.Type != "error" || r.Card != nil {
		t.Errorf("stranger's click = %+v", r)
	}
}

func TestReceiveIDType(t *testing.T) {
	for id, want := range map[string]string{"ou_1": "open_id", "on_1": "union_id", "oc_1": "chat_id", "a@b.c": "email", "u_bob": "user_id"} {
		if got := receiveIDType(id); got != want {
			t.Errorf("receiveIDType(%q) = %q, want %q", id, got, want)
		}
	}
}
