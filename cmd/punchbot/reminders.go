package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/punchbot/punchbot/bots/feishu"
	"github.com/punchbot/punchbot/bots/slack"
	"github.com/punchbot/punchbot/bots/wecom"
	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/scheduler"
)

// schedConfig is the scheduler's and the delivery pipeline's part of the
// configuration.
type schedConfig struct {
	Enabled     bool          // PUNCHBOT_SCHEDULER: "off" disables firing on this replica
	TTL         time.Duration // PUNCHBOT_SCHEDULER_TTL: the leader lease
	LateWindow  time.Duration // PUNCHBOT_SCHEDULER_LATE_WINDOW: missed firings younger than this go out late
	Concurrency int           // PUNCHBOT_OUTBOX_CONCURRENCY: calls in flight per platform
	Rates       map[core.Platform]rateConfig
	// Compress shortens the send windows (pacing.go) and is set only by
	// `bench rush`, which replays a rush faster than real time; 0 means 1.
	Compress float64
}

// rateConfig is one platform's token bucket: calls per second and burst.
type rateConfig struct {
	PerSecond float64
	Burst     int
}

// defaultRates are below each platform's documented limits; the bots'
// notice files explain the numbers.
func defaultRates() map[core.Platform]rateConfig {
	return map[core.Platform]rateConfig{
		core.PlatformWeCom:  {wecom.DefaultNoticeRate, wecom.DefaultNoticeBurst},
		core.PlatformFeishu: {feishu.DefaultNoticeRate, feishu.DefaultNoticeBurst},
		core.PlatformSlack:  {slack.DefaultNoticeRate, slack.DefaultNoticeBurst},
	}
}

// loadSchedConfig reads PUNCHBOT_SCHEDULER*, PUNCHBOT_OUTBOX_CONCURRENCY and
// PUNCHBOT_<PLATFORM>_RATE / _BURST.
func loadSchedConfig(env func(name, def string) string) (schedConfig, []error) {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("PUNCHBOT_%s: %s", name, fmt.Sprintf(format, args...)))
	}
	c := schedConfig{Enabled: true, TTL: 30 * time.Second, LateWindow: 15 * time.Minute, Concurrency: 4, Rates: map[core.Platform]rateConfig{}}
	switch v := env("SCHEDULER", "on"); v {
	case "on", "true", "1":
	case "off", "false", "0":
		c.Enabled = false
	default:
		bad("SCHEDULER", "must be on or off, not %q", v)
	}
	duration := func(name string, into *time.Duration, least time.Duration) {
		v := env(name, "")
		if v == "" {
			return
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < least {
			bad(name, "%q is not a duration of at least %s", v, least)
			return
		}
		*into = d
	}
	duration("SCHEDULER_TTL", &c.TTL, 3*time.Second)
	duration("SCHEDULER_LATE_WINDOW", &c.LateWindow, time.Minute)
	if v := env("OUTBOX_CONCURRENCY", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 256 {
			bad("OUTBOX_CONCURRENCY", "%q is not a number from 1 to 256", v)
		} else {
			c.Concurrency = n
		}
	}
	for p, def := range defaultRates() {
		name := map[core.Platform]string{core.PlatformWeCom: "WECOM", core.PlatformFeishu: "FEISHU", core.PlatformSlack: "SLACK"}[p]
		r := def
		if v := env(name+"_RATE", ""); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f <= 0 {
				bad(name+"_RATE", "%q is not a positive number of calls per second", v)
			} else {
				r.PerSecond = f
			}
		}
		if v := env(name+"_BURST", ""); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				bad(name+"_BURST", "%q is not a positive number", v)
			} else {
				r.Burst = n
			}
		}
		c.Rates[p] = r
	}
	return c, errs
}

// buckets returns one token bucket per platform.
func (c schedConfig) buckets() map[core.Platform]*core.TokenBucket {
	out := map[core.Platform]*core.TokenBucket{}
	for p, r := range c.Rates {
		out[p] = core.NewTokenBucket(r.PerSecond, r.Burst, nil, nil)
	}
	return out
}

// newReminderScheduler builds the scheduler over the store; cron
// expressions without CRON_TZ= run in the configured zone.
func newReminderScheduler(cfg config, st scheduler.Store, log *slog.Logger, now func() time.Time, m *metrics) (*scheduler.Scheduler, error) {
	zone, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return nil, err
	}
	return scheduler.New(scheduler.Config{TTL: cfg.Sched.TTL, LateWindow: cfg.Sched.LateWindow, Zone: zone},
		scheduler.Deps{Store: st, Now: now, Log: log, OnFiring: m.firingObserved})
}

// firingCollector exposes the delivery counts of each reminder's latest
// firing at scrape time, read from the store (every replica reports the
// same numbers: they are in the database), and whether this replica leads.
type firingCollector struct {
	store    core.ReminderStore
	leader   func() bool
	now      func() time.Time
	counts   *prometheus.Desc
	fireTime *prometheus.Desc
	leading  *prometheus.Desc
}

func newFiringCollector(st core.ReminderStore, leader func() bool, now func() time.Time) *firingCollector {
	return &firingCollector{
		store: st, leader: leader, now: now,
		counts: prometheus.NewDesc("punchbot_reminder_deliveries", "Deliveries of each reminder's latest firing (last 7 days), by status: queued (all), pending, sent, failed, and retrying (the pending ones waiting out a rate limit or an error).",
			[]string{"reminder", "status"}, nil),
		fireTime: prometheus.NewDesc("punchbot_reminder_last_firing_timestamp_seconds", "When each reminder's latest firing was due, with its status.",
			[]string{"reminder", "status"}, nil),
		leading: prometheus.NewDesc("punchbot_scheduler_leader", "1 when this replica holds the scheduler's leader lock.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *firingCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.counts
	ch <- c.fireTime
	ch <- c.leading
}

// Collect implements prometheus.Collector.
func (c *firingCollector) Collect(ch chan<- prometheus.Metric) {
	lead := 0.0
	if c.leader != nil && c.leader() {
		lead = 1
	}
	ch <- prometheus.MustNewConstMetric(c.leading, prometheus.GaugeValue, lead)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	fs, err := c.store.ListFirings(ctx, core.FiringFilter{Since: c.now().Add(-7 * 24 * time.Hour)})
	if err != nil {
		return
	}
	latest := map[string]core.Firing{}
	var ids []int64
	for _, f := range fs { // newest first
		if _, seen := latest[f.ReminderID]; seen {
			continue
		}
		latest[f.ReminderID] = f
		ids = append(ids, f.ID)
	}
	counts, err := c.store.FiringCounts(ctx, ids)
	if err != nil {
		return
	}
	for id, f := range latest {
		n := counts[f.ID]
		for status, v := range map[string]int{"queued": n.Queued, core.OutboxPending: n.Pending, core.OutboxSent: n.Sent, core.OutboxFailed: n.Failed, "retrying": n.Retrying} {
			ch <- prometheus.MustNewConstMetric(c.counts, prometheus.GaugeValue, float64(v), id, status)
		}
		ch <- prometheus.MustNewConstMetric(c.fireTime, prometheus.GaugeValue, float64(f.FireAt.Unix()), id, f.Status)
	}
}

// firingObserved counts a firing the scheduler recorded or completed.
func (m *metrics) firingObserved(f core.Firing) {
	m.firings.WithLabelValues(f.Kind, f.Status, strconv.FormatBool(f.Late)).Inc()
}
