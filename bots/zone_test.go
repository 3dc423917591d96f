package bots

import "testing"

func TestZone(t *testing.T) {
	tests := []struct{ name, want string }{
		{"Asia/Shanghai", "Asia/Shanghai"},
		{"America/New_York", "America/New_York"},
		{"", "UTC"},
		{"Nowhere/Atlantis", "UTC"},
	}
	for _, tt := range tests {
		first, again := Zone(tt.name), Zone(tt.name)
		if got := first.String(); got != tt.want {
			t.Errorf("Zone(%q) = %s, want %s", tt.name, got, tt.want)
		}
		if first != again {
			t.Errorf("Zone(%q) twice gave two locations, want the one loaded first", tt.name)
		}
	}
}
