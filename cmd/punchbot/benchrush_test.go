package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestBenchRush runs short rushes: every acknowledged punch gets its reply
// (WeCom inline, Feishu through the paced API, Slack through response_url),
// and when the fake platform is stricter than documented, every refusal is
// handled by backing off and delivering later.
func TestBenchRush(t *testing.T) {
	if testing.Short() {
		t.Skip("bench rush runs servers for seconds")
	}
	tests := []struct {
		name           string
		args           []string
		wantViolations bool // at least one
		wantInline     map[core.Platform]bool
	}{
		{"documented limits", []string{"-employees", "300", "-rush", "2m", "-compress", "60", "-timeout", "60s"}, false,
			map[core.Platform]bool{core.PlatformWeCom: true, core.PlatformFeishu: false, core.PlatformSlack: false}},
		// Confirmations of one minute share batch_send calls (8 for
		// 1,500 people), so only a fake far stricter than documented
		// refuses some.
		{"feishu stricter than documented", []string{"-employees", "1500", "-rush", "1m", "-compress", "60", "-platforms", "feishu", "-limits", "0.02", "-timeout", "60s"}, true,
			map[core.Platform]bool{core.PlatformFeishu: false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseRushFlags(tt.args, config{})
			if err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			results, err := runRush(ctx, o, io.MultiWriter(&out))
			t.Log("\n" + out.String())
			if err != nil {
				t.Fatalf("bench rush: %v", err)
			}
			if len(results) != len(tt.wantInline) {
				t.Fatalf("%d platforms ran, want %d", len(results), len(tt.wantInline))
			}
			violations := 0
			for _, r := range results {
				if r.Acked == 0 {
					t.Errorf("%s: no punch acknowledged", r.Platform)
				}
				if r.Delivered() != r.Acked || r.Missing != 0 {
					t.Errorf("%s: %d replies delivered for %d acknowledged punches, want every one", r.Platform, r.Delivered(), r.Acked)
				}
				if r.Unhandled() != 0 {
					t.Errorf("%s: %d limit violations unhandled, want 0", r.Platform, r.Unhandled())
				}
				if got := r.Inline == r.Acked; got != tt.wantInline[r.Platform] {
					t.Errorf("%s: %d of %d replies inline, want inline = %t", r.Platform, r.Inline, r.Acked, tt.wantInline[r.Platform])
				}
				// 1,500 clock-ins of one minute: the confirmations
				// queue behind the rate limit and share batch_send.
				if r.Platform == core.PlatformFeishu && r.Acked >= 1000 && r.Batched < r.Acked/2 {
					t.Errorf("feishu: %d of %d confirmations by batch_send, want most during the rush", r.Batched, r.Acked)
				}
				violations += r.Violations
			}
			// Within the documented limits a compressed run may still meet a
			// few refusals (a window of 1/60 s is narrower than the
			// loopback's jitter); what matters is that each is handled.
			if tt.wantViolations && violations == 0 {
				t.Errorf("no limit violations, want the stricter fake to refuse some")
			}
		})
	}
}
