package console

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"

	"github.com/punchbot/punchbot/bots/internal/browsertest"
	"github.com/punchbot/punchbot/core"
)

// MustBrowser starts a headless Chromium with a fresh profile and a desktop-sized window
// and returns a context whose browser is already running.
func MustBrowser(tb testing.TB) context.Context {
	tb.Helper()
	return browsertest.MustBrowser(tb, "punchbot-console-chromium-", 1280, 900)
}

// tab is one browser tab (in its own browser context, so its own cookies)
// that records console errors such as CSP violations.
type tab struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

func newTab(t *testing.T, browser context.Context) *tab {
	t.Helper()
	tb := &tab{}
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext(), chromedp.WithListener(func(ev any) {
		if e, ok := ev.(*cdplog.EventEntryAdded); ok && e.Entry.Level == cdplog.EntryLevelError {
			tb.mu.Lock()
			tb.errors = append(tb.errors, e.Entry.Text)
			tb.mu.Unlock()
		}
	}))
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	tb.ctx = ctx
	return tb
}

// run runs actions with a timeout.
func (tb *tab) run(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, tb *tab, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// open navigates and waits for the page's body.
func (tb *tab) open(t *testing.T, url string) {
	t.Helper()
	tb.run(t, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body")))
}

// shot saves a full-page screenshot and checks it is a real image of the
// page (a PNG as wide as the window and taller than the header).
func (tb *tab) shot(t *testing.T, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 1000 || b.Dy() < 200 {
		t.Errorf("screenshot %s is %v, want a full page", name, b)
	}
	dir := os.Getenv("PUNCHBOT_SCREENSHOT_DIR") // keep them for a human to look at
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "console-"+name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(buf))
}

// noConsoleErrors fails on anything the page logged as an error: a CSP
// violation, a missing asset, a script error.
func (tb *tab) noConsoleErrors(t *testing.T) {
	t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, e := range tb.errors {
		t.Errorf("browser console error: %s", e)
	}
	tb.errors = nil
}

// forget drops the errors logged so far, after a page that was meant to fail.
func (tb *tab) forget() {
	tb.mu.Lock()
	tb.errors = nil
	tb.mu.Unlock()
}

func TestBrowserConsoleAsHR(t *testing.T) {
	browser := MustBrowser(t)
	sched := &fakeScheduler{}
	f := MustFixture(t, true, withScheduler(sched))
	sched.now = f.clock.Now
	tb := newTab(t, browser)
	base := f.srv.URL

	t.Run("sign in with the admin token", func(t *testing.T) {
		tb.open(t, base+"/")
		if page := eval[string](t, tb, `document.body.dataset.page`); page != "login" {
			t.Fatalf("unauthenticated / shows %q, want the sign-in page", page)
		}
		tb.shot(t, "login")
		tb.run(t, chromedp.SendKeys(chromedp.ID("token"), testAdminToken), chromedp.Submit(chromedp.ID("token")),
			chromedp.WaitVisible(chromedp.ID("counts")))
		if who := eval[string](t, tb, `document.getElementById("who").textContent + "/" + document.getElementById("role").textContent`); who != "HR/管理令牌" {
			t.Errorf("signed in as %q", who)
		}
	})

	t.Run("today", func(t *testing.T) {
		counts := eval[map[string]string](t, tb, `Object.fromEntries([...document.querySelectorAll("#counts li")].map(li => [li.dataset.key, li.querySelector(".n").textContent]))`)
		want := map[string]string{"c_in": "4", "c_late": "1", "c_notin": "2", "c_field": "1", "c_out": "0", "c_off": "0"}
		for k, v := range want {
			if counts[k] != v {
				t.Errorf("count %s = %q, want %s (all %v)", k, counts[k], v, counts)
			}
		}
		rows := eval[int](t, tb, `document.querySelectorAll("#today-table tbody tr").length`)
		late := eval[string](t, tb, `document.querySelector('#today-table tr[data-employee="E2"] .st').textContent`)
		if rows != 6 || !strings.Contains(late, "迟到") {
			t.Errorf("today table: %d rows, E2 %q; want 6 rows with E2 late", rows, late)
		}
		if refresh := eval[string](t, tb, `document.querySelector('meta[http-equiv=refresh]').content`); refresh != "60" {
			t.Errorf("refresh = %q", refresh)
		}
		tb.shot(t, "today")
		// The counters filter the table.
		tb.run(t, chromedp.Click(chromedp.CSS(`#counts li[data-key="c_notin"] a`)), chromedp.WaitVisible(chromedp.CSS(`#counts li.active`)))
		if got := eval[string](t, tb, `[...document.querySelectorAll("#today-table tbody tr")].map(r => r.dataset.employee).join(",")`); got != "H1,M2" {
			t.Errorf("not-yet-in filter shows %q, want H1,M2", got)
		}
	})

	t.Run("punch plot", func(t *testing.T) {
		tb.open(t, base+"/plot?date=2026-11-26")
		panels := eval[[]string](t, tb, `[...document.querySelectorAll("figure.panel")].map(p => p.dataset.site + ":" + p.dataset.punches + ":" + p.dataset.rejected)`)
		if strings.Join(panels, " ") != "hq:4:1 sh:1:0" {
			t.Errorf("panels = %v, want hq with 4 punches (1 rejected) and sh with 1", panels)
		}
		svg := eval[map[string]float64](t, tb, `(() => { const p = document.querySelector('figure[data-site="hq"] svg');
			return {area: p.querySelectorAll("circle.site-area").length, ok: p.querySelectorAll("circle.pt-ok").length,
			        flagged: p.querySelectorAll("circle.pt-flagged").length, rejected: p.querySelectorAll("path.pt-rejected").length,
			        r: +p.querySelector("circle.site-area").getAttribute("r"), width: p.getBoundingClientRect().width}; })()`)
		if svg["area"] != 1 || svg["ok"] != 2 || svg["flagged"] != 1 || svg["rejected"] != 1 || svg["r"] <= 0 || svg["width"] < 200 {
			t.Errorf("hq plot = %v, want the site circle, 2 accepted, 1 flagged, 1 rejected mark", svg)
		}
		if tip := eval[string](t, tb, `document.querySelector('figure[data-site="hq"] path.pt-rejected title').textContent`); !strings.Contains(tip, "李四") || !strings.Contains(tip, "2.5 km") {
			t.Errorf("rejected punch tooltip = %q", tip)
		}
		if rows := eval[int](t, tb, `document.querySelectorAll("#punch-table tbody tr").length`); rows != 5 {
			t.Errorf("punch table rows = %d, want 5", rows)
		}
		tb.shot(t, "plot")
	})

	t.Run("exceptions with filters", func(t *testing.T) {
		tb.open(t, base+"/exceptions?from=2026-11-25&to=2026-11-26")
		all := eval[int](t, tb, `document.querySelectorAll("#exc-table tbody tr").length`)
		tb.run(t, chromedp.SetValue(chromedp.CSS(`select[name=kind]`), "k_rejected"), chromedp.Submit(chromedp.CSS(`#exc-filters`)),
			chromedp.WaitVisible(chromedp.CSS(`#exc-table tr[data-kind="k_rejected"]`)))
		kinds := eval[[]string](t, tb, `[...document.querySelectorAll("#exc-table tbody tr")].map(r => r.dataset.kind + ":" + r.dataset.employee)`)
		if all < 5 || strings.Join(kinds, ",") != "k_rejected:E2" {
			t.Errorf("exceptions: %d in all, rejected filter %v", all, kinds)
		}
		if reason := eval[string](t, tb, `document.querySelector("#exc-table tbody td:nth-child(4)").textContent`); !strings.Contains(reason, "不在打卡范围内") {
			t.Errorf("rejected reason = %q", reason)
		}
		tb.shot(t, "exceptions")
	})

	t.Run("make-up approval", func(t *testing.T) {
		id := f.makeupID(t, "E1")
		tb.open(t, base+"/makeups")
		first := eval[string](t, tb, `document.querySelector("#makeup-table tbody tr").dataset.status`)
		if first != "pending" {
			t.Errorf("first row is %q, want pending requests first", first)
		}
		tb.shot(t, "makeups")
		sel := `#makeup-table tr[data-id="` + strconv.FormatInt(id, 10) + `"]`
		tb.run(t, chromedp.SendKeys(chromedp.CSS(sel+` input[name=note]`), "已核实"), chromedp.Click(chromedp.CSS(sel+` button[value=approved]`)),
			chromedp.WaitVisible(chromedp.ID("flash")))
		if st := eval[string](t, tb, `document.querySelector('`+sel+`').dataset.status`); st != "approved" {
			t.Errorf("after approving, the request is %q", st)
		}
		if flash := eval[string](t, tb, `document.getElementById("flash").textContent`); !strings.Contains(flash, "已同意") {
			t.Errorf("flash = %q", flash)
		}
		tb.shot(t, "makeups-approved")
	})

	t.Run("revoke an approved leave", func(t *testing.T) {
		leave, err := f.svc.RequestLeave(t.Context(), "E2", core.LeaveArgs{Type: core.RequestLeave, LeaveType: "annual", From: "2026-11-30", Reason: "家事"}, core.PlatformWeCom)
		if err != nil {
			t.Fatalf("RequestLeave: %v", err)
		}
		id := leave.Request.ID
		if _, err := f.svc.DecideMakeup(t.Context(), core.MakeupDecision{ID: id, Status: core.MakeupApproved, Actor: "M1"}); err != nil {
			t.Fatalf("approve: %v", err)
		}
		tb.open(t, base+"/makeups?status=approved")
		sel := `#makeup-table tr[data-id="` + strconv.FormatInt(id, 10) + `"]`
		// Without a reason the browser does not send the form (the server
		// refuses one too: TestApprovalsRevoke).
		tb.run(t, chromedp.Click(chromedp.CSS(sel+` form.revoke button[value=revoked]`)))
		if missing := eval[bool](t, tb, `document.querySelector('`+sel+` form.revoke input[name=note]').validity.valueMissing`); !missing {
			t.Errorf("the reason is not required by the form")
		}
		if m := f.request(t, id); m.Status != core.MakeupApproved {
			t.Fatalf("a revocation without a reason changed the request: %+v", m)
		}
		tb.run(t, chromedp.SendKeys(chromedp.CSS(sel+` form.revoke input[name=note]`), "员工已到岗"),
			chromedp.Click(chromedp.CSS(sel+` form.revoke button[value=revoked]`)), chromedp.WaitVisible(chromedp.ID("flash")))
		if m := f.request(t, id); m.Status != core.MakeupRevoked || m.Note != "员工已到岗" {
			t.Errorf("after the revoke button the request is %+v", m)
		}
		tb.open(t, base+"/makeups?status=revoked")
		if st := eval[string](t, tb, `(document.querySelector('`+sel+`') || {dataset: {}}).dataset.status`); st != "revoked" {
			t.Errorf("the revoked filter shows the request as %q", st)
		}
		tb.shot(t, "makeups-revoked")
	})

	t.Run("reports", func(t *testing.T) {
		tb.open(t, base+"/reports?month=2026-11")
		head := eval[[]string](t, tb, `[...document.querySelectorAll("#report-table th")].map(th => th.textContent)`)
		rows := eval[int](t, tb, `document.querySelectorAll("#report-table tbody tr").length`)
		links := eval[[]string](t, tb, `[...document.querySelectorAll("#monthly-downloads a")].map(a => a.textContent + " " + a.getAttribute("href"))`)
		if len(head) < 15 || head[0] != "工号" || rows != 7 || len(links) != 3 || !strings.Contains(links[0], "format=xlsx") {
			t.Errorf("reports: headers %v, %d rows, links %v", head, rows, links)
		}
		tb.shot(t, "reports")
	})

	t.Run("reminders", func(t *testing.T) {
		tb.open(t, base+"/reminders")
		ids := eval[[]string](t, tb, `[...document.querySelectorAll("#reminder-table tbody tr")].map(r => r.dataset.id)`)
		counts := eval[string](t, tb, `document.querySelector('#reminder-table tr[data-id="morning"] .counts').textContent`)
		if strings.Join(ids, ",") != "morning,weekly" || counts != "排队 5 · 已发送 4 · 待发送 0 · 失败 1" {
			t.Errorf("reminders = %v, counts %q", ids, counts)
		}
		tb.run(t, chromedp.Click(chromedp.CSS(`#reminder-table tr[data-id="weekly"] button.preview`)), chromedp.WaitVisible(chromedp.ID("preview")))
		if n := eval[string](t, tb, `document.getElementById("preview").dataset.count`); n != "2" {
			t.Errorf("preview count = %s, want 2", n)
		}
		tb.shot(t, "reminders")
	})

	t.Run("audit log", func(t *testing.T) {
		tb.open(t, base+"/audit")
		actions := eval[string](t, tb, `[...document.querySelectorAll("#audit-table tbody tr")].map(r => r.dataset.action).join(" ")`)
		for _, want := range []string{"console.signed_in", "console.viewed", "makeup.approved", "org.applied"} {
			if !strings.Contains(actions, want) {
				t.Errorf("audit log lacks %s: %s", want, actions)
			}
		}
		tb.shot(t, "audit")
	})

	t.Run("a departed employee's data", func(t *testing.T) {
		tb.open(t, base+"/people/X1")
		if !eval[bool](t, tb, `!!document.getElementById("erase-form")`) {
			t.Errorf("HR is not offered the erase form for X1")
		}
		if n := eval[int](t, tb, `document.querySelectorAll("#punch-table tbody tr").length`); n != 2 {
			t.Errorf("X1's punches: %d rows", n)
		}
		tb.shot(t, "person")
	})
	tb.noConsoleErrors(t)
}

func TestBrowserEmployeeLinkAndMyData(t *testing.T) {
	browser := MustBrowser(t)
	f := MustFixture(t, false)
	tb := newTab(t, browser)

	link := f.MustLink(t, "E2", core.LinkMyData)
	tb.open(t, link)
	if who := eval[string](t, tb, `document.getElementById("auth-who").textContent`); !strings.Contains(who, "李四") {
		t.Errorf("link page says %q", who)
	}
	tb.shot(t, "auth")
	tb.run(t, chromedp.Click(chromedp.ID("continue")), chromedp.WaitVisible(chromedp.ID("profile")))
	if page := eval[string](t, tb, `document.body.dataset.page + " " + location.pathname`); page != "person /me" {
		t.Errorf("after the link: %q, want the data page", page)
	}
	text := eval[string](t, tb, `document.querySelector("main").innerText`)
	for _, want := range []string{"李四", "wecom", "保存 30 天", "不在打卡范围内", "导出 JSON"} {
		if !strings.Contains(text, want) {
			t.Errorf("my data page lacks %q", want)
		}
	}
	if nav := eval[string](t, tb, `[...document.querySelectorAll("header nav a")].map(a => a.getAttribute("href")).join(" ")`); strings.Contains(nav, "/audit") || strings.Contains(nav, "/reminders") {
		t.Errorf("an employee is offered HR pages: %s", nav)
	}
	tb.shot(t, "mydata")

	// Today shows only E2; a manager's page is refused.
	tb.open(t, f.srv.URL+"/")
	if got := eval[string](t, tb, `[...document.querySelectorAll("#today-table tbody tr")].map(r => r.dataset.employee).join(",")`); got != "E2" {
		t.Errorf("E2's today shows %q", got)
	}
	tb.shot(t, "today-employee")
	tb.open(t, f.srv.URL+"/people/E1")
	if msg := eval[string](t, tb, `document.getElementById("message").dataset.status + " " + document.getElementById("message").textContent`); !strings.HasPrefix(msg, "403 ") {
		t.Errorf("E2 opening E1's page: %q, want 403", msg)
	}
	tb.shot(t, "forbidden")
	tb.forget() // the 403 above was the point

	// The link is used up.
	other := newTab(t, browser)
	other.open(t, link)
	other.run(t, chromedp.Click(chromedp.ID("continue")), chromedp.WaitVisible(chromedp.ID("message")))
	if status := eval[string](t, other, `document.getElementById("message").dataset.status`); status != "409" {
		t.Errorf("reused link: %s, want 409", status)
	}
	tb.noConsoleErrors(t)
}

func TestBrowserReadsWithoutJavaScript(t *testing.T) {
	browser := MustBrowser(t)
	f := MustFixture(t, false)
	tb := newTab(t, browser)
	tb.open(t, f.MustLink(t, "M1", core.LinkConsole))
	tb.run(t, chromedp.Click(chromedp.ID("continue")), chromedp.WaitVisible(chromedp.ID("counts")))

	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("disable JavaScript: %v", err)
	}
	for _, path := range []string{"/", "/plot", "/exceptions", "/makeups", "/reports", "/me"} {
		tb.open(t, f.srv.URL+path)
		html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(html, "<h1>") || strings.Contains(html, `id="message"`) {
			t.Errorf("%s without JavaScript:\n%s", path, html)
		}
	}
	tb.open(t, f.srv.URL+"/")
	tb.shot(t, "today-manager-nojs")
}
