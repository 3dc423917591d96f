package main

import (
	"context"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/scheduler"
)

// firingNotice is the scheduler as the console and the admin API use it.
// A reminder fired now (立即发送) for people on a chat platform punchbot
// has no bot for queues deliveries no sender will ever take, and the
// console would show them 待发送 with no word why. Firing records that as
// a set-up problem, which the console banner, the log and
// /readyz?verbose show with the fix (in the demo, the simulators are the
// platforms and every one is configured).
type firingNotice struct {
	*scheduler.Scheduler
	senders  map[core.Platform]core.Sender
	problems *core.ConfigErrors
}

// notConfiguredFix says which settings a platform needs.
var notConfiguredFix = map[core.Platform]string{
	core.PlatformWeCom:  "WeCom is not configured, so deliveries to WeCom wait in the outbox: set PUNCHBOT_WECOM_CORP_ID, _AGENT_ID, _SECRET, _TOKEN and _ENCODING_AES_KEY (or try it in `punchbot demo`, whose simulators are the platforms)",
	core.PlatformFeishu: "Feishu is not configured, so deliveries to Feishu wait in the outbox: set PUNCHBOT_FEISHU_APP_ID, _APP_SECRET, _VERIFICATION_TOKEN and _ENCRYPT_KEY (or try it in `punchbot demo`)",
	core.PlatformSlack:  "Slack is not configured, so deliveries to Slack wait in the outbox: set PUNCHBOT_SLACK_SIGNING_SECRET and PUNCHBOT_SLACK_BOT_TOKEN (or try it in `punchbot demo`)",
}

// Fire fires the reminder, then names every platform among its
// recipients that has no bot.
func (f firingNotice) Fire(ctx context.Context, id string) (core.FiringReport, bool, error) {
	rep, created, err := f.Scheduler.Fire(ctx, id)
	if err != nil {
		return rep, created, err
	}
	pv, err := f.Scheduler.Preview(ctx, id)
	if err != nil {
		return rep, created, nil // the firing stands; the notice is a courtesy
	}
	seen := map[core.Platform]bool{}
	for _, d := range pv.Deliveries {
		p := d.Recipient.Platform
		if _, ok := f.senders[p]; ok || seen[p] || p == core.PlatformWeb {
			continue
		}
		seen[p] = true
		fix := notConfiguredFix[p]
		if fix == "" {
			fix = string(p) + " is not configured, so deliveries to it wait in the outbox"
		}
		f.problems.Record(p, core.ConfigError("not_configured", fix, nil))
	}
	return rep, created, nil
}
