package console

import (
	"context"
	"net/http"
	"strings"

	"github.com/punchbot/punchbot/core"
)

// Passkey sign-in: the page carries the discoverable assertion's options;
// the browser's answer comes back in a plain form post (the console's CSP
// allows no fetch), and a verified passkey of an active employee starts
// their session as a chat link would.

type passkeyData struct {
	Key     string // the ceremony's id, echoed by the form
	Options string // PublicKeyCredentialRequestOptions, JSON
	Failed  bool
}

func (c *Console) passkeyPage(w http.ResponseWriter, r *http.Request) {
	if c.keys == nil {
		c.errorPage(w, r, http.StatusNotFound, c.orgLang(r.Context()), "not_found")
		return
	}
	c.showPasskey(w, r, http.StatusOK, false)
}

func (c *Console) showPasskey(w http.ResponseWriter, r *http.Request, status int, failed bool) {
	lang := c.orgLang(r.Context())
	key, err := c.random(16)
	if err != nil {
		c.fail(w, r, lang, err)
		return
	}
	opts, err := c.keys.BeginDiscoverable(r.Context(), "console:"+key)
	if err != nil {
		c.fail(w, r, lang, err)
		return
	}
	c.render(w, r, status, "passkey", &page{Lang: lang, Title: deviceText(lang, "pk_title"), Data: passkeyData{Key: key, Options: string(opts), Failed: failed}})
}

func (c *Console) passkeySignIn(w http.ResponseWriter, r *http.Request) {
	lang := c.orgLang(r.Context())
	if c.keys == nil {
		c.errorPage(w, r, http.StatusNotFound, lang, "not_found")
		return
	}
	if !c.sameOrigin(r) {
		c.errorPage(w, r, http.StatusForbidden, lang, "csrf")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	key, cred := r.PostFormValue("key"), strings.TrimSpace(r.PostFormValue("credential"))
	if key == "" || cred == "" {
		c.showPasskey(w, r, http.StatusUnauthorized, true)
		return
	}
	a, err := c.keys.FinishDiscoverable(r.Context(), "console:"+key, []byte(cred), func(ctx context.Context, employeeID string) (core.Employee, []core.Device, error) {
		subj, err := c.devices.DeviceSubjectFor(ctx, employeeID)
		if err != nil {
			return core.Employee{}, nil, err
		}
		if !subj.Employee.Active {
			return core.Employee{}, nil, core.Errorf(core.EUNAUTHORIZED, "employee %s is not active", employeeID)
		}
		return subj.Employee, subj.Devices, nil
	})
	if err != nil {
		c.log.Info("console: passkey sign-in refused", "err", err)
		c.showPasskey(w, r, http.StatusUnauthorized, true)
		return
	}
	if err := c.devices.DeviceUsed(r.Context(), a.DeviceID, a.Credential); err != nil {
		c.log.Warn("console: passkey sign counter not saved", "err", err)
	}
	if err := c.newSession(w, a.EmployeeID, false); err != nil {
		c.fail(w, r, lang, err)
		return
	}
	if err := c.audit(r.Context(), a.EmployeeID, "console.signed_in", a.EmployeeID, map[string]any{"via": "passkey"}); err != nil {
		c.log.Error("console: cannot audit a sign-in", "err", err)
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
