package console

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/slack-go/slack/slacktest"

	"github.com/punchbot/punchbot/bots"
	punchslack "github.com/punchbot/punchbot/bots/slack"
	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/scheduler"
)

// lateReminders lets the fixture's console use a scheduler built after the
// fixture's store.
type lateReminders struct{ s Reminders }

func (l *lateReminders) Reminders(ctx context.Context) ([]core.ReminderStatus, error) {
	return l.s.Reminders(ctx)
}
func (l *lateReminders) Preview(ctx context.Context, id string) (core.ReminderPreview, error) {
	return l.s.Preview(ctx, id)
}
func (l *lateReminders) Fire(ctx context.Context, id string) (core.FiringReport, bool, error) {
	return l.s.Fire(ctx, id)
}
func (l *lateReminders) DeliveryProblems(ctx context.Context, id string, firing int64, limit int) (core.FiringReport, []core.DeliveryProblem, error) {
	return l.s.DeliveryProblems(ctx, id, firing, limit)
}
func (l *lateReminders) RetryFailed(ctx context.Context, id string, firing int64) (core.FiringReport, int, error) {
	return l.s.RetryFailed(ctx, id, firing)
}

// noLinks issues no location links: a broadcast needs none.
type noLinks struct{}

func (noLinks) PunchLink(context.Context, bots.LinkRequest) (string, error) {
	return "", core.Errorf(core.EUNAVAILABLE, "no location page in this test")
}

// slackPosts records chat.postMessage calls on a fake Slack Web API
// (https://api.slack.com/methods/chat.postMessage: channel, text, blocks as
// form fields) and answers conversations.open
// (https://api.slack.com/methods/conversations.open) with a DM channel.
type slackPosts struct {
	mu    sync.Mutex
	posts []url.Values
	// refuse, when set, is the error chat.postMessage answers with.
	refuse string
}

func (s *slackPosts) handlers(c slacktest.Customize) {
	c.Handle("/conversations.open", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": map[string]any{"id": "D" + r.FormValue("users")}})
	})
	c.Handle("/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		s.mu.Lock()
		refuse := s.refuse
		if refuse == "" {
			s.posts = append(s.posts, r.PostForm)
		}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if refuse != "" {
			json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": refuse})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": r.FormValue("channel"), "ts": "1700000000.000100"})
	})
}

// TestBroadcastReachesSlack: HR binds a Slack account to a person and
// sends a Markdown broadcast to their department from the console; the
// real scheduler queues it and the outbox delivers it to (a fake) Slack
// as mrkdwn, in the person's DM.
func TestBroadcastReachesSlack(t *testing.T) {
	late := &lateReminders{}
	f := MustFixture(t, true, func(c *Config, d *Deps) { d.Reminders = late })
	sched, err := scheduler.New(scheduler.Config{Zone: shanghai}, scheduler.Deps{Store: f.store, Now: f.clock.Now, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	late.s = sched
	posts := &slackPosts{}
	fake := slacktest.NewTestServer(posts.handlers)
	fake.Start()
	t.Cleanup(fake.Stop)
	bot, err := punchslack.New(punchslack.Config{SigningSecret: "slack-signing-secret", BotToken: "xoxb-test", APIURL: fake.GetAPIURL()},
		punchslack.Deps{Core: f.svc, Links: noLinks{}, Now: f.clock.Now, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}

	hr := f.MustSignIn(t, "H1")
	res := hr.post(t, "/org/people/E1", url.Values{"name": {"张三"}, "department": {"研发"}, "role": {"employee"}, "manager": {"M1"}, "schedule": {"day"},
		"sites": {"hq"}, "identities": {"slack T0PB U0ZHANG\nwecom corp zhangsan"}, "lang": {"zh"}, "active": {"1"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("bind the Slack account: %d %s", res.Status, res.Body)
	}
	res = hr.post(t, "/org/reminders/new", url.Values{"id": {"notice"}, "kind": {"broadcast"}, "text": {"**周五**停电，见 [通知](https://intra.example/n)"},
		"markdown": {"1"}, "employees": {"E1"}, "cron": {"0 9 * * MON"}, "enabled": {"1"}, "send_now": {"1"}})
	if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "done=fired") {
		t.Fatalf("send now: %d %s %s", res.Status, res.Location, res.Body)
	}
	worker := &core.OutboxWorker{Store: f.store, Senders: map[core.Platform]core.Sender{core.PlatformSlack: bot}, Now: f.clock.Now, Log: slog.New(slog.DiscardHandler)}
	if _, err := worker.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	posts.mu.Lock()
	defer posts.mu.Unlock()
	if len(posts.posts) != 1 {
		t.Fatalf("Slack received %d messages, want 1: %v", len(posts.posts), posts.posts)
	}
	p := posts.posts[0]
	var blocks []struct {
		Text struct{ Type, Text string } `json:"text"`
	}
	if err := json.Unmarshal([]byte(p.Get("blocks")), &blocks); err != nil {
		t.Fatalf("blocks %q: %v", p.Get("blocks"), err)
	}
	if p.Get("channel") != "DU0ZHANG" || len(blocks) != 1 || blocks[0].Text.Type != "mrkdwn" || blocks[0].Text.Text != "*周五*停电，见 <https://intra.example/n|通知>" {
		t.Errorf("Slack received channel %q, blocks %+v; want a DM to U0ZHANG in mrkdwn", p.Get("channel"), blocks)
	}
}

// TestResendFailedBroadcast: a broadcast Slack refused shows on the
// reminders page as failed with Slack's error and the person's name; HR
// resends the failed ones and the person gets it once.
func TestResendFailedBroadcast(t *testing.T) {
	late := &lateReminders{}
	f := MustFixture(t, true, func(c *Config, d *Deps) { d.Reminders = late })
	sched, err := scheduler.New(scheduler.Config{Zone: shanghai}, scheduler.Deps{Store: f.store, Now: f.clock.Now, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	late.s = sched
	posts := &slackPosts{refuse: "channel_not_found"}
	fake := slacktest.NewTestServer(posts.handlers)
	fake.Start()
	t.Cleanup(fake.Stop)
	bot, err := punchslack.New(punchslack.Config{SigningSecret: "slack-signing-secret", BotToken: "xoxb-test", APIURL: fake.GetAPIURL()},
		punchslack.Deps{Core: f.svc, Links: noLinks{}, Now: f.clock.Now, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	hr := f.MustSignIn(t, "H1")
	res := hr.post(t, "/org/people/E1", url.Values{"name": {"张三"}, "department": {"研发"}, "role": {"employee"}, "manager": {"M1"}, "schedule": {"day"},
		"sites": {"hq"}, "identities": {"slack T0PB U0ZHANG"}, "lang": {"zh"}, "active": {"1"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("bind the Slack account: %d %s", res.Status, res.Body)
	}
	res = hr.post(t, "/org/reminders/new", url.Values{"id": {"notice"}, "kind": {"broadcast"}, "text": {"周五停电"},
		"employees": {"E1"}, "cron": {"0 9 * * MON"}, "enabled": {"1"}, "send_now": {"1"}})
	if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "done=fired") {
		t.Fatalf("send now: %d %s %s", res.Status, res.Location, res.Body)
	}
	worker := &core.OutboxWorker{Store: f.store, Senders: map[core.Platform]core.Sender{core.PlatformSlack: bot}, Now: f.clock.Now, MaxAttempts: 1,
		Log: slog.New(slog.DiscardHandler)}
	if _, err := worker.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	fs, err := sched.Firings(context.Background(), core.FiringFilter{ReminderID: "notice"})
	if err != nil || len(fs) != 1 {
		t.Fatalf("firings = %v, %v; want the one sent now", fs, err)
	}
	page := "/reminders/notice/firings/" + strconv.FormatInt(fs[0].ID, 10)
	list := hr.get(t, "/reminders").Body
	if !strings.Contains(list, `href="`+page+`"`) || !strings.Contains(list, "失败 1") {
		t.Errorf("the reminders page does not link the firing's details or count its failure:\n%s", list)
	}
	details := hr.get(t, page)
	for _, want := range []string{`id="problems" data-failed="1"`, "张三 (E1)", "channel_not_found", "重新发送失败的 1 条"} {
		if details.Status != http.StatusOK || !strings.Contains(details.Body, want) {
			t.Errorf("details page (%d) lacks %q:\n%s", details.Status, want, details.Body)
		}
	}

	posts.mu.Lock()
	posts.refuse = ""
	posts.mu.Unlock()
	res = hr.post(t, page+"/retry", nil)
	if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "done=retried") || !strings.Contains(res.Location, "n=1") {
		t.Fatalf("retry: %d %s %s", res.Status, res.Location, res.Body)
	}
	if flash := hr.get(t, res.Location).Body; !strings.Contains(flash, "已重新排队 1 条") {
		t.Errorf("after the retry the page does not say what was requeued:\n%s", flash)
	}
	for range 2 {
		if _, err := worker.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	posts.mu.Lock()
	n := len(posts.posts)
	posts.mu.Unlock()
	if n != 1 {
		t.Errorf("Slack received %d messages after the retry, want 1", n)
	}
	if again := hr.post(t, page+"/retry", nil); !strings.Contains(again.Location, "n=0") {
		t.Errorf("a second retry: %s, want nothing requeued", again.Location)
	}
	if bad := hr.get(t, "/reminders/notice/firings/abc"); bad.Status != http.StatusBadRequest || !strings.Contains(bad.Body, "发送记录编号“abc”无效") {
		t.Errorf("a bad firing id: %d, want 400 saying so in Chinese:\n%s", bad.Status, bad.Body)
	}
	if bad := hr.get(t, "/reminders/notice/firings/999"); bad.Status != http.StatusNotFound {
		t.Errorf("an unknown firing: %d, want 404", bad.Status)
	}
}
