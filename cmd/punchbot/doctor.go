package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/bots/web"
)

// punchbot doctor checks a deployment against the real services with the
// configuration serve would use, and says for each problem what to fix. It
// exists because every test in this repository talks to fakes: a wrong
// secret, a missing scope or an untrusted IP passes them all and only shows
// in a real tenant, as replies that never arrive.

// Timeouts of one check. The public URL is this server's own, so a slow
// answer is already a finding; the platforms get the time a send would.
const (
	doctorHealthzTimeout  = 5 * time.Second
	doctorStoreTimeout    = 5 * time.Second
	doctorPlatformTimeout = 15 * time.Second
)

// insecureContextWhy is why a public URL must be https, for the startup
// warning and doctor alike: the location page asks the browser for a
// position, and browsers expose the Geolocation API only in a secure context
// (https, or a loopback host) — https://developer.chrome.com/blog/geolocation-on-secure-contexts-only,
// https://w3c.github.io/webappsec-secure-contexts/#is-origin-trustworthy.
const insecureContextWhy = "browsers refuse the location page a position outside a secure context (https, or localhost)"

// publicURLInsecure reports whether browsers would treat pages under raw as
// not a secure context: anything but https, except loopback hosts, which the
// Secure Contexts spec counts as potentially trustworthy.
func publicURLInsecure(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "https" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err != nil || !ip.IsLoopback()
}

// doctorDeps are what tests replace: the HTTP client carries every call to
// the platforms and to the public URL.
type doctorDeps struct {
	HTTPClient *http.Client // a 10 s client on the default transport when nil
}

// Check outcomes as printed; String pads them to FAIL's width so the check
// names line up.
const (
	checkOK   = "ok"
	checkFail = "FAIL"
	checkSkip = "skip"
)

// checkResult is one line of the report.
type checkResult struct {
	status string
	name   string
	detail string // what was found; for FAIL, what is wrong
	fix    string // for FAIL, what to do about it
}

func (r checkResult) String() string {
	if r.status == checkFail {
		return fmt.Sprintf("FAIL %s: %s — %s", r.name, r.detail, r.fix)
	}
	return fmt.Sprintf("%-4s %s: %s", r.status, r.name, r.detail)
}

func ok(name, format string, args ...any) checkResult {
	return checkResult{status: checkOK, name: name, detail: fmt.Sprintf(format, args...)}
}

func skip(name, format string, args ...any) checkResult {
	return checkResult{status: checkSkip, name: name, detail: fmt.Sprintf(format, args...)}
}

func fail(name, detail, fix string) checkResult {
	return checkResult{status: checkFail, name: name, detail: detail, fix: fix}
}

// Check names. Configuration errors about a check's own variables are
// reported on that check's line instead of on a line of their own.
const (
	checkConfig   = "config"
	checkSecret   = "secret"
	checkPublic   = "public URL"
	checkHealthz  = "public URL /healthz"
	checkDatabase = "database"
	checkRedis    = "redis"
	checkWeComTok = "wecom token"
	checkWeComApp = "wecom agent"
	checkFeishuTo = "feishu token"
	checkFeishuBo = "feishu bot"
	checkSlackTok = "slack token"
	checkSlackSco = "slack scopes"
)

// configOwners maps the variable a configuration error names to the check
// whose line reports it.
var configOwners = []struct{ prefix, check string }{
	{"PUNCHBOT_SECRET:", checkSecret},
	{"PUNCHBOT_PUBLIC_URL:", checkPublic},
	{"PUNCHBOT_DATABASE_URL:", checkDatabase},
	{"PUNCHBOT_REDIS_URL:", checkRedis},
	{"PUNCHBOT_WECOM_", checkWeComTok},
	{"PUNCHBOT_FEISHU_", checkFeishuTo},
	{"PUNCHBOT_SLACK_", checkSlackTok},
}

// doctor prints one line per check and returns an error, so that run exits
// non-zero, when any check failed. cfgErr is loadConfig's error: doctor runs
// on a configuration serve would refuse, to report everything in one go.
func doctor(ctx context.Context, cfg config, cfgErr error, getenv func(string) string, stdout io.Writer, deps doctorDeps) error {
	hc := deps.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	d := &doctorRun{cfg: cfg, hc: hc, cfgErrs: map[string][]string{}}
	for _, e := range splitErrors(cfgErr) {
		owner := checkConfig
		for _, o := range configOwners {
			if strings.HasPrefix(e, o.prefix) {
				owner = o.check
				break
			}
		}
		d.cfgErrs[owner] = append(d.cfgErrs[owner], e)
	}

	var results []checkResult
	if errs := d.cfgErrs[checkConfig]; len(errs) > 0 {
		for _, e := range errs {
			results = append(results, fail(checkConfig, e, "fix the variable; serve refuses to start until it is"))
		}
	} else {
		results = append(results, ok(checkConfig, "PUNCHBOT_* variables are valid"))
	}
	results = append(results, d.secret())
	results = append(results, d.publicURL(ctx, strings.TrimSpace(getenv("PUNCHBOT_PUBLIC_URL")) != "")...)
	results = append(results, d.database(ctx), d.redis(ctx))
	results = append(results, d.wecom(ctx)...)
	results = append(results, d.feishu(ctx)...)
	results = append(results, d.slack(ctx)...)

	failed, skipped := 0, 0
	for _, r := range results {
		fmt.Fprintln(stdout, r)
		switch r.status {
		case checkFail:
			failed++
		case checkSkip:
			skipped++
		}
	}
	if failed > 0 {
		return errors.New(doctorSummary(failed, skipped, len(results)))
	}
	return nil
}

// doctorSummary counts the failed checks among those that ran: a skipped
// check (a platform not configured) neither passed nor failed, and
// counting it made "2 of 9 checks failed" of a run where only 4 ran.
func doctorSummary(failed, skipped, total int) string {
	msg := fmt.Sprintf("%d of %d checks failed", failed, total-skipped)
	if skipped > 0 {
		msg += fmt.Sprintf(" (%d skipped)", skipped)
	}
	return msg
}

// splitErrors undoes errors.Join, as loadConfig reports one error per
// variable.
func splitErrors(err error) []string {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range j.Unwrap() {
			out = append(out, splitErrors(e)...)
		}
		return out
	}
	return []string{err.Error()}
}

type doctorRun struct {
	cfg     config
	hc      *http.Client
	cfgErrs map[string][]string // configuration errors by the check that reports them
}

// configFailure returns the FAIL line for check's configuration errors, if
// it has any; the check itself is then not attempted.
func (d *doctorRun) configFailure(check, fix string) (checkResult, bool) {
	errs := d.cfgErrs[check]
	if len(errs) == 0 {
		return checkResult{}, false
	}
	return fail(check, strings.Join(errs, "; "), fix), true
}

// secret applies loadConfig's rule (it reports a short secret, so doctor
// does not restate the length) and the link signer's, and adds that a
// generated secret is not for production.
func (d *doctorRun) secret() checkResult {
	const fix = "set PUNCHBOT_SECRET to one long random value shared by every replica, e.g. `openssl rand -hex 32`"
	if r, bad := d.configFailure(checkSecret, fix); bad {
		return r
	}
	if d.cfg.secretGenerated {
		return fail(checkSecret, "PUNCHBOT_SECRET is not set, so serve signs location links with a random key of its own: links break on every restart and on every other replica", fix)
	}
	// The link signer has its own, stricter minimum; asking it keeps doctor
	// in step with what serve will accept. The URL is a placeholder so that
	// any refusal is about the secret.
	if _, err := web.New(web.Config{Secret: []byte(d.cfg.Secret), PublicURL: "https://doctor.invalid"}, web.Deps{Core: unusedCore{}}); err != nil {
		return fail(checkSecret, fmt.Sprintf("PUNCHBOT_SECRET is %d characters, and serve will refuse it: %v", len(d.cfg.Secret), err), fix)
	}
	return ok(checkSecret, "PUNCHBOT_SECRET is set (%d characters)", len(d.cfg.Secret))
}

// unusedCore satisfies web.New's need for a core; doctor never serves a page.
type unusedCore struct{ bots.Core }

// publicURL checks the address links are built on and then fetches /healthz
// through it, which proves DNS, TLS and the proxy route to this server.
func (d *doctorRun) publicURL(ctx context.Context, set bool) []checkResult {
	const httpsFix = "serve punchbot behind TLS (a reverse proxy or load balancer with a certificate) and set PUNCHBOT_PUBLIC_URL=https://…"
	if r, bad := d.configFailure(checkPublic, httpsFix); bad {
		return []checkResult{r, skip(checkHealthz, "not checked without a valid public URL")}
	}
	pub := d.cfg.PublicURL
	var first checkResult
	switch {
	case !set:
		return []checkResult{
			fail(checkPublic, fmt.Sprintf("PUNCHBOT_PUBLIC_URL is not set, so links sent to staff point at %s", pub),
				"set it to the https:// address staff's phones reach, e.g. https://punch.example.com"),
			skip(checkHealthz, "not checked without a public URL"),
		}
	case publicURLInsecure(pub):
		first = fail(checkPublic, fmt.Sprintf("%s is not https: %s", pub, insecureContextWhy), httpsFix)
	default:
		first = ok(checkPublic, "%s", pub)
	}
	return []checkResult{first, d.healthz(ctx, pub)}
}

func (d *doctorRun) healthz(ctx context.Context, pub string) checkResult {
	ctx, cancel := context.WithTimeout(ctx, doctorHealthzTimeout)
	defer cancel()
	target := pub + "/healthz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fail(checkHealthz, err.Error(), "fix PUNCHBOT_PUBLIC_URL")
	}
	start := time.Now()
	resp, err := d.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is already on the line
		}
		var cert *tls.CertificateVerificationError
		if errors.As(err, &cert) {
			return fail(checkHealthz, fmt.Sprintf("GET %s: %v", target, err),
				"install a certificate browsers trust for "+req.URL.Hostname()+" (and its intermediates) on the TLS endpoint")
		}
		return fail(checkHealthz, fmt.Sprintf("GET %s: %v", target, err),
			"start punchbot serve where this URL leads, and check DNS, the firewall and that the proxy forwards to PUNCHBOT_ADDR ("+d.cfg.Addr+")")
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fail(checkHealthz, fmt.Sprintf("GET %s answered HTTP %d, not 200", target, resp.StatusCode),
			"point the proxy for this URL at punchbot's PUNCHBOT_ADDR ("+d.cfg.Addr+") and check that punchbot serve is running")
	}
	return ok(checkHealthz, "GET %s answered 200 in %s", target, time.Since(start).Round(time.Millisecond))
}
