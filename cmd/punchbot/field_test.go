package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/bots/slack"
	"github.com/punchbot/punchbot/core"
)

// TestFieldPunchAcrossPlatforms runs the server with WeCom and Slack
// pointed at fakes: an employee on WeCom shares a location outside every
// site under out_of_range: field; the field card (distance, site, map
// link) reaches the manager on Slack; the manager rejects it with a reason
// typed in a DM; the employee is told the reason on WeCom and nothing
// counts.
func TestFieldPunchAcrossPlatforms(t *testing.T) {
	base, s, rec := startWeComAndSlack(t)
	ctx := context.Background()
	every := []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}
	org := core.Org{
		Name: "Acme", TimeZone: "Asia/Shanghai",
		Sites: []core.OrgSite{{Site: core.Site{ID: "wj", Name: "望京SOHO", Lat: 39.99636, Lng: 116.48043, RadiusM: 300}, Datum: core.WGS84}},
		// The whole day is one shift, so the punch counts whenever the test runs.
		Schedules: []core.Schedule{{ID: "all", WorkDays: every, StartMin: 0, EndMin: 24*60 - 1, OutOfRange: core.OutOfRangeField}},
		Employees: []core.Employee{
			{ID: "E1", Name: "张三", Lang: "zh", Active: true, ManagerID: "M1", ScheduleID: "all", SiteIDs: []string{"wj"},
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

	// 1. The employee shares a location 2 km north of the site.
	now := time.Now().Unix()
	msg := fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[location]]></MsgType><Location_X>40.017500</Location_X><Location_Y>116.486500</Location_Y><Scale>15</Scale><Label><![CDATA[客户公司]]></Label><MsgId>7201</MsgId><AgentID>%s</AgentID></xml>",
		mkCorpID, now, mkAgentID)
	postWeCom(t, base, msg, "4444")

	// 2. The field card reaches the manager on Slack.
	var card map[string]any
	waitFor(t, "the field card on Slack", func() bool {
		cards := rec.find("slack chat.postMessage", func(b map[string]any) bool { return b["channel"] == "UM" })
		if len(cards) > 0 {
			card = cards[0]
		}
		return card != nil
	})
	blocks := card["blocks"].(string)
	for _, want := range []string{"Field punch #", " from 望京SOHO (allowed 300 m)", `Place\n客户公司`, "https://www.openstreetmap.org/?mlat=", "Waiting for Mia Manager", `"action_id":"makeup_reject"`} {
		if !strings.Contains(blocks, want) {
			t.Errorf("Slack field card lacks %s: %s", want, blocks)
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

	// 3. The manager rejects it with a reason, typed in the DM.
	event := fmt.Sprintf(`{"token":"legacy","team_id":"T1","api_app_id":"A1","type":"event_callback","event_id":"EvFieldReject","event_time":%d,
"event":{"type":"message","channel":"DUM","channel_type":"im","user":"UM","text":"reject %s not at the client","ts":"%d.000100","event_ts":"%d.000100"}}`, now, id, now, now)
	sts := strconv.FormatInt(time.Now().Unix(), 10)
	req, _ := http.NewRequest(http.MethodPost, base+"/slack/events", strings.NewReader(event))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Slack-Request-Timestamp", sts)
	req.Header.Set("X-Slack-Signature", slack.Sign(mkSigning, sts, []byte(event)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Slack event = %d", resp.StatusCode)
	}

	// 4. The card changes in place; the employee is told the reason on WeCom.
	waitFor(t, "the Slack card update", func() bool {
		return len(rec.find("slack chat.update", func(b map[string]any) bool {
			return strings.Contains(b["blocks"].(string), "Rejected by Mia Manager") && strings.Contains(b["blocks"].(string), "Reason: not at the client")
		})) == 1
	})
	waitFor(t, "the employee's notification on WeCom", func() bool {
		return len(rec.find("wecom message/send", func(b map[string]any) bool {
			text := fmt.Sprint(b["text"])
			return b["touser"] == "zhangsan" && strings.Contains(text, "你的外勤打卡 #"+id) && strings.Contains(text, "被 Mia Manager 驳回，这次打卡不计入考勤：not at the client")
		})) == 1
	})
	code, body := do(t, http.MethodGet, base+"/api/v1/makeups?status=rejected", mkAdminTok, nil)
	if code != http.StatusOK || !strings.Contains(body, `"id":`+id) {
		t.Errorf("rejected requests = %d %s", code, body)
	}
}
