package console

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/punchbot/punchbot/core"
)

// layoutPages are every console page HR can open, with data on them.
var layoutPages = []string{
	"/", "/plot?date=2026-11-26", "/exceptions?from=2026-11-20&to=2026-11-26", "/makeups", "/reports?month=2026-11", "/reminders",
	"/audit", "/people/E2", "/me", "/org/people", "/org/people/E1", "/org/people/new", "/org/sites", "/org/sites/hq", "/org/schedules",
	"/org/schedules/day", "/org/calendars", "/org/calendars/new", "/org/policy", "/org/reminders/new", "/org/reminders/weekly", "/org/apply",
}

// layoutCheck measures the page: horizontal overflow, buttons and other
// controls smaller than 44 px, and text below 4.5:1 contrast against the
// background it sits on (WCAG 2.1 SC 1.4.3 and 2.5.5; the contrast formula
// is WCAG's relative luminance, https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio).
const layoutCheck = `(() => {
  const out = {scroll: document.documentElement.scrollWidth, inner: window.innerWidth, small: [], low: []};
  const visible = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden"; };
  document.querySelectorAll("button, .button, input:not([type=hidden]):not([type=checkbox]), select, textarea, header nav a, .subnav a, label.check").forEach(el => {
    if (!visible(el)) return;
    const r = el.getBoundingClientRect();
    if (r.height < 44 - 0.5) out.small.push((el.id || el.name || el.textContent.trim().slice(0, 20) || el.tagName) + ":" + Math.round(r.height));
  });
  const rgb = s => { const m = s.match(/rgba?\(([^)]+)\)/); if (!m) return null; const p = m[1].split(",").map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const bg = el => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c && c.a > 0.5) return c; } return {r: 255, g: 255, b: 255, a: 1}; };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || seen.has(el) || !n.textContent.trim() || !visible(el) || el.closest("svg, script, style")) continue;
    seen.add(el);
    const fg = rgb(getComputedStyle(el).color), b = bg(el);
    const l1 = lum(fg), l2 = lum(b), ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    if (ratio < 4.5) out.low.push(el.tagName + "." + el.className + " '" + n.textContent.trim().slice(0, 16) + "' " + ratio.toFixed(2));
  }
  return out;
})()`

type layoutResult struct {
	Scroll int      `json:"scroll"`
	Inner  int      `json:"inner"`
	Small  []string `json:"small"`
	Low    []string `json:"low"`
}

// TestBrowserLayoutFitsPhoneAndDesktop opens every page at 390×844 (a
// phone) and 1280×800, in light and dark colour schemes: no page scrolls
// sideways, every control is at least 44 px tall, and all text has at least
// 4.5:1 contrast.
func TestBrowserLayoutFitsPhoneAndDesktop(t *testing.T) {
	browser := MustBrowser(t)
	sched := &fakeScheduler{}
	f := MustFixture(t, true, withScheduler(sched))
	sched.now = f.clock.Now
	// A field punch approval and a leave request, so the approvals page
	// shows every kind of row.
	if _, err := f.svc.RequestLeave(t.Context(), "E2", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "annual", From: "2026-11-30", Reason: "家事"}, core.PlatformWeCom); err != nil {
		t.Fatal(err)
	}
	tb := newTab(t, browser)
	tb.open(t, f.MustLink(t, "H1", core.LinkConsole))
	tb.run(t, chromedp.Click(chromedp.ID("continue")), chromedp.WaitVisible(chromedp.ID("counts")))
	for _, size := range []struct {
		w, h   int64
		mobile bool
		scheme string
	}{{390, 844, true, "light"}, {390, 844, true, "dark"}, {1280, 800, false, "light"}} {
		ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
		if _, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: size.w, Height: size.h, DeviceScaleFactor: 1, Mobile: size.mobile}); err != nil {
			t.Fatalf("viewport: %v", err)
		}
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: size.scheme}}}); err != nil {
			t.Fatalf("colour scheme: %v", err)
		}
		cancel()
		for _, path := range layoutPages {
			t.Run(fmt.Sprintf("%dx%d-%s%s", size.w, size.h, size.scheme, path), func(t *testing.T) {
				tb.open(t, f.srv.URL+path)
				if page := eval[string](t, tb, `document.body.dataset.page`); page == "error" || page == "login" {
					t.Fatalf("%s shows the %s page", path, page)
				}
				got := eval[layoutResult](t, tb, layoutCheck)
				t.Logf("%s: scrollWidth %d, innerWidth %d", path, got.Scroll, got.Inner)
				if got.Scroll > got.Inner {
					t.Errorf("%s: page is %d px wide in a %d px viewport", path, got.Scroll, got.Inner)
				}
				if len(got.Small) > 0 {
					t.Errorf("%s: controls under 44 px: %s", path, strings.Join(got.Small, ", "))
				}
				if len(got.Low) > 0 {
					t.Errorf("%s: text under 4.5:1: %s", path, strings.Join(got.Low, "; "))
				}
				if path == "/" || path == "/org/people/E1" || path == "/makeups" || path == "/org/reminders/weekly" {
					tb.shotAt(t, fmt.Sprintf("%dx%d-%s-%s", size.w, size.h, size.scheme, strings.NewReplacer("/", "_", "?", "_").Replace(path)), int(size.w))
				}
			})
		}
	}
	tb.noConsoleErrors(t)
}

// shotAt saves a full-page screenshot taken at a viewport width and checks
// it is that wide: the page did not grow sideways.
func (tb *tab) shotAt(t *testing.T, name string, width int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	img, err := jpegOrPNG(buf)
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if b := img.Bounds(); b.Dx() != width || b.Dy() < 200 {
		t.Errorf("screenshot %s is %v, want %d px wide", name, b, width)
	}
	dir := os.Getenv("PUNCHBOT_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.WriteFile(filepath.Join(dir, "console-"+name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

func jpegOrPNG(buf []byte) (image.Image, error) {
	if img, err := png.Decode(bytes.NewReader(buf)); err == nil {
		return img, nil
	}
	return jpeg.Decode(bytes.NewReader(buf))
}
