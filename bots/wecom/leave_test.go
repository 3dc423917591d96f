package wecom

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestLeaveOnWeCom: 张三 types a half-day sick leave; the answer names the
// period and the working time; 王经理's card is a 请假审批 card with the
// type, period and reason; his typed "驳回 N 理由" rejects it and 张三
// is told the reason.
func TestLeaveOnWeCom(t *testing.T) {
	e := newMakeupEnv(t)
	e.post(textXML(testUser, "请假 03-03 上午 病假 看医生", "9101", e.unix(0)))
	out, mark := e.drain(0)
	replies := findSent(out, "/cgi-bin/message/send", testUser)
	if len(replies) != 1 || !strings.HasPrefix(textOf(replies[0]), "📝 请假申请 #") || !strings.Contains(textOf(replies[0]), "（病假 2026-03-03（周二） 至 12:00），等待 王经理 审批。时长 0.5 天（3 小时）。") {
		t.Fatalf("requester's reply = %+v", replies)
	}
	cards := findSent(out, "/cgi-bin/message/send", "manager")
	if len(cards) != 1 || cards[0].Body["msgtype"] != "template_card" {
		t.Fatalf("approver's card = %+v", cards)
	}
	card := cards[0].Body["template_card"].(map[string]any)
	id, ok := parseTaskID(card["task_id"].(string))
	if !ok || card["source"].(map[string]any)["desc"] != "请假审批" || card["sub_title_text"] != "事由：看医生" {
		t.Errorf("card = %v", card)
	}
	if title := card["main_title"].(map[string]any); title["title"] != fmt.Sprintf("请假申请 #%d · 张三", id) || title["desc"] != "⏳ 待审批（审批人：王经理）" {
		t.Errorf("card title = %v", title)
	}
	wantRows := map[string]string{"申请人": "张三", "类型": "病假", "时间": "2026-03-03（周二） 至 12:00", "时长": "0.5 天（3 小时）"}
	if got := horizontal(card); fmt.Sprint(got) != fmt.Sprint(wantRows) {
		t.Errorf("card rows = %v, want %v", got, wantRows)
	}

	e.clock.Advance(time.Minute)
	e.post(textXML("manager", fmt.Sprintf("驳回 %d 那天要开会", id), "9102", e.unix(0)))
	out, _ = e.drain(mark)
	if got := findSent(out, "/cgi-bin/message/send", testUser); len(got) != 1 || textOf(got[0]) != fmt.Sprintf("❌ 你的请假申请 #%d（病假 2026-03-03（周二） 至 12:00）被 王经理 驳回：那天要开会", id) {
		t.Errorf("employee notification = %+v", got)
	}
	if e.makeupAudits("leave.rejected") != 1 {
		t.Errorf("leave.rejected audits = %d", e.makeupAudits("leave.rejected"))
	}
}

// TestFieldPunchOnWeCom: under out_of_range: field a location outside the
// site is answered in yellow as waiting for approval; 王经理's card is a
// 外勤打卡审批 card with the distance to the site and a map row; approving
// it writes the counting field punch and tells 张三.
func TestFieldPunchOnWeCom(t *testing.T) {
	e := newMakeupEnv(t, func(o *core.Org) { o.Schedules[0].OutOfRange = core.OutOfRangeField })
	// The answer is the callback's passive reply.
	reply := mustOpenPassive(t, e.enc, e.deliver(e.seal(locationXML(testUser, siteLat+0.02, siteLng, "客户公司", "9201", e.unix(0))))).Msg.Content
	if !strings.HasPrefix(reply, "🟡 外勤上班打卡已提交 #") || !strings.Contains(reply, "等待 王经理 审批；审批通过前不计入考勤。") {
		t.Fatalf("requester's reply = %q", reply)
	}
	out, mark := e.drain(0)
	cards := findSent(out, "/cgi-bin/message/send", "manager")
	if len(cards) != 1 {
		t.Fatalf("approver's card = %+v", out)
	}
	card := cards[0].Body["template_card"].(map[string]any)
	id, _ := parseTaskID(card["task_id"].(string))
	if card["source"].(map[string]any)["desc"] != "外勤打卡审批" || card["main_title"].(map[string]any)["title"] != fmt.Sprintf("外勤打卡审批 #%d · 张三", id) {
		t.Errorf("card = %v", card)
	}
	rows := horizontal(card)
	if !strings.HasPrefix(rows["位置"], "距 "+siteName+" ") || rows["地点"] != "客户公司" || rows["地图"] != "在地图上查看位置" {
		t.Errorf("card rows = %v", rows)
	}
	var mapURL string
	for _, h := range card["horizontal_content_list"].([]any) {
		if row := h.(map[string]any); row["keyname"] == "地图" && row["type"] == float64(1) {
			mapURL, _ = row["url"].(string)
		}
	}
	if !strings.HasPrefix(mapURL, "https://www.openstreetmap.org/?mlat=") {
		t.Errorf("map row url = %q", mapURL)
	}
	for _, p := range e.punches() {
		if p.Valid() {
			t.Fatalf("a pending field punch counts: %+v", p)
		}
	}

	e.clock.Advance(time.Minute)
	e.post(cardEventXML("manager", KeyMakeupApprove, card["task_id"].(string), "FIELD_CODE", e.unix(0)))
	out, _ = e.drain(mark)
	if got := findSent(out, "/cgi-bin/message/send", testUser); len(got) != 1 || !strings.Contains(textOf(got[0]), "已被 王经理 同意，这次打卡按外勤计入考勤。") {
		t.Errorf("employee notification = %+v", got)
	}
	if ups := findSent(out, "/cgi-bin/message/update_template_card", "manager"); len(ups) != 1 || ups[0].Body["template_card"].(map[string]any)["replace_text"] != "已同意" {
		t.Errorf("card update = %+v", ups)
	}
	counted := 0
	for _, p := range e.punches() {
		if p.Valid() && p.Outcome == core.OutcomeField {
			counted++
		}
	}
	if counted != 1 {
		t.Errorf("%d counting field punches, want 1", counted)
	}
}
