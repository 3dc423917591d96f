package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/bots/playground/sim"
	"github.com/punchbot/punchbot/core"
)

// demoRun is one run of the demo, with its history, on a file.
type demoRun struct {
	base   string
	s      *server
	sims   *sim.Platforms
	stdout *lockedBuffer // doctor_test.go
	stop   func()
}

// startDemoOn runs the demo with its history on the embedded store at
// path, on clock, until stop (or the end of the test).
func startDemoOn(t *testing.T, path string, clock func() time.Time) demoRun {
	t.Helper()
	return startDemoWith(t, path, clock, nil)
}

// startDemoWith is startDemoOn with the demo's arguments; with
// -serve=false it returns once the demo has finished. settings are more
// PUNCHBOT_ variables and their values.
func startDemoWith(t *testing.T, path string, clock func() time.Time, args []string, settings ...string) demoRun {
	t.Helper()
	cfg, err := loadConfig(env(append([]string{"PUNCHBOT_DB_PATH", path, "PUNCHBOT_ADDR", "127.0.0.1:0"}, settings...)...))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	run := demoRun{stdout: &lockedBuffer{}}
	ready := make(chan struct{})
	done := make(chan error, 1)
	hooks := demoHooks{history: true, now: clock, ready: func(addr string, s *server, p *sim.Platforms) {
		run.base, run.s, run.sims = loopbackURL(addr), s, p
		close(ready)
	}}
	go func() {
		done <- runDemo(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), args, run.stdout, hooks)
	}()
	var once sync.Once
	run.stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(run.stop)
	select {
	case <-ready:
		return run
	case err := <-done:
		done <- err // for stop
		if err != nil || len(args) == 0 {
			t.Fatalf("demo stopped: %v\n%s", err, run.stdout)
		}
		return run
	case <-time.After(120 * time.Second):
		t.Fatal("demo did not start in 120 s")
	}
	return run
}

// paneState reads one pane's conversation through the playground's own
// JSON API, as the page does.
func paneState(t *testing.T, base, pane string) []sim.Entry {
	t.Helper()
	resp, err := http.Get(base + "/playground/api/state?since=-1&c=" + url.QueryEscape(pane))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Chats map[string][]sim.Entry `json:"chats"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET state of %s = %d, %v", pane, resp.StatusCode, err)
	}
	return st.Chats[pane]
}

// waiting is a request still waiting and the pane its card belongs in.
type waiting struct {
	req  core.MakeupRequest
	pane string // platform:user of the approver's chat account
	who  string // the approver's name
}

// waitingRequests lists the requests waiting in run's store, each with
// its approver's pane.
func waitingRequests(t *testing.T, run demoRun) []waiting {
	t.Helper()
	pending, err := run.s.svc.ListMakeups(context.Background(), core.MakeupFilter{Statuses: []core.MakeupStatus{core.MakeupPending}})
	if err != nil {
		t.Fatal(err)
	}
	people := map[string]core.Employee{}
	for _, e := range mustDemoOrg(t, run.s).Employees {
		people[e.ID] = e
	}
	var out []waiting
	for _, m := range pending {
		to, ok := core.RecipientFor(people[m.ApproverID])
		if !ok {
			t.Fatalf("request %d waits for %q, who has no chat account", m.ID, m.ApproverID)
		}
		out = append(out, waiting{m, string(to.Platform) + ":" + to.UserID, people[m.ApproverID].Name})
	}
	return out
}

// requestCards are the entries of a pane that are cards of request id.
func requestCards(entries []sim.Entry, id int64) []sim.Entry {
	title := regexp.MustCompile(fmt.Sprintf(`#%d(\D|$)`, id))
	var out []sim.Entry
	for _, e := range entries {
		if e.Card != nil && title.MatchString(e.Card.Title) {
			out = append(out, e)
		}
	}
	return out
}

// primaryButton is the index of a card's approve button, -1 when none.
func primaryButton(c *sim.Card) int {
	for _, b := range c.Buttons {
		if b.Style == "primary" {
			return b.Index
		}
	}
	return -1
}

// waitForCards waits until every waiting request has exactly one card with
// its buttons in its approver's pane, and returns the panes by request.
func waitForCards(t *testing.T, run demoRun, ws []waiting, label string) map[int64]sim.Entry {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	got := map[int64]sim.Entry{}
	for _, w := range ws {
		for {
			cards := requestCards(paneState(t, run.base, w.pane), w.req.ID)
			if len(cards) == 1 && primaryButton(cards[0].Card) >= 0 {
				got[w.req.ID] = cards[0]
				break
			}
			if len(cards) > 1 || time.Now().After(deadline) {
				t.Fatalf("%s: %s request #%d waiting for %s: %d cards in pane %s (%+v), want one with its buttons\nstdout:\n%s",
					label, w.req.TypeOf(), w.req.ID, w.who, len(cards), w.pane, cards, run.stdout)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return got
}

// TestDemoRerunResendsWaitingCards runs the demo twice on the same file.
// The first run files the history's waiting make-ups and leave, and their
// approval cards reach the managers' panes. The second adds nothing to
// the file, and its simulated chats start empty: the cards of the
// requests still waiting are sent again, once each, so every manager's
// pane shows them as on the first run; approving one from the resent
// card decides the request and updates that card.
func TestDemoRerunResendsWaitingCards(t *testing.T) {
	path := filepath.Join(t.TempDir(), "punchbot.db")
	clock := demoClock()

	// Twenty days' retention: the first run's retention job reduces the
	// first part of last month and deletes those punches' event records,
	// so the rerun's history replays them from the punches.
	first := startDemoWith(t, path, clock, nil, "PUNCHBOT_RETENTION_DAYS", "20")
	before := waitingRequests(t, first)
	types, managers := map[core.RequestType]bool{}, map[string]bool{}
	for _, w := range before {
		types[w.req.TypeOf()] = true
		managers[w.who] = true
	}
	if !types[core.RequestMakeup] || !types[core.RequestLeave] || !managers["王经理"] || len(managers) < 2 {
		t.Fatalf("waiting after the first run: types %v for %v, want make-ups and leave for 王经理 and other managers", types, managers)
	}
	waitForCards(t, first, before, "first run")
	if out := first.stdout.String(); strings.Contains(out, "sent again") {
		t.Errorf("first run's output says cards are sent again:\n%s", out)
	}
	waitForRetention(t, first)
	first.stop()

	second := startDemoOn(t, path, clock)
	after := waitingRequests(t, second)
	if len(after) != len(before) {
		t.Fatalf("waiting after the rerun = %d requests, want the first run's %d: a rerun adds nothing", len(after), len(before))
	}
	if out, want := second.stdout.String(), fmt.Sprintf("the approval cards of the %d requests still waiting are sent again", len(before)); !strings.Contains(out, want) {
		t.Errorf("rerun's output lacks %q:\n%s", want, out)
	}
	// The first run's retention job deleted the event records of the first
	// part of last month: the rerun's history is answered from the punches,
	// and its summary is the first run's.
	if got, want := historySummary(t, second.stdout.String()), historySummary(t, first.stdout.String()); got != want {
		t.Errorf("rerun's history summary:\n got  %s\n want %s", got, want)
	}
	cards := waitForCards(t, second, after, "rerun")

	// Approve 王经理's first waiting request from the resent card.
	var w waiting
	for _, c := range after {
		if c.who == "王经理" {
			w = c
			break
		}
	}
	card := cards[w.req.ID]
	platform, user, _ := strings.Cut(w.pane, ":")
	body, _ := json.Marshal(map[string]any{"platform": platform, "user": user, "id": card.ID, "index": primaryButton(card.Card)})
	resp, err := http.Post(second.base+"/playground/api/press", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("press approve on #%d = %d %s", w.req.ID, resp.StatusCode, msg)
	}
	v, err := second.s.svc.MakeupView(context.Background(), w.req.ID)
	if err != nil || v.Request.Status != core.MakeupApproved || v.Request.DecidedBy != w.req.ApproverID {
		t.Fatalf("request #%d after the press = %s by %q (%v), want approved by %s", w.req.ID, v.Request.Status, v.Request.DecidedBy, err, w.req.ApproverID)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := requestCards(paneState(t, second.base, w.pane), w.req.ID)
		if len(got) == 1 && got[0].ID == card.ID && primaryButton(got[0].Card) < 0 && strings.Contains(cardText(got[0].Card), "王经理") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("resent card of #%d after approving = %+v, want it updated in place, without buttons, naming 王经理", w.req.ID, got)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if v := second.sims.Hub.Violations(); len(v) > 0 {
		t.Errorf("violations = %+v, want none", v)
	}
}

// TestDemoServeAfterNoServe: a first run with -serve=false leaves the
// waiting requests' cards queued. A rerun that serves within the hour
// delivers those, once each, instead of sending them again; one two hours
// later finds them settled with the history (delivered when they were
// due, to nobody) and sends them again, once each.
func TestDemoServeAfterNoServe(t *testing.T) {
	tests := []struct {
		name   string
		later  time.Duration // from the first run to the rerun
		resent bool
	}{
		{"within the hour: the queued cards", time.Minute, false},
		{"two hours later: sent again", 2 * time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "punchbot.db")
			clock := demoClock()
			startDemoWith(t, path, clock, []string{"-serve=false"}).stop()
			run := startDemoOn(t, path, func() time.Time { return clock().Add(tt.later) })
			ws := waitingRequests(t, run)
			if len(ws) == 0 {
				t.Fatal("no request waits after the history")
			}
			waitForCards(t, run, ws, "serving rerun")
			if got := strings.Contains(run.stdout.String(), "sent again"); got != tt.resent {
				t.Errorf("rerun's output says cards are sent again = %v, want %v:\n%s", got, tt.resent, run.stdout)
			}
			// Whatever was still queued has gone out by now; still one card each.
			time.Sleep(2 * time.Second)
			waitForCards(t, run, ws, "serving rerun, later")
		})
	}
}

// waitForRetention waits for the run's retention job to finish its day and
// checks that it reduced punches.
func waitForRetention(t *testing.T, run demoRun) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		entries, err := run.s.store.FindAudit(context.Background(), core.AuditFilter{Action: "retention."})
		if err == nil && len(entries) > 0 {
			var d struct{ Reduced int }
			if json.Unmarshal([]byte(entries[0].Detail), &d) != nil || d.Reduced == 0 {
				t.Fatalf("retention run = %s, want last month's first days reduced", entries[0].Detail)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no retention run after 15 s (%v)", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// historySummary is the demo's line about its history, without the time it
// took.
func historySummary(t *testing.T, out string) string {
	t.Helper()
	line := regexp.MustCompile(`History of .*`).FindString(out)
	if line == "" {
		t.Fatalf("no history summary in:\n%s", out)
	}
	return regexp.MustCompile(`\([^)]*\d+(\.\d+)?[mµn]?s\)`).ReplaceAllString(line, "(…)")
}
