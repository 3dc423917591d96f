package admin

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// stubReminders plays the scheduler.
type stubReminders struct {
	statuses []core.ReminderStatus
	preview  core.ReminderPreview
	fired    []string
}

func (s *stubReminders) Reminders(context.Context) ([]core.ReminderStatus, error) {
	return s.statuses, nil
}

func (s *stubReminders) Preview(_ context.Context, id string) (core.ReminderPreview, error) {
	if id != s.preview.Reminder.ID {
		return core.ReminderPreview{}, core.Errorf(core.ENOTFOUND, "no reminder %q", id)
	}
	return s.preview, nil
}

func (s *stubReminders) Fire(_ context.Context, id string) (core.FiringReport, bool, error) {
	if id != "weekly" {
		return core.FiringReport{}, false, core.Errorf(core.ENOTFOUND, "no reminder %q", id)
	}
	s.fired = append(s.fired, id)
	rep := core.FiringReport{Firing: core.Firing{ID: 7, ReminderID: id, Kind: core.ReminderBroadcast, FireAt: time.Date(2026, 9, 16, 12, 0, 0, 0, time.UTC),
		Status: core.FiringQueued, Manual: true, Recipients: 3}, Counts: core.DeliveryCounts{Queued: 3, Pending: 3}}
	return rep, len(s.fired) == 1, nil
}

func (s *stubReminders) Firings(_ context.Context, f core.FiringFilter) ([]core.FiringReport, error) {
	return []core.FiringReport{{Firing: core.Firing{ID: 7, ReminderID: f.ReminderID, Status: core.FiringQueued, Recipients: 3},
		Counts: core.DeliveryCounts{Queued: 3, Sent: 2, Failed: 1}}}, nil
}

func (s *stubReminders) DeliveryProblems(_ context.Context, id string, firing int64, limit int) (core.FiringReport, []core.DeliveryProblem, error) {
	if id != "weekly" || firing != 7 {
		return core.FiringReport{}, nil, core.Errorf(core.ENOTFOUND, "reminder %s has no firing %d", id, firing)
	}
	next := time.Date(2026, 9, 16, 12, 1, 0, 0, time.UTC)
	ps := []core.DeliveryProblem{
		{Recipient: core.Recipient{Platform: core.PlatformFeishu, UserID: "ou_li", EmployeeID: "li"}, Status: core.OutboxFailed, Attempts: 5, LastError: "feishu: 230013"},
		{Recipient: core.Recipient{Platform: core.PlatformWeCom, UserID: "zhang", EmployeeID: "zhang"}, Status: core.OutboxPending, Attempts: 1, NextAttempt: next, LastError: "wecom: 45009 rate limited"},
	}
	return core.FiringReport{Firing: core.Firing{ID: 7, ReminderID: id}, Counts: core.DeliveryCounts{Queued: 3, Sent: 1, Pending: 1, Failed: 1}}, ps[:min(limit, len(ps))], nil
}

func (s *stubReminders) RetryFailed(_ context.Context, id string, firing int64) (core.FiringReport, int, error) {
	if id != "weekly" || firing != 7 {
		return core.FiringReport{}, 0, core.Errorf(core.ENOTFOUND, "reminder %s has no firing %d", id, firing)
	}
	return core.FiringReport{Firing: core.Firing{ID: 7, ReminderID: id}, Counts: core.DeliveryCounts{Queued: 3, Sent: 1, Pending: 2}}, 1, nil
}

func reminderFixture(t *testing.T, r Reminders) *fixture {
	t.Helper()
	f := &fixture{store: &memStore{MemStore: nil}, mux: http.NewServeMux(), now: time.Date(2026, 9, 16, 12, 0, 0, 0, time.UTC)}
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	New(Deps{Store: f.store, Token: testToken, Zone: shanghai, Now: func() time.Time { return f.now }, Log: slog.New(slog.DiscardHandler), Reminders: r}).Register(f.mux)
	return f
}

func TestRemindersEndpoints(t *testing.T) {
	at := time.Date(2026, 9, 21, 2, 0, 0, 0, time.UTC)
	n := &core.Notice{Reminder: "weekly", Kind: core.ReminderBroadcast, Text: "周会 10:30", FireAt: at}
	pn := &core.Notice{Reminder: "weekly", Kind: core.ReminderPunchIn, Lang: "en", TimeZone: "UTC", ShiftDate: "2026-09-21", ShiftStart: at.Add(time.Hour), FireAt: at}
	var ds []core.Delivery
	for i := range 150 {
		ds = append(ds, core.Delivery{Recipient: core.Recipient{Platform: core.PlatformWeCom, UserID: fmt.Sprint("u", i), EmployeeID: fmt.Sprint("e", i)}, Notice: n})
	}
	ds[0] = core.Delivery{Recipient: core.Recipient{Platform: core.PlatformSlack, UserID: "U1", EmployeeID: "e0", Lang: "en"}, Notice: pn}
	stub := &stubReminders{
		statuses: []core.ReminderStatus{{Reminder: core.Reminder{ID: "weekly", Kind: core.ReminderBroadcast, Cron: "CRON_TZ=Asia/Shanghai 0 10 * * MON", Text: "周会", Enabled: true,
			Audience: core.Audience{Chats: []core.ChatTarget{{Platform: core.PlatformSlack, ChatID: "C1"}}}}, Schedule: "cron", Next: at,
			Recent: []core.FiringReport{{Firing: core.Firing{ID: 1, ReminderID: "weekly", FireAt: at.AddDate(0, 0, -7), Status: core.FiringQueued, Recipients: 2}, Counts: core.DeliveryCounts{Queued: 2, Sent: 2}}}}},
		preview: core.ReminderPreview{Reminder: core.Reminder{ID: "weekly", Kind: core.ReminderBroadcast}, At: at, Deliveries: ds, Unreachable: []string{"wang"}},
	}
	f := reminderFixture(t, stub)

	list := MustDecode[struct{ Reminders []reminderJSON }](t, f.MustDo(t, "GET", "/api/v1/reminders", nil, http.StatusOK))
	if len(list.Reminders) != 1 {
		t.Fatalf("reminders = %+v", list.Reminders)
	}
	got := list.Reminders[0]
	if got.Next == nil || !got.Next.Equal(at) || zoneOffset(*got.Next) != 8*3600 || len(got.Recent) != 1 || got.Recent[0].Counts.Sent != 2 || got.Audience.Chats[0].Chat != "C1" {
		t.Errorf("listed reminder = %+v, want next in the org zone, one recent firing with counts, the chat", got)
	}

	p := MustDecode[previewJSON](t, f.MustDo(t, "POST", "/api/v1/reminders/weekly/preview?limit=10", nil, http.StatusOK))
	if p.Count != 150 || len(p.Recipients) != 10 || !p.Truncated || p.ByPlatform["wecom"] != 149 || p.ByPlatform["slack"] != 1 || p.Unreachable[0] != "wang" {
		t.Errorf("preview = count %d, %d listed, truncated %v, by platform %v, unreachable %v", p.Count, len(p.Recipients), p.Truncated, p.ByPlatform, p.Unreachable)
	}
	if r := p.Recipients[0]; r.Lang != "en" || !strings.Contains(r.Text, "Clock-in reminder") {
		t.Errorf("first recipient = %+v, want the English punch-in text", r)
	}
	if r := p.Recipients[1]; r.Text != "周会 10:30" || r.User != "u1" {
		t.Errorf("second recipient = %+v, want the broadcast text", r)
	}
	f.MustDo(t, "POST", "/api/v1/reminders/nope/preview", nil, http.StatusNotFound)
	f.MustDo(t, "POST", "/api/v1/reminders/weekly/preview?limit=abc", nil, http.StatusBadRequest)

	run := MustDecode[struct {
		Created bool
		Firing  firingJSON
	}](t, f.MustDo(t, "POST", "/api/v1/reminders/weekly/run", nil, http.StatusAccepted))
	if !run.Created || run.Firing.ID != 7 || run.Firing.Counts.Queued != 3 || !run.Firing.Manual {
		t.Errorf("run = %+v", run)
	}
	f.MustDo(t, "POST", "/api/v1/reminders/weekly/run", nil, http.StatusOK) // the same minute: the same firing
	f.MustDo(t, "POST", "/api/v1/reminders/nope/run", nil, http.StatusNotFound)

	fs := MustDecode[struct{ Firings []firingJSON }](t, f.MustDo(t, "GET", "/api/v1/reminders/weekly/firings", nil, http.StatusOK))
	if len(fs.Firings) != 1 || fs.Firings[0].Counts != (core.DeliveryCounts{Queued: 3, Sent: 2, Failed: 1}) {
		t.Errorf("firings = %+v", fs.Firings)
	}
	if rec := f.do("GET", "/api/v1/reminders", "", nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("without a token: %d, want 401", rec.Code)
	}
}

func TestRemindersWithoutScheduler(t *testing.T) {
	f := reminderFixture(t, nil)
	f.MustDo(t, "GET", "/api/v1/reminders", nil, http.StatusServiceUnavailable)
	f.MustDo(t, "POST", "/api/v1/reminders/x/run", nil, http.StatusServiceUnavailable)
}

func zoneOffset(t time.Time) int {
	_, off := t.Zone()
	return off
}

// TestFiringProblemsAndRetry: the API lists who a firing failed to reach
// and why, and requeues the failed deliveries.
func TestFiringProblemsAndRetry(t *testing.T) {
	f := reminderFixture(t, &stubReminders{})
	type problems struct {
		Firing    firingJSON
		Problems  []problemJSON
		Truncated bool
	}
	p := MustDecode[problems](t, f.MustDo(t, "GET", "/api/v1/reminders/weekly/firings/7/problems", nil, http.StatusOK))
	if len(p.Problems) != 2 || p.Truncated || p.Firing.Counts.Failed != 1 {
		t.Fatalf("problems = %+v", p)
	}
	if got := p.Problems[0]; got.Employee != "li" || got.Status != "failed" || got.Error != "feishu: 230013" || got.NextAttempt != nil {
		t.Errorf("first problem = %+v, want li's failure with the error and no next attempt", got)
	}
	if got := p.Problems[1]; got.NextAttempt == nil || zoneOffset(*got.NextAttempt) != 8*3600 || got.Status != "pending" {
		t.Errorf("second problem = %+v, want the rate-limited retry with its time in the org zone", got)
	}
	p = MustDecode[problems](t, f.MustDo(t, "GET", "/api/v1/reminders/weekly/firings/7/problems?limit=1", nil, http.StatusOK))
	if len(p.Problems) != 1 || !p.Truncated {
		t.Errorf("limit 1: %d problems, truncated %v; want 1, true", len(p.Problems), p.Truncated)
	}
	retry := MustDecode[struct {
		Requeued int
		Firing   firingJSON
	}](t, f.MustDo(t, "POST", "/api/v1/reminders/weekly/firings/7/retry", nil, http.StatusOK))
	if retry.Requeued != 1 || retry.Firing.Counts.Failed != 0 || retry.Firing.Counts.Pending != 2 {
		t.Errorf("retry = %+v, want 1 requeued and no failures left", retry)
	}
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"POST", "/api/v1/reminders/weekly/firings/8/retry", http.StatusNotFound},
		{"POST", "/api/v1/reminders/weekly/firings/abc/retry", http.StatusBadRequest},
		{"GET", "/api/v1/reminders/weekly/firings/0/problems", http.StatusBadRequest},
		{"GET", "/api/v1/reminders/nope/firings/7/problems", http.StatusNotFound},
	} {
		f.MustDo(t, tc.method, tc.path, nil, tc.want)
	}
}
