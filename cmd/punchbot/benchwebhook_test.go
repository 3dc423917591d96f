package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestBenchWebhook runs `punchbot bench webhook` as a user would, small, on
// each platform and store: every delivery is acknowledged, the database
// holds one punch per delivery (counted in SQL by the command, warmup
// included), and on PostgreSQL a closed loop prints the raw INSERT
// yardstick and the ratio, while an open loop says why it has none. The
// figures themselves are the machine's; what is checked is that the
// command measures the whole path and says so.
func TestBenchWebhook(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server per platform and store")
	}
	pgURL, redisURL := os.Getenv("PUNCHBOT_TEST_DATABASE_URL"), os.Getenv("PUNCHBOT_TEST_REDIS_URL")
	const n, warmup = 120, 10
	tests := []struct {
		platform, store string
		rate            int // open loop; 0: closed
	}{
		{"feishu", "sqlite", 0},
		{"wecom", "sqlite", 0},
		{"slack", "sqlite", 0},
		{"feishu", "postgres", 0},
		{"wecom", "postgres", 0},
		{"slack", "postgres", 0},
		// Open loops stay below what the server takes under -race on a
		// 2-core CI machine that is running the browser tests beside this
		// package (about 200/s there; 400/s was shed with 503s), since
		// every delivery must be acknowledged. Feishu's still exceeds its
		// send API's 15 a second on purpose.
		{"feishu", "postgres", 150},
		{"wecom", "sqlite", 100},
		// Slack's response_url is not metered (pacing.go), so the time
		// from the ack to the confirmation is the outbox's alone.
		{"slack", "sqlite", 100},
	}
	for _, tt := range tests {
		name := tt.platform + "/" + tt.store
		if tt.rate > 0 {
			name += "/open"
		}
		t.Run(name, func(t *testing.T) {
			args := []string{"bench", "webhook", "-platform", tt.platform, "-store", tt.store,
				"-n", fmt.Sprint(n), "-warmup", fmt.Sprint(warmup), "-conc", "8", "-employees", "40", "-sites", "2", "-rate", fmt.Sprint(tt.rate)}
			if tt.store == "postgres" {
				if pgURL == "" {
					t.Skip("PUNCHBOT_TEST_DATABASE_URL is not set")
				}
				redis := redisURL
				if redis == "" {
					redis = "none"
				}
				db := pgURL
				if tt.rate > 0 {
					// A pool size in the URL, as serve takes it.
					db += map[bool]string{true: "&", false: "?"}[strings.Contains(db, "?")] + "pool_max_conns=4"
				}
				args = append(args, "-db", db, "-redis", redis)
			}
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr); code != 0 {
				t.Fatalf("punchbot %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
			}
			out := stdout.String()
			wants := []string{
				fmt.Sprintf("acked:   %d, ", n),
				"non-2xx: none",
				fmt.Sprintf("stored:  %d punches (%d distinct event ids) for %d acknowledged deliveries incl. warmup", n+warmup, n+warmup, n+warmup),
			}
			if tt.store == "postgres" && tt.rate > 0 {
				wants = append(wants, ", 4 PostgreSQL connections\n")
			}
			for _, want := range wants {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			ratio := regexp.MustCompile(`(?m)^ratio:   \d+\.\d\d \(acknowledged/s ÷ raw INSERTs/s\)$`)
			raw := regexp.MustCompile(`(?m)^raw:     [1-9]\d* single-row INSERTs by 8 connections in .*: \d+\.\d/s \([1-9]\d*\.\d/s just before the path, [1-9]\d*\.\d/s just after\)$`)
			if got, want := ratio.MatchString(out) && raw.MatchString(out), tt.store == "postgres" && tt.rate == 0; got != want {
				t.Errorf("raw INSERT yardstick and ratio printed = %t, want %t:\n%s", got, want, out)
			}
			if got, want := strings.Contains(out, "ratio:   not measured in an open loop"), tt.store == "postgres" && tt.rate > 0; got != want {
				t.Errorf("open loop's ratio explained = %t, want %t:\n%s", got, want, out)
			}
			// Every measured punch's confirmation reaches the fake and is
			// matched to its event, whatever way the platform addresses it.
			confirm := regexp.MustCompile(fmt.Sprintf(`(?m)^confirm: %d confirmations reached the fake, p50 .*, max .* after the event was sent \(0 not seen\)$`, n))
			if tt.platform == "wecom" {
				confirm = regexp.MustCompile(`(?m)^confirm: in the callback's answer`)
			}
			if got, want := confirm.MatchString(out), tt.rate > 0; got != want {
				t.Errorf("confirmations timed = %t, want %t:\n%s", got, want, out)
			}
			if tt.rate == 0 || tt.platform == "wecom" {
				return
			}
			if !strings.Contains(out, "warmup:  its confirmations sent in") {
				t.Errorf("no wait for the warmup's confirmations:\n%s", out)
			}
			if tt.platform != "slack" {
				return
			}
			// The outbox's bell sends each confirmation as soon as its
			// punch commits: without it the median waits half the
			// worker's 1 s poll after the ack.
			ackP50 := regexp.MustCompile(`(?m)^latency: p50 ([0-9.]+) ms`).FindStringSubmatch(out)
			confirmP50 := regexp.MustCompile(`(?m)^confirm: .* p50 ([0-9.]+) ms`).FindStringSubmatch(out)
			if ackP50 == nil || confirmP50 == nil {
				t.Fatalf("no ack or confirmation median:\n%s", out)
			}
			a, _ := strconv.ParseFloat(ackP50[1], 64)
			c, _ := strconv.ParseFloat(confirmP50[1], 64)
			if c-a >= 250 {
				t.Errorf("confirmation p50 %s ms is %.0f ms after the ack's %s ms, want < 250 ms (sent on commit, not at the next poll):\n%s", confirmP50[1], c-a, ackP50[1], out)
			}
		})
	}
}
