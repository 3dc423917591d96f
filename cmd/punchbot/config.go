package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"slices"
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

	// Playground serves /playground with in-process platform simulators
	// (PUNCHBOT_PLAYGROUND=1; see playground.go). Off by default: the page
	// lets anyone act as anyone.
	Playground bool

	// MapTileURL is a Web-Mercator tile template ({z}/{x}/{y}) for the
	// console's site map picker (PUNCHBOT_MAP_TILE_URL); empty: plain
	// coordinate fields, and no position leaves the server.
	MapTileURL string

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
		Addr:        env("ADDR", defaultAddr),
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
	// The listen address is checked before anything opens, so a typo is
	// reported with the rest instead of after the store has opened.
	addrErr := checkListenAddr(c.Addr)
	if addrErr != nil {
		bad("ADDR", "%v", addrErr)
	}
	if c.PublicURL != "" {
		if err := checkURL(c.PublicURL, "http", "https"); err != nil {
			bad("PUBLIC_URL", "%v; expected the https:// address users reach this server at", err)
		}
	} else if addrErr == nil {
		// Derived from a valid listen address: right for a trial on
		// this machine (serve warns that it is not https).
		c.PublicURL = derivedPublicURL(c.Addr)
	}
	if c.DatabaseURL != "" {
		if err := checkURL(c.DatabaseURL, "postgres", "postgresql"); err != nil {
			bad("DATABASE_URL", "%v; expected postgres://user:password@host:5432/db (leave it empty for the embedded SQLite file)", maskURLError(err, c.DatabaseURL))
		}
	}
	if c.RedisURL != "" {
		if err := checkURL(c.RedisURL, "redis", "rediss"); err != nil {
			bad("REDIS_URL", "%v; expected redis://[:password@]host:6379/0 (leave it empty for the in-process equivalent)", maskURLError(err, c.RedisURL))
		}
	}
	for _, u := range []struct{ name, value string }{
		{"SLACK_API_URL", c.Slack.APIURL}, {"FEISHU_BASE_URL", c.Feishu.BaseURL}, {"WECOM_API_URL", c.WeCom.APIURL},
	} {
		if err := checkURL(u.value, "http", "https"); err != nil {
			bad(u.name, "%v; expected an http(s) URL (the default is the real platform)", err)
		}
	}
	if c.DBPath == "" || strings.HasSuffix(c.DBPath, "/") {
		bad("DB_PATH", "%q is not a file path; expected a file such as /var/lib/punchbot/punchbot.db", c.DBPath)
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
		if err == nil {
			err = checkListenAddr(addr)
		}
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
	} else if len(c.Secret) < minSecretBytes {
		// The link signer (bots/web) and the console refuse shorter keys;
		// saying so here reports it with every other problem instead of
		// after the store has opened.
		bad("SECRET", "must be at least %d characters (bytes), not %d, and the same on every replica, e.g. `openssl rand -hex 32`", minSecretBytes, len(c.Secret))
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
	if c.MapTileURL = env("MAP_TILE_URL", ""); c.MapTileURL != "" {
		if err := checkURL(c.MapTileURL, "https", "http"); err != nil {
			bad("MAP_TILE_URL", "%v; expected a tile template such as https://tile.openstreetmap.org/{z}/{x}/{y}.png", err)
		} else if !strings.Contains(c.MapTileURL, "{z}") || !strings.Contains(c.MapTileURL, "{x}") || !strings.Contains(c.MapTileURL, "{y}") {
			bad("MAP_TILE_URL", "%q lacks {z}, {x} or {y}; expected a tile template such as https://tile.openstreetmap.org/{z}/{x}/{y}.png", c.MapTileURL)
		}
	}
	switch v := strings.ToLower(env("PLAYGROUND", "")); v {
	case "", "0", "false", "no", "off":
	case "1", "true", "yes", "on":
		c.Playground = true
	default:
		bad("PLAYGROUND", "%q is not 1 or 0", v)
	}
	sched, schedErrs := loadSchedConfig(env)
	c.Sched, errs = sched, append(errs, schedErrs...)
	return c, errors.Join(errs...)
}

// defaultAddr is where serve listens without PUNCHBOT_ADDR.
const defaultAddr = ":8080"

// demoAddr is where demo listens without PUNCHBOT_ADDR: loopback only.
const demoAddr = "127.0.0.1:8080"

// demoListen is the demo's listen address. The playground lets whoever
// opens it act as anyone, so the demo stays on this machine unless
// PUNCHBOT_ADDR says otherwise; a phone reaches it through an https tunnel
// to loopback anyway.
func demoListen(getenv func(string) string, addr string) string {
	if getenv("PUNCHBOT_ADDR") == "" {
		return demoAddr
	}
	return addr
}

// minSecretBytes is PUNCHBOT_SECRET's minimum length, the one the link
// signer (bots/web) and the console's session signer enforce
// (TestSecretMinimumMatchesSigners keeps them equal).
const minSecretBytes = 32

// checkListenAddr accepts what net.Listen("tcp", addr) would, with a
// numeric port: ":8080", "127.0.0.1:8080", "[::1]:8080", "host:8080".
// derivedPublicURL is the public URL of a server listening on addr when
// PUNCHBOT_PUBLIC_URL is unset. A loopback or all-interfaces address is
// named localhost: browsers refuse an IP address as a WebAuthn
// relying-party id, and treat http://localhost (not http://127.0.0.1 as
// an RP id) as a secure context, so passkeys stay on for a trial. Another
// host is kept as given.
func derivedPublicURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip, err := netip.ParseAddr(host); host == "" || err == nil && (ip.IsLoopback() || ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func checkListenAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port; expected for example :8080 or 127.0.0.1:8080", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q: the port %q is not a number from 0 to 65535", addr, port)
	}
	if host != "" && !validHost(host) {
		return fmt.Errorf("%q: %q is not an IP address or a host name", addr, host)
	}
	return nil
}

// validHost reports whether host is an IP address or a DNS name.
func validHost(host string) bool {
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	if len(host) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(host, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// checkURL accepts an absolute URL with one of schemes and a host.
func checkURL(raw string, schemes ...string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL", raw)
	}
	if !slices.Contains(schemes, u.Scheme) {
		return fmt.Errorf("%q does not start with %s://", raw, strings.Join(schemes, ":// or "))
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", raw)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%q: the port %q is not a number from 1 to 65535", raw, p)
		}
	}
	return nil
}

// maskURLError keeps a connection URL's password out of an error message.
func maskURLError(err error, raw string) error {
	if masked := maskURL(raw); masked != raw {
		return errors.New(strings.ReplaceAll(err.Error(), raw, masked))
	}
	if u, perr := url.Parse(raw); perr != nil || u.User == nil {
		// An unparsable URL may still hold a password: name it, not print it.
		if strings.Contains(raw, "@") {
			return errors.New("the URL (not shown: it may hold a password) is not valid")
		}
	}
	return err
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
	if _, ok := u.User.Password(); !ok {
		return raw
	}
	// Not url.UserPassword(name, "****"), which prints %2A%2A%2A%2A.
	u.User = url.User(u.User.Username())
	user := u.User.String()
	return strings.Replace(u.String(), "//"+user+"@", "//"+user+":****@", 1)
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
