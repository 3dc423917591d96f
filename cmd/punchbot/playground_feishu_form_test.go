package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPlaygroundFeishuOvertimeForm drives Feishu's 加班 form in Chromium,
// at 08:30 on a workday (demoClock). 吴婷 (E011, Sales, whose schedule
// counts approved overtime) opens her Feishu pane and sends 加班 alone: the
// bot answers with a card JSON 2.0 form container (bots/feishu/
// overtimeform.go), which the page draws as a date input, two time inputs,
// a text input and the submit button, not as its text only. She fills
// them and submits: the simulator sends the card.action.trigger a Feishu
// client sends (action.name the button's name, action.form_value the
// values; PLATFORMS.md §7.2), the bot files the overtime and its answer's
// card replaces the form; the approval card reaches her manager 周丽's
// Feishu pane, who rejects it with a reason typed into the card's box
// and Enter; 吴婷 is told why. No documented rule is broken.
func TestPlaygroundFeishuOvertimeForm(t *testing.T) {
	base, _, _ := startDemo(t)
	ctx := playgroundBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	const pane, managerPane = "feishu:ou_demo_wuting", "feishu:ou_demo_zhouli"
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/playground")); err != nil {
		t.Fatal(err)
	}
	waitInPage(t, ctx, "the people to pick", `!!document.querySelector('#person option[value="E011"]')`)
	for _, p := range []struct{ employee, key string }{{"E011", pane}, {"M002", managerPane}} {
		if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`#person`), p.employee), chromedp.SetValue(chromedp.CSS(`#platform`), "feishu"),
			chromedp.Click(chromedp.CSS(`#add`)), chromedp.WaitVisible(chromedp.CSS(`section[data-pane="`+p.key+`"] .bar input`))); err != nil {
			t.Fatalf("open %s: %v", p.key, err)
		}
	}
	sayIn(t, ctx, pane, "加班")
	form := `[...document.querySelectorAll('section[data-pane="` + pane + `"] .card')].filter(c => c.querySelector(".form input")).pop()`
	waitInPage(t, ctx, "the overtime form with its inputs and a submit button",
		`(c => !!c && c.querySelectorAll(".form input").length === 4 && !!c.querySelector(".form button.submit"))(`+form+`)`)
	types, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...(`+form+`).querySelectorAll(".form input")].map(i => i.type + (i.required ? "*" : ""))`))
	if want := []string{"date*", "time*", "time*", "text"}; err != nil || !slices.Equal(types, want) {
		t.Errorf("form inputs = %q (%v), want %q", types, err, want)
	}

	// Submitting with the date left empty is refused by the page's
	// client, as Feishu's is ("有必填项未填写"), and sends nothing.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { (`+form+`).querySelector(".form button.submit").click(); return true; })()`)); err != nil {
		t.Fatal(err)
	}
	waitInPage(t, ctx, "the refusal of an empty required field", `document.querySelector('section[data-pane="`+pane+`"] .err').textContent.includes("有必填项未填写")`)

	// Filled through input events, as a visitor's typing would.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
	  const c = `+form+`;
	  const [date, start, end, reason] = c.querySelectorAll(".form input");
	  const fill = (f, v) => { f.value = v; f.dispatchEvent(new Event("input")); };
	  fill(date, "2026-12-02"); fill(start, "19:00"); fill(end, "21:30"); fill(reason, "客户演示");
	  c.querySelector(".form button.submit").click();
	  return true;
	})()`)); err != nil {
		t.Fatal(err)
	}
	waitInPage(t, ctx, "the form replaced by the bot's answer", paneText(pane)+`.includes("已提交") && !(`+form+`)`)
	card := paneCard(managerPane, "吴婷", "19:00")
	waitInPage(t, ctx, "the approval card in 周丽's Feishu pane, with its reason box", `(c => !!c && !!c.querySelector(".btn.primary") && !!c.querySelector(".form input[type=text]"))(`+card+`)`)

	// 周丽 types a reason into the card's box and presses Enter: rejected
	// with it (an input outside a form calls back alone, action.tag input),
	// the card turns to its decided state and 吴婷 is told why.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
	  const f = (`+card+`).querySelector(".form input[type=text]");
	  f.value = "请先和客户确认时间"; f.dispatchEvent(new Event("input"));
	  f.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
	  return true;
	})()`)); err != nil {
		t.Fatal(err)
	}
	waitInPage(t, ctx, "the rejection with its reason in 吴婷's pane", paneText(pane)+`.includes("驳回") && `+paneText(pane)+`.includes("请先和客户确认时间")`)
	waitInPage(t, ctx, "周丽's card decided, without buttons or box", `(c => !!c && !c.querySelector(".btn") && !c.querySelector(".form input"))(`+paneCard(managerPane, "吴婷", "已驳回")+`)`)

	violations, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#viol")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(violations, "✓ 0") {
		dump, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("violations").innerText`))
		t.Errorf("violations = %q, want none:\n%s", violations, dump)
	}
}
