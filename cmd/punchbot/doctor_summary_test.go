package main

import "testing"

// TestDoctorSummaryLeavesSkippedOut: doctor's closing line counts the
// checks that ran; "2 of 9 checks failed" counted five skipped platforms.
func TestDoctorSummaryLeavesSkippedOut(t *testing.T) {
	tests := []struct {
		failed, skipped, total int
		want                   string
	}{
		{2, 5, 9, "2 of 4 checks failed (5 skipped)"},
		{2, 0, 12, "2 of 12 checks failed"}, // README's example: every platform configured
		{1, 1, 2, "1 of 1 checks failed (1 skipped)"},
	}
	for _, tt := range tests {
		if got := doctorSummary(tt.failed, tt.skipped, tt.total); got != tt.want {
			t.Errorf("doctorSummary(%d, %d, %d) = %q, want %q", tt.failed, tt.skipped, tt.total, got, tt.want)
		}
	}
}
