package slack

import (
	"net/http"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// Slack's documented example (docs.slack.dev, verifying requests), checked
// byte for byte: the 32-character secret; a 31-character copy circulating in
// public repositories does not match.
const (
	docSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	docTS     = "1531420618"
	docBody   = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	docSig    = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"

	// slack-go v0.35.0 security_test.go: validSigningSecret, validBody, newHeader(true).
	goSecret = "e6b19c573432dcc6b075501d51b51bb8"
	goTS     = "1531431954"
	goBody   = `{"token":"aF5ynEYQH0dFN9imlgcADxDB","team_id":"XXXXXXXXX","api_app_id":"YYYYYYYYY","event":{"type":"app_mention","user":"AAAAAAAAA","text":"<@EEEEEEEEE> hello world","client_msg_id":"477cc591-ch73-a14z-4db8-g0cd76321bec","ts":"1531431954.000073","channel":"TTTTTTTTT","event_ts":"1531431954.000073"},"type":"event_callback","event_id":"TvBP7LRED7","event_time":1531431954,"authed_users":["EEEEEEEEE"]}`
	goSig    = "v0=adada4ed31709aef585c2580ca3267678c6a8eaeb7e0c1aca3ee57b656886b2c"
)

func header(sig, ts string) http.Header {
	h := http.Header{}
	if sig != "" {
		h.Set("X-Slack-Signature", sig)
	}
	if ts != "" {
		h.Set("X-Slack-Request-Timestamp", ts)
	}
	return h
}

func TestSignVectors(t *testing.T) {
	tests := []struct {
		name, secret, ts, body, want string
	}{
		{"Slack documentation", docSecret, docTS, docBody, docSig},
		{"slack-go security_test", goSecret, goTS, goBody, goSig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Sign(tc.secret, tc.ts, []byte(tc.body)); got != tc.want {
				t.Errorf("Sign = %s, want %s", got, tc.want)
			}
		})
	}
	if got := Sign(docSecret[:31], docTS, []byte(docBody)); got == docSig {
		t.Errorf("the truncated 31-character secret must not match the documented signature")
	}
}

func TestVerify(t *testing.T) {
	ts := time.Unix(1531420618, 0)
	tests := []struct {
		name   string
		secret string
		h      http.Header
		body   string
		now    time.Time
		ok     bool
	}{
		{"documented vector at its own time", docSecret, header(docSig, docTS), docBody, ts, true},
		{"slack-go vector at its own time", goSecret, header(goSig, goTS), goBody, time.Unix(1531431954, 0), true},
		{"4m59s late", docSecret, header(docSig, docTS), docBody, ts.Add(5*time.Minute - time.Second), true},
		{"exactly 5 minutes late", docSecret, header(docSig, docTS), docBody, ts.Add(5 * time.Minute), true},
		{"5m01s late: a replay", docSecret, header(docSig, docTS), docBody, ts.Add(5*time.Minute + time.Second), false},
		{"5m01s in the future", docSecret, header(docSig, docTS), docBody, ts.Add(-5*time.Minute - time.Second), false},
		{"the documented vector today", docSecret, header(docSig, docTS), docBody, time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), false},
		{"body changed", docSecret, header(docSig, docTS), docBody + "&x=1", ts, false},
		{"wrong secret", goSecret, header(docSig, docTS), docBody, ts, false},
		{"timestamp changed", docSecret, header(docSig, "1531420619"), docBody, ts, false},
		{"no signature", docSecret, header("", docTS), docBody, ts, false},
		{"no timestamp", docSecret, header(docSig, ""), docBody, ts, false},
		{"timestamp not a number", docSecret, header(docSig, "yesterday"), docBody, ts, false},
		{"unknown version", docSecret, header("v1="+docSig[3:], docTS), docBody, ts, false},
		{"not hex", docSecret, header("v0=zz", docTS), docBody, ts, false},
		{"short signature", docSecret, header(docSig[:40], docTS), docBody, ts, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(tc.secret, tc.h, []byte(tc.body), tc.now)
			if tc.ok && err != nil {
				t.Errorf("Verify = %v, want ok", err)
			}
			if !tc.ok && core.ErrorCode(err) != core.EUNAUTHORIZED {
				t.Errorf("Verify = %v, want EUNAUTHORIZED", err)
			}
		})
	}
}

func TestMessageTime(t *testing.T) {
	tests := []struct {
		ts   string
		want time.Time
	}{
		{"1531431954.000073", time.Unix(1531431954, 73000)},
		{"1531431954", time.Unix(1531431954, 0)},
		{"", time.Time{}},
		{"abc.def", time.Time{}},
		{"-5.000001", time.Time{}},
	}
	for _, tc := range tests {
		if got := messageTime(tc.ts); !got.Equal(tc.want) {
			t.Errorf("messageTime(%q) = %v, want %v", tc.ts, got, tc.want)
		}
	}
}
