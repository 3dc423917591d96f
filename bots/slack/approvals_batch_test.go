package slack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	punchslack "github.com/punchbot/punchbot/bots/slack"
	"github.com/punchbot/punchbot/core"
)

// approvalsEnv is MustMakeupEnv with HR Han (UH) on Slack; org is the
// organisation as applied, to re-apply it changed.
func approvalsEnv(t *testing.T) (*env, *core.Org) {
	org := &core.Org{}
	e := MustMakeupEnv(t, func(o *core.Org) {
		o.Employees = append(o.Employees, core.Employee{ID: "h1", Name: "HR Han", Lang: "en", Role: core.RoleHR, Active: true,
			Identities: []core.Identity{{Platform: core.PlatformSlack, Tenant: "T1", UserID: "UH"}}})
		*org = *o
		org.Employees = slices.Clone(o.Employees)
	})
	return e, org
}

// slashText runs /punch text as user and returns the ephemeral text.
func (e *env) slashText(user, text string) string {
	e.t.Helper()
	e.clock.Add(time.Second)
	status, msg, raw := e.slash("T1", user, text)
	got, _ := msg["text"].(string)
	if status != http.StatusOK || got == "" {
		e.t.Fatalf("/punch %s = %d %s", text, status, raw)
	}
	return got
}

// TestHandedOverCardOnSlack: the handover updates the departed manager's
// card with chat.update on the channel and ts on record, without
// buttons, naming HR; HR gets a live card; the manager's click on the old
// card decides nothing and is told whom it went to.
func TestHandedOverCardOnSlack(t *testing.T) {
	ctx := context.Background()
	e, org := approvalsEnv(t)
	channel, ts, id := e.mustCard()
	for i := range org.Employees {
		if org.Employees[i].ID == "m1" {
			org.Employees[i].Active = false
		}
	}
	if err := org.Prepare(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.ApplyOrg(ctx, *org, core.AuditEntry{At: e.clock.Now(), Actor: "test", Action: "org.applied"}); err != nil {
		t.Fatal(err)
	}
	svc := core.NewService(e.store, e.kv, e.kv, core.DefaultConfig(), e.clock.Now)
	if _, err := svc.ExpireMakeups(ctx); err != nil {
		t.Fatal(err)
	}
	e.runOutbox()
	updates := e.slack.Calls("chat.update")
	if len(updates) != 1 || updates[0].Form.Get("channel") != channel || updates[0].Form.Get("ts") != ts {
		t.Fatalf("chat.update calls = %+v, want the manager's card", updates)
	}
	if b := updates[0].blocks(); strings.Contains(b, "makeup_approve") || !strings.Contains(b, "↪️ Handed over to HR Han; the buttons on this card no longer work") || !strings.Contains(b, "Reason: subway outage") {
		t.Errorf("retired card blocks:\n%s", b)
	}
	var hrCard string
	for _, p := range e.slack.Calls("chat.postMessage") {
		if p.Form.Get("channel") == "UH" {
			hrCard = p.blocks()
		}
	}
	if !strings.Contains(hrCard, "makeup_approve") || !strings.Contains(hrCard, "⏳ Waiting for HR Han") {
		t.Errorf("HR's card:\n%s", hrCard)
	}

	e.clock.Add(time.Minute)
	if code, _ := e.interact(cardClick(e, "UM", punchslack.ActionMakeupApprove, id, "9.1.a", channel, ts)); code != http.StatusOK {
		t.Fatalf("old card click = %d", code)
	}
	e.runOutbox()
	hooks := e.hooks.Calls("response_url")
	want := "Your account is inactive, so nothing was decided: make-up request #" + id + " was handed over to HR Han."
	if len(hooks) != 1 || hooks[0].text() != want {
		t.Errorf("old card click answered %+v, want %q", hooks, want)
	}
	if e.audits("makeup.approved") != 0 || len(e.punches()) != 0 {
		t.Error("the old card's click decided something")
	}
}

// TestDecisionWordsAndBatchOnSlack: "approve" alone lists Mia's pending
// requests with the commands; "approve all" asks to confirm with the
// exact numbers; that command approves both, updates both cards and tells
// both requesters; afterwards "reject" alone says nothing is waiting.
func TestDecisionWordsAndBatchOnSlack(t *testing.T) {
	e, _ := approvalsEnv(t)
	_, _, first := e.mustCard()
	if text := e.slashText("U3", "makeup 2026-02-27 18:00 out forgot"); !strings.Contains(text, "waiting for Mia Manager") {
		t.Fatalf("Rita's request: %s", text)
	}
	e.runOutbox()
	lone := e.slashText("UM", "approve")
	ids := regexp.MustCompile(`• #(\d+) `).FindAllStringSubmatch(lone, -1)
	if len(ids) != 2 || ids[0][1] != first {
		t.Fatalf("approve alone:\n%s", lone)
	}
	both := ids[0][1] + " " + ids[1][1]
	for _, want := range []string{"⏳ 2 request(s) wait for your decision:", "• #" + first + " Ann Lee · make-up request (2026-02-27 Clock-in 09:00)", "• #" + ids[1][1] + " Rita Remote · make-up request (2026-02-27 Clock-out 18:00)",
		"To approve, send “approve " + first + "”; to reject, “reject " + first + " reason”", "Several at once: “approve " + both + "” or “reject " + both + " reason”"} {
		if !strings.Contains(lone, want) {
			t.Errorf("approve alone lacks %q:\n%s", want, lone)
		}
	}
	if all := e.slashText("UM", "approve all"); !strings.Contains(all, "To approve these 2, send “approve "+both+"”") {
		t.Errorf("approve all:\n%s", all)
	}
	if n := e.audits("makeup.approved"); n != 0 {
		t.Fatalf("listing decided %d requests", n)
	}
	before := len(e.slack.Calls("chat.update"))
	if done := e.slashText("UM", "approve "+both); !strings.HasPrefix(done, "Batch approval: 2 decided.") {
		t.Errorf("approve %s:\n%s", both, done)
	}
	e.runOutbox()
	if n := e.audits("makeup.approved"); n != 2 {
		t.Errorf("%d approvals audited, want 2", n)
	}
	updates := e.slack.Calls("chat.update")[before:]
	if len(updates) != 2 {
		t.Errorf("%d card updates after the batch, want 2", len(updates))
	}
	for _, u := range updates {
		if strings.Contains(u.blocks(), "makeup_approve") || !strings.Contains(u.blocks(), "✅ Approved by Mia Manager") {
			t.Errorf("card after the batch:\n%s", u.blocks())
		}
	}
	told := map[string]bool{}
	for _, p := range e.slack.Calls("chat.postMessage") {
		if strings.Contains(p.text(), "was approved by Mia Manager") {
			told[p.Form.Get("channel")] = true
		}
	}
	if !told["U1"] || !told["U3"] {
		t.Errorf("requesters told: %v, want U1 and U3", told)
	}
	if none := e.slashText("UM", "reject"); none != "✅ You have no requests waiting for your decision." {
		t.Errorf("reject alone afterwards = %q", none)
	}
}

// TestBatchConfirmButtonOnSlack: "reject all reason" answers with the
// listing and one button carrying exactly the listed numbers and the
// reason; the click rejects both and its answer replaces the listing.
func TestBatchConfirmButtonOnSlack(t *testing.T) {
	e, _ := approvalsEnv(t)
	_, _, first := e.mustCard()
	if text := e.slashText("U3", "makeup 2026-02-27 18:00 out forgot"); !strings.Contains(text, "waiting for Mia Manager") {
		t.Fatalf("Rita's request: %s", text)
	}
	e.runOutbox()
	e.clock.Add(time.Second)
	_, ack, raw := e.slash("T1", "UM", "reject all no evidence")
	blocks, _ := json.Marshal(ack["blocks"])
	var value string
	var parsed []map[string]any
	_ = json.Unmarshal(blocks, &parsed)
	for _, b := range parsed {
		if b["type"] == "actions" {
			el := b["elements"].([]any)[0].(map[string]any)
			if el["action_id"] == punchslack.ActionMakeupBatch && el["text"].(map[string]any)["text"] == "Reject these 2" {
				value = el["value"].(string)
			}
		}
	}
	var v map[string]string
	if err := json.Unmarshal([]byte(value), &v); err != nil || !strings.HasPrefix(v["ids"], first+",") || v["d"] != "rejected" || v["note"] != "no evidence" {
		t.Fatalf("confirmation button value %q (%v) in %s", value, err, raw)
	}
	if n := e.audits("makeup.rejected"); n != 0 {
		t.Fatalf("the listing decided %d", n)
	}
	e.clock.Add(time.Minute)
	if code, _ := e.interact(batchClick(e, value, "9.2.b")); code != http.StatusOK {
		t.Fatalf("batch click = %d", code)
	}
	e.runOutbox()
	hooks := e.hooks.Calls("response_url")
	if len(hooks) == 0 {
		t.Fatal("no answer to the batch click")
	}
	last := hooks[len(hooks)-1]
	if last.JSON["replace_original"] != true || !strings.HasPrefix(last.text(), "Batch rejection: 2 decided.") || strings.Contains(last.blocks(), punchslack.ActionMakeupBatch) {
		t.Errorf("batch click answer = %+v", last.JSON)
	}
	if n := e.audits("makeup.rejected"); n != 2 {
		t.Errorf("%d rejections audited, want 2", n)
	}
	if code, _ := e.interact(batchClick(e, `{"d":"approved","ids":"x"}`, "9.3.c")); code != http.StatusBadRequest {
		t.Errorf("bad button value = %d, want 400", code)
	}
}

// batchClick is Mia's block_actions payload for the confirmation button
// with value.
func batchClick(e *env, value, trigger string) string {
	buf, _ := json.Marshal(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": "UM", "team_id": "T1"}, "api_app_id": "A1", "trigger_id": trigger,
		"team":      map[string]any{"id": "T1", "domain": "acme"},
		"container": map[string]any{"type": "message", "message_ts": "1772412999.000001", "channel_id": "DUM", "is_ephemeral": true},
		"channel":   map[string]any{"id": "DUM"}, "response_url": e.hookURL,
		"actions": []map[string]any{{"action_id": punchslack.ActionMakeupBatch, "block_id": "makeup_batch_actions", "type": "button", "value": value, "action_ts": "1772413000.000100"}},
	})
	return string(buf)
}
