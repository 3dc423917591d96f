package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/punchbot/punchbot/core"
)

// TestBrowserRetriesAfterALowAccuracyRefusal: a fix too coarse is refused
// with the reason and a retry button on the same page; the retry with a
// good fix punches; the page opened again after that cannot punch again.
func TestBrowserRetriesAfterALowAccuracyRefusal(t *testing.T) {
	parent := MustBrowser(t)
	f := MustFixture(t, Config{})
	link := f.MustLink(t, "U1", "Ann Lee", "en", core.KindIn)

	tab, closeTab := chromedp.NewContext(parent)
	defer closeTab()
	ctx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()
	if _, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: string(browser.PermissionTypeGeolocation)}, Setting: browser.PermissionSettingGranted, Origin: f.srv.URL,
	}); err != nil {
		t.Fatalf("Browser.setPermission: %v", err)
	}
	position := func(acc float64) {
		t.Helper()
		if _, err := chromedp.Call(ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{Latitude: ptr(insideLat), Longitude: ptr(insideLng), Accuracy: &acc}); err != nil {
			t.Fatalf("Emulation.setGeolocationOverride: %v", err)
		}
	}
	// settled waits for a state other than the working ones and not
	// before (the one shown before the click), and reads the page.
	settled := func(before string) (state, status string, retry bool) {
		t.Helper()
		var err error
		state, err = chromedp.Run(ctx, chromedp.Poll[string](
			`(function () { var s = document.body.getAttribute("data-state"); return ["ready", "locating", "sending", "`+before+`"].indexOf(s) < 0 ? s : null; })()`,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(25*time.Second)))
		if err != nil {
			t.Fatalf("waiting for the page to settle after %q: %v", before, err)
		}
		if status, err = chromedp.Run(ctx, chromedp.Text(chromedp.ID("status"))); err != nil {
			t.Fatal(err)
		}
		if retry, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.getElementById("retry").hidden`)); err != nil {
			t.Fatal(err)
		}
		return state, status, retry
	}

	position(3000)
	if err := chromedp.Do(ctx, chromedp.Navigate(link)); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	state, status, retry := settled("")
	if state != "rejected" || !strings.Contains(status, "too imprecise") || !retry {
		t.Fatalf("coarse fix: page %s %q retry %v, want rejected with the reason and a retry button", state, status, retry)
	}

	position(18)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("retry"))); err != nil {
		t.Fatalf("click retry: %v", err)
	}
	state, status, retry = settled("rejected")
	if state != "accepted" || !strings.Contains(status, "Clock-in recorded at 08:55") || retry {
		t.Fatalf("retry: page %s %q retry %v, want the clock-in recorded and no retry", state, status, retry)
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(link)); err != nil {
		t.Fatalf("navigate again: %v", err)
	}
	state, status, retry = settled("")
	if state == "accepted" || retry || !strings.Contains(status, "already used") {
		t.Errorf("reopened page: %s %q retry %v, want the link used, no retry", state, status, retry)
	}
	var accepted int
	for _, p := range f.punches(t) {
		if p.Outcome == core.OutcomeAccepted {
			accepted++
		}
	}
	if accepted != 1 {
		t.Errorf("accepted punches = %d, want 1", accepted)
	}
}
