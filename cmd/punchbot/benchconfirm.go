package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// confirmTimer times what a user waits for: from the moment the bench sent
// an event to the moment the reply sink received the platform call that
// confirms it (Feishu's reply to the message, WeCom's message to the user,
// Slack's post to the command's response_url).
type confirmTimer struct {
	mu    sync.Mutex
	sent  map[string]time.Time // event id → when it was first sent
	users map[string][]string  // recipient → their unconfirmed event ids, oldest first (Feishu's batch_send)
	took  []time.Duration
}

func newConfirmTimer() *confirmTimer {
	return &confirmTimer{sent: map[string]time.Time{}, users: map[string][]string{}}
}

// expect notes that the event id, from user, was sent at at; a resend of
// the same event keeps the first time.
func (c *confirmTimer) expect(id, user string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.sent[id]; !ok {
		c.sent[id] = at
		c.users[user] = append(c.users[user], id)
	}
}

// wait returns how many expected events are still unconfirmed once all
// were confirmed or d passed, so the report counts the confirmations the
// outbox had left to send.
func (c *confirmTimer) wait(d time.Duration) int {
	for end := time.Now().Add(d); ; time.Sleep(10 * time.Millisecond) {
		c.mu.Lock()
		left := len(c.sent)
		c.mu.Unlock()
		if left == 0 || !time.Now().Before(end) {
			return left
		}
	}
}

// reset forgets every event and timing, so that what follows is timed
// alone.
func (c *confirmTimer) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.sent)
	clear(c.users)
	c.took = c.took[:0]
}

// observe times the events a call to the sink confirms.
func (c *confirmTimer) observe(r *http.Request, body []byte, at time.Time) {
	var ids, users []string
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/open-apis/im/v1/messages/om_") && strings.HasSuffix(p, "/reply"):
		ids = append(ids, strings.TrimSuffix(strings.TrimPrefix(p, "/open-apis/im/v1/messages/om_"), "/reply"))
	case strings.HasPrefix(p, "/slack/response/"):
		ids = append(ids, strings.TrimPrefix(p, "/slack/response/"))
	default:
		var m struct {
			ToUser    string   `json:"touser"`
			ReceiveID string   `json:"receive_id"`
			UserIDs   []string `json:"user_ids"`
			OpenIDs   []string `json:"open_ids"`
		}
		if json.Unmarshal(body, &m) != nil {
			return
		}
		users = append(append(append(users, strings.Split(m.ToUser, "|")...), m.ReceiveID), m.UserIDs...)
		users = append(users, m.OpenIDs...)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, u := range users {
		// A card to the person confirms their oldest unconfirmed punch.
		for q := c.users[u]; len(q) > 0; q = q[1:] {
			if _, ok := c.sent[q[0]]; ok {
				ids = append(ids, q[0])
				c.users[u] = q[1:]
				break
			}
		}
	}
	for _, id := range ids {
		if t, ok := c.sent[id]; ok {
			delete(c.sent, id)
			c.took = append(c.took, at.Sub(t))
		}
	}
}

// describe is the confirmation line of the bench's report.
func (c *confirmTimer) describe() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := slices.Clone(c.took)
	slices.Sort(d)
	if len(d) == 0 {
		return fmt.Sprintf("none of %d sent events was seen confirmed at the fake", len(c.sent))
	}
	return fmt.Sprintf("%d confirmations reached the fake, p50 %s, p90 %s, p99 %s, max %s after the event was sent (%d not seen)",
		len(d), ms(percentile(d, .5)), ms(percentile(d, .9)), ms(percentile(d, .99)), ms(percentile(d, 1)), len(c.sent))
}
