// Package web is the browser as a channel: a short-lived signed link opens
// a small page that asks the browser for its position and records the punch
// through the core. Slack has no location message, so its bot hands out these
// links; anyone without a chat app can use the same page.
package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/bots/internal/passkey"
	"github.com/punchbot/punchbot/core"
)

// DefaultTTL is how long a link stays valid when Config.TTL is zero: long
// enough to find a window with GPS reception, short enough that a link
// forwarded later is useless.
const DefaultTTL = 10 * time.Minute

// maxBody bounds what a POST may send; a position is a few dozen bytes.
const maxBody = 1 << 20

// handleTimeout bounds the core call of one POST. The call is detached from
// the browser's connection so a user closing the tab mid-request cannot leave
// half a transaction behind.
const handleTimeout = 10 * time.Second

// Config configures the location pages.
type Config struct {
	// Secret signs links (HMAC-SHA256); at least 32 bytes.
	Secret []byte
	// PublicURL is the base the links point at, such as
	// "https://punch.example.com"; the page lives under /l/.
	PublicURL string
	// TTL is how long a link stays valid; zero means DefaultTTL.
	TTL time.Duration
	// TrustedProxies lists the reverse proxies whose X-Forwarded-For header
	// is believed. Empty means the header is ignored and the client IP is the
	// TCP peer: a forged header must never place someone inside an office IP
	// range, which counts as being on site.
	TrustedProxies []netip.Prefix
	// PasskeyTTL bounds a passkey ceremony; zero means passkey.DefaultTTL.
	PasskeyTTL time.Duration
	// OfflineTolerance is how long after a link expires a punch its page
	// kept offline may still arrive, and so how long a passkey verified on
	// that page is remembered; zero means the core's default (12 h).
	OfflineTolerance time.Duration
}

// Deps are the collaborators of the pages.
type Deps struct {
	Core bots.Core
	Now  func() time.Time
	Log  *slog.Logger
	// Rand supplies link nonces and CSP nonces; nil means crypto/rand.
	Rand io.Reader
	// Devices turns on device binding (passkeys): enrollment pages under
	// /d/ and the passkey step of the location page. It needs Sessions,
	// which keep each ceremony's challenge between its two requests, and a
	// public URL that browsers allow passkeys on (PasskeysPossible).
	Devices  DeviceCore
	Sessions core.SessionStore
}

// PasskeysPossible reports whether browsers allow passkeys for pages under
// publicURL: https, or http://localhost.
func PasskeysPossible(publicURL string) bool {
	u, err := url.Parse(publicURL)
	return err == nil && (u.Scheme == "https" || (u.Scheme == "http" && u.Hostname() == "localhost"))
}

// DeviceCore is what device binding needs from the core (*core.Service).
type DeviceCore interface {
	DeviceSubjectOf(ctx context.Context, id core.Identity) (core.DeviceSubject, error)
	DeviceSubjectFor(ctx context.Context, employeeID string) (core.DeviceSubject, error)
	EnrollDevice(ctx context.Context, d core.Device) (core.Device, error)
	DeviceUsed(ctx context.Context, id string, credential []byte) error
}

// Pages serves the location page and issues links to it.
type Pages struct {
	secret   []byte
	base     string
	ttl      time.Duration
	proxies  []netip.Prefix
	core     bots.Core
	now      func() time.Time
	log      *slog.Logger
	rand     io.Reader
	devices  DeviceCore
	keys     *passkey.Ceremonies
	sessions core.SessionStore
	offline  time.Duration
}

var _ bots.LinkIssuer = (*Pages)(nil)

// New checks the configuration and returns the pages.
func New(cfg Config, deps Deps) (*Pages, error) {
	if len(cfg.Secret) < 32 {
		return nil, core.Errorf(core.EINVALID, "web: the link secret must be at least 32 bytes, got %d", len(cfg.Secret))
	}
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, core.Errorf(core.EINVALID, "web: public URL %q must be an absolute http(s) URL without query", cfg.PublicURL)
	}
	if deps.Core == nil {
		return nil, core.Errorf(core.EINVALID, "web: a core is required")
	}
	if cfg.TTL < 0 {
		return nil, core.Errorf(core.EINVALID, "web: link TTL must not be negative")
	}
	p := &Pages{
		secret: append([]byte(nil), cfg.Secret...), base: strings.TrimRight(cfg.PublicURL, "/"), ttl: cfg.TTL,
		proxies: cfg.TrustedProxies, core: deps.Core, now: deps.Now, log: deps.Log, rand: deps.Rand,
		devices: deps.Devices, sessions: deps.Sessions, offline: cfg.OfflineTolerance,
	}
	if p.offline <= 0 {
		p.offline = core.DefaultConfig().OfflineTolerance
	}
	if deps.Devices != nil {
		keys, err := passkey.New(p.base, "punchbot", deps.Sessions, cfg.PasskeyTTL)
		if err != nil {
			return nil, err
		}
		p.keys = keys
	}
	if p.ttl == 0 {
		p.ttl = DefaultTTL
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.log == nil {
		p.log = slog.Default()
	}
	if p.rand == nil {
		p.rand = rand.Reader
	}
	return p, nil
}

// Register mounts GET and POST /l/{token}, the start page /l/, and what
// makes the pages work offline and installable.
func (p *Pages) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /l/{token}", p.serveGet)
	mux.HandleFunc("POST /l/{token}", p.servePost)
	mux.HandleFunc("GET /l/sw.js", p.serveWorker)        // sw.go
	mux.HandleFunc("GET "+startPath+"{$}", p.serveHome)  // home.go
	mux.HandleFunc("GET "+manifestPath, p.serveManifest) // manifest.go
	mux.HandleFunc("GET "+icon192Path, p.serveIcon)
	mux.HandleFunc("GET "+icon512Path, p.serveIcon)
	if p.devices != nil {
		p.registerDevices(mux) // device.go
	}
}

// PunchLink issues a signed one-time link for one person and one intent.
func (p *Pages) PunchLink(ctx context.Context, req bots.LinkRequest) (string, error) {
	if req.Actor.Platform == "" || req.Actor.UserID == "" {
		return "", core.Errorf(core.EINVALID, "web: a link needs the platform and user id of who will punch")
	}
	switch req.Intent {
	case core.KindIn, core.KindOut, core.KindAuto:
	default:
		return "", core.Errorf(core.EINVALID, "web: unknown punch intent %q", req.Intent)
	}
	nonce, err := p.random(16)
	if err != nil {
		return "", core.WrapError(core.EINTERNAL, err, "web: no randomness for a link nonce")
	}
	rp := req.ReplyPlatform
	if rp == "" && req.ReplyRoute != "" {
		rp = req.Actor.Platform
	}
	token, err := sign(p.secret, claims{
		Plat: req.Actor.Platform, Tenant: req.Actor.Tenant, User: req.Actor.UserID,
		Name: req.Name, Lang: pageLang(req.Lang), Intent: req.Intent,
		RPlat: rp, RRoute: req.ReplyRoute,
		Expires: p.now().Add(p.ttl).Unix(), Nonce: nonce,
	})
	if err != nil {
		return "", core.WrapError(core.EINTERNAL, err, "web: cannot encode a link")
	}
	return p.base + "/l/" + token, nil
}

func (p *Pages) random(n int) (string, error) {
	buf := make([]byte, n)
	if _, err := io.ReadFull(p.rand, buf); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

// pageLang maps anything but English to Chinese, as the bots' catalogue does.
func pageLang(l string) string {
	if l == "en" {
		return "en"
	}
	return "zh"
}

// linkStatus maps a token error to its HTTP status and page state.
func linkStatus(err error) (int, string) {
	switch {
	case errors.Is(err, errExpired):
		return http.StatusGone, stateExpired
	case errors.Is(err, errTampered):
		return http.StatusForbidden, stateInvalid
	default:
		return http.StatusBadRequest, stateInvalid
	}
}

func (p *Pages) serveGet(w http.ResponseWriter, r *http.Request) {
	c, err := parse(p.secret, r.PathValue("token"), p.now())
	lang := linkLang(c, r)
	if err != nil {
		status, state := linkStatus(err)
		p.log.Info("web link refused", "err", err, "status", status)
		p.writePage(w, status, messagePage(lang, state, ""))
		return
	}
	if c.Purpose != "" {
		p.writePage(w, http.StatusBadRequest, messagePage(lang, stateInvalid, ""))
		return
	}
	now := p.now()
	pg := punchPage(c)
	pg.ServerNow, pg.Load = now.UnixMilli(), loadToken(p.secret, c.Nonce, now)
	if err := p.deviceStep(r.Context(), c, &pg); err != nil { // device.go
		p.log.Error("web passkey step failed", "err", err, "user", c.User)
		p.writePage(w, http.StatusServiceUnavailable, messagePage(lang, stateError, bots.ErrorText(err, lang)))
		return
	}
	p.writePage(w, http.StatusOK, pg)
}

// linkLang is the link's language, or for a link that could not be read
// the browser's Accept-Language.
func linkLang(c claims, r *http.Request) string {
	if c.Lang != "" {
		return pageLang(c.Lang)
	}
	return acceptLang(r.Header.Get("Accept-Language"))
}

// result is the JSON answer to the page's POST.
type result struct {
	State    string `json:"status"`
	Headline string `json:"headline"`
	// Retry says whether trying again with the same link can help.
	Retry bool `json:"retry"`
}

func (p *Pages) servePost(w http.ResponseWriter, r *http.Request) {
	now := p.now()
	c, err := parse(p.secret, r.PathValue("token"), now)
	lang := linkLang(c, r)
	if (err != nil && !errors.Is(err, errExpired)) || c.Purpose != "" {
		status, state := linkStatus(err)
		if err == nil || c.Purpose != "" {
			status, state = http.StatusBadRequest, stateInvalid
		}
		p.log.Info("web punch refused", "err", err, "status", status)
		p.respond(w, r, status, lang, result{State: state, Headline: stateText(lang, state)})
		return
	}
	body, perr := readPunch(w, r)
	if perr != nil {
		status := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		if errors.As(perr, &tooBig) {
			status = http.StatusRequestEntityTooLarge
		}
		p.log.Info("web punch payload refused", "err", perr)
		p.respond(w, r, status, lang, result{State: stateBadRequest, Headline: stateText(lang, stateBadRequest), Retry: true})
		return
	}
	at, terr := p.claimedTime(c, body, now)
	if terr != nil || (err != nil && (at.IsZero() || !at.Before(c.expiry()))) {
		// An expired link still takes a punch its page recorded, offline,
		// while it was valid; anything else past the expiry is refused.
		if err == nil {
			err = terr
		}
		status, state := linkStatus(err)
		if terr != nil {
			status, state = http.StatusUnprocessableEntity, stateBadTime
		}
		p.log.Info("web punch refused", "err", err, "status", status)
		p.respond(w, r, status, lang, result{State: state, Headline: stateText(lang, state)})
		return
	}
	cmd := core.Command{
		Actor:         c.actor(),
		Kind:          core.CmdPunch,
		Punch:         c.Intent,
		At:            at,
		ReceivedAt:    now,
		Location:      &body.Location,
		Source:        string(core.PlatformWeb),
		EventID:       "web:" + c.Nonce,
		ClientIP:      p.clientIP(r),
		ReplyPlatform: c.RPlat,
		ReplyRoute:    c.RRoute,
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), handleTimeout)
	defer cancel()
	cmd.DeviceID = p.verifiedDevice(ctx, c, body.Assertion) // device.go
	reply, err := p.core.Handle(ctx, cmd)
	if err != nil {
		p.log.Error("web punch failed", "err", err, "user", c.User)
		p.respond(w, r, http.StatusServiceUnavailable, lang, result{State: stateError, Headline: bots.ErrorText(err, lang), Retry: true})
		return
	}
	if reply.Replayed {
		// The link was used before: the core answered from its record and
		// stored nothing. Show the first answer so the user knows where
		// they stand.
		p.respond(w, r, http.StatusConflict, lang, result{State: stateUsed, Headline: stateText(lang, stateUsed) + " " + bots.Headline(reply, lang)})
		return
	}
	status, res := http.StatusOK, result{State: string(reply.Outcome), Headline: bots.Headline(reply, lang)}
	if reply.Outcome == core.OutcomeConfirm {
		res.Headline += " " + bots.ConfirmInChat(lang)
	}
	if core.LinkRetryable(cmd.Source, reply.Outcome, reply.Reasons) {
		// The core kept the link for another try (a fix too coarse or
		// stale): the page offers "try again" with a new fix.
		res.Retry = true
	}
	if reply.Outcome == core.OutcomeRateLimited {
		// Nothing was recorded, so the same link may try again later.
		status, res.Retry = http.StatusTooManyRequests, true
	}
	p.respond(w, r, status, lang, res)
}

// loadSkew is how much earlier than the page's load a position fix may
// claim to be: the page's clock offset is measured to a round trip.
const loadSkew = time.Minute

// claimedTime is the punch time the page claims (the position fix, in
// server time), checked against when the page was served: a fix before the
// page existed is implausible. The core judges the rest (ahead of receipt,
// older than the offline tolerance). Zero when the page sent no time.
func (p *Pages) claimedTime(c claims, body punchBody, now time.Time) (time.Time, error) {
	if body.AtMS == 0 {
		return time.Time{}, nil
	}
	loaded, ok := checkLoad(p.secret, c.Nonce, body.Load)
	if !ok {
		return time.Time{}, core.Errorf(core.EINVALID, "the page's load token is missing or altered")
	}
	at := time.UnixMilli(body.AtMS)
	if at.Before(loaded.Add(-loadSkew)) {
		return time.Time{}, core.Errorf(core.EINVALID, "a punch at %s is before its page was served at %s", at.UTC().Format(time.RFC3339), loaded.UTC().Format(time.RFC3339))
	}
	return at, nil
}

// punchBody is what the page posts: the position and, from the page's
// script, the time of the fix, the load token and the passkey assertion.
// An upload needs no id of its own: the link's nonce is the event id, so
// every retry of a kept punch is the same event and a link punches once.
type punchBody struct {
	Location  core.Location
	AtMS      int64
	Load      string
	Assertion json.RawMessage
}

// readPunch reads a punch from a form or JSON body and refuses anything
// that is not a finite position on Earth, before the core sees it, so a
// malformed request stores nothing.
func readPunch(w http.ResponseWriter, r *http.Request) (punchBody, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	var out punchBody
	var lat, lng, acc string
	if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/json") {
		var in struct {
			Lat, Lng, Accuracy jsonNumber
			At                 jsonNumber
			Load               string
			Assertion          json.RawMessage
		}
		if err := decodeJSON(r.Body, &in); err != nil {
			return out, err
		}
		lat, lng, acc = string(in.Lat), string(in.Lng), string(in.Accuracy)
		if in.At != "" {
			v, err := strconv.ParseInt(string(in.At), 10, 64)
			if err != nil || v <= 0 {
				return out, core.Errorf(core.EINVALID, "at %q is not a time in milliseconds", in.At)
			}
			out.AtMS = v
		}
		out.Load, out.Assertion = in.Load, in.Assertion
		if string(out.Assertion) == "null" {
			out.Assertion = nil
		}
	} else {
		if err := r.ParseForm(); err != nil {
			return out, err
		}
		lat, lng, acc = r.PostForm.Get("lat"), r.PostForm.Get("lng"), r.PostForm.Get("accuracy")
	}
	loc, err := parseLocation(lat, lng, acc)
	out.Location = loc
	return out, err
}

// clientIP is the TCP peer, or the first untrusted hop of X-Forwarded-For
// when the peer is a configured proxy.
func (p *Pages) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap()
	if !p.trusted(addr) {
		return addr.String()
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		addr = hop.Unmap()
		if !p.trusted(addr) {
			break
		}
	}
	return addr.String()
}

func (p *Pages) trusted(a netip.Addr) bool {
	for _, pr := range p.proxies {
		if pr.Contains(a) {
			return true
		}
	}
	return false
}

// respond answers the page's fetch with JSON and anything else (a plain form
// post, curl) with a whole page.
func (p *Pages) respond(w http.ResponseWriter, r *http.Request, status int, lang string, res result) {
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		securityHeaders(w.Header(), "")
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_ = encodeJSON(w, res)
		return
	}
	p.writePage(w, status, messagePage(lang, res.State, res.Headline))
}

func (p *Pages) writePage(w http.ResponseWriter, status int, pg page) {
	nonce, err := p.random(16)
	if err != nil {
		http.Error(w, "no randomness", http.StatusInternalServerError)
		return
	}
	pg.Nonce = nonce
	securityHeaders(w.Header(), nonce)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := pageTemplate.Execute(w, pg); err != nil {
		p.log.Error("web page render failed", "err", err)
	}
}

// securityHeaders lock the page down: no third-party anything, no framing,
// and no Referer, because the link itself is the credential. A page may
// load its own manifest and icons (manifest.go) and nothing else: CSP 3
// manifest-src and img-src, which default-src 'none' would otherwise deny
// (https://www.w3.org/TR/CSP3/#directive-manifest-src).
func securityHeaders(h http.Header, nonce string) {
	csp := "default-src 'none'; connect-src 'self'; worker-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
	if nonce != "" {
		csp += fmt.Sprintf("; script-src 'nonce-%s'; style-src 'nonce-%s'; manifest-src 'self'; img-src 'self'", nonce, nonce)
	}
	h.Set("Content-Security-Policy", csp)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Permissions-Policy", "geolocation=(self)")
}
