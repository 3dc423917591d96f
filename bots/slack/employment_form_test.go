package slack

import (
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestNotEmployedRefusalBlock: a form refused because its date is outside
// the employment shows the reason next to the date to change.
func TestNotEmployedRefusalBlock(t *testing.T) {
	v := &core.MakeupView{Refusal: &core.MakeupRefusal{Rule: core.RequestNotEmployed, Joined: "2026-12-05",
		Outside: []core.DateSpan{{From: "2026-12-01", To: "2026-12-01"}}}}
	tests := []struct{ form, got, want string }{
		{"make-up", makeupProblemBlock(v), blockDate},
		{"leave", leaveProblemBlock(v), blockLeaveFrom},
		{"overtime", overtimeProblemBlock(v), blockOvertimeDate},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s form: block %q, want %q", tt.form, tt.got, tt.want)
		}
	}
}
