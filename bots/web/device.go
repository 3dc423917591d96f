package web

import (
	"context"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// Device binding in the browser: the enrollment page behind a one-time
// link (绑定设备 / bind device), and the passkey step of the location page.

var _ core.LinkSigner = (*Pages)(nil)

// SignLink issues a one-time enrollment link for e (core.LinkSigner; only
// core.LinkDevice).
func (p *Pages) SignLink(ctx context.Context, e core.Employee, purpose string) (string, time.Time, error) {
	if purpose != core.LinkDevice {
		return "", time.Time{}, core.Errorf(core.EINVALID, "web: unknown link purpose %q", purpose)
	}
	if e.ID == "" {
		return "", time.Time{}, core.Errorf(core.EINVALID, "web: an enrollment link needs an employee")
	}
	nonce, err := p.random(16)
	if err != nil {
		return "", time.Time{}, core.WrapError(core.EINTERNAL, err, "web: no randomness for a link nonce")
	}
	exp := p.now().Add(p.ttl).Truncate(time.Second)
	token, err := sign(p.secret, claims{Purpose: purposeDevice, Emp: e.ID, Name: e.Name, Lang: pageLang(e.Lang), Expires: exp.Unix(), Nonce: nonce})
	if err != nil {
		return "", time.Time{}, core.WrapError(core.EINTERNAL, err, "web: cannot encode a link")
	}
	return p.base + "/d/" + token, exp, nil
}

func (p *Pages) registerDevices(mux *http.ServeMux) {
	mux.HandleFunc("POST /l/{token}/passkey", p.verifyPasskey)
	mux.HandleFunc("GET /d/{token}", p.enrollPage)
	mux.HandleFunc("POST /d/{token}/begin", p.enrollBegin)
	mux.HandleFunc("POST /d/{token}/finish", p.enrollFinish)
}

// deviceStep fills the page's binding and, when the person has a device,
// begins the assertion the page asks for before it takes the position.
func (p *Pages) deviceStep(ctx context.Context, c claims, pg *page) error {
	if p.devices == nil {
		return nil
	}
	subj, err := p.devices.DeviceSubjectOf(ctx, c.actor())
	if core.ErrorCode(err) == core.ENOTFOUND {
		return nil // the core answers an unknown account when the punch arrives
	}
	if err != nil {
		return err
	}
	pg.Binding = string(subj.Binding)
	if subj.Binding == core.DeviceBindingOff || len(subj.Devices) == 0 || !subj.Employee.Active {
		return nil
	}
	opts, err := p.keys.BeginLogin(ctx, "login:"+c.Nonce, subj.Employee, subj.Devices)
	if err != nil {
		return err
	}
	pg.Assert = string(opts)
	return nil
}

// verifiedKey remembers which device a link's page verified.
func verifiedKey(nonce string) string { return "web:passkey-ok:" + nonce }

// verifyPasskey checks the page's assertion as soon as the person gave it,
// while the network is up, and remembers the device for the link: a punch
// the page then has to keep offline still arrives verified, hours later,
// without a challenge having to live that long.
func (p *Pages) verifyPasskey(w http.ResponseWriter, r *http.Request) {
	c, err := parse(p.secret, r.PathValue("token"), p.now())
	lang := linkLang(c, r)
	if err != nil || c.Purpose != "" {
		status, state := linkStatus(err)
		if err == nil {
			status, state = http.StatusBadRequest, stateInvalid
		}
		p.respond(w, r, status, lang, result{State: state, Headline: stateText(lang, state)})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	body, err := io.ReadAll(r.Body)
	if err != nil || len(body) == 0 {
		p.respond(w, r, http.StatusBadRequest, lang, result{State: stateBadRequest, Headline: stateText(lang, stateBadRequest)})
		return
	}
	id := p.checkAssertion(r.Context(), c, body)
	if id == "" {
		p.respond(w, r, http.StatusUnauthorized, lang, result{State: "device_failed", Headline: stateText(lang, "device_failed"), Retry: true})
		return
	}
	ttl := c.expiry().Sub(p.now()) + p.offline
	if err := p.sessions.Put(r.Context(), verifiedKey(c.Nonce), []byte(id), ttl); err != nil {
		p.log.Error("web passkey: cannot remember the verified device", "err", err)
		p.respond(w, r, http.StatusServiceUnavailable, lang, result{State: stateError, Headline: bots.ErrorText(err, lang), Retry: true})
		return
	}
	p.respond(w, r, http.StatusOK, lang, result{State: "verified"})
}

// verifiedDevice returns the device that proves the punch: the page's
// assertion when it sent one, else the device its link verified earlier;
// "" when there is none or it does not verify, and the core then decides,
// by the policy, whether the punch may go ahead without it.
func (p *Pages) verifiedDevice(ctx context.Context, c claims, assertion json.RawMessage) string {
	if p.devices == nil {
		return ""
	}
	if len(assertion) > 0 {
		if id := p.checkAssertion(ctx, c, assertion); id != "" {
			return id
		}
	}
	// A copy of the page reopened offline (sw.go) sends an assertion of a
	// challenge that is gone; the device its link verified still counts.
	buf, err := p.sessions.Get(ctx, verifiedKey(c.Nonce))
	if err != nil {
		return ""
	}
	return string(buf)
}

// checkAssertion verifies an assertion against the link's ceremony and the
// person's active devices and records the device's use.
func (p *Pages) checkAssertion(ctx context.Context, c claims, assertion []byte) string {
	subj, err := p.devices.DeviceSubjectOf(ctx, c.actor())
	if err != nil {
		p.log.Info("web passkey: no subject", "err", err)
		return ""
	}
	a, err := p.keys.FinishLogin(ctx, "login:"+c.Nonce, subj.Employee, subj.Devices, assertion)
	if err != nil {
		p.log.Info("web passkey not verified", "err", err, "employee", subj.Employee.ID)
		return ""
	}
	if err := p.devices.DeviceUsed(ctx, a.DeviceID, a.Credential); err != nil {
		p.log.Warn("web passkey: sign counter not saved", "err", err)
	}
	return a.DeviceID
}

// enrollClaims reads an enrollment link and its employee.
func (p *Pages) enrollClaims(r *http.Request) (claims, core.DeviceSubject, int, string) {
	c, err := parse(p.secret, r.PathValue("token"), p.now())
	if err != nil {
		status, state := linkStatus(err)
		return c, core.DeviceSubject{}, status, state
	}
	if c.Purpose != purposeDevice {
		return c, core.DeviceSubject{}, http.StatusBadRequest, stateInvalid
	}
	subj, err := p.devices.DeviceSubjectFor(r.Context(), c.Emp)
	if err != nil || !subj.Employee.Active {
		return c, subj, http.StatusForbidden, stateInvalid
	}
	return c, subj, 0, ""
}

func (p *Pages) enrollPage(w http.ResponseWriter, r *http.Request) {
	c, _, status, state := p.enrollClaims(r)
	lang := linkLang(c, r)
	if status != 0 {
		p.writePage(w, status, messagePage(lang, state, ""))
		return
	}
	t := texts[lang]
	nonce, err := p.random(16)
	if err != nil {
		http.Error(w, "no randomness", http.StatusInternalServerError)
		return
	}
	pg := page{Lang: lang, Title: t["enroll_title"] + " · punchbot", Heading: t["enroll_title"], State: "enroll", Name: c.Name, T: t, Nonce: nonce, Enroll: true}
	securityHeaders(w.Header(), nonce)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if err := enrollTemplate.Execute(w, pg); err != nil {
		p.log.Error("web enroll page render failed", "err", err)
	}
}

func (p *Pages) enrollBegin(w http.ResponseWriter, r *http.Request) {
	c, subj, status, state := p.enrollClaims(r)
	lang := linkLang(c, r)
	if status != 0 {
		p.respond(w, r, status, lang, result{State: state, Headline: stateText(lang, state)})
		return
	}
	all, err := p.devices.DeviceSubjectFor(r.Context(), subj.Employee.ID)
	if err == nil {
		var opts []byte
		if opts, err = p.keys.BeginRegistration(r.Context(), "reg:"+c.Nonce, subj.Employee, all.Devices); err == nil {
			securityHeaders(w.Header(), "")
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_, _ = w.Write(opts)
			return
		}
	}
	p.log.Error("web enroll begin failed", "err", err)
	p.respond(w, r, http.StatusServiceUnavailable, lang, result{State: stateError, Headline: bots.ErrorText(err, lang), Retry: true})
}

func (p *Pages) enrollFinish(w http.ResponseWriter, r *http.Request) {
	c, subj, status, state := p.enrollClaims(r)
	lang := linkLang(c, r)
	if status != 0 {
		p.respond(w, r, status, lang, result{State: state, Headline: stateText(lang, state)})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	var in struct {
		Credential json.RawMessage
		Name       string
	}
	if err := decodeJSON(r.Body, &in); err != nil || len(in.Credential) == 0 {
		p.respond(w, r, http.StatusBadRequest, lang, result{State: "enroll_failed", Headline: texts[lang]["enroll_failed"], Retry: true})
		return
	}
	d, err := p.keys.FinishRegistration(r.Context(), "reg:"+c.Nonce, subj.Employee, subj.Devices, in.Credential)
	if err == nil {
		d.Name, d.EnrollNonce = in.Name, c.Nonce
		if d.Name == "" {
			d.Name = deviceLabel(r.UserAgent())
		}
		_, err = p.devices.EnrollDevice(r.Context(), d)
	}
	switch core.ErrorCode(err) {
	case "":
		p.respond(w, r, http.StatusOK, lang, result{State: "enrolled", Headline: texts[lang]["enrolled"]})
	case core.ECONFLICT:
		p.respond(w, r, http.StatusConflict, lang, result{State: stateUsed, Headline: texts[lang]["enroll_used"]})
	case core.EINVALID, core.EUNAUTHORIZED:
		p.log.Info("web enrollment refused", "err", err)
		p.respond(w, r, http.StatusBadRequest, lang, result{State: "enroll_failed", Headline: texts[lang]["enroll_failed"], Retry: true})
	default:
		p.log.Error("web enrollment failed", "err", err)
		p.respond(w, r, http.StatusServiceUnavailable, lang, result{State: stateError, Headline: bots.ErrorText(err, lang), Retry: true})
	}
}

// deviceLabel names a device after its browser's platform, so the list of
// devices tells a phone from a laptop without asking the person.
func deviceLabel(ua string) string {
	for _, k := range []string{"iPhone", "iPad", "Android", "Macintosh", "Windows", "Linux", "CrOS"} {
		if strings.Contains(ua, k) {
			return k
		}
	}
	return "passkey"
}

// enrollTemplate is the enrollment page: one button, because Safari starts
// a passkey registration only from a user gesture.
var enrollTemplate = template.Must(template.New("enroll").Parse(`<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{{.Title}}</title>
<style nonce="{{.Nonce}}">
:root{color-scheme:light dark;--fg:#1a1a1a;--bg:#fff;--muted:#555;--ok:#0a6b2d;--bad:#a4161a;--accent:#1a5fb4}
@media (prefers-color-scheme:dark){:root{--fg:#eee;--bg:#161616;--muted:#bbb;--ok:#6fd28f;--bad:#ff8a8a;--accent:#8ab4f8}}
body{margin:0;font:1.0625rem/1.5 system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:32rem;margin:0 auto;padding:1.5rem 1rem}
h1{font-size:1.5rem;margin:0 0 1rem}
#status{font-size:1.125rem;padding:.75rem 1rem;border-left:.25rem solid var(--accent);margin:0 0 1rem}
#status.ok{border-color:var(--ok);color:var(--ok)}#status.bad{border-color:var(--bad);color:var(--bad)}
button{font:inherit;font-weight:600;padding:.75rem 1.5rem;border:0;border-radius:.5rem;background:var(--accent);color:var(--bg);cursor:pointer;min-height:2.75rem}
button:focus-visible{outline:3px solid var(--fg);outline-offset:2px}
button[hidden]{display:none}
.note{color:var(--muted);font-size:.9375rem}
</style>
</head>
<body data-state="{{.State}}">
<main>
<h1>{{.Heading}}</h1>
<p id="who">{{.Name}}</p>
<p id="status" role="status" aria-live="polite">{{index .T "enroll_intro"}}</p>
<button id="enroll" type="button">{{index .T "enroll_button"}}</button>
<p class="note">{{index .T "enroll_privacy"}}</p>
<noscript><p class="bad">{{index .T "noscript"}}</p></noscript>
<script nonce="{{.Nonce}}">
(function () {
  "use strict";
  var T = {{.T}};
  var status = document.getElementById("status");
  var button = document.getElementById("enroll");
  function show(text, cls, state) {
    status.textContent = text;
    status.className = cls || "";
    document.body.setAttribute("data-state", state);
  }
  function post(path, body) {
    return fetch(window.location.pathname + path, {method: "POST", headers: {"Accept": "application/json", "Content-Type": "application/json"},
      body: JSON.stringify(body), credentials: "omit", cache: "no-store"}).then(function (r) { return r.json(); });
  }
  function fail() { show(T.enroll_failed, "bad", "enroll_failed"); button.hidden = false; button.disabled = false; }
  button.addEventListener("click", function () {
    if (!window.PublicKeyCredential || !PublicKeyCredential.parseCreationOptionsFromJSON) { fail(); return; }
    button.disabled = true;
    show(T.enroll_wait, "", "enrolling");
    post("/begin", {}).then(function (opts) {
      if (!opts.publicKey) { throw new Error("no options"); }
      return navigator.credentials.create({publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(opts.publicKey)});
    }).then(function (cred) {
      return post("/finish", {credential: cred.toJSON()});
    }).then(function (res) {
      var good = res.status === "enrolled";
      show(res.headline, good ? "ok" : "bad", res.status);
      button.hidden = good || !res.retry;
      button.disabled = false;
    }).catch(fail);
  });
}());
</script>
</main>
</body>
</html>
`))
