package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/punchbot/punchbot/adapters/postgres"
	"github.com/punchbot/punchbot/core"
)

const benchWebhookUsage = `usage: punchbot bench webhook [flags]

Starts the real server in this process on a fresh store, applies an
organisation of -employees people with -sites sites each, all bound to
-platform, and sends it correctly signed and encrypted callbacks over
loopback HTTP: Feishu im.message.receive_v1 location messages, WeCom
encrypted location messages, or Slack /punch commands followed by the
location page they link to. Replies go to an in-process fake of the
platform's API. Prints acknowledged/s, latency percentiles, non-2xx answers
by status and the punches stored (counted in SQL); on PostgreSQL, in a
closed loop, also raw single-row INSERTs/s into the same database at the
same concurrency in the same run, just before and just after the measured
path, and the ratio. In an open loop on Feishu or Slack it also times each
confirmation, from the event sent to the platform call that confirms it
(after the warmup's confirmations are out); WeCom's is the callback's
answer. Feishu's send API takes 15 calls a second by default
(PUNCHBOT_FEISHU_RATE): above that, confirmations queue and share
batch_send calls, as in a real rush.

  -platform feishu       feishu, wecom or slack
  -store sqlite          sqlite (a temporary file) or postgres (a fresh
                         schema of PUNCHBOT_DATABASE_URL or -db, dropped after)
  -redis URL             Redis for the server (default PUNCHBOT_REDIS_URL
                         with postgres, none with sqlite; "none" for none)
  -conc 64               callers of the closed loop (and raw INSERT callers)
  -rate 0                open loop: deliveries started per second (0: closed loop)
  -n 20000               deliveries measured
  -duration 60s          stop measuring after this
  -warmup 500            deliveries before measuring (not counted)
  -employees 10000       employees (distinct per delivery, cycling)
  -sites 5               sites per employee
  -pool 0                PostgreSQL pool_max_conns of the server (0: the
                         server's default, postgres.DefaultPoolConns)
  -inflight 0            PUNCHBOT_MAX_INFLIGHT of the server (0: its default)
  -cpuprofile FILE       write a CPU profile of the measured phase (go tool pprof)
`

// webhookOptions are the flags of `punchbot bench webhook`.
type webhookOptions struct {
	platform  core.Platform
	store     string
	db, redis string
	conc      int
	rate      float64
	n, warmup int
	duration  time.Duration
	employees int
	sites     int
	pool      int
	inflight  int
	// cpuProfile, when set, receives a CPU profile of the measured phase.
	cpuProfile string
}

func parseWebhookFlags(args []string, cfg config) (webhookOptions, error) {
	fs := flag.NewFlagSet("bench webhook", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o webhookOptions
	platform := fs.String("platform", "feishu", "")
	fs.StringVar(&o.store, "store", "sqlite", "")
	fs.StringVar(&o.db, "db", cfg.DatabaseURL, "")
	redis := fs.String("redis", "", "")
	fs.IntVar(&o.conc, "conc", 64, "")
	fs.Float64Var(&o.rate, "rate", 0, "")
	fs.IntVar(&o.n, "n", 20000, "")
	fs.IntVar(&o.warmup, "warmup", 500, "")
	fs.DurationVar(&o.duration, "duration", 60*time.Second, "")
	fs.IntVar(&o.employees, "employees", 10000, "")
	fs.IntVar(&o.sites, "sites", 5, "")
	fs.IntVar(&o.pool, "pool", 0, "")
	fs.IntVar(&o.inflight, "inflight", 0, "")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "")
	if err := fs.Parse(args); err != nil {
		return o, fmt.Errorf("%v\n\n%s", err, benchWebhookUsage)
	}
	o.platform = core.Platform(*platform)
	switch {
	case *redis == "none":
	case *redis != "":
		o.redis = *redis
	case o.store == "postgres":
		o.redis = cfg.RedisURL
	}
	switch {
	case o.platform != core.PlatformFeishu && o.platform != core.PlatformWeCom && o.platform != core.PlatformSlack:
		return o, fmt.Errorf("-platform %q is not feishu, wecom or slack", *platform)
	case o.store != "sqlite" && o.store != "postgres":
		return o, errors.New("-store must be sqlite or postgres")
	case o.store == "postgres" && o.db == "":
		return o, errors.New("-store postgres needs PUNCHBOT_DATABASE_URL or -db")
	case o.conc < 1 || o.n < 1 || o.warmup < 0 || o.duration <= 0 || o.employees < 1 || o.sites < 1 || o.pool < 0 || o.rate < 0 || o.inflight < 0:
		return o, errors.New("-conc, -n, -duration, -employees and -sites must be positive; -warmup, -rate, -pool and -inflight not negative")
	}
	return o, nil
}

// webhookStore is a fresh store with the organisation applied: the
// configuration that points a server at it, and how to count its punches
// and remove it.
type webhookStore struct {
	env     map[string]string // PUNCHBOT_DATABASE_URL or PUNCHBOT_DB_PATH
	pgURL   string            // with search_path, for the raw inserts
	count   func(ctx context.Context) (punches, events int, err error)
	cleanup func()
}

func newRunID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "r" + hex.EncodeToString(b[:])
}

// prepareWebhookStore creates the store and applies org to it; the server
// opens it afterwards as it would in production.
func prepareWebhookStore(ctx context.Context, o webhookOptions, run string, org core.Org) (*webhookStore, error) {
	if err := org.Prepare(); err != nil {
		return nil, err
	}
	audit := core.AuditEntry{At: time.Now(), Actor: "bench", Action: "org.applied"}
	if o.store == "sqlite" {
		dir, err := os.MkdirTemp("", "punchbot-webhook-")
		if err != nil {
			return nil, err
		}
		path := filepath.Join(dir, "bench.db")
		s, err := openSQLite(ctx, config{DBPath: path})
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		_, err = s.ApplyOrg(ctx, org, audit)
		s.Close()
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		return &webhookStore{
			env: map[string]string{"PUNCHBOT_DB_PATH": path},
			count: func(ctx context.Context) (int, int, error) {
				db, err := sql.Open("sqlite", path+"?_query_only=1")
				if err != nil {
					return 0, 0, err
				}
				defer db.Close()
				var p, e int
				err = db.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT event_id) FROM punches`).Scan(&p, &e)
				return p, e, err
			},
			cleanup: func() { os.RemoveAll(dir) },
		}, nil
	}
	schema := "punchbot_webhook_" + run
	u, err := url.Parse(o.db)
	if err != nil {
		return nil, errors.New("the database URL does not parse")
	}
	q := u.Query()
	q.Set("search_path", schema)
	if o.pool > 0 {
		q.Set("pool_max_conns", strconv.Itoa(o.pool))
	}
	u.RawQuery = q.Encode()
	pgURL := u.String()
	drop := func() {
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = pgExecOnce(dctx, o.db, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`) // bench.go
	}
	if err := pgExecOnce(ctx, o.db, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
		return nil, fmt.Errorf("PostgreSQL: %w", err)
	}
	// The URL's search_path puts every table in the schema.
	if err := migrate(ctx, config{DatabaseURL: pgURL}, io.Discard); err != nil {
		drop()
		return nil, err
	}
	st, err := openStore(ctx, config{DatabaseURL: pgURL})
	if err != nil {
		drop()
		return nil, err
	}
	_, err = st.ApplyOrg(ctx, org, audit)
	st.Close()
	if err != nil {
		drop()
		return nil, err
	}
	return &webhookStore{
		env:   map[string]string{"PUNCHBOT_DATABASE_URL": pgURL},
		pgURL: pgURL,
		count: func(ctx context.Context) (int, int, error) {
			// pgxpool, because the URL carries pool_max_conns.
			pool, err := pgxpool.New(ctx, pgURL)
			if err != nil {
				return 0, 0, err
			}
			defer pool.Close()
			var p, e int
			err = pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT event_id) FROM punches`).Scan(&p, &e)
			return p, e, err
		},
		cleanup: drop,
	}, nil
}

// serverEnv is the configuration of a server under load: the store, the
// platform's credentials against the fake API, and nothing else that
// would add work (no scheduler).
func serverEnv(st map[string]string, platform core.Platform, creds loadCreds, sink, redis string) map[string]string {
	m := map[string]string{
		"PUNCHBOT_ADDR": "127.0.0.1:0", "PUNCHBOT_PUBLIC_URL": "http://127.0.0.1", "PUNCHBOT_SCHEDULER": "off",
		"PUNCHBOT_SECRET": "load-test-secret-0123456789abcdef0123456789",
	}
	for k, v := range st {
		m[k] = v
	}
	for k, v := range creds.env(platform, sink) {
		m[k] = v
	}
	if redis != "" {
		m["PUNCHBOT_REDIS_URL"] = redis
	}
	return m
}

func benchWebhook(ctx context.Context, o webhookOptions, stdout io.Writer) error {
	run := newRunID()
	org := loadOrg{Platform: o.platform, Prefix: run, Employees: o.employees, SitesPer: o.sites, Creds: testCreds.forRun(run)}
	kv := "in-process state"
	if o.redis != "" {
		kv = "Redis"
	}
	mode := fmt.Sprintf("closed loop, %d callers", o.conc)
	if o.rate > 0 {
		mode = fmt.Sprintf("open loop, %.0f/s", o.rate)
	}
	fmt.Fprintf(stdout, "punchbot bench webhook: %s, %s + %s, %d employees × %d sites, %s, Go %s, %d CPU\n",
		o.platform, o.store, kv, o.employees, o.sites, mode, runtime.Version(), runtime.NumCPU())

	t0 := time.Now()
	st, err := prepareWebhookStore(ctx, o, run, org.Org())
	if err != nil {
		return err
	}
	defer st.cleanup()
	fmt.Fprintf(stdout, "setup:   organisation applied in %s (not part of the figures)\n", time.Since(t0).Round(time.Millisecond))

	// An open loop runs below capacity, where what a user waits for, the
	// confirmation, is worth timing; a closed loop's outbox lags by design.
	// WeCom's confirmation is the passive reply in the callback's answer.
	var timer *confirmTimer
	if o.rate > 0 && o.platform != core.PlatformWeCom {
		timer = newConfirmTimer()
	}
	sink := newReplySink(timer)
	defer sink.Close()
	envm := serverEnv(st.env, o.platform, org.Creds, sink.URL(), o.redis)
	if o.inflight > 0 {
		envm["PUNCHBOT_MAX_INFLIGHT"] = strconv.Itoa(o.inflight)
	}
	cfg, err := loadConfig(func(k string) string { return envm[k] })
	if err != nil {
		return err
	}
	// The server logs as in production, at info, but to nowhere: the cost
	// of formatting is part of the path.
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srvCtx, stop := context.WithCancel(ctx)
	addr := make(chan string, 1)
	done := make(chan error, 1)
	var limit atomic.Int64
	go func() {
		done <- serve(srvCtx, cfg, log, io.Discard, func(a string, s *server) {
			limit.Store(int64(cmp0(s.cfg.MaxInflight, defaultInflight(s.cfg))))
			addr <- a
		})
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		stop()
		return fmt.Errorf("server: %w", err)
	}
	var stopOnce sync.Once
	shutdown := func() error {
		var err error
		stopOnce.Do(func() {
			stop()
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				err = errors.New("the server did not shut down within 30 s")
			}
		})
		return err
	}
	defer shutdown()
	pool := ""
	if pc, err := postgres.ParsePoolConfig(st.pgURL); err == nil && st.pgURL != "" {
		pool = fmt.Sprintf(", %d PostgreSQL connections", pc.MaxConns)
	}
	fmt.Fprintf(stdout, "server:  %s, %d callbacks in flight at most%s\n", base, limit.Load(), pool)

	client, err := newWebhookClient(base, org, run, sink.URL())
	if err != nil {
		return err
	}
	deliver := func(ctx context.Context, seq int) opResult { return client.Deliver(ctx, client.Event(seq)) }
	if timer != nil {
		deliver = func(ctx context.Context, seq int) opResult {
			ev := client.Event(seq)
			timer.expect(ev.ID, client.Org.UserID(ev.Employee), time.Now())
			return client.Deliver(ctx, ev)
		}
	}
	if o.warmup > 0 {
		w := runClosedLoop(ctx, min(o.conc, 16), 0, o.warmup, o.duration, deliver)
		ws := summarize(w)
		fmt.Fprintf(stdout, "warmup:  %d deliveries, %d acknowledged (not part of the figures)\n", ws.Sent, ws.Acked)
		if timer != nil {
			// The warmup's confirmations are sent at the platform's rate
			// (15 a second for Feishu): measured events must not queue
			// behind them.
			t0 := time.Now()
			left := timer.wait(2 * time.Minute)
			fmt.Fprintf(stdout, "warmup:  its confirmations sent in %s (%d not seen); timing the rest\n", time.Since(t0).Round(time.Millisecond), left)
			timer.reset()
		}
	}
	var yard *rawYardstick
	var rawBefore rawResult
	// The ratio compares capacities: an open loop's rate is what it was
	// offered, so it gets no yardstick.
	if st.pgURL != "" && o.rate == 0 {
		if yard, err = openRawYardstick(ctx, st.pgURL, o.conc); err != nil {
			return fmt.Errorf("raw inserts: %w", err)
		}
		defer yard.Close()
		if rawBefore, err = yard.measure(ctx, 50*o.n, rawPhase); err != nil {
			return fmt.Errorf("raw inserts: %w", err)
		}
	}
	if o.cpuProfile != "" {
		// The measured phase only: client and server share the process,
		// so the profile shows both, as the machine spends them.
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	cpuBefore := readCPUTimes()
	var res loadRun
	if o.rate > 0 {
		res = runOpenLoop(ctx, o.rate, o.warmup, o.n, o.duration, 16384, deliver)
	} else {
		res = runClosedLoop(ctx, o.conc, o.warmup, o.n, o.duration, deliver)
	}
	if o.cpuProfile != "" {
		pprof.StopCPUProfile() // before the raw INSERTs, which are not the path
	}
	sum := summarize(res)
	pathCPU := cpuBefore.until(readCPUTimes(), sum.Acked)
	sum.Format(stdout, res)
	fmt.Fprintf(stdout, "cpu:     %s\n", pathCPU.describe("acknowledged punch"))

	// Let the outbox finish what it is doing, then count what the
	// database holds: every acknowledged punch, warmup included.
	if timer != nil {
		timer.wait(10 * time.Second)
	}
	if err := shutdown(); err != nil {
		return err
	}
	punches, events, err := st.count(ctx)
	if err != nil {
		return fmt.Errorf("count punches: %w", err)
	}
	fmt.Fprintf(stdout, "stored:  %d punches (%d distinct event ids) for %d acknowledged deliveries incl. warmup; %d reply API calls to the fake\n",
		punches, events, sum.Acked+o.warmup, sink.calls.Load())
	switch {
	case timer != nil:
		fmt.Fprintf(stdout, "confirm: %s\n", timer.describe())
	case o.rate > 0:
		fmt.Fprintf(stdout, "confirm: in the callback's answer (an encrypted passive reply), so as the latency above\n")
	}
	if yard == nil {
		if st.pgURL != "" {
			fmt.Fprintf(stdout, "ratio:   not measured in an open loop, which runs at the rate it is offered: run without -rate to compare capacity with raw INSERTs\n")
		}
		return nil
	}
	rawAfter, err := yard.measure(ctx, 50*o.n, rawPhase)
	if err != nil {
		return fmt.Errorf("raw inserts: %w", err)
	}
	raw := rawBefore.plus(rawAfter)
	fmt.Fprintf(stdout, "raw:     %d single-row INSERTs by %d connections in %s: %.1f/s (%.1f/s just before the path, %.1f/s just after)\n",
		raw.n, o.conc, raw.elapsed.Round(time.Millisecond), raw.perSec(), rawBefore.perSec(), rawAfter.perSec())
	fmt.Fprintf(stdout, "raw cpu: %s\n", raw.cpu.describe("INSERT"))
	fmt.Fprintf(stdout, "ratio:   %.2f (acknowledged/s ÷ raw INSERTs/s)\n", sum.AckedPerSec/raw.perSec())
	if pathCPU.ok && raw.cpu.ok {
		// Steal moves throughput more than it moves CPU per operation.
		fmt.Fprintf(stdout, "         %.2f by CPU (machine CPU per raw INSERT ÷ per acknowledged punch)\n", float64(raw.cpu.perOp())/float64(pathCPU.perOp()))
	}
	return nil
}

func cmp0(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
