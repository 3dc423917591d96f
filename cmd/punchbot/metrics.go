package main

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// metrics owns a private Prometheus registry, so tests and several servers
// in one process never share counters.
type metrics struct {
	reg      *prometheus.Registry
	commands *prometheus.CounterVec
	punches  *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	outbox   *prometheus.CounterVec
	firings  *prometheus.CounterVec // see reminders.go
	shed     *prometheus.CounterVec // see admission.go
}

func newMetrics(depth core.OutboxStore) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "punchbot_commands_total", Help: "Commands handled by the core, by kind and outcome.",
		}, []string{"kind", "outcome"}),
		punches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "punchbot_punches_total", Help: "Punches recorded, by outcome (retries of one event count once).",
		}, []string{"outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "punchbot_http_request_duration_seconds", Help: "Latency of HTTP requests (platform callbacks included), by route and status.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "code"}),
		outbox: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "punchbot_outbox_attempts_total", Help: "Outbox delivery attempts, by platform and resulting status.",
		}, []string{"platform", "status"}),
	}
	m.firings = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "punchbot_reminder_firings_total", Help: "Reminder firings this replica recorded, by kind, status (queued, skipped) and whether late.",
	}, []string{"kind", "status", "late"})
	m.shed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "punchbot_shed_total", Help: "Platform callbacks refused with 503 and Retry-After because the replica was at its bound of requests in flight, by route.",
	}, []string{"route"})
	m.reg.MustRegister(m.shed)
	m.reg.MustRegister(m.commands, m.punches, m.latency, m.outbox, m.firings,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "punchbot_outbox_depth", Help: "Outbox messages waiting to be sent."},
			func() float64 {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				n, err := depth.OutboxDepth(ctx)
				if err != nil {
					return -1
				}
				return float64(n)
			}))
	if b, ok := depth.(core.OutboxBacklogStore); ok {
		m.reg.MustRegister(backlogCollector{b}) // backlog.go
	}
	return m
}

// watchDependencies exports punchbot_dependency_up{name}: 1 while the
// dependency serves, 0 while not. The store is pinged at scrape time, as
// /readyz does; Redis reports the state its probe keeps, so a scrape never
// waits on it. redisUp is nil without Redis, and then there is no redis
// series rather than one that says "down".
func (m *metrics) watchDependencies(store interface{ Ping(context.Context) error }, redisUp func() bool) {
	const name, help = "punchbot_dependency_up", "Whether a dependency serves (1) or not (0), by name; punching goes on without redis."
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: prometheus.Labels{"name": "store"}},
		func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			return upGauge(store.Ping(ctx) == nil)
		}))
	if redisUp != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: prometheus.Labels{"name": "redis"}},
			func() float64 { return upGauge(redisUp()) }))
	}
}

func upGauge(up bool) float64 {
	if up {
		return 1
	}
	return 0
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// watchConfigErrors exports punchbot_platform_config_errors{platform,code}:
// 1 for each set-up problem a platform reports now (a missing scope, an
// untrusted IP), read from c at scrape time; a problem fixed and no longer
// seen drops out (core.DefaultConfigProblemTTL). Alert on it being present.
func (m *metrics) watchConfigErrors(c *core.ConfigErrors) {
	m.reg.MustRegister(configErrorCollector{c})
}

var configErrorDesc = prometheus.NewDesc("punchbot_platform_config_errors",
	"Set-up problems the platforms report now (1 each), by platform and the platform's code; messages they refuse stay queued until fixed.",
	[]string{"platform", "code"}, nil)

// configErrorCollector reads core.ConfigErrors at scrape time.
type configErrorCollector struct{ c *core.ConfigErrors }

func (configErrorCollector) Describe(ch chan<- *prometheus.Desc) { ch <- configErrorDesc }

func (x configErrorCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range x.c.Problems() {
		ch <- prometheus.MustNewConstMetric(configErrorDesc, prometheus.GaugeValue, 1, string(p.Platform), p.Reason)
	}
}

func (m *metrics) outboxResult(platform core.Platform, status string) {
	m.outbox.WithLabelValues(string(platform), status).Inc()
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

// instrument times every request by its route pattern, so the label set
// stays bounded whatever paths clients send.
func (m *metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rec, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		// The status is the number ("200", "503"), as Prometheus
		// conventions and dashboards expect, not its text.
		m.latency.WithLabelValues(route, strconv.Itoa(rec.code)).Observe(time.Since(start).Seconds())
	})
}

// meteredCore counts commands and punches on their way through the core.
type meteredCore struct {
	inner bots.Core
	m     *metrics
}

// Handle forwards to the core and counts the outcome.
func (c meteredCore) Handle(ctx context.Context, cmd core.Command) (core.Reply, error) {
	r, err := c.inner.Handle(ctx, cmd)
	outcome := string(r.Outcome)
	if err != nil {
		outcome = "error"
	}
	c.m.commands.WithLabelValues(string(cmd.Kind), outcome).Inc()
	if err == nil && !r.Replayed && r.PunchID != 0 {
		c.m.punches.WithLabelValues(outcome).Inc()
	}
	return r, err
}
