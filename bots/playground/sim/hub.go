// Package sim holds in-process simulators of the WeCom, Feishu and Slack
// APIs for the demo playground. Each accepts the bots' real API calls (the
// same paths, bodies and tokens production sends), checks them against the
// platform's documented field rules and rate limits, and records what each
// person would see in their chat. In the other direction it sends the
// callbacks a platform would send, signed and encrypted with the bots' own
// crypto, to the bots' real HTTP endpoints. Nothing here leaves 127.0.0.1.
package sim

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/punchbot/punchbot/core"
)

// Entry is one message in a conversation: what the person typed or shared,
// or what the bot sent them.
type Entry struct {
	ID   string `json:"id"`   // the platform's message id (WeCom task_id or msgid, Feishu om_, Slack ts)
	From string `json:"from"` // FromUser or FromBot
	// Kind is text, card, location or toast. Ephemeral marks a Slack
	// message only its recipient sees.
	Kind      string    `json:"kind"`
	Ephemeral bool      `json:"ephemeral,omitempty"`
	Text      string    `json:"text,omitempty"`
	Card      *Card     `json:"card,omitempty"`
	Via       string    `json:"via"` // the API or callback that carried it
	At        time.Time `json:"at"`
	Updates   int       `json:"updates,omitempty"` // how often the bot changed it since
	Problems  []string  `json:"problems,omitempty"`
	// raw is what the bot sent, for the platform to answer button presses
	// from (a WeCom task_id, a Feishu value, a Slack action_id).
	raw any
}

// Who sent an entry.
const (
	FromUser = "user"
	FromBot  = "bot"
)

// Kinds of entries.
const (
	KindText     = "text"
	KindCard     = "card"
	KindLocation = "location"
	KindToast    = "toast"
)

// Violation is an API call that broke a documented rule: the platform
// would have refused it (or, for a limit, throttled it).
type Violation struct {
	At       time.Time     `json:"at"`
	Platform core.Platform `json:"platform"`
	API      string        `json:"api"`
	Rule     string        `json:"rule"`
	Doc      string        `json:"doc"`
}

// maxEntries bounds one conversation.
const maxEntries = 500

// key names one person's conversation with the bot on one platform.
type key struct {
	platform core.Platform
	user     string
}

// Hub holds every conversation and wakes the page's pollers on a change.
type Hub struct {
	now func() time.Time
	log *slog.Logger

	mu         sync.Mutex
	convs      map[key][]*Entry
	violations []Violation
	version    int64
	changed    chan struct{}
	seq        int64
}

// NewHub returns an empty hub.
func NewHub(now func() time.Time, log *slog.Logger) *Hub {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Hub{now: now, log: log, convs: map[key][]*Entry{}, changed: make(chan struct{})}
}

// bump records a change; h.mu is held.
func (h *Hub) bump() {
	h.version++
	close(h.changed)
	h.changed = make(chan struct{})
}

// nextID returns a process-unique sequence number.
func (h *Hub) nextID() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	return h.seq
}

// add appends e to a conversation and returns it.
func (h *Hub) add(p core.Platform, user string, e *Entry) *Entry {
	h.mu.Lock()
	defer h.mu.Unlock()
	if e.At.IsZero() {
		e.At = h.now()
	}
	k := key{p, user}
	h.convs[k] = append(h.convs[k], e)
	if n := len(h.convs[k]); n > maxEntries {
		// A demo left running keeps the newest messages only.
		h.convs[k] = append([]*Entry(nil), h.convs[k][n-maxEntries:]...)
	}
	h.bump()
	return e
}

// update changes the entry with id in a conversation; false when there is
// none.
func (h *Hub) update(p core.Platform, user, id string, change func(*Entry)) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.convs[key{p, user}] {
		if e.ID == id {
			change(e)
			e.Updates++
			h.bump()
			return true
		}
	}
	return false
}

// find returns a copy of an entry and its raw payload.
func (h *Hub) find(p core.Platform, user, id string) (Entry, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.convs[key{p, user}] {
		if e.ID == id {
			return *e, true
		}
	}
	return Entry{}, false
}

// owner returns who holds the entry with id on platform p.
func (h *Hub) owner(p core.Platform, id string) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, es := range h.convs {
		if k.platform != p {
			continue
		}
		for _, e := range es {
			if e.ID == id {
				return k.user, true
			}
		}
	}
	return "", false
}

// violate records a broken rule and logs it, so a developer sees it in the
// terminal as well as on the page.
func (h *Hub) violate(p core.Platform, api, rule, doc string) {
	h.mu.Lock()
	h.violations = append(h.violations, Violation{At: h.now(), Platform: p, API: api, Rule: rule, Doc: doc})
	h.bump()
	h.mu.Unlock()
	h.log.Warn("platform simulator: the bot broke a documented rule", "platform", p, "api", api, "rule", rule, "doc", doc)
}

// Conversation returns a copy of one person's messages on one platform,
// oldest first.
func (h *Hub) Conversation(p core.Platform, user string) []Entry {
	h.mu.Lock()
	defer h.mu.Unlock()
	es := h.convs[key{p, user}]
	out := make([]Entry, len(es))
	for i, e := range es {
		out[i] = *e
		out[i].raw = nil
	}
	return out
}

// Violations returns every broken rule recorded, oldest first.
func (h *Hub) Violations() []Violation {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := append([]Violation(nil), h.violations...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// Version is a counter that grows on every change.
func (h *Hub) Version() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.version
}

// Wait returns once the version differs from since, or when ctx ends or
// max has passed, whichever comes first.
func (h *Hub) Wait(ctx context.Context, since int64, max time.Duration) int64 {
	h.mu.Lock()
	v, ch := h.version, h.changed
	h.mu.Unlock()
	if v != since {
		return v
	}
	t := time.NewTimer(max)
	defer t.Stop()
	select {
	case <-ch:
	case <-ctx.Done():
	case <-t.C:
	}
	return h.Version()
}
