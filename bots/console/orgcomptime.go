package console

import (
	"slices"
	"strconv"
	"strings"

	"github.com/punchbot/punchbot/core"
)

// The policy form's leave type lines keep a time-off-in-lieu type (调休,
// core/comptime.go) as two more tokens, "from_overtime=rest_day,holiday
// expire_days=90", so that saving the form does not turn it back into an
// ordinary type.

// compLeaveTokens are the tokens of t's comp fields, "" for an ordinary type.
func compLeaveTokens(t core.LeaveType) string {
	if !t.Comp() {
		return ""
	}
	out := " from_overtime=" + core.JoinOvertimeKinds(t.FromOvertime)
	if t.ExpireDays > 0 {
		out += " expire_days=" + strconv.Itoa(t.ExpireDays)
	}
	return out
}

// parseCompLeaveToken reads one comp token into t; false when x is not a
// valid one (the line is then reported as unreadable).
func parseCompLeaveToken(x string, t *core.LeaveType) bool {
	key, val, ok := strings.Cut(x, "=")
	if !ok {
		return false
	}
	switch strings.ToLower(key) {
	case "from_overtime":
		kinds := core.SplitOvertimeKinds(strings.ToLower(val))
		for i, k := range kinds {
			if !core.ValidOvertimeKind(k) || slices.Contains(kinds[:i], k) {
				return false
			}
		}
		t.FromOvertime = kinds
		return len(kinds) > 0
	case "expire_days":
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 || n > core.MaxCompExpireDays {
			return false
		}
		t.ExpireDays = n
		return true
	}
	return false
}
