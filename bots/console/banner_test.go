package console

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/punchbot/punchbot/core"
)

// problemList is a fixed list of set-up problems.
type problemList []core.ConfigProblem

func (p problemList) Problems() []core.ConfigProblem { return p }

var testProblems = problemList{{Platform: core.PlatformSlack, Reason: "missing_scope",
	Fix:   "Slack: the bot token lacks the scope im:write: add it under api.slack.com/apps → OAuth & Permissions → Bot Token Scopes and reinstall the app",
	Since: time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC), Last: time.Date(2026, 11, 26, 2, 29, 0, 0, time.UTC), Count: 42}}

func withProblems(p ConfigProblems) func(*Config, *Deps) {
	return func(_ *Config, d *Deps) { d.Problems = p }
}

// TestConfigBanner: HR sees each platform set-up problem, with its fix, on
// every page; managers and employees do not; no problem, no banner.
func TestConfigBanner(t *testing.T) {
	f := MustFixture(t, true, withProblems(testProblems))
	tests := []struct {
		who, path string
		want      bool
	}{
		{"admin", "/", true},
		{"admin", "/reports", true},
		{"H1", "/exceptions", true},
		{"M1", "/", false},
		{"E1", "/me", false},
	}
	for _, tt := range tests {
		body := f.MustSignIn(t, tt.who).get(t, tt.path).Body
		got := strings.Contains(body, `class="banner" role="alert" data-platform="slack" data-code="missing_scope"`) &&
			strings.Contains(body, "lacks the scope im:write") && strings.Contains(body, "42")
		if got != tt.want {
			t.Errorf("%s %s: banner shown = %v, want %v", tt.who, tt.path, got, tt.want)
		}
	}
	quiet := MustFixture(t, true, withProblems(problemList(nil)))
	if body := quiet.MustSignIn(t, "admin").get(t, "/").Body; strings.Contains(body, `class="banner"`) {
		t.Errorf("a banner with no problem")
	}
}

// TestBrowserConfigBanner renders the banner in Chromium under the
// console's CSP: visible, first in the page, no console errors.
func TestBrowserConfigBanner(t *testing.T) {
	browser := MustBrowser(t)
	f := MustFixture(t, true, withProblems(testProblems))
	tb := newTab(t, browser)
	tb.open(t, f.srv.URL+"/")
	tb.run(t, chromedp.SendKeys(chromedp.ID("token"), testAdminToken), chromedp.Submit(chromedp.ID("token")),
		chromedp.WaitVisible(chromedp.CSS(`p.banner[data-code="missing_scope"]`)))
	got := eval[map[string]any](t, tb, `(() => { const b = document.querySelector("main > p.banner");
		return {text: b.textContent, height: b.getBoundingClientRect().height, first: document.querySelector("main").firstElementChild === b}; })()`)
	if text, _ := got["text"].(string); !strings.Contains(text, "slack") || !strings.Contains(text, "im:write") {
		t.Errorf("banner text = %q, want the platform and the scope", got["text"])
	}
	if h, _ := got["height"].(float64); h <= 0 || got["first"] != true {
		t.Errorf("banner = %v, want it visible at the top of the page", got)
	}
	tb.shot(t, "config-banner")
	tb.noConsoleErrors(t)
}
