package bots

import "testing"

func TestParseNoticeSlot(t *testing.T) {
	tests := []struct {
		in     string
		wantOK bool
	}{
		{"2026-11-25|09:00|in|zhangsan|zh", true},
		{"2026-11-25|18:00|out|ou_1|", true},
		{"11-25|09:00|in|zhangsan|zh", false},
		{"2026-11-25|9:00|in|zhangsan|zh", false},
		{"2026-11-25|09:00|auto|zhangsan|zh", false},
		{"2026-11-25|09:00|in||zh", false},
		{"2026-11-25|09:00|in|zhangsan", false},
		{"", false},
	}
	for _, tt := range tests {
		s, ok := ParseNoticeSlot(tt.in)
		if ok != tt.wantOK {
			t.Errorf("ParseNoticeSlot(%q) ok = %v, want %v", tt.in, ok, tt.wantOK)
		}
		if ok && s.Encode() != tt.in {
			t.Errorf("ParseNoticeSlot(%q).Encode() = %q, want the input back", tt.in, s.Encode())
		}
	}
}
