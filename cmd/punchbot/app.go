package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/punchbot/punchbot/adapters/memory"
	"github.com/punchbot/punchbot/adapters/postgres"
	"github.com/punchbot/punchbot/adapters/redis"
	"github.com/punchbot/punchbot/adapters/sqlite"
	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/bots/admin"
	"github.com/punchbot/punchbot/bots/console"
	"github.com/punchbot/punchbot/bots/feishu"
	"github.com/punchbot/punchbot/bots/slack"
	"github.com/punchbot/punchbot/bots/web"
	"github.com/punchbot/punchbot/bots/wecom"
	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/scheduler"
)

// store is what the server needs from either SQL store.
type store interface {
	core.Store
	core.OutboxStore
	core.OrgStore
	admin.Store
	core.ReminderStore
	core.OutboxLaneStore
	reportStore // report.go
	Ping(ctx context.Context) error
	Close() error
}

// kv is what the server needs from the short-lived state store.
type kv interface {
	core.SessionStore
	core.Deduper
	core.RateLimiter
	core.Locker
	Ping(ctx context.Context) error
	Close() error
}

// pgStore adapts the postgres store's Close, which cannot fail.
type pgStore struct{ *postgres.Store }

func (s pgStore) Close() error { s.Store.Close(); return nil }

func openPostgres(ctx context.Context, url string) (*postgres.Store, error) {
	s, err := postgres.Open(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL: %w", err)
	}
	return s, nil
}

func openSQLite(ctx context.Context, cfg config) (*sqlite.Store, error) {
	s, err := sqlite.Open(ctx, cfg.DBPath)
	if err != nil {
		return nil, fmt.Errorf("open embedded store %s: %w", cfg.DBPath, err)
	}
	return s, nil
}

// openStore opens PostgreSQL when configured, refusing an out-of-date schema,
// and otherwise the embedded SQLite file, which migrates itself.
func openStore(ctx context.Context, cfg config) (store, error) {
	if cfg.DatabaseURL == "" {
		return openSQLite(ctx, cfg)
	}
	s, err := openPostgres(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if err := s.CheckSchema(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return pgStore{s}, nil
}

// memoryKV adapts the in-process KV to the server's lifecycle.
type memoryKV struct{ *memory.KV }

func (memoryKV) Ping(context.Context) error { return nil }
func (memoryKV) Close() error               { return nil }

// openKV returns the in-process KV of a single instance, or Redis wrapped so
// that an outage falls back to an in-process KV (see redis.Resilient).
// Redis not answering at startup is an outage like any later one, not a
// reason to refuse to start; a Redis that answers wrongly (a bad URL, a wrong
// password) is a configuration error and is.
func openKV(ctx context.Context, cfg config, log *slog.Logger, now func() time.Time) (kv, error) {
	if cfg.RedisURL == "" {
		return memoryKV{memory.New(now)}, nil
	}
	k, err := redis.Dial(cfg.RedisURL, "punchbot:")
	if err != nil {
		return nil, fmt.Errorf("open Redis: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	err = k.Ping(pctx)
	cancel()
	if err != nil && core.ErrorCode(err) != core.EUNAVAILABLE {
		k.Close()
		return nil, fmt.Errorf("open Redis: %w", err)
	}
	// One line per edge, not per request: calls made during an outage do
	// not touch Redis, so they have nothing new to say.
	var downSince time.Time // only touched by OnChange, which is serialised
	return redis.NewResilient(k, memory.New(now), redis.OnChange(func(up bool, cause error) {
		if !up {
			downSince = now()
			log.Warn("redis unreachable; punching continues with in-process rate limits and sessions", "err", cause)
			return
		}
		log.Info("redis reachable again; rate limits and sessions are shared across replicas again", "outage", now().Sub(downSince).Round(time.Millisecond))
	})), nil
}

// redisUp returns the state reader of k's Redis, or nil when k is in-process.
func redisUp(k kv) func() bool {
	if r, ok := k.(interface{ Up() bool }); ok {
		return r.Up
	}
	return nil
}

// server is the wired application.
type server struct {
	cfg     config
	log     *slog.Logger
	store   store
	kv      kv
	svc     *core.Service
	core    bots.Core
	metrics *metrics
	mux     *http.ServeMux
	senders map[core.Platform]core.Sender
	links   *web.Pages
	sched   *scheduler.Scheduler // see reminders.go
	debug   *debugServer         // see pprof.go; nil unless PUNCHBOT_DEBUG_ADDR is set

	console   *console.Console   // see report.go
	retention *core.RetentionJob // see report.go
	// configErrs records the platforms' set-up problems (a missing scope,
	// an untrusted IP): the outbox writes it, the metrics, the console
	// banner and /readyz?verbose read it.
	configErrs *core.ConfigErrors
	// outboxBell wakes this replica's outbox worker when the service
	// commits, so confirmations do not wait for the worker's next poll.
	outboxBell *core.OutboxBell
}

// newServer opens the stores and wires the core, the bots and the HTTP
// routes. now is the clock of everything it builds.
func newServer(ctx context.Context, cfg config, log *slog.Logger, now func() time.Time) (*server, error) {
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	k, err := openKV(ctx, cfg, log, now)
	if err != nil {
		st.Close()
		return nil, err
	}
	coreCfg := core.DefaultConfig()
	coreCfg.OfflineTolerance = cfg.OfflineTolerance
	coreCfg.Contact = cfg.Contact
	s := &server{cfg: cfg, log: log, store: st, kv: k, mux: http.NewServeMux(), senders: map[core.Platform]core.Sender{}}
	s.svc = core.NewService(st, k, k, coreCfg, now)
	s.outboxBell = &core.OutboxBell{}
	s.svc.RingOnCommit(s.outboxBell)
	s.metrics = newMetrics(st)
	s.metrics.watchDependencies(st, redisUp(k))
	s.configErrs = core.NewConfigErrors(now, log)
	s.metrics.watchConfigErrors(s.configErrs)
	s.core = meteredCore{inner: s.svc, m: s.metrics}

	fail := func(err error) (*server, error) {
		s.close(context.Background())
		return nil, err
	}
	if s.sched, err = newReminderScheduler(cfg, st, log, now, s.metrics); err != nil {
		return fail(fmt.Errorf("scheduler: %w", err))
	}
	s.metrics.reg.MustRegister(newFiringCollector(st, s.sched.IsLeader, now))
	webDeps := web.Deps{Core: s.core, Now: now, Log: log}
	if ds, ok := st.(core.DeviceStore); ok {
		// The policy holds whatever the URL: under required, a browser
		// punch without a passkey is refused even where passkeys cannot
		// be offered. Offering them needs https or http://localhost.
		s.svc.SetDevices(ds)
		if web.PasskeysPossible(cfg.PublicURL) {
			webDeps.Devices, webDeps.Sessions = s.svc, k
		} else {
			log.Info("passkeys are off: browsers offer them only on an https public URL (or http://localhost); under device_binding: required browser punches are refused", "public_url", cfg.PublicURL)
		}
	}
	s.links, err = web.New(web.Config{Secret: []byte(cfg.Secret), PublicURL: cfg.PublicURL, TrustedProxies: cfg.TrustedProxies, OfflineTolerance: cfg.OfflineTolerance}, webDeps)
	if err != nil {
		return fail(fmt.Errorf("web pages: %w", err))
	}
	if webDeps.Devices != nil {
		s.svc.SetDeviceLinkSigner(s.links) // 绑定设备 / bind device
	}
	s.links.Register(s.mux)
	if cfg.WeCom.CorpID != "" {
		b, err := wecom.New(wecom.Config{CorpID: cfg.WeCom.CorpID, AgentID: cfg.WeCom.AgentID, Secret: cfg.WeCom.Secret, Token: cfg.WeCom.Token,
			EncodingAESKey: cfg.WeCom.EncodingAESKey, APIURL: cfg.WeCom.APIURL},
			wecom.Deps{Core: s.core, Makeups: s.svc, LeaveForm: s.svc, Sessions: k, Now: now, Log: log})
		if err != nil {
			return fail(fmt.Errorf("WeCom bot: %w", err))
		}
		b.Register(s.mux)
		s.senders[core.PlatformWeCom] = b
	}
	if cfg.Feishu.AppID != "" {
		b, err := feishu.New(feishu.Config{AppID: cfg.Feishu.AppID, AppSecret: cfg.Feishu.AppSecret, VerificationToken: cfg.Feishu.VerificationToken,
			EncryptKey: cfg.Feishu.EncryptKey, BaseURL: cfg.Feishu.BaseURL},
			feishu.Deps{Core: s.core, Makeups: s.svc, Sessions: k, Now: now, Log: log})
		if err != nil {
			return fail(fmt.Errorf("Feishu bot: %w", err))
		}
		b.Register(s.mux)
		s.senders[core.PlatformFeishu] = b
	}
	if cfg.Slack.SigningSecret != "" {
		b, err := slack.New(slack.Config{SigningSecret: cfg.Slack.SigningSecret, BotToken: cfg.Slack.BotToken, APIURL: cfg.Slack.APIURL},
			slack.Deps{Core: s.core, Makeups: s.svc, Links: s.links, Now: now, Log: log})
		if err != nil {
			return fail(fmt.Errorf("Slack bot: %w", err))
		}
		b.Register(s.mux)
		s.senders[core.PlatformSlack] = b
	}
	zone, _ := time.LoadLocation(cfg.TimeZone)
	admin.New(admin.Deps{Store: st, CheckOrg: scheduler.CheckReminders, Makeups: s.svc, Reminders: firingNotice{s.sched, s.senders, s.configErrs}, Reports: st, Token: cfg.AdminToken, Zone: zone, Now: now, Log: log}).Register(s.mux)
	if err := s.newConsole(zone, now); err != nil {
		return fail(err)
	}
	if webDeps.Devices != nil {
		// The devices page and passkey sign-in.
		if err := s.console.EnableDevices(s.svc, k); err != nil {
			return fail(fmt.Errorf("console devices: %w", err))
		}
	}
	s.retention = newRetentionJob(st, cfg.RetentionDays, zone, log, now)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	s.mux.HandleFunc("GET /readyz", s.ready)
	s.mux.Handle("GET /metrics", s.metrics.handler())
	return s, nil
}

// ready answers 503 only when the store does not: Redis is an accelerator,
// and pulling every replica out of the load balancer because it is down
// would stop the punching the in-process fallback keeps going.
// /readyz?verbose lists each dependency with its state.
func (s *server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	storeErr := s.store.Ping(ctx)
	store, redisState := "ok", "not configured (in-process)"
	if storeErr != nil {
		store = "down: " + storeErr.Error()
	}
	if up := redisUp(s.kv); up != nil {
		redisState = "ok"
		if !up() {
			redisState = "down (in-process fallback)"
		}
	}
	status := "ready\n"
	if storeErr != nil {
		s.log.Warn("not ready", "err", fmt.Errorf("store: %w", storeErr))
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		status = "not ready: store: " + storeErr.Error() + "\n"
	}
	io.WriteString(w, status)
	if r.URL.Query().Has("verbose") {
		fmt.Fprintf(w, "store: %s\nredis: %s\n", store, redisState)
		// Set-up problems do not make a replica unready: every replica
		// shares them, and punching goes on while replies wait.
		for _, p := range s.configErrs.Problems() {
			fmt.Fprintf(w, "%s: config error %s (since %s, %d sends held): %s\n", p.Platform, p.Reason, p.Since.UTC().Format(time.RFC3339), p.Count, p.Fix)
		}
	}
}

// handler is the whole HTTP surface with its cross-cutting limits.
func (s *server) handler() http.Handler {
	limit := s.cfg.MaxInflight
	if limit == 0 {
		limit = defaultInflight(s.cfg)
	}
	admit := newAdmission(limit, admissionWait, func(route string) { s.metrics.shed.WithLabelValues(route).Inc() })
	return accessLog(s.metrics.instrument(admit.wrap(limitBodies(s.mux, 1<<20))), s.log)
}

// limitBodies caps every request body; handlers see an error past max.
func limitBodies(next http.Handler, max int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		next.ServeHTTP(w, r)
	})
}

// close releases the stores.
func (s *server) close(ctx context.Context) {
	if s.kv != nil {
		if err := s.kv.Close(); err != nil {
			s.log.Warn("closing kv", "err", err)
		}
	}
	if s.store != nil {
		if err := s.store.Close(); err != nil {
			s.log.Warn("closing store", "err", err)
		}
	}
}

// serve runs the HTTP server and the outbox workers until ctx ends, then
// shuts down in reverse start order: HTTP server, outbox workers, stores,
// each bounded by a timeout. ready, when set, receives the bound address.
func serve(ctx context.Context, cfg config, log *slog.Logger, stdout io.Writer, ready func(addr string, s *server)) error {
	sims, err := startSimulators(&cfg, log, time.Now, false) // playground.go; nil unless PUNCHBOT_PLAYGROUND=1
	if err != nil {
		return err
	}
	if sims != nil {
		defer sims.Close()
		log.Warn("PUNCHBOT_PLAYGROUND=1: /playground lets anyone act as any employee; never enable it in production")
	}
	s, err := newServer(ctx, cfg, log, time.Now)
	if err != nil {
		return err
	}
	defer s.close(context.Background())
	if sims != nil {
		s.mountPlayground(sims, nil)
		inner := ready
		ready = func(addr string, s *server) {
			sims.SetTarget(loopbackURL(addr))
			if inner != nil {
				inner(addr, s)
			}
		}
	}
	return s.run(ctx, ready)
}

func (s *server) run(ctx context.Context, ready func(addr string, s *server)) error {
	s.log.Info("starting punchbot", "version", versionString(), "config", s.cfg)
	if s.cfg.secretGenerated {
		s.log.Warn("PUNCHBOT_SECRET is not set: location links are signed with a random key and stop working on restart; set it (shared by all replicas) in production")
	}
	if publicURLInsecure(s.cfg.PublicURL) {
		s.log.Warn("PUNCHBOT_PUBLIC_URL is not https: "+insecureContextWhy+"; serve punchbot behind TLS and set PUNCHBOT_PUBLIC_URL=https://…", "public_url", s.cfg.PublicURL)
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return err
	}
	// Profiling (PUNCHBOT_DEBUG_ADDR, pprof.go) starts and stops with the
	// HTTP server; the deferred stop covers the early return.
	if s.debug, err = startDebug(s.cfg.DebugAddr, s.log); err != nil {
		ln.Close()
		return err
	}
	defer s.debug.stop()
	httpSrv := &http.Server{Handler: s.handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}

	workerCtx, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	workersDone := make(chan struct{})
	worker := &core.OutboxWorker{Store: s.store, Senders: s.senders, Log: s.log, OnResult: s.metrics.outboxResult,
		Limits: s.cfg.Sched.buckets(), Concurrency: s.cfg.Sched.Concurrency,
		Shared: s.kv, Windows: sendWindows(s.cfg.Sched.Compress), Apps: sendApps(s.cfg), // pacing.go
		Config: s.configErrs, Bell: s.outboxBell}
	go func() {
		defer close(workersDone)
		expiry := s.expireMakeups(workerCtx)
		retention := s.runRetention(workerCtx) // report.go
		worker.Run(workerCtx, time.Second)
		<-expiry
		<-retention
	}()

	// The scheduler fires only while this replica holds the leader lock
	// (Redis, or the in-process lock of a single instance).
	schedCtx, stopSched := context.WithCancel(context.WithoutCancel(ctx))
	schedDone := make(chan struct{})
	go func() {
		defer close(schedDone)
		if s.cfg.Sched.Enabled {
			s.sched.Run(schedCtx, s.kv)
		}
	}()

	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()
	s.log.Info("listening", "addr", ln.Addr().String(), "public_url", s.cfg.PublicURL)
	if ready != nil {
		ready(ln.Addr().String(), s)
	}

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		stopSched()
		<-schedDone
		stopWorkers()
		<-workersDone
		return err
	}
	s.log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil {
		s.log.Warn("http shutdown", "err", err)
	}
	s.debug.shutdown(shutdownCtx)
	stopSched()
	select {
	case <-schedDone:
	case <-time.After(5 * time.Second):
		s.log.Warn("scheduler did not stop in time")
	}
	stopWorkers()
	select {
	case <-workersDone:
	case <-time.After(5 * time.Second):
		s.log.Warn("outbox workers did not stop in time")
	}
	return nil
}
