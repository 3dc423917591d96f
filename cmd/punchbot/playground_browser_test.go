package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

// demoClock is the demo's clock in the browser tests: 08:30 in Shanghai on
// Wednesday 2 December 2026, a workday of the demo calendar, advancing
// with the real clock. The punches are then on time whenever the test
// runs, and the clock is behind the real one, as the outbox worker's
// real-time claims need.
func demoClock() func() time.Time {
	zone, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	start, real := time.Date(2026, 12, 2, 8, 30, 0, 0, zone), time.Now()
	return func() time.Time { return start.Add(time.Since(real)) }
}

// startDemo runs the demo (without its history, on demoClock) on a free
// port and returns the base URL the browser opens.
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
	hooks := demoHooks{now: demoClock(), ready: func(addr string, s *server, p *sim.Platforms) {
		srv, platforms = s, p
		ready <- loopbackURL(addr)
	}}
	go func() {
		done <- runDemo(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, io.Discard, hooks)
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

// paneCard is the JavaScript for the last card of a pane whose text has
// every one of words, or undefined.
func paneCard(key string, words ...string) string {
	var cond []string
	for _, w := range words {
		cond = append(cond, fmt.Sprintf("c.textContent.includes(%q)", w))
	}
	return fmt.Sprintf(`[...document.querySelectorAll('section[data-pane="%s"] .card')].filter(c => %s).pop()`, key, strings.Join(cond, " && "))
}

// waitInPage polls a JavaScript condition in the page.
func waitInPage(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(15*time.Second), chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		dump, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("section[data-pane]")].map(p => "── " + p.dataset.pane + "\n" + p.querySelector(".msgs").innerText).join("\n") + "\n── violations\n" + document.getElementById("violations").innerText`))
		t.Fatalf("waiting for %s: %v\npage:\n%s", what, err, dump)
	}
}

// sayIn types text into a pane and sends it.
func sayIn(t *testing.T, ctx context.Context, pane, text string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`section[data-pane="`+pane+`"] .bar input`), text+"\n")); err != nil {
		t.Fatalf("typing %q in %s: %v", text, pane, err)
	}
}

// shareIn opens a pane's map and clicks preset n (1-based: inside the
// first site, 1.2 km away from it, …).
func shareIn(t *testing.T, ctx context.Context, pane string, n int) {
	t.Helper()
	sel := `section[data-pane="` + pane + `"]`
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(sel+` .bar .loc`)),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`%s .map .presets button:nth-child(%d)`, sel, n)))); err != nil {
		t.Fatalf("sharing preset %d in %s: %v", n, pane, err)
	}
}

// TestPlaygroundMakeupAcrossPlatforms drives /playground in Chromium, at
// 08:30 on a workday (demoClock). The page opens the panes the demo
// derives from the organisation: 张三 on WeCom, his manager 王经理 on
// Slack and 李四 on Feishu. 李四 types 上班 and shares a location inside
// his office: a green Feishu card. 张三 does the same on WeCom, then
// shares one 1.2 km away: refused, saying how far. 张三 files a make-up on
// WeCom; the approval card arrives in 王经理's Slack pane, he approves it
// there, the card loses its buttons and says so, and 张三's WeCom pane gets
// the decision. A broadcast fired from the console shows in all three
// panes. Every step crosses the simulators' signed callbacks and the bots'
// real API calls, and no documented rule is broken.
func TestPlaygroundMakeupAcrossPlatforms(t *testing.T) {
	base, s, _ := startDemo(t)
	ctx := playgroundBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	// A workday with no punches of 张三's: the one before the story's.
	st, err := storyOf(context.Background(), s, mustDemoOrg(t, s), s.svc.Now())
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
	const wecomPane, slackPane, feishuPane = "wecom:zhangsan", "slack:U0DEMOMGR", "feishu:ou_demo_lisi"
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/playground"), chromedp.WaitVisible(chromedp.CSS(`section[data-pane="`+feishuPane+`"] .bar input`))); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("section[data-pane]")].map(p => p.dataset.pane)`))
	if want := []string{wecomPane, slackPane, feishuPane}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("panes = %q (%v), want %q: the employee, their manager, someone on Feishu", got, err, want)
	}

	// 上班 on Feishu, then a location inside 上海张江办公室: the bot answers
	// the location with a card whose header is green.
	sayIn(t, ctx, feishuPane, "上班")
	waitInPage(t, ctx, "the Feishu bot asking for the location", paneText(feishuPane)+`.includes("发送你的位置")`)
	shareIn(t, ctx, feishuPane, 1)
	waitInPage(t, ctx, "the green card in 李四's Feishu pane", `!!(`+paneCard(feishuPane, "上班打卡成功", "上海张江办公室")+`)?.querySelector(".hd.green")`)

	// The same on WeCom: a location message in GCJ-02, answered with a
	// passive reply.
	sayIn(t, ctx, wecomPane, "上班")
	waitInPage(t, ctx, "the WeCom bot asking for the location", paneText(wecomPane)+`.includes("发送你的位置")`)
	shareIn(t, ctx, wecomPane, 1)
	waitInPage(t, ctx, "the punch's passive reply", paneText(wecomPane)+`.includes("上班打卡成功") && `+paneText(wecomPane)+`.includes("GCJ-02")`)
	// 1.2 km away: refused, and the reply says how far and what is allowed.
	shareIn(t, ctx, wecomPane, 2)
	waitInPage(t, ctx, "the refusal 1.2 km away", paneText(wecomPane)+`.includes("未记录") && `+paneText(wecomPane)+`.includes("1.2 km，允许 300 m")`)

	// A make-up on WeCom, approved by the manager on Slack.
	sayIn(t, ctx, wecomPane, "补卡 "+day.Format(core.DateLayout)+" 09:00 上班 地铁故障")
	waitInPage(t, ctx, "the filing's confirmation on WeCom", paneText(wecomPane)+`.includes("已提交")`)
	card := paneCard(slackPane, "张三", "地铁故障")
	waitInPage(t, ctx, "the approval card with its buttons in 王经理's Slack pane", `!!(`+card+`)?.querySelector(".btn.primary")`)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const c = `+card+`; c.querySelector(".btn.primary").click(); return true })()`)); err != nil {
		t.Fatal(err)
	}
	waitInPage(t, ctx, "the decision in 张三's WeCom pane", paneText(wecomPane)+`.includes("王经理 同意")`)
	waitInPage(t, ctx, "the Slack card updated without its buttons", `(c => !!c && !c.querySelector(".btn") && c.textContent.includes("已同意 · 王经理"))(`+card+`)`)

	// A broadcast fired now (as 立即发送 does in the console) reaches the
	// three panes, on three platforms.
	runReminder(t, base, s.cfg.AdminToken, "policy")
	for _, pane := range []string{wecomPane, slackPane, feishuPane} {
		waitInPage(t, ctx, "the broadcast in "+pane, paneText(pane)+`.includes("09:30 前打卡")`)
	}

	violations, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#viol")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(violations, "✓ 0") {
		t.Errorf("violations = %q, want none", violations)
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

// TestPlaygroundWeComLeaveForm drives WeCom's leave form in Chromium, at
// 08:30 on a workday (demoClock). 张三 sends 请假 alone on WeCom: the bot
// answers with a multiple_interaction card (bots/wecom/leaveform.go), which
// the page draws as three native drop-downs (leave type, date, part of
// day) and a submit button. He picks a type, the second date offered and
// the morning and submits: the simulator sends the template_card_event
// with SelectedItems (doc 90240 模板卡片事件推送), the bot files the leave,
// greys the form through update_template_card (doc 94888) and answers;
// the approval card reaches his manager 王经理's Slack pane. No documented
// rule is broken.
func TestPlaygroundWeComLeaveForm(t *testing.T) {
	base, _, _ := startDemo(t)
	ctx := playgroundBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	const wecomPane, slackPane = "wecom:zhangsan", "slack:U0DEMOMGR"
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/playground"), chromedp.WaitVisible(chromedp.CSS(`section[data-pane="`+wecomPane+`"] .bar input`))); err != nil {
		t.Fatal(err)
	}
	sayIn(t, ctx, wecomPane, "请假")
	form := `[...document.querySelectorAll('section[data-pane="` + wecomPane + `"] .card')].filter(c => c.querySelector(".form")).pop()`
	waitInPage(t, ctx, "the leave form with three drop-downs and a submit button",
		`(c => !!c && c.querySelectorAll(".form select:not(:disabled)").length === 3 && !!c.querySelector(".form button.submit"))(`+form+`)`)
	labels, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...(`+form+`).querySelectorAll(".form label")].map(l => l.querySelector("span").textContent)`))
	if want := []string{"假期类型", "日期", "时段"}; err != nil || !slices.Equal(labels, want) {
		t.Errorf("drop-down labels = %q (%v), want %q", labels, err, want)
	}

	// The second leave type and date offered, the morning; the choices
	// go through change events, as a visitor's would.
	chosen, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
	  const c = `+form+`;
	  const [kind, date, part] = c.querySelectorAll(".form select");
	  const pick = (sel, value) => { sel.value = value; sel.dispatchEvent(new Event("change")); return sel.selectedOptions[0].textContent; };
	  const got = [pick(kind, kind.options[Math.min(1, kind.options.length - 1)].value), pick(date, date.options[Math.min(1, date.options.length - 1)].value), pick(part, "am")];
	  c.querySelector(".form button.submit").click();
	  return got;
	})()`))
	if err != nil || len(chosen) != 3 || chosen[2] != "上午" {
		t.Fatalf("choosing = %q, %v; want a type, a date and 上午", chosen, err)
	}

	// Filed: the form greyed with the choices shown and no submit button,
	// the answer in 张三's pane, the approval card in 王经理's.
	waitInPage(t, ctx, "the form greyed after the submit", `(c => !!c && !c.querySelector(".form button.submit") && c.querySelectorAll(".form select").length === 3 &&
	  [...c.querySelectorAll(".form select")].every(s => s.disabled) && c.textContent.includes("已提交") && c.textContent.includes(`+quoteJS(chosen[0])+`))(`+form+`)`)
	waitInPage(t, ctx, "the filed answer in 张三's WeCom pane", paneText(wecomPane)+`.includes("请假申请 #")`)
	waitInPage(t, ctx, "the approval card in 王经理's Slack pane", `!!(`+paneCard(slackPane, "张三", chosen[0])+`)?.querySelector(".btn.primary")`)

	violations, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#viol")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(violations, "✓ 0") {
		dump, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("violations").innerText`))
		t.Errorf("violations = %q, want none:\n%s", violations, dump)
	}
}

// quoteJS is s as a JavaScript string literal.
func quoteJS(s string) string { return fmt.Sprintf("%q", s) }
