package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"

	"github.com/punchbot/punchbot/core"
)

// TestBrowserShowsTheMakeupHintOnItsOwnLine: a late clock-in's result
// carries the 补卡 command on a second line (bots.PunchMakeupHint); the
// page keeps that line break instead of running both into one sentence.
func TestBrowserShowsTheMakeupHintOnItsOwnLine(t *testing.T) {
	ctx := MustBrowser(t)
	f := MustFixture(t, Config{})
	f.clock.Add(30 * time.Minute) // 09:25: late
	link := f.MustLink(t, "U1", "Ann Lee", "en", core.KindIn)
	run := runPage(t, ctx, f.srv.URL, link, browser.PermissionSettingGranted, ptr(insideLat), ptr(insideLng), ptr(18))
	want := "(25 min late) · HQ"
	if run.State != "accepted" || !strings.Contains(run.Status, want) {
		t.Fatalf("page = %+v, want an accepted late clock-in", run)
	}
	if !strings.Contains(run.Status, "\nTo request a make-up, send: “makeup 2026-03-02 09:00 in <reason>”") {
		t.Errorf("status text %q, want the make-up command on its own line", run.Status)
	}
}
