package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/punchbot/punchbot/adapters/postgres"
	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/bots/feishu"
	"github.com/punchbot/punchbot/bots/slack"
	"github.com/punchbot/punchbot/bots/wecom"
	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/scheduler"
)

const benchUsage = `usage: punchbot bench broadcast [flags]

Queues one HR broadcast to -n employees in a fresh store and delivers it
through the real bots to in-process fake WeCom, Feishu and Slack servers that
enforce rate limits the way the platforms do. Prints the time to queue every
delivery, the delivered rate against each platform's configured limit over
the measuring window, peak RSS and duplicates.

  -n 100000              employees (and deliveries)
  -store sqlite          sqlite (a temporary file) or postgres (a temporary
                         schema in PUNCHBOT_DATABASE_URL or -db)
  -platforms wecom,feishu,slack
                         platforms the employees are spread over
  -slack-rate 1000       Slack deliveries per second (one call each)
  -feishu-rate 25        Feishu batch sends per second (200 people each)
  -wecom-rate 10         WeCom message/send calls per second (1000 each)
  -headroom 1.1          the fake servers allow rate × headroom
  -window 20s            measuring window, from each platform's first call
  -concurrency 16        calls in flight per platform
  -timeout 5m            give up delivering after this
`

// benchOptions are the flags of `punchbot bench broadcast`.
type benchOptions struct {
	n           int
	store       string
	db          string
	platforms   []core.Platform
	rates       map[core.Platform]float64
	headroom    float64
	window      time.Duration
	concurrency int
	timeout     time.Duration
}

func parseBenchFlags(args []string, cfg config) (benchOptions, error) {
	fs := flag.NewFlagSet("bench broadcast", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := benchOptions{rates: map[core.Platform]float64{}}
	fs.IntVar(&o.n, "n", 100_000, "")
	fs.StringVar(&o.store, "store", "sqlite", "")
	fs.StringVar(&o.db, "db", cfg.DatabaseURL, "")
	platforms := fs.String("platforms", "wecom,feishu,slack", "")
	slackRate := fs.Float64("slack-rate", 1000, "")
	feishuRate := fs.Float64("feishu-rate", 25, "")
	wecomRate := fs.Float64("wecom-rate", 10, "")
	fs.Float64Var(&o.headroom, "headroom", 1.1, "")
	fs.DurationVar(&o.window, "window", 20*time.Second, "")
	fs.IntVar(&o.concurrency, "concurrency", 16, "")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "")
	if err := fs.Parse(args); err != nil {
		return o, fmt.Errorf("%v\n\n%s", err, benchUsage)
	}
	o.rates[core.PlatformSlack], o.rates[core.PlatformFeishu], o.rates[core.PlatformWeCom] = *slackRate, *feishuRate, *wecomRate
	var err error
	if o.platforms, err = parsePlatforms(*platforms); err != nil {
		return o, err
	}
	switch {
	case o.n < 1:
		return o, errors.New("-n must be positive")
	case o.store != "sqlite" && o.store != "postgres":
		return o, errors.New("-store must be sqlite or postgres")
	case o.store == "postgres" && o.db == "":
		return o, errors.New("-store postgres needs PUNCHBOT_DATABASE_URL or -db")
	case o.headroom < 1:
		return o, errors.New("-headroom must be at least 1")
	case o.concurrency < 1 || o.window <= 0 || o.timeout <= 0:
		return o, errors.New("-concurrency, -window and -timeout must be positive")
	}
	for _, p := range o.platforms {
		if o.rates[p] <= 0 {
			return o, fmt.Errorf("-%s-rate must be positive", p)
		}
	}
	return o, nil
}

// bench runs a load command.
func bench(ctx context.Context, cfg config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "webhook" {
		o, err := parseWebhookFlags(args[1:], cfg)
		if err != nil {
			return err
		}
		return benchWebhook(ctx, o, stdout) // benchwebhook.go
	}
	if len(args) > 0 && args[0] == "rush" {
		o, err := parseRushFlags(args[1:], cfg)
		if err != nil {
			return err
		}
		return benchRush(ctx, o, stdout) // benchrush.go
	}
	if len(args) == 0 {
		return usageError{"which load test? broadcast, webhook or rush (punchbot help bench shows each)"}
	}
	if args[0] != "broadcast" {
		return usageError{fmt.Sprintf("unknown load test %q: broadcast, webhook or rush (punchbot help bench shows each)", args[0])}
	}
	o, err := parseBenchFlags(args[1:], cfg)
	if err != nil {
		return err
	}
	return benchBroadcast(ctx, o, log, stdout)
}

// benchStore opens a fresh store for the run and returns how to remove it.
func benchStore(ctx context.Context, o benchOptions) (store, func(), error) {
	if o.store == "sqlite" {
		dir, err := os.MkdirTemp("", "punchbot-bench-")
		if err != nil {
			return nil, nil, err
		}
		s, err := openSQLite(ctx, config{DBPath: filepath.Join(dir, "bench.db")})
		if err != nil {
			os.RemoveAll(dir)
			return nil, nil, err
		}
		return s, func() { s.Close(); os.RemoveAll(dir) }, nil
	}
	var buf [6]byte
	_, _ = rand.Read(buf[:])
	schema := "punchbot_bench_" + hex.EncodeToString(buf[:])
	s, err := postgres.OpenWithSchema(ctx, o.db, schema)
	if err != nil {
		return nil, nil, err
	}
	drop := func() {
		s.Close()
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = pgExecOnce(dctx, o.db, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`)
	}
	if _, err := s.Migrate(ctx); err != nil {
		drop()
		return nil, nil, err
	}
	return pgStore{s}, drop, nil
}

// pgExecOnce runs one statement on a connection of its own to the
// database url names, pool_* parameters (which pgx.Connect would send to
// the server as settings) allowed.
func pgExecOnce(ctx context.Context, url, sql string) error {
	cfg, err := postgres.ParsePoolConfig(url)
	if err != nil {
		return err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// benchOrg is n employees spread over the platforms, and one broadcast to
// everyone.
func benchOrg(n int, platforms []core.Platform) core.Org {
	org := core.Org{Name: "bench", TimeZone: "Asia/Shanghai", Reminders: []core.Reminder{{ID: "bench", Kind: core.ReminderBroadcast,
		Cron: "0 9 1 1 *", Text: "📣 benchmark broadcast: the new attendance policy starts on Monday.", Audience: core.Audience{Everyone: true}, Enabled: true}}}
	org.Employees = make([]core.Employee, n)
	for i := range org.Employees {
		p := platforms[i%len(platforms)]
		user := map[core.Platform]string{core.PlatformWeCom: "w", core.PlatformFeishu: "ou_", core.PlatformSlack: "U"}[p] + strconv.Itoa(i)
		org.Employees[i] = core.Employee{ID: fmt.Sprintf("E%06d", i), Name: "员工" + strconv.Itoa(i), Active: true, Department: "Ops",
			Identities: []core.Identity{{Platform: p, UserID: user}}}
	}
	return org
}

// benchBots wires the real bots to the fake servers.
func benchBots(log *slog.Logger, wc, fs, sl *loadPlatform) (map[core.Platform]core.Sender, error) {
	noCore := benchCore{}
	w, err := wecom.New(wecom.Config{CorpID: "wwbench", AgentID: "1000002", Secret: "s", Token: "t", EncodingAESKey: "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM", APIURL: wc.srv.URL},
		wecom.Deps{Core: noCore, Log: log, HTTPClient: wc.srv.Client()})
	if err != nil {
		return nil, err
	}
	f, err := feishu.New(feishu.Config{AppID: "cli_bench", AppSecret: "s", VerificationToken: "v", EncryptKey: "e", BaseURL: fs.srv.URL},
		feishu.Deps{Core: noCore, Log: log, HTTPClient: fs.srv.Client()})
	if err != nil {
		return nil, err
	}
	s, err := slack.New(slack.Config{SigningSecret: "s", BotToken: "xoxb-bench", APIURL: sl.srv.URL + "/"},
		slack.Deps{Core: noCore, Links: benchLinks{}, Log: log, HTTPClient: sl.srv.Client()})
	if err != nil {
		return nil, err
	}
	return map[core.Platform]core.Sender{core.PlatformWeCom: w, core.PlatformFeishu: f, core.PlatformSlack: s}, nil
}

// benchCore answers nothing: the benchmark sends, it receives no commands.
type benchCore struct{}

// Handle refuses every command.
func (benchCore) Handle(context.Context, core.Command) (core.Reply, error) {
	return core.Reply{}, core.Errorf(core.EUNAVAILABLE, "benchmark")
}

// benchLinks stands in for the location pages the Slack bot requires.
type benchLinks struct{}

// PunchLink issues no link: broadcasts carry none.
func (benchLinks) PunchLink(context.Context, bots.LinkRequest) (string, error) { return "", nil }

// peakRSS reads the process's high-water resident set (Linux); 0 elsewhere.
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func benchBroadcast(ctx context.Context, o benchOptions, log *slog.Logger, stdout io.Writer) error {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, cleanup, err := benchStore(ctx, o)
	if err != nil {
		return err
	}
	defer cleanup()
	fmt.Fprintf(stdout, "punchbot bench broadcast: %d employees on %v, %s store, Go %s, %d CPU\n", o.n, o.platforms, o.store, runtime.Version(), runtime.NumCPU())

	org := benchOrg(o.n, o.platforms)
	if err := org.Prepare(); err != nil {
		return err
	}
	t0 := time.Now()
	if _, err := st.ApplyOrg(ctx, org, core.AuditEntry{At: t0, Actor: "bench", Action: "org.applied"}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "setup: organisation applied in %s (not part of the figures)\n", time.Since(t0).Round(time.Millisecond))

	sched, err := scheduler.New(scheduler.Config{Zone: time.UTC}, scheduler.Deps{Store: st, Log: quiet})
	if err != nil {
		return err
	}
	t0 = time.Now()
	rep, _, err := sched.Fire(ctx, "bench")
	if err != nil {
		return err
	}
	queueTime := time.Since(t0)
	fmt.Fprintf(stdout, "queue:  %d deliveries queued in %s (firing %d; target < 10 s)\n", rep.Counts.Queued, queueTime.Round(time.Millisecond), rep.ID)

	// Platforms count calls per second or per minute, so short bursts are
	// theirs to allow: punchbot's buckets burst a tenth of a second's
	// worth (at least two calls), which covers the moments it spends
	// claiming and recording instead of sending; the fakes allow twice
	// that at rate × headroom.
	burst := func(rate float64) int { return max(2, int(rate/10)) }
	serverBurst := func(rate float64) int { return 2 * burst(rate*o.headroom) }
	wc := newLoadWeCom(o.rates[core.PlatformWeCom]*o.headroom, serverBurst(o.rates[core.PlatformWeCom]), nil)
	fsr := newLoadFeishu(o.rates[core.PlatformFeishu]*o.headroom, serverBurst(o.rates[core.PlatformFeishu]), nil)
	sl := newLoadSlack(o.rates[core.PlatformSlack]*o.headroom, serverBurst(o.rates[core.PlatformSlack]), nil)
	defer wc.srv.Close()
	defer fsr.srv.Close()
	defer sl.srv.Close()
	senders, err := benchBots(quiet, wc, fsr, sl)
	if err != nil {
		return err
	}
	limits := map[core.Platform]*core.TokenBucket{}
	for p, r := range o.rates {
		limits[p] = core.NewTokenBucket(r, burst(r), nil, nil)
	}
	worker := &core.OutboxWorker{Store: st, Senders: senders, Log: quiet, Limits: limits, Concurrency: o.concurrency}
	runCtx, stop := context.WithTimeout(ctx, o.timeout)
	defer stop()
	done := make(chan struct{})
	start := time.Now()
	go func() {
		worker.Run(runCtx, 50*time.Millisecond)
		close(done)
	}()
	for runCtx.Err() == nil {
		counts, err := st.FiringCounts(ctx, []int64{rep.ID})
		if err == nil && counts[rep.ID].Pending == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	<-done
	total := time.Since(start)
	counts, err := st.FiringCounts(ctx, []int64{rep.ID})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "send:   %d sent, %d failed, %d pending after %s\n", counts[rep.ID].Sent, counts[rep.ID].Failed, counts[rep.ID].Pending, total.Round(time.Millisecond))

	duplicates := 0
	for _, p := range o.platforms {
		tally := map[core.Platform]*loadTally{core.PlatformWeCom: wc.loadTally, core.PlatformFeishu: fsr.loadTally, core.PlatformSlack: sl.loadTally}[p]
		s := tally.stats()
		duplicates += s.Duplicates
		span := s.Last.Sub(s.First)
		win := min(o.window, span)
		calls, delivered := tally.window(s.First, win)
		rate := 0.0
		if win > 0 && calls > 1 {
			// Calls in [first, first+win): the first opens the window, so
			// calls-1 intervals fit in it at the limit.
			rate = float64(calls-1) / win.Seconds()
		}
		fmt.Fprintf(stdout, "%-7s limit %.0f calls/s: %.1f calls/s over %s (%.1f%% of the limit), %.0f deliveries/s; %d recipients reached, %d calls, %d refused by the fake's limit, %d duplicates\n",
			p+":", o.rates[p], rate, win.Round(time.Millisecond), 100*rate/o.rates[p], float64(delivered)/max(win.Seconds(), 1e-9), s.Recipients, s.Calls, s.Limited, s.Duplicates)
	}
	fmt.Fprintf(stdout, "memory: peak RSS %.1f MiB\n", float64(peakRSS())/(1<<20))
	fmt.Fprintf(stdout, "result: %d duplicates, %d not delivered\n", duplicates, counts[rep.ID].Queued-counts[rep.ID].Sent)
	if duplicates > 0 {
		return fmt.Errorf("%d duplicate deliveries", duplicates)
	}
	return nil
}

// parsePlatforms reads a -platforms list: each of wecom, feishu and slack at
// most once, in the order given.
func parsePlatforms(list string) ([]core.Platform, error) {
	var out []core.Platform
	for _, p := range strings.Split(list, ",") {
		switch pl := core.Platform(strings.TrimSpace(p)); pl {
		case core.PlatformWeCom, core.PlatformFeishu, core.PlatformSlack:
			if !slices.Contains(out, pl) {
				out = append(out, pl)
			}
		default:
			return nil, fmt.Errorf("-platforms: %q is not wecom, feishu or slack", p)
		}
	}
	return out, nil
}
