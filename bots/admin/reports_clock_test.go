package admin

import (
	"testing"
	"time"
)

// TestClockOn: a punch on a later calendar date than its shift is marked
// +1 (+2), also after the 23-hour night the clock springs forward.
func TestClockOn(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		at   time.Time
		date string
		want string
	}{
		{"same day", time.Date(2026, 11, 26, 18, 5, 0, 0, sh), "2026-11-26", "18:05"},
		{"overnight check-out", time.Date(2026, 11, 27, 6, 2, 0, 0, sh), "2026-11-26", "06:02 (+1)"},
		{"two days later", time.Date(2026, 11, 28, 0, 10, 0, 0, sh), "2026-11-26", "00:10 (+2)"},
		{"after the spring-forward night", time.Date(2026, 3, 9, 0, 30, 0, 0, ny), "2026-03-08", "00:30 (+1)"},
		{"after the fall-back night", time.Date(2026, 11, 2, 0, 30, 0, 0, ny), "2026-11-01", "00:30 (+1)"},
		{"no punch", time.Time{}, "2026-11-26", ""},
	}
	for _, tc := range tests {
		if got := ClockOn(tc.at, tc.date); got != tc.want {
			t.Errorf("%s: ClockOn(%s, %s) = %q, want %q", tc.name, tc.at, tc.date, got, tc.want)
		}
	}
}
