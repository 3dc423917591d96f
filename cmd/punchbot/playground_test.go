package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/bots/admin"
	"github.com/punchbot/punchbot/bots/playground"
	"github.com/punchbot/punchbot/bots/playground/sim"
	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/scheduler"
)

// applyDemoOrg applies the demo organisation to s.
func applyDemoOrg(t *testing.T, s *server) core.Org {
	t.Helper()
	org, err := admin.ParseOrg(admin.ExampleOrg(), scheduler.CheckReminders)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.store.ApplyOrg(context.Background(), org, core.AuditEntry{At: time.Now(), Actor: "test", Action: "org.applied"}); err != nil {
		t.Fatal(err)
	}
	return org
}

// runReminder fires a reminder through the admin API, as 立即发送 does
// through the console.
func runReminder(t *testing.T, base, token, id string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/reminders/"+id+"/run", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("run %s = %d", id, resp.StatusCode)
	}
}

// TestFireNowWithoutPlatformSaysSo: without any chat platform configured,
// a reminder fired now records one set-up problem per platform of its
// recipients, which the console banner and /readyz?verbose show, instead
// of leaving its deliveries 待发送 without a word.
func TestFireNowWithoutPlatformSaysSo(t *testing.T) {
	const token = "admin-token-for-fire-now-test-0123456789"
	base, s := startServer(t, env("PUNCHBOT_DB_PATH", filepath.Join(t.TempDir(), "p.db"), "PUNCHBOT_ADDR", "127.0.0.1:0", "PUNCHBOT_ADMIN_TOKEN", token))
	applyDemoOrg(t, s)
	runReminder(t, base, token, "policy")
	got := map[core.Platform]string{}
	for _, p := range s.configErrs.Problems() {
		got[p.Platform] = p.Reason + ": " + p.Fix
	}
	for _, p := range []core.Platform{core.PlatformWeCom, core.PlatformFeishu, core.PlatformSlack} {
		if !strings.HasPrefix(got[p], "not_configured: ") || !strings.Contains(got[p], "wait in the outbox") {
			t.Errorf("%s problem = %q, want not_configured with the settings to add", p, got[p])
		}
	}
	resp, err := http.Get(base + "/readyz?verbose")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "slack: config error not_configured") {
		t.Errorf("/readyz?verbose = %q, want the Slack problem", body)
	}
}

// TestPlaygroundBroadcastReachesEveryPane: in the demo, a broadcast fired
// now reaches each of the 20 people on their first chat platform through
// the simulated APIs: message/send on WeCom, batch_send or im/v1/messages
// on Feishu, chat.postMessage on Slack; and nothing breaks a documented
// rule.
func TestPlaygroundBroadcastReachesEveryPane(t *testing.T) {
	base, s, sims := startDemo(t)
	runReminder(t, base, s.cfg.AdminToken, "policy")
	var want []core.Recipient
	platforms := map[core.Platform]int{}
	for _, e := range mustDemoOrg(t, s).Employees {
		if r, ok := core.RecipientFor(e); ok && e.Active {
			want = append(want, r)
			platforms[r.Platform]++
		}
	}
	if len(want) < 20 || len(platforms) != 3 {
		t.Fatalf("recipients = %d on %v, want the demo's 20 people on three platforms", len(want), platforms)
	}
	deadline := time.Now().Add(15 * time.Second)
	for _, w := range want {
		for {
			found := false
			for _, e := range sims.Hub.Conversation(w.Platform, w.UserID) {
				// People whose language is en get the demo's English text.
				text := "09:30 前打卡"
				if w.Lang == "en" {
					text = "clock in by 09:30"
				}
				found = found || strings.Contains(e.Text+cardText(e.Card), text)
			}
			if found {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s %s (%s) never received the broadcast: %+v", w.Platform, w.UserID, w.EmployeeID, sims.Hub.Conversation(w.Platform, w.UserID))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if v := sims.Hub.Violations(); len(v) > 0 {
		t.Errorf("violations = %+v, want none", v)
	}
}

// cardText is a card's visible text.
func cardText(c *sim.Card) string {
	if c == nil {
		return ""
	}
	parts := append([]string{c.Title, c.Subtitle}, c.Lines...)
	for _, f := range c.Fields {
		parts = append(parts, f.Label, f.Value)
	}
	return strings.Join(append(parts, c.Notes...), "\n")
}

// TestPlaygroundOnlyWhenAsked: serve mounts /playground only with
// PUNCHBOT_PLAYGROUND=1, and then its bots talk to the simulators.
func TestPlaygroundOnlyWhenAsked(t *testing.T) {
	for _, tt := range []struct {
		env  string
		want int
	}{{"", http.StatusNotFound}, {"0", http.StatusNotFound}, {"1", http.StatusOK}} {
		base, s := startServer(t, env("PUNCHBOT_DB_PATH", filepath.Join(t.TempDir(), "p.db"), "PUNCHBOT_ADDR", "127.0.0.1:0", "PUNCHBOT_PLAYGROUND", tt.env))
		resp, err := http.Get(base + "/playground")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("PUNCHBOT_PLAYGROUND=%q: /playground = %d, want %d", tt.env, resp.StatusCode, tt.want)
		}
		if configured := len(s.senders) == 3; configured != (tt.want == http.StatusOK) {
			t.Errorf("PUNCHBOT_PLAYGROUND=%q: %d bots, want 3 only with the simulators", tt.env, len(s.senders))
		}
	}
}

// getJSON reads an admin API answer.
func getJSON[T any](t *testing.T, base, token, path string) T {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v T
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d, %v", path, resp.StatusCode, err)
	}
	return v
}

// TestDemoHistoryIsBelievable: last month's report, computed from the
// generated punches, shows people who mostly came to work, some late,
// early or missing a punch, field punches, and make-ups in every state;
// not a column of absences.
func TestDemoHistoryIsBelievable(t *testing.T) {
	const token = "admin-token-for-history-test-0123456789"
	base, s := startServer(t, env("PUNCHBOT_DB_PATH", filepath.Join(t.TempDir(), "p.db"), "PUNCHBOT_ADDR", "127.0.0.1:0", "PUNCHBOT_ADMIN_TOKEN", token))
	org := applyDemoOrg(t, s)
	if _, err := demoHistory(context.Background(), s, org, time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	zone, _ := time.LoadLocation("Asia/Shanghai")
	y, m, _ := time.Now().In(zone).Date()
	month := time.Date(y, m-1, 1, 0, 0, 0, 0, zone).Format(core.MonthLayout)
	rep := getJSON[struct {
		Rows []map[string]any `json:"rows"`
	}](t, base, token, "/api/v1/reports/monthly?month="+month)
	if len(rep.Rows) != len(org.Employees) {
		t.Fatalf("report rows = %d, want the %d employees", len(rep.Rows), len(org.Employees))
	}
	sum := map[string]float64{}
	for _, r := range rep.Rows {
		workdays, worked := r["workdays"].(float64), r["days_worked"].(float64)
		if worked < workdays*0.8 {
			t.Errorf("%s worked %v of %v days, want most of them", r["name"], worked, workdays)
		}
		for _, k := range []string{"late_count", "early_leave", "missing_punches", "field_punches", "absences", "leave_days", "trip_days"} {
			v, _ := r[k].(float64)
			sum[k] += v
		}
	}
	for _, k := range []string{"late_count", "early_leave", "missing_punches", "field_punches", "leave_days", "trip_days"} {
		if sum[k] == 0 {
			t.Errorf("nobody has any %s in %s: %v", k, month, sum)
		}
	}
	if sum["absences"] > float64(len(rep.Rows)) {
		t.Errorf("%v absences in %s among %d people, want a few", sum["absences"], month, len(rep.Rows))
	}
	// Make-ups and leave in every state; trips approved. A make-up waits
	// for each manager, so each one's pane has a card to approve (after a
	// long holiday the recent workdays may be past the deadline: then at
	// least for 王经理, whose Slack pane the playground opens).
	requests := getJSON[[]map[string]any](t, base, token, "/api/v1/makeups?status=pending,approved,rejected&type=makeup,leave,trip")
	states := map[string]int{}
	waiting := map[any]bool{}
	for _, mk := range requests {
		states[fmt.Sprint(mk["type"], " ", mk["status"])]++
		if mk["type"] == "makeup" && mk["status"] == "pending" {
			waiting[mk["approver_id"]] = true
		}
	}
	for _, want := range []string{"makeup pending", "makeup approved", "makeup rejected", "leave pending", "leave approved", "leave rejected", "trip approved"} {
		if states[want] == 0 {
			t.Errorf("requests by type and state = %v, want a %s", states, want)
		}
	}
	if !waiting["M001"] || len(waiting) < 2 {
		t.Errorf("make-ups wait for %v, want 王经理 (M001) among the managers", waiting)
	}
}

// TestDemoPanes: the playground opens the story's person, the manager who
// approves them and someone on each platform still missing, each on the
// first chat account the bot writes to them on.
func TestDemoPanes(t *testing.T) {
	demo, err := admin.ParseOrg(admin.ExampleOrg(), scheduler.CheckReminders)
	if err != nil {
		t.Fatal(err)
	}
	on := func(id string, p core.Platform, manager string) core.Employee {
		return core.Employee{ID: id, ManagerID: manager, Active: true, Identities: []core.Identity{{Platform: core.PlatformWeb, UserID: id}, {Platform: p, UserID: "u" + id}}}
	}
	small := core.Org{Employees: []core.Employee{on("A", core.PlatformWeCom, "B"), on("B", core.PlatformWeCom, ""), on("C", core.PlatformSlack, "B"), {ID: "D", Active: false}}}
	tests := []struct {
		name  string
		org   core.Org
		first string
		want  []playground.Pane
	}{
		{"the demo: 张三 on WeCom, 王经理 on Slack, 李四 on Feishu", demo, "E001",
			[]playground.Pane{{Employee: "E001", Platform: core.PlatformWeCom}, {Employee: "M001", Platform: core.PlatformSlack}, {Employee: "E002", Platform: core.PlatformFeishu}}},
		{"a manager on the employee's platform and no one on Feishu", small, "A",
			[]playground.Pane{{Employee: "A", Platform: core.PlatformWeCom}, {Employee: "C", Platform: core.PlatformSlack}}},
	}
	for _, tt := range tests {
		var first core.Employee
		for _, e := range tt.org.Employees {
			if e.ID == tt.first {
				first = e
			}
		}
		if got := demoPanes(tt.org, first); !slices.Equal(got, tt.want) {
			t.Errorf("%s: panes = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
