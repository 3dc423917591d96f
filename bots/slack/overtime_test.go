package slack_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	punchslack "github.com/punchbot/punchbot/bots/slack"
	"github.com/punchbot/punchbot/core"
)

// TestOvertimeOnSlack: under overtime by approval a typed /punch overtime
// files the request; the manager's card shows the period and the hours
// that can count; approving by the card's button tells Ann and is audited
// as overtime.approved, and a second request is approved by a typed
// "approve N". Under overtime by punch the request is refused.
func TestOvertimeOnSlack(t *testing.T) {
	e := MustMakeupEnv(t, func(o *core.Org) {
		o.Schedules[0].Overtime = core.OvertimeRule{Mode: core.OvertimeApproval, StartsAfterMin: 30, MinMin: 30, UnitMin: 30}
	})
	status, _, raw := e.slash("T1", "U1", "overtime 03-03 18:00-21:00 release night")
	if status != http.StatusOK || !strings.Contains(raw, "Overtime request #") || !strings.Contains(raw, "waiting for Mia Manager") || !strings.Contains(raw, "Overtime: 2.5 h") {
		t.Fatalf("overtime = %d %s", status, raw)
	}
	e.runOutbox()
	card := e.cardTo("UM").blocks()
	for _, want := range []string{"Overtime request #", `"When\n2026-03-03 (Tue) 18:00–21:00"`, `"Overtime\n2.5 h"`, "Reason: release night", `"action_id":"makeup_approve"`} {
		if !strings.Contains(card, want) {
			t.Errorf("overtime card lacks %s:\n%s", want, card)
		}
	}
	id := approveButton(t, card)
	e.clock.Add(time.Minute)
	if code, _ := e.interact(cardClick(e, "UM", punchslack.ActionMakeupApprove, id, "7.9.b", "UM", "1772412900.000002")); code != http.StatusOK {
		t.Fatalf("approve = %d", code)
	}
	e.runOutbox()
	if !e.toldTo("U1", "Your overtime request #"+id+" (2026-03-03 (Tue) 18:00–21:00) was approved by Mia Manager") {
		t.Errorf("Ann is not told: %+v", e.slack.Calls("chat.postMessage"))
	}

	status, _, raw = e.slash("T1", "U1", "overtime 03-07 10:00-16:00 on-call")
	if status != http.StatusOK || !strings.Contains(raw, "Overtime: 6 h") {
		t.Fatalf("Saturday overtime = %d %s", status, raw)
	}
	e.runOutbox()
	second := approveButton(t, e.cardTo("UM").blocks())
	status, _, raw = e.slash("T1", "UM", "approve "+second)
	if status != http.StatusOK || !strings.Contains(raw, "Approved Ann Lee's overtime request #"+second) {
		t.Fatalf("approve %s = %d %s", second, status, raw)
	}
	if n := e.audits("overtime.approved"); n != 2 {
		t.Errorf("overtime.approved audits = %d, want 2", n)
	}

	status, _, raw = e.slash("T1", "U1", "overtime 03-04 10:00-12:00")
	if status != http.StatusOK || !strings.Contains(raw, "none of that time is overtime") {
		t.Errorf("overtime within the shift = %d %s", status, raw)
	}
}

func TestOvertimeByPunchIsNotRequested(t *testing.T) {
	e := MustMakeupEnv(t, func(o *core.Org) { o.Schedules[0].Overtime.Mode = core.OvertimePunch })
	status, _, raw := e.slash("T1", "U1", "overtime 03-03 18:00-21:00")
	if status != http.StatusOK || !strings.Contains(raw, "does not count overtime by approval") || e.audits("overtime.requested") != 0 {
		t.Errorf("overtime by punch = %d %s", status, raw)
	}
}
