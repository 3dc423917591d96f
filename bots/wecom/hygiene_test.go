package wecom

import (
	"net/http"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// Text that cannot be stored and fixes that say nothing never reach a 5xx
// (WeCom would retry for ever) and store nothing wrong.
func TestUnstorableInputThroughWeCom(t *testing.T) {
	lat, lng := gcjNear(10)
	tests := []struct {
		name   string
		plain  func(e *env) string
		status int
		stored int // punches stored, all of them with clean text
	}{
		// XML 1.0 has no NUL and no C0 controls: the parser refuses them.
		{"NUL in the sender", func(e *env) string { return locationXML("zhang\x00san", lat, lng, "", "5001", e.unix(0)) }, http.StatusBadRequest, 0},
		{"invalid UTF-8 in the label", func(e *env) string { return locationXML(testUser, lat, lng, "望京\xff", "5002", e.unix(0)) }, http.StatusBadRequest, 0},
		{"control character reference in the label", func(e *env) string {
			return locationXML(testUser, lat, lng, "]]>&#1;<![CDATA[", "5003", e.unix(0))
		}, http.StatusBadRequest, 0},
		// C1 controls are legal XML: the core refuses them in ids and
		// drops them from labels.
		{"C1 control in the sender", func(e *env) string { return locationXML("zhang\u0085san", lat, lng, "", "5004", e.unix(0)) }, http.StatusBadRequest, 0},
		{"C1 control in the label", func(e *env) string { return locationXML(testUser, lat, lng, "望京\u0085SOHO", "5005", e.unix(0)) }, http.StatusOK, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			rec := e.deliver(e.seal(tc.plain(e)))
			if rec.Code != tc.status {
				t.Errorf("status = %d (%s), want %d", rec.Code, rec.Body.String(), tc.status)
			}
			ps := e.punches()
			if len(ps) != tc.stored {
				t.Errorf("stored %d punches, want %d", len(ps), tc.stored)
			}
			for _, p := range ps {
				if p.Label != "" && p.Label != "望京SOHO" {
					t.Errorf("label = %q, want the control character dropped", p.Label)
				}
				if core.TextProblem(p.Label) != "" || core.TextProblem(p.EventID) != "" {
					t.Errorf("stored a punch with unstorable text: %+v", p)
				}
			}
		})
	}
}

// A LOCATION report with Precision 1e9 followed by 打卡 does not become an
// accepted punch: the core refuses fixes vaguer than 100 km on every channel.
func TestImplausiblePrecisionThroughWeCom(t *testing.T) {
	e := newEnv(t, envOptions{})
	lat, lng := gcjNear(10)
	e.post(locationEventXML(testUser, lat, lng, 1e9, e.unix(0)))
	e.clock.Advance(10 * time.Second)
	e.post(textXML(testUser, "打卡", "5101", e.unix(0)))
	for _, p := range e.punches() {
		if p.Outcome == core.OutcomeAccepted || p.AccuracyM > core.MaxPlausibleAccuracyM {
			t.Errorf("stored %s punch with accuracy %v m", p.Outcome, p.AccuracyM)
		}
	}
	rs := e.replies()
	if len(rs) != 1 || rs[0].Outcome != core.OutcomeNeedLocation {
		t.Errorf("replies = %+v, want one asking for a location", rs)
	}
}
