package slack_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	punchslack "github.com/punchbot/punchbot/bots/slack"
	"github.com/punchbot/punchbot/core"
)

// approveButton finds the request id on a card's Approve button.
func approveButton(t *testing.T, blocks string) string {
	t.Helper()
	var parsed []map[string]any
	if err := json.Unmarshal([]byte(blocks), &parsed); err != nil {
		t.Fatal(err)
	}
	for _, b := range parsed {
		if b["type"] == "actions" {
			return b["elements"].([]any)[0].(map[string]any)["value"].(string)
		}
	}
	t.Fatalf("no buttons on the card: %s", blocks)
	return ""
}

// cardTo is the newest card posted to a user.
func (e *env) cardTo(user string) call {
	e.t.Helper()
	var last *call
	for _, p := range e.slack.Calls("chat.postMessage") {
		if p.Form.Get("channel") == user {
			last = &p
		}
	}
	if last == nil {
		e.t.Fatalf("nothing posted to %s: %+v", user, e.slack.Calls("chat.postMessage"))
	}
	return *last
}

func (e *env) toldTo(user, text string) bool {
	for _, p := range e.slack.Calls("chat.postMessage") {
		if p.Form.Get("channel") == user && strings.Contains(p.text(), text) {
			return true
		}
	}
	return false
}

// TestLeaveFormOnSlack: /punch leave opens the modal; an unreadable time
// keeps it open with the error next to the input; a valid submission files
// the leave and turns the modal into the confirmation; the manager's card
// shows the type, period, working time and balance, and an approval tells
// Ann.
func TestLeaveFormOnSlack(t *testing.T) {
	e := MustMakeupEnv(t, func(o *core.Org) {
		o.LeaveTypes = []core.LeaveType{{ID: "annual", Name: "年假", AnnualQuotaDays: 10, Paid: true}, {ID: "sick", Name: "病假", Paid: true}}
	})
	resp := e.post("/slack/commands", "application/x-www-form-urlencoded", slashBody("T1", "U1", "leave", 5151))
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(raw) != 0 {
		t.Fatalf("/punch leave = %d %q, want an empty ack (the form opens)", resp.StatusCode, raw)
	}
	opens := e.slack.Calls("views.open")
	if len(opens) != 1 || opens[0].JSON["trigger_id"] != "1000.5151.abc" {
		t.Fatalf("views.open = %+v", opens)
	}
	view := opens[0].JSON["view"].(map[string]any)
	blocks, _ := json.Marshal(view["blocks"])
	for _, want := range []string{`"block_id":"leave_type"`, `"type":"static_select"`, `"initial_option":{"text":{"emoji":true,"text":"Leave"`,
		`"block_id":"leave_from"`, `"type":"datepicker"`, `"block_id":"leave_start"`, `"type":"timepicker"`, `"block_id":"leave_reason"`} {
		if !strings.Contains(string(blocks), want) {
			t.Errorf("form lacks %s: %s", want, blocks)
		}
	}
	if view["callback_id"] != punchslack.ViewLeaveRequest || view["private_metadata"] != "en" {
		t.Errorf("form = %v", view)
	}
	form := func(kind, from, start, end string) map[string]map[string]any {
		v := map[string]map[string]any{
			"leave_type":   {"value": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "leave"}}},
			"leave_kind":   {"value": map[string]any{"type": "plain_text_input", "value": kind}},
			"leave_from":   {"value": map[string]any{"type": "datepicker", "selected_date": from}},
			"leave_reason": {"value": map[string]any{"type": "plain_text_input", "value": "moving house"}},
		}
		if start != "" {
			v["leave_start"] = map[string]any{"value": map[string]any{"type": "timepicker", "selected_time": start}}
			v["leave_end"] = map[string]any{"value": map[string]any{"type": "timepicker", "selected_time": end}}
		}
		return v
	}
	code, body := e.interact(viewSubmission("U1", "VLV1", punchslack.ViewLeaveRequest, "en", form("annual", "2026-03-03", "12:00", "09:00")))
	if code != http.StatusOK || !strings.Contains(body, `"response_action":"errors"`) || !strings.Contains(body, `"leave_start":"❌ Leave request not filed: I could not read the time`) {
		t.Fatalf("end before start = %d %s", code, body)
	}
	code, body = e.interact(viewSubmission("U1", "VLV1", punchslack.ViewLeaveRequest, "en", form("holiday", "2026-03-03", "", "")))
	if code != http.StatusOK || !strings.Contains(body, `"leave_kind":"❌ Leave request not filed: there is no such leave type`) {
		t.Fatalf("unknown type = %d %s", code, body)
	}
	code, body = e.interact(viewSubmission("U1", "VLV1", punchslack.ViewLeaveRequest, "en", form("annual", "2026-03-03", "", "")))
	if code != http.StatusOK || !strings.Contains(body, `"response_action":"update"`) || !strings.Contains(body, "Leave request #") ||
		!strings.Contains(body, "waiting for Mia Manager") || !strings.Contains(body, "Balance: 1/10 days used in 2026, 9 left") {
		t.Fatalf("filed = %d %s", code, body)
	}
	// The same submission delivered again is the same request.
	if code, _ := e.interact(viewSubmission("U1", "VLV1", punchslack.ViewLeaveRequest, "en", form("annual", "2026-03-03", "", ""))); code != http.StatusOK || e.audits("leave.requested") != 1 {
		t.Fatalf("retried submission: %d, %d requests", code, e.audits("leave.requested"))
	}
	e.runOutbox()
	card := e.cardTo("UM")
	cardBlocks := card.blocks()
	for _, want := range []string{"Leave request #", `"Type\n年假"`, `"When\n2026-03-03 (Tue), all day"`, `"Working time\n1 day (9 h)"`, `"Balance\n1/10 days used in 2026, 9 left"`, "Reason: moving house", `"action_id":"makeup_approve"`} {
		if !strings.Contains(cardBlocks, want) {
			t.Errorf("leave card lacks %s:\n%s", want, cardBlocks)
		}
	}
	id := approveButton(t, cardBlocks)
	e.clock.Add(time.Minute)
	if code, _ := e.interact(cardClick(e, "UM", punchslack.ActionMakeupApprove, id, "7.9.a", "UM", "1772412900.000001")); code != http.StatusOK {
		t.Fatalf("approve = %d", code)
	}
	e.runOutbox()
	if !e.toldTo("U1", "Your leave request #"+id+" (年假 2026-03-03 (Tue), all day) was approved by Mia Manager; you need not punch for that time.") {
		t.Errorf("Ann is not told: %+v", e.slack.Calls("chat.postMessage"))
	}
	if e.audits("leave.approved") != 1 {
		t.Errorf("leave.approved audits = %d", e.audits("leave.approved"))
	}
}

// TestLeaveTypedOnSlack: a typed /punch 请假 … files at once; a typed
// request with a bad date is answered with the usage.
func TestLeaveTypedOnSlack(t *testing.T) {
	e := MustMakeupEnv(t)
	status, _, raw := e.slash("T1", "U1", "trip 03-04..03-06 Shanghai customer visit")
	if status != http.StatusOK || !strings.Contains(raw, "Business trip request #") || !strings.Contains(raw, "(Shanghai 2026-03-04 (Wed) to 2026-03-06 (Fri))") {
		t.Fatalf("trip = %d %s", status, raw)
	}
	status, _, raw = e.slash("T1", "U1", "leave 13-45 annual")
	if status != http.StatusOK || !strings.Contains(raw, "I could not read the date") || !strings.Contains(raw, "Leave format: leave 2026-12-03 annual reason") {
		t.Fatalf("bad date = %d %s", status, raw)
	}
	e.runOutbox()
	card := e.cardTo("UM").blocks()
	for _, want := range []string{"Business trip request #", `"Place\nShanghai"`, "Reason: customer visit"} {
		if !strings.Contains(card, want) {
			t.Errorf("trip card lacks %s:\n%s", want, card)
		}
	}
	// Ann withdraws it; the manager's card says so.
	id := approveButton(t, card)
	status, _, raw = e.slash("T1", "U1", "trip cancel "+id)
	if status != http.StatusOK || !strings.Contains(raw, "Business trip request #"+id+" withdrawn") {
		t.Fatalf("withdraw = %d %s", status, raw)
	}
	e.runOutbox()
	updates := e.slack.Calls("chat.update")
	if len(updates) == 0 || !strings.Contains(updates[len(updates)-1].blocks(), "Withdrawn by the requester") || e.audits("trip.cancelled") != 1 {
		t.Errorf("after withdrawing: updates %+v, %d trip.cancelled", updates, e.audits("trip.cancelled"))
	}
}

// TestFieldPunchCardOnSlack: under out_of_range: field a punch outside HQ
// is answered in yellow as waiting for approval and counts for nothing;
// the manager's card shows the distance, the site and a map link; a
// rejection with a reason reaches Ann, an approval of a second one writes
// the counting field punch.
func TestFieldPunchCardOnSlack(t *testing.T) {
	e := MustMakeupEnv(t, func(o *core.Org) { o.Schedules[0].OutOfRange = core.OutOfRangeField })
	field := func(trigger string) (id, blocks string) {
		t.Helper()
		status, ack, raw := e.slash("T1", "U1", "in")
		if status != http.StatusOK {
			t.Fatalf("slash = %d %s", status, raw)
		}
		b, _ := json.Marshal(ack["blocks"])
		code, res := e.punchAt(e.linkIn(string(b)), outside)
		if code != http.StatusOK || res["status"] != string(core.OutcomeFieldPending) {
			t.Fatalf("page result = %d %v", code, res)
		}
		headline := res["headline"].(string)
		if !strings.HasPrefix(headline, "🟡 Field clock-in submitted") || !strings.Contains(headline, "1.9 km from HQ") || !strings.Contains(headline, "waiting for approval by Mia Manager") || strings.Contains(headline, "✅") {
			t.Errorf("field punch headline = %q", headline)
		}
		e.runOutbox()
		card := e.cardTo("UM").blocks()
		return approveButton(t, card), card
	}
	id, card := field("1")
	card = unescaped(card)
	for _, want := range []string{"Field punch #" + id + " · Ann Lee", `"Punch\nClock-in 08:55"`, `"Where\n1.9 km from HQ (allowed 300 m)"`,
		"<https://www.openstreetmap.org/?mlat=39.895000&mlon=116.410000#map=17/39.895000/116.410000|🗺 See the position on a map>",
		"Punches that day: 08:55 Clock-in (field, waiting for approval)", `"action_id":"makeup_reject"`} {
		if !strings.Contains(card, want) {
			t.Errorf("field card lacks %s:\n%s", want, card)
		}
	}
	for _, p := range e.punches() {
		if p.Valid() {
			t.Fatalf("a pending field punch counts: %+v", p)
		}
	}

	// Mia rejects with a reason through the modal.
	if code, _ := e.interact(cardClick(e, "UM", punchslack.ActionMakeupReject, id, "8.8.a", "UM", "1772412900.000001")); code != http.StatusOK {
		t.Fatalf("reject click = %d", code)
	}
	opens := e.slack.Calls("views.open")
	if len(opens) != 1 {
		t.Fatalf("views.open = %+v", opens)
	}
	meta := opens[0].JSON["view"].(map[string]any)["private_metadata"].(string)
	values := map[string]map[string]any{"makeup_note": {"value": map[string]any{"type": "plain_text_input", "value": "not at the client"}}}
	if code, _ := e.interact(viewSubmission("UM", "VREJF", punchslack.ViewMakeupReject, meta, values)); code != http.StatusOK {
		t.Fatalf("reject submission = %d", code)
	}
	e.runOutbox()
	if !e.toldTo("U1", "Your field punch #"+id+" (2026-03-02 Clock-in 08:55) was rejected by Mia Manager; the punch does not count: not at the client") {
		t.Errorf("Ann is not told the reason: %+v", e.slack.Calls("chat.postMessage"))
	}
	updates := e.slack.Calls("chat.update")
	if len(updates) == 0 || !strings.Contains(updates[len(updates)-1].blocks(), "❌ Rejected by Mia Manager") {
		t.Errorf("the card is not updated: %+v", updates)
	}
	for _, p := range e.punches() {
		if p.Valid() {
			t.Fatalf("a rejected field punch counts: %+v", p)
		}
	}

	// A second field punch, approved: a counting field punch.
	e.clock.Add(2 * time.Minute)
	id2, _ := field("2")
	if id2 == id {
		t.Fatal("the second field punch reused the request")
	}
	if code, _ := e.interact(cardClick(e, "UM", punchslack.ActionMakeupApprove, id2, "8.9.a", "UM", "1772412900.000003")); code != http.StatusOK {
		t.Fatal("approve click failed")
	}
	e.runOutbox()
	if !e.toldTo("U1", "Your field punch #"+id2+" (2026-03-02 Clock-in 08:57) was approved by Mia Manager; the punch counts as a field punch.") {
		t.Errorf("Ann is not told of the approval: %+v", e.slack.Calls("chat.postMessage"))
	}
	counted := 0
	for _, p := range e.punches() {
		if p.Valid() && p.Outcome == core.OutcomeField {
			counted++
		}
	}
	if counted != 1 {
		t.Errorf("%d counting field punches, want 1: %+v", counted, e.punches())
	}
}

// TestLeaveShortcutOpensTheForm: the global shortcut of the manifest opens
// the leave form with its trigger_id.
func TestLeaveShortcutOpensTheForm(t *testing.T) {
	manifest, err := os.ReadFile("manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(manifest), "callback_id: "+punchslack.ShortcutLeave) {
		t.Fatalf("manifest.yaml declares no shortcut %q", punchslack.ShortcutLeave)
	}
	e := MustMakeupEnv(t)
	code, _ := e.interact(`{"type":"shortcut","callback_id":"` + punchslack.ShortcutLeave + `","trigger_id":"12.34.sc","user":{"id":"U1","team_id":"T1"},"team":{"id":"T1","domain":"acme"},"action_ts":"1772412901.000300"}`)
	if code != http.StatusOK {
		t.Fatalf("shortcut = %d", code)
	}
	opens := e.slack.Calls("views.open")
	if len(opens) != 1 || opens[0].JSON["trigger_id"] != "12.34.sc" || opens[0].JSON["view"].(map[string]any)["callback_id"] != punchslack.ViewLeaveRequest {
		t.Fatalf("views.open = %+v", opens)
	}
	if e.coreCalls() != 0 {
		t.Errorf("opening the form called the core")
	}
}
