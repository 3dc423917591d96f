package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

// config is everything punchbot reads from PUNCHBOT_* environment variables.
type config struct {
	Addr             string
	DatabaseURL      string // postgres://…; empty selects the embedded SQLite file
	DBPath           string
	RedisURL         string // empty selects the in-process equivalent
	PublicURL        string
	AdminToken       string
	TimeZone         string
	Secret           string // signs location-page links; must be shared by replicas
	secretGenerated  bool
	Contact          string
	TrustedProxies   []netip.Prefix
	OfflineTolerance time.Duration
	LogLevel         slog.Level
	LogFormat        string
	// DebugAddr serves net/http/pprof when set (PUNCHBOT_DEBUG_ADDR); a
	// bare port means loopback. See pprof.go.
	DebugAddr string

	Slack  slackConfig
	Feishu feishuConfig
	WeCom  wecomConfig
	Sched  schedConfig // see reminders.go

	// RetentionDays is how long precise punch positions are kept before
	// the daily job reduces them to a site and a distance band.
	RetentionDays int

	// MaxInflight bounds the platform callbacks handled at once
	// (PUNCHBOT_MAX_INFLIGHT); past it they are answered 503 with
	// Retry-After. Zero derives it from the store (see admission.go).
	MaxInflight int
}

type slackConfig struct{ SigningSecret, BotToken, APIURL string }

type feishuConfig struct{ AppID, AppSecret, VerificationToken, EncryptKey, BaseURL string }

type wecomConfig struct{ CorpID, AgentID, Secret, Token, EncodingAESKey, APIURL string }

// loadConfig reads and validates the environment. Every problem is reported
// at once so an operator fixes them in one go.
func loadConfig(getenv func(string) string) (config, error) {
	env := func(name, def string) string {
		if v := strings.TrimSpace(getenv("PUNCHBOT_" + name)); v != "" {
			return v
		}
		return def
	}
	c := config{
		Addr:        env("ADDR", ":8080"),
		DatabaseURL: env("DATABASE_URL", ""),
		DBPath:      env("DB_PATH", "punchbot.db"),
		RedisURL:    env("REDIS_URL", ""),
		PublicURL:   strings.TrimRight(env("PUBLIC_URL", ""), "/"),
		AdminToken:  env("ADMIN_TOKEN", ""),
		TimeZone:    env("TIMEZONE", "Asia/Shanghai"),
		Secret:      env("SECRET", ""),
		Contact:     env("CONTACT", "HR"),
		LogFormat:   env("LOG_FORMAT", "text"),
		Slack:       slackConfig{env("SLACK_SIGNING_SECRET", ""), env("SLACK_BOT_TOKEN", ""), env("SLACK_API_URL", "https://slack.com/api/")},
		Feishu: feishuConfig{env("FEISHU_APP_ID", ""), env("FEISHU_APP_SECRET", ""), env("FEISHU_VERIFICATION_TOKEN", ""),
			env("FEISHU_ENCRYPT_KEY", ""), env("FEISHU_BASE_URL", "https://open.feishu.cn")},
		WeCom: wecomConfig{env("WECOM_CORP_ID", ""), env("WECOM_AGENT_ID", ""), env("WECOM_SECRET", ""), env("WECOM_TOKEN", ""),
			env("WECOM_ENCODING_AES_KEY", ""), env("WECOM_API_URL", "https://qyapi.weixin.qq.com")},
	}
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("PUNCHBOT_%s: %s", name, fmt.Sprintf(format, args...)))
	}
	if c.PublicURL == "" {
		host := c.Addr
		if strings.HasPrefix(host, ":") {
			host = "localhost" + host
		}
		c.PublicURL = "http://" + host
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("PUBLIC_URL", "%q is not an http(s) URL", c.PublicURL)
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		bad("DATABASE_URL", "must start with postgres:// (leave it empty for the embedded SQLite file)")
	}
	if c.RedisURL != "" && !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") {
		bad("REDIS_URL", "must start with redis:// or rediss://")
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		bad("TIMEZONE", "unknown time zone %q", c.TimeZone)
	}
	for _, r := range strings.FieldsFunc(env("TRUSTED_PROXIES", ""), func(r rune) bool { return r == ',' || r == ' ' }) {
		p, err := netip.ParsePrefix(r)
		if err != nil {
			bad("TRUSTED_PROXIES", "%q is not a CIDR range", r)
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	c.RetentionDays = core.DefaultRetentionDays
	if v := env("RETENTION_DAYS", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 3650 {
			bad("RETENTION_DAYS", "%q is not a number of days from 1 to 3650", v)
		}
		c.RetentionDays = n
	}
	if v := env("MAX_INFLIGHT", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100_000 {
			bad("MAX_INFLIGHT", "%q is not a number of requests from 1 to 100000", v)
		}
		c.MaxInflight = n
	}
	c.OfflineTolerance = 12 * time.Hour
	if v := env("OFFLINE_TOLERANCE", ""); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			bad("OFFLINE_TOLERANCE", "%q is not a positive duration like 12h", v)
		}
		c.OfflineTolerance = d
	}
	if err := c.LogLevel.UnmarshalText([]byte(env("LOG_LEVEL", "info"))); err != nil {
		bad("LOG_LEVEL", "must be debug, info, warn or error")
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("LOG_FORMAT", "must be text or json")
	}
	if v := env("DEBUG_ADDR", ""); v != "" {
		addr, err := debugAddr(v)
		if err != nil {
			bad("DEBUG_ADDR", "%v", err)
		}
		c.DebugAddr = addr
	}
	if c.Secret == "" {
		// A random secret works for one process; replicas must share one.
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		c.Secret, c.secretGenerated = hex.EncodeToString(b), true
	} else if len(c.Secret) < 32 {
		// The link signer (bots/web) refuses shorter keys; saying so here
		// reports it with every other problem instead of after the store
		// has opened.
		bad("SECRET", "must be at least 32 characters (e.g. `openssl rand -hex 32`)")
	}
	if c.Slack.SigningSecret != "" && c.Slack.BotToken == "" {
		bad("SLACK_BOT_TOKEN", "is required when PUNCHBOT_SLACK_SIGNING_SECRET is set")
	}
	if c.Feishu.AppID != "" && c.Feishu.AppSecret == "" {
		bad("FEISHU_APP_SECRET", "is required when PUNCHBOT_FEISHU_APP_ID is set")
	}
	if c.WeCom.CorpID != "" {
		if c.WeCom.Token == "" || c.WeCom.EncodingAESKey == "" || c.WeCom.Secret == "" || c.WeCom.AgentID == "" {
			bad("WECOM_*", "AGENT_ID, SECRET, TOKEN and ENCODING_AES_KEY are required when PUNCHBOT_WECOM_CORP_ID is set")
		}
		if _, err := strconv.Atoi(c.WeCom.AgentID); c.WeCom.AgentID != "" && err != nil {
			bad("WECOM_AGENT_ID", "%q is not a number", c.WeCom.AgentID)
		}
	}
	sched, schedErrs := loadSchedConfig(env)
	c.Sched, errs = sched, append(errs, schedErrs...)
	return c, errors.Join(errs...)
}

// mask hides a secret in logs, keeping enough to tell two apart.
func mask(s string) string {
	switch {
	case s == "":
		return ""
	case len(s) <= 8:
		return "****"
	}
	return s[:3] + "…" + s[len(s)-2:]
}

// maskURL hides the password in a connection URL.
func maskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "****")
	}
	return u.String()
}

// LogValue renders the configuration for the start-up log with every secret
// masked.
func (c config) LogValue() slog.Value {
	store := "sqlite:" + c.DBPath
	if c.DatabaseURL != "" {
		store = maskURL(c.DatabaseURL)
	}
	kv := "memory"
	if c.RedisURL != "" {
		kv = maskURL(c.RedisURL)
	}
	return slog.GroupValue(
		slog.String("addr", c.Addr), slog.String("store", store), slog.String("kv", kv),
		slog.String("public_url", c.PublicURL), slog.String("timezone", c.TimeZone),
		slog.String("debug_addr", c.DebugAddr),
		slog.String("admin_token", mask(c.AdminToken)), slog.String("secret", mask(c.Secret)),
		slog.Duration("offline_tolerance", c.OfflineTolerance), slog.Int("retention_days", c.RetentionDays),
		slog.Bool("slack", c.Slack.SigningSecret != ""), slog.String("slack_bot_token", mask(c.Slack.BotToken)),
		slog.Bool("feishu", c.Feishu.AppID != ""), slog.String("feishu_app_secret", mask(c.Feishu.AppSecret)),
		slog.Bool("wecom", c.WeCom.CorpID != ""), slog.String("wecom_secret", mask(c.WeCom.Secret)),
	)
}
