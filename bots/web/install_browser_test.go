package web

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	cdpage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/punchbot/punchbot/core"
)

// TestBrowserInstallable asks Chromium itself, through the DevTools
// protocol, whether the pages are installable: Page.getAppManifest parses
// the manifest without errors and Page.getInstallabilityErrors reports
// none (https://chromedevtools.github.io/devtools-protocol/tot/Page/#method-getInstallabilityErrors).
// The origin is http://127.0.0.1, a secure context like https
// (https://www.w3.org/TR/secure-contexts/#is-origin-trustworthy).
func TestBrowserInstallable(t *testing.T) {
	f := MustFixture(t, Config{})
	parent := MustBrowser(t)
	origin := f.srv.URL
	for _, tc := range []struct{ name, url string }{
		{"location page", f.MustLink(t, "U1", "Ann Lee", "en", core.KindIn)},
		{"start page", origin + "/l/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab, closeTab := chromedp.NewContext(parent)
			defer closeTab()
			ctx, cancel := context.WithTimeout(tab, 60*time.Second)
			defer cancel()
			// Denied: the location page stops before it punches.
			if _, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
				Permission: &browser.PermissionDescriptor{Name: string(browser.PermissionTypeGeolocation)}, Setting: browser.PermissionSettingDenied, Origin: origin,
			}); err != nil {
				t.Fatalf("Browser.setPermission: %v", err)
			}
			navigate(t, ctx, tc.url)
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`navigator.serviceWorker.controller !== null`, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
				t.Fatalf("the service worker never took control: %v", err)
			}

			m, err := chromedp.Call(ctx, cdpage.GetAppManifest, cdpage.GetAppManifestParams{})
			if err != nil {
				t.Fatalf("Page.getAppManifest: %v", err)
			}
			if m.URL != origin+"/l/manifest.webmanifest" {
				t.Errorf("manifest URL = %q, want %s/l/manifest.webmanifest", m.URL, origin)
			}
			for _, e := range m.Errors {
				t.Errorf("manifest error: %s (line %d, column %d, critical %d)", e.Message, e.Line, e.Column, e.Critical)
			}
			if m.Manifest == nil {
				t.Fatalf("Page.getAppManifest returned no parsed manifest; data %q", m.Data)
			}
			// The protocol's WebAppManifest is Chromium's processed copy: its
			// URLs resolved against the manifest's, display as the enum's
			// name (kStandalone), and, in Chromium 156, no short_name, which
			// the raw data it also returns still shows.
			got := m.Manifest
			for _, c := range []struct{ member, got, want string }{
				{"name", got.Name, "punchbot 打卡"},
				{"start_url", got.StartURL, origin + "/l/"},
				{"scope", got.Scope, origin + "/l/"},
				{"id", got.ID, origin + "/l/"},
				{"display", strings.ToLower(strings.TrimPrefix(got.Display, "k")), "standalone"},
				{"theme_color", got.ThemeColor, "rgba(26,95,180,1)"},
			} {
				if c.got != c.want {
					t.Errorf("parsed manifest %s = %q, want %q", c.member, c.got, c.want)
				}
			}
			var raw struct {
				ShortName string `json:"short_name"`
			}
			if err := json.Unmarshal([]byte(m.Data), &raw); err != nil || raw.ShortName != "Punch" {
				t.Errorf("manifest data short_name = %q, %v; want Punch", raw.ShortName, err)
			}
			var sizes []string
			for _, ic := range got.Icons {
				if strings.HasPrefix(ic.URL, origin+"/l/icon-") && ic.Type == "image/png" {
					sizes = append(sizes, ic.Sizes)
				}
			}
			if !slices.Contains(sizes, "192x192") || !slices.Contains(sizes, "512x512") {
				t.Errorf("parsed manifest icon sizes = %v, want 192x192 and 512x512 PNGs under /l/", sizes)
			}

			// Chromium evaluates installability in the background (icons
			// fetched, worker checked), so a first answer may still list
			// errors that go away: poll to a deadline.
			var last []string
			deadline := time.Now().Add(20 * time.Second)
			for {
				res, err := chromedp.Call(ctx, cdpage.GetInstallabilityErrors, cdp.Empty{})
				if err != nil {
					t.Fatalf("Page.getInstallabilityErrors: %v", err)
				}
				last = last[:0]
				for _, e := range res.InstallabilityErrors {
					var args []string
					for _, a := range e.ErrorArguments {
						args = append(args, a.Name+"="+a.Value)
					}
					last = append(last, fmt.Sprintf("%s%v", e.ErrorID, args))
				}
				if len(last) == 0 || time.Now().After(deadline) {
					break
				}
				time.Sleep(250 * time.Millisecond)
			}
			if len(last) != 0 {
				t.Errorf("installability errors = %v, want none", last)
			}
		})
	}
}

// TestBrowserStartPageSendsKeptPunch keeps a punch on the location page
// while the server is unreachable, opens the start page (what the
// installed app launches) while it still is, so the service worker's copy
// shows it, and checks that the start page sends the punch once the server
// answers, says so, and leaves nothing kept.
func TestBrowserStartPageSendsKeptPunch(t *testing.T) {
	f := mustDeviceFixture(t, core.DeviceBindingOff)
	ctx := mustPhone(t, MustBrowser(t), f.origin, browser.PermissionSettingDenied)
	navigate(t, ctx, f.link(t, "U1", core.KindIn))
	if state, text := settle(t, ctx); state != "denied" {
		t.Fatalf("location page = %s %q, want denied", state, text)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`navigator.serviceWorker.controller !== null`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the service worker never took control: %v", err)
	}

	f.down.Store(true)
	setGeolocation(t, ctx, f.origin, browser.PermissionSettingGranted)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("retry"))); err != nil {
		t.Fatal(err)
	}
	if state, text := settle(t, ctx, "denied"); state != "saved" {
		t.Fatalf("punch while the server is unreachable = %s %q, want saved", state, text)
	}

	// The start page was never opened online: the worker kept it at
	// install.
	navigate(t, ctx, f.origin+"/l/")
	state, text := settle(t, ctx, "home")
	if state != "waiting" || !strings.Contains(text, "Still no network") {
		t.Fatalf("start page while down = %s %q, want waiting", state, text)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.prototype.map.call(document.querySelectorAll("#kept li"), function (li) { return li.getAttribute("data-state") + " " + li.textContent; })`))
	if err != nil || len(rows) != 1 || !strings.HasPrefix(rows[0], "saved Location fix ") {
		t.Fatalf("kept rows = %q, %v; want one waiting punch with its fix time", rows, err)
	}
	if ps := f.punchesOf(t, "e1"); len(ps) != 0 {
		t.Fatalf("punches while down = %+v, want none", ps)
	}

	f.clock.Add(3 * time.Minute)
	f.down.Store(false) // the start page's backoff retries on its own
	state, text = settle(t, ctx, "home", "waiting")
	if state != "done" || !strings.Contains(text, "were sent") {
		t.Fatalf("start page after the server is back = %s %q, want done", state, text)
	}
	rows, _ = chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.prototype.map.call(document.querySelectorAll("#kept li"), function (li) { return li.getAttribute("data-state") + " " + li.textContent; })`))
	if len(rows) != 1 || !strings.HasPrefix(rows[0], "accepted ") || !strings.Contains(rows[0], "Clock-in recorded") {
		t.Errorf("kept rows = %q, want the one punch accepted", rows)
	}
	ps := f.punchesOf(t, "e1")
	fix := time.Date(2026, 3, 2, 0, 55, 0, 0, time.UTC)
	if len(ps) != 1 || ps[0].At.Before(fix) || ps[0].At.After(fix.Add(time.Minute)) || !ps[0].ReceivedAt.Equal(fix.Add(3*time.Minute)) || !slices.Contains(ps[0].Flags, core.FlagOfflineDelay) {
		t.Errorf("punches = %+v, want one at the fix time, received 3 min later, flagged %s", ps, core.FlagOfflineDelay)
	}
	// Neither the punch nor the link's clock offset outlives the answer.
	left, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Object.keys(localStorage).filter(function (k) { return k.indexOf("punchbot:") === 0; })`))
	if len(left) != 0 {
		t.Errorf("localStorage keeps %q after the punch was sent, want nothing", left)
	}

	// Opened again with nothing kept, the page says only where links come
	// from.
	navigate(t, ctx, f.origin+"/l/")
	if state, text := settle(t, ctx, "home"); state != "none" || !strings.Contains(text, "No punches are waiting") {
		t.Errorf("start page with nothing kept = %s %q, want none", state, text)
	}
}
