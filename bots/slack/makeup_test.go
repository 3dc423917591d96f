package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"

	punchslack "github.com/punchbot/punchbot/bots/slack"
	"github.com/punchbot/punchbot/bots/web"
	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// MustMakeupEnv is MustEnv for make-ups: Ann (U1) reports to Mia (UM),
// Rita (U3) is a colleague, all on Slack, with a policy of 3 a month and
// 7 days back. The service is handed to the bot as its Makeups too.
// adjust changes the organisation before it is applied.
func MustMakeupEnv(t *testing.T, adjust ...func(*core.Org)) *env {
	t.Helper()
	sh, _ := time.LoadLocation("Asia/Shanghai")
	e := &env{t: t, clock: &clock{t: time.Date(2026, 3, 2, 8, 55, 0, 0, sh)}, slack: &recorder{}, hooks: &recorder{}}
	e.store, e.kv = coretest.NewMemStore(), coretest.NewMemKV(e.clock.Now)
	slackID := func(user string) []core.Identity {
		return []core.Identity{{Platform: core.PlatformSlack, Tenant: "T1", UserID: user}}
	}
	org := core.Org{
		Name: "acme", TimeZone: "Asia/Shanghai",
		Sites: []core.OrgSite{{Site: core.Site{ID: "hq", Name: "HQ", Lat: 39.9087, Lng: 116.3975, RadiusM: 300}}},
		Schedules: []core.Schedule{{ID: "std", WorkDays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
			StartMin: 9 * 60, EndMin: 18 * 60, CheckInOpensMin: 120, CheckOutClosesMin: 360}},
		Employees: []core.Employee{
			{ID: "e1", Name: "Ann Lee", Lang: "en", Active: true, ScheduleID: "std", SiteIDs: []string{"hq"}, ManagerID: "m1", Identities: slackID("U1")},
			{ID: "m1", Name: "Mia Manager", Lang: "en", Role: core.RoleManager, Active: true, Identities: slackID("UM")},
			{ID: "e3", Name: "Rita Remote", Lang: "en", Active: true, ScheduleID: "std", ManagerID: "m1", Identities: slackID("U3")},
		},
		Makeup: core.MakeupPolicy{MonthlyQuota: 3, DeadlineDays: 7},
	}
	for _, f := range adjust {
		f(&org)
	}
	if err := org.Prepare(); err != nil {
		t.Fatalf("org: %v", err)
	}
	if _, err := e.store.ApplyOrg(context.Background(), org, core.AuditEntry{At: e.clock.Now(), Actor: "test", Action: "org.applied"}); err != nil {
		t.Fatal(err)
	}
	svc := core.NewService(e.store, e.kv, e.kv, core.DefaultConfig(), e.clock.Now)
	counted := coreFunc(func(ctx context.Context, cmd core.Command) (core.Reply, error) {
		e.callsMu.Lock()
		e.calls++
		e.callsMu.Unlock()
		return svc.Handle(ctx, cmd)
	})
	fake := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", e.slack.formHandler("chat.postMessage"))
		c.Handle("/chat.postEphemeral", e.slack.formHandler("chat.postEphemeral"))
		c.Handle("/chat.update", e.slack.formHandler("chat.update"))
		c.Handle("/views.open", e.slack.jsonHandler("views.open"))
		c.Handle("/views.update", e.slack.jsonHandler("views.update")) // withdraw_test.go
	})
	fake.Start()
	t.Cleanup(fake.Stop)
	hooks := httptest.NewServer(e.hooks.jsonHandler("response_url"))
	t.Cleanup(hooks.Close)
	e.hookURL = hooks.URL + "/actions/T1/1/abc"
	e.app = httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(e.app.Close)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pages, err := web.New(web.Config{Secret: []byte("0123456789abcdef0123456789abcdef"), PublicURL: e.app.URL}, web.Deps{Core: counted, Now: e.clock.Now, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	e.bot, err = punchslack.New(punchslack.Config{SigningSecret: signingSecret, BotToken: "xoxb-test", APIURL: fake.GetAPIURL()},
		punchslack.Deps{Core: counted, Makeups: svc, Links: pages, Now: e.clock.Now, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	e.bot.Register(mux)
	pages.Register(mux)
	e.app.Config.Handler = mux
	e.worker = &core.OutboxWorker{Store: e.store, Senders: map[core.Platform]core.Sender{core.PlatformSlack: e.bot}, Now: e.clock.Now, Log: log}
	return e
}

// cardClick is a block_actions payload for a button of the approval card.
func cardClick(e *env, user, actionID, id, trigger, channel, ts string) string {
	return fmt.Sprintf(`{"type":"block_actions","user":{"id":%q,"username":"x","name":"x","team_id":"T1"},"api_app_id":"A1","token":"legacy","trigger_id":%q,
"team":{"id":"T1","domain":"acme"},"container":{"type":"message","message_ts":%q,"channel_id":%q,"is_ephemeral":false},
"channel":{"id":%q,"name":"directmessage"},"response_url":%q,"message":{"type":"message","ts":%q,"text":"Make-up request #%s · Ann Lee"},
"actions":[{"action_id":%q,"block_id":"makeup_actions","type":"button","text":{"type":"plain_text","text":"x"},"value":%q,"action_ts":"1772412901.000200"}],"state":{"values":{}}}`,
		user, trigger, ts, channel, channel, e.hookURL, ts, id, actionID, id)
}

func viewSubmission(user, viewID, callbackID, metadata string, values map[string]map[string]any) string {
	v, _ := json.Marshal(map[string]any{
		"type": "view_submission", "team": map[string]any{"id": "T1", "domain": "acme"}, "user": map[string]any{"id": user, "team_id": "T1"},
		"api_app_id": "A1", "trigger_id": "9.9." + viewID,
		"view": map[string]any{"id": viewID, "type": "modal", "callback_id": callbackID, "private_metadata": metadata, "state": map[string]any{"values": values}},
	})
	return string(v)
}

// unescaped undoes encoding/json's HTML escaping of <, > and &.
func unescaped(s string) string {
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(s)
}

func (e *env) interact(payload string) (int, string) {
	e.t.Helper()
	resp := e.post("/slack/interactions", "application/x-www-form-urlencoded", interactionBody(payload))
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

func (e *env) audits(action string) int {
	n := 0
	for _, a := range e.store.Audit() {
		if a.Action == action {
			n++
		}
	}
	return n
}

// mustCard files a request for Ann by slash command and returns the card
// the manager got: its channel, ts and request id.
func (e *env) mustCard() (channel, ts, id string) {
	e.t.Helper()
	status, ack, raw := e.slash("T1", "U1", "makeup 2026-02-27 09:00 in subway outage")
	if status != http.StatusOK || ack["response_type"] != "ephemeral" || !strings.Contains(raw, "waiting for Mia Manager (this month: 1/3)") {
		e.t.Fatalf("slash answer = %d %s", status, raw)
	}
	e.runOutbox()
	posts := e.slack.Calls("chat.postMessage")
	if len(posts) != 1 || posts[0].Form.Get("channel") != "UM" {
		e.t.Fatalf("card posts = %+v", posts)
	}
	blocks := posts[0].blocks()
	for _, want := range []string{`"Employee\nAnn Lee"`, `"Date\n2026-02-27 (Fri)"`, `"Punch\nClock-in 09:00"`, `"This month\n1/3"`, `Reason: subway outage`, `Punches that day: no punches`, `⏳ Waiting for Mia Manager`, `"action_id":"makeup_approve"`, `"action_id":"makeup_reject"`} {
		if !strings.Contains(blocks, want) {
			e.t.Errorf("card blocks lack %s:\n%s", want, blocks)
		}
	}
	var parsed []map[string]any
	_ = json.Unmarshal([]byte(blocks), &parsed)
	for _, b := range parsed {
		if b["type"] == "actions" {
			id = b["elements"].([]any)[0].(map[string]any)["value"].(string)
		}
	}
	// The fake answers with the channel it was given and its first ts.
	return "UM", "1772412900.000001", id
}

func TestMakeupApprovalOnSlack(t *testing.T) {
	e := MustMakeupEnv(t)
	channel, ts, id := e.mustCard()
	if id == "" {
		t.Fatal("no request id on the buttons")
	}

	// Evidence: a file shared in the DM right after.
	fileShare := (`{"type":"message","subtype":"file_share","channel":"D1","user":"U1","text":"","ts":"1772412960.000100","event_ts":"1772412960.000100","channel_type":"im","files":[{"id":"F1","name":"ticket.png","permalink":"https://acme.slack.com/files/U1/F1/ticket.png"}]}`)
	resp := e.post("/slack/events", "application/json", eventBody("T1", "EvFile", fileShare))
	resp.Body.Close()
	e.runOutbox()
	updates := e.slack.Calls("chat.update")
	if len(updates) != 1 || updates[0].Form.Get("channel") != channel || updates[0].Form.Get("ts") != ts ||
		!strings.Contains(unescaped(updates[0].blocks()), "<https://acme.slack.com/files/U1/F1/ticket.png|File 1>") || !strings.Contains(updates[0].blocks(), "makeup_approve") {
		t.Fatalf("evidence update = %+v", updates)
	}

	// Rita clicks Approve: refused ephemerally, nothing changes.
	if code, _ := e.interact(cardClick(e, "U3", punchslack.ActionMakeupApprove, id, "7.1.a", channel, ts)); code != http.StatusOK {
		t.Fatalf("colleague's click = %d", code)
	}
	e.runOutbox()
	hooks := e.hooks.Calls("response_url")
	if len(hooks) != 1 || !strings.Contains(hooks[0].text(), "You cannot approve this make-up request") || hooks[0].JSON["response_type"] != "ephemeral" {
		t.Errorf("colleague's answer = %+v", hooks)
	}
	if len(e.slack.Calls("chat.update")) != 1 || len(e.punches()) != 0 || e.audits("makeup.approved") != 0 {
		t.Fatal("a colleague's click changed something")
	}

	// Mia approves; the click arrives twice.
	e.clock.Add(time.Minute)
	for range 2 {
		if code, _ := e.interact(cardClick(e, "UM", punchslack.ActionMakeupApprove, id, "7.2.b", channel, ts)); code != http.StatusOK {
			t.Fatalf("approve click = %d", code)
		}
	}
	e.runOutbox()
	updates = e.slack.Calls("chat.update")
	if len(updates) != 2 {
		t.Fatalf("%d chat.update calls, want 2", len(updates))
	}
	final := updates[1]
	if final.Form.Get("channel") != channel || final.Form.Get("ts") != ts || strings.Contains(final.blocks(), "makeup_approve") ||
		!strings.Contains(final.blocks(), "✅ Approved by Mia Manager · 03-02 08:56") || !strings.Contains(final.blocks(), "09:00 Clock-in (make-up)") {
		t.Errorf("updated card = %s / %s", final.Form.Get("text"), final.blocks())
	}
	var notified bool
	for _, p := range e.slack.Calls("chat.postMessage") {
		if p.Form.Get("channel") == "U1" && strings.Contains(p.text(), "was approved by Mia Manager") {
			notified = true
		}
	}
	if !notified {
		t.Errorf("Ann is not told: %+v", e.slack.Calls("chat.postMessage"))
	}
	if hooks := e.hooks.Calls("response_url"); len(hooks) != 2 || !strings.Contains(hooks[1].text(), "Approved Ann Lee's make-up request") {
		t.Errorf("approver's confirmation = %+v", hooks)
	}
	ps := e.punches()
	if len(ps) != 1 || ps[0].Source != core.SourceMakeup || strconv.FormatInt(ps[0].MakeupID, 10) != id {
		t.Fatalf("punches = %+v", ps)
	}
	if n := e.audits("makeup.approved") + e.audits("makeup.rejected"); n != 1 {
		t.Errorf("%d decisions, want 1", n)
	}
}

func TestMakeupRejectWithReasonOnSlack(t *testing.T) {
	e := MustMakeupEnv(t)
	channel, ts, id := e.mustCard()
	if code, _ := e.interact(cardClick(e, "UM", punchslack.ActionMakeupReject, id, "8.1.a", channel, ts)); code != http.StatusOK {
		t.Fatalf("reject click = %d", code)
	}
	opens := e.slack.Calls("views.open")
	if len(opens) != 1 || opens[0].JSON["trigger_id"] != "8.1.a" {
		t.Fatalf("views.open = %+v", opens)
	}
	view := opens[0].JSON["view"].(map[string]any)
	if view["callback_id"] != punchslack.ViewMakeupReject {
		t.Errorf("reject form = %v", view)
	}
	if len(e.punches()) != 0 || e.audits("makeup.rejected") != 0 {
		t.Fatal("opening the reject form decided already")
	}
	values := map[string]map[string]any{"makeup_note": {"value": map[string]any{"type": "plain_text_input", "value": "no proof of the outage"}}}
	code, body := e.interact(viewSubmission("UM", "VREJ1", punchslack.ViewMakeupReject, view["private_metadata"].(string), values))
	if code != http.StatusOK || body != "" {
		t.Fatalf("reject submission = %d %q, want an empty 200 (closes the modal)", code, body)
	}
	e.runOutbox()
	updates := e.slack.Calls("chat.update")
	if len(updates) != 1 || updates[0].Form.Get("ts") != ts || !strings.Contains(updates[0].blocks(), `❌ Rejected by Mia Manager`) ||
		!strings.Contains(updates[0].blocks(), `Reason: no proof of the outage`) || strings.Contains(updates[0].blocks(), "makeup_reject") {
		t.Errorf("rejected card = %+v", updates)
	}
	var notified bool
	for _, p := range e.slack.Calls("chat.postMessage") {
		notified = notified || p.Form.Get("channel") == "U1" && strings.HasSuffix(p.text(), "was rejected by Mia Manager: no proof of the outage")
	}
	if !notified {
		t.Errorf("Ann is not told the reason")
	}
	// Rita's Reject click does not open the form: she is refused.
	if code, _ := e.interact(cardClick(e, "U3", punchslack.ActionMakeupReject, id, "8.2.a", channel, ts)); code != http.StatusOK {
		t.Fatalf("colleague's reject = %d", code)
	}
	if n := len(e.slack.Calls("views.open")); n != 1 {
		t.Errorf("the colleague got a reject form")
	}
}

func TestMakeupFormOnSlack(t *testing.T) {
	e := MustMakeupEnv(t)
	resp := e.post("/slack/commands", "application/x-www-form-urlencoded", slashBody("T1", "U1", "makeup", 4242))
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(raw) != 0 {
		t.Fatalf("/punch makeup = %d %q, want an empty ack (the form opens)", resp.StatusCode, raw)
	}
	opens := e.slack.Calls("views.open")
	if len(opens) != 1 {
		t.Fatalf("views.open calls = %d", len(opens))
	}
	view := opens[0].JSON["view"].(map[string]any)
	blocks, _ := json.Marshal(view["blocks"])
	for _, want := range []string{`"block_id":"makeup_date"`, `"type":"datepicker"`, `"type":"timepicker"`, `"type":"radio_buttons"`, `"block_id":"makeup_reason"`} {
		if !strings.Contains(string(blocks), want) {
			t.Errorf("form lacks %s: %s", want, blocks)
		}
	}
	form := func(date, kind string) map[string]map[string]any {
		return map[string]map[string]any{
			"makeup_date":   {"value": map[string]any{"type": "datepicker", "selected_date": date}},
			"makeup_time":   {"value": map[string]any{"type": "timepicker", "selected_time": "18:30"}},
			"makeup_kind":   {"value": map[string]any{"type": "radio_buttons", "selected_option": map[string]any{"value": kind}}},
			"makeup_reason": {"value": map[string]any{"type": "plain_text_input", "value": "forgot"}},
		}
	}
	code, body := e.interact(viewSubmission("U1", "VREQ1", punchslack.ViewMakeupRequest, "en", form("2026-03-03", "out")))
	if code != http.StatusOK || !strings.Contains(body, `"response_action":"errors"`) || !strings.Contains(body, `"makeup_date":"❌ Make-up not filed: the time is in the future."`) {
		t.Fatalf("future date = %d %s", code, body)
	}
	code, body = e.interact(viewSubmission("U1", "VREQ1", punchslack.ViewMakeupRequest, "en", form("2026-02-27", "out")))
	if code != http.StatusOK || !strings.Contains(body, `"response_action":"update"`) || !strings.Contains(body, "Make-up request #") || !strings.Contains(body, "2026-02-27 Clock-out 18:30") {
		t.Fatalf("filed = %d %s", code, body)
	}
	e.runOutbox()
	if posts := e.slack.Calls("chat.postMessage"); len(posts) != 1 || posts[0].Form.Get("channel") != "UM" {
		t.Errorf("card posts = %+v", posts)
	}
}

func TestMakeupDirectMessageOnSlack(t *testing.T) {
	e := MustMakeupEnv(t)
	resp := e.post("/slack/events", "application/json", eventBody("T1", "EvMk", dm("U1", "makeup 2026-02-26 18:00 out forgot")))
	resp.Body.Close()
	e.runOutbox()
	var reply, card bool
	for _, p := range e.slack.Calls("chat.postMessage") {
		reply = reply || p.Form.Get("channel") == "D1" && strings.Contains(p.text(), "Make-up request #")
		card = card || p.Form.Get("channel") == "UM"
	}
	if !reply || !card {
		t.Errorf("reply %v, card %v: %+v", reply, card, e.slack.Calls("chat.postMessage"))
	}
	resp = e.post("/slack/events", "application/json", eventBody("T1", "EvCancel", dm("U1", "makeup cancel")))
	resp.Body.Close()
	e.runOutbox()
	var u []call // the approval card's; the requester's own answer follows too (TestRequesterCardFollowsOnSlack)
	for _, c := range e.slack.Calls("chat.update") {
		if c.Form.Get("channel") == "UM" {
			u = append(u, c)
		}
	}
	if len(u) != 1 || !strings.Contains(u[0].blocks(), "Withdrawn by the requester") {
		t.Errorf("cancel update = %+v", u)
	}
}
