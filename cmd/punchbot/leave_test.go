package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/bots/slack"
	"github.com/punchbot/punchbot/core"
)

// TestLeaveAcrossPlatforms runs the server with WeCom and Slack pointed at
// fakes: an employee on WeCom types 请假 for tomorrow, the leave card
// reaches their manager on Slack with the type, period, working time and
// balance, the manager approves with a click, the card changes in place,
// the employee is told on WeCom, and the console lists it approved.
func TestLeaveAcrossPlatforms(t *testing.T) {
	base, s, rec := startWeComAndSlack(t)
	ctx := context.Background()
	every := []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}
	org := core.Org{
		Name: "Acme", TimeZone: "Asia/Shanghai",
		Schedules:  []core.Schedule{{ID: "std", WorkDays: every, StartMin: 9 * 60, EndMin: 18 * 60, CheckInOpensMin: 120, CheckOutClosesMin: 360}},
		LeaveTypes: []core.LeaveType{{ID: "annual", Name: "年假", AnnualQuotaDays: 5, Paid: true}},
		Employees: []core.Employee{
			{ID: "E1", Name: "张三", Lang: "zh", Active: true, ManagerID: "M1", ScheduleID: "std",
				Identities: []core.Identity{{Platform: core.PlatformWeCom, Tenant: mkCorpID, UserID: "zhangsan"}}},
			{ID: "M1", Name: "Mia Manager", Lang: "en", Role: core.RoleManager, Active: true,
				Identities: []core.Identity{{Platform: core.PlatformSlack, Tenant: "T1", UserID: "UM"}}},
		},
	}
	if err := org.Prepare(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.store.ApplyOrg(ctx, org, core.AuditEntry{At: time.Now(), Actor: "test", Action: "org.applied"}); err != nil {
		t.Fatal(err)
	}
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	tomorrow := time.Now().In(shanghai).AddDate(0, 0, 1).Format(core.DateLayout)

	// 1. The employee writes to the WeCom application.
	now := time.Now().Unix()
	msg := fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[请假 %s 全天 年假 搬家]]></Content><MsgId>7101</MsgId><AgentID>%s</AgentID></xml>",
		mkCorpID, now, tomorrow, mkAgentID)
	postWeCom(t, base, msg, "4343")

	// 2. The card reaches the manager on Slack; the employee's reply on WeCom.
	var card map[string]any
	waitFor(t, "the leave card on Slack", func() bool {
		cards := rec.find("slack chat.postMessage", func(b map[string]any) bool { return b["channel"] == "UM" })
		if len(cards) > 0 {
			card = cards[0]
		}
		return card != nil
	})
	blocks := card["blocks"].(string)
	for _, want := range []string{"Leave request #", `Type\n年假`, `When\n` + tomorrow, "all day", `Working time\n1 day (9 h)`, `Balance\n1/5 days used`, "Reason: 搬家", `"action_id":"makeup_approve"`} {
		if !strings.Contains(blocks, want) {
			t.Errorf("Slack leave card lacks %s: %s", want, blocks)
		}
	}
	id := ""
	if i := strings.Index(blocks, `"action_id":"makeup_approve","value":"`); i >= 0 {
		rest := blocks[i+len(`"action_id":"makeup_approve","value":"`):]
		id = rest[:strings.Index(rest, `"`)]
	}
	if id == "" {
		t.Fatalf("no request id on the card: %s", blocks)
	}
	waitFor(t, "the requester's reply on WeCom", func() bool {
		return len(rec.find("wecom message/send", func(b map[string]any) bool {
			text := wecomText(b)
			return b["touser"] == "zhangsan" && strings.Contains(text, "请假申请 #"+id+" 已提交") && strings.Contains(text, "等待 Mia Manager 审批") && strings.Contains(text, "年假余额")
		})) == 1
	})

	// 3. The manager clicks Approve on Slack.
	payload := fmt.Sprintf(`{"type":"block_actions","user":{"id":"UM","team_id":"T1"},"team":{"id":"T1"},"trigger_id":"55.66.leave",
"container":{"type":"message","message_ts":"1772412900.000001","channel_id":"DUM"},"channel":{"id":"DUM"},"message":{"ts":"1772412900.000001","text":"Leave request"},
"actions":[{"action_id":"makeup_approve","block_id":"makeup_actions","type":"button","value":%q,"action_ts":"1772412901.000200"}]}`, id)
	form := url.Values{"payload": {payload}}.Encode()
	sts := strconv.FormatInt(time.Now().Unix(), 10)
	req, _ := http.NewRequest(http.MethodPost, base+"/slack/interactions", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", sts)
	req.Header.Set("X-Slack-Signature", slack.Sign(mkSigning, sts, []byte(form)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Slack click = %d", resp.StatusCode)
	}

	// 4. The Slack card changes in place; the employee is told on WeCom.
	waitFor(t, "the Slack card update", func() bool {
		return len(rec.find("slack chat.update", func(b map[string]any) bool {
			return b["channel"] == "DUM" && b["ts"] == "1772412900.000001" && strings.Contains(b["blocks"].(string), "Approved by Mia Manager") &&
				!strings.Contains(b["blocks"].(string), "makeup_approve")
		})) == 1
	})
	waitFor(t, "the employee's notification on WeCom", func() bool {
		return len(rec.find("wecom message/send", func(b map[string]any) bool {
			text := fmt.Sprint(b["text"])
			return b["touser"] == "zhangsan" && strings.Contains(text, "你的请假申请 #"+id+"（年假 "+tomorrow) && strings.Contains(text, "已被 Mia Manager 同意，这段时间无需打卡。")
		})) == 1
	})
	code, body := do(t, http.MethodGet, base+"/api/v1/makeups?status=approved", mkAdminTok, nil)
	if code != http.StatusOK || !strings.Contains(body, `"id":`+id) || !strings.Contains(body, `"decided_by":"M1"`) {
		t.Errorf("approved requests = %d %s", code, body)
	}
}
