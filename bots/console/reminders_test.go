package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// fakeScheduler plays the scheduler: two reminders, one with a firing
// whose deliveries are partly sent.
type fakeScheduler struct {
	mu    sync.Mutex
	fired []string
	now   func() time.Time
}

func (s *fakeScheduler) Reminders(ctx context.Context) ([]core.ReminderStatus, error) {
	fire := time.Date(2026, 11, 26, 0, 50, 0, 0, time.UTC)
	return []core.ReminderStatus{
		{Reminder: core.Reminder{ID: "morning", Kind: core.ReminderPunchIn, MinutesBefore: 10, Enabled: true}, Schedule: "10 min before each shift",
			Recent: []core.FiringReport{{Firing: core.Firing{ID: 7, ReminderID: "morning", FireAt: fire, Recipients: 5}, Counts: core.DeliveryCounts{Queued: 5, Sent: 4, Failed: 1}}}},
		{Reminder: core.Reminder{ID: "weekly", Kind: core.ReminderBroadcast, Cron: "0 9 * * MON", Text: "请提交周报", Enabled: true}, Schedule: "0 9 * * MON",
			Next: time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)},
	}, nil
}

func (s *fakeScheduler) Preview(ctx context.Context, id string) (core.ReminderPreview, error) {
	if id != "weekly" {
		return core.ReminderPreview{}, core.Errorf(core.ENOTFOUND, "no reminder %q", id)
	}
	n := &core.Notice{Reminder: "weekly", Kind: core.ReminderBroadcast, Text: "请提交周报", Lang: "zh"}
	return core.ReminderPreview{Reminder: core.Reminder{ID: id, Kind: core.ReminderBroadcast}, At: s.now(),
		Deliveries: []core.Delivery{
			{Recipient: core.Recipient{Platform: core.PlatformWeCom, UserID: "zhangsan", EmployeeID: "E1"}, Notice: n},
			{Recipient: core.Recipient{Platform: core.PlatformWeCom, UserID: "lisi", EmployeeID: "E2"}, Notice: n},
		}, Unreachable: []string{"M1"}}, nil
}

func (s *fakeScheduler) Fire(ctx context.Context, id string) (core.FiringReport, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	first := len(s.fired) == 0
	s.fired = append(s.fired, id)
	return core.FiringReport{Firing: core.Firing{ID: 8, ReminderID: id, FireAt: s.now(), Recipients: 2, Manual: true}}, first, nil
}

func (s *fakeScheduler) DeliveryProblems(ctx context.Context, id string, firing int64, limit int) (core.FiringReport, []core.DeliveryProblem, error) {
	return core.FiringReport{}, nil, core.Errorf(core.ENOTFOUND, "reminder %s has no firing %d", id, firing)
}

func (s *fakeScheduler) RetryFailed(ctx context.Context, id string, firing int64) (core.FiringReport, int, error) {
	return core.FiringReport{}, 0, core.Errorf(core.ENOTFOUND, "reminder %s has no firing %d", id, firing)
}

func withScheduler(s *fakeScheduler) func(*Config, *Deps) {
	return func(c *Config, d *Deps) { d.Reminders = s }
}

func TestRemindersWithTheScheduler(t *testing.T) {
	sched := &fakeScheduler{}
	f := MustFixture(t, false, withScheduler(sched))
	sched.now = f.clock.Now
	hr, m1 := f.MustSignIn(t, "H1"), f.MustSignIn(t, "M1")

	page := hr.get(t, "/reminders")
	for _, want := range []string{`data-id="morning"`, "10 min before each shift", "排队 5 · 已发送 4 · 待发送 0 · 失败 1", `action="/reminders/weekly/run"`,
		`<span class="kind" title="punch_in">上班提醒</span>`, `<span class="kind" title="broadcast">群发消息</span>`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("reminders page lacks %q", want)
		}
	}
	res := hr.post(t, "/reminders/weekly/preview", nil)
	if res.Status != http.StatusOK || !strings.Contains(res.Body, `data-count="2"`) || !strings.Contains(res.Body, "张三 (E1)") || !strings.Contains(res.Body, "请提交周报") || !strings.Contains(res.Body, "M1") {
		t.Errorf("preview = %d:\n%s", res.Status, res.Body)
	}
	if res := hr.post(t, "/reminders/nope/preview", nil); res.Status != http.StatusNotFound {
		t.Errorf("preview of an unknown reminder = %d", res.Status)
	}
	res = hr.post(t, "/reminders/weekly/run", nil)
	if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "done=fired") {
		t.Fatalf("run = %d → %q", res.Status, res.Location)
	}
	if page := hr.get(t, res.Location); !strings.Contains(page.Body, "已发送提醒 weekly，共 2 位接收人") {
		t.Errorf("no notice after running")
	}
	if res := hr.post(t, "/reminders/weekly/run", nil); !strings.Contains(res.Location, "done=already") {
		t.Errorf("second run = %q, want the already-fired notice", res.Location)
	}
	if es := f.audits(t, core.AuditFilter{Action: "console.reminder_fired", Actor: "H1"}); len(es) != 2 || es[0].Subject != "weekly" {
		t.Errorf("run audit = %+v", es)
	}
	// Managers may neither see nor fire reminders; a forged POST is refused.
	if res := m1.get(t, "/reminders"); res.Status != http.StatusForbidden {
		t.Errorf("manager reminders page = %d", res.Status)
	}
	if res := m1.post(t, "/reminders/weekly/run", nil); res.Status != http.StatusForbidden {
		t.Errorf("manager run = %d", res.Status)
	}
	if res := hr.do(t, http.MethodPost, "/reminders/weekly/run", url.Values{"csrf": {"x"}}); res.Status != http.StatusForbidden {
		t.Errorf("run without the CSRF token = %d", res.Status)
	}
	if len(sched.fired) != 2 {
		t.Errorf("fired %v, want exactly the two HR runs", sched.fired)
	}
}

func TestRemindersWithoutTheScheduler(t *testing.T) {
	f := MustFixture(t, false)
	hr := f.MustSignIn(t, "H1")
	page := hr.get(t, "/reminders")
	if !strings.Contains(page.Body, `id="static"`) || !strings.Contains(page.Body, `data-id="weekly"`) || strings.Contains(page.Body, "/run") {
		t.Errorf("static reminders page:\n%s", page.Body)
	}
	if want := `<span class="kind" title="broadcast">群发消息</span>`; !strings.Contains(page.Body, want) {
		t.Errorf("static reminders page lacks the kind's name %q", want)
	}
	if res := hr.post(t, "/reminders/weekly/run", nil); res.Status != http.StatusBadRequest {
		t.Errorf("run without a scheduler = %d, want 400", res.Status)
	}
}

// outageScheduler plays a scheduler after downtime: one firing sent late,
// one skipped, with the scheduler's note.
type outageScheduler struct{ fakeScheduler }

func (s *outageScheduler) Reminders(ctx context.Context) ([]core.ReminderStatus, error) {
	fire := time.Date(2026, 11, 26, 0, 50, 0, 0, time.UTC)
	return []core.ReminderStatus{{Reminder: core.Reminder{ID: "morning", Kind: core.ReminderPunchIn, MinutesBefore: 10, Enabled: true}, Schedule: "10 min before each shift",
		Recent: []core.FiringReport{
			{Firing: core.Firing{ID: 9, ReminderID: "morning", FireAt: fire, Status: core.FiringQueued, Late: true, Recipients: 2}, Counts: core.DeliveryCounts{Queued: 2, Sent: 2}},
			{Firing: core.Firing{ID: 8, ReminderID: "morning", FireAt: fire.Add(-24 * time.Hour), Status: core.FiringSkipped, Late: true, Note: "missed by 40m0s: no scheduler was running"}},
		}}}, nil
}

func (s *outageScheduler) DeliveryProblems(ctx context.Context, id string, firing int64, limit int) (core.FiringReport, []core.DeliveryProblem, error) {
	return core.FiringReport{Firing: core.Firing{ID: firing, ReminderID: id, Late: true, Note: "2 selected employee(s) have no chat account: [M1 W9]"}}, nil, nil
}

// TestRemindersShowLateAndSkippedFirings: after downtime HR sees which
// firings went out late and which were skipped, and the scheduler's note;
// managers cannot open a firing's details or resend it.
func TestRemindersShowLateAndSkippedFirings(t *testing.T) {
	sched := &outageScheduler{}
	f := MustFixture(t, false, func(c *Config, d *Deps) { d.Reminders = sched })
	sched.now = f.clock.Now
	hr, m1 := f.MustSignIn(t, "H1"), f.MustSignIn(t, "M1")
	tests := []struct {
		lang string
		want []string
	}{
		{"zh", []string{"延迟发送（服务恢复后补发）", "已跳过：发送时间过后太久服务才恢复", `href="/reminders/morning/firings/9"`}},
		{"en", []string{"sent late (after punchbot was down)", "skipped: punchbot was down for too long"}},
	}
	for _, tc := range tests {
		page := hr.get(t, "/reminders?lang="+tc.lang).Body
		for _, want := range tc.want {
			if !strings.Contains(page, want) {
				t.Errorf("reminders page (%s) lacks %q", tc.lang, want)
			}
		}
	}
	if page := hr.get(t, "/reminders").Body; strings.Contains(page, `href="/reminders/morning/firings/8"`) {
		t.Errorf("the skipped firing (nothing queued) links to details")
	}
	details := hr.get(t, "/reminders/morning/firings/9")
	for _, want := range []string{`id="firing-note"`, "M1 W9", `id="no-problems"`} {
		if details.Status != http.StatusOK || !strings.Contains(details.Body, want) {
			t.Errorf("details (%d) lack %q:\n%s", details.Status, want, details.Body)
		}
	}
	if res := m1.get(t, "/reminders/morning/firings/9"); res.Status != http.StatusForbidden {
		t.Errorf("manager details = %d, want 403", res.Status)
	}
	if res := m1.post(t, "/reminders/morning/firings/9/retry", nil); res.Status != http.StatusForbidden {
		t.Errorf("manager retry = %d, want 403", res.Status)
	}
}

// pendingScheduler has one firing whose deliveries are still going out.
type pendingScheduler struct {
	fakeScheduler
	pending int
}

func (s *pendingScheduler) Reminders(ctx context.Context) ([]core.ReminderStatus, error) {
	return []core.ReminderStatus{{Reminder: core.Reminder{ID: "weekly", Kind: core.ReminderBroadcast, Cron: "0 9 * * MON", Text: "请提交周报", Enabled: true},
		Recent: []core.FiringReport{{Firing: core.Firing{ID: 3, ReminderID: "weekly", Status: core.FiringQueued, Recipients: 300},
			Counts: core.DeliveryCounts{Queued: 300, Sent: 300 - s.pending, Pending: s.pending, Retrying: s.pending / 2}}}}}, nil
}

func (s *pendingScheduler) DeliveryProblems(ctx context.Context, id string, firing int64, limit int) (core.FiringReport, []core.DeliveryProblem, error) {
	rs, _ := s.Reminders(ctx)
	return rs[0].Recent[0], nil, nil
}

// TestRemindersPageFollowsAFanOut: while a firing's deliveries are pending
// the reminders page and the firing's details reload themselves; once all
// are sent they stop, and a preview (a POST's answer) never does.
func TestRemindersPageFollowsAFanOut(t *testing.T) {
	sched := &pendingScheduler{}
	f := MustFixture(t, false, func(c *Config, d *Deps) { d.Reminders = sched })
	sched.now = f.clock.Now
	hr := f.MustSignIn(t, "H1")
	const refresh = `<meta http-equiv="refresh" content="15">`
	tests := []struct {
		name    string
		pending int
		post    bool
		path    string
		want    bool
	}{
		{"list while sending", 120, false, "/reminders", true},
		{"details while sending", 120, false, "/reminders/weekly/firings/3", true},
		{"list when done", 0, false, "/reminders", false},
		{"details when done", 0, false, "/reminders/weekly/firings/3", false},
		{"a preview while sending", 120, true, "/reminders/weekly/preview", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sched.pending = tc.pending
			var res response
			if tc.post {
				res = hr.post(t, tc.path, nil)
			} else {
				res = hr.get(t, tc.path)
			}
			if res.Status != http.StatusOK {
				t.Fatalf("%s = %d", tc.path, res.Status)
			}
			if got := strings.Contains(res.Body, refresh); got != tc.want {
				t.Errorf("%s reloads itself = %v, want %v", tc.path, got, tc.want)
			}
			// Half the pending ones wait out a rate limit: the page says so.
			if got, want := strings.Contains(res.Body, "其中 60 条在重试（平台限流或出错"), tc.pending > 0; got != want {
				t.Errorf("%s names the retrying deliveries = %v, want %v", tc.path, got, want)
			}
		})
	}
}

// staleScheduler refuses to resend an out-of-date punch reminder.
type staleScheduler struct{ outageScheduler }

func (s *staleScheduler) RetryFailed(ctx context.Context, id string, firing int64) (core.FiringReport, int, error) {
	return core.FiringReport{}, 0, core.WrapError(core.EINVALID, core.ErrStaleReminder, "the punch_in reminder is 3h0m0s old")
}

// TestRetryOfAStalePunchReminder: HR asking to resend a punch reminder
// hours late is told, in their language, why nothing was resent.
func TestRetryOfAStalePunchReminder(t *testing.T) {
	sched := &staleScheduler{}
	f := MustFixture(t, false, func(c *Config, d *Deps) { d.Reminders = sched })
	sched.now = f.clock.Now
	hr := f.MustSignIn(t, "H1")
	res := hr.post(t, "/reminders/morning/firings/9/retry", nil)
	if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "done=stale") {
		t.Fatalf("retry = %d → %q, want back to the details saying it is stale", res.Status, res.Location)
	}
	for lang, want := range map[string]string{"zh": "这条上下班打卡提醒已过时", "en": "This clock-in/out reminder is out of date"} {
		if page := hr.get(t, res.Location+"&lang="+lang).Body; !strings.Contains(page, want) {
			t.Errorf("%s: the details page lacks %q", lang, want)
		}
	}
}
