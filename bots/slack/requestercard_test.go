package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// fileByDM files a request in Ann's DM and returns its id and the
// Withdraw button's value on the posted answer.
func (e *env) fileByDM(text, eventID string) (id, value string) {
	e.t.Helper()
	mark := len(e.slack.Calls("chat.postMessage"))
	resp := e.post("/slack/events", "application/json", eventBody("T1", eventID, dm("U1", text)))
	resp.Body.Close()
	e.runOutbox()
	for _, p := range e.slack.Calls("chat.postMessage")[mark:] {
		if p.Form.Get("channel") == "D1" {
			value = withdrawButton(e.t, p.blocks())
		}
	}
	id, _, _ = strings.Cut(value, ":")
	if id == "" {
		e.t.Fatalf("%q: no answer with a Withdraw button in %+v", text, e.slack.Calls("chat.postMessage")[mark:])
	}
	return id, value
}

// requesterCardTS is where the requester's recorded card is, by request id.
func (e *env) requesterCardTS(id string) string {
	e.t.Helper()
	svc := core.NewService(e.store, e.kv, e.kv, core.DefaultConfig(), e.clock.Now)
	var n int64
	fmt.Sscan(id, &n)
	ref, err := svc.CardRef(context.Background(), n, core.PlatformSlack, "U1")
	if err != nil || !ref.Requester {
		e.t.Fatalf("the requester's card of request %s = %+v, %v", id, ref, err)
	}
	var r struct{ Channel, TS string }
	if err := json.Unmarshal([]byte(ref.Ref), &r); err != nil || r.Channel != "D1" || r.TS == "" {
		e.t.Fatalf("reference %s, want D1 and a ts", ref.Ref)
	}
	return r.TS
}

// TestRequesterCardFollowsOnSlack: Ann's "submitted" answer, posted in her
// DM, is edited in place (chat.update of its channel and ts) when Mia
// decides: the new state in Ann's language, the Withdraw button only while
// a withdrawal would still be accepted (an approved leave before it
// starts), the reason of a rejection. A click on the updated card still
// withdraws, and the card then says so without the button.
func TestRequesterCardFollowsOnSlack(t *testing.T) {
	e := MustMakeupEnv(t, func(o *core.Org) {
		o.LeaveTypes = []core.LeaveType{{ID: "annual", Name: "年假", AnnualQuotaDays: 10, Paid: true}}
	})
	tests := []struct {
		name, file, decide string
		want               []string // in the updated card
		button             bool     // the updated card still offers Withdraw
	}{
		{name: "an approved future leave keeps the button", file: "leave 03-04 annual moving house", decide: "approve %s",
			want: []string{"Leave request #%s (年假 2026-03-04 (Wed), all day)", "✅ Approved by Mia Manager · 03-02 0"}, button: true},
		{name: "an approved leave that has started loses it", file: "leave 03-02 annual sick child", decide: "approve %s",
			want: []string{"Leave request #%s (年假 2026-03-02 (Mon), all day)", "✅ Approved by Mia Manager"}},
		{name: "a rejected leave shows the reason", file: "leave 03-05 annual dentist", decide: "reject %s short-staffed that day",
			want: []string{"❌ Rejected by Mia Manager", "Reason: short-staffed that day"}},
	}
	var keptID, keptValue string
	for i, tt := range tests {
		e.clock.Add(time.Minute)
		id, value := e.fileByDM(tt.file, fmt.Sprintf("EvR%d", i))
		ts := e.requesterCardTS(id)
		mark := len(e.slack.Calls("chat.update"))
		if status, _, raw := e.slash("T1", "UM", fmt.Sprintf(tt.decide, id)); status != http.StatusOK {
			t.Fatalf("%s: decision = %d %s", tt.name, status, raw)
		}
		e.runOutbox()
		var got []call
		for _, u := range e.slack.Calls("chat.update")[mark:] {
			if u.Form.Get("channel") == "D1" {
				got = append(got, u)
			}
		}
		if len(got) != 1 || got[0].Form.Get("ts") != ts {
			t.Fatalf("%s: chat.update of the requester's card = %+v, want one of D1 %s", tt.name, got, ts)
		}
		blocks := unescaped(got[0].blocks())
		for _, w := range tt.want {
			if w = strings.ReplaceAll(w, "%s", id); !strings.Contains(blocks, w) {
				t.Errorf("%s: updated card = %s, want %q", tt.name, blocks, w)
			}
		}
		if strings.Contains(blocks, "makeup_approve") {
			t.Errorf("%s: the requester's card became an approval card: %s", tt.name, blocks)
		}
		if gotValue := withdrawButton(t, got[0].blocks()); (gotValue != "") != tt.button || (tt.button && gotValue != value) {
			t.Errorf("%s: Withdraw button = %q, want it %v (%q)", tt.name, gotValue, tt.button, value)
		}
		if tt.button {
			keptID, keptValue = id, value
		}
	}

	// The kept button still works: Ann withdraws the approved leave (销假).
	mark := len(e.slack.Calls("chat.update"))
	if code, body := e.interact(withdrawClick(e, "U1", keptValue, "9.9.r")); code != http.StatusOK {
		t.Fatalf("click = %d %s", code, body)
	}
	e.runOutbox()
	if got := e.requestStatus(keptID); got != core.MakeupRevoked {
		t.Errorf("request %s is %s, want revoked", keptID, got)
	}
	var card string
	for _, u := range e.slack.Calls("chat.update")[mark:] {
		if u.Form.Get("channel") == "D1" && u.Form.Get("ts") == e.requesterCardTS(keptID) {
			card = u.blocks()
		}
	}
	if !strings.Contains(card, "Withdrawn by the requester after approval") || withdrawButton(t, card) != "" {
		t.Errorf("after the click the requester's card = %s, want withdrawn without the button", card)
	}
}
