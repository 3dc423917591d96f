package web

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// deviceFixture is the location pages with device binding on, served at
// http://localhost:port: WebAuthn needs a secure context, and localhost is
// one (a bare 127.0.0.1 origin would do too, but an IP is no RP ID).
type deviceFixture struct {
	store  *coretest.MemStore
	svc    *core.Service
	clock  *clock
	pages  *Pages
	origin string
	// down makes the server drop every connection, as a network outage
	// looks to every part of the browser, its service worker included.
	down atomic.Bool
}

func mustDeviceFixture(tb testing.TB, binding core.DeviceBinding) *deviceFixture {
	tb.Helper()
	sh, _ := time.LoadLocation("Asia/Shanghai")
	clk := &clock{t: time.Date(2026, 3, 2, 8, 55, 0, 0, sh)}
	store, kv := coretest.NewMemStore(), coretest.NewMemKV(clk.Now)
	org := core.Org{
		Name: "acme", TimeZone: "Asia/Shanghai",
		Sites: []core.OrgSite{{Site: core.Site{ID: "hq", Name: "HQ", Lat: hqLat, Lng: hqLng, RadiusM: 300}}},
		Schedules: []core.Schedule{{ID: "std", WorkDays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
			StartMin: 9 * 60, EndMin: 18 * 60, CheckInOpensMin: 120, CheckOutClosesMin: 360}},
		Employees: []core.Employee{
			{ID: "e1", Name: "Ann Lee", Lang: "en", Active: true, ScheduleID: "std", SiteIDs: []string{"hq"},
				Identities: []core.Identity{{Platform: core.PlatformSlack, Tenant: "T1", UserID: "U1"}}},
			{ID: "e2", Name: "李雷", Lang: "zh", Active: true, ScheduleID: "std", SiteIDs: []string{"hq"},
				Identities: []core.Identity{{Platform: core.PlatformSlack, Tenant: "T1", UserID: "U2"}}},
		},
		Devices: core.DevicePolicy{Default: core.DeviceBindingOff, Schedules: map[string]core.DeviceBinding{"std": binding}},
	}
	if err := org.Prepare(); err != nil {
		tb.Fatalf("org: %v", err)
	}
	if _, err := store.ApplyOrg(context.Background(), org, core.AuditEntry{At: clk.Now(), Actor: "test", Action: "org.applied"}); err != nil {
		tb.Fatalf("apply org: %v", err)
	}
	svc := core.NewService(store, kv, kv, core.DefaultConfig(), clk.Now)
	svc.SetDevices(store)
	srv := httptest.NewServer(http.NotFoundHandler())
	tb.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	origin := "http://localhost:" + port
	// A short ceremony: a browser without the credential gives up when the
	// request's timeout runs out.
	pages, err := New(Config{Secret: testSecret, PublicURL: origin, PasskeyTTL: 8 * time.Second}, Deps{Core: svc, Now: clk.Now, Devices: svc, Sessions: kv})
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	mux := http.NewServeMux()
	pages.Register(mux)
	f := &deviceFixture{store: store, svc: svc, clock: clk, pages: pages, origin: origin}
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.down.Load() {
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
			return
		}
		mux.ServeHTTP(w, r)
	})
	return f
}

func (f *deviceFixture) link(tb testing.TB, user string, intent core.PunchKind) string {
	tb.Helper()
	link, err := f.pages.PunchLink(context.Background(), bots.LinkRequest{
		Actor: core.Identity{Platform: core.PlatformSlack, Tenant: "T1", UserID: user}, Lang: "en", Intent: intent,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return link
}

func (f *deviceFixture) enrollLink(tb testing.TB, emp string) string {
	tb.Helper()
	e, err := f.store.Employee(context.Background(), emp)
	if err != nil {
		tb.Fatal(err)
	}
	link, _, err := f.pages.SignLink(context.Background(), e, core.LinkDevice)
	if err != nil {
		tb.Fatal(err)
	}
	return link
}

func (f *deviceFixture) punchesOf(tb testing.TB, emp string) []core.Punch {
	tb.Helper()
	ps, err := f.store.ListPunches(context.Background(), core.PunchFilter{EmployeeID: emp})
	if err != nil {
		tb.Fatal(err)
	}
	return ps
}

// mustPhone opens a tab standing for one phone: a platform authenticator
// (CTAP2, internal transport, resident keys, user verification that
// succeeds, as a fingerprint would) and geolocation at HQ, with the
// permission set to setting.
func mustPhone(t *testing.T, parent context.Context, origin string, setting browser.PermissionSetting) context.Context {
	t.Helper()
	tab, closeTab := chromedp.NewContext(parent)
	t.Cleanup(closeTab)
	ctx, cancel := context.WithTimeout(tab, 90*time.Second)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	// https://chromedevtools.github.io/devtools-protocol/tot/WebAuthn/
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("WebAuthn.enable: %v", err)
	}
	if _, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
		HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
	}}); err != nil {
		t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
	}
	setGeolocation(t, ctx, origin, setting)
	return ctx
}

func setGeolocation(t *testing.T, ctx context.Context, origin string, setting browser.PermissionSetting) {
	t.Helper()
	if _, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: string(browser.PermissionTypeGeolocation)}, Setting: setting, Origin: origin,
	}); err != nil {
		t.Fatalf("Browser.setPermission: %v", err)
	}
	lat, lng, acc := insideLat, insideLng, 15.0
	if _, err := chromedp.Call(ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{Latitude: &lat, Longitude: &lng, Accuracy: &acc}); err != nil {
		t.Fatalf("Emulation.setGeolocationOverride: %v", err)
	}
}

// settle waits until the page's data-state leaves the working states and
// returns it with the status line.
func settle(t *testing.T, ctx context.Context, working ...string) (string, string) {
	t.Helper()
	working = append(working, "ready", "verifying", "locating", "sending", "enroll", "enrolling")
	js := `(function () { var s = document.body.getAttribute("data-state"); return ` + jsList(working) + `.indexOf(s) < 0 ? s : null; })()`
	state, err := chromedp.Run(ctx, chromedp.Poll[string](js, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(40*time.Second)))
	if err != nil {
		t.Fatalf("waiting for the page to settle: %v", err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("status")))
	if err != nil {
		t.Fatal(err)
	}
	return state, text
}

func jsList(ss []string) string {
	return `["` + strings.Join(ss, `","`) + `"]`
}

func navigate(t *testing.T, ctx context.Context, link string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(link)); err != nil {
		t.Fatalf("navigate: %v", err)
	}
}

func enroll(t *testing.T, ctx context.Context, f *deviceFixture, emp string) {
	t.Helper()
	navigate(t, ctx, f.enrollLink(t, emp))
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("enroll"))); err != nil {
		t.Fatal(err)
	}
	if state, text := settle(t, ctx); state != "enrolled" {
		t.Fatalf("enrollment page = %s %q, want enrolled", state, text)
	}
}

// TestBrowserPasskeys binds a passkey from the enrollment link, punches
// with it, refuses a forwarded link opened in another browser and a punch
// whose device was revoked meanwhile, all under device_binding: required.
func TestBrowserPasskeys(t *testing.T) {
	f := mustDeviceFixture(t, core.DeviceBindingRequired)
	phone := mustPhone(t, MustBrowser(t), f.origin, browser.PermissionSettingGranted)

	t.Run("enrollment", func(t *testing.T) {
		enroll(t, phone, f, "e1")
		ds, err := f.svc.ListDevices(context.Background(), core.DeviceViewer{Admin: true}, "e1")
		if err != nil || len(ds) != 1 || !ds[0].Active() || ds[0].EnrollNonce == "" {
			t.Fatalf("e1's devices = %+v, %v; want one active device from the link", ds, err)
		}
		if ds[0].Name != "Linux" {
			t.Errorf("device name = %q, want the browser's platform", ds[0].Name)
		}
	})

	t.Run("verified punch", func(t *testing.T) {
		navigate(t, phone, f.link(t, "U1", core.KindIn))
		state, text := settle(t, phone)
		if state != "accepted" || !strings.Contains(text, "Clock-in recorded") {
			t.Fatalf("page = %s %q, want an accepted clock-in", state, text)
		}
		ps := f.punchesOf(t, "e1")
		if len(ps) != 1 || !slices.Contains(ps[0].Flags, core.FlagDeviceVerified) {
			t.Fatalf("punches = %+v, want one flagged %s", ps, core.FlagDeviceVerified)
		}
		ds, _ := f.svc.ListDevices(context.Background(), core.DeviceViewer{Admin: true}, "e1")
		if len(ds) != 1 || ds[0].LastUsedAt.IsZero() {
			t.Errorf("device after use = %+v, want its time of use recorded", ds)
		}
	})

	t.Run("forwarded link in another browser", func(t *testing.T) {
		enroll(t, phone, f, "e2")
		other := mustPhone(t, MustBrowser(t), f.origin, browser.PermissionSettingGranted)
		navigate(t, other, f.link(t, "U2", core.KindIn))
		state, text := settle(t, other)
		if state != "device_failed" || !strings.Contains(text, "device was not verified") {
			t.Errorf("page = %s %q, want the device not verified", state, text)
		}
		if ps := f.punchesOf(t, "e2"); len(ps) != 0 {
			t.Errorf("a forwarded link punched: %+v", ps)
		}
	})

	t.Run("revoked device", func(t *testing.T) {
		// The page verifies the passkey first; with the position denied it
		// stops there, HR revokes the device, and the retry sends the
		// assertion of a device that is no longer bound.
		setGeolocation(t, phone, f.origin, browser.PermissionSettingDenied)
		navigate(t, phone, f.link(t, "U1", core.KindOut))
		if state, text := settle(t, phone); state != "denied" {
			t.Fatalf("page = %s %q, want the position denied after the passkey", state, text)
		}
		ds, _ := f.svc.ListDevices(context.Background(), core.DeviceViewer{Admin: true}, "e1")
		hr := core.DeviceViewer{Employee: core.Employee{ID: "hr1", Role: core.RoleHR, Active: true}}
		if _, err := f.svc.RevokeDevice(context.Background(), hr, ds[0].ID); err != nil {
			t.Fatal(err)
		}
		setGeolocation(t, phone, f.origin, browser.PermissionSettingGranted)
		if err := chromedp.Do(phone, chromedp.Click(chromedp.ID("retry"))); err != nil {
			t.Fatal(err)
		}
		state, text := settle(t, phone, "denied")
		if state != string(core.OutcomeRejected) || !strings.Contains(text, "bound device") {
			t.Errorf("page = %s %q, want the punch refused for want of a bound device", state, text)
		}
		ps := f.punchesOf(t, "e1")
		if len(ps) != 2 || ps[1].Valid() || !slices.Contains(ps[1].Reasons, core.ReasonDeviceRequired) {
			t.Errorf("punches = %+v, want the second refused with %s", ps, core.ReasonDeviceRequired)
		}
		// With no device left, the next link says so before asking for
		// anything.
		navigate(t, phone, f.link(t, "U1", core.KindOut))
		if state, text := settle(t, phone); state != "device_missing" || !strings.Contains(text, "bind device") {
			t.Errorf("page = %s %q, want the no-device message", state, text)
		}
	})
}

// TestBrowserOfflinePunch takes the position while the network is down:
// the page keeps the punch, says so, and uploads it when the network
// returns; the punch lands once, at the time of the fix, flagged as
// delivered late.
func TestBrowserOfflinePunch(t *testing.T) {
	t.Run("no device binding", func(t *testing.T) { testOfflinePunch(t, core.DeviceBindingOff) })
	// The passkey is verified while the page is online; the punch kept
	// offline arrives after the ceremony's own TTL and is still verified.
	t.Run("device binding required", func(t *testing.T) { testOfflinePunch(t, core.DeviceBindingRequired) })
}

func testOfflinePunch(t *testing.T, binding core.DeviceBinding) {
	f := mustDeviceFixture(t, binding)
	ctx := mustPhone(t, MustBrowser(t), f.origin, browser.PermissionSettingDenied)
	if binding != core.DeviceBindingOff {
		enroll(t, ctx, f, "e1")
	}
	navigate(t, ctx, f.link(t, "U1", core.KindIn))
	if state, text := settle(t, ctx); state != "denied" {
		t.Fatalf("page = %s %q, want denied", state, text)
	}
	offline := func(off bool) {
		t.Helper()
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			t.Fatal(err)
		}
		// https://chromedevtools.github.io/devtools-protocol/tot/Network/#method-emulateNetworkConditionsByRule
		if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{Offline: off, DownloadThroughput: -1, UploadThroughput: -1}},
		}); err != nil {
			t.Fatalf("Network.emulateNetworkConditionsByRule: %v", err)
		}
		if _, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: off, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
			t.Fatalf("Network.overrideNetworkState: %v", err)
		}
	}
	offline(true)
	setGeolocation(t, ctx, f.origin, browser.PermissionSettingGranted)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("retry"))); err != nil {
		t.Fatal(err)
	}
	state, text := settle(t, ctx, "denied")
	if state != "saved" || !strings.Contains(text, "Saved, will upload when online") {
		t.Fatalf("page = %s %q, want the saved state", state, text)
	}
	kept, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`Object.keys(localStorage).some(function (k) { return k.indexOf("punchbot:pending:") === 0; })`))
	if err != nil || !kept {
		t.Errorf("localStorage holds the punch = %v, %v; want true", kept, err)
	}
	if ps := f.punchesOf(t, "e1"); len(ps) != 0 {
		t.Fatalf("punches while offline = %+v, want none", ps)
	}
	f.clock.Add(20 * time.Minute) // the link (10 min) runs out while offline
	offline(false)
	state, text = settle(t, ctx, "saved")
	if state != "accepted" {
		t.Fatalf("page after the network returned = %s %q, want accepted", state, text)
	}
	ps := f.punchesOf(t, "e1")
	if len(ps) != 1 {
		t.Fatalf("punches = %+v, want exactly one", ps)
	}
	p := ps[0]
	fix := time.Date(2026, 3, 2, 0, 55, 0, 0, time.UTC)
	if p.At.Before(fix) || p.At.After(fix.Add(time.Minute)) || !p.ReceivedAt.Equal(fix.Add(20*time.Minute)) || !slices.Contains(p.Flags, core.FlagOfflineDelay) {
		t.Errorf("punch = at %v received %v flags %v; want the fix time, receipt 20 min later, flagged %s", p.At, p.ReceivedAt, p.Flags, core.FlagOfflineDelay)
	}
	if verified := slices.Contains(p.Flags, core.FlagDeviceVerified); verified != (binding != core.DeviceBindingOff) {
		t.Errorf("punch flags %v: verified = %v, want %v", p.Flags, verified, binding != core.DeviceBindingOff)
	}
	kept, _ = chromedp.Run(ctx, chromedp.Evaluate[bool](`Object.keys(localStorage).some(function (k) { return k.indexOf("punchbot:pending:") === 0; })`))
	if kept {
		t.Errorf("the uploaded punch is still kept in localStorage")
	}
}

// TestBrowserReopenedOffline closes and reopens a link while the server is
// unreachable: the service worker shows the page it kept, the page keeps
// the punch, and uploads it once the server answers again.
func TestBrowserReopenedOffline(t *testing.T) {
	f := mustDeviceFixture(t, core.DeviceBindingOff)
	ctx := mustPhone(t, MustBrowser(t), f.origin, browser.PermissionSettingDenied)
	link := f.link(t, "U1", core.KindIn)
	navigate(t, ctx, link)
	if state, _ := settle(t, ctx); state != "denied" {
		t.Fatalf("first load = %s, want denied", state)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`navigator.serviceWorker.controller !== null`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the service worker never took control: %v", err)
	}
	navigate(t, ctx, link) // served through the worker, which keeps a copy
	if state, _ := settle(t, ctx); state != "denied" {
		t.Fatalf("second load = %s, want denied", state)
	}

	f.down.Store(true)
	navigate(t, ctx, link)
	state, _ := settle(t, ctx)
	what, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("what")))
	if state != "denied" || what != "Clock in" {
		t.Fatalf("reopened offline = %s %q, want the kept clock-in page", state, what)
	}
	setGeolocation(t, ctx, f.origin, browser.PermissionSettingGranted)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("retry"))); err != nil {
		t.Fatal(err)
	}
	if state, text := settle(t, ctx, "denied"); state != "saved" {
		t.Fatalf("punch while the server is unreachable = %s %q, want saved", state, text)
	}
	if ps := f.punchesOf(t, "e1"); len(ps) != 0 {
		t.Fatalf("punches while down = %+v", ps)
	}
	f.clock.Add(3 * time.Minute)
	f.down.Store(false) // the page's backoff retries on its own
	if state, text := settle(t, ctx, "saved"); state != "accepted" {
		t.Fatalf("after the server is back = %s %q, want accepted", state, text)
	}
	ps := f.punchesOf(t, "e1")
	fix := time.Date(2026, 3, 2, 0, 55, 0, 0, time.UTC)
	if len(ps) != 1 || ps[0].At.Before(fix) || ps[0].At.After(fix.Add(time.Minute)) || !slices.Contains(ps[0].Flags, core.FlagOfflineDelay) {
		t.Errorf("punches = %+v, want one at the fix time, flagged %s", ps, core.FlagOfflineDelay)
	}
}
