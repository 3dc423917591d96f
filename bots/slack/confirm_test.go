package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	punchslack "github.com/punchbot/punchbot/bots/slack"
	"github.com/punchbot/punchbot/core"
)

// mustConfirmEnv is MustEnv with the schedule asking to confirm a clock-out
// within 10 minutes of the clock-in and any early leave.
func mustConfirmEnv(t *testing.T) *env {
	t.Helper()
	e := MustEnv(t)
	org := core.Org{
		Name: "acme", TimeZone: "Asia/Shanghai",
		Sites: []core.OrgSite{{Site: core.Site{ID: "hq", Name: "HQ", Lat: 39.9087, Lng: 116.3975, RadiusM: 300}}},
		Schedules: []core.Schedule{{ID: "std", WorkDays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
			StartMin: 9 * 60, EndMin: 18 * 60, CheckInOpensMin: 120, CheckOutClosesMin: 360, ConfirmWithinMin: 10}},
		Employees: []core.Employee{
			{ID: "e1", Name: "Ann Lee", Lang: "en", TimeZone: "Asia/Shanghai", Active: true, ScheduleID: "std", SiteIDs: []string{"hq"},
				Identities: []core.Identity{{Platform: core.PlatformSlack, Tenant: "T1", UserID: "U1"}}},
			{ID: "e2", Name: "李雷", Lang: "zh", TimeZone: "Asia/Shanghai", Active: true, ScheduleID: "std", SiteIDs: []string{"hq"},
				Identities: []core.Identity{{Platform: core.PlatformSlack, Tenant: "T1", UserID: "U2"}}},
		},
	}
	if err := org.Prepare(); err != nil {
		t.Fatalf("org: %v", err)
	}
	if _, err := e.store.ApplyOrg(context.Background(), org, core.AuditEntry{At: e.clock.Now(), Actor: "test", Action: "org.applied"}); err != nil {
		t.Fatal(err)
	}
	return e
}

// punchThroughPage runs /punch text and completes it on the location page.
func (e *env) punchThroughPage(text string) map[string]any {
	e.t.Helper()
	status, ack, raw := e.slash("T1", "U1", text)
	if status != http.StatusOK {
		e.t.Fatalf("/punch %s = %d %s", text, status, raw)
	}
	blocks, _ := json.Marshal(ack["blocks"])
	_, res := e.punchAt(e.linkIn(string(blocks)), inside)
	return res
}

// confirmButtons returns the action_id → value of the confirmation
// buttons in a message's blocks.
func confirmButtons(t testing.TB, blocks string) map[string]string {
	t.Helper()
	var bs []map[string]any
	if err := json.Unmarshal([]byte(blocks), &bs); err != nil {
		t.Fatalf("blocks %s: %v", blocks, err)
	}
	out := map[string]string{}
	for _, b := range bs {
		if b["type"] != "actions" {
			continue
		}
		for _, el := range b["elements"].([]any) {
			m := el.(map[string]any)
			out[fmt.Sprint(m["action_id"])] = fmt.Sprint(m["value"])
		}
	}
	return out
}

func confirmClick(e *env, user, actionID, value, trigger string) string {
	return fmt.Sprintf(`{"type":"block_actions","user":{"id":%q,"username":"x","name":"x","team_id":"T1"},"api_app_id":"A1","token":"legacy","trigger_id":%q,
"team":{"id":"T1","domain":"acme"},"container":{"type":"message","message_ts":"1772412900.000300","channel_id":"C1","is_ephemeral":true},
"channel":{"id":"C1","name":"general"},"response_url":%q,"message":{"type":"message","text":"Confirm clock-out?"},
"actions":[{"action_id":%q,"block_id":"punch_confirmation","type":"button","text":{"type":"plain_text","text":"x"},"value":%q,"action_ts":"1772412901.000200"}],"state":{"values":{}}}`,
		user, trigger, e.hookURL, actionID, value)
}

func (e *env) clockOuts() []core.Punch {
	var out []core.Punch
	for _, p := range e.punches() {
		if p.Valid() && p.Kind == core.KindOut {
			out = append(out, p)
		}
	}
	return out
}

// askClockOut clocks Ann in at 08:55 and out at 09:15 through the page:
// the page's answer replaces the slash command's message with the question
// and two buttons for Ann.
func (e *env) askClockOut(t *testing.T) map[string]string {
	t.Helper()
	if res := e.punchThroughPage("in"); res["status"] != string(core.OutcomeAccepted) {
		t.Fatalf("clock-in = %v", res)
	}
	e.runOutbox()
	mark := len(e.hooks.Calls("response_url"))
	e.clock.Add(20 * time.Minute)
	res := e.punchThroughPage("out")
	if res["status"] != string(core.OutcomeConfirm) || !strings.Contains(fmt.Sprint(res["headline"]), "Confirm clock-out? It will count as leaving 8 h 45 min early") {
		t.Fatalf("page result = %v, want the question", res)
	}
	if n := len(e.clockOuts()); n != 0 {
		t.Fatalf("the question recorded %d clock-outs", n)
	}
	e.runOutbox()
	hooks := e.hooks.Calls("response_url")[mark:]
	if len(hooks) != 1 || hooks[0].JSON["replace_original"] != true || !strings.Contains(hooks[0].text(), "8 h 45 min early") {
		t.Fatalf("response_url calls = %+v, want the question replacing the message", hooks)
	}
	buttons := confirmButtons(t, hooks[0].blocks())
	if buttons[punchslack.ActionPunchConfirm] != "T1:U1" || buttons[punchslack.ActionPunchDecline] != "T1:U1" {
		t.Fatalf("buttons = %v, want confirm and decline for T1:U1", buttons)
	}
	return buttons
}

func TestConfirmClockOutOnSlack(t *testing.T) {
	e := mustConfirmEnv(t)
	e.askClockOut(t)
	mark := len(e.hooks.Calls("response_url"))

	// Someone else clicks: told ephemerally, nothing recorded, no core call.
	calls := e.coreCalls()
	resp := e.post("/slack/interactions", "application/x-www-form-urlencoded", interactionBody(confirmClick(e, "U2", punchslack.ActionPunchConfirm, "T1:U1", "7.7.a")))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || e.coreCalls() != calls || len(e.clockOuts()) != 0 {
		t.Fatalf("someone else's click: status %d, core calls %d→%d, clock-outs %d", resp.StatusCode, calls, e.coreCalls(), len(e.clockOuts()))
	}
	hooks := e.hooks.Calls("response_url")[mark:]
	if len(hooks) != 1 || hooks[0].JSON["replace_original"] == true || hooks[0].JSON["response_type"] != "ephemeral" || !strings.Contains(hooks[0].text(), "sent to someone else") {
		t.Fatalf("answer to someone else = %+v, want one ephemeral note that leaves the question", hooks)
	}

	// Ann confirms; Slack delivers the click twice.
	e.clock.Add(time.Minute)
	for range 2 {
		resp := e.post("/slack/interactions", "application/x-www-form-urlencoded", interactionBody(confirmClick(e, "U1", punchslack.ActionPunchConfirm, "T1:U1", "8.8.b")))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("confirm click = %d", resp.StatusCode)
		}
	}
	outs := e.clockOuts()
	if len(outs) != 1 || outs[0].EarlyMin != 525 {
		t.Fatalf("clock-outs = %+v, want one 525 minutes early", outs)
	}
	e.runOutbox()
	hooks = e.hooks.Calls("response_url")[mark+1:]
	if len(hooks) != 1 || hooks[0].JSON["replace_original"] != true || !strings.Contains(hooks[0].text(), "Clock-out recorded at 09:15 (8 h 45 min early)") {
		t.Fatalf("answer to the confirm = %+v, want the question replaced by the result", hooks)
	}
	if b := confirmButtons(t, hooks[0].blocks()); len(b) != 0 {
		t.Errorf("the answered message still has buttons %v", b)
	}
}

func TestDeclineOnSlack(t *testing.T) {
	e := mustConfirmEnv(t)
	e.askClockOut(t)
	mark := len(e.hooks.Calls("response_url"))
	resp := e.post("/slack/interactions", "application/x-www-form-urlencoded", interactionBody(confirmClick(e, "U1", punchslack.ActionPunchDecline, "T1:U1", "9.9.c")))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(e.clockOuts()) != 0 {
		t.Fatalf("decline: status %d, clock-outs %d", resp.StatusCode, len(e.clockOuts()))
	}
	e.runOutbox()
	if hooks := e.hooks.Calls("response_url")[mark:]; len(hooks) != 1 || !strings.Contains(hooks[0].text(), "Cancelled") {
		t.Errorf("answer to the decline = %+v", hooks)
	}
	// Typed "confirm" afterwards finds nothing waiting.
	status, ack, raw := e.slash("T1", "U1", "confirm")
	if status != http.StatusOK || !strings.Contains(raw, "Nothing is waiting for confirmation") {
		t.Errorf("/punch confirm after the decline = %d %v", status, ack)
	}
}
