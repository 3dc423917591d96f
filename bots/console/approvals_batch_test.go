package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/punchbot/punchbot/core"
)

// batchSet files what a batch meets: two pending requests of M1's
// reports, one HR decided first, one withdrawn, and M2's report's.
type batchSet struct{ a, b, decided, withdrawn, others int64 }

func newBatchSet(t *testing.T, f *fixture) batchSet {
	t.Helper()
	ctx := context.Background()
	file := func(emp, date, clock string, kind core.PunchKind) int64 {
		v, err := f.svc.RequestMakeup(ctx, emp, core.MakeupArgs{Date: date, Clock: clock, Kind: kind, Reason: "忘记打卡"}, core.PlatformWeCom)
		if err != nil {
			t.Fatalf("RequestMakeup(%s %s): %v", emp, date, err)
		}
		return v.Request.ID
	}
	s := batchSet{a: f.makeupID(t, "E1"), others: f.makeupID(t, "E3")}
	s.b = file("E2", "2026-11-24", "18:00", core.KindOut)
	s.decided = file("E2", "2026-11-23", "18:00", core.KindOut)
	if _, err := f.svc.DecideMakeup(ctx, core.MakeupDecision{ID: s.decided, Status: core.MakeupRejected, Actor: "H1", Note: "重复"}); err != nil {
		t.Fatal(err)
	}
	s.withdrawn = file("E1", "2026-11-24", "18:00", core.KindOut)
	if _, err := f.svc.CancelMakeup(ctx, "E1", s.withdrawn); err != nil {
		t.Fatal(err)
	}
	return s
}

func ids(n ...int64) []string {
	out := make([]string, len(n))
	for i, id := range n {
		out[i] = strconv.FormatInt(id, 10)
	}
	return out
}

// TestApprovalsBatch: a manager approves several requests with one POST;
// each is decided by the core (one audit entry and one notice each) and
// the page reports every request: decided, already decided, withdrawn,
// not theirs. A batch rejection without a reason, or with nothing ticked,
// comes back with the ticks kept and decides nothing.
func TestApprovalsBatch(t *testing.T) {
	f := MustFixture(t, true)
	s := newBatchSet(t, f)
	m1 := f.MustSignIn(t, "M1")
	page := m1.get(t, "/makeups?status=pending").Body
	for _, id := range ids(s.a, s.b) {
		if !strings.Contains(page, `name="id" value="`+id+`" form="batch-decide"`) {
			t.Errorf("pending request %s has no batch checkbox", id)
		}
	}
	if !strings.Contains(page, `id="batch-approve"`) || !strings.Contains(page, "同意所选") {
		t.Fatalf("no batch form on the approvals page")
	}

	res := m1.post(t, "/makeups/batch", url.Values{"decision": {"rejected"}, "note": {" "}, "id": ids(s.a, s.b)})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "批量驳回需要填写理由") ||
		!strings.Contains(res.Body, `value="`+ids(s.a)[0]+`" form="batch-decide" class="batch-pick" aria-label="选择 #`+ids(s.a)[0]+`" checked`) {
		t.Fatalf("batch rejection without a reason = %d:\n%s", res.Status, res.Body)
	}
	if res := m1.post(t, "/makeups/batch", url.Values{"decision": {"approved"}}); res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "请先勾选要处理的申请") {
		t.Errorf("batch with nothing ticked = %d", res.Status)
	}
	if res := m1.post(t, "/makeups/batch", url.Values{"decision": {"revoked"}, "id": ids(s.a)}); res.Status != http.StatusBadRequest {
		t.Errorf("batch revoke = %d, want 400", res.Status)
	}
	for _, id := range []int64{s.a, s.b} {
		if m := f.request(t, id); m.Status != core.MakeupPending {
			t.Fatalf("a refused batch changed request %d: %s", id, m.Status)
		}
	}

	res = m1.post(t, "/makeups/batch", url.Values{"decision": {"approved"}, "id": ids(s.a, s.b, s.decided, s.withdrawn, s.others), "f_status": {"pending"}})
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/makeups?") {
		t.Fatalf("batch approval = %d %s %s", res.Status, res.Location, res.Body)
	}
	shown := m1.get(t, res.Location).Body
	got := regexp.MustCompile(`<li data-id="(\d+)" data-outcome="(\w+)">([^<]*)</li>`).FindAllStringSubmatch(shown, -1)
	want := []string{
		ids(s.a)[0] + " decided #" + ids(s.a)[0] + " 已同意",
		ids(s.b)[0] + " decided #" + ids(s.b)[0] + " 已同意",
		ids(s.decided)[0] + " closed #" + ids(s.decided)[0] + " 已经处理过了（已驳回），未更改",
		ids(s.withdrawn)[0] + " closed #" + ids(s.withdrawn)[0] + " 已经处理过了（已撤回），未更改",
		ids(s.others)[0] + " forbidden #" + ids(s.others)[0] + " 不是由你审批的申请，未处理",
	}
	var lines []string
	for _, g := range got {
		lines = append(lines, g[1]+" "+g[2]+" "+g[3])
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("batch results:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(shown, "批量同意：已处理 2 个，3 个未处理；申请人都会收到通知。") {
		t.Errorf("batch summary missing:\n%s", shown)
	}
	for _, id := range []int64{s.a, s.b} {
		if m := f.request(t, id); m.Status != core.MakeupApproved || m.DecidedBy != "M1" {
			t.Errorf("request %d after the batch: %s by %s", id, m.Status, m.DecidedBy)
		}
	}
	if m := f.request(t, s.others); m.Status != core.MakeupPending {
		t.Errorf("M2's request is %s after M1's batch", m.Status)
	}
	approved := map[string]int{}
	for _, a := range f.audits(t, core.AuditFilter{Action: "makeup.approved"}) {
		approved[regexp.MustCompile(`"request_id":(\d+)`).FindStringSubmatch(a.Detail)[1]]++
		if a.Actor != "M1" || !strings.Contains(a.Detail, `"via":"web"`) {
			t.Errorf("approval audit = %+v, want by M1 via the console", a)
		}
	}
	if len(approved) != 2 || approved[ids(s.a)[0]] != 1 || approved[ids(s.b)[0]] != 1 {
		t.Errorf("approval audits by request = %v, want one each for %d and %d", approved, s.a, s.b)
	}
	notices := 0
	for _, m := range f.store.Outbox() {
		if m.Kind == core.OutboxMakeupResult && (strings.Contains(string(m.Payload), fmt.Sprintf(`"ID":%d,`, s.a)) || strings.Contains(string(m.Payload), fmt.Sprintf(`"ID":%d,`, s.b))) {
			notices++
		}
	}
	if notices != 2 {
		t.Errorf("%d requester notices, want 2", notices)
	}
	// A hand-made result query shows only what the catalogue says.
	if body := m1.get(t, "/makeups?batch=approved&br=7.c-%3Cb%3E,8.zz,9.d").Body; strings.Contains(body, "<b>") || !strings.Contains(body, `data-id="9" data-outcome="decided"`) || strings.Contains(body, `data-id="8"`) || strings.Contains(body, `data-id="7"`) {
		t.Errorf("hand-made batch query shown as:\n%s", body)
	}
}

// TestBrowserApprovalsBatch: in Chromium, the manager ticks two pending
// requests, tries to reject them without a reason (sent back, ticks kept,
// nothing decided), then with one: both rows show rejected and the result
// box lists both.
func TestBrowserApprovalsBatch(t *testing.T) {
	browser := MustBrowser(t)
	f := MustFixture(t, true)
	s := newBatchSet(t, f)
	tb := newTab(t, browser)
	tb.open(t, f.MustLink(t, "M1", core.LinkConsole))
	tb.run(t, chromedp.Click(chromedp.ID("continue")), chromedp.WaitVisible(chromedp.ID("counts")))
	tb.open(t, f.srv.URL+"/makeups?status=pending")
	tb.shot(t, "makeups-batch-form")
	pick := func(id int64) string {
		return `#makeup-table input.batch-pick[value="` + strconv.FormatInt(id, 10) + `"]`
	}
	tb.run(t, chromedp.Click(chromedp.CSS(pick(s.a))), chromedp.Click(chromedp.CSS(pick(s.b))), chromedp.Click(chromedp.ID("batch-reject")),
		chromedp.WaitVisible(chromedp.ID("batch-error")))
	if msg := eval[string](t, tb, `document.getElementById("batch-error").textContent`); !strings.Contains(msg, "批量驳回需要填写理由") {
		t.Errorf("batch error = %q", msg)
	}
	if n := eval[int](t, tb, `document.querySelectorAll("input.batch-pick:checked").length`); n != 2 {
		t.Errorf("%d ticks kept after the refusal, want 2", n)
	}
	if m := f.request(t, s.a); m.Status != core.MakeupPending {
		t.Fatalf("a refused batch changed the request: %s", m.Status)
	}
	tb.run(t, chromedp.SendKeys(chromedp.ID("batch-note"), "请先提交证明"), chromedp.Click(chromedp.ID("batch-reject")),
		chromedp.WaitVisible(chromedp.ID("batch-result")))
	outcomes := eval[[]string](t, tb, `[...document.querySelectorAll("#batch-result li")].map(li => li.dataset.id + ":" + li.dataset.outcome)`)
	if strings.Join(outcomes, " ") != fmt.Sprintf("%d:decided %d:decided", s.a, s.b) {
		t.Errorf("result box = %v", outcomes)
	}
	if head := eval[string](t, tb, `document.querySelector("#batch-result strong").textContent`); head != "批量驳回：已处理 2 个；申请人都会收到通知。" {
		t.Errorf("result head = %q", head)
	}
	for _, id := range []int64{s.a, s.b} {
		if m := f.request(t, id); m.Status != core.MakeupRejected || m.Note != "请先提交证明" {
			t.Errorf("request %d after the batch: %s %q", id, m.Status, m.Note)
		}
	}
	tb.mu.Lock()
	for _, e := range tb.errors {
		// The refused batch is answered 422 on purpose; anything else
		// (a CSP violation, a missing asset) is a fault.
		if !strings.Contains(e, "422") {
			t.Errorf("browser console error: %s", e)
		}
	}
	tb.mu.Unlock()
	tb.shot(t, "makeups-batch")
}
