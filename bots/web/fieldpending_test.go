package web

import (
	"bytes"
	"strings"
	"testing"
)

// TestFieldPendingPageIsNeitherOkNorBad: the location page shows a field
// punch waiting for approval in the waiting colour, not as a success (green)
// or a failure (red), with JavaScript and without.
func TestFieldPendingPageIsNeitherOkNorBad(t *testing.T) {
	tests := []struct{ state, class string }{
		{"accepted", `class="ok"`}, {"field", `class="ok"`}, {"field_pending", `class="wait"`}, {"rejected", `class="bad"`},
	}
	for _, tc := range tests {
		var b bytes.Buffer
		if err := pageTemplate.Execute(&b, messagePage("zh", tc.state, "x")); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), `id="status" role="status" `+tc.class) {
			t.Errorf("%s: page lacks %s", tc.state, tc.class)
		}
	}
	var b bytes.Buffer
	pg := punchPage(claims{Lang: "zh"})
	if err := pageTemplate.Execute(&b, pg); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`res.status === "field_pending" ? "wait"`, `#status.wait{`, `--wait:`} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("punch page lacks %s", w)
		}
	}
}
