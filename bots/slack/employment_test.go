package slack_test

import (
	"net/http"
	"strings"
	"testing"

	punchslack "github.com/punchbot/punchbot/bots/slack"
	"github.com/punchbot/punchbot/core"
)

// TestMakeupOutsideEmploymentOnSlack: the make-up form and a direct
// message for a day before joining are refused in English, naming the
// date and the first working day next to the date input; no card goes
// to the manager.
func TestMakeupOutsideEmploymentOnSlack(t *testing.T) {
	e := MustMakeupEnv(t, func(o *core.Org) { o.Employees[0].Joined = "2026-03-01" })
	form := map[string]map[string]any{
		"makeup_date":   {"value": map[string]any{"type": "datepicker", "selected_date": "2026-02-27"}},
		"makeup_time":   {"value": map[string]any{"type": "timepicker", "selected_time": "18:30"}},
		"makeup_kind":   {"value": map[string]any{"type": "radio_buttons", "selected_option": map[string]any{"value": "out"}}},
		"makeup_reason": {"value": map[string]any{"type": "plain_text_input", "value": "forgot"}},
	}
	want := "❌ Make-up not filed: Feb 27 is before you joined (2026-03-01); no make-up can be filed for it."
	code, body := e.interact(viewSubmission("U1", "VREQ1", punchslack.ViewMakeupRequest, "en", form))
	if code != http.StatusOK || !strings.Contains(body, `"response_action":"errors"`) || !strings.Contains(body, `"makeup_date":"`+want+`"`) {
		t.Fatalf("form before joining = %d %s, want the error %q on the date", code, body, want)
	}
	resp := e.post("/slack/events", "application/json", eventBody("T1", "EvMkJoin", dm("U1", "makeup 2026-02-26 18:00 out forgot")))
	resp.Body.Close()
	e.runOutbox()
	var reply bool
	for _, p := range e.slack.Calls("chat.postMessage") {
		if p.Form.Get("channel") == "UM" {
			t.Errorf("a card went to the manager: %s", p.text())
		}
		reply = reply || p.Form.Get("channel") == "D1" && strings.Contains(p.text(), "Feb 26 is before you joined (2026-03-01)")
	}
	if !reply {
		t.Errorf("no refusal naming the dates in the DM: %+v", e.slack.Calls("chat.postMessage"))
	}
}
