package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/bots/web"
)

// TestConfigErrors: each bad variable is refused with its name and what is
// expected, before anything opens, and never echoes a password.
func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name, value string
		want        []string
		notWant     string
	}{
		{"PUNCHBOT_ADDR", "bad", []string{"PUNCHBOT_ADDR:", `"bad" is not host:port`, ":8080"}, ""},
		{"PUNCHBOT_ADDR", ":99999", []string{"PUNCHBOT_ADDR:", "not a number from 0 to 65535"}, ""},
		{"PUNCHBOT_ADDR", ":http", []string{"PUNCHBOT_ADDR:", "not a number"}, ""},
		{"PUNCHBOT_ADDR", "bad host!:8080", []string{"PUNCHBOT_ADDR:", "not an IP address or a host name"}, ""},
		{"PUNCHBOT_PUBLIC_URL", "punch.example.com", []string{"PUNCHBOT_PUBLIC_URL:", "http:// or https://", "expected the https:// address"}, ""},
		{"PUNCHBOT_PUBLIC_URL", "https://", []string{"PUNCHBOT_PUBLIC_URL:", "has no host"}, ""},
		{"PUNCHBOT_DATABASE_URL", "mysql://db/x", []string{"PUNCHBOT_DATABASE_URL:", "postgres:// or postgresql://", "expected postgres://user:password@host:5432/db"}, ""},
		{"PUNCHBOT_DATABASE_URL", "postgres://app:hunter2@db:99999/x", []string{"PUNCHBOT_DATABASE_URL:", "from 1 to 65535", "app:****@db"}, "hunter2"},
		{"PUNCHBOT_DATABASE_URL", "postgres://app:hun ter2@db:x/", []string{"PUNCHBOT_DATABASE_URL:", "not shown"}, "hun ter2"},
		{"PUNCHBOT_REDIS_URL", "localhost:6379", []string{"PUNCHBOT_REDIS_URL:", "redis:// or rediss://", "expected redis://"}, ""},
		{"PUNCHBOT_SLACK_API_URL", "slack.com/api", []string{"PUNCHBOT_SLACK_API_URL:", "expected an http(s) URL"}, ""},
		{"PUNCHBOT_FEISHU_BASE_URL", "ftp://open.feishu.cn", []string{"PUNCHBOT_FEISHU_BASE_URL:"}, ""},
		{"PUNCHBOT_WECOM_API_URL", "https://", []string{"PUNCHBOT_WECOM_API_URL:", "has no host"}, ""},
		{"PUNCHBOT_SECRET", strings.Repeat("s", minSecretBytes-1), []string{"PUNCHBOT_SECRET:", "at least 32 characters (bytes), not 31", "openssl rand -hex 32"}, ""},
		{"PUNCHBOT_DEBUG_ADDR", ":70000", []string{"PUNCHBOT_DEBUG_ADDR:", "from 0 to 65535"}, ""},
		{"PUNCHBOT_DEBUG_ADDR", "6060", []string{"PUNCHBOT_DEBUG_ADDR:", "host:port"}, ""},
		{"PUNCHBOT_DB_PATH", "/var/lib/punchbot/", []string{"PUNCHBOT_DB_PATH:", "not a file path"}, ""},
		{"PUNCHBOT_MAP_TILE_URL", "tile.openstreetmap.org/{z}/{x}/{y}.png", []string{"PUNCHBOT_MAP_TILE_URL:", "expected a tile template"}, ""},
		{"PUNCHBOT_MAP_TILE_URL", "https://tile.openstreetmap.org/tiles.png", []string{"PUNCHBOT_MAP_TILE_URL:", "lacks {z}, {x} or {y}"}, ""},
		{"PUNCHBOT_TIMEZONE", "Mars/Base", []string{"PUNCHBOT_TIMEZONE:"}, ""},
		{"PUNCHBOT_OFFLINE_TOLERANCE", "12", []string{"PUNCHBOT_OFFLINE_TOLERANCE:", "duration like 12h"}, ""},
		{"PUNCHBOT_LOG_LEVEL", "loud", []string{"PUNCHBOT_LOG_LEVEL:", "debug, info, warn or error"}, ""},
		{"PUNCHBOT_LOG_FORMAT", "xml", []string{"PUNCHBOT_LOG_FORMAT:", "text or json"}, ""},
		{"PUNCHBOT_RETENTION_DAYS", "0", []string{"PUNCHBOT_RETENTION_DAYS:", "1 to 3650"}, ""},
		{"PUNCHBOT_MAX_INFLIGHT", "-1", []string{"PUNCHBOT_MAX_INFLIGHT:"}, ""},
		{"PUNCHBOT_TRUSTED_PROXIES", "10.0.0.0", []string{"PUNCHBOT_TRUSTED_PROXIES:", "CIDR"}, ""},
		{"PUNCHBOT_SCHEDULER_TTL", "1s", []string{"PUNCHBOT_SCHEDULER_TTL:", "at least 3s"}, ""},
		{"PUNCHBOT_WECOM_AGENT_ID", "one", []string{"PUNCHBOT_WECOM_"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "p.db")
			vars := []string{"PUNCHBOT_DB_PATH", db, tc.name, tc.value}
			if strings.HasPrefix(tc.name, "PUNCHBOT_WECOM_") {
				vars = append(vars, "PUNCHBOT_WECOM_CORP_ID", "ww1")
			}
			if tc.name == "PUNCHBOT_DB_PATH" {
				vars = vars[2:]
			}
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"serve"}, env(vars...), &out, &errOut)
			if code != 2 {
				t.Errorf("serve with %s=%q = %d, want 2", tc.name, tc.value, code)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("stderr = %q, want it to contain %q", errOut.String(), w)
				}
			}
			if tc.notWant != "" && strings.Contains(errOut.String(), tc.notWant) {
				t.Errorf("stderr = %q leaks %q", errOut.String(), tc.notWant)
			}
			if _, err := os.Stat(db); err == nil {
				t.Errorf("the store %s was opened despite the configuration error", db)
			}
		})
	}
}

// TestConfigErrorsAllAtOnce: one run names every bad variable, one line
// each, and the listen address is among them.
func TestConfigErrorsAllAtOnce(t *testing.T) {
	db := filepath.Join(t.TempDir(), "p.db")
	var out, errOut bytes.Buffer
	code := run(context.Background(), nil, env("PUNCHBOT_DB_PATH", db, "PUNCHBOT_ADDR", "bad", "PUNCHBOT_SECRET", "short",
		"PUNCHBOT_REDIS_URL", "tcp://r", "PUNCHBOT_LOG_FORMAT", "xml", "PUNCHBOT_SCHEDULER", "maybe"), &out, &errOut)
	if code != 2 {
		t.Errorf("code = %d, want 2", code)
	}
	for _, name := range []string{"PUNCHBOT_ADDR:", "PUNCHBOT_SECRET:", "PUNCHBOT_REDIS_URL:", "PUNCHBOT_LOG_FORMAT:", "PUNCHBOT_SCHEDULER:"} {
		if n := strings.Count(errOut.String(), name); n != 1 {
			t.Errorf("stderr names %s %d times, want once:\n%s", name, n, errOut.String())
		}
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("the store was opened")
	}
}

// TestGoodAddresses are listen addresses serve accepts.
func TestGoodAddresses(t *testing.T) {
	for _, addr := range []string{":8080", "127.0.0.1:0", "[::1]:8080", "0.0.0.0:80", "punchbot.internal:8080", "localhost:65535"} {
		if err := checkListenAddr(addr); err != nil {
			t.Errorf("checkListenAddr(%q) = %v, want nil", addr, err)
		}
	}
}

// TestSecretMinimumMatchesSigners: the minimum config enforces is exactly
// the link signer's, so a secret config accepts never fails later.
func TestSecretMinimumMatchesSigners(t *testing.T) {
	for _, n := range []int{minSecretBytes - 1, minSecretBytes} {
		_, err := web.New(web.Config{Secret: bytes.Repeat([]byte("k"), n), PublicURL: "https://punch.example.com"}, web.Deps{Core: unusedCore{}})
		if got, want := err == nil, n >= minSecretBytes; got != want {
			t.Errorf("web.New with a %d-byte secret: err = %v; config accepts it: %v", n, err, want)
		}
		_, cfgErr := loadConfig(env("PUNCHBOT_SECRET", strings.Repeat("k", n)))
		if got, want := cfgErr == nil, n >= minSecretBytes; got != want {
			t.Errorf("loadConfig with a %d-byte secret: %v", n, cfgErr)
		}
	}
}

// TestJSONLogDurations: durations read as "12.3ms", not nanoseconds, in
// the JSON log, including inside the start-up configuration group.
func TestJSONLogDurations(t *testing.T) {
	cfg, err := loadConfig(env("PUNCHBOT_LOG_FORMAT", "json"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	log := newLogger(cfg, &buf)
	log.Info("x", "outage", 12300*time.Microsecond, slog.Duration("wait", 2*time.Second), "config", cfg)
	for _, want := range []string{`"outage":"12.3ms"`, `"wait":"2s"`, `"offline_tolerance":"12h0m0s"`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("JSON log lacks %s:\n%s", want, buf.String())
		}
	}
}

func TestDemoListensOnLoopbackByDefault(t *testing.T) {
	tests := []struct {
		name string
		env  func(string) string
		addr string
		want string
	}{
		{"no PUNCHBOT_ADDR", env(), defaultAddr, "127.0.0.1:8080"},
		{"PUNCHBOT_ADDR=:8080 asks for every interface", env("PUNCHBOT_ADDR", ":8080"), ":8080", ":8080"},
		{"PUNCHBOT_ADDR=127.0.0.1:0", env("PUNCHBOT_ADDR", "127.0.0.1:0"), "127.0.0.1:0", "127.0.0.1:0"},
	}
	for _, tt := range tests {
		if got := demoListen(tt.env, tt.addr); got != tt.want {
			t.Errorf("%s: demoListen = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestDerivedPublicURLNamesLocalhost: without PUNCHBOT_PUBLIC_URL, a
// loopback or all-interfaces listen address gives http://localhost:port,
// because browsers refuse an IP address as a WebAuthn relying-party id and
// passkeys would be off; another host is kept.
func TestDerivedPublicURLNamesLocalhost(t *testing.T) {
	tests := []struct {
		addr string
		want string
	}{
		{"127.0.0.1:18080", "http://localhost:18080"},
		{"127.0.0.2:8080", "http://localhost:8080"},
		{"[::1]:8080", "http://localhost:8080"},
		{":8080", "http://localhost:8080"},
		{"0.0.0.0:80", "http://localhost:80"},
		{"[::]:8080", "http://localhost:8080"},
		{"localhost:9000", "http://localhost:9000"},
		{"192.0.2.10:8080", "http://192.0.2.10:8080"},
		{"[2001:db8::1]:8080", "http://[2001:db8::1]:8080"},
		{"punchbot.internal:8080", "http://punchbot.internal:8080"},
	}
	for _, tc := range tests {
		cfg, err := loadConfig(env("PUNCHBOT_ADDR", tc.addr))
		if err != nil {
			t.Fatalf("PUNCHBOT_ADDR=%s: %v", tc.addr, err)
		}
		if cfg.PublicURL != tc.want {
			t.Errorf("PUNCHBOT_ADDR=%s: public URL = %q, want %q", tc.addr, cfg.PublicURL, tc.want)
		}
	}
	cfg, err := loadConfig(env("PUNCHBOT_ADDR", "127.0.0.1:18080", "PUNCHBOT_PUBLIC_URL", "http://127.0.0.1:18080"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PublicURL != "http://127.0.0.1:18080" {
		t.Errorf("an explicit PUNCHBOT_PUBLIC_URL became %q, want it kept", cfg.PublicURL)
	}
}
