package main

import (
	"time"

	"github.com/punchbot/punchbot/core"
)

// sendWindows are the per-app limits of the send APIs the outbox calls, as
// the platforms document them, for core.OutboxWorker.Windows; every
// replica takes its calls out of the same windows through the shared rate
// limiter (Redis, or process memory without it). compress shortens the
// windows for `bench rush`, which replays a rush faster than real time;
// it is 1 in production.
//
//   - Feishu: sending messages (im/v1/messages, and batch_send) is limited
//     to 1,000 calls a minute and 50 a second per app
//     (https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message/create,
//     "1000 次/分钟、50 次/秒"; frequency-control levels:
//     https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control).
//   - WeCom: message/send has no per-app call rate ("发消息频率不计入基础频率");
//     its quotas count recipients (每应用不可超过账号上限数*200人次/天) and
//     messages to one member (30 次/分钟, 1000 次/小时),
//     https://developer.work.weixin.qq.com/document/path/90454 (访问频率限制).
//     Neither is a per-call window, so the in-process bucket
//     (PUNCHBOT_WECOM_RATE) and the 45009/45033 answers pace WeCom.
//   - Slack: chat.postMessage "generally allows posting one message per
//     second per channel, while also maintaining a workspace-wide limit"
//     (https://api.slack.com/docs/rate-limits); each reply goes to its own
//     DM or to a response_url (not the Web API), and the workspace-wide
//     figure is not published, so Slack is paced by PUNCHBOT_SLACK_RATE
//     and its 429 Retry-After.
func sendWindows(compress float64) map[core.Platform][]core.SendWindow {
	if compress <= 0 {
		compress = 1
	}
	per := func(d time.Duration) time.Duration { return time.Duration(float64(d) / compress) }
	// A tenth below each limit: a call counted in the shared window when
	// it was admitted reaches the platform a little later, after other
	// replicas' calls, and the platform's window is measured on its clock.
	under := func(limit int) int { return limit - limit/10 }
	return map[core.Platform][]core.SendWindow{
		core.PlatformFeishu: {{Limit: under(50), Per: per(time.Second)}, {Limit: under(1000), Per: per(time.Minute)}},
	}
}

// sendApps names each platform's app in the shared limiter's keys, so that
// deployments of different apps sharing a Redis do not share a budget.
func sendApps(c config) map[core.Platform]string {
	return map[core.Platform]string{
		core.PlatformFeishu: c.Feishu.AppID,
		core.PlatformWeCom:  c.WeCom.CorpID + "/" + c.WeCom.AgentID,
		core.PlatformSlack:  "slack",
	}
}
