package console

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

var employeeAttr = regexp.MustCompile(`data-employee="([^"]+)"`)

// employeesOn lists the distinct data-employee attributes of a page.
func employeesOn(body string) []string {
	var out []string
	for _, m := range employeeAttr.FindAllStringSubmatch(body, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	slices.Sort(out)
	return out
}

func TestTodayShowsOnlyTheScope(t *testing.T) {
	f := MustFixture(t, false)
	tests := []struct {
		who  string
		want []string
	}{
		{"admin", []string{"E1", "E2", "E3", "H1", "M1", "M2"}},
		{"H1", []string{"E1", "E2", "E3", "H1", "M1", "M2"}},
		{"M1", []string{"E1", "E2", "M1"}},
		{"M2", []string{"E3", "M2"}},
		{"E1", []string{"E1"}},
	}
	for _, tc := range tests {
		t.Run(tc.who, func(t *testing.T) {
			c := f.MustSignIn(t, tc.who)
			res := c.get(t, "/")
			if res.Status != http.StatusOK {
				t.Fatalf("today: %d %s", res.Status, res.Body)
			}
			if got := employeesOn(res.Body); !slices.Equal(got, tc.want) {
				t.Errorf("today shows %v, want %v", got, tc.want)
			}
			if !strings.Contains(res.Body, `<meta http-equiv="refresh" content="60">`) {
				t.Errorf("today does not refresh itself")
			}
		})
	}
}

func TestPagesFollowTheRoles(t *testing.T) {
	f := MustFixture(t, true)
	ok, forbidden := http.StatusOK, http.StatusForbidden
	tests := []struct {
		path   string
		status map[string]int // by viewer
	}{
		{"/people/E3", map[string]int{"admin": ok, "H1": ok, "M1": forbidden, "M2": ok, "E1": forbidden}},
		{"/people/E1", map[string]int{"admin": ok, "H1": ok, "M1": ok, "M2": forbidden, "E1": ok}},
		{"/people/E2/export", map[string]int{"admin": ok, "H1": ok, "M1": ok, "M2": forbidden, "E1": forbidden}},
		{"/people/X1", map[string]int{"admin": ok, "H1": ok, "M1": ok, "M2": forbidden, "E1": forbidden}},
		{"/exceptions?employee=E3", map[string]int{"admin": ok, "H1": ok, "M1": forbidden, "M2": ok, "E1": forbidden}},
		{"/exceptions?employee=E1", map[string]int{"admin": ok, "H1": ok, "M1": ok, "M2": forbidden, "E1": ok}},
		{"/audit", map[string]int{"admin": ok, "H1": ok, "M1": forbidden, "M2": forbidden, "E1": forbidden}},
		{"/reminders", map[string]int{"admin": ok, "H1": ok, "M1": forbidden, "M2": forbidden, "E1": forbidden}},
		{"/me", map[string]int{"admin": http.StatusSeeOther, "H1": ok, "M1": ok, "M2": ok, "E1": ok}},
		{"/people/NOBODY", map[string]int{"admin": http.StatusNotFound, "E1": forbidden}},
	}
	clients := map[string]*client{}
	for _, who := range []string{"admin", "H1", "M1", "M2", "E1"} {
		clients[who] = f.MustSignIn(t, who)
	}
	for _, tc := range tests {
		for who, want := range tc.status {
			if res := clients[who].get(t, tc.path); res.Status != want {
				t.Errorf("%s GET %s = %d, want %d", who, tc.path, res.Status, want)
			}
		}
	}
}

// csvEmployees lists the employee ids of a downloaded CSV report.
func csvEmployees(tb testing.TB, body string, col int) []string {
	tb.Helper()
	if !strings.HasPrefix(body, "\ufeff") {
		tb.Fatalf("report without BOM: %q", body[:min(20, len(body))])
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, r := range recs[1:] {
		if !slices.Contains(out, r[col]) {
			out = append(out, r[col])
		}
	}
	return out
}

func TestReportsFollowTheRoles(t *testing.T) {
	f := MustFixture(t, false)
	tests := []struct {
		who  string
		want []string
	}{
		{"admin", []string{"E1", "E2", "E3", "H1", "M1", "M2", "X1"}},
		{"M1", []string{"E1", "E2", "M1", "X1"}}, // X1 left but worked in November
		{"M2", []string{"E3", "M2"}},
		{"E1", []string{"E1"}},
	}
	for _, tc := range tests {
		c := f.MustSignIn(t, tc.who)
		res := c.get(t, "/reports/download?kind=monthly&month=2026-11&format=csv")
		if res.Status != http.StatusOK || res.Header.Get("Content-Disposition") != `attachment; filename="punchbot-monthly-2026-11.csv"` {
			t.Fatalf("%s monthly: %d %v", tc.who, res.Status, res.Header)
		}
		if got := csvEmployees(t, res.Body, 0); !slices.Equal(got, tc.want) {
			t.Errorf("%s monthly report rows %v, want %v", tc.who, got, tc.want)
		}
		if !strings.HasPrefix(strings.TrimPrefix(res.Body, "\ufeff"), "工号,姓名,部门") {
			t.Errorf("%s monthly header is not the organisation's Chinese: %q", tc.who, res.Body[:40])
		}
		res = c.get(t, "/reports/download?kind=daily&date=2026-11-26&format=csv")
		if got := csvEmployees(t, res.Body, 1); !slices.Equal(got, slices.DeleteFunc(slices.Clone(tc.want), func(s string) bool { return s == "X1" })) {
			t.Errorf("%s daily report rows %v", tc.who, got)
		}
		page := c.get(t, "/reports?month=2026-11")
		if page.Status != http.StatusOK || !strings.Contains(page.Body, fmt.Sprintf(">%s<", tc.want[0])) {
			t.Errorf("%s report preview: %d", tc.who, page.Status)
		}
	}
	c := f.MustSignIn(t, "admin")
	for _, bad := range []string{"/reports/download?month=2026-13", "/reports/download?month=2026-11&format=pdf", "/reports/download?kind=weekly", "/reports?month=x"} {
		if res := c.get(t, bad); res.Status != http.StatusBadRequest {
			t.Errorf("GET %s = %d, want 400", bad, res.Status)
		}
	}
}

func TestViewsOfOthersAreAudited(t *testing.T) {
	f := MustFixture(t, false)
	m1 := f.MustSignIn(t, "M1")
	e1 := f.MustSignIn(t, "E1")
	count := func(actor, action string) int {
		return len(f.audits(t, core.AuditFilter{Actor: actor, Action: action}))
	}

	// Employees looking at their own data are not audited.
	for _, path := range []string{"/", "/me", "/me/export", "/plot", "/exceptions", "/makeups", "/reports", "/reports/download?month=2026-11", "/people/E1"} {
		if res := e1.get(t, path); res.Status != http.StatusOK {
			t.Errorf("E1 GET %s = %d", path, res.Status)
		}
	}
	if n := count("E1", "console.viewed") + count("E1", "report.") + count("E1", "data."); n != 0 {
		t.Errorf("E1's own views wrote %d audit entries, want 0", n)
	}

	// A manager's views of the team are.
	m1.get(t, "/people/E2")
	if es := f.audits(t, core.AuditFilter{Actor: "M1", Action: "console.viewed", Subject: "E2"}); len(es) != 1 {
		t.Errorf("M1 viewing E2: %+v", es)
	}
	m1.get(t, "/people/E2/export")
	if es := f.audits(t, core.AuditFilter{Actor: "M1", Action: "data.exported", Subject: "E2"}); len(es) != 1 {
		t.Errorf("M1 exporting E2: %+v", es)
	}
	for _, path := range []string{"/", "/plot", "/exceptions", "/makeups", "/reports"} {
		before := count("M1", "console.viewed")
		m1.get(t, path)
		if count("M1", "console.viewed") != before+1 {
			t.Errorf("M1 GET %s was not audited", path)
		}
	}
	m1.get(t, "/reports/download?month=2026-11&format=xlsx")
	es := f.audits(t, core.AuditFilter{Actor: "M1", Action: "report.exported"})
	if len(es) != 1 || es[0].Subject != "monthly:2026-11" || !strings.Contains(es[0].Detail, `"people":4`) {
		t.Errorf("M1's export audit = %+v", es)
	}
	// A refused view is no view.
	before := count("M1", "console.")
	m1.get(t, "/people/E3")
	if count("M1", "console.") != before {
		t.Errorf("a forbidden view was audited")
	}
	// E2 sees on their own page that M1 looked.
	e2 := f.MustSignIn(t, "E2")
	if res := e2.get(t, "/me"); !strings.Contains(res.Body, `data-action="console.viewed"`) || !strings.Contains(res.Body, "王经理") {
		t.Errorf("E2's page does not show who viewed their data")
	}
}

func TestMakeupDecisionsFollowTheCardRules(t *testing.T) {
	f := MustFixture(t, true)
	e1req, e3req := f.makeupID(t, "E1"), f.makeupID(t, "E3")
	decide := func(c *client, id int64, decision string) response {
		return c.post(t, fmt.Sprintf("/makeups/%d/decide", id), url.Values{"decision": {decision}, "note": {"ok"}})
	}
	m1, m2, e1 := f.MustSignIn(t, "M1"), f.MustSignIn(t, "M2"), f.MustSignIn(t, "E1")

	// Lists: M1 sees E1's request with buttons, not E3's.
	list := m1.get(t, "/makeups")
	if !strings.Contains(list.Body, fmt.Sprintf(`data-id="%d"`, e1req)) || strings.Contains(list.Body, fmt.Sprintf(`data-id="%d"`, e3req)) ||
		!strings.Contains(list.Body, fmt.Sprintf(`action="/makeups/%d/decide"`, e1req)) {
		t.Errorf("M1's make-up list is wrong:\n%s", list.Body)
	}
	if own := e1.get(t, "/makeups"); strings.Contains(own.Body, "/decide") {
		t.Errorf("E1 is offered to decide their own request")
	}

	if res := decide(m2, e1req, "approved"); res.Status != http.StatusForbidden {
		t.Errorf("M2 deciding E1's request = %d, want 403", res.Status)
	}
	if res := decide(e1, e1req, "approved"); res.Status != http.StatusForbidden {
		t.Errorf("E1 deciding their own request = %d, want 403", res.Status)
	}
	if res := m1.do(t, http.MethodPost, fmt.Sprintf("/makeups/%d/decide", e1req), url.Values{"decision": {"approved"}}); res.Status != http.StatusForbidden {
		t.Errorf("decision without the CSRF token = %d, want 403", res.Status)
	}
	form := url.Values{"decision": {"approved"}, "csrf": {m1.csrf(t)}}
	if res := m1.do(t, http.MethodPost, fmt.Sprintf("/makeups/%d/decide", e1req), form, "Origin", "https://evil.example"); res.Status != http.StatusForbidden {
		t.Errorf("cross-site decision = %d, want 403", res.Status)
	}
	if res := decide(m1, e1req, "maybe"); res.Status != http.StatusBadRequest {
		t.Errorf("decision 'maybe' = %d, want 400", res.Status)
	}
	res := decide(m1, e1req, "approved")
	if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "done=approved") {
		t.Fatalf("M1 approving = %d → %q", res.Status, res.Location)
	}
	punches, _ := f.store.ListPunches(t.Context(), core.PunchFilter{EmployeeID: "E1"})
	if !slices.ContainsFunc(punches, func(p core.Punch) bool {
		return p.Source == core.SourceMakeup && p.ShiftDate == "2026-11-25" && p.Kind == core.KindOut
	}) {
		t.Errorf("approval wrote no make-up check-out for E1 on the 25th: %+v", punches)
	}
	if res := decide(m1, e1req, "rejected"); !strings.Contains(res.Location, "done=conflict") {
		t.Errorf("a second decision = %d → %q, want a conflict notice", res.Status, res.Location)
	}
	if page := m1.get(t, "/makeups?done=conflict&id=1"); !strings.Contains(page.Body, `id="flash"`) {
		t.Errorf("no notice after a conflicting decision")
	}
	admin := f.MustSignIn(t, "admin")
	if res := decide(admin, e3req, "rejected"); !strings.Contains(res.Location, "done=rejected") {
		t.Errorf("admin rejecting = %d → %q", res.Status, res.Location)
	}
	if es := f.audits(t, core.AuditFilter{Action: "makeup.rejected", Actor: core.ActorAdmin}); len(es) != 1 {
		t.Errorf("the admin's rejection audit = %+v", es)
	}
}

func TestMakeupsReadOnlyWithoutTheService(t *testing.T) {
	f := MustFixture(t, false)
	c := f.MustSignIn(t, "admin")
	page := c.get(t, "/makeups")
	if !strings.Contains(page.Body, `id="readonly"`) || strings.Contains(page.Body, "/decide") {
		t.Errorf("without the make-up service the list must be read-only")
	}
	if res := c.post(t, fmt.Sprintf("/makeups/%d/decide", f.makeupID(t, "E1")), url.Values{"decision": {"approved"}}); res.Status != http.StatusBadRequest {
		t.Errorf("decision without the service = %d, want 400", res.Status)
	}
}

func TestRecordMakeupFromExceptions(t *testing.T) {
	f := MustFixture(t, true)
	m1, m2 := f.MustSignIn(t, "M1"), f.MustSignIn(t, "M2")
	page := m1.get(t, "/exceptions?from=2026-11-24&to=2026-11-26&kind=k_missing")
	if !strings.Contains(page.Body, `action="/exceptions/makeup"`) {
		t.Fatalf("no make-up form for the missing punches:\n%s", page.Body)
	}
	form := url.Values{"employee": {"E2"}, "date": {"2026-11-24"}, "kind": {"in"}, "clock": {"09:00"}, "reason": {"门禁故障"}}
	if res := m2.post(t, "/exceptions/makeup", form); res.Status != http.StatusForbidden {
		t.Errorf("M2 recording for M1's team = %d, want 403", res.Status)
	}
	res := m1.post(t, "/exceptions/makeup", form)
	if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "done=filed") {
		t.Fatalf("M1 recording = %d → %q %s", res.Status, res.Location, res.Body)
	}
	punches, _ := f.store.ListPunches(t.Context(), core.PunchFilter{EmployeeID: "E2"})
	found := false
	for _, p := range punches {
		found = found || (p.Source == core.SourceMakeup && p.ShiftDate == "2026-11-24" && p.Kind == core.KindIn)
	}
	if !found {
		t.Errorf("no make-up punch for E2 on the 24th: %+v", punches)
	}
	// The same slot again: the make-up rules refuse with a clear message,
	// back on the exceptions page.
	if res := m1.post(t, "/exceptions/makeup", form); res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "已有") || !strings.Contains(res.Body, `id="exc-filters"`) {
		t.Errorf("recording a made-up slot again = %d %s", res.Status, res.Body)
	}
	if es := f.audits(t, core.AuditFilter{Action: "console.makeup_recorded", Actor: "M1"}); len(es) != 1 {
		t.Errorf("recording audit = %+v", es)
	}
}

func TestExceptionsFilters(t *testing.T) {
	f := MustFixture(t, false)
	c := f.MustSignIn(t, "admin")
	kinds := func(q string) []string {
		body := c.get(t, "/exceptions?from=2026-11-25&to=2026-11-26&"+q).Body
		var out []string
		for _, m := range regexp.MustCompile(`data-kind="([^"]+)" data-employee="([^"]+)"`).FindAllStringSubmatch(body, -1) {
			out = append(out, m[1]+":"+m[2])
		}
		slices.Sort(out)
		return out
	}
	if got := kinds("kind=k_rejected"); !slices.Equal(got, []string{"k_rejected:E2"}) {
		t.Errorf("rejected = %v", got)
	}
	if got := kinds("kind=k_late"); !slices.Equal(got, []string{"k_late:E2"}) {
		t.Errorf("late = %v", got)
	}
	if got := kinds("kind=k_flagged"); !slices.Equal(got, []string{"k_flagged:M1"}) {
		t.Errorf("flagged = %v", got)
	}
	// E1 missed the check-out of the 25th; H1, M1, M2 and E2 were absent.
	if got := kinds("kind=k_missing&employee=E1"); !slices.Equal(got, []string{"k_missing:E1"}) {
		t.Errorf("E1's missing = %v", got)
	}
	for _, bad := range []string{"/exceptions?from=2026-11-27&to=2026-11-01", "/exceptions?from=2026-01-01&to=2026-11-26", "/exceptions?to=tomorrow"} {
		if res := c.get(t, bad); res.Status != http.StatusBadRequest {
			t.Errorf("GET %s = %d, want 400", bad, res.Status)
		}
	}
}

func TestEraseFromTheConsole(t *testing.T) {
	f := MustFixture(t, false)
	m1, admin := f.MustSignIn(t, "M1"), f.MustSignIn(t, "admin")
	if res := m1.post(t, "/people/X1/erase", nil); res.Status != http.StatusForbidden {
		t.Errorf("M1 erasing = %d, want 403", res.Status)
	}
	if strings.Contains(m1.get(t, "/people/X1").Body, "erase-form") {
		t.Errorf("M1 is offered the erase button")
	}
	if res := admin.post(t, "/people/E1/erase", nil); res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "active") {
		t.Errorf("erasing an active employee = %d, want 400 with the reason", res.Status)
	}
	before := csvEmployeeRow(t, admin, "X1")
	if !strings.Contains(admin.get(t, "/people/X1").Body, "erase-form") {
		t.Fatalf("HR is not offered the erase button for a departed employee")
	}
	res := admin.post(t, "/people/X1/erase", nil)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("erase = %d %s", res.Status, res.Body)
	}
	page := admin.get(t, res.Location)
	if !strings.Contains(page.Body, `id="flash"`) || !strings.Contains(page.Body, "2 条打卡精简") || !strings.Contains(page.Body, "（已删除）") {
		t.Errorf("after erasure the page shows:\n%s", page.Body)
	}
	after := csvEmployeeRow(t, admin, "X1")
	before[1], after[1] = "", ""
	if !slices.Equal(before, after) {
		t.Errorf("monthly numbers changed: %q → %q", before, after)
	}
}

// csvEmployeeRow is one employee's row of the November report.
func csvEmployeeRow(tb testing.TB, c *client, id string) []string {
	tb.Helper()
	body := c.get(tb, "/reports/download?month=2026-11&format=csv").Body
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	for _, r := range recs {
		if r[0] == id {
			return r
		}
	}
	tb.Fatalf("no row for %s", id)
	return nil
}

func TestMyDataExport(t *testing.T) {
	f := MustFixture(t, false)
	c := f.MustSignIn(t, "E2")
	res := c.get(t, "/me/export")
	if res.Status != http.StatusOK || res.Header.Get("Content-Disposition") != `attachment; filename="punchbot-data-E2.json"` {
		t.Fatalf("export: %d %v", res.Status, res.Header)
	}
	var got struct {
		Employee struct {
			ID, Name   string
			Identities []map[string]string
		}
		Punches []map[string]any `json:"punches"`
		Makeups []map[string]any `json:"makeup_requests"`
		Days    int              `json:"retention_days"`
	}
	if err := json.NewDecoder(bytes.NewReader([]byte(res.Body))).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Employee.ID != "E2" || got.Employee.Name != "李四" || len(got.Employee.Identities) != 1 || len(got.Punches) != 2 || got.Days != 30 {
		t.Errorf("export = %+v", got)
	}
	if got.Punches[0]["lat"] == nil || got.Punches[1]["reasons"].([]any)[0] != core.ReasonOutOfRange {
		t.Errorf("export punches lack positions or reasons: %+v", got.Punches)
	}
	page := c.get(t, "/me")
	for _, want := range []string{`id="export"`, "李四", "wecom", "保存 30 天", "39.9"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("my data page lacks %q", want)
		}
	}
}
