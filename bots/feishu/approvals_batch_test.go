package feishu

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

const hrOpenID = "ou_hr"

// approvalsOrg is the make-up harness's organisation with HR 韩 on
// Feishu, the colleague on the standard schedule, and the manager active
// or not.
func approvalsOrg(managerActive bool) core.Org {
	feishu := func(id string) []core.Identity {
		return []core.Identity{{Platform: core.PlatformFeishu, Tenant: testTenant, UserID: id}}
	}
	org := core.Org{
		Name: "Acme", Lang: "zh", TimeZone: "Asia/Shanghai",
		Sites: []core.OrgSite{{Site: core.Site{ID: "wj", Name: "望京SOHO", Lat: office.lat, Lng: office.lng, RadiusM: 200}, Datum: core.WGS84}},
		Schedules: []core.Schedule{{ID: "std", Name: "Standard", WorkDays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
			StartMin: 9 * 60, EndMin: 18 * 60, CheckInOpensMin: 120, CheckOutClosesMin: 360, LateGraceMin: 5, OutOfRange: core.OutOfRangeReject}},
		Employees: []core.Employee{
			{ID: "E1", Name: "Alice", Lang: "zh", Active: true, ScheduleID: "std", SiteIDs: []string{"wj"}, ManagerID: "M1", Identities: feishu(aliceOpenID)},
			{ID: "M1", Name: "王经理", Lang: "zh", Role: core.RoleManager, Active: managerActive, Identities: feishu(managerOpenID)},
			{ID: "P1", Name: "同事", Lang: "zh", Active: true, ScheduleID: "std", SiteIDs: []string{"wj"}, ManagerID: "M1", Identities: feishu(peerOpenID)},
			{ID: "H1", Name: "HR 韩", Lang: "zh", Role: core.RoleHR, Active: true, Identities: feishu(hrOpenID)},
		},
		Makeup: core.MakeupPolicy{MonthlyQuota: 3, DeadlineDays: 7},
	}
	return org
}

func (h *harness) applyOrg(org core.Org) {
	h.tb.Helper()
	if err := org.Prepare(); err != nil {
		h.tb.Fatalf("org.Prepare: %v", err)
	}
	if _, err := h.store.ApplyOrg(context.Background(), org, core.AuditEntry{At: h.clock.Now(), Actor: "admin", Action: "org.applied"}); err != nil {
		h.tb.Fatalf("ApplyOrg: %v", err)
	}
}

// say sends text as openID and returns the text of the reply it got.
func (h *harness) say(openID, text string) string {
	h.tb.Helper()
	h.clock.Add(time.Second)
	before := len(h.api.Calls("/reply"))
	if rec := h.post(h.event(msgEvent{openID: openID, msgType: "text", content: textContent(text)}), delivery{}); rec.Code != http.StatusOK {
		h.tb.Fatalf("%q: status %d %s", text, rec.Code, rec.Body)
	}
	h.runOutbox()
	replies := h.api.Calls("/reply")
	if len(replies) != before+1 {
		h.tb.Fatalf("%q got %d replies, want 1", text, len(replies)-before)
	}
	return shownText(h.tb, replies[len(replies)-1])
}

// cardTo is the newest interactive card created for receiveID and its
// message id.
func (h *harness) cardTo(receiveID string) (map[string]any, string) {
	h.tb.Helper()
	var card map[string]any
	n := 0
	for _, c := range h.api.Calls("/open-apis/im/v1/messages") {
		if c.Body["receive_id"] == receiveID && c.Body["msg_type"] == "interactive" {
			card, n = sentContent(h.tb, c), n+1
		}
	}
	if card == nil {
		h.tb.Fatalf("no card went to %s", receiveID)
	}
	return card, fmt.Sprintf("om_new%d", n)
}

// requestOf is the id of employee's pending or latest request.
func (h *harness) requestOf(employee string) int64 {
	h.tb.Helper()
	ms, err := h.bot.core.(*core.Service).ListMakeups(context.Background(), core.MakeupFilter{EmployeeID: employee})
	if err != nil || len(ms) == 0 {
		h.tb.Fatalf("no request of %s: %v", employee, err)
	}
	return ms[len(ms)-1].ID
}

// cardMessage is the message id of the card of request id recipient holds.
func (h *harness) cardMessage(id int64, recipient string) string {
	h.tb.Helper()
	ref, err := h.bot.makeups.CardRef(context.Background(), id, core.PlatformFeishu, recipient)
	if err != nil {
		h.tb.Fatalf("card of request %d for %s not on record: %v", id, recipient, err)
	}
	return regexp.MustCompile(`om_[A-Za-z0-9_]+`).FindString(ref.Ref)
}

// TestHandedOverCardOnFeishu: the manager leaves; the handover PATCHes
// their card to a grey card without buttons naming HR, HR gets a live
// card, and a click the manager's client still sends on the old card
// decides nothing and says whom the request went to.
func TestHandedOverCardOnFeishu(t *testing.T) {
	h := MustHarness(t)
	h.applyOrg(approvalsOrg(true))
	h.say(aliceOpenID, "补卡 11-24 09:00 上班 地铁故障")
	id := h.requestOf("E1")
	n := fmt.Sprint(id)
	msgID := h.cardMessage(id, managerOpenID)
	h.applyOrg(approvalsOrg(false))
	if _, err := h.bot.core.(*core.Service).ExpireMakeups(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.runOutbox()
	patches := h.api.Calls("/open-apis/im/v1/messages/" + msgID)
	if len(patches) != 1 || patches[0].Method != http.MethodPatch {
		t.Fatalf("PATCHes of the manager's card %s = %+v, want one", msgID, patches)
	}
	retired := sentContent(t, patches[0])
	text, buttons := cardText(t, retired)
	if len(buttons) != 0 || !strings.Contains(text, "↪️ 已转交给 HR 韩 审批，此卡片上的按钮已失效") || !strings.Contains(text, "原因\n地铁故障") {
		t.Errorf("retired card: buttons %v\n%s", buttons, text)
	}
	if header := retired["header"].(map[string]any); header["template"] != "grey" || retired["config"].(map[string]any)["update_multi"] != true {
		t.Errorf("retired card header %v config %v, want grey with update_multi", header, retired["config"])
	}
	// Alice's own "submitted" card now names HR as the approver.
	if own := h.api.Calls("/open-apis/im/v1/messages/" + h.cardMessage(id, aliceOpenID)); len(own) != 1 {
		t.Errorf("Alice's card was patched %d times, want once", len(own))
	} else if text, _ := cardText(t, sentContent(t, own[0])); !strings.Contains(text, "HR 韩") {
		t.Errorf("Alice's card after the handover:\n%s", text)
	}
	hrCard, _ := h.cardTo(hrOpenID)
	if text, buttons := cardText(t, hrCard); len(buttons) != 2 || !strings.Contains(text, "⏳ 待审批（审批人：HR 韩）") {
		t.Errorf("HR's card: buttons %v\n%s", buttons, text)
	}

	late := h.mustClick(h.cardAction("ev-old-card", managerOpenID, msgID, map[string]any{"action": ActionMakeupApprove, "id": n}))
	if late.Toast.Type != "error" || late.Toast.Content != "你的账号已停用，审批未处理：补卡申请 #"+n+" 已转交给 HR 韩 审批。" || late.Card != nil {
		t.Errorf("click on the old card = %+v", late)
	}
	if n := h.audits("makeup.approved"); n != 0 || len(h.punches()) != 0 {
		t.Errorf("the old card's click decided something: %d approvals, %d punches", n, len(h.punches()))
	}
}

// TestBatchApprovalOnFeishu: "全部同意" lists the manager's pending
// requests and the exact command, deciding nothing; that command decides
// both, PATCHes both cards without buttons and tells both requesters; the
// decision word alone then says nothing is waiting.
func TestBatchApprovalOnFeishu(t *testing.T) {
	h := MustHarness(t)
	h.applyOrg(approvalsOrg(true))
	h.say(aliceOpenID, "补卡 11-24 09:00 上班 地铁故障")
	h.say(peerOpenID, "补卡 11-24 18:00 下班 忘记打卡")
	a, p := h.requestOf("E1"), h.requestOf("P1")
	ids := fmt.Sprintf("%d %d", a, p)
	cards := []string{h.cardMessage(a, managerOpenID), h.cardMessage(p, managerOpenID)}

	list := h.say(managerOpenID, "全部同意")
	for _, want := range []string{"⏳ 你有 2 个待审批的申请：", fmt.Sprintf("• #%d Alice · 补卡申请（2026-11-24 上班 09:00）", a), fmt.Sprintf("• #%d 同事 · 补卡申请（2026-11-24 下班 18:00）", p), "确认全部同意这 2 个，请发送：「同意 " + ids + "」", "还没有处理任何申请"} {
		if !strings.Contains(list, want) {
			t.Errorf("全部同意 answer lacks %q:\n%s", want, list)
		}
	}
	if n := h.audits("makeup.approved"); n != 0 {
		t.Fatalf("全部同意 decided %d requests, want none before the confirmation", n)
	}
	done := h.say(managerOpenID, "同意 "+ids)
	for _, want := range []string{"批量同意：已处理 2 个。", fmt.Sprintf("✅ #%d Alice · 补卡申请（2026-11-24 上班 09:00） 已同意", a), fmt.Sprintf("✅ #%d 同事", p), "申请人都会收到结果通知。"} {
		if !strings.Contains(done, want) {
			t.Errorf("batch answer lacks %q:\n%s", want, done)
		}
	}
	if n := h.audits("makeup.approved"); n != 2 {
		t.Errorf("%d approvals audited, want 2", n)
	}
	for _, msg := range cards {
		patches := h.api.Calls("/open-apis/im/v1/messages/" + msg)
		if len(patches) == 0 {
			t.Errorf("card %s was not updated", msg)
			continue
		}
		if text, buttons := cardText(t, sentContent(t, patches[len(patches)-1])); len(buttons) != 0 || !strings.Contains(text, "✅ 已同意 · 王经理") {
			t.Errorf("card %s after the batch: buttons %v\n%s", msg, buttons, text)
		}
	}
	for _, who := range []string{aliceOpenID, peerOpenID} {
		told := false
		for _, c := range h.api.Calls("/open-apis/im/v1/messages") {
			if c.Body["receive_id"] == who && c.Body["msg_type"] == "text" && strings.Contains(sentContent(t, c)["text"].(string), "已被 王经理 同意") {
				told = true
			}
		}
		if !told {
			t.Errorf("%s was not told of the approval", who)
		}
	}
	again := h.say(managerOpenID, "同意 "+ids)
	if !strings.Contains(again, "批量同意：已处理 0 个，2 个未处理。") || !strings.Contains(again, fmt.Sprintf("⚠️ #%d Alice · 补卡申请（2026-11-24 上班 09:00） 已被 王经理 同意，未更改", a)) {
		t.Errorf("the same batch again:\n%s", again)
	}
	if lone := h.say(managerOpenID, "同意"); lone != "✅ 你没有待审批的申请。" {
		t.Errorf("同意 alone with nothing pending = %q", lone)
	}
}

// TestBatchConfirmButtonOnFeishu: "全部驳回 理由" answers with a card
// whose one button carries exactly the listed numbers and the reason;
// the click rejects both and replaces the card with the results, without
// the button; a second click decides nothing more.
func TestBatchConfirmButtonOnFeishu(t *testing.T) {
	h := MustHarness(t)
	h.applyOrg(approvalsOrg(true))
	h.say(aliceOpenID, "补卡 11-24 09:00 上班 地铁故障")
	h.say(peerOpenID, "补卡 11-24 18:00 下班 忘记打卡")
	a, p := h.requestOf("E1"), h.requestOf("P1")
	h.say(managerOpenID, "全部驳回 请补充证明")
	replies := h.api.Calls("/reply")
	card := sentContent(t, replies[len(replies)-1])
	text, buttons := cardText(t, card)
	if len(buttons) != 1 || !strings.Contains(text, "确认全部驳回这 2 个") {
		t.Fatalf("全部驳回 card: buttons %v\n%s", buttons, text)
	}
	value := buttons[0]["value"].(map[string]any)
	if value["action"] != ActionMakeupBatch || value["ids"] != fmt.Sprintf("%d,%d", a, p) || value["decision"] != "rejected" || value["note"] != "请补充证明" ||
		buttons[0]["text"].(map[string]any)["content"] != "确认驳回这 2 个" {
		t.Fatalf("confirmation button = %v", buttons[0])
	}
	if n := h.audits("makeup.rejected"); n != 0 {
		t.Fatalf("the listing decided %d", n)
	}
	h.clock.Add(time.Minute)
	click := h.mustClick(h.cardAction("ev-batch", managerOpenID, "om_list", value))
	if click.Toast.Type != "success" || click.Toast.Content != "批量驳回：已处理 2 个。" || click.Card == nil {
		t.Fatalf("batch click answer = %+v", click)
	}
	if text, buttons := cardText(t, decodeCard(t, click.Card.Data)); len(buttons) != 0 || !strings.Contains(text, fmt.Sprintf("✅ #%d Alice · 补卡申请（2026-11-24 上班 09:00） 已驳回", a)) {
		t.Errorf("card after the click: buttons %v\n%s", buttons, text)
	}
	if n := h.audits("makeup.rejected"); n != 2 {
		t.Errorf("%d rejections audited, want 2", n)
	}
	h.runOutbox()
	for _, who := range []string{aliceOpenID, peerOpenID} {
		told := false
		for _, c := range h.api.Calls("/open-apis/im/v1/messages") {
			if c.Body["receive_id"] == who && c.Body["msg_type"] == "text" && strings.Contains(sentContent(t, c)["text"].(string), "被 王经理 驳回：请补充证明") {
				told = true
			}
		}
		if !told {
			t.Errorf("%s was not told the reason", who)
		}
	}
	again := h.mustClick(h.cardAction("ev-batch-2", managerOpenID, "om_list", value))
	if again.Toast.Type != "info" || again.Toast.Content != "批量驳回：已处理 0 个，2 个未处理。" || h.audits("makeup.rejected") != 2 {
		t.Errorf("second click = %+v", again)
	}
	// Numbers the button cannot carry are the callback's fault.
	if rec := h.post(h.cardAction("ev-batch-bad", managerOpenID, "om_list", map[string]any{"action": ActionMakeupBatch, "decision": "approved", "ids": "1,x"}), delivery{}); rec.Code != http.StatusBadRequest {
		t.Errorf("bad numbers: status %d, want 400", rec.Code)
	}
}
