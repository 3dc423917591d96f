package slack_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	punchslack "github.com/punchbot/punchbot/bots/slack"
	"github.com/punchbot/punchbot/core"
)

func byApproval(o *core.Org) {
	o.Schedules[0].Overtime = core.OvertimeRule{Mode: core.OvertimeApproval, StartsAfterMin: 30, MinMin: 30, UnitMin: 30}
}

// openCommand runs a slash command that may open a modal: its HTTP status,
// its body (empty when the form opens) and the views.open calls so far.
func (e *env) openCommand(text string, trigger int) (int, string, []call) {
	e.t.Helper()
	resp := e.post("/slack/commands", "application/x-www-form-urlencoded", slashBody("T1", "U1", text, trigger))
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(raw), e.slack.Calls("views.open")
}

func overtimeValues(date, start, end, reason string) map[string]map[string]any {
	v := map[string]map[string]any{
		"overtime_reason": {"value": map[string]any{"type": "plain_text_input", "value": reason}},
	}
	if date != "" {
		v["overtime_date"] = map[string]any{"value": map[string]any{"type": "datepicker", "selected_date": date}}
	}
	if start != "" {
		v["overtime_start"] = map[string]any{"value": map[string]any{"type": "timepicker", "selected_time": start}}
	}
	if end != "" {
		v["overtime_end"] = map[string]any{"value": map[string]any{"type": "timepicker", "selected_time": end}}
	}
	return v
}

// TestOvertimeFormOpensOnSlack: /punch overtime and /punch 加班 alone open
// the modal (date, start, end, reason) in the employee's language under
// overtime by approval; under off or punch no modal opens and the answer
// is the refusal the typed request gets.
func TestOvertimeFormOpensOnSlack(t *testing.T) {
	for _, tc := range []struct {
		name, mode, employeeLang, text, wantLang, wantText string
	}{
		{"approval, English", string(core.OvertimeApproval), "en", "overtime", "en", ""},
		{"both, Chinese", string(core.OvertimeBoth), "zh", "加班", "zh", ""},
		{"the employee's language", string(core.OvertimeApproval), "zh", "overtime", "zh", ""},
		{"by punch", string(core.OvertimePunch), "en", "overtime", "", "does not count overtime by approval"},
		{"off, Chinese", string(core.OvertimeOff), "zh", "加班", "", "你的班次不按审批计算加班"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := MustMakeupEnv(t, func(o *core.Org) {
				byApproval(o)
				o.Schedules[0].Overtime.Mode = core.OvertimeMode(tc.mode)
				o.Employees[0].Lang = tc.employeeLang
			})
			status, raw, opens := e.openCommand(tc.text, 7001)
			if tc.wantText != "" {
				_, _, typed := e.slash("T1", "U1", "overtime 03-03 18:00-21:00")
				if status != http.StatusOK || len(opens) != 0 || !strings.Contains(raw, tc.wantText) || !strings.Contains(typed, tc.wantText) {
					t.Fatalf("got %d %s, %d views opened; typed answer %s; want no form and %q in both", status, raw, len(opens), typed, tc.wantText)
				}
				return
			}
			if status != http.StatusOK || raw != "" || len(opens) != 1 || opens[0].JSON["trigger_id"] != "1000.7001.abc" {
				t.Fatalf("got %d %q, views.open %+v; want an empty ack and one views.open", status, raw, opens)
			}
			view := opens[0].JSON["view"].(map[string]any)
			blocks, _ := json.Marshal(view["blocks"])
			for _, want := range []string{`"block_id":"overtime_date"`, `"type":"datepicker"`, `"block_id":"overtime_start"`, `"block_id":"overtime_end"`,
				`"type":"timepicker"`, `"block_id":"overtime_reason"`, `"type":"plain_text_input"`} {
				if !strings.Contains(string(blocks), want) {
					t.Errorf("form lacks %s: %s", want, blocks)
				}
			}
			if view["callback_id"] != punchslack.ViewOvertimeRequest || view["private_metadata"] != tc.wantLang {
				t.Errorf("got callback %v, metadata %v; want %s, %s", view["callback_id"], view["private_metadata"], punchslack.ViewOvertimeRequest, tc.wantLang)
			}
		})
	}
}

// TestOvertimeFormSubmitsOnSlack: bad input stays on the modal with the
// answer next to its input and files nothing; a good submission files the
// request (a retried delivery is the same request) and the approver's
// card is the one the typed command gets.
func TestOvertimeFormSubmitsOnSlack(t *testing.T) {
	e := MustMakeupEnv(t, byApproval)
	for _, tc := range []struct {
		name, lang, date, start, end string
		want                         []string
		wantRequests                 int
	}{
		{"no date", "en", "", "18:30", "21:00", []string{`"overtime_date":"❌ Overtime request not filed: choose the date."`}, 0},
		{"no end, Chinese", "zh", "2026-03-03", "18:30", "", []string{`"overtime_end":"❌ 加班申请未提交：请选择结束时间。"`}, 0},
		{"end before start", "en", "2026-03-03", "22:00", "17:00", []string{`"overtime_end":"❌ Overtime request not filed: the end must be after the start`}, 0},
		{"within the shift", "en", "2026-03-04", "10:00", "12:00", []string{`"overtime_start":"❌ Overtime request not filed: none of that time is overtime`}, 0},
		{"filed", "en", "2026-03-03", "18:00", "21:00", []string{`"response_action":"update"`, "Overtime request #", "waiting for Mia Manager", "Overtime: 2.5 h"}, 1},
		{"retried", "en", "2026-03-03", "18:00", "21:00", []string{`"response_action":"update"`, "Overtime request #"}, 1},
		{"past midnight", "en", "2026-03-05", "20:00", "02:00", []string{`"response_action":"update"`, "Overtime: 6 h"}, 2},
	} {
		code, body := e.interact(viewSubmission("U1", "VOT-"+tc.date, punchslack.ViewOvertimeRequest, tc.lang, overtimeValues(tc.date, tc.start, tc.end, "release night")))
		body = unescaped(body)
		for _, want := range tc.want {
			if code != http.StatusOK || !strings.Contains(body, want) {
				t.Errorf("%s: got %d %s, want %s", tc.name, code, body, want)
			}
		}
		if got := e.audits("overtime.requested"); got != tc.wantRequests {
			t.Errorf("%s: got %d overtime requests, want %d", tc.name, got, tc.wantRequests)
		}
	}
	e.runOutbox()
	typed := MustMakeupEnv(t, byApproval)
	typed.slash("T1", "U1", "overtime 03-03 18:00-21:00 release night")
	typed.runOutbox()
	got, want := firstCard(e, "UM"), firstCard(typed, "UM")
	if got != want {
		t.Errorf("approver's card from the form:\n%s\nwant the typed command's:\n%s", got, want)
	}
}

// firstCard is the blocks of the first card posted to a user.
func firstCard(e *env, user string) string {
	e.t.Helper()
	for _, p := range e.slack.Calls("chat.postMessage") {
		if p.Form.Get("channel") == user {
			return p.blocks()
		}
	}
	e.t.Fatalf("nothing posted to %s", user)
	return ""
}

// TestOvertimeFormFallsBackToUsageOnSlack: when the modal cannot open
// (an expired trigger_id, PLATFORMS.md §9.3) /punch overtime answers with
// the overtime format, not the make-up one, and files nothing.
func TestOvertimeFormFallsBackToUsageOnSlack(t *testing.T) {
	e := MustMakeupEnv(t, byApproval)
	e.slack.fail = map[string]func(http.ResponseWriter){"views.open": func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":false,"error":"expired_trigger_id"}`)
	}}
	status, raw, _ := e.openCommand("overtime", 7101)
	if status != http.StatusOK || !strings.Contains(raw, "Overtime format: overtime [2026-12-05] 18:00-21:00") || e.audits("overtime.requested") != 0 {
		t.Errorf("got %d %s, %d requests; want the overtime format and none", status, raw, e.audits("overtime.requested"))
	}
}
