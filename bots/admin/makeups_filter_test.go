package admin

import (
	"net/http"
	"strings"
	"testing"
)

// TestMakeupFilterErrorsListEveryValue: a bad status or type is answered
// with every value the filter accepts; the messages had left out overtime
// and revoked, which the filter takes.
func TestMakeupFilterErrorsListEveryValue(t *testing.T) {
	f, _ := makeupFixture(t)
	tests := []struct {
		query string
		want  []string
	}{
		{"type=bogus", []string{"type", "bogus", "makeup", "field", "leave", "trip", "outing", "overtime"}},
		{"status=bogus", []string{"status", "bogus", "pending", "approved", "rejected", "cancelled", "expired", "revoked"}},
	}
	for _, tt := range tests {
		body := string(f.MustDo(t, http.MethodGet, "/api/v1/makeups?"+tt.query, nil, http.StatusBadRequest))
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("?%s = %s, want it to name %q", tt.query, body, w)
			}
		}
	}
	for _, q := range []string{"type=overtime", "status=revoked"} {
		f.MustDo(t, http.MethodGet, "/api/v1/makeups?"+q, nil, http.StatusOK)
	}
}
