package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// A refusal the next fix may cure (too coarse) leaves the link usable: the
// page offers a retry, the retry with a good fix punches, and the link is
// spent only then.
func TestLowAccuracyRefusalKeepsTheLinkForARetry(t *testing.T) {
	f := MustFixture(t, Config{})
	link := f.MustLink(t, "U1", "Ann Lee", "en", core.KindIn)

	status, res := MustPost(t, link, at("39.9087", "116.3984", "3000"))
	if status != http.StatusOK || res.State != "rejected" || !res.Retry || !strings.Contains(res.Headline, "too imprecise") {
		t.Fatalf("coarse POST = %d %+v, want 200 rejected with the accuracy and retry", status, res)
	}
	status, res = MustPost(t, link, at("39.9087", "116.3984", "3000"))
	if status != http.StatusOK || res.State != "rejected" || !res.Retry {
		t.Fatalf("second coarse POST = %d %+v, want another 200 rejected with retry, not used", status, res)
	}
	status, res = MustPost(t, link, at("39.9087", "116.3984", "25"))
	if status != http.StatusOK || res.State != "accepted" || res.Retry {
		t.Fatalf("retry with a good fix = %d %+v, want 200 accepted", status, res)
	}
	status, res = MustPost(t, link, at("39.9087", "116.3984", "25"))
	if status != http.StatusConflict || res.State != stateUsed || !strings.Contains(res.Headline, "Clock-in recorded") {
		t.Errorf("replay of the kept punch = %d %+v, want 409 used with the first answer", status, res)
	}
	// The spent page with a coarse fix: the first answer, no retry, and
	// no further attempt stored.
	status, res = MustPost(t, link, at("39.9087", "116.3984", "3000"))
	if status != http.StatusConflict || res.State != stateUsed || res.Retry || !strings.Contains(res.Headline, "Clock-in recorded") {
		t.Errorf("coarse POST after the kept punch = %d %+v, want 409 used with the first answer", status, res)
	}
	var accepted, rejected int
	for _, p := range f.punches(t) {
		switch p.Outcome {
		case core.OutcomeAccepted:
			accepted++
		case core.OutcomeRejected:
			rejected++
			if p.EventID != "" {
				t.Errorf("refused attempt event = %q, want none so the link stays usable", p.EventID)
			}
		}
	}
	if accepted != 1 || rejected != 2 {
		t.Errorf("punches: accepted %d rejected %d, want 1 and 2 (attempts stay on record)", accepted, rejected)
	}
}

// A refusal a retry cannot cure (outside the area) still spends the link.
func TestOutOfRangeRefusalSpendsTheLink(t *testing.T) {
	f := MustFixture(t, Config{})
	link := f.MustLink(t, "U1", "Ann Lee", "en", core.KindIn)
	if status, res := MustPost(t, link, at("39.8950", "116.4100", "20")); status != http.StatusOK || res.State != "rejected" || res.Retry {
		t.Fatalf("outside POST = %d %+v, want 200 rejected without retry", status, res)
	}
	if status, res := MustPost(t, link, at("39.9087", "116.3984", "25")); status != http.StatusConflict || res.State != stateUsed {
		t.Errorf("second POST = %d %+v, want 409 used", status, res)
	}
}

func TestLinkRetryable(t *testing.T) {
	tests := []struct {
		source  string
		outcome core.Outcome
		reasons []string
		want    bool
	}{
		{"web", core.OutcomeRejected, []string{core.ReasonLowAccuracy}, true},
		{"web", core.OutcomeRejected, []string{core.ReasonTooOld}, true},
		{"web", core.OutcomeRejected, []string{core.ReasonLowAccuracy, core.ReasonOutOfRange}, false},
		{"web", core.OutcomeRejected, []string{core.ReasonOutOfRange}, false},
		{"web", core.OutcomeRejected, nil, false},
		{"web", core.OutcomeAccepted, []string{core.ReasonLowAccuracy}, false},
		{"slack", core.OutcomeRejected, []string{core.ReasonLowAccuracy}, false},
	}
	for _, tc := range tests {
		if got := core.LinkRetryable(tc.source, tc.outcome, tc.reasons); got != tc.want {
			t.Errorf("LinkRetryable(%s, %s, %v) = %v, want %v", tc.source, tc.outcome, tc.reasons, got, tc.want)
		}
	}
}
