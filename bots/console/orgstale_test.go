package console

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/bots/admin"
	"github.com/punchbot/punchbot/core"
)

var (
	formInput    = regexp.MustCompile(`<input ([^>]*)>`)
	formAttr     = regexp.MustCompile(`([a-z-]+)(?:="([^"]*)")?`)
	formSelect   = regexp.MustCompile(`(?s)<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>`)
	formSelected = regexp.MustCompile(`<option value="([^"]*)" selected>`)
	formTextarea = regexp.MustCompile(`(?s)<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>`)
)

// formOf reads the management form on a page as a browser would submit
// it: inputs, checked boxes, selected options and textareas (orgform.html).
func formOf(t *testing.T, body string) url.Values {
	t.Helper()
	i := strings.Index(body, `id="org-form"`)
	if i < 0 {
		t.Fatalf("no management form on the page:\n%s", body)
	}
	body = body[i:]
	body = body[:strings.Index(body, "</form>")]
	out := url.Values{}
	for _, m := range formInput.FindAllStringSubmatch(body, -1) {
		a := map[string]string{}
		for _, kv := range formAttr.FindAllStringSubmatch(m[1], -1) {
			a[kv[1]] = html.UnescapeString(kv[2])
		}
		_, checked := a["checked"]
		if a["name"] == "" || a["name"] == "csrf" || a["type"] == "file" || (a["type"] == "checkbox" && !checked) {
			continue
		}
		out.Add(a["name"], a["value"])
	}
	for _, m := range formSelect.FindAllStringSubmatch(body, -1) {
		if s := formSelected.FindStringSubmatch(m[2]); s != nil {
			out.Set(m[1], html.UnescapeString(s[1]))
		}
	}
	for _, m := range formTextarea.FindAllStringSubmatch(body, -1) {
		out.Set(m[1], html.UnescapeString(m[2]))
	}
	return out
}

// editElsewhere is another HR person's edit (or an applied file) landing
// while a form is open.
func editElsewhere(t *testing.T, f *fixture, edit func(*core.Org)) {
	t.Helper()
	ctx := context.Background()
	org, err := admin.CurrentOrg(ctx, f.store)
	if err != nil {
		t.Fatal(err)
	}
	edit(&org)
	if _, err := f.store.ApplyOrg(ctx, org, core.AuditEntry{At: f.clock.Now(), Actor: "console:H2", Action: "console.org_edited"}); err != nil {
		t.Fatal(err)
	}
}

func employee(org core.Org, id string) core.Employee {
	return *find(org.Employees, func(e core.Employee) bool { return e.ID == id })
}

// TestStaleFormIsRefused: two HR people with the same item's form open
// both submit the whole form, so the later save silently undid every field
// of the earlier one, and a person erased or deactivated meanwhile came
// back. The form now carries the item's fingerprint as it showed it: when
// the stored item no longer matches, the save is refused in the reader's
// language (409), showing the values saved now and keeping the input, and
// nothing changes. Saving that form again is deliberate and saves the
// input.
func TestStaleFormIsRefused(t *testing.T) {
	tests := []struct {
		name, who, path string
		elsewhere       func(t *testing.T, f *fixture)
		race            func(*core.Org) // lands between the save's read and its write instead
		input           func(url.Values)
		want            []string // in the refused page
		unchanged       func(t *testing.T, org core.Org)
	}{
		{name: "a person edited meanwhile", who: "H1", path: "/org/people/E1",
			elsewhere: func(t *testing.T, f *fixture) {
				editElsewhere(t, f, func(o *core.Org) {
					find(o.Employees, func(e core.Employee) bool { return e.ID == "E1" }).Department = "市场部"
				})
			},
			input: func(v url.Values) { v.Set("name", "张三丰") },
			want:  []string{"这一项已被其他人修改", "现在保存的内容", "<dd>市场部</dd>", `value="张三丰"`, `value="研发"`},
			unchanged: func(t *testing.T, org core.Org) {
				if e := employee(org, "E1"); e.Name != "张三" || e.Department != "市场部" {
					t.Errorf("E1 = %s of %s, want 张三 of 市场部 (the other edit kept, the stale form not saved)", e.Name, e.Department)
				}
			}},
		{name: "a person erased meanwhile", who: "H1", path: "/org/people/X1",
			elsewhere: func(t *testing.T, f *fixture) {
				if _, err := core.ErasePersonalData(context.Background(), f.store, "X1", "console:H2", f.clock.Now()); err != nil {
					t.Fatal(err)
				}
			},
			input: func(v url.Values) { v.Set("department", "运营") },
			want:  []string{"这一项已被其他人修改（或个人数据已被删除）", "<dd>（空）</dd>", `value="离职员工"`},
			unchanged: func(t *testing.T, org core.Org) {
				if e := employee(org, "X1"); e.Name != core.ErasedName || len(e.Identities) != 0 || e.Department == "运营" {
					t.Errorf("X1 = %+v, want still erased", e)
				}
			}},
		{name: "a person deactivated meanwhile", who: "H1", path: "/org/people/E2",
			elsewhere: func(t *testing.T, f *fixture) {
				if res := f.MustSignIn(t, "H1").post(t, "/org/people/E2/active", nil); res.Status != http.StatusSeeOther {
					t.Fatalf("deactivate = %d", res.Status)
				}
			},
			input: func(v url.Values) { v.Set("department", "测试") },
			want:  []string{"这一项已被其他人修改", "<dd>否</dd>"},
			unchanged: func(t *testing.T, org core.Org) {
				if e := employee(org, "E2"); e.Active || e.Department != "研发" {
					t.Errorf("E2 active %v in %s, want still deactivated in 研发", e.Active, e.Department)
				}
			}},
		{name: "a site edited meanwhile, in English", who: "H1", path: "/org/sites/hq?lang=en",
			elsewhere: func(t *testing.T, f *fixture) {
				editElsewhere(t, f, func(o *core.Org) { find(o.Sites, func(s core.OrgSite) bool { return s.ID == "hq" }).RadiusM = 500 })
			},
			input: func(v url.Values) { v.Set("name", "Wangjing") },
			want:  []string{"Someone else changed this since you opened the form", "Saved now", "<dd>500</dd>", `value="Wangjing"`, `value="300"`},
			unchanged: func(t *testing.T, org core.Org) {
				if s := find(org.Sites, func(s core.OrgSite) bool { return s.ID == "hq" }); s.Name != hq.Name || s.RadiusM != 500 {
					t.Errorf("hq = %s, %v m; want %s, 500 m", s.Name, s.RadiusM, hq.Name)
				}
			}},
		{name: "a schedule edited meanwhile", who: "H1", path: "/org/schedules/day",
			elsewhere: func(t *testing.T, f *fixture) {
				editElsewhere(t, f, func(o *core.Org) {
					find(o.Schedules, func(s core.Schedule) bool { return s.ID == "day" }).LateGraceMin = 10
				})
			},
			input: func(v url.Values) { v.Set("start", "08:30") },
			want:  []string{"这一项已被其他人修改", "<dd>10</dd>", `value="08:30"`},
			unchanged: func(t *testing.T, org core.Org) {
				if s := find(org.Schedules, func(s core.Schedule) bool { return s.ID == "day" }); s.StartMin != 9*60 || s.LateGraceMin != 10 {
					t.Errorf("day starts %d with grace %d, want 540 and the other edit's 10", s.StartMin, s.LateGraceMin)
				}
			}},
		{name: "a person edited between the save's read and write", who: "H1", path: "/org/people/E1",
			race: func(o *core.Org) {
				find(o.Employees, func(e core.Employee) bool { return e.ID == "E1" }).Department = "市场部"
			},
			input: func(v url.Values) { v.Set("name", "张三丰") },
			want:  []string{"这一项已被其他人修改", "<dd>市场部</dd>"},
			unchanged: func(t *testing.T, org core.Org) {
				if e := employee(org, "E1"); e.Name != "张三" || e.Department != "市场部" {
					t.Errorf("E1 = %s of %s, want 张三 of 市场部", e.Name, e.Department)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, rs := racingFixture(t)
			hr := f.MustSignIn(t, tt.who)
			form := formOf(t, hr.get(t, tt.path).Body)
			if form.Get(fingerprintField) == "" {
				t.Fatalf("the form carries no fingerprint: %v", form)
			}
			if tt.elsewhere != nil {
				tt.elsewhere(t, f)
			}
			if tt.race != nil {
				rs.races, rs.edit = 1, tt.race
			}
			tt.input(form)
			res := hr.post(t, tt.path, form)
			if res.Status != http.StatusConflict {
				t.Fatalf("stale save = %d, want 409; body:\n%s", res.Status, res.Body)
			}
			for _, want := range tt.want {
				if !strings.Contains(res.Body, want) {
					t.Errorf("the refused form lacks %s", want)
				}
			}
			tt.unchanged(t, mustOrg(t, f))
			// Having seen what is saved now, saving again saves the input.
			again := formOf(t, res.Body)
			if again.Get(fingerprintField) == form.Get(fingerprintField) {
				t.Errorf("the refused form carries the stale fingerprint again")
			}
			if res := hr.post(t, tt.path, again); res.Status != http.StatusSeeOther {
				t.Errorf("saving the refused form again = %d, want 303:\n%s", res.Status, res.Body)
			}
		})
	}
}

// TestFreshFormSaves: a form whose item nobody changed saves as before,
// and saved unchanged it says nothing changed; a form without a
// fingerprint (a script's post) is saved as before too.
func TestFreshFormSaves(t *testing.T) {
	f := MustFixture(t, true)
	hr := f.MustSignIn(t, "H1")
	for _, tt := range []struct {
		path  string
		input func(url.Values)
		check func(core.Org) bool
	}{
		{"/org/people/E1", func(v url.Values) { v.Set("department", "市场部") }, func(o core.Org) bool { return employee(o, "E1").Department == "市场部" }},
		{"/org/sites/sh", func(v url.Values) { v.Set("radius_m", "250") }, func(o core.Org) bool {
			return find(o.Sites, func(s core.OrgSite) bool { return s.ID == "sh" }).RadiusM == 250
		}},
		{"/org/schedules/day", func(v url.Values) { v.Set("late_grace_min", "7") }, func(o core.Org) bool {
			return find(o.Schedules, func(s core.Schedule) bool { return s.ID == "day" }).LateGraceMin == 7
		}},
		{"/org/policy/policy", func(v url.Values) { v.Set("monthly_quota", "6") }, func(o core.Org) bool { return o.Makeup.MonthlyQuota == 6 }},
	} {
		page := tt.path
		if page == "/org/policy/policy" {
			page = "/org/policy"
		}
		form := formOf(t, hr.get(t, page).Body)
		// The fixture's organisation has no leave types: the policy form
		// saved unchanged must not write the defaults the core implies.
		audits := len(mustAuditLog(t, f))
		if res := hr.post(t, tt.path, form); res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "unchanged") {
			t.Errorf("%s saved unchanged = %d %s, want 303 to an unchanged notice", tt.path, res.Status, res.Location)
		}
		if got := mustAuditLog(t, f); len(got) != audits {
			t.Errorf("%s saved unchanged wrote %d audit entries, want none", tt.path, len(got)-audits)
		}
		tt.input(form)
		if res := hr.post(t, tt.path, form); res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "saved") {
			t.Errorf("%s saved = %d %s, want 303 to a saved notice:\n%s", tt.path, res.Status, res.Location, res.Body)
		} else if page == "/org/policy" && !strings.HasSuffix(res.Location, "&n=2") {
			// The quota's line out and in, no leave types written with it.
			t.Errorf("%s: the quota edited saved as %s, want only its line changed (n=2)", tt.path, res.Location)
		}
		if !tt.check(mustOrg(t, f)) {
			t.Errorf("%s: the edit is not in the organisation", tt.path)
		}
	}
	form := url.Values{"name": {"张三"}, "department": {"研发"}, "role": {"employee"}, "manager": {"M1"}, "schedule": {"day"}, "sites": {"hq"}, "active": {"1"}}
	if res := hr.post(t, "/org/people/E1", form); res.Status != http.StatusSeeOther {
		t.Errorf("a post without a fingerprint = %d, want 303", res.Status)
	}
}

// mustAuditLog lists the audit entries of organisation changes (org.*),
// not the console's page views.
func mustAuditLog(t *testing.T, f *fixture) []core.AuditEntry {
	t.Helper()
	all, err := f.store.ListAudit(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []core.AuditEntry
	for _, e := range all {
		if strings.HasPrefix(e.Action, "org.") {
			got = append(got, e)
		}
	}
	return got
}
