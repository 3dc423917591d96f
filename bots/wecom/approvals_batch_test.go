package wecom

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// newApprovalsEnv is the make-up env with HR 韩 on WeCom; org is the
// organisation as applied, for re-applying it changed.
func newApprovalsEnv(t *testing.T) (*env, core.Org) {
	var org core.Org
	e := newMakeupEnv(t, func(o *core.Org) {
		o.Employees = append(o.Employees, core.Employee{ID: "h1", Name: "HR 韩", Lang: "zh", Role: core.RoleHR, Active: true,
			Identities: []core.Identity{{Platform: core.PlatformWeCom, Tenant: testCorpID, UserID: "hr"}}})
		org = *o
		org.Employees = slices.Clone(o.Employees)
	})
	return e, org
}

// requestIDs are the numbers in text after '#'.
func requestIDs(text string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`#(\d+)`).FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}

// say posts text from user and returns the one reply user got.
func (e *env) say(user, text string, seq int) string {
	e.t.Helper()
	e.clock.Advance(time.Second)
	mark := len(e.fake.Calls())
	e.post(textXML(user, text, fmt.Sprint(9500+seq), e.unix(0)))
	out, _ := e.drain(mark)
	got := findSent(out, "/cgi-bin/message/send", user)
	if len(got) != 1 {
		e.t.Fatalf("%q got %d replies: %+v", text, len(got), out)
	}
	return textOf(got[0])
}

// TestHandedOverCardOnWeCom: the handover edits the departed manager's
// card with update_template_card and the response_code on record: greyed
// buttons ("已转交") and the title naming HR; HR gets a live card; the
// manager's click on the old card decides nothing and says whom it went to.
func TestHandedOverCardOnWeCom(t *testing.T) {
	ctx := context.Background()
	e, org := newApprovalsEnv(t)
	mark := len(e.fake.Calls())
	e.post(textXML(testUser, "补卡 02-27 09:00 上班 地铁故障", "9401", e.unix(0)))
	out, mark := e.drain(mark)
	cards := findSent(out, "/cgi-bin/message/send", "manager")
	if len(cards) != 1 {
		t.Fatalf("manager's card = %+v", cards)
	}
	taskID := cards[0].Body["template_card"].(map[string]any)["task_id"].(string)
	id, _ := parseTaskID(taskID)
	ref, err := e.svc.CardRef(ctx, id, core.PlatformWeCom, "manager")
	if err != nil {
		t.Fatal(err)
	}
	code := regexp.MustCompile(`"response_code":"([^"]+)"`).FindStringSubmatch(ref.Ref)

	for i := range org.Employees {
		if org.Employees[i].ID == "m1" {
			org.Employees[i].Active = false
		}
	}
	if err := org.Prepare(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.ApplyOrg(ctx, org, core.AuditEntry{At: e.clock.Now(), Actor: "test", Action: "org.applied"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ExpireMakeups(ctx); err != nil {
		t.Fatal(err)
	}
	out, mark = e.drain(mark)
	updates := findSent(out, "/cgi-bin/message/update_template_card", "manager")
	if len(updates) != 1 || code == nil || updates[0].Body["response_code"] != code[1] {
		t.Fatalf("updates of the manager's card = %+v, want one with the code on record %v", updates, code)
	}
	card := updates[0].Body["template_card"].(map[string]any)
	if card["replace_text"] != "已转交" || card["task_id"] != taskID || card["quote_area"] != nil ||
		card["main_title"].(map[string]any)["desc"] != "↪️ 已转交给 HR 韩 审批，此卡片上的按钮已失效" {
		t.Errorf("retired card = %v", card)
	}
	if hr := findSent(out, "/cgi-bin/message/send", "hr"); len(hr) != 1 || hr[0].Body["template_card"].(map[string]any)["replace_text"] != nil {
		t.Errorf("HR's card = %+v, want one live card", hr)
	}

	e.clock.Advance(time.Minute)
	e.post(cardEventXML("manager", KeyMakeupApprove, taskID, "LATE_CODE", e.unix(0)))
	out, _ = e.drain(mark)
	want := fmt.Sprintf("你的账号已停用，审批未处理：补卡申请 #%d 已转交给 HR 韩 审批。", id)
	if got := findSent(out, "/cgi-bin/message/send", "manager"); len(got) != 1 || textOf(got[0]) != want {
		t.Errorf("the old card's click answered %+v, want %q", got, want)
	}
	if n := e.makeupAudits("makeup.approved"); n != 0 || len(e.punches()) != 0 {
		t.Errorf("the old card's click decided something: %d approvals", n)
	}
}

// TestBatchRejectionOnWeCom: "全部驳回" lists the requests and asks for
// the command with a reason; a batch rejection without one decides
// nothing; with one it rejects both, greys both cards and tells the
// employee each time with the reason.
func TestBatchRejectionOnWeCom(t *testing.T) {
	e, _ := newApprovalsEnv(t)
	e.say(testUser, "补卡 02-27 09:00 上班 地铁故障", 1)
	e.say(testUser, "补卡 02-27 18:00 下班 忘记打卡", 2)
	list := e.say("manager", "全部驳回", 3)
	ids := requestIDs(list)
	if len(ids) != 2 || !strings.Contains(list, "确认全部驳回这 2 个，请发送：「驳回 "+ids[0]+" "+ids[1]+" 理由」") {
		t.Fatalf("全部驳回 answered:\n%s", list)
	}
	if got := e.say("manager", "驳回 "+ids[0]+" "+ids[1], 4); !strings.HasPrefix(got, "❌ 批量驳回需要写明理由") {
		t.Errorf("a batch rejection without a reason answered %q", got)
	}
	if n := e.makeupAudits("makeup.rejected"); n != 0 {
		t.Fatalf("%d rejections before a reason was given", n)
	}
	mark := len(e.fake.Calls())
	e.clock.Advance(time.Second)
	e.post(textXML("manager", "驳回 #"+ids[0]+" #"+ids[1]+" 证明不足", "9599", e.unix(0)))
	out, _ := e.drain(mark)
	if got := findSent(out, "/cgi-bin/message/send", "manager"); len(got) != 1 || !strings.HasPrefix(textOf(got[0]), "批量驳回：已处理 2 个。") {
		t.Errorf("batch rejection answered %+v", got)
	}
	if updates := findSent(out, "/cgi-bin/message/update_template_card", "manager"); len(updates) != 2 {
		t.Errorf("%d card updates, want both cards", len(updates))
	} else {
		for _, u := range updates {
			if c := u.Body["template_card"].(map[string]any); c["replace_text"] != "已驳回" {
				t.Errorf("card after the batch = %v", c)
			}
		}
	}
	told := 0
	for _, s := range findSent(out, "/cgi-bin/message/send", testUser) {
		if strings.Contains(textOf(s), "被 王经理 驳回：证明不足") {
			told++
		}
	}
	if told != 2 || e.makeupAudits("makeup.rejected") != 2 {
		t.Errorf("employee told %d times, %d rejections audited; want 2 and 2", told, e.makeupAudits("makeup.rejected"))
	}
}

// TestBatchApproveCardOnWeCom: "全部同意" answers with a button card whose
// key carries exactly the listed numbers; a colleague's click on it (a
// forwarded card) decides nothing; the manager's approves both, greys the
// button out with the click's code and answers with each result.
func TestBatchApproveCardOnWeCom(t *testing.T) {
	e, _ := newApprovalsEnv(t)
	e.say(testUser, "补卡 02-27 09:00 上班 地铁故障", 1)
	e.say(testUser, "补卡 02-27 18:00 下班 忘记打卡", 2)
	mark := len(e.fake.Calls())
	e.clock.Advance(time.Second)
	e.post(textXML("manager", "全部同意", "9601", e.unix(0)))
	out, mark := e.drain(mark)
	cards := findSent(out, "/cgi-bin/message/send", "manager")
	if len(cards) != 1 || cards[0].Body["msgtype"] != "template_card" {
		t.Fatalf("全部同意 answered %+v, want one card", out)
	}
	card := cards[0].Body["template_card"].(map[string]any)
	button := card["button_list"].([]any)[0].(map[string]any)
	key, taskID := button["key"].(string), card["task_id"].(string)
	ids := strings.Split(strings.TrimPrefix(key, keyBatchPrefix), ",")
	if len(ids) != 2 || button["text"] != "确认同意这 2 个" || !strings.Contains(card["sub_title_text"].(string), "• #"+ids[0]+" 张三 · 补卡申请（2026-02-27 上班 09:00）") {
		t.Fatalf("batch card = %v", card)
	}
	e.clock.Advance(time.Second)
	e.post(cardEventXML("peer", key, taskID, "PEER_CODE", e.unix(0)))
	e.drain(mark)
	if n := e.makeupAudits("makeup.approved"); n != 0 {
		t.Fatalf("a colleague's click on the forwarded card decided %d", n)
	}
	mark = len(e.fake.Calls())
	e.clock.Advance(time.Second)
	e.post(cardEventXML("manager", key, taskID, "BATCH_CODE", e.unix(0)))
	out, _ = e.drain(mark)
	updates := findSent(out, "/cgi-bin/message/update_template_card", "manager")
	var greyed bool
	for _, u := range updates {
		if u.Body["response_code"] == "BATCH_CODE" && u.Body["button"].(map[string]any)["replace_name"] == "已处理" {
			greyed = true
		}
	}
	if !greyed {
		t.Errorf("the batch card was not greyed out: %+v", updates)
	}
	if got := findSent(out, "/cgi-bin/message/send", "manager"); len(got) != 1 || !strings.HasPrefix(textOf(got[0]), "批量同意：已处理 2 个。") {
		t.Errorf("batch click answered %+v", got)
	}
	if n := e.makeupAudits("makeup.approved"); n != 2 {
		t.Errorf("%d approvals, want 2", n)
	}
}
