package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/punchbot/punchbot/bots/playground/sim"
	"github.com/punchbot/punchbot/core"
)

// playgroundBrowser starts a headless Chromium as bots/internal/browsertest
// does (that package is internal to bots/, so cmd cannot import it).
func playgroundBrowser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("PUNCHBOT_CHROMIUM")
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if path != "" {
			break
		}
		path, _ = exec.LookPath(name)
	}
	if path == "" {
		t.Skip("no chromium binary found (apt-get install -y chromium, or set PUNCHBOT_CHROMIUM); CI installs it")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	return ctx
}

// startDemo runs the demo (without its history) on a free port and
// returns the base URL the browser opens.
func startDemo(t *testing.T) (string, *server, *sim.Platforms) {
	t.Helper()
	cfg, err := loadConfig(env("PUNCHBOT_DB_PATH", filepath.Join(t.TempDir(), "demo.db"), "PUNCHBOT_ADDR", "127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	var srv *server
	var platforms *sim.Platforms
	done := make(chan error, 1)
	go func() {
		done <- runDemo(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, io.Discard, demoHooks{ready: func(addr string, s *server, p *sim.Platforms) {
			srv, platforms = s, p
			ready <- loopbackURL(addr)
		}})
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case base := <-ready:
		return base, srv, platforms
	case err := <-done:
		t.Fatalf("demo stopped: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("demo did not start in 20 s")
	}
	return "", nil, nil
}

// paneText is the JavaScript for the text of one pane.
func paneText(key string) string {
	return fmt.Sprintf(`(document.querySelector('section[data-pane="%s"] .msgs') || {textContent: ""}).textContent`, key)
}

// waitInPage polls a JavaScript condition in the page.
func waitInPage(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(15*time.Second), chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		dump, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("panes").innerText + "\n" + document.getElementById("violations").innerText`))
		t.Fatalf("waiting for %s: %v\npage:\n%s", what, err, dump)
	}
}

// TestPlaygroundMakeupAcrossPlatforms drives /playground in Chromium: 张三
// on WeCom shares a location inside the office (recorded) and 1.2 km away
// (refused), and files a make-up; the approval card
// arrives in 王经理's Feishu pane, he approves it there; the card turns
// green without its buttons and 张三's WeCom pane gets the decision; a
// broadcast fired now shows in all three panes. Every
// step crosses the simulators' signed callbacks and the bots' real API
// calls.
func TestPlaygroundMakeupAcrossPlatforms(t *testing.T) {
	base, s, _ := startDemo(t)
	ctx := playgroundBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 40*time.Second)
	defer cancel()

	// A workday with no punches of 张三's: the one before the story's.
	st, err := storyOf(context.Background(), s, mustDemoOrg(t, s))
	if err != nil {
		t.Fatal(err)
	}
	day := st.day
	for {
		day = day.AddDate(0, 0, -1)
		if work, _ := core.DayKind(st.r.Schedule, st.r.Calendar, day); work {
			break
		}
	}
	const wecomPane, feishuPane = "wecom:zhangsan", "feishu:ou_demo_manager"
	input := `section[data-pane="` + wecomPane + `"] .bar input`
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/playground"), chromedp.WaitVisible(chromedp.CSS(input))); err != nil {
		t.Fatal(err)
	}

	// A location inside 望京SOHO from the map presets: a WeCom location
	// message in GCJ-02, answered with a passive reply.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`section[data-pane="`+wecomPane+`"] .bar .loc`)),
		chromedp.Click(chromedp.CSS(`section[data-pane="`+wecomPane+`"] .map .presets button`))); err != nil {
		t.Fatal(err)
	}
	waitInPage(t, ctx, "the punch's passive reply", paneText(wecomPane)+`.includes("passive reply") && `+paneText(wecomPane)+`.includes("GCJ-02")`)
	// 1.2 km away: refused, and the reply says how far and what is allowed.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`section[data-pane="`+wecomPane+`"] .bar .loc`)),
		chromedp.Click(chromedp.CSS(`section[data-pane="`+wecomPane+`"] .map .presets button:nth-child(2)`))); err != nil {
		t.Fatal(err)
	}
	// (Out of range in working hours; at night the window refuses first.)
	waitInPage(t, ctx, "the refusal", paneText(wecomPane)+`.includes("未记录")`)

	makeup := "补卡 " + day.Format(core.DateLayout) + " 09:00 上班 地铁故障"
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(input), makeup+"\n")); err != nil {
		t.Fatal(err)
	}
	waitInPage(t, ctx, "the filing's confirmation on WeCom", paneText(wecomPane)+`.includes("已提交")`)
	card := `[...document.querySelectorAll('section[data-pane="` + feishuPane + `"] .card')].filter(c => c.textContent.includes("张三") && c.querySelector(".btn.primary")).pop()`
	waitInPage(t, ctx, "the approval card in the manager's Feishu pane", `!!(`+card+`)`)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const c = `+card+`; c.querySelector(".btn.primary").click(); return true })()`)); err != nil {
		t.Fatal(err)
	}
	waitInPage(t, ctx, "the decision in 张三's WeCom pane", paneText(wecomPane)+`.includes("王经理 同意")`)
	waitInPage(t, ctx, "the card turned green without buttons", `[...document.querySelectorAll('section[data-pane="`+feishuPane+`"] .card')].some(c => c.textContent.includes("张三") && c.querySelector(".hd.green") && !c.querySelector(".btn"))`)
	waitInPage(t, ctx, "the Feishu toast", paneText(feishuPane)+`.includes("已同意")`)

	// A broadcast fired now (as 立即发送 does) reaches the three panes, on
	// three platforms.
	runReminder(t, base, s.cfg.AdminToken, "policy")
	for _, pane := range []string{wecomPane, feishuPane, "slack:U0DEMOALICE"} {
		waitInPage(t, ctx, "the broadcast in "+pane, paneText(pane)+`.includes("09:30 前打卡")`)
	}

	violations, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#viol")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(violations, "✓ 0") {
		t.Errorf("violations = %q, want none: %v", violations, s.cfg.PublicURL)
	}
}

func mustDemoOrg(t *testing.T, s *server) core.Org {
	t.Helper()
	org, err := s.store.Org(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return org
}
