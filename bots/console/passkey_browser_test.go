package console

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/punchbot/punchbot/core"
)

// mustPasskeyFixture is the console at http://localhost:port (a secure
// context, so WebAuthn works) with device binding on.
func mustPasskeyFixture(t *testing.T) *fixture {
	t.Helper()
	var f *fixture
	f = MustFixture(t, false, func(cfg *Config, deps *Deps) {
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(cfg.PublicURL, "http://"))
		cfg.PublicURL = "http://localhost:" + port
		deps.Devices = devicesOf{deps.Store}
	})
	return f
}

// devicesOf is a core.Service over the fixture's store with devices on;
// the fixture's own service is built before the options run.
type devicesOf struct{ st Store }

func (d devicesOf) svc() *core.Service {
	ms := d.st.(interface {
		core.Store
		core.DeviceStore
	})
	s := core.NewService(ms, nil, nil, core.DefaultConfig(), func() time.Time { return time.Date(2026, 11, 26, 2, 30, 0, 0, time.UTC) })
	s.SetDevices(ms)
	return s
}

func (d devicesOf) ListDevices(ctx context.Context, v core.DeviceViewer, id string) ([]core.Device, error) {
	return d.svc().ListDevices(ctx, v, id)
}
func (d devicesOf) RevokeDevice(ctx context.Context, v core.DeviceViewer, id string) (core.Device, error) {
	return d.svc().RevokeDevice(ctx, v, id)
}
func (d devicesOf) DeviceSubjectFor(ctx context.Context, id string) (core.DeviceSubject, error) {
	return d.svc().DeviceSubjectFor(ctx, id)
}
func (d devicesOf) DeviceUsed(ctx context.Context, id string, cred []byte) error {
	return d.svc().DeviceUsed(ctx, id, cred)
}

// addAuthenticator gives the tab a platform authenticator (CTAP2, internal,
// resident keys, user verification that succeeds).
func addAuthenticator(t *testing.T, tb *tab) {
	t.Helper()
	// https://chromedevtools.github.io/devtools-protocol/tot/WebAuthn/
	if _, err := chromedp.Call(tb.ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("WebAuthn.enable: %v", err)
	}
	if _, err := chromedp.Call(tb.ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
		HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
	}}); err != nil {
		t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
	}
}

// enrollIn registers a passkey for emp in the tab's authenticator, as the
// enrollment page of bots/web does, and stores the device.
func enrollIn(t *testing.T, f *fixture, tb *tab, emp string) core.Device {
	t.Helper()
	ctx := context.Background()
	e, err := f.store.Employee(ctx, emp)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := f.console.keys.BeginRegistration(ctx, "reg:"+emp, e, nil)
	if err != nil {
		t.Fatal(err)
	}
	quoted, _ := json.Marshal(string(opts))
	js := `navigator.credentials.create({publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(JSON.parse(` + string(quoted) + `).publicKey)}).then(c => JSON.stringify(c.toJSON()))`
	cctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	cred, err := chromedp.Run(cctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("navigator.credentials.create: %v", err)
	}
	d, err := f.console.keys.FinishRegistration(ctx, "reg:"+emp, e, nil, []byte(cred))
	if err != nil {
		t.Fatal(err)
	}
	d.Name = "phone"
	if d, err = f.console.devices.(devicesOf).svc().EnrollDevice(ctx, d); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestBrowserPasskeySignInAndRevoke signs E2 in with a passkey instead of a
// chat link, has E2 and HR list the device, HR revoke it, and the same
// passkey then fail to sign in.
func TestBrowserPasskeySignInAndRevoke(t *testing.T) {
	f := mustPasskeyFixture(t)
	base := f.console.base
	browser := MustBrowser(t)
	phone := newTab(t, browser)
	addAuthenticator(t, phone)
	phone.open(t, base+"/login")
	enrollIn(t, f, phone, "E2")

	signIn := func(t *testing.T) string {
		t.Helper()
		phone.open(t, base+"/login")
		phone.run(t, chromedp.Click(chromedp.ID("passkey-link")), chromedp.WaitReady(chromedp.ID("passkey-button")))
		phone.run(t, chromedp.Click(chromedp.ID("passkey-button")))
		// The form posts and the browser navigates: poll across the
		// navigation until a page other than the bare passkey form shows.
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			ctx, cancel := context.WithTimeout(phone.ctx, 2*time.Second)
			page, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(function () { var p = document.body && document.body.getAttribute("data-page"); return p === "passkey" && !document.getElementById("failed") ? "" : p; })()`))
			cancel()
			if err == nil && page != "" {
				return page
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatal("the sign-in did not finish")
		return ""
	}

	t.Run("sign in", func(t *testing.T) {
		if page := signIn(t); page != "today" {
			t.Fatalf("after the passkey the browser is on %q, want today's page", page)
		}
		if who := eval[string](t, phone, `document.getElementById("who").textContent`); who != "李四" {
			t.Errorf("signed in as %q, want 李四", who)
		}
		es := f.audits(t, core.AuditFilter{Actor: "E2", Action: "console.signed_in"})
		if len(es) != 1 || !strings.Contains(es[0].Detail, `"via":"passkey"`) {
			t.Errorf("sign-in audit = %+v, want one via passkey", es)
		}
		phone.open(t, base+"/devices")
		if n := eval[int](t, phone, `document.querySelectorAll("#devices-table tr[data-active=true]").length`); n != 1 {
			t.Errorf("E2's devices page lists %d active devices, want 1", n)
		}
		phone.shot(t, "devices-own")
	})

	t.Run("HR revokes", func(t *testing.T) {
		hr := newTab(t, browser)
		hr.open(t, f.MustLink(t, "H1", core.LinkConsole))
		hr.run(t, chromedp.Click(chromedp.CSS("button[type=submit]")), chromedp.WaitReady(chromedp.ID("who")))
		hr.open(t, base+"/devices?employee=E2")
		hr.run(t, chromedp.Click(chromedp.CSS("#devices-table button")), chromedp.WaitReady(chromedp.ID("flash")))
		if n := eval[int](t, hr, `document.querySelectorAll("#devices-table tr[data-active=false]").length`); n != 1 {
			t.Errorf("after revoking, %d revoked devices are listed, want 1", n)
		}
		hr.shot(t, "devices-revoked")
		es := f.audits(t, core.AuditFilter{Actor: "H1", Action: "device.revoked", Subject: "E2"})
		if len(es) != 1 {
			t.Errorf("revocation audit = %+v, want one by H1 about E2", es)
		}
		// E2 sees that HR looked at the devices and revoked one.
		phone.open(t, base+"/me")
		table := eval[string](t, phone, `document.getElementById("access-table").outerHTML`)
		for _, want := range []string{"查看了你绑定的设备", "撤销了一台绑定设备"} {
			if !strings.Contains(table, want) {
				t.Errorf("E2's access log lacks %q", want)
			}
		}
	})

	t.Run("revoked passkey signs nobody in", func(t *testing.T) {
		phone.forget()
		if page := signIn(t); page != "passkey" {
			t.Fatalf("a revoked passkey led to %q", page)
		}
		if n := len(f.audits(t, core.AuditFilter{Actor: "E2", Action: "console.signed_in"})); n != 1 {
			t.Errorf("sign-ins of E2 = %d, want no new one", n)
		}
	})
}
