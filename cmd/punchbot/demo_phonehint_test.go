package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestDemoPhoneHintNamesTheBoundPort: the demo's "try from a phone" hint
// tunnels to the port the demo listens on and restarts it on the same
// address; it said 127.0.0.1:8080 whatever PUNCHBOT_ADDR was, so the tunnel
// reached nothing (or another program).
func TestDemoPhoneHintNamesTheBoundPort(t *testing.T) {
	tests := []struct {
		name, base, configured, bound string
		want, notWant                 []string
	}{
		{"default", "http://localhost:8080", demoAddr, "127.0.0.1:8080",
			[]string{"cloudflared tunnel --url http://127.0.0.1:8080 ", "PUNCHBOT_PUBLIC_URL=https://<name>.trycloudflare.com punchbot demo"}, []string{"PUNCHBOT_ADDR="}},
		{"PUNCHBOT_ADDR set", "http://127.0.0.1:18080", "127.0.0.1:18080", "127.0.0.1:18080",
			[]string{"cloudflared tunnel --url http://127.0.0.1:18080 ", "PUNCHBOT_ADDR=127.0.0.1:18080 punchbot demo"}, []string{":8080 "}},
		{"all interfaces", "http://localhost:9090", ":9090", "[::]:9090",
			[]string{"cloudflared tunnel --url http://127.0.0.1:9090 ", "PUNCHBOT_ADDR=:9090 punchbot demo"}, nil},
		{"https needs no hint", "https://punch.example.com", demoAddr, "127.0.0.1:8080", nil, []string{"cloudflared"}},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		printPhoneHint(&out, tt.base, tt.configured, tt.bound)
		for _, w := range tt.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: hint = %q, want it to contain %q", tt.name, out.String(), w)
			}
		}
		for _, w := range tt.notWant {
			if strings.Contains(out.String(), w) {
				t.Errorf("%s: hint = %q, want no %q", tt.name, out.String(), w)
			}
		}
	}
}
