package core

import (
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// ConfigProblem is one set-up problem a platform reported: which platform,
// its own code, and what to fix.
type ConfigProblem struct {
	Platform Platform
	// Reason is the platform's code ("missing_scope", "60020", …).
	Reason string
	// Fix says what an operator must change.
	Fix string
	// Since is when this problem was first seen; Last when it was last
	// seen; Count how many sends it refused since Since.
	Since, Last time.Time
	Count       int
}

// DefaultConfigProblemTTL is how long a problem is reported after it was
// last seen. The outbox retries held messages every ConfigRetry, so a
// problem that persists is seen again well within it; one an operator has
// fixed stops being reported on its own, with no "all clear" signal needed
// from a platform that only ever answers the calls it is sent.
const DefaultConfigProblemTTL = 5 * time.Minute

// ConfigErrors records the set-up problems the platforms report (ECONFIG
// errors), so that the log, the metrics, the console and /readyz tell the
// same story from one place. Each (platform, reason) is logged once at WARN
// when it appears, not once per refused message. It is safe for concurrent
// use; the zero value is not usable, use NewConfigErrors.
type ConfigErrors struct {
	now func() time.Time
	log *slog.Logger
	ttl time.Duration

	mu       sync.Mutex
	problems map[configKey]*ConfigProblem
}

type configKey struct {
	platform Platform
	reason   string
}

// NewConfigErrors returns an empty record. now and log default to
// time.Now and slog.Default.
func NewConfigErrors(now func() time.Time, log *slog.Logger) *ConfigErrors {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &ConfigErrors{now: now, log: log, ttl: DefaultConfigProblemTTL, problems: map[configKey]*ConfigProblem{}}
}

// Record notes err if it is an ECONFIG error of platform and reports
// whether it was one. The first sighting of a (platform, reason), or the
// first after it had lapsed, is logged at WARN with the fix.
func (c *ConfigErrors) Record(platform Platform, err error) bool {
	if c == nil || ErrorCode(err) != ECONFIG {
		return false
	}
	reason := ErrorReason(err)
	if reason == "" {
		reason = "unknown"
	}
	now := c.now()
	c.mu.Lock()
	k := configKey{platform, reason}
	p := c.problems[k]
	fresh := p == nil || now.Sub(p.Last) > c.ttl
	if fresh {
		p = &ConfigProblem{Platform: platform, Reason: reason, Since: now}
		c.problems[k] = p
	}
	p.Fix, p.Last = ErrorMessage(err), now
	p.Count++
	c.mu.Unlock()
	if fresh {
		c.log.Warn("platform configuration error: messages stay queued until it is fixed",
			"platform", platform, "code", reason, "fix", ErrorMessage(err), "err", err)
	}
	return true
}

// Problems returns the problems seen within the last DefaultConfigProblemTTL,
// by platform and reason.
func (c *ConfigErrors) Problems() []ConfigProblem {
	if c == nil {
		return nil
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []ConfigProblem
	for k, p := range c.problems {
		if now.Sub(p.Last) > c.ttl {
			// Forgotten, so that a later return is logged again.
			delete(c.problems, k)
			continue
		}
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b ConfigProblem) int {
		if c := strings.Compare(string(a.Platform), string(b.Platform)); c != 0 {
			return c
		}
		return strings.Compare(a.Reason, b.Reason)
	})
	return out
}
