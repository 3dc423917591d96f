package bots

import (
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestErrorTextConflict: a conflict (a request decided or withdrawn
// first) is no system fault to retry, and names the request's own kind.
func TestErrorTextConflict(t *testing.T) {
	err := core.Errorf(core.ECONFLICT, "leave request 50 is already rejected")
	tests := []struct {
		lang, want string
	}{
		{"zh", "未执行：已被处理或已更改，请查看最新状态。"},
		{"en", "Not done: leave request 50 is already rejected."},
	}
	for _, tt := range tests {
		if got := ErrorText(err, tt.lang); got != tt.want {
			t.Errorf("ErrorText(conflict, %s) = %q, want %q", tt.lang, got, tt.want)
		}
	}
}
