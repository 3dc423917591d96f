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

// withdrawButton returns the value of the Withdraw button in a message's
// blocks, "" when there is none.
func withdrawButton(t testing.TB, blocks string) string {
	t.Helper()
	return confirmButtons(t, blocks)[punchslack.ActionMakeupWithdraw]
}

func withdrawClick(e *env, user, value, trigger string) string {
	return fmt.Sprintf(`{"type":"block_actions","user":{"id":%q,"username":"x","name":"x","team_id":"T1"},"api_app_id":"A1","token":"legacy","trigger_id":%q,
"team":{"id":"T1","domain":"acme"},"container":{"type":"message","message_ts":"1772412900.000900","channel_id":"D1","is_ephemeral":false},
"channel":{"id":"D1","name":"directmessage"},"response_url":%q,"message":{"type":"message","text":"Leave request #1 filed"},
"actions":[{"action_id":%q,"block_id":"makeup_withdraw","type":"button","text":{"type":"plain_text","text":"Withdraw"},"value":%q,"action_ts":"1772412901.000200"}],"state":{"values":{}}}`,
		user, trigger, e.hookURL, punchslack.ActionMakeupWithdraw, value)
}

// requestStatus reads a request's status through the service.
func (e *env) requestStatus(id string) core.MakeupStatus {
	e.t.Helper()
	svc := core.NewService(e.store, e.kv, e.kv, core.DefaultConfig(), e.clock.Now)
	all, err := svc.ListMakeups(context.Background(), core.MakeupFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, m := range all {
		if fmt.Sprint(m.ID) == id {
			return m.Status
		}
	}
	e.t.Fatalf("no request %s", id)
	return ""
}

// TestWithdrawButtonOnSlack: the answer to a leave filed by DM carries a
// Withdraw button for Ann, the ephemeral one to /punch the typed command; Rita's click changes nothing;
// Ann's withdraws and replaces the message; a retried delivery and a
// second click withdraw nothing more and answer with the state; on an
// approved future leave the button still withdraws (销假).
func TestWithdrawButtonOnSlack(t *testing.T) {
	e := MustMakeupEnv(t, func(o *core.Org) {
		o.LeaveTypes = []core.LeaveType{{ID: "annual", Name: "年假", AnnualQuotaDays: 10, Paid: true}}
	})
	// Filed by DM: the outbox posts the answer with the button.
	resp := e.post("/slack/events", "application/json", eventBody("T1", "EvW1", dm("U1", "leave 03-04 annual moving house")))
	resp.Body.Close()
	e.runOutbox()
	var filed string
	for _, p := range e.slack.Calls("chat.postMessage") {
		if p.Form.Get("channel") == "D1" && strings.Contains(p.text(), "filed") {
			filed = p.blocks()
		}
	}
	dmValue := withdrawButton(t, filed)
	id, _, _ := strings.Cut(dmValue, ":")
	if dmValue != id+":T1:U1" || !strings.Contains(filed, `"text":"Withdraw"`) || !strings.Contains(filed, "even after approval until it starts") {
		t.Fatalf("the DM answer's button = %q in %s, want the request for T1:U1", dmValue, filed)
	}
	// Filed by /punch: the ephemeral answer, which Slack cannot edit
	// after the decision, names the command instead of a button.
	status, ack, raw := e.slash("T1", "U1", "leave 03-06 annual dentist")
	blocks, _ := json.Marshal(ack["blocks"])
	if status != http.StatusOK || withdrawButton(t, string(blocks)) != "" || !strings.Contains(unescaped(string(blocks)), "To take it back, send “/punch leave cancel ") ||
		!strings.Contains(unescaped(string(blocks)), "The decision comes to you by direct message.") {
		t.Fatalf("/punch leave = %d %s, want the typed command and no Withdraw button", status, raw)
	}
	e.runOutbox()
	// Asked in a channel: the ephemeral answer (chat.postEphemeral) does
	// the same.
	mention := `{"type":"app_mention","user":"U1","text":"<@UBOT> leave 03-09 annual dentist","ts":"1772412900.000700","channel":"C7","event_ts":"1772412900.000700"}`
	resp = e.post("/slack/events", "application/json", eventBody("T1", "EvW3", mention))
	resp.Body.Close()
	e.runOutbox()
	eph := e.slack.Calls("chat.postEphemeral")
	if len(eph) == 0 || !strings.Contains(unescaped(eph[len(eph)-1].text()), "filed") || withdrawButton(t, eph[len(eph)-1].blocks()) != "" ||
		!strings.Contains(unescaped(eph[len(eph)-1].blocks()), "/punch leave cancel ") {
		t.Fatalf("the mention's ephemeral answer = %+v, want the typed command and no Withdraw button", eph)
	}
	approvedID, approvedValue := e.fileByDM("leave 03-05 annual dentist", "EvW2")
	if approvedValue != approvedID+":T1:U1" || approvedID == id {
		t.Fatalf("the second DM answer's button = %q, want one for a new request", approvedValue)
	}
	if status, _, raw := e.slash("T1", "UM", "approve "+approvedID); status != http.StatusOK || !strings.Contains(raw, "Approved Ann Lee's leave request #"+approvedID) {
		t.Fatalf("approve = %d %s", status, raw)
	}
	e.runOutbox()

	steps := []struct {
		name, user, value, trigger string
		status                     core.MakeupStatus // of the request afterwards
		request                    string
		replace                    bool   // the answer replaces the message
		text                       string // in the answer
	}{
		{name: "Rita's click changes nothing", user: "U3", value: dmValue, trigger: "1.1.w", request: id, status: core.MakeupPending,
			text: "This button was sent to someone else; your click changed nothing."},
		{name: "Ann withdraws", user: "U1", value: dmValue, trigger: "2.2.w", request: id, status: core.MakeupCancelled, replace: true,
			text: "Leave request #" + id + " withdrawn."},
		{name: "a retried delivery answers from the record", user: "U1", value: dmValue, trigger: "2.2.w", request: id, status: core.MakeupCancelled},
		{name: "a second click answers with the state", user: "U1", value: dmValue, trigger: "3.3.w", request: id, status: core.MakeupCancelled, replace: true,
			text: "Leave request #" + id + " is already closed: ↩️ Withdrawn by the requester"},
		{name: "an approved future leave is withdrawn", user: "U1", value: approvedValue, trigger: "4.4.w", request: approvedID, status: core.MakeupRevoked, replace: true,
			text: "Approved leave request #" + approvedID + " (年假 2026-03-05 (Thu), all day) withdrawn: punch as usual for that time; Mia Manager has been told."},
	}
	for _, st := range steps {
		e.clock.Add(time.Minute)
		mark := len(e.hooks.Calls("response_url"))
		if code, body := e.interact(withdrawClick(e, st.user, st.value, st.trigger)); code != http.StatusOK {
			t.Fatalf("%s: click = %d %s", st.name, code, body)
		}
		e.runOutbox()
		if got := e.requestStatus(st.request); got != st.status {
			t.Errorf("%s: request %s is %s, want %s", st.name, st.request, got, st.status)
		}
		hooks := e.hooks.Calls("response_url")[mark:]
		if st.text == "" {
			if len(hooks) != 0 {
				t.Errorf("%s: answered again: %+v", st.name, hooks)
			}
			continue
		}
		if len(hooks) != 1 {
			t.Fatalf("%s: response_url calls = %+v, want one", st.name, hooks)
		}
		if got := hooks[0].JSON["replace_original"] == true; got != st.replace {
			t.Errorf("%s: replace_original = %v, want %v", st.name, got, st.replace)
		}
		if got := unescaped(hooks[0].text()); !strings.Contains(got, st.text) {
			t.Errorf("%s: answer = %q, want %q", st.name, got, st.text)
		}
		if b := withdrawButton(t, hooks[0].blocks()); b != "" {
			t.Errorf("%s: the answer still has the button %q", st.name, b)
		}
	}
	if got := e.audits("leave.withdrawn"); got != 1 {
		t.Errorf("leave.withdrawn audits = %d, want 1", got)
	}
	if !e.toldTo("UM", "Ann Lee withdrew the approved leave request #"+approvedID) {
		t.Errorf("the manager was not told of the withdrawal: %+v", e.slack.Calls("chat.postMessage"))
	}
}

// TestWithdrawFromTheLeaveModalOnSlack: the leave form's confirmation
// carries the Withdraw button; its click (block_actions from a view, with
// no response_url) withdraws and rewrites the modal with views.update.
func TestWithdrawFromTheLeaveModalOnSlack(t *testing.T) {
	e := MustMakeupEnv(t, func(o *core.Org) {
		o.LeaveTypes = []core.LeaveType{{ID: "annual", Name: "年假", AnnualQuotaDays: 10, Paid: true}}
	})
	values := map[string]map[string]any{
		"leave_type":   {"value": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "leave"}}},
		"leave_kind":   {"value": map[string]any{"type": "plain_text_input", "value": "annual"}},
		"leave_from":   {"value": map[string]any{"type": "datepicker", "selected_date": "2026-03-03"}},
		"leave_reason": {"value": map[string]any{"type": "plain_text_input", "value": "moving house"}},
	}
	code, body := e.interact(viewSubmission("U1", "VLVW", punchslack.ViewLeaveRequest, "en", values))
	var ack struct {
		Action string `json:"response_action"`
		View   struct {
			Blocks json.RawMessage `json:"blocks"`
		} `json:"view"`
	}
	if err := json.Unmarshal([]byte(body), &ack); err != nil || code != http.StatusOK || ack.Action != "update" {
		t.Fatalf("submission = %d %s", code, body)
	}
	value := withdrawButton(t, string(ack.View.Blocks))
	id, _, _ := strings.Cut(value, ":")
	if value != id+":T1:U1" {
		t.Fatalf("confirmation blocks = %s, want a Withdraw button for T1:U1", ack.View.Blocks)
	}
	click := fmt.Sprintf(`{"type":"block_actions","user":{"id":"U1","team_id":"T1"},"api_app_id":"A1","trigger_id":"5.5.m","team":{"id":"T1"},
"container":{"type":"view","view_id":"VLVW"},"view":{"id":"VLVW","hash":"1772412900.abc","type":"modal","title":{"type":"plain_text","text":"Request leave"}},
"actions":[{"action_id":%q,"block_id":"makeup_withdraw","type":"button","value":%q,"action_ts":"1772412901.000200"}]}`, punchslack.ActionMakeupWithdraw, value)
	if code, body := e.interact(click); code != http.StatusOK {
		t.Fatalf("click = %d %s", code, body)
	}
	if got := e.requestStatus(id); got != core.MakeupCancelled {
		t.Errorf("request %s is %s, want cancelled", id, got)
	}
	updates := e.slack.Calls("views.update")
	if len(updates) != 1 || updates[0].JSON["view_id"] != "VLVW" || updates[0].JSON["hash"] != "1772412900.abc" {
		t.Fatalf("views.update = %+v, want the modal rewritten", updates)
	}
	view, _ := json.Marshal(updates[0].JSON["view"])
	if !strings.Contains(string(view), "Leave request #"+id+" withdrawn.") || withdrawButton(t, string(mustField(t, view, "blocks"))) != "" {
		t.Errorf("updated modal = %s, want the answer without the button", view)
	}
}

func mustField(t *testing.T, obj []byte, name string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(obj, &m); err != nil {
		t.Fatal(err)
	}
	return m[name]
}
