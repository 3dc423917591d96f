// Package console is the HR console at "/": server-rendered pages (Go
// templates, no external assets, readable without JavaScript) for today's
// attendance, a plot of the day's punches around the sites, exceptions,
// make-up requests, payroll reports, reminders, the audit log, and the page
// where an employee sees everything stored about them. HR also manages the
// organisation there (people, sites, schedules, calendars, the make-up
// policy and leave types, reminders and broadcasts), every edit validated
// as the org file is and audited (org.go); every list is paginated and
// every page fits a 360 px phone.
//
// Sign-in is with the admin token (HR) or with a signed, short-lived,
// single-use link the bot sends ("/punch admin", 管理; "/punch mydata",
// 我的数据). The link becomes an HttpOnly, SameSite=Strict session cookie
// signed with the server secret; every POST carries a CSRF token. Access
// follows the role: HR sees everyone, a manager their reports
// (transitively), an employee only themselves. Every view or export of
// someone else's data is written to the audit log.
package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/punchbot/punchbot/bots/admin"
	"github.com/punchbot/punchbot/bots/internal/passkey"
	"github.com/punchbot/punchbot/core"
)

// Default lifetimes.
const (
	// DefaultLinkTTL is how long a sign-in link works: long enough to open
	// it from a chat, short enough that a forwarded one is useless.
	DefaultLinkTTL = 10 * time.Minute
	// DefaultSessionTTL is how long a console session lasts: a working day.
	DefaultSessionTTL = 12 * time.Hour
)

// Store is what the console reads; the SQL stores and coretest.MemStore
// implement it.
type Store interface {
	core.ReportSource
	core.AuditFinder
	core.OrgInfoStore
	core.EraseStore
	// InTx writes audit entries and reads make-up requests.
	InTx(ctx context.Context, fn func(core.Tx) error) error
	ListPunches(ctx context.Context, f core.PunchFilter) ([]core.Punch, error)
	ListEmployees(ctx context.Context) ([]core.Employee, error)
	Employee(ctx context.Context, id string) (core.Employee, error)
	ListReminders(ctx context.Context) ([]core.Reminder, error)
	// Org and ApplyOrg serve the management pages (org.go).
	admin.OrgReader
	core.OrgStore
}

// Makeups decides and files make-up requests with the same rules as the
// approval cards; core.Service implements it. Without it the console shows
// requests read-only.
type Makeups interface {
	DecideMakeup(ctx context.Context, d core.MakeupDecision) (core.MakeupView, error)
	RequestMakeup(ctx context.Context, employeeID string, a core.MakeupArgs, platform core.Platform) (core.MakeupView, error)
}

// Config configures the console.
type Config struct {
	// Secret signs links, sessions and CSRF tokens (HMAC-SHA256); at least
	// 32 bytes, shared by every replica.
	Secret []byte
	// PublicURL is the base links point at, such as https://punch.example.com.
	PublicURL string
	// AdminToken signs HR in at /login; empty disables token sign-in.
	AdminToken string
	// Zone is the organisation's default zone: it decides what "today" is.
	Zone *time.Location
	// RetentionDays is how long precise positions are kept (shown to
	// employees on their data page); 0 means core.DefaultRetentionDays.
	RetentionDays int
	LinkTTL       time.Duration
	SessionTTL    time.Duration
	// RemindersAPI, when set, is the path of the scheduler's admin API the
	// reminders page links to for previews, runs and delivery counts.
	RemindersAPI string
	// MapTileURL, when set, adds a map picker to the site form, loading
	// tiles from this template ({z}, {x}, {y}), for example
	// https://tile.openstreetmap.org/{z}/{x}/{y}.png
	// (PUNCHBOT_MAP_TILE_URL). Empty keeps plain coordinate fields and
	// sends no position to a third party.
	MapTileURL string
}

// Deps are the console's collaborators.
type Deps struct {
	Store Store
	// Used makes sign-in links single-use (required): the first redemption
	// claims the link's nonce.
	Used core.Deduper
	// Sessions, when set, remembers signed-out sessions so a copied cookie
	// stops working at sign-out rather than at expiry.
	Sessions core.SessionStore
	// Makeups, when set, enables approving and rejecting requests.
	Makeups Makeups
	// Reminders, when set, adds previews, runs and delivery counts to the
	// reminders page.
	Reminders Reminders
	// Problems, when set, lists the set-up problems the platforms report
	// (core.ConfigErrors); HR sees each as a banner naming the fix.
	Problems ConfigProblems
	// CheckOrg adds the org file's validations that live outside core
	// (the scheduler's cron parsing), so a console edit is checked exactly
	// as `punchbot apply` checks a file.
	CheckOrg func(core.Org) []core.FieldError
	Now      func() time.Time
	Log      *slog.Logger
	Rand     io.Reader

	// Devices, when set (with Sessions), adds the devices page and passkey
	// sign-in (devices.go).
	Devices Devices
}

// ConfigProblems lists the platforms' current set-up problems;
// core.ConfigErrors implements it.
type ConfigProblems interface {
	Problems() []core.ConfigProblem
}

// Console serves the pages and issues sign-in links.
type Console struct {
	cfg        Config
	base       string
	secure     bool
	linkKey    []byte
	sessionKey []byte
	adminToken [sha256.Size]byte
	store      Store
	used       core.Deduper
	sessions   core.SessionStore
	makeups    Makeups
	reminders  Reminders
	problems   ConfigProblems
	checkOrg   func(core.Org) []core.FieldError
	now        func() time.Time
	log        *slog.Logger
	rand       io.Reader
	devices    Devices             // devices.go
	keys       *passkey.Ceremonies // devices.go
}

var _ core.LinkSigner = (*Console)(nil)

// New checks the configuration and returns the console.
func New(cfg Config, deps Deps) (*Console, error) {
	if len(cfg.Secret) < 32 {
		return nil, core.Errorf(core.EINVALID, "console: the secret must be at least 32 bytes, got %d", len(cfg.Secret))
	}
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, core.Errorf(core.EINVALID, "console: public URL %q must be an absolute http(s) URL without query", cfg.PublicURL)
	}
	if deps.Store == nil || deps.Used == nil {
		return nil, core.Errorf(core.EINVALID, "console: a store and a deduper (for single-use links) are required")
	}
	if cfg.LinkTTL < 0 || cfg.SessionTTL < 0 || cfg.RetentionDays < 0 {
		return nil, core.Errorf(core.EINVALID, "console: lifetimes and retention must not be negative")
	}
	c := &Console{
		cfg: cfg, base: strings.TrimRight(cfg.PublicURL, "/"), secure: u.Scheme == "https",
		// Separate keys per purpose, so a token of one kind can never be
		// replayed as another even though they share the server secret.
		linkKey: derive(cfg.Secret, "punchbot console link v1"), sessionKey: derive(cfg.Secret, "punchbot console session v1"),
		adminToken: sha256.Sum256([]byte(cfg.AdminToken)),
		store:      deps.Store, used: deps.Used, sessions: deps.Sessions, makeups: deps.Makeups, reminders: deps.Reminders, problems: deps.Problems, checkOrg: deps.CheckOrg, now: deps.Now, log: deps.Log, rand: deps.Rand,
	}
	if err := c.setupDevices(deps); err != nil {
		return nil, err
	}
	if c.cfg.Zone == nil {
		c.cfg.Zone = time.UTC
	}
	if c.cfg.RetentionDays == 0 {
		c.cfg.RetentionDays = core.DefaultRetentionDays
	}
	if c.cfg.LinkTTL == 0 {
		c.cfg.LinkTTL = DefaultLinkTTL
	}
	if c.cfg.SessionTTL == 0 {
		c.cfg.SessionTTL = DefaultSessionTTL
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.rand == nil {
		c.rand = rand.Reader
	}
	return c, nil
}

func derive(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}
