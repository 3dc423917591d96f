package slack_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestTakeBackApprovedLeaveOnSlack: Ann withdraws an approved leave before
// it starts with the ordinary cancel command, and the manager's card and a
// notice say so; once a leave has started she is sent to the manager, who
// revokes it with a reason that reaches her; Rita may not revoke; a second
// withdrawal answers with the state.
func TestTakeBackApprovedLeaveOnSlack(t *testing.T) {
	e := MustMakeupEnv(t, func(o *core.Org) {
		o.LeaveTypes = []core.LeaveType{{ID: "annual", Name: "年假", AnnualQuotaDays: 10, Paid: true}}
	})
	approved := func(from string) string {
		t.Helper()
		status, _, raw := e.slash("T1", "U1", "leave "+from+" annual moving house")
		if status != http.StatusOK || !strings.Contains(raw, "Leave request #") {
			t.Fatalf("leave = %d %s", status, raw)
		}
		e.runOutbox()
		id := approveButton(t, e.cardTo("UM").blocks())
		if status, _, raw := e.slash("T1", "UM", "approve "+id); status != http.StatusOK || !strings.Contains(raw, "Approved Ann Lee's leave request #"+id) {
			t.Fatalf("approve = %d %s", status, raw)
		}
		e.runOutbox()
		return id
	}
	lastUpdate := func() string {
		t.Helper()
		updates := e.slack.Calls("chat.update")
		if len(updates) == 0 {
			t.Fatal("the manager's card was never updated")
		}
		return updates[len(updates)-1].blocks()
	}
	first := approved("03-03")
	second := approved("03-04")

	steps := []struct {
		name    string
		user    string
		text    string
		advance time.Duration
		reply   string // in the answer
		card    string // in the manager's card after the outbox ran; "" when it does not change
		told    string // the user the notice goes to …
		notice  string // … and what it says
	}{
		{name: "Ann withdraws the first before it starts", user: "U1", text: "leave cancel " + first,
			reply: "Approved leave request #" + first + " (年假 2026-03-03 (Tue), all day) withdrawn: punch as usual for that time; Mia Manager has been told.",
			card:  "Withdrawn by the requester after approval", told: "UM", notice: "Ann Lee withdrew the approved leave request #" + first},
		{name: "a second withdrawal answers with the state", user: "U1", text: "leave cancel " + first,
			reply: "Leave request #" + first + " is already closed: ↩️ Withdrawn by the requester after approval"},
		{name: "the second has started", user: "U1", text: "leave cancel " + second, advance: 49 * time.Hour,
			reply: "Leave request #" + second + " started at 03-04 00:00, so you can no longer withdraw it; ask your approver Mia Manager or HR to revoke it."},
		{name: "Rita may not revoke", user: "U3", text: "revoke " + second + " nope",
			reply: "You cannot approve this"},
		{name: "the manager needs a reason", user: "UM", text: "revoke " + second,
			reply: "Give a reason to revoke; the requester receives it"},
		{name: "the manager revokes with a reason", user: "UM", text: "revoke " + second + " came to work after all",
			reply: "Revoked Ann Lee's leave request #" + second + " (年假 2026-03-04 (Wed), all day); they have been told. Reason: came to work after all",
			card:  "Revoked after approval by Mia Manager", told: "U1",
			notice: "Your approved leave request #" + second + " (年假 2026-03-04 (Wed), all day) was revoked by Mia Manager: came to work after all. Please punch as usual for that time."},
	}
	for _, st := range steps {
		e.clock.Add(st.advance + time.Minute)
		before := len(e.slack.Calls("chat.update"))
		status, _, raw := e.slash("T1", st.user, st.text)
		if status != http.StatusOK || !strings.Contains(unescaped(raw), st.reply) {
			t.Fatalf("%s: %q = %d %s\nwant %q", st.name, st.text, status, raw, st.reply)
		}
		e.runOutbox()
		if st.card == "" {
			if n := len(e.slack.Calls("chat.update")); n != before {
				t.Errorf("%s: the card was updated (%d → %d)", st.name, before, n)
			}
			continue
		}
		if got := lastUpdate(); !strings.Contains(got, st.card) {
			t.Errorf("%s: card = %s\nwant %q", st.name, got, st.card)
		}
		if !e.toldTo(st.told, st.notice) {
			t.Errorf("%s: %s was not told %q: %+v", st.name, st.told, st.notice, e.slack.Calls("chat.postMessage"))
		}
	}
	for action, want := range map[string]int{"leave.withdrawn": 1, "leave.revoked": 1} {
		if got := e.audits(action); got != want {
			t.Errorf("%s audits = %d, want %d", action, got, want)
		}
	}
	// The balance is back: both days are free again.
	status, _, raw := e.slash("T1", "U1", "leave 03-09 annual")
	if status != http.StatusOK || !strings.Contains(raw, "Balance: 1/10 days used in 2026, 9 left") {
		t.Errorf("a new leave = %d %s, want 1/10 used", status, raw)
	}
}
