package console

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestPersonFormEmploymentDates: the person form shows the first and the
// last working day as date fields, saves them into the organisation, and
// refuses a last day before the first with the zh message next to the
// field, changing nothing. A date changed elsewhere makes an open form
// stale, as any other field does.
func TestPersonFormEmploymentDates(t *testing.T) {
	f := MustFixture(t, true)
	hr := f.MustSignIn(t, "H1")
	page := hr.get(t, "/org/people/E1")
	for _, want := range []string{`<label for="i-joined">入职日期</label>`, `<input id="i-joined" type="date" name="joined" value=""`,
		`<label for="i-left">最后工作日（离职）</label>`, `<input id="i-left" type="date" name="left" value=""`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("person form lacks %q", want)
		}
	}

	form := formOf(t, page.Body)
	form.Set("joined", "2026-03-01")
	form.Set("left", " 2026-12-31 ")
	if res := hr.post(t, "/org/people/E1", form); res.Status != http.StatusSeeOther {
		t.Fatalf("save: status %d, want 303; body:\n%s", res.Status, res.Body)
	}
	org, err := f.store.Org(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if e := employee(org, "E1"); e.Joined != "2026-03-01" || e.Left != "2026-12-31" {
		t.Errorf("E1 joined %q left %q, want 2026-03-01 and 2026-12-31", e.Joined, e.Left)
	}
	page = hr.get(t, "/org/people/E1")
	if got := formOf(t, page.Body); got.Get("joined") != "2026-03-01" || got.Get("left") != "2026-12-31" {
		t.Errorf("form shows joined %q left %q, want the saved dates", got.Get("joined"), got.Get("left"))
	}

	before := f.MustOrgFile(t)
	bad := formOf(t, page.Body)
	bad.Set("left", "2026-02-01")
	res := hr.post(t, "/org/people/E1", bad)
	wantErr := regexp.MustCompile(`id="f-left">[^\n]*\n[^\n]*\n?.*<p class="field-error" id="e-left">最后工作日 2026-02-01 早于入职日期 2026-03-01：离职日期是最后一个工作日，不能早于入职日期</p>`)
	if res.Status != http.StatusUnprocessableEntity || !wantErr.MatchString(res.Body) {
		t.Errorf("left before joined: status %d, want 422 with the zh message at the left field; body:\n%s", res.Status, res.Body)
	}
	if after := f.MustOrgFile(t); after != before {
		t.Errorf("a refused save changed the organisation")
	}
	if got := formOf(t, res.Body).Get("left"); got != "2026-02-01" {
		t.Errorf("refused form keeps left %q, want the input 2026-02-01", got)
	}

	editElsewhere(t, f, func(org *core.Org) {
		for i := range org.Employees {
			if org.Employees[i].ID == "E1" {
				org.Employees[i].Left = "2026-11-30"
			}
		}
	})
	if res := hr.post(t, "/org/people/E1", formOf(t, page.Body)); res.Status != http.StatusConflict {
		t.Errorf("save over a last day changed meanwhile: status %d, want 409", res.Status)
	}
}

// TestLeftBeforeJoinedInEnglish: the English message is core's as written.
func TestLeftBeforeJoinedInEnglish(t *testing.T) {
	msg := "left 2026-02-01 is before joined 2026-03-01: left is the last working day, on or after the first"
	if got := translateProblem(msg, "en"); got != msg {
		t.Errorf("en = %q, want %q", got, msg)
	}
}
