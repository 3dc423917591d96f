package console

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/punchbot/punchbot/core"
)

// TestBrowserManagesTheOrganisation: HR adds a site, a schedule and a
// person with a Slack account through the forms, sees a refused form keep
// its input, and composes a Markdown broadcast whose preview follows the
// typing, then sends it now.
func TestBrowserManagesTheOrganisation(t *testing.T) {
	browser := MustBrowser(t)
	sched := &fakeScheduler{}
	f := MustFixture(t, true, withScheduler(sched))
	sched.now = f.clock.Now
	tb := newTab(t, browser)
	tb.open(t, f.MustLink(t, "H1", core.LinkConsole))
	tb.run(t, chromedp.Click(chromedp.ID("continue")), chromedp.WaitVisible(chromedp.ID("counts")))
	base := f.srv.URL
	flash := func(t *testing.T) string {
		t.Helper()
		return eval[string](t, tb, `(document.getElementById("flash") || {textContent: ""}).textContent`)
	}

	t.Run("site", func(t *testing.T) {
		tb.open(t, base+"/org/sites/new")
		tb.run(t, chromedp.SendKeys(chromedp.ID("i-id"), "pudong"), chromedp.SendKeys(chromedp.ID("i-name"), "浦东办公室"),
			chromedp.SendKeys(chromedp.ID("i-lat"), "31.2304"), chromedp.SendKeys(chromedp.ID("i-lng"), "121.4737"),
			chromedp.SetValue(chromedp.ID("i-radius_m"), "150"), chromedp.Click(chromedp.ID("save")), chromedp.WaitVisible(chromedp.ID("flash")))
		if got := flash(t); !strings.Contains(got, "pudong") {
			t.Errorf("flash = %q", got)
		}
		tb.shot(t, "org-sites")
	})
	t.Run("schedule", func(t *testing.T) {
		tb.open(t, base+"/org/schedules/new")
		tb.run(t, chromedp.SendKeys(chromedp.ID("i-id"), "early"), chromedp.SendKeys(chromedp.ID("i-name"), "早班"),
			chromedp.SetValue(chromedp.ID("i-start"), "07:00"), chromedp.SetValue(chromedp.ID("i-end"), "16:00"),
			chromedp.Click(chromedp.ID("save")), chromedp.WaitVisible(chromedp.ID("flash")))
		if got := flash(t); !strings.Contains(got, "early") {
			t.Errorf("flash = %q", got)
		}
	})
	t.Run("person with a Slack account", func(t *testing.T) {
		tb.open(t, base+"/org/people/new")
		// First with a taken id: refused next to the field, input kept.
		tb.run(t, chromedp.SendKeys(chromedp.ID("i-id"), "E1"), chromedp.SendKeys(chromedp.ID("i-name"), "钱七"),
			chromedp.SetValue(chromedp.ID("i-schedule"), "early"), chromedp.Click(chromedp.CSS(`input[name=sites][value=pudong]`)),
			chromedp.SendKeys(chromedp.ID("i-identities"), "slack T0PB U0QIAN"),
			chromedp.Click(chromedp.ID("save")), chromedp.WaitVisible(chromedp.ID("e-id")))
		if msg := eval[string](t, tb, `document.getElementById("e-id").textContent`); !strings.Contains(msg, "已被使用") {
			t.Errorf("id error = %q", msg)
		}
		if kept := eval[string](t, tb, `document.getElementById("i-name").value + "|" + document.getElementById("i-identities").value + "|" + document.querySelector("input[name=sites][value=pudong]").checked`); kept != "钱七|slack T0PB U0QIAN|true" {
			t.Errorf("refused form kept %q", kept)
		}
		tb.shot(t, "org-person-refused")
		tb.forget() // the 422 was the point
		tb.run(t, chromedp.SetValue(chromedp.ID("i-id"), "E7"), chromedp.Click(chromedp.ID("save")), chromedp.WaitVisible(chromedp.ID("flash")))
		e, err := f.store.Employee(context.Background(), "E7")
		if err != nil {
			t.Fatal(err)
		}
		if e.Name != "钱七" || e.ScheduleID != "early" || !slices.Equal(e.SiteIDs, []string{"pudong"}) || len(e.Identities) != 1 || e.Identities[0].UserID != "U0QIAN" || !e.Active {
			t.Errorf("E7 = %+v", e)
		}
		id, err := f.store.FindIdentity(context.Background(), core.PlatformSlack, "T0PB", "U0QIAN")
		if err != nil || id.ID != "E7" {
			t.Errorf("the Slack account resolves to %+v, %v", id, err)
		}
		// The list names the schedule and the site, not their ids alone.
		tb.open(t, base+"/org/people?q=E7")
		if row := eval[string](t, tb, `document.querySelector('#org-table tr[data-id="E7"]').textContent`); !strings.Contains(row, "早班") || !strings.Contains(row, "浦东办公室") {
			t.Errorf("people row = %q", row)
		}
		tb.shot(t, "org-people")
	})
	t.Run("broadcast", func(t *testing.T) {
		tb.open(t, base+"/org/reminders/new")
		tb.run(t, chromedp.SendKeys(chromedp.ID("i-id"), "outage"), chromedp.Click(chromedp.CSS(`input[name=markdown]`)),
			chromedp.SendKeys(chromedp.ID("i-text"), "**周五** 14:00 停电，见 [通知](https://intra.example/notice)"))
		preview := eval[string](t, tb, `document.querySelector('.preview-box[data-platform=feishu] .bubble').innerHTML`)
		if !strings.Contains(preview, "<strong>周五</strong>") || !strings.Contains(preview, `href="https://intra.example/notice"`) {
			t.Errorf("live preview = %q", preview)
		}
		tb.shot(t, "org-broadcast")
		tb.run(t, chromedp.Click(chromedp.CSS(`input[name=departments][value="研发"]`)), chromedp.Click(chromedp.CSS(`input[name=everyone]`)),
			chromedp.SetValue(chromedp.ID("i-at"), "2026-11-27T14:00"), chromedp.Click(chromedp.CSS(`input[name=send_now]`)),
			chromedp.Click(chromedp.ID("save")), chromedp.WaitVisible(chromedp.ID("flash")))
		if got := flash(t); !strings.Contains(got, "outage") {
			t.Errorf("flash = %q", got)
		}
		rs, err := f.store.ListReminders(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		r := find(rs, func(r core.Reminder) bool { return r.ID == "outage" })
		if r == nil || !r.Markdown || r.Audience.Everyone || !slices.Equal(r.Audience.Departments, []string{"研发"}) || r.Until != "2026-11-27" || !strings.Contains(r.Text, "**周五**") {
			t.Errorf("outage = %+v", r)
		}
		sched.mu.Lock()
		fired := slices.Clone(sched.fired)
		sched.mu.Unlock()
		if !slices.Equal(fired, []string{"outage"}) {
			t.Errorf("fired %v, want the new broadcast sent now", fired)
		}
	})
	tb.noConsoleErrors(t)
}
