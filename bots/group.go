package bots

import "github.com/punchbot/punchbot/core"

// GroupMessages splits claimed outbox messages into platform calls for a
// core.BatchSender. Messages for which key reports a batch key go together
// with others of the same kind and key, up to most per call; any other
// message goes alone. Deliveries of firings and other messages (the
// outbox's two lanes) never share a call, as core.BatchSender requires.
// WeCom and Feishu batch differently, but only in key, so the grouping
// itself is written once here.
func GroupMessages(msgs []core.OutboxMessage, most int, key func(core.OutboxMessage) (string, bool)) [][]core.OutboxMessage {
	var out [][]core.OutboxMessage
	open := map[string]int{}
	for _, m := range msgs {
		k, ok := key(m)
		if !ok {
			out = append(out, []core.OutboxMessage{m})
			continue
		}
		k = groupLane(m) + m.Kind + "\x00" + k
		if i, ok := open[k]; ok && len(out[i]) < most {
			out[i] = append(out[i], m)
			continue
		}
		open[k] = len(out)
		out = append(out, []core.OutboxMessage{m})
	}
	return out
}

// groupLane keeps deliveries of firings (paced) and other messages apart
// in groups.
func groupLane(m core.OutboxMessage) string {
	if m.FiringID != 0 {
		return "d"
	}
	return "r"
}
