package core

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"time"
)

// SendWindow is one documented limit of a platform's send API: at most
// Limit calls per Per, for one app. Feishu's message APIs, for example,
// allow 1,000 calls a minute and 50 a second per app
// (https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control:
// "对于不同时间周期内的限频策略（如 1000次/分&50次/秒），请求速率达到任意上限
// （QPS 或 QPM）都会触发限流").
type SendWindow struct {
	Limit int
	Per   time.Duration
}

// MeteredSender is a Sender some of whose messages do not go through the
// platform's rate-limited API: Metered is false for those (Slack's
// response_url, which is not a Web API method), and the worker sends them
// without spending the platform's budget.
type MeteredSender interface {
	Metered(m OutboxMessage) bool
}

func metered(sender Sender, m OutboxMessage) bool {
	if ms, ok := sender.(MeteredSender); ok {
		return ms.Metered(m)
	}
	return true
}

// priority orders a round's calls: replies to someone waiting in a chat
// first, then other single messages (cards, notices of one person), then
// reminder and broadcast deliveries.
func priority(m OutboxMessage) int {
	switch {
	case m.FiringID != 0:
		return 2
	case m.Kind == "reply":
		return 0
	}
	return 1
}

// byPriority sorts groups stably by the priority of their first message.
func byPriority(groups [][]OutboxMessage) {
	slices.SortStableFunc(groups, func(a, b []OutboxMessage) int { return cmp.Compare(priority(a[0]), priority(b[0])) })
}

// paceKey is the shared limiter's key of one window of a platform's app.
func (w *OutboxWorker) paceKey(platform Platform, win SendWindow) string {
	return "outbox:" + string(platform) + ":" + w.Apps[platform] + ":" + strconv.FormatInt(win.Per.Milliseconds(), 10) + "ms"
}

// waitShared takes one call out of each of the platform's windows in the
// shared limiter (Redis across replicas, in process without it), waiting
// as long as it says, and gives up with ErrWouldExceedDeadline when the
// wait would pass deadline. The longest window is asked first: a call it
// admits waits at most a short window's turn before it goes, so its
// recorded time is close to when it is made.
func (w *OutboxWorker) waitShared(ctx context.Context, platform Platform, deadline time.Time) error {
	if w.Shared == nil {
		return nil
	}
	wins := slices.SortedStableFunc(slices.Values(w.Windows[platform]), func(a, b SendWindow) int { return cmp.Compare(b.Per, a.Per) })
	for _, win := range wins {
		if win.Limit <= 0 || win.Per <= 0 {
			continue
		}
		for {
			ok, after, err := w.Shared.Allow(ctx, w.paceKey(platform, win), win.Limit, win.Per)
			if err != nil {
				// The in-process bucket still paces this replica; a
				// limiter that fails must not stop delivery.
				w.Log.Warn("outbox: shared rate limiter failed, pacing in process only", "platform", platform, "err", err)
				return nil
			}
			if ok {
				break
			}
			after = max(after, time.Millisecond)
			if !deadline.IsZero() && w.Now().Add(after).After(deadline) {
				return ErrWouldExceedDeadline
			}
			if err := w.Sleep(ctx, after); err != nil {
				return err
			}
		}
	}
	return nil
}

// OutboxBacklogStore is an OutboxStore that can count its pending
// messages per platform, for the backlog gauge: how far behind each
// platform's sending is while its limits hold the outbox back.
type OutboxBacklogStore interface {
	OutboxBacklog(ctx context.Context) (map[Platform]int, error)
}
