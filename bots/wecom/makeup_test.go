package wecom

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// newMakeupEnv is newEnv with an organisation for make-ups: 张三 reports to
// 王经理, both on WeCom, with a colleague who may not approve, on a
// 09:00–18:00 weekday schedule and a policy of 3 a month. adjust changes
// the organisation before it is applied.
func newMakeupEnv(t testing.TB, adjust ...func(*core.Org)) *env {
	t.Helper()
	ctx := context.Background()
	clock := &testClock{t: start}
	store := coretest.NewMemStore()
	kv := coretest.NewMemKV(clock.Now)
	svc := core.NewService(store, kv, kv, core.DefaultConfig(), clock.Now)
	wecom := func(user string) []core.Identity {
		return []core.Identity{{Platform: core.PlatformWeCom, Tenant: testCorpID, UserID: user}}
	}
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	org := core.Org{
		Name:      "Test Co",
		TimeZone:  "Asia/Shanghai",
		Sites:     []core.OrgSite{{Site: core.Site{ID: "wangjing", Name: siteName, Lat: siteLat, Lng: siteLng, RadiusM: siteRadiusM}}},
		Schedules: []core.Schedule{{ID: "day", WorkDays: weekdays, StartMin: 9 * 60, EndMin: 18 * 60, CheckInOpensMin: 120, CheckOutClosesMin: 360, LateGraceMin: 5}},
		Employees: []core.Employee{
			{ID: "e1", Name: "张三", Lang: "zh", Active: true, ScheduleID: "day", SiteIDs: []string{"wangjing"}, ManagerID: "m1", Identities: wecom(testUser)},
			{ID: "m1", Name: "王经理", Lang: "zh", Role: core.RoleManager, Active: true, Identities: wecom("manager")},
			{ID: "p1", Name: "同事", Lang: "zh", Active: true, ManagerID: "m1", Identities: wecom("peer")},
		},
		Makeup: core.MakeupPolicy{MonthlyQuota: 3, DeadlineDays: 7, ExpireAfterHours: 72},
	}
	for _, f := range adjust {
		f(&org)
	}
	if err := org.Prepare(); err != nil {
		t.Fatalf("org.Prepare: %v", err)
	}
	if _, err := store.ApplyOrg(ctx, org, core.AuditEntry{At: start, Actor: "test", Action: "org.applied"}); err != nil {
		t.Fatalf("ApplyOrg: %v", err)
	}
	fake := newFakeWeCom(t, clock.Now)
	bot, err := New(Config{CorpID: testCorpID, AgentID: strconv.Itoa(testAgentID), Secret: testSecret, Token: testToken, EncodingAESKey: testAESKey, APIURL: fake.srv.URL},
		Deps{Core: svc, Sessions: kv, Now: clock.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), HTTPClient: fake.srv.Client()})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e := &env{t: t, clock: clock, store: store, kv: kv, svc: svc, bot: bot, fake: fake}
	e.mux = http.NewServeMux()
	bot.Register(e.mux)
	if e.enc, err = NewCrypto(testToken, testAESKey, testCorpID); err != nil {
		t.Fatal(err)
	}
	return e
}

func cardEventXML(from, key, taskID, code string, ct int64) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[%s]]></EventKey><TaskId><![CDATA[%s]]></TaskId><CardType><![CDATA[button_interaction]]></CardType><ResponseCode><![CDATA[%s]]></ResponseCode><AgentID>%d</AgentID></xml>",
		testCorpID, from, ct, key, taskID, code, testAgentID)
}

func imageXML(from, mediaID, msgID string, ct int64) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[https://wework.qpic.cn/x]]></PicUrl><MediaId><![CDATA[%s]]></MediaId><MsgId>%s</MsgId><AgentID>%d</AgentID></xml>",
		testCorpID, from, ct, mediaID, msgID, testAgentID)
}

// sent is one message/send or update_template_card body.
type sent struct {
	Path string
	Body map[string]any
}

// drain runs the outbox and returns what reached the fake since mark.
func (e *env) drain(mark int) ([]sent, int) {
	e.t.Helper()
	e.mustRun()
	calls := e.fake.Calls()
	var out []sent
	for _, c := range calls[mark:] {
		if c.Path == "/cgi-bin/gettoken" {
			continue
		}
		out = append(out, sent{Path: c.Path, Body: mustJSON(e.t, c.Body)})
	}
	return out, len(calls)
}

// textOf is a message's text; for a filed request's card (withdraw.go)
// the answer line it carries.
func textOf(s sent) string {
	if t, ok := s.Body["text"].(map[string]any); ok {
		return t["content"].(string)
	}
	if c, ok := s.Body["template_card"].(map[string]any); ok && c["task_id"] != nil && strings.HasPrefix(c["task_id"].(string), withdrawTaskPrefix) {
		return c["sub_title_text"].(string)
	}
	return ""
}

func findSent(out []sent, path, to string) []sent {
	var got []sent
	for _, s := range out {
		if s.Path == path && (s.Body["touser"] == to || fmt.Sprint(s.Body["userids"]) == "["+to+"]") {
			got = append(got, s)
		}
	}
	return got
}

func horizontal(card map[string]any) map[string]string {
	out := map[string]string{}
	for _, h := range card["horizontal_content_list"].([]any) {
		row := h.(map[string]any)
		out[row["keyname"].(string)] = fmt.Sprint(row["value"])
	}
	return out
}

func (e *env) makeupAudits(action string) int {
	n := 0
	for _, a := range e.store.Audit() {
		if a.Action == action {
			n++
		}
	}
	return n
}

func TestMakeupApprovalOnWeCom(t *testing.T) {
	e := newMakeupEnv(t)
	ct := e.unix(0)
	// Friday 27 February: no clock-in. The request, then a photo.
	e.post(textXML(testUser, "补卡 02-27 09:00 上班 地铁故障", "9001", ct))
	out, mark := e.drain(0)
	replies := findSent(out, "/cgi-bin/message/send", testUser)
	if len(replies) != 1 || !strings.HasPrefix(textOf(replies[0]), "📝 补卡申请 #") || !strings.Contains(textOf(replies[0]), "等待 王经理 审批（本月 1/3）") {
		t.Fatalf("requester's reply = %+v", replies)
	}
	cards := findSent(out, "/cgi-bin/message/send", "manager")
	if len(cards) != 1 || cards[0].Body["msgtype"] != "template_card" {
		t.Fatalf("approver's card = %+v", cards)
	}
	card := cards[0].Body["template_card"].(map[string]any)
	taskID := card["task_id"].(string)
	id, ok := parseTaskID(taskID)
	if card["card_type"] != CardButtonInteraction || !ok || card["sub_title_text"] != "原因：地铁故障" {
		t.Errorf("card = %v", card)
	}
	wantRows := map[string]string{"申请人": "张三", "日期": "2026-02-27（周五）", "补卡": "上班 09:00", "本月": "1/3", "当天打卡": "无打卡记录", "证明": "无"}
	if got := horizontal(card); fmt.Sprint(got) != fmt.Sprint(wantRows) {
		t.Errorf("card rows = %v, want %v", got, wantRows)
	}
	if title := card["main_title"].(map[string]any); title["title"] != fmt.Sprintf("补卡申请 #%d · 张三", id) || title["desc"] != "⏳ 待审批（审批人：王经理）" {
		t.Errorf("card title = %v", title)
	}
	// The 驳回 button cannot ask for a reason: the card says how to give one.
	if q, _ := card["quote_area"].(map[string]any); q == nil || q["quote_text"] != fmt.Sprintf("驳回并写明理由：发送「补卡 驳回 %d 理由」", id) {
		t.Errorf("quote area = %v, want the typed way to reject with a reason", card["quote_area"])
	}
	buttons := card["button_list"].([]any)
	if len(buttons) != 2 || buttons[0].(map[string]any)["key"] != KeyMakeupApprove || buttons[1].(map[string]any)["key"] != KeyMakeupReject {
		t.Errorf("buttons = %v", buttons)
	}

	e.clock.Advance(time.Minute)
	e.post(imageXML(testUser, "MEDIA_PHOTO_1", "9002", e.unix(0)))
	out, mark = e.drain(mark)
	if got := findSent(out, "/cgi-bin/message/send", testUser); len(got) != 1 || !strings.Contains(textOf(got[0]), "已附到补卡申请") {
		t.Errorf("evidence reply = %+v", got)
	}
	if got := findSent(out, "/cgi-bin/message/send", "manager"); len(got) != 1 || !strings.Contains(textOf(got[0]), "补充了证明") {
		t.Errorf("the approver is not told about the evidence: %+v", got)
	}

	// A colleague forges a click: refused, nothing changes.
	e.clock.Advance(time.Minute)
	e.post(cardEventXML("peer", KeyMakeupApprove, taskID, "PEER_CODE", e.unix(0)))
	out, mark = e.drain(mark)
	if got := findSent(out, "/cgi-bin/message/send", "peer"); len(got) != 1 || !strings.Contains(textOf(got[0]), "你不能审批") {
		t.Errorf("colleague's answer = %+v", got)
	}
	if len(findSent(out, "/cgi-bin/message/update_template_card", "manager")) != 0 || len(e.punches()) != 0 || e.makeupAudits("makeup.approved") != 0 {
		t.Fatalf("a forbidden click changed something")
	}

	// The manager approves; WeCom delivers the click twice.
	e.clock.Advance(time.Minute)
	click := cardEventXML("manager", KeyMakeupApprove, taskID, "CLICK_CODE_1", e.unix(0))
	e.post(click)
	e.post(click)
	out, mark = e.drain(mark)
	updates := findSent(out, "/cgi-bin/message/update_template_card", "manager")
	if len(updates) != 1 {
		t.Fatalf("%d card updates, want 1: %+v", len(updates), out)
	}
	u := updates[0].Body
	updated := u["template_card"].(map[string]any)
	if u["response_code"] != "CLICK_CODE_1" || updated["task_id"] != taskID || updated["replace_text"] != "已同意" {
		t.Errorf("update = %v", u)
	}
	if updated["quote_area"] != nil {
		t.Errorf("the decided card still says how to reject: %v", updated["quote_area"])
	}
	if desc := updated["main_title"].(map[string]any)["desc"]; desc != "✅ 已同意 · 王经理 · 03-02 09:03" {
		t.Errorf("updated status = %v", desc)
	}
	if rows := horizontal(updated); rows["证明"] != "附件 1（企业微信图片）" || !strings.Contains(rows["当天打卡"], "09:00 上班（补卡）") {
		t.Errorf("updated rows = %v", rows)
	}
	if got := findSent(out, "/cgi-bin/message/send", testUser); len(got) != 1 || !strings.HasPrefix(textOf(got[0]), "✅ 你的补卡申请 #") || !strings.Contains(textOf(got[0]), "已被 王经理 同意") {
		t.Errorf("employee notification = %+v", got)
	}
	ps := e.punches()
	if len(ps) != 1 || ps[0].Source != core.SourceMakeup || ps[0].MakeupID != id || ps[0].ShiftDate != "2026-02-27" || ps[0].Kind != core.KindIn {
		t.Fatalf("punches = %+v", ps)
	}

	// A second, separate click a moment later is answered, not decided.
	e.clock.Advance(time.Second)
	e.post(cardEventXML("manager", KeyMakeupReject, taskID, "CLICK_CODE_2", e.unix(0)))
	out, _ = e.drain(mark)
	if got := findSent(out, "/cgi-bin/message/send", "manager"); len(got) != 1 || !strings.Contains(textOf(got[0]), "已处理：✅ 已同意") {
		t.Errorf("late click answer = %+v", got)
	}
	if n := e.makeupAudits("makeup.approved") + e.makeupAudits("makeup.rejected"); n != 1 || len(e.punches()) != 1 {
		t.Errorf("%d decisions and %d punches, want 1 and 1", n, len(e.punches()))
	}
	var ref cardRef
	stored, err := e.svc.CardRef(context.Background(), id, core.PlatformWeCom, "manager")
	if err != nil || json.Unmarshal([]byte(stored.Ref), &ref) != nil || ref.ResponseCode != "" || ref.TaskID != taskID {
		t.Errorf("card reference after the update = %+v (%v); want the code spent", stored, err)
	}
}

func TestMakeupRejectAndCancelOnWeCom(t *testing.T) {
	e := newMakeupEnv(t)
	e.post(textXML(testUser, "补卡 02-26 18:00 下班 忘记打卡", "9101", e.unix(0)))
	e.post(textXML(testUser, "补卡 02-27 18:00 下班 忘记打卡", "9102", e.unix(0)))
	out, mark := e.drain(0)
	cards := findSent(out, "/cgi-bin/message/send", "manager")
	if len(cards) != 2 {
		t.Fatalf("%d cards, want 2", len(cards))
	}
	first, _ := parseTaskID(cards[0].Body["template_card"].(map[string]any)["task_id"].(string))

	// The manager rejects by message, with a reason; the card, never
	// clicked, is updated with the code from the send.
	e.post(textXML("manager", fmt.Sprintf("补卡 驳回 %d 那天在休假", first), "9103", e.unix(0)))
	out, mark = e.drain(mark)
	updates := findSent(out, "/cgi-bin/message/update_template_card", "manager")
	if len(updates) != 1 || !strings.HasPrefix(fmt.Sprint(updates[0].Body["response_code"]), "RESPONSE_CODE_") ||
		updates[0].Body["template_card"].(map[string]any)["replace_text"] != "已驳回" {
		t.Errorf("update = %+v", updates)
	}
	if got := findSent(out, "/cgi-bin/message/send", testUser); len(got) != 1 || !strings.HasSuffix(textOf(got[0]), "被 王经理 驳回：那天在休假") {
		t.Errorf("employee notification = %+v", got)
	}

	// The employee withdraws the other; its card says so.
	e.post(textXML(testUser, "补卡 取消", "9104", e.unix(0)))
	out, _ = e.drain(mark)
	updates = findSent(out, "/cgi-bin/message/update_template_card", "manager")
	if len(updates) != 1 || updates[0].Body["template_card"].(map[string]any)["replace_text"] != "已撤回" {
		t.Errorf("cancel update = %+v", updates)
	}
	if got := findSent(out, "/cgi-bin/message/send", testUser); len(got) != 1 || !strings.Contains(textOf(got[0]), "已撤回") {
		t.Errorf("cancel reply = %+v", got)
	}
	if len(e.punches()) != 0 {
		t.Errorf("punches after a rejection and a cancel: %+v", e.punches())
	}
}

func TestMakeupSyntaxOnWeCom(t *testing.T) {
	e := newMakeupEnv(t)
	for i, tc := range []struct{ text, want string }{
		{"补卡", "补卡需要写明日期、时间、上班还是下班，以及原因。"},
		{"补卡 02-27 上班 地铁", "时间看不懂"},
		{"补卡 同意 x", "请写上申请的编号"},
		// A decision word alone lists the pending requests; several
		// numbers are a batch (makeup_batch.go).
		{"补卡 同意", "✅ 你没有待审批的申请。"},
		{"同意 12 13", "批量同意：已处理 0 个，2 个未处理。\n❓ #12 没有这个申请\n❓ #13 没有这个申请"},
		{"makeup 2026-02-20 09:00 in late train", "已超过补卡期限（只能补 7 天内的卡）"},
		{"补卡 03-02 18:00 下班 提前", "不能为还没到的时间补卡"},
	} {
		e.post(textXML(testUser, tc.text, strconv.Itoa(9200+i), e.unix(0)))
		out, _ := e.drain(len(e.fake.Calls()))
		got := findSent(out, "/cgi-bin/message/send", testUser)
		if len(got) != 1 || !strings.Contains(textOf(got[0]), tc.want) {
			t.Errorf("%q answered %+v, want %q", tc.text, got, tc.want)
		}
	}
	if n := e.makeupAudits("makeup.requested"); n != 0 {
		t.Errorf("%d requests filed from bad input", n)
	}
}

func TestMakeupTaskID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		id   int64
		want bool
	}{
		{makeupTaskID(12, 34, 0), 12, true},
		{"makeup-7", 7, true},
		{"task-20240101-zhangsan", 0, false},
		{"makeup-x-1", 0, false},
		{"makeup--1", 0, false},
	} {
		id, ok := parseTaskID(tc.in)
		if id != tc.id || ok != tc.want {
			t.Errorf("parseTaskID(%q) = %d %v, want %d %v", tc.in, id, ok, tc.id, tc.want)
		}
	}
	if card := makeupCard(core.MakeupView{Request: core.MakeupRequest{ID: 1, Status: core.MakeupPending}}, "en", makeupTaskID(1, 2, 3)); card.Validate() != nil {
		t.Errorf("the approval card does not validate: %v", card.Validate())
	}
}

// TestMakeupHandedOverOnWeCom: 王经理 is deactivated while 张三's request
// waits for him; the next expiry round sends HR the approval card, and
// HR's click on it approves, while 王经理's old card no longer decides.
func TestMakeupHandedOverOnWeCom(t *testing.T) {
	hr := core.Employee{ID: "h1", Name: "赵HR", Lang: "zh", Role: core.RoleHR, Active: true,
		Identities: []core.Identity{{Platform: core.PlatformWeCom, Tenant: testCorpID, UserID: "hr"}}}
	var org core.Org
	e := newMakeupEnv(t, func(o *core.Org) { o.Employees = append(o.Employees, hr); org = *o })
	e.post(textXML(testUser, "补卡 02-27 09:00 上班 地铁故障", "9301", e.unix(0)))
	out, mark := e.drain(0)
	old := findSent(out, "/cgi-bin/message/send", "manager")
	if len(old) != 1 {
		t.Fatalf("the manager's card = %+v", old)
	}
	oldTask := old[0].Body["template_card"].(map[string]any)["task_id"].(string)
	org.Employees = slices.Clone(org.Employees)
	for i := range org.Employees {
		if org.Employees[i].ID == "m1" {
			org.Employees[i].Active = false
		}
	}
	if err := org.Prepare(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.ApplyOrg(context.Background(), org, core.AuditEntry{Action: "org.applied"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ExpireMakeups(context.Background()); err != nil {
		t.Fatal(err)
	}
	out, mark = e.drain(mark)
	cards := findSent(out, "/cgi-bin/message/send", "hr")
	if len(cards) != 1 || cards[0].Body["msgtype"] != "template_card" || len(findSent(out, "/cgi-bin/message/send", "manager")) != 0 {
		t.Fatalf("after the manager left: %+v, want one card for HR and nothing for him", out)
	}
	card := cards[0].Body["template_card"].(map[string]any)
	if desc := card["main_title"].(map[string]any)["desc"]; desc != "⏳ 待审批（审批人：赵HR）" {
		t.Errorf("HR's card says %v", desc)
	}
	e.clock.Advance(time.Minute)
	e.post(cardEventXML("manager", KeyMakeupApprove, oldTask, "OLD_CODE", e.unix(0)))
	out, mark = e.drain(mark)
	if got := findSent(out, "/cgi-bin/message/send", "manager"); len(got) != 1 || !strings.Contains(textOf(got[0]), "你的账号已停用") {
		t.Errorf("the departed manager's click = %+v", got)
	}
	e.post(cardEventXML("hr", KeyMakeupApprove, card["task_id"].(string), "HR_CODE", e.unix(0)))
	out, _ = e.drain(mark)
	if got := findSent(out, "/cgi-bin/message/send", testUser); len(got) != 1 || !strings.Contains(textOf(got[0]), "已被 赵HR 同意") {
		t.Errorf("the employee is told %+v", got)
	}
	if n := e.makeupAudits("makeup.reassigned"); n != 1 || len(e.punches()) != 1 {
		t.Errorf("%d handovers and %d punches, want 1 and 1", n, len(e.punches()))
	}
}
