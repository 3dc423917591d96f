// Package browsertest starts the headless Chromium that the browser tests
// of bots/web and bots/console drive, so both find and start it the same
// way. It imports only chromedp and the standard library.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"
)

// ChromiumPath finds a Chromium to drive: PUNCHBOT_CHROMIUM, then the
// usual binary names; "" when there is none.
func ChromiumPath() string {
	if p := os.Getenv("PUNCHBOT_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// MustBrowser starts a headless Chromium with a fresh profile (a temp
// directory named after profilePrefix) and a width×height window, and
// returns a context whose browser is already running. It skips the test
// when no Chromium is installed and stops the browser at cleanup.
func MustBrowser(tb testing.TB, profilePrefix string, width, height int) context.Context {
	tb.Helper()
	path := ChromiumPath()
	if path == "" {
		tb.Skip("no chromium binary found (apt-get install -y chromium, or set PUNCHBOT_CHROMIUM); CI installs it")
	}
	profile, err := os.MkdirTemp("", profilePrefix)
	if err != nil {
		tb.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.UserDataDir(profile), chromedp.WindowSize(width, height))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	tb.Cleanup(func() {
		cancel()
		cancelAlloc()
		// Chromium may still flush its profile while exiting; a leftover
		// temp directory is not a test failure.
		_ = os.RemoveAll(profile)
	})
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("start chromium %s: %v", path, err)
	}
	return ctx
}
