package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/bots/admin"
	"github.com/punchbot/punchbot/bots/playground"
	"github.com/punchbot/punchbot/bots/playground/sim"
	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/scheduler"
)

// demo runs punchbot on the embedded store with the sample organisation
// and the chat playground: the bots talk to in-process simulators of
// WeCom, Feishu and Slack (playground.go), the organisation gets two months
// of history through the real pipeline (playground_history.go), a short
// sample conversation is printed, and the server prints the playground
// and sign-in links.
func demo(ctx context.Context, cfg config, log *slog.Logger, args []string, stdout io.Writer) error {
	return runDemo(ctx, cfg, log, args, stdout, demoHooks{history: true})
}

// demoHooks let a test skip the history, learn the bound address and set
// the clock (nil is time.Now), so a browser test punches at 08:30 on a
// workday whatever time it runs.
type demoHooks struct {
	history bool
	ready   func(addr string, s *server, sims *sim.Platforms)
	now     func() time.Time
}

func runDemo(ctx context.Context, cfg config, log *slog.Logger, args []string, stdout io.Writer, hooks demoHooks) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	doServe := fs.Bool("serve", true, "keep serving after the sample punches")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%v (usage: punchbot demo [-serve=false])", err)
	}
	cfg.DatabaseURL, cfg.RedisURL = "", "" // the demo is the zero-configuration default
	now := hooks.now
	if now == nil {
		now = time.Now
	}
	if cfg.AdminToken == "" {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		cfg.AdminToken = "demo-" + hex.EncodeToString(b)
	}
	sims, err := startSimulators(&cfg, log, now, true)
	if err != nil {
		return err
	}
	defer sims.Close()
	s, err := newServer(ctx, cfg, log, now)
	if err != nil {
		return err
	}
	defer s.close(context.Background())

	org, err := admin.ParseOrg(admin.ExampleOrg(), scheduler.CheckReminders)
	if err != nil {
		return fmt.Errorf("demo organisation: %w", err)
	}
	res, err := s.store.ApplyOrg(ctx, org, core.AuditEntry{At: now(), Actor: "demo", Action: "org.applied", Subject: "demo.yaml"})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "punchbot demo — the chat playground: %s/playground (once the server is up)\n", s.cfg.PublicURL)
	fmt.Fprintf(stdout, "Embedded store %s. Applied the sample organisation %q: %d sites, %d employees, %d identities.\n", cfg.DBPath, org.Name, res.Sites, res.Employees, res.Identities)
	story, err := storyOf(ctx, s, org, now())
	if err != nil {
		return err
	}
	if hooks.history {
		if err := printHistory(ctx, s, org, story, now(), *doServe, stdout); err != nil {
			return err
		}
	}
	if err := samplePunches(ctx, s, story, stdout); err != nil {
		return err
	}
	if !*doServe {
		return nil
	}
	panes := demoPanes(org, story.emp)
	s.mountPlayground(sims, panes)
	s.mux.HandleFunc("GET /demo", func(w http.ResponseWriter, r *http.Request) { demoPage(w, r, s, org) })
	return s.run(ctx, func(addr string, s *server) {
		sims.SetTarget(loopbackURL(addr))
		printDemoLinks(ctx, stdout, s, org, panes, now)
		printPhoneHint(stdout, s.cfg.PublicURL, s.cfg.Addr, addr)
		fmt.Fprintf(stdout, "Stop with Ctrl-C.\n")
		if hooks.ready != nil {
			hooks.ready(addr, s, sims)
		}
	})
}

// printHistory writes the history and says what it holds. When the demo
// goes on to serve and the file already held the history, the approval
// cards of the requests still waiting are sent again (resendWaitingCards):
// the simulators that showed them before are gone.
func printHistory(ctx context.Context, s *server, org core.Org, story story, now time.Time, serve bool, stdout io.Writer) error {
	started := time.Now()
	hist, err := demoHistory(ctx, s, org, now, story.skip)
	if err != nil {
		return err
	}
	cutoff := now.Add(-time.Hour)
	if _, err := settleHistoryOutbox(ctx, s, cutoff); err != nil {
		return err
	}
	resent := 0
	if serve {
		// One occasion per run: the cards go out once in this run, and
		// again in the next.
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		if resent, err = resendWaitingCards(ctx, s, hist, cutoff, "demo-run-"+hex.EncodeToString(b)); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "History of last month and this one for %d people, through the real pipeline (%s): %d working days, %d punches; "+
		"%d late, %d early, %d with a punch missing, %d absent, %d field; %d make-ups (approved, rejected, waiting); %d leave and trips.\n",
		hist.People, time.Since(started).Round(time.Millisecond), hist.Days, hist.Punches, hist.Late, hist.Early, hist.Missing, hist.Absent, hist.Field, hist.Makeups, hist.Leave)
	if resent > 0 {
		fmt.Fprintf(stdout, "The file already held this history; the approval cards of the %d requests still waiting are sent again, "+
			"since the simulated chats start empty.\n", resent)
	}
	fmt.Fprintln(stdout)
	return nil
}

// demoPanes are the conversations /playground opens first, taken from the
// organisation: the story's person on their first chat account, the
// manager who approves them on theirs (so a make-up crosses platforms),
// and for each platform still missing the first person the bot writes to
// there (so a broadcast shows on all three).
func demoPanes(org core.Org, first core.Employee) []playground.Pane {
	byID := map[string]core.Employee{}
	for _, e := range org.Employees {
		byID[e.ID] = e
	}
	var panes []playground.Pane
	seen := map[core.Platform]bool{}
	add := func(e core.Employee) {
		if r, ok := core.RecipientFor(e); ok && e.Active && !seen[r.Platform] {
			seen[r.Platform] = true
			panes = append(panes, playground.Pane{Employee: e.ID, Platform: r.Platform})
		}
	}
	add(first)
	if mgr, ok := byID[first.ManagerID]; ok {
		add(mgr)
	}
	for _, p := range []core.Platform{core.PlatformWeCom, core.PlatformFeishu, core.PlatformSlack} {
		for _, e := range org.Employees {
			if r, ok := core.RecipientFor(e); ok && r.Platform == p && !seen[p] {
				add(e)
			}
		}
	}
	return panes
}

// printDemoLinks prints the playground first, then a sign-in link for
// each role, then what works where.
func printDemoLinks(ctx context.Context, stdout io.Writer, s *server, org core.Org, panes []playground.Pane, now func() time.Time) {
	base := s.cfg.PublicURL
	fmt.Fprintf(stdout, "\nServing on %s.\n", base)
	fmt.Fprintf(stdout, "  ▶ %s/playground — chat as anyone of the %d people on WeCom, Feishu or Slack (simulated in this process)\n", base, len(org.Employees))
	names := map[string]string{}
	for _, e := range org.Employees {
		names[e.ID] = e.Name
	}
	var opens []string
	for _, p := range panes {
		platform := map[core.Platform]string{core.PlatformWeCom: "WeCom", core.PlatformFeishu: "Feishu", core.PlatformSlack: "Slack"}[p.Platform]
		opens = append(opens, names[p.Employee]+" on "+platform)
	}
	if len(opens) > 0 {
		fmt.Fprintf(stdout, "    it opens %s: file a 补卡 as the first, approve it as the second\n", strings.Join(opens, ", "))
	}
	for _, who := range []struct{ id, role, purpose string }{{"E001", "employee", core.LinkMyData}, {"M001", "manager", core.LinkConsole}, {"H001", "HR", core.LinkConsole}} {
		if link, err := demoSignIn(ctx, s, org, who.id, who.purpose, now()); err == nil {
			fmt.Fprintf(stdout, "  • sign in as the %s %s: %s\n", who.role, who.id, link)
		}
	}
	fmt.Fprintf(stdout, "  • %s/ — the console: sign in with the admin token %s, or type 管理 / admin in the playground\n", base, s.cfg.AdminToken)
	fmt.Fprintf(stdout, "  • %s/demo — one-time location-page links per employee\n", base)
	fmt.Fprintf(stdout, "  • curl -H 'Authorization: Bearer %s' '%s/api/v1/punches'\n", s.cfg.AdminToken, base)
	fmt.Fprintf(stdout, "  • %s/healthz, %s/readyz, %s/metrics\n", base, base, base)
	fmt.Fprintf(stdout, "Sign-in and location links work once, for 10 minutes.\n")
}

// printPhoneHint says, on an http public URL, how to reach the demo from a
// phone: a tunnel to bound, the address the demo listens on (it named port
// 8080 whatever PUNCHBOT_ADDR said), and the restart with the tunnel's URL
// on the same configured address.
func printPhoneHint(stdout io.Writer, base, configured, bound string) {
	if strings.HasPrefix(base, "https://") {
		return
	}
	fmt.Fprintf(stdout, "These links work in a browser on this machine only: the location page needs a secure context (https, or http://localhost),\n"+
		"and %s is not reachable from a phone.\n", base)
	restart := "PUNCHBOT_PUBLIC_URL=https://<name>.trycloudflare.com"
	if configured != demoAddr {
		restart += " PUNCHBOT_ADDR=" + configured
	}
	fmt.Fprintf(stdout, ""+
		"To try from a phone, put punchbot behind an https tunnel or reverse proxy and say where, for example:\n"+
		"  cloudflared tunnel --url %s   # prints https://<name>.trycloudflare.com\n"+
		"  %s punchbot demo\n", loopbackURL(bound), restart)
}

// demoSignIn asks the core for a sign-in link for employee id, as the bot
// does when they type 管理 or 我的数据.
func demoSignIn(ctx context.Context, s *server, org core.Org, id, purpose string, now time.Time) (string, error) {
	for _, e := range org.Employees {
		if e.ID != id {
			continue
		}
		actor, ok := chatIdentity(e)
		if !ok {
			break
		}
		reply, err := s.core.Handle(ctx, core.Command{Actor: actor, Kind: core.CmdLink, LinkPurpose: purpose, ReceivedAt: now, Source: "demo"})
		if err != nil {
			return "", err
		}
		if reply.Link == "" {
			return "", fmt.Errorf("%s: no link (%s)", id, reply.Outcome)
		}
		return reply.Link, nil
	}
	return "", fmt.Errorf("no employee %s", id)
}

// demoLink issues a location-page link for an employee's first identity.
func demoLink(ctx context.Context, s *server, e core.Employee) (string, error) {
	if len(e.Identities) == 0 || !e.Active {
		return "", fmt.Errorf("%s has no identity", e.ID)
	}
	id := e.Identities[0]
	for _, candidate := range e.Identities {
		if candidate.Platform == core.PlatformWeb {
			id = candidate
		}
	}
	return s.links.PunchLink(ctx, bots.LinkRequest{Actor: id, Name: e.Name, Lang: e.Lang, Intent: core.KindAuto})
}

var demoTemplate = template.Must(template.New("demo").Parse(`<!doctype html>
<html lang="zh"><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>punchbot demo</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}a{display:block;margin:.5rem 0}</style>
<h1>punchbot demo</h1>
<p>每个链接只能使用一次，10 分钟内有效。Each link works once, for 10 minutes.</p>
{{range .}}<a href="{{.URL}}">{{.Name}} ({{.ID}})</a>{{end}}
</html>`))

func demoPage(w http.ResponseWriter, r *http.Request, s *server, org core.Org) {
	type row struct{ ID, Name, URL string }
	var rows []row
	for _, e := range org.Employees {
		if link, err := demoLink(r.Context(), s, e); err == nil {
			rows = append(rows, row{e.ID, e.Name, link})
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = demoTemplate.Execute(w, rows)
}

// story is the sample conversation: who, as which account, on which day.
type story struct {
	emp  core.Employee
	id   core.Identity
	r    core.Roster
	day  time.Time
	date string
}

// skip reports whether the history leaves (employee, date) to the story.
func (st story) skip(employee, date string) bool { return employee == st.emp.ID && date == st.date }

// storyOf picks the story's person (the first with a site, a schedule and
// an identity) and day (the most recent workday before now).
func storyOf(ctx context.Context, s *server, org core.Org, now time.Time) (story, error) {
	var st story
	for _, e := range org.Employees {
		for _, i := range e.Identities {
			if st.emp.ID == "" && e.Active && len(e.SiteIDs) > 0 && e.ScheduleID != "" {
				st.emp, st.id = e, i
			}
		}
	}
	if st.emp.ID == "" {
		return st, fmt.Errorf("the demo organisation has no employee with a site, a schedule and an identity")
	}
	r, err := s.svc.Roster(ctx, st.emp.ID)
	if err != nil {
		return st, err
	}
	st.r = r
	day := now.In(r.Zone())
	for {
		day = day.AddDate(0, 0, -1)
		if work, _ := core.DayKind(r.Schedule, r.Calendar, day); work {
			break
		}
	}
	y, m, d := day.Date()
	st.day, st.date = time.Date(y, m, d, 0, 0, 0, 0, r.Zone()), day.Format(core.DateLayout)
	return st, nil
}

// sampleStep is one message of the sample story: what the person sends
// (say: the text, and a location in brackets) and the command it becomes.
type sampleStep struct {
	say  string
	cmd  core.Command
	note string
}

// sampleSteps is the sample story on day for the roster r. A step that
// punches in or out says 上班 or 下班, since that is what the person types
// (or a location sent after it answers).
func sampleSteps(r core.Roster, day time.Time) []sampleStep {
	site := r.Sites[0]
	at := func(min int) time.Time {
		y, m, d := day.Date()
		return time.Date(y, m, d, 0, min, 0, 0, r.Zone())
	}
	start := r.Schedule.StartMin
	gLat, gLng := core.WGS84ToGCJ02(site.Lat+40/111195.0, site.Lng)
	fLat, fLng := core.WGS84ToGCJ02(site.Lat+(site.RadiusM+900)/111195.0, site.Lng)
	return []sampleStep{
		{"上班", core.Command{Kind: core.CmdPunch, Punch: core.KindIn, At: at(start - 7)}, ""},
		{"[位置 / location, GCJ-02, 40 m from " + site.Name + "]", core.Command{Kind: core.CmdPunch, At: at(start - 6),
			Location: &core.Location{Lat: gLat, Lng: gLng, AccuracyM: 15, Datum: core.GCJ02, Label: site.Name}}, ""},
		{"[the platform retries the same message]", core.Command{Kind: core.CmdPunch, At: at(start - 6),
			Location: &core.Location{Lat: gLat, Lng: gLng, AccuracyM: 15, Datum: core.GCJ02}}, "same event id: the stored reply, nothing new"},
		{"下班 + [位置 / location, 900 m outside the radius]", core.Command{Kind: core.CmdPunch, Punch: core.KindOut, At: at(start + 300),
			Location: &core.Location{Lat: fLat, Lng: fLng, AccuracyM: 10, Datum: core.GCJ02}}, ""},
		{"下班 + [位置 / location]", core.Command{Kind: core.CmdPunch, Punch: core.KindOut, At: at(r.Schedule.EndMin + 4),
			Location: &core.Location{Lat: gLat + 0.00002, Lng: gLng, AccuracyM: 12, Datum: core.GCJ02}}, ""},
	}
}

// samplePunches sends a short, deterministic story through the real core:
// a text punch waiting for its location, the location, a platform retry, a
// check-out from too far away and one on site. Message times are on the most
// recent workday so the story reads the same whenever the demo runs, and
// fixed event ids make a second run replay instead of duplicating.
func samplePunches(ctx context.Context, s *server, st story, stdout io.Writer) error {
	emp, id, day := st.emp, st.id, st.day
	tag := day.Format("20060102")
	steps := sampleSteps(st.r, day)
	fmt.Fprintf(stdout, "Sample punches by %s (%s) on %s, through the same pipeline the bots use:\n", emp.Name, id.Platform, day.Format(core.DateLayout))
	for i, step := range steps {
		cmd := step.cmd
		cmd.Actor, cmd.ReceivedAt = id, cmd.At
		cmd.EventID = fmt.Sprintf("demo-%s-%d", tag, i)
		if i == 2 {
			cmd.EventID = fmt.Sprintf("demo-%s-%d", tag, 1)
		}
		reply, err := s.core.Handle(ctx, cmd)
		if err != nil {
			return fmt.Errorf("sample punch %d: %w", i+1, err)
		}
		line := bots.Headline(reply, emp.Lang)
		if reply.Replayed && step.note != "" {
			line += "   (" + step.note + ")"
		}
		fmt.Fprintf(stdout, "  › %s\n  ‹ %s\n", step.say, strings.ReplaceAll(line, "\n", "\n    "))
	}
	return nil
}
