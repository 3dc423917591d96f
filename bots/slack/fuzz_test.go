package slack_test

import (
	"net/http"
	"testing"
	"time"

	punchslack "github.com/punchbot/punchbot/bots/slack"
)

// The fuzz targets send arbitrary, correctly signed requests through the
// whole handler (signature, form parsing, slack-go's payload decoding, the
// grammar, the core on a memory store), so that the fuzzer reaches what
// lies behind the signature check. Whatever the input, the bot must not
// panic and must answer 200 (Slack shows the ephemeral answer) or a 4xx,
// never a 5xx: the memory store does not fail.

const formType = "application/x-www-form-urlencoded"

func okOr4xx(t *testing.T, what string, status int, input string) {
	t.Helper()
	if status != http.StatusOK && (status < 400 || status >= 500) {
		t.Fatalf("%s: status %d for %q", what, status, input)
	}
}

// FuzzCommand fuzzes the body of a slash command, fields and encoding.
func FuzzCommand(f *testing.F) {
	e := MustEnv(f)
	for i, seed := range []struct{ team, user, text string }{
		{"T1", "U1", "in"},
		{"T1", "U2", "补卡 11-25 09:00 上班 地铁故障"},
		{"T1", "U1", "status"},
		{"T9", "U1", "out"},
		{"T1", "U404", "in"},
		{"T1", "U1", "leave 2026-03-05 annual \x00"},
	} {
		f.Add(slashBody(seed.team, seed.user, seed.text, i))
	}
	f.Add("text=%zz&user_id=U1")
	f.Add("")
	f.Fuzz(func(t *testing.T, body string) {
		e.t = t // the env reports to the running input, not to f
		resp := e.post("/slack/commands", formType, body)
		resp.Body.Close()
		okOr4xx(t, "/slack/commands", resp.StatusCode, body)
		e.clock.Add(time.Millisecond)
	})
}

// FuzzInteraction fuzzes the payload of an interaction: block actions,
// view submissions, and whatever else the JSON may say.
func FuzzInteraction(f *testing.F) {
	e := MustEnv(f)
	f.Add(blockAction(e, "U1", punchslack.ActionPunchIn, "1.1.a"))
	f.Add(blockAction(e, "U404", punchslack.ActionPunchIn, "1.1.b"))
	f.Add(blockAction(e, "U1", punchslack.ActionOpenLocation, "1.1.c"))
	f.Add(`{"type":"view_submission","user":{"id":"U1","team_id":"T1"},"team":{"id":"T1"},"view":{"callback_id":"x","private_metadata":"{","state":{"values":{"b":{"a":{"type":"plain_text_input","value":"\u0000"}}}}}}`)
	f.Add(`{"type":"block_actions","actions":[]}`)
	f.Add(`{}`)
	f.Add(`not json`)
	f.Fuzz(func(t *testing.T, payload string) {
		e.t = t
		resp := e.post("/slack/interactions", formType, interactionBody(payload))
		resp.Body.Close()
		okOr4xx(t, "/slack/interactions", resp.StatusCode, payload)
		e.clock.Add(time.Millisecond)
	})
}
