// Package slack is punchbot's Slack bot: the /punch slash command, direct
// messages and mentions (Events API), and button clicks (interactivity).
// Slack has no location message, so a punch that needs a place is answered
// with a button to a signed one-time link to punchbot's own location page
// (bots/web); the page's result updates the Slack message through the outbox.
package slack

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// DefaultAPIURL is Slack's Web API base.
const DefaultAPIURL = "https://slack.com/api/"

// maxBody bounds a Slack request; real ones are a few kilobytes.
const maxBody = 1 << 20

// ackBudget bounds the core call made while Slack waits: Slack gives up
// after 3 s, and a timed-out call rolls back rather than leave the user
// guessing.
const ackBudget = 2500 * time.Millisecond

// Config configures the bot.
type Config struct {
	SigningSecret string
	BotToken      string
	// APIURL is the Web API base, with a trailing slash; empty means
	// DefaultAPIURL. Tests and proxies point it elsewhere.
	APIURL string
}

// Deps are the bot's collaborators.
type Deps struct {
	Core       bots.Core
	Links      bots.LinkIssuer
	Now        func() time.Time
	Log        *slog.Logger
	HTTPClient *http.Client
	// Makeups records and finds approval cards; defaults to Core when it
	// implements bots.MakeupCore (the real service does).
	Makeups bots.MakeupCore
	// Directory finds the employee behind a Slack account for the entry
	// points whose payload carries no text to guess a language from (the
	// leave shortcut); defaults to Core or Makeups when one implements it
	// (*core.Service does). Without one the shortcut's form is in Chinese.
	Directory Directory
}

// Directory looks up the employee a chat account belongs to without
// recording anything; *core.Service implements it (core/whois.go).
type Directory interface {
	Whois(ctx context.Context, id core.Identity) (core.Whois, error)
}

var _ Directory = (*core.Service)(nil)

// resolveDirectory is the first of the candidates that is a Directory.
func resolveDirectory(candidates ...any) Directory {
	for _, c := range candidates {
		if d, ok := c.(Directory); ok {
			return d
		}
	}
	return nil
}

// Bot serves Slack's request URLs and sends outbox messages to Slack.
type Bot struct {
	secret string
	core   bots.Core
	links  bots.LinkIssuer
	now    func() time.Time
	log    *slog.Logger
	api    *slackapi.Client

	makeups   bots.MakeupCore
	directory Directory // nil: the shortcut cannot tell the language, see Deps.Directory
	dms       dmCache   // DM channels of reminder recipients, see notice.go
}

var _ core.Sender = (*Bot)(nil)

// New checks the configuration and returns the bot.
func New(cfg Config, deps Deps) (*Bot, error) {
	if cfg.SigningSecret == "" {
		return nil, core.Errorf(core.EINVALID, "slack: the signing secret is required")
	}
	if cfg.BotToken == "" {
		return nil, core.Errorf(core.EINVALID, "slack: the bot token is required to send replies")
	}
	if deps.Core == nil {
		return nil, core.Errorf(core.EINVALID, "slack: a core is required")
	}
	if deps.Links == nil {
		return nil, core.Errorf(core.EINVALID, "slack: a location link issuer is required (set the public URL)")
	}
	apiURL := cfg.APIURL
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	if !strings.HasSuffix(apiURL, "/") {
		// slack-go appends method names directly to the base.
		apiURL += "/"
	}
	b := &Bot{secret: cfg.SigningSecret, core: deps.Core, links: deps.Links, now: deps.Now, log: deps.Log}
	b.makeups = bots.ResolveMakeupCore(deps.Makeups, deps.Core)
	b.directory = resolveDirectory(deps.Directory, deps.Core, b.makeups)
	if b.now == nil {
		b.now = time.Now
	}
	if b.log == nil {
		b.log = slog.Default()
	}
	client := deps.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	b.api = slackapi.New(cfg.BotToken, slackapi.OptionAPIURL(apiURL), slackapi.OptionHTTPClient(client))
	return b, nil
}

// Register mounts the three request URLs of the Slack app.
func (b *Bot) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /slack/commands", b.handleCommand)
	mux.HandleFunc("POST /slack/events", b.handleEvents)
	mux.HandleFunc("POST /slack/interactions", b.handleInteraction)
}

// readVerified reads the whole body and checks its signature before anything
// parses it. It answers the request itself and returns false when the body is
// too large or the signature or timestamp is wrong.
func (b *Bot) readVerified(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
		} else {
			http.Error(w, "cannot read request", http.StatusBadRequest)
		}
		return nil, false
	}
	if err := Verify(b.secret, r.Header, body, b.now()); err != nil {
		b.log.Warn("slack request refused", "path", r.URL.Path, "err", err)
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return nil, false
	}
	// Parsers downstream (slack-go's SlashCommandParse) read r.Body again.
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, true
}

// tenant is the workspace an account belongs to. In a channel shared
// between workspaces (Slack Connect) the event names the user's own team.
func tenant(team, userTeam string) string {
	if userTeam != "" {
		return userTeam
	}
	return team
}

func identity(team, user string) core.Identity {
	return core.Identity{Platform: core.PlatformSlack, Tenant: team, UserID: user}
}

// command turns a parsed intent into a core command. Text that is not a
// command gets the help text; an empty /punch is a punch decided by context.
func command(in bots.Intent, text string) (kind core.CommandKind, punch core.PunchKind) {
	switch {
	case strings.TrimSpace(text) == "":
		return core.CmdPunch, core.KindAuto
	case in.Kind != "":
		return in.Kind, in.Punch
	}
	return core.CmdHelp, ""
}
