package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/punchbot/punchbot/bots/internal/browsertest"
	"github.com/punchbot/punchbot/core"
)

// MustBrowser starts a headless Chromium with a fresh profile and a phone-sized window
// and returns a context whose browser is already running.
func MustBrowser(tb testing.TB) context.Context {
	tb.Helper()
	return browsertest.MustBrowser(tb, "punchbot-chromium-", 420, 860)
}

// pageRun is what the page showed when it settled.
type pageRun struct {
	State, Status string
	RetryVisible  bool
	Screenshot    string
}

// runPage opens link in a new tab with geolocation set to setting for the
// page's origin and the position overridden (nil lat: position unavailable),
// waits until the page leaves its working states, and screenshots it.
func runPage(t *testing.T, parent context.Context, origin, link string, setting browser.PermissionSetting, lat, lng, acc *float64) pageRun {
	t.Helper()
	tab, closeTab := chromedp.NewContext(parent)
	defer closeTab()
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	if _, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: string(browser.PermissionTypeGeolocation)}, Setting: setting, Origin: origin,
	}); err != nil {
		t.Fatalf("Browser.setPermission: %v", err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{Latitude: lat, Longitude: lng, Accuracy: acc}); err != nil {
		t.Fatalf("Emulation.setGeolocationOverride: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(link)); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	var run pageRun
	var err error
	run.State, err = chromedp.Run(ctx, chromedp.Poll[string](
		`(function () { var s = document.body.getAttribute("data-state"); return ["ready", "locating", "sending"].indexOf(s) < 0 ? s : null; })()`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(25*time.Second)))
	if err != nil {
		t.Fatalf("waiting for the page to settle: %v", err)
	}
	if run.Status, err = chromedp.Run(ctx, chromedp.Text(chromedp.ID("status"))); err != nil {
		t.Fatal(err)
	}
	if run.RetryVisible, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.getElementById("retry").hidden`)); err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := os.Getenv("PUNCHBOT_SCREENSHOT_DIR") // keep them for a human to look at
	if dir == "" {
		dir = t.TempDir()
	}
	run.Screenshot = filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_", ",", "").Replace(t.Name())+".png")
	if err := os.WriteFile(run.Screenshot, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", run.Screenshot, len(shot))
	return run
}

func ptr(v float64) *float64 { return &v }

func TestBrowserPunch(t *testing.T) {
	ctx := MustBrowser(t)
	f := MustFixture(t, Config{})
	origin := f.srv.URL

	t.Run("permission granted, inside the site", func(t *testing.T) {
		link := f.MustLink(t, "U1", "Ann Lee", "en", core.KindIn)
		run := runPage(t, ctx, origin, link, browser.PermissionSettingGranted, ptr(insideLat), ptr(insideLng), ptr(18))
		if run.State != "accepted" || !strings.Contains(run.Status, "Clock-in recorded at 08:55") || !strings.Contains(run.Status, "HQ") {
			t.Errorf("page = %+v, want accepted clock-in at HQ", run)
		}
		if run.RetryVisible {
			t.Errorf("retry button shown after an accepted punch")
		}
		ps := f.punches(t)
		if len(ps) != 1 {
			t.Fatalf("punches = %+v, want 1", ps)
		}
		p := ps[0]
		if p.EmployeeID != "e1" || p.Source != "web" || p.Outcome != core.OutcomeAccepted || p.Lat != insideLat || p.Lng != insideLng || p.AccuracyM != 18 || p.ClientIP != "127.0.0.1" {
			t.Errorf("punch = %+v, want e1 accepted from the browser at %v,%v ±18 m", p, insideLat, insideLng)
		}
		if out := f.store.Outbox(); len(out) != 1 || out[0].Route != testRoute {
			t.Errorf("outbox = %+v, want the Slack update queued", out)
		}
	})

	t.Run("permission denied", func(t *testing.T) {
		link := f.MustLink(t, "U2", "李雷", "zh", core.KindIn)
		run := runPage(t, ctx, origin, link, browser.PermissionSettingDenied, ptr(insideLat), ptr(insideLng), ptr(18))
		if run.State != "denied" || !strings.Contains(run.Status, "没有允许使用位置") || !run.RetryVisible {
			t.Errorf("page = %+v, want the denied message with a retry button", run)
		}
		for _, p := range f.punches(t) {
			if p.EmployeeID == "e2" {
				t.Errorf("a punch was stored although permission was denied: %+v", p)
			}
		}
		if out := f.store.Outbox(); len(out) != 1 {
			t.Errorf("outbox = %d messages, want only the first test's", len(out))
		}
	})

	t.Run("position unavailable", func(t *testing.T) {
		link := f.MustLink(t, "U2", "李雷", "zh", core.KindIn)
		run := runPage(t, ctx, origin, link, browser.PermissionSettingGranted, nil, nil, nil)
		if run.State != "unavailable" || !strings.Contains(run.Status, "无法获取位置") || !run.RetryVisible {
			t.Errorf("page = %+v, want the unavailable message with a retry button", run)
		}
		if ps := f.punches(t); len(ps) != 1 {
			t.Errorf("punches = %d, want still 1", len(ps))
		}
	})
}
