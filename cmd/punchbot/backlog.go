package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/punchbot/punchbot/core"
)

// backlogDesc is punchbot_outbox_backlog{platform}: messages waiting to be
// sent to each platform. A rush whose replies must go through a rate-
// limited API (Feishu: 1,000 a minute per app) shows here as a backlog
// that grows and then drains at the platform's limit.
var backlogDesc = prometheus.NewDesc("punchbot_outbox_backlog", "Outbox messages waiting to be sent, by platform.", []string{"platform"}, nil)

// backlogCollector reads the backlog from the store at scrape time, so
// every replica reports the same numbers.
type backlogCollector struct{ store core.OutboxBacklogStore }

// Describe sends the gauge's description.
func (c backlogCollector) Describe(ch chan<- *prometheus.Desc) { ch <- backlogDesc }

// Collect counts pending messages; the three platforms are always
// reported, at 0 when nothing waits, so a dashboard's series never vanish.
func (c backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	counts, err := c.store.OutboxBacklog(ctx)
	if err != nil {
		return
	}
	for _, p := range []core.Platform{core.PlatformWeCom, core.PlatformFeishu, core.PlatformSlack} {
		if _, ok := counts[p]; !ok {
			counts[p] = 0
		}
	}
	for p, n := range counts {
		ch <- prometheus.MustNewConstMetric(backlogDesc, prometheus.GaugeValue, float64(n), string(p))
	}
}
