package slack_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/punchbot/punchbot/core"

	punchslack "github.com/punchbot/punchbot/bots/slack"
)

// A delivery whose punch did not commit (the process died between receipt
// and COMMIT) leaves nothing behind that would make its retry look handled:
// the retry punches, once.
func TestRetryAfterAFailedCommitPunches(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		ctype   string
		body    func(e *env) string
		retries []string // headers of the retry
	}{
		{"event", "/slack/events", "application/json",
			func(*env) string { return eventBody("T1", "Ev77", dm("U3", "上班打卡")) },
			[]string{"X-Slack-Retry-Num", "1", "X-Slack-Retry-Reason", "http_error"}},
		{"button click", "/slack/interactions", "application/x-www-form-urlencoded",
			func(e *env) string { return interactionBody(blockAction(e, "U3", punchslack.ActionPunchIn, "7.7.c")) }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := MustEnv(t)
			e.failures = 1
			body := tc.body(e)
			resp := e.post(tc.path, tc.ctype, body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusInternalServerError {
				t.Fatalf("first delivery = %d, want 500 so that it is delivered again", resp.StatusCode)
			}
			if ps := e.punches(); len(ps) != 0 {
				t.Fatalf("punches after the failure = %d, want 0", len(ps))
			}
			for range 2 {
				resp = e.post(tc.path, tc.ctype, body, tc.retries...)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("retry = %d, want 200", resp.StatusCode)
				}
			}
			ps := e.punches()
			if len(ps) != 1 || ps[0].EmployeeID != "e3" || ps[0].Outcome != core.OutcomeAccepted {
				t.Fatalf("punches = %+v, want one accepted punch of e3", ps)
			}
			if n := e.runOutbox(); n != 1 {
				t.Errorf("replies sent = %d, want 1", n)
			}
		})
	}
}

// Text that cannot be stored never reaches a 5xx (which Slack would retry)
// and stores nothing wrong.
func TestUnstorableInputThroughSlack(t *testing.T) {
	tests := []struct {
		name  string
		path  string
		ctype string
		body  func(e *env) string
		want  int
	}{
		{"slash command from a user id with NUL", "/slack/commands", "application/x-www-form-urlencoded",
			func(e *env) string { return slashBody("T1", "U3\x00", "in", 1) }, http.StatusOK},
		{"slash command with invalid UTF-8 text", "/slack/commands", "application/x-www-form-urlencoded",
			func(e *env) string { return slashBody("T1", "U3", "in \xff\x00", 2) }, http.StatusOK},
		{"DM from a user id with NUL", "/slack/events", "application/json",
			func(*env) string { return eventBody("T1", "Ev80", dm("U3\x00", "上班打卡")) }, http.StatusBadRequest},
		{"DM with an event id with NUL", "/slack/events", "application/json",
			func(*env) string { return eventBody("T1", "Ev\x0081", dm("U3", "上班打卡")) }, http.StatusBadRequest},
		{"click from a user id with NUL", "/slack/interactions", "application/x-www-form-urlencoded",
			func(e *env) string {
				return interactionBody(blockAction(e, "U3\x00", punchslack.ActionPunchIn, "8.8.d"))
			}, http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := MustEnv(t)
			resp := e.post(tc.path, tc.ctype, tc.body(e))
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.want)
			}
			for _, p := range e.punches() {
				if core.TextProblem(p.EventID) != "" || core.TextProblem(p.Label) != "" || core.TextProblem(p.EmployeeID) != "" {
					t.Errorf("stored a punch with unstorable text: %+v", p)
				}
			}
		})
	}

	t.Run("location page with an implausible accuracy", func(t *testing.T) {
		e := MustEnv(t)
		_, msg, _ := e.slash("T1", "U1", "in")
		link := e.linkIn(toJSON(t, msg["blocks"]))
		status, _ := e.punchAt(link, url.Values{"lat": {"39.9087"}, "lng": {"116.3975"}, "accuracy": {strconv.FormatFloat(1e9, 'f', -1, 64)}})
		if status < 400 || status >= 500 {
			t.Errorf("status = %d, want a 4xx", status)
		}
		if ps := e.punches(); len(ps) != 0 {
			t.Errorf("punches = %+v, want none", ps)
		}
	})
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
