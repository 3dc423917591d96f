package console

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

// Cookie names.
const (
	sessionCookie = "pb_session"
	loginCookie   = "pb_login" // double-submit token of the sign-in form
)

var b64 = base64.RawURLEncoding

// Token errors; each has its own page so a user can tell an expired link
// from a mangled one.
var (
	errMalformed = errors.New("malformed token")
	errTampered  = errors.New("token signature does not match")
	errExpired   = errors.New("token expired")
)

// seal encodes v as payload.mac (both base64url), the MAC being
// HMAC-SHA256 over the encoded payload with key.
func seal(key []byte, v any) (string, error) {
	buf, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	payload := b64.EncodeToString(buf)
	return payload + "." + b64.EncodeToString(sum(key, payload)), nil
}

func sum(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// open checks the MAC before decoding, so a forged token never reaches the
// JSON decoder, and decodes strictly into v.
func open(key []byte, token string, v any) error {
	payload, sig, ok := strings.Cut(token, ".")
	if !ok || payload == "" || sig == "" || strings.Contains(sig, ".") {
		return errMalformed
	}
	got, err := b64.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return errMalformed
	}
	if !hmac.Equal(got, sum(key, payload)) {
		return errTampered
	}
	buf, err := b64.DecodeString(payload)
	if err != nil {
		return errMalformed
	}
	dec := json.NewDecoder(bytes.NewReader(buf))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errMalformed
	}
	return nil
}

// linkVersion and sessionVersion change when a layout does, so old tokens
// fail cleanly as malformed.
const (
	linkVersion    = 1
	sessionVersion = 1
)

// linkClaims is a sign-in link: who, for what, until when, and a nonce that
// makes it single-use.
type linkClaims struct {
	V       int    `json:"v"`
	Sub     string `json:"s"`
	Purpose string `json:"p"`
	Exp     int64  `json:"e"`
	Nonce   string `json:"n"`
}

// session is the signed content of the session cookie. The role is not in
// it: it is read from the store on every request, so a changed role or a
// deactivation takes effect at once.
type session struct {
	V     int    `json:"v"`
	Sub   string `json:"s,omitempty"` // employee id; empty for the admin token
	Admin bool   `json:"a,omitempty"`
	SID   string `json:"i"`
	Exp   int64  `json:"e"`
}

func (c *Console) random(n int) (string, error) {
	buf := make([]byte, n)
	if _, err := io.ReadFull(c.rand, buf); err != nil {
		return "", err
	}
	return b64.EncodeToString(buf), nil
}

// SignLink issues a signed, short-lived, single-use sign-in link for the
// employee (core.LinkSigner). The mydata link lands on the employee's own
// data page; the console link on today's page.
func (c *Console) SignLink(ctx context.Context, e core.Employee, purpose string) (string, time.Time, error) {
	if e.ID == "" {
		return "", time.Time{}, core.Errorf(core.EINVALID, "console: a link needs an employee")
	}
	if purpose != core.LinkConsole && purpose != core.LinkMyData {
		return "", time.Time{}, core.Errorf(core.EINVALID, "console: unknown link purpose %q", purpose)
	}
	nonce, err := c.random(16)
	if err != nil {
		return "", time.Time{}, core.WrapError(core.EINTERNAL, err, "console: no randomness for a link nonce")
	}
	exp := c.now().Add(c.cfg.LinkTTL).Truncate(time.Second)
	token, err := seal(c.linkKey, linkClaims{V: linkVersion, Sub: e.ID, Purpose: purpose, Exp: exp.Unix(), Nonce: nonce})
	if err != nil {
		return "", time.Time{}, core.WrapError(core.EINTERNAL, err, "console: cannot encode a link")
	}
	return c.base + "/auth/" + token, exp, nil
}

func (c *Console) parseLink(token string) (linkClaims, error) {
	var l linkClaims
	if err := open(c.linkKey, token, &l); err != nil {
		return linkClaims{}, err
	}
	if l.V != linkVersion || l.Sub == "" || l.Nonce == "" || l.Exp == 0 || (l.Purpose != core.LinkConsole && l.Purpose != core.LinkMyData) {
		return linkClaims{}, errMalformed
	}
	if !c.now().Before(time.Unix(l.Exp, 0)) {
		return l, errExpired
	}
	return l, nil
}

// newSession starts a session and sets its cookie.
func (c *Console) newSession(w http.ResponseWriter, sub string, admin bool) error {
	sid, err := c.random(16)
	if err != nil {
		return err
	}
	exp := c.now().Add(c.cfg.SessionTTL)
	value, err := seal(c.sessionKey, session{V: sessionVersion, Sub: sub, Admin: admin, SID: sid, Exp: exp.Unix()})
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: value, Path: "/", MaxAge: int(c.cfg.SessionTTL / time.Second),
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteStrictMode})
	return nil
}

func (c *Console) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteStrictMode})
}

// readSession returns the request's valid session, if any.
func (c *Console) readSession(r *http.Request) (session, bool) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, false
	}
	var s session
	if err := open(c.sessionKey, ck.Value, &s); err != nil || s.V != sessionVersion || s.SID == "" || (s.Sub == "") == !s.Admin {
		return session{}, false
	}
	if !c.now().Before(time.Unix(s.Exp, 0)) {
		return session{}, false
	}
	if c.sessions != nil {
		if _, err := c.sessions.Get(r.Context(), revokedKey(s.SID)); err == nil {
			return session{}, false
		}
	}
	return s, true
}

func revokedKey(sid string) string { return "console:signed-out:" + sid }

// csrfToken binds a form to its session: a page from another origin cannot
// read it, and it is worthless with any other session.
func (c *Console) csrfToken(sid string) string {
	return b64.EncodeToString(sum(c.sessionKey, "csrf|"+sid))
}

// sameOrigin refuses cross-site POSTs even before the CSRF token is looked
// at: browsers send Origin with every POST.
func (c *Console) sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true // not a browser, or an old one; the CSRF token still applies
	}
	if origin == c.base {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

// checkPost validates a POST of a signed-in viewer: same origin and the
// session's CSRF token.
func (c *Console) checkPost(r *http.Request, v *viewer) bool {
	if !c.sameOrigin(r) {
		return false
	}
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(v.CSRF)) == 1
}

// viewer is who is looking, with what they may see.
type viewer struct {
	Admin    bool
	Emp      core.Employee
	Scope    core.Scope
	Everyone map[string]core.Employee
	Lang     string
	SID      string
	CSRF     string
}

// Actor is the viewer as the audit log and the make-up flow name them.
func (v *viewer) Actor() string {
	if v.Admin {
		return core.ActorAdmin
	}
	return v.Emp.ID
}

// HR reports whether the viewer sees everything.
func (v *viewer) HR() bool { return v.Admin || v.Emp.Role == core.RoleHR }

// Manager reports whether the viewer has a team to look at.
func (v *viewer) Manager() bool {
	return v.HR() || (v.Emp.Role == core.RoleManager && len(v.Scope.IDs) > 1)
}

// Others reports whether ids include anyone but the viewer, which is when a
// view must be audited.
func (v *viewer) Others(ids ...string) bool {
	for _, id := range ids {
		if v.Admin || id != v.Emp.ID {
			return true
		}
	}
	return false
}

// authenticated resolves the viewer of a request or sends the browser to
// the sign-in page.
func (c *Console) authenticated(h func(w http.ResponseWriter, r *http.Request, v *viewer) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := c.readSession(r)
		if !ok {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			c.errorPage(w, r, http.StatusUnauthorized, c.orgLang(r.Context()), "signed_out")
			return
		}
		v, err := c.resolve(r.Context(), s)
		if err != nil {
			if core.ErrorCode(err) == core.EUNAUTHORIZED {
				c.clearCookie(w, sessionCookie)
				c.errorPage(w, r, http.StatusUnauthorized, c.orgLang(r.Context()), "inactive")
				return
			}
			c.fail(w, r, "zh", err)
			return
		}
		if l := r.URL.Query().Get("lang"); l == "zh" || l == "en" {
			v.Lang = l
		}
		if err := h(w, r, v); err != nil {
			c.fail(w, r, v.Lang, err)
		}
	}
}

// resolve loads the session's person, their role and what they may see.
func (c *Console) resolve(ctx context.Context, s session) (*viewer, error) {
	emps, err := c.store.ListEmployees(ctx)
	if err != nil {
		return nil, err
	}
	v := &viewer{Admin: s.Admin, SID: s.SID, CSRF: c.csrfToken(s.SID), Everyone: make(map[string]core.Employee, len(emps))}
	for _, e := range emps {
		v.Everyone[e.ID] = e
	}
	if s.Admin {
		info, err := c.store.OrgInfo(ctx)
		if err != nil {
			return nil, err
		}
		v.Lang = core.ReportLang(info, emps)
		v.Emp = core.Employee{ID: core.ActorAdmin, Name: "HR", Role: core.RoleHR, Active: true, Lang: v.Lang}
		v.Scope = core.ScopeAll()
		return v, nil
	}
	e, ok := v.Everyone[s.Sub]
	if !ok || !e.Active {
		return nil, core.Errorf(core.EUNAUTHORIZED, "employee %s is no longer active", s.Sub)
	}
	v.Emp, v.Lang = e, pageLang(e.Lang)
	v.Scope = core.ScopeFor(e, emps)
	return v, nil
}

// orgLang is the language of pages shown before anyone signs in.
func (c *Console) orgLang(ctx context.Context) string {
	info, err := c.store.OrgInfo(ctx)
	if err != nil || (info.Lang != "zh" && info.Lang != "en") {
		return "zh"
	}
	return info.Lang
}

func pageLang(l string) string {
	if l == "en" {
		return "en"
	}
	return "zh"
}

// safeNext keeps a post-sign-in redirect on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/"
	}
	return next
}

// loginPage shows the admin-token form, with a fresh double-submit token.
func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	lang := c.orgLang(r.Context())
	if l := r.URL.Query().Get("lang"); l == "zh" || l == "en" {
		lang = l
	}
	tok, err := c.random(16)
	if err != nil {
		c.fail(w, r, lang, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: tok, Path: "/login", MaxAge: 3600, HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteStrictMode})
	c.render(w, r, http.StatusOK, "login", &page{Lang: lang, Title: tr(lang, "login"), Data: loginData{
		Next: safeNext(r.URL.Query().Get("next")), Form: tok, TokenEnabled: c.cfg.AdminToken != "", Failed: r.URL.Query().Get("failed") != "",
	}})
}

type loginData struct {
	Next         string
	Form         string
	TokenEnabled bool
	Failed       bool
}

// login signs HR in with the admin token.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	lang := c.orgLang(r.Context())
	ck, err := r.Cookie(loginCookie)
	if !c.sameOrigin(r) || err != nil || ck.Value == "" || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(r.PostFormValue("form"))) != 1 {
		c.errorPage(w, r, http.StatusForbidden, lang, "csrf")
		return
	}
	next := safeNext(r.PostFormValue("next"))
	got := sha256.Sum256([]byte(r.PostFormValue("token")))
	if c.cfg.AdminToken == "" || subtle.ConstantTimeCompare(got[:], c.adminToken[:]) != 1 {
		c.log.Warn("console sign-in with a wrong admin token", "remote", r.RemoteAddr)
		http.Redirect(w, r, "/login?failed=1&next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	if err := c.newSession(w, "", true); err != nil {
		c.fail(w, r, lang, err)
		return
	}
	c.clearCookie(w, loginCookie)
	if err := c.audit(r.Context(), core.ActorAdmin, "console.signed_in", core.ActorAdmin, map[string]any{"via": "admin_token"}); err != nil {
		c.log.Error("console: cannot audit a sign-in", "err", err)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout ends the session.
func (c *Console) logout(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if !c.checkPost(r, v) {
		c.errorPage(w, r, http.StatusForbidden, v.Lang, "csrf")
		return nil
	}
	if c.sessions != nil {
		if err := c.sessions.Put(r.Context(), revokedKey(v.SID), []byte{1}, c.cfg.SessionTTL); err != nil {
			c.log.Warn("console: cannot remember a sign-out", "err", err)
		}
	}
	c.clearCookie(w, sessionCookie)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// linkStatus maps a link error to its status and message key.
func linkStatus(err error) (int, string) {
	switch {
	case errors.Is(err, errExpired):
		return http.StatusGone, "link_expired"
	case errors.Is(err, errTampered):
		return http.StatusForbidden, "link_invalid"
	}
	return http.StatusBadRequest, "link_invalid"
}

type authData struct {
	Name    string
	Purpose string
}

// authPage shows who a link is for and a button that redeems it. Chat apps
// fetch links to build previews; a GET therefore never uses one up.
func (c *Console) authPage(w http.ResponseWriter, r *http.Request) {
	l, err := c.parseLink(r.PathValue("token"))
	lang := c.orgLang(r.Context())
	if err != nil {
		status, key := linkStatus(err)
		c.errorPage(w, r, status, lang, key)
		return
	}
	e, err := c.store.Employee(r.Context(), l.Sub)
	if err == nil {
		lang = pageLang(e.Lang)
	}
	if err != nil || !e.Active {
		c.errorPage(w, r, http.StatusForbidden, lang, "inactive")
		return
	}
	c.render(w, r, http.StatusOK, "auth", &page{Lang: lang, Title: tr(lang, "signin_as"), Data: authData{Name: e.Name, Purpose: l.Purpose}})
}

// redeem uses a link once and starts the session.
func (c *Console) redeem(w http.ResponseWriter, r *http.Request) {
	lang := c.orgLang(r.Context())
	if !c.sameOrigin(r) {
		c.errorPage(w, r, http.StatusForbidden, lang, "csrf")
		return
	}
	l, err := c.parseLink(r.PathValue("token"))
	if err != nil {
		status, key := linkStatus(err)
		c.errorPage(w, r, status, lang, key)
		return
	}
	e, err := c.store.Employee(r.Context(), l.Sub)
	if err != nil && core.ErrorCode(err) != core.ENOTFOUND {
		c.fail(w, r, lang, err)
		return
	}
	if err != nil || !e.Active {
		c.errorPage(w, r, http.StatusForbidden, lang, "inactive")
		return
	}
	lang = pageLang(e.Lang)
	first, err := c.used.Claim(r.Context(), "console:link:"+l.Nonce, time.Unix(l.Exp, 0).Sub(c.now())+time.Hour)
	if err != nil {
		c.fail(w, r, lang, err)
		return
	}
	if !first {
		c.errorPage(w, r, http.StatusConflict, lang, "link_used")
		return
	}
	if err := c.newSession(w, e.ID, false); err != nil {
		c.fail(w, r, lang, err)
		return
	}
	if err := c.audit(r.Context(), e.ID, "console.signed_in", e.ID, map[string]any{"via": "link", "purpose": l.Purpose}); err != nil {
		c.log.Error("console: cannot audit a sign-in", "err", err)
	}
	next := "/"
	if l.Purpose == core.LinkMyData {
		next = "/me"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// audit appends one entry.
func (c *Console) audit(ctx context.Context, actor, action, subject string, detail map[string]any) error {
	buf, _ := json.Marshal(detail)
	return c.store.InTx(ctx, func(tx core.Tx) error {
		return tx.InsertAudit(ctx, core.AuditEntry{At: c.now(), Actor: actor, Action: action, Subject: subject, Detail: string(buf)})
	})
}

// auditView records that the viewer looked at (or exported) other people's
// data; looking at one's own data is not audited. An unrecordable view is
// not shown.
func (c *Console) auditView(ctx context.Context, v *viewer, action, subject string, ids []string, detail map[string]any) error {
	if !v.Others(ids...) {
		return nil
	}
	if detail == nil {
		detail = map[string]any{}
	}
	if len(ids) == 1 {
		// One person: the entry is about them, so it shows on their page.
		detail["view"], subject = subject, ids[0]
		return c.audit(ctx, v.Actor(), action, subject, detail)
	}
	detail["people"] = len(ids)
	// Several people: one entry, with each of them recorded as a subject
	// so it shows on every one's page (wholooked.go).
	return c.recordAccess(ctx, v.Actor(), action, subject, detail, ids)
}
